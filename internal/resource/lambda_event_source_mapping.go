package resource

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

type eventSourceMappingAPI interface {
	ListEventSourceMappings(context.Context, *lambda.ListEventSourceMappingsInput, ...func(*lambda.Options)) (*lambda.ListEventSourceMappingsOutput, error)
	GetEventSourceMapping(context.Context, *lambda.GetEventSourceMappingInput, ...func(*lambda.Options)) (*lambda.GetEventSourceMappingOutput, error)
	DeleteEventSourceMapping(context.Context, *lambda.DeleteEventSourceMappingInput, ...func(*lambda.Options)) (*lambda.DeleteEventSourceMappingOutput, error)
}

// EventSourceMappingValue is an event source mapping someone created on a
// function xacct owns; its name is FUNCTION/UUID. xacct never creates one:
// it only finds them before the function is deleted (Lambda leaves them
// behind) and removes them, never the event source.
type EventSourceMappingValue struct {
	Function       string `json:"function"`
	UUID           string `json:"uuid"`
	EventSourceArn string `json:"event_source_arn"`
}

type eventSourceMappingKind struct{}

var _ Kind = eventSourceMappingKind{}

func (eventSourceMappingKind) Tagged() bool { return false }

func (eventSourceMappingKind) Read(ctx context.Context, c *Clients, name string) (Value, error) {
	fn, id, err := splitName(name)
	if err != nil {
		return nil, err
	}
	out, err := c.Lambda.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(id)})
	if isNotFound(err, "ResourceNotFoundException") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read event source mapping %s: %w", id, err)
	}
	if functionOfARN(aws.ToString(out.FunctionArn)) != fn {
		return nil, nil
	}
	return marshal(EventSourceMappingValue{Function: fn, UUID: id, EventSourceArn: aws.ToString(out.EventSourceArn)}), nil
}

func (eventSourceMappingKind) Create(_ context.Context, _ *Clients, name string, _ Value) error {
	return fmt.Errorf("event source mapping %s: xacct does not create event source mappings", name)
}

func (eventSourceMappingKind) Update(_ context.Context, _ *Clients, name string, _, _ Value) error {
	return fmt.Errorf("event source mapping %s: xacct does not change event source mappings", name)
}

func (eventSourceMappingKind) Delete(ctx context.Context, c *Clients, name string, _ Value) error {
	_, id, err := splitName(name)
	if err != nil {
		return err
	}
	_, err = c.Lambda.DeleteEventSourceMapping(ctx, &lambda.DeleteEventSourceMappingInput{UUID: aws.String(id)})
	if err != nil && !isNotFound(err, "ResourceNotFoundException") {
		return fmt.Errorf("delete event source mapping %s: %w", id, err)
	}
	return nil
}

// eventSourceMappings lists the mappings that invoke a function, all pages.
func eventSourceMappings(ctx context.Context, c *Clients, fn string) ([]EventSourceMappingValue, error) {
	var out []EventSourceMappingValue
	var marker *string
	for {
		page, err := c.Lambda.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{FunctionName: aws.String(fn), Marker: marker})
		if isNotFound(err, "ResourceNotFoundException") {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("list event source mappings of function %s: %w", fn, err)
		}
		for _, m := range page.EventSourceMappings {
			if functionOfARN(aws.ToString(m.FunctionArn)) != fn {
				continue
			}
			out = append(out, EventSourceMappingValue{Function: fn, UUID: aws.ToString(m.UUID), EventSourceArn: aws.ToString(m.EventSourceArn)})
		}
		if aws.ToString(page.NextMarker) == "" {
			return out, nil
		}
		marker = page.NextMarker
	}
}

// functionOfARN is the function name in a function ARN (qualifier dropped).
func functionOfARN(arn string) string {
	parts := strings.Split(arn, ":")
	if len(parts) < 7 || parts[5] != "function" {
		return ""
	}
	return parts[6]
}
