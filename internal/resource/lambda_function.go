package resource

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

type functionAPI interface {
	GetFunction(context.Context, *lambda.GetFunctionInput, ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error)
	CreateFunction(context.Context, *lambda.CreateFunctionInput, ...func(*lambda.Options)) (*lambda.CreateFunctionOutput, error)
	UpdateFunctionCode(context.Context, *lambda.UpdateFunctionCodeInput, ...func(*lambda.Options)) (*lambda.UpdateFunctionCodeOutput, error)
	UpdateFunctionConfiguration(context.Context, *lambda.UpdateFunctionConfigurationInput, ...func(*lambda.Options)) (*lambda.UpdateFunctionConfigurationOutput, error)
	ListTags(context.Context, *lambda.ListTagsInput, ...func(*lambda.Options)) (*lambda.ListTagsOutput, error)
	TagResource(context.Context, *lambda.TagResourceInput, ...func(*lambda.Options)) (*lambda.TagResourceOutput, error)
	UntagResource(context.Context, *lambda.UntagResourceInput, ...func(*lambda.Options)) (*lambda.UntagResourceOutput, error)
	DeleteFunction(context.Context, *lambda.DeleteFunctionInput, ...func(*lambda.Options)) (*lambda.DeleteFunctionOutput, error)
}

// FunctionValue is a Lambda function. CodeSha256 is the deployed package's
// hash; the package itself comes from Clients.Packages.
type FunctionValue struct {
	Name         string            `json:"name"`
	Architecture string            `json:"architecture"`
	CodeSha256   string            `json:"code_sha256"`
	Environment  map[string]string `json:"environment"`
	Handler      string            `json:"handler"`
	MemoryMB     int32             `json:"memory_mb"`
	Role         string            `json:"role"`
	Runtime      string            `json:"runtime"`
	Tags         map[string]string `json:"tags"`
	TimeoutS     int32             `json:"timeout_s"`
}

type functionKind struct{}

var _ Kind = functionKind{}

func (functionKind) Tagged() bool { return true }

func (functionKind) Read(ctx context.Context, c *Clients, name string) (Value, error) {
	out, err := c.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
	if isNotFound(err, "ResourceNotFoundException") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read function %s: %w", name, err)
	}
	f := out.Configuration
	v := FunctionValue{
		Name: name, CodeSha256: aws.ToString(f.CodeSha256), Handler: aws.ToString(f.Handler), MemoryMB: aws.ToInt32(f.MemorySize),
		Role: aws.ToString(f.Role), Runtime: string(f.Runtime), TimeoutS: aws.ToInt32(f.Timeout), Environment: map[string]string{}, Tags: map[string]string{},
	}
	if len(f.Architectures) > 0 {
		v.Architecture = string(f.Architectures[0])
	}
	if f.Environment != nil {
		for k, val := range f.Environment.Variables {
			v.Environment[k] = val
		}
	}
	// GetFunction returns the tags to a caller allowed to list them; only
	// when it returns none are they asked for (and a refusal said).
	tags := out.Tags
	if tags == nil {
		lt, err := c.Lambda.ListTags(ctx, &lambda.ListTagsInput{Resource: f.FunctionArn})
		if err != nil {
			return nil, fmt.Errorf("read tags of function %s: %w", name, err)
		}
		tags = lt.Tags
	}
	for k, val := range tags {
		if !reservedTag(k) {
			v.Tags[k] = val
		}
	}
	return marshal(v), nil
}

// pkg reads the package of the function's CodeSha256.
func (c *Clients) pkg(function, codeSha string) ([]byte, error) {
	load, ok := c.Packages[codeSha]
	if !ok {
		return nil, fmt.Errorf("function %s: no package with SHA-256 %s was loaded", function, codeSha)
	}
	b, err := load()
	if err != nil {
		return nil, fmt.Errorf("function %s: %w", function, err)
	}
	return b, nil
}

func (functionKind) Create(ctx context.Context, c *Clients, name string, v Value) error {
	var f FunctionValue
	if err := unmarshal(v, &f); err != nil {
		return err
	}
	pkg, err := c.pkg(name, f.CodeSha256)
	if err != nil {
		return err
	}
	_, err = c.Lambda.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Runtime: lambdatypes.Runtime(f.Runtime), Handler: aws.String(f.Handler), Role: aws.String(f.Role),
		Code: &lambdatypes.FunctionCode{ZipFile: pkg}, Architectures: []lambdatypes.Architecture{lambdatypes.Architecture(f.Architecture)},
		MemorySize: aws.Int32(f.MemoryMB), Timeout: aws.Int32(f.TimeoutS), Environment: &lambdatypes.Environment{Variables: f.Environment},
		Tags: f.Tags,
	})
	if err != nil {
		return fmt.Errorf("create function %s: %w", name, err)
	}
	return waitReady(ctx, c.Lambda, name)
}

// Update changes code, configuration and tags, waiting between calls as
// Lambda requires (a function being updated refuses the next update).
func (functionKind) Update(ctx context.Context, c *Clients, name string, before, after Value) error {
	var b, a FunctionValue
	if err := unmarshal(before, &b); err != nil {
		return err
	}
	if err := unmarshal(after, &a); err != nil {
		return err
	}
	if a.CodeSha256 != b.CodeSha256 || a.Architecture != b.Architecture {
		pkg, err := c.pkg(name, a.CodeSha256)
		if err != nil {
			return err
		}
		if _, err := c.Lambda.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(name), ZipFile: pkg,
			Architectures: []lambdatypes.Architecture{lambdatypes.Architecture(a.Architecture)}}); err != nil {
			return fmt.Errorf("update code of %s: %w", name, err)
		}
		if err := waitReady(ctx, c.Lambda, name); err != nil {
			return err
		}
	}
	beforeTags := b.Tags
	b.CodeSha256, b.Architecture, b.Tags = a.CodeSha256, a.Architecture, a.Tags
	if string(marshal(a)) != string(marshal(b)) {
		if _, err := c.Lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(name),
			Runtime: lambdatypes.Runtime(a.Runtime), Handler: aws.String(a.Handler), Role: aws.String(a.Role), MemorySize: aws.Int32(a.MemoryMB),
			Timeout: aws.Int32(a.TimeoutS), Environment: &lambdatypes.Environment{Variables: a.Environment}}); err != nil {
			return fmt.Errorf("update configuration of %s: %w", name, err)
		}
		if err := waitReady(ctx, c.Lambda, name); err != nil {
			return err
		}
	}
	changed, removed := tagChanges(beforeTags, a.Tags)
	if len(changed) == 0 && len(removed) == 0 {
		return nil
	}
	// Tags are set by ARN.
	out, err := c.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
	if err != nil {
		return fmt.Errorf("read function %s: %w", name, err)
	}
	if len(changed) > 0 {
		if _, err := c.Lambda.TagResource(ctx, &lambda.TagResourceInput{Resource: out.Configuration.FunctionArn, Tags: changed}); err != nil {
			return fmt.Errorf("tag function %s: %w", name, err)
		}
	}
	if len(removed) > 0 {
		if _, err := c.Lambda.UntagResource(ctx, &lambda.UntagResourceInput{Resource: out.Configuration.FunctionArn, TagKeys: removed}); err != nil {
			return fmt.Errorf("untag function %s: %w", name, err)
		}
	}
	return nil
}

// waitReady waits until the function is Active and its last update done.
func waitReady(ctx context.Context, api functionAPI, name string) error {
	deadline := time.Now().Add(5 * time.Minute)
	for {
		out, err := api.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
		if err != nil {
			return fmt.Errorf("wait for function %s: %w", name, err)
		}
		f := out.Configuration
		switch {
		case f.State == lambdatypes.StateFailed:
			return fmt.Errorf("function %s failed: %s", name, aws.ToString(f.StateReason))
		case f.LastUpdateStatus == lambdatypes.LastUpdateStatusFailed:
			return fmt.Errorf("update of function %s failed: %s", name, aws.ToString(f.LastUpdateStatusReason))
		case (f.State == "" || f.State == lambdatypes.StateActive) && f.LastUpdateStatus != lambdatypes.LastUpdateStatusInProgress:
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("function %s is not ready after 5 minutes (state %s, last update %s)", name, f.State, f.LastUpdateStatus)
		}
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (functionKind) Delete(ctx context.Context, c *Clients, name string, _ Value) error {
	_, err := c.Lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(name)})
	if err != nil && !isNotFound(err, "ResourceNotFoundException") {
		return fmt.Errorf("delete function %s: %w", name, err)
	}
	return nil
}
