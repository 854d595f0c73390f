package resourcetest

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/xacct/xacct/internal/resource"
)

// Lambda is the fake's Lambda.
type Lambda struct {
	resource.LambdaAPI
	f *Fake
}

var _ resource.LambdaAPI = (*Lambda)(nil)

type function struct {
	cfg     lambdatypes.FunctionConfiguration
	tags    map[string]string
	pending int // GetFunction calls left before the create or update is done
	policy  []statement
	invoke  *lambda.GetFunctionEventInvokeConfigOutput
}

// statement is a statement of a function policy, written as Lambda writes
// it.
type statement struct {
	Sid       string
	Effect    string
	Principal map[string]string
	Action    string
	Resource  string
	Condition map[string]map[string]string `json:",omitempty"`
}

// settle finishes the create or update once no reads are pending.
func (fn *function) settle() {
	if fn.pending == 0 {
		fn.cfg.State, fn.cfg.LastUpdateStatus = lambdatypes.StateActive, lambdatypes.LastUpdateStatusSuccessful
	}
}

// functionName accepts a function's name or ARN, as Lambda does.
func functionName(s *string) string {
	n := aws.ToString(s)
	if i := strings.Index(n, ":function:"); i >= 0 {
		n, _, _ = strings.Cut(n[i+len(":function:"):], ":")
	}
	return n
}

func (x *Lambda) getFunction(name *string) (*function, error) {
	fn := x.f.functions[functionName(name)]
	if fn == nil {
		return nil, apiErr("ResourceNotFoundException", "Function not found: arn:aws:lambda:%s:%s:function:%s", x.f.region, x.f.accountID, functionName(name))
	}
	return fn, nil
}

// updatable returns the function unless it is being created or updated,
// when Lambda refuses another update.
func (x *Lambda) updatable(name *string) (*function, error) {
	fn, err := x.getFunction(name)
	switch {
	case err != nil:
		return nil, err
	case fn.pending > 0 && fn.cfg.State == lambdatypes.StatePending:
		return nil, apiErr("ResourceConflictException", "The operation cannot be performed at this time. The function is currently in the following state: Pending")
	case fn.pending > 0:
		return nil, apiErr("ResourceConflictException", "The operation cannot be performed at this time. An update is in progress for resource: %s", aws.ToString(fn.cfg.FunctionArn))
	}
	return fn, nil
}

// startUpdate marks an update InProgress for the next PendingReads reads.
func (x *Lambda) startUpdate(fn *function) {
	fn.cfg.LastUpdateStatus, fn.pending = lambdatypes.LastUpdateStatusInProgress, x.f.PendingReads
	fn.settle()
}

func codeSha256(zip []byte) string {
	h := sha256.Sum256(zip)
	return base64.StdEncoding.EncodeToString(h[:])
}

// GetFunction returns the configuration and tags; each call counts one of
// the reads a create or update stays pending for.
func (x *Lambda) GetFunction(ctx context.Context, in *lambda.GetFunctionInput, _ ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error) {
	var out *lambda.GetFunctionOutput
	err := x.f.call(ctx, "Lambda", "GetFunction", in, func() error {
		fn, err := x.getFunction(in.FunctionName)
		if err != nil {
			return err
		}
		cfg := fn.cfg
		if fn.pending > 0 {
			fn.pending--
			fn.settle()
		}
		out = &lambda.GetFunctionOutput{Configuration: &cfg, Tags: maps.Clone(fn.tags)}
		return nil
	})
	return out, err
}

// CreateFunction creates a function from a zip; its CodeSha256 is the
// base64 SHA-256 of the zip. It is Pending for PendingReads reads.
func (x *Lambda) CreateFunction(ctx context.Context, in *lambda.CreateFunctionInput, _ ...func(*lambda.Options)) (*lambda.CreateFunctionOutput, error) {
	var out *lambda.CreateFunctionOutput
	err := x.f.call(ctx, "Lambda", "CreateFunction", in, func() error {
		name := aws.ToString(in.FunctionName)
		if x.f.functions[name] != nil {
			return apiErr("ResourceConflictException", "Function already exist: %s", name)
		}
		cfg := lambdatypes.FunctionConfiguration{
			FunctionName: aws.String(name), FunctionArn: aws.String("arn:aws:lambda:" + x.f.region + ":" + x.f.accountID + ":function:" + name),
			Runtime: in.Runtime, Handler: in.Handler, Role: in.Role, MemorySize: aws.Int32(128), Timeout: aws.Int32(3),
			Architectures: []lambdatypes.Architecture{lambdatypes.ArchitectureX8664}, State: lambdatypes.StatePending,
		}
		if in.Code != nil {
			cfg.CodeSha256, cfg.CodeSize = aws.String(codeSha256(in.Code.ZipFile)), int64(len(in.Code.ZipFile))
		}
		if len(in.Architectures) > 0 {
			cfg.Architectures = slices.Clone(in.Architectures)
		}
		if in.MemorySize != nil {
			cfg.MemorySize = in.MemorySize
		}
		if in.Timeout != nil {
			cfg.Timeout = in.Timeout
		}
		if in.Environment != nil && len(in.Environment.Variables) > 0 {
			cfg.Environment = &lambdatypes.EnvironmentResponse{Variables: maps.Clone(in.Environment.Variables)}
		}
		fn := &function{cfg: cfg, tags: maps.Clone(in.Tags), pending: x.f.PendingReads}
		if fn.tags == nil {
			fn.tags = map[string]string{}
		}
		fn.settle()
		x.f.functions[name] = fn
		c := fn.cfg
		out = &lambda.CreateFunctionOutput{FunctionName: c.FunctionName, FunctionArn: c.FunctionArn, CodeSha256: c.CodeSha256, State: c.State}
		return nil
	})
	return out, err
}

// UpdateFunctionCode deploys a new zip.
func (x *Lambda) UpdateFunctionCode(ctx context.Context, in *lambda.UpdateFunctionCodeInput, _ ...func(*lambda.Options)) (*lambda.UpdateFunctionCodeOutput, error) {
	err := x.f.call(ctx, "Lambda", "UpdateFunctionCode", in, func() error {
		fn, err := x.updatable(in.FunctionName)
		if err != nil {
			return err
		}
		fn.cfg.CodeSha256, fn.cfg.CodeSize = aws.String(codeSha256(in.ZipFile)), int64(len(in.ZipFile))
		if len(in.Architectures) > 0 {
			fn.cfg.Architectures = slices.Clone(in.Architectures)
		}
		x.startUpdate(fn)
		return nil
	})
	return ok(&lambda.UpdateFunctionCodeOutput{}, err)
}

// UpdateFunctionConfiguration sets the settings given.
func (x *Lambda) UpdateFunctionConfiguration(ctx context.Context, in *lambda.UpdateFunctionConfigurationInput, _ ...func(*lambda.Options)) (*lambda.UpdateFunctionConfigurationOutput, error) {
	err := x.f.call(ctx, "Lambda", "UpdateFunctionConfiguration", in, func() error {
		fn, err := x.updatable(in.FunctionName)
		if err != nil {
			return err
		}
		c := &fn.cfg
		if in.Runtime != "" {
			c.Runtime = in.Runtime
		}
		if in.Handler != nil {
			c.Handler = in.Handler
		}
		if in.Role != nil {
			c.Role = in.Role
		}
		if in.MemorySize != nil {
			c.MemorySize = in.MemorySize
		}
		if in.Timeout != nil {
			c.Timeout = in.Timeout
		}
		if in.Environment != nil {
			c.Environment = nil
			if len(in.Environment.Variables) > 0 {
				c.Environment = &lambdatypes.EnvironmentResponse{Variables: maps.Clone(in.Environment.Variables)}
			}
		}
		x.startUpdate(fn)
		return nil
	})
	return ok(&lambda.UpdateFunctionConfigurationOutput{}, err)
}

// ListTags returns the tags of a function, by ARN.
func (x *Lambda) ListTags(ctx context.Context, in *lambda.ListTagsInput, _ ...func(*lambda.Options)) (*lambda.ListTagsOutput, error) {
	var out *lambda.ListTagsOutput
	err := x.f.call(ctx, "Lambda", "ListTags", in, func() error {
		fn, err := x.getFunction(in.Resource)
		if err != nil {
			return err
		}
		out = &lambda.ListTagsOutput{Tags: maps.Clone(fn.tags)}
		return nil
	})
	return out, err
}

// TagResource adds or overwrites tags of a function, by ARN.
func (x *Lambda) TagResource(ctx context.Context, in *lambda.TagResourceInput, _ ...func(*lambda.Options)) (*lambda.TagResourceOutput, error) {
	err := x.f.call(ctx, "Lambda", "TagResource", in, func() error {
		fn, err := x.getFunction(in.Resource)
		if err != nil {
			return err
		}
		maps.Copy(fn.tags, in.Tags)
		return nil
	})
	return ok(&lambda.TagResourceOutput{}, err)
}

// UntagResource removes tags of a function, by ARN.
func (x *Lambda) UntagResource(ctx context.Context, in *lambda.UntagResourceInput, _ ...func(*lambda.Options)) (*lambda.UntagResourceOutput, error) {
	err := x.f.call(ctx, "Lambda", "UntagResource", in, func() error {
		fn, err := x.getFunction(in.Resource)
		if err != nil {
			return err
		}
		for _, k := range in.TagKeys {
			delete(fn.tags, k)
		}
		return nil
	})
	return ok(&lambda.UntagResourceOutput{}, err)
}

// DeleteFunction deletes a function with its policy and invoke config.
func (x *Lambda) DeleteFunction(ctx context.Context, in *lambda.DeleteFunctionInput, _ ...func(*lambda.Options)) (*lambda.DeleteFunctionOutput, error) {
	err := x.f.call(ctx, "Lambda", "DeleteFunction", in, func() error {
		if _, err := x.getFunction(in.FunctionName); err != nil {
			return err
		}
		delete(x.f.functions, functionName(in.FunctionName))
		return nil
	})
	return ok(&lambda.DeleteFunctionOutput{}, err)
}

// GetPolicy returns the function's resource policy as Lambda writes it.
func (x *Lambda) GetPolicy(ctx context.Context, in *lambda.GetPolicyInput, _ ...func(*lambda.Options)) (*lambda.GetPolicyOutput, error) {
	var out *lambda.GetPolicyOutput
	err := x.f.call(ctx, "Lambda", "GetPolicy", in, func() error {
		fn, err := x.getFunction(in.FunctionName)
		if err != nil {
			return err
		}
		if len(fn.policy) == 0 {
			return apiErr("ResourceNotFoundException", "The resource you requested does not exist.")
		}
		doc, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Id": "default", "Statement": fn.policy})
		if err != nil {
			return err
		}
		out = &lambda.GetPolicyOutput{Policy: aws.String(string(doc))}
		return nil
	})
	return out, err
}

// AddPermission adds a statement to the function's policy.
func (x *Lambda) AddPermission(ctx context.Context, in *lambda.AddPermissionInput, _ ...func(*lambda.Options)) (*lambda.AddPermissionOutput, error) {
	var out *lambda.AddPermissionOutput
	err := x.f.call(ctx, "Lambda", "AddPermission", in, func() error {
		fn, err := x.getFunction(in.FunctionName)
		if err != nil {
			return err
		}
		sid := aws.ToString(in.StatementId)
		if slices.ContainsFunc(fn.policy, func(s statement) bool { return s.Sid == sid }) {
			return apiErr("ResourceConflictException", "The statement id (%s) provided already exists. Please provide a new statement id, or remove the existing statement.", sid)
		}
		st := statement{Sid: sid, Effect: "Allow", Principal: map[string]string{"AWS": aws.ToString(in.Principal)},
			Action: aws.ToString(in.Action), Resource: aws.ToString(fn.cfg.FunctionArn)}
		if p := aws.ToString(in.Principal); strings.HasSuffix(p, ".amazonaws.com") {
			st.Principal = map[string]string{"Service": p}
		}
		if in.SourceAccount != nil || in.SourceArn != nil {
			st.Condition = map[string]map[string]string{}
		}
		if in.SourceAccount != nil {
			st.Condition["StringEquals"] = map[string]string{"AWS:SourceAccount": *in.SourceAccount}
		}
		if in.SourceArn != nil {
			st.Condition["ArnLike"] = map[string]string{"AWS:SourceArn": *in.SourceArn}
		}
		fn.policy = append(fn.policy, st)
		doc, err := json.Marshal(st)
		if err != nil {
			return err
		}
		out = &lambda.AddPermissionOutput{Statement: aws.String(string(doc))}
		return nil
	})
	return out, err
}

// RemovePermission removes a statement from the function's policy.
func (x *Lambda) RemovePermission(ctx context.Context, in *lambda.RemovePermissionInput, _ ...func(*lambda.Options)) (*lambda.RemovePermissionOutput, error) {
	err := x.f.call(ctx, "Lambda", "RemovePermission", in, func() error {
		fn, err := x.getFunction(in.FunctionName)
		if err != nil {
			return err
		}
		sid := aws.ToString(in.StatementId)
		n := len(fn.policy)
		fn.policy = slices.DeleteFunc(fn.policy, func(s statement) bool { return s.Sid == sid })
		if len(fn.policy) == n {
			return apiErr("ResourceNotFoundException", "Statement %s is not found in resource policy.", sid)
		}
		return nil
	})
	return ok(&lambda.RemovePermissionOutput{}, err)
}

// GetFunctionEventInvokeConfig returns the asynchronous invocation settings.
func (x *Lambda) GetFunctionEventInvokeConfig(ctx context.Context, in *lambda.GetFunctionEventInvokeConfigInput, _ ...func(*lambda.Options)) (*lambda.GetFunctionEventInvokeConfigOutput, error) {
	var out *lambda.GetFunctionEventInvokeConfigOutput
	err := x.f.call(ctx, "Lambda", "GetFunctionEventInvokeConfig", in, func() error {
		fn, err := x.getFunction(in.FunctionName)
		if err != nil {
			return err
		}
		if fn.invoke == nil {
			return apiErr("ResourceNotFoundException", "The function %s doesn't have an EventInvokeConfig", aws.ToString(fn.cfg.FunctionArn))
		}
		c := *fn.invoke
		out = &c
		return nil
	})
	return out, err
}

// PutFunctionEventInvokeConfig replaces the asynchronous invocation
// settings.
func (x *Lambda) PutFunctionEventInvokeConfig(ctx context.Context, in *lambda.PutFunctionEventInvokeConfigInput, _ ...func(*lambda.Options)) (*lambda.PutFunctionEventInvokeConfigOutput, error) {
	err := x.f.call(ctx, "Lambda", "PutFunctionEventInvokeConfig", in, func() error {
		fn, err := x.getFunction(in.FunctionName)
		if err != nil {
			return err
		}
		fn.invoke = &lambda.GetFunctionEventInvokeConfigOutput{FunctionArn: fn.cfg.FunctionArn,
			MaximumRetryAttempts: in.MaximumRetryAttempts, MaximumEventAgeInSeconds: in.MaximumEventAgeInSeconds, DestinationConfig: in.DestinationConfig}
		return nil
	})
	return ok(&lambda.PutFunctionEventInvokeConfigOutput{}, err)
}

// DeleteFunctionEventInvokeConfig deletes the asynchronous invocation
// settings.
func (x *Lambda) DeleteFunctionEventInvokeConfig(ctx context.Context, in *lambda.DeleteFunctionEventInvokeConfigInput, _ ...func(*lambda.Options)) (*lambda.DeleteFunctionEventInvokeConfigOutput, error) {
	err := x.f.call(ctx, "Lambda", "DeleteFunctionEventInvokeConfig", in, func() error {
		fn, err := x.getFunction(in.FunctionName)
		if err != nil {
			return err
		}
		if fn.invoke == nil {
			return apiErr("ResourceNotFoundException", "The function %s doesn't have an EventInvokeConfig", aws.ToString(fn.cfg.FunctionArn))
		}
		fn.invoke = nil
		return nil
	})
	return ok(&lambda.DeleteFunctionEventInvokeConfigOutput{}, err)
}
