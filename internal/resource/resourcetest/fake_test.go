package resourcetest_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/xacct/xacct/internal/resource/resourcetest"
)

func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

const trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// TestReadLag: a role created while IAM lags is invisible to ReadLag reads,
// though it exists: creating it again is refused.
func TestReadLag(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, f := resourcetest.New("222222222222", "eu-west-1")
	f.ReadLag = 2
	name := aws.String("r")
	if _, err := c.IAM.CreateRole(ctx, &iam.CreateRoleInput{RoleName: name, AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if _, err := c.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: name}); code(err) != "NoSuchEntity" {
			t.Fatalf("read %d: error %v, want NoSuchEntity", i+1, err)
		}
	}
	if _, err := c.IAM.CreateRole(ctx, &iam.CreateRoleInput{RoleName: name, AssumeRolePolicyDocument: aws.String(trust)}); code(err) != "EntityAlreadyExists" {
		t.Fatalf("create again: error %v, want EntityAlreadyExists", err)
	}
	if _, err := c.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: name}); err != nil {
		t.Fatalf("read 3: %v", err)
	}
}

// TestFailNext: injected errors fail the next calls of their operation
// only, in order, are recorded, and change nothing.
func TestFailNext(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, f := resourcetest.New("111111111111", "eu-west-1")
	first, second := resourcetest.APIError("Throttling", "slow down"), resourcetest.APIError("ServiceFailure", "oops")
	f.FailNext("CreateGroup", first)
	f.FailNext("CreateGroup", second)
	in := &iam.CreateGroupInput{GroupName: aws.String("Developers")}
	for _, want := range []error{first, second, nil} {
		if _, err := c.IAM.CreateGroup(ctx, in); !errors.Is(err, want) || (want == nil) != (err == nil) {
			t.Fatalf("CreateGroup: error %v, want %v", err, want)
		}
	}
	if _, err := c.IAM.GetGroup(ctx, &iam.GetGroupInput{GroupName: in.GroupName}); err != nil {
		t.Fatalf("GetGroup: %v", err)
	}
	if got, want := f.Ops(), []string{"CreateGroup", "CreateGroup", "CreateGroup", "GetGroup"}; !slices.Equal(got, want) {
		t.Errorf("Ops = %q, want %q", got, want)
	}
	if f.Calls()[0].Input != in {
		t.Errorf("the call does not record its input")
	}
}

// TestPendingReads: Lambda refuses an update while the function is still
// Pending, and accepts it once a read has seen it Active.
func TestPendingReads(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, f := resourcetest.New("222222222222", "eu-west-1")
	f.PendingReads = 1
	name := aws.String("fn")
	if _, err := c.Lambda.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: name, Code: &lambdatypes.FunctionCode{ZipFile: []byte("zip")}}); err != nil {
		t.Fatal(err)
	}
	update := &lambda.UpdateFunctionConfigurationInput{FunctionName: name, MemorySize: aws.Int32(256)}
	if _, err := c.Lambda.UpdateFunctionConfiguration(ctx, update); code(err) != "ResourceConflictException" {
		t.Fatalf("update while Pending: error %v, want ResourceConflictException", err)
	}
	for _, want := range []lambdatypes.State{lambdatypes.StatePending, lambdatypes.StateActive} {
		out, err := c.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: name})
		if err != nil || out.Configuration.State != want {
			t.Fatalf("GetFunction: %v, %v; want state %s", out, err, want)
		}
	}
	if _, err := c.Lambda.UpdateFunctionConfiguration(ctx, update); err != nil {
		t.Fatalf("update once Active: %v", err)
	}
}
