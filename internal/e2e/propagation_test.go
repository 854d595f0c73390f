package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/xacct/xacct/internal/sandbox"
)

// TestIAMDelay: with --faults iam-delay=D the sandbox honours an IAM change
// only D later where AWS is known to lag — a new role cannot be assumed, a
// new execution role is refused by Lambda ("cannot be assumed by Lambda"),
// a function permission just added does not validate an S3 notification
// ("Unable to validate the following destination configurations"), a grant
// just added is not yet in force — and honours it once D has passed. A
// grant taken away is gone at once.
func TestIAMDelay(t *testing.T) {
	// Long enough that the first call after a change is inside it even on
	// a loaded machine with the race detector.
	const delay = 3 * time.Second
	ctx := context.Background()
	shared.SetFaults(sandbox.Faults{IAMDelay: delay})
	// The subtests run side by side; the delay is lifted once all are done.
	t.Cleanup(func() { shared.SetFaults(sandbox.Faults{}) })
	dev, prod := orgAdmin(t, devID), orgAdmin(t, prodID)

	// eventually retries call until it succeeds, and returns how long the
	// first success took after changed.
	eventually := func(t *testing.T, changed time.Time, what string, call func() error) time.Duration {
		t.Helper()
		for {
			err := call()
			if err == nil {
				return time.Since(changed)
			}
			if time.Since(changed) > delay+10*time.Second {
				t.Fatalf("%s: still failing %v after the change: %v", what, time.Since(changed), err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	inTime := func(t *testing.T, what string, took time.Duration) {
		t.Helper()
		// Honoured no sooner than the delay, less the change's own
		// response time (the sandbox starts the clock when it answers);
		// eventually bounds how much later.
		if took < delay-250*time.Millisecond {
			t.Errorf("%s honoured after %v, before the delay of %v", what, took, delay)
		}
	}

	t.Run("a new role is assumable only after the delay", func(t *testing.T) {
		t.Parallel()
		name := uniq(t, "fresh")
		arn := "arn:aws:iam::" + prodID + ":role/" + name
		must(prod.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + devID + `:root"},"Action":"sts:AssumeRole"}]}`)}))(t)
		created := time.Now()
		defer func() { _, _ = prod.iam.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(name)}) }()
		assume := func() error {
			_, err := dev.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("probe")})
			return err
		}
		wantCode(t, assume(), "AccessDenied")
		inTime(t, "AssumeRole of a new role", eventually(t, created, "AssumeRole", assume))

		// A change of its permissions does not stop it being assumed.
		must(prod.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("p"), PolicyDocument: aws.String(
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}`)}))(t)
		defer func() {
			_, _ = prod.iam.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("p")})
		}()
		if err := assume(); err != nil {
			t.Errorf("AssumeRole after a permissions change: %v", err)
		}
	})

	t.Run("a new grant is in force only after the delay, a revoked one at once", func(t *testing.T) {
		t.Parallel()
		bucket := uniq(t, "delayed")
		must(dev.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}))(t)
		name := uniq(t, "late")
		u := devUser(t, dev, name, "")
		defer func() {
			keys := must(dev.iam.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(name)}))(t)
			for _, k := range keys.AccessKeyMetadata {
				_, _ = dev.iam.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String(name), AccessKeyId: k.AccessKeyId})
			}
			_, _ = dev.iam.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("list")})
			_, _ = dev.iam.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(name)})
			_, _ = dev.s3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
		}()
		must(dev.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("list"), PolicyDocument: aws.String(
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::` + bucket + `"}]}`)}))(t)
		granted := time.Now()
		list := func() error {
			_, err := u.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
			return err
		}
		wantCode(t, list(), "AccessDenied")
		inTime(t, "a new user policy", eventually(t, granted, "ListObjectsV2", list))

		must(dev.iam.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("list")}))(t)
		wantCode(t, list(), "AccessDenied")
	})

	t.Run("Lambda refuses a new execution role, S3 a new permission, until the delay", func(t *testing.T) {
		t.Parallel()
		lc := lambda.NewFromConfig(prod.cfg)
		role, fn, bucket := uniq(t, "exec"), uniq(t, "proc"), uniq(t, "src")
		roleARN := "arn:aws:iam::" + prodID + ":role/" + role
		fnARN := "arn:aws:lambda:" + shared.Region + ":" + prodID + ":function:" + fn
		must(prod.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}))(t)
		// The function never runs here: a package of a few bytes keeps
		// CreateFunction's own time (a 4 MB upload, hashed and checked,
		// takes seconds under -race on a loaded machine) well inside the
		// delay, so its first call is refused for the delay, not passed by it.
		zip := tinyZip(t)
		must(prod.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}))(t)
		created := time.Now()
		defer func() {
			_, _ = prod.s3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
			_, _ = lc.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(fn)})
			_, _ = prod.iam.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(role)})
		}()
		create := func() error {
			_, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{
				FunctionName: aws.String(fn), Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
				Role: aws.String(roleARN), Code: &lambdatypes.FunctionCode{ZipFile: zip},
			})
			return err
		}
		err := create()
		wantCode(t, err, "InvalidParameterValueException")
		if !strings.Contains(err.Error(), "The role defined for the function cannot be assumed by Lambda.") {
			t.Errorf("CreateFunction with a new role: %v, want Lambda's message", err)
		}
		if _, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)}); errorCode(err) != "ResourceNotFoundException" {
			t.Errorf("the refused function exists: %v", err)
		}
		inTime(t, "a new execution role", eventually(t, created, "CreateFunction", create))

		must(lc.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String(fn), StatementId: aws.String("s3"),
			Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("s3.amazonaws.com"),
			SourceArn: aws.String("arn:aws:s3:::" + bucket), SourceAccount: aws.String(prodID)}))(t)
		permitted := time.Now()
		notify := func() error {
			_, err := prod.s3.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{
				Bucket: aws.String(bucket),
				NotificationConfiguration: &s3types.NotificationConfiguration{LambdaFunctionConfigurations: []s3types.LambdaFunctionConfiguration{{
					LambdaFunctionArn: aws.String(fnARN), Events: []s3types.Event{"s3:ObjectCreated:*"},
				}}},
			})
			return err
		}
		err = notify()
		wantCode(t, err, "InvalidArgument")
		if !strings.Contains(err.Error(), "Unable to validate the following destination configurations") {
			t.Errorf("notification to a new permission: %v, want S3's message", err)
		}
		inTime(t, "a new function permission", eventually(t, permitted, "PutBucketNotificationConfiguration", notify))
		must(prod.s3.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{
			Bucket: aws.String(bucket), NotificationConfiguration: &s3types.NotificationConfiguration{}}))(t)
	})
}
