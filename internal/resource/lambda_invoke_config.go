package resource

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

type invokeConfigAPI interface {
	GetFunctionEventInvokeConfig(context.Context, *lambda.GetFunctionEventInvokeConfigInput, ...func(*lambda.Options)) (*lambda.GetFunctionEventInvokeConfigOutput, error)
	PutFunctionEventInvokeConfig(context.Context, *lambda.PutFunctionEventInvokeConfigInput, ...func(*lambda.Options)) (*lambda.PutFunctionEventInvokeConfigOutput, error)
	DeleteFunctionEventInvokeConfig(context.Context, *lambda.DeleteFunctionEventInvokeConfigInput, ...func(*lambda.Options)) (*lambda.DeleteFunctionEventInvokeConfigOutput, error)
}

// InvokeConfigValue is a function's asynchronous invocation configuration:
// how often a failed event is retried, how old it may get, and where it is
// kept when it fails (an on-failure destination's ARN; "" for none: the
// event is dropped).
type InvokeConfigValue struct {
	Function           string `json:"function"`
	MaxRetryAttempts   int32  `json:"maximum_retry_attempts"`
	MaxEventAgeSeconds int32  `json:"maximum_event_age_seconds"`
	OnFailure          string `json:"on_failure,omitempty"`
}

type invokeConfigKind struct{}

var _ Kind = invokeConfigKind{}

func (invokeConfigKind) Tagged() bool { return false }

func (invokeConfigKind) Read(ctx context.Context, c *Clients, name string) (Value, error) {
	out, err := c.Lambda.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String(name)})
	if isNotFound(err, "ResourceNotFoundException") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read event invoke config of %s: %w", name, err)
	}
	v := InvokeConfigValue{Function: name, MaxRetryAttempts: aws.ToInt32(out.MaximumRetryAttempts), MaxEventAgeSeconds: aws.ToInt32(out.MaximumEventAgeInSeconds)}
	if d := out.DestinationConfig; d != nil && d.OnFailure != nil {
		v.OnFailure = aws.ToString(d.OnFailure.Destination)
	}
	return marshal(v), nil
}

func (k invokeConfigKind) Create(ctx context.Context, c *Clients, name string, v Value) error {
	return k.Update(ctx, c, name, nil, v)
}

func (invokeConfigKind) Update(ctx context.Context, c *Clients, name string, _, after Value) error {
	var ic InvokeConfigValue
	if err := unmarshal(after, &ic); err != nil {
		return err
	}
	in := &lambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String(name),
		MaximumRetryAttempts: aws.Int32(ic.MaxRetryAttempts), MaximumEventAgeInSeconds: aws.Int32(ic.MaxEventAgeSeconds)}
	if ic.OnFailure != "" {
		in.DestinationConfig = &lambdatypes.DestinationConfig{OnFailure: &lambdatypes.OnFailure{Destination: aws.String(ic.OnFailure)}}
	}
	_, err := c.Lambda.PutFunctionEventInvokeConfig(ctx, in)
	if err != nil {
		return fmt.Errorf("put event invoke config of %s: %w", name, err)
	}
	return nil
}

func (invokeConfigKind) Delete(ctx context.Context, c *Clients, name string, _ Value) error {
	_, err := c.Lambda.DeleteFunctionEventInvokeConfig(ctx, &lambda.DeleteFunctionEventInvokeConfigInput{FunctionName: aws.String(name)})
	if err != nil && !isNotFound(err, "ResourceNotFoundException") {
		return fmt.Errorf("delete event invoke config of %s: %w", name, err)
	}
	return nil
}
