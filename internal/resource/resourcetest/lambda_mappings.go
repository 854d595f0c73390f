package resourcetest

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// mapping is an event source mapping. Lambda keeps it when its function is
// deleted.
type mapping struct {
	uuid, functionARN, source string
}

// mappingsPage is how many mappings ListEventSourceMappings returns at a
// time, so that callers must page.
const mappingsPage = 2

// AddEventSourceMapping creates an event source mapping from source to the
// function fn, as someone outside xacct would, and returns its UUID.
func (f *Fake) AddEventSourceMapping(fn, source string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := fmt.Sprintf("00000000-0000-4000-8000-%012d", len(f.mappings)+1)
	f.mappings[id] = &mapping{uuid: id, functionARN: fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", f.region, f.accountID, fn), source: source}
	return id
}

func (m *mapping) configuration() lambdatypes.EventSourceMappingConfiguration {
	return lambdatypes.EventSourceMappingConfiguration{UUID: aws.String(m.uuid), FunctionArn: aws.String(m.functionARN), EventSourceArn: aws.String(m.source), State: aws.String("Enabled")}
}

// ListEventSourceMappings lists the mappings of a function, in UUID order,
// a page at a time.
func (x *Lambda) ListEventSourceMappings(ctx context.Context, in *lambda.ListEventSourceMappingsInput, _ ...func(*lambda.Options)) (*lambda.ListEventSourceMappingsOutput, error) {
	var out *lambda.ListEventSourceMappingsOutput
	err := x.f.call(ctx, "Lambda", "ListEventSourceMappings", in, func() error {
		var all []lambdatypes.EventSourceMappingConfiguration
		for _, id := range slices.Sorted(maps.Keys(x.f.mappings)) {
			m := x.f.mappings[id]
			if in.FunctionName == nil || functionName(&m.functionARN) == functionName(in.FunctionName) {
				all = append(all, m.configuration())
			}
		}
		ms, next, err := lambdaPage(all, in.Marker, mappingsPage)
		if err != nil {
			return err
		}
		out = &lambda.ListEventSourceMappingsOutput{EventSourceMappings: ms, NextMarker: next}
		return nil
	})
	return out, err
}

// GetEventSourceMapping returns one mapping.
func (x *Lambda) GetEventSourceMapping(ctx context.Context, in *lambda.GetEventSourceMappingInput, _ ...func(*lambda.Options)) (*lambda.GetEventSourceMappingOutput, error) {
	var out *lambda.GetEventSourceMappingOutput
	err := x.f.call(ctx, "Lambda", "GetEventSourceMapping", in, func() error {
		m := x.f.mappings[aws.ToString(in.UUID)]
		if m == nil {
			return apiErr("ResourceNotFoundException", "The resource you requested does not exist.")
		}
		c := m.configuration()
		out = &lambda.GetEventSourceMappingOutput{UUID: c.UUID, FunctionArn: c.FunctionArn, EventSourceArn: c.EventSourceArn, State: c.State}
		return nil
	})
	return out, err
}

// DeleteEventSourceMapping deletes one mapping.
func (x *Lambda) DeleteEventSourceMapping(ctx context.Context, in *lambda.DeleteEventSourceMappingInput, _ ...func(*lambda.Options)) (*lambda.DeleteEventSourceMappingOutput, error) {
	err := x.f.call(ctx, "Lambda", "DeleteEventSourceMapping", in, func() error {
		if x.f.mappings[aws.ToString(in.UUID)] == nil {
			return apiErr("ResourceNotFoundException", "The resource you requested does not exist.")
		}
		delete(x.f.mappings, aws.ToString(in.UUID))
		return nil
	})
	return ok(&lambda.DeleteEventSourceMappingOutput{}, err)
}
