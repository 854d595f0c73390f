package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"
)

// TestConformanceLambdaPolicy: a function's resource-based policy through
// the AWS CLI and boto3, in the shape Lambda gives it: an account given to
// add-permission reads back as {"AWS": its root ARN}, a service as a
// Service, S3's sources and an organization as their conditions. The
// policy is what authorizes another account's calls on the function
// (get-function and update-function-code across accounts: refused, then
// allowed by the grant, refused once it is removed), and
// lambda:Principal is the condition key AddPermission is decided on.
func TestConformanceLambdaPolicy(t *testing.T) {
	needRealClients(t)
	t.Parallel()
	ctx := context.Background()
	prod, dev := orgAdmin(t, prodID), orgAdmin(t, devID)
	pid, did := identityOf(t, prod), identityOf(t, dev)
	fn := uniq(t, "policy")
	fnARN := "arn:aws:lambda:" + shared.Region + ":" + prodID + ":function:" + fn
	must(lambda.NewFromConfig(prod.cfg).CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(fn), Runtime: lambdatypes.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Role: aws.String(lambdaRoleFor(t, prod, "policy-fn")), Code: &lambdatypes.FunctionCode{ZipFile: tinyZip(t)}}))(t)

	awsFails(t, pid, "ResourceNotFoundException", "lambda", "get-policy", "--function-name", fn)
	// Development may not read the function: no policy names it.
	awsFails(t, did, "AccessDeniedException", "lambda", "get-function", "--function-name", fnARN)

	var added struct{ Statement string }
	awsJSON(t, pid, &added, "lambda", "add-permission", "--function-name", fn, "--statement-id", "dev-update",
		"--action", "lambda:UpdateFunctionCode", "--principal", devID)
	devUpdate := `{"Sid":"dev-update","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + devID + `:root"},"Action":"lambda:UpdateFunctionCode","Resource":"` + fnARN + `"}`
	if added.Statement != devUpdate {
		t.Errorf("aws lambda add-permission --principal %s returned\n %s\nwant\n %s", devID, added.Statement, devUpdate)
	}
	awsFails(t, pid, "ResourceConflictException", "lambda", "add-permission", "--function-name", fn, "--statement-id", "dev-update",
		"--action", "lambda:InvokeFunction", "--principal", devID)
	awsFails(t, pid, "InvalidParameterValueException", "lambda", "add-permission", "--function-name", fn, "--statement-id", "bad",
		"--action", "lambda:InvokeFunction", "--principal", "developers")

	var got struct{ Policy map[string]any }
	boto3(t, pid, &got, "lambda-policy", fn, "conformance-bucket", prodID, "o-a1b2c3d4e5")
	want := map[string]any{}
	if err := json.Unmarshal([]byte(`{"Version":"2012-10-17","Id":"default","Statement":[`+devUpdate+`,
		{"Sid":"s3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"`+fnARN+`",
		 "Condition":{"StringEquals":{"AWS:SourceAccount":"`+prodID+`"},"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::conformance-bucket"}}},
		{"Sid":"org","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"`+fnARN+`",
		 "Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}]}`), &want); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got.Policy); d != "" {
		t.Errorf("boto3 get_policy (-want +got):\n%s", d)
	}
	var cli struct{ Policy, RevisionId string }
	awsJSON(t, pid, &cli, "lambda", "get-policy", "--function-name", fn)
	var cliPolicy map[string]any
	if err := json.Unmarshal([]byte(cli.Policy), &cliPolicy); err != nil || cli.RevisionId == "" {
		t.Fatalf("aws lambda get-policy: %v, revision %q in %q", err, cli.RevisionId, cli.Policy)
	}
	if d := cmp.Diff(want, cliPolicy); d != "" {
		t.Errorf("aws lambda get-policy (-want +got):\n%s", d)
	}

	// Across accounts, the policy decides: UpdateFunctionCode is granted,
	// GetFunction not yet; then it is.
	awsFails(t, did, "AccessDeniedException", "lambda", "get-function", "--function-name", fnARN)
	awsOK(t, pid, "lambda", "add-permission", "--function-name", fn, "--statement-id", "dev-read", "--action", "lambda:GetFunction", "--principal", "arn:aws:iam::"+devID+":root")
	var fnOut struct{ Configuration struct{ FunctionArn string } }
	awsJSON(t, did, &fnOut, "lambda", "get-function", "--function-name", fnARN)
	if fnOut.Configuration.FunctionArn != fnARN {
		t.Errorf("get-function across accounts: %+v", fnOut.Configuration)
	}
	// UpdateFunctionCode, the delegation verify reports (issue 20): the
	// Development account changes what the function runs.
	zip := filepath.Join(t.TempDir(), "fn.zip")
	if err := os.WriteFile(zip, tinyZip(t), 0o600); err != nil {
		t.Fatal(err)
	}
	var updated struct{ FunctionArn, CodeSha256 string }
	awsJSON(t, did, &updated, "lambda", "update-function-code", "--function-name", fnARN, "--zip-file", "fileb://"+zip)
	if updated.FunctionArn != fnARN || updated.CodeSha256 == "" {
		t.Errorf("update-function-code across accounts: %+v", updated)
	}
	// Lambda refuses some operations across accounts whatever the policy.
	awsFails(t, did, "AccessDeniedException", "lambda", "add-permission", "--function-name", fnARN, "--statement-id", "self",
		"--action", "lambda:InvokeFunction", "--principal", devID)

	// lambda:Principal: a user who may add permissions for S3 only.
	user := uniq(t, "permitter")
	must(prod.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user)}))(t)
	must(prod.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String("s3-only"), PolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["lambda:AddPermission","lambda:RemovePermission"],"Resource":"` + fnARN + `",` +
			`"Condition":{"StringEquals":{"lambda:Principal":"s3.amazonaws.com"}}}]}`)}))(t)
	uid := identityOf(t, userKey(t, prod, user))
	awsFails(t, uid, "AccessDeniedException", "lambda", "add-permission", "--function-name", fn, "--statement-id", "u-dev",
		"--action", "lambda:InvokeFunction", "--principal", devID)
	awsOK(t, uid, "lambda", "add-permission", "--function-name", fn, "--statement-id", "u-s3", "--action", "lambda:InvokeFunction", "--principal", "s3.amazonaws.com")
	awsOK(t, uid, "lambda", "remove-permission", "--function-name", fn, "--statement-id", "u-s3")
	awsFails(t, uid, "AccessDeniedException", "lambda", "remove-permission", "--function-name", fn, "--statement-id", "dev-read")

	for _, sid := range []string{"dev-update", "dev-read", "s3", "org"} {
		awsOK(t, pid, "lambda", "remove-permission", "--function-name", fn, "--statement-id", sid)
	}
	awsFails(t, did, "AccessDeniedException", "lambda", "get-function", "--function-name", fnARN)
	awsFails(t, did, "AccessDeniedException", "lambda", "update-function-code", "--function-name", fnARN, "--zip-file", "fileb://"+zip)
	awsFails(t, pid, "ResourceNotFoundException", "lambda", "remove-permission", "--function-name", fn, "--statement-id", "s3")
	awsFails(t, pid, "ResourceNotFoundException", "lambda", "get-policy", "--function-name", fn)
}
