package e2e

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/xacct/xacct/internal/sandbox"
)

// TestDataDirKeepsStateAcrossRestarts starts a sandbox of its own: it closes
// and restarts it on a data dir, which the shared sandbox has not.
func TestDataDirKeepsStateAcrossRestarts(t *testing.T) {
	t.Parallel() // nothing it checks depends on what other tests do at the same time
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	opts := sandbox.Options{
		Accounts: threeAccounts(),
		Listen:   "127.0.0.1:0",
		DataDir:  dir,
	}
	sb, err := startSandbox(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	adm := adminOf(t, sb)
	prod := adm.assume(t, "arn:aws:iam::"+prodID+":role/"+sandbox.DefaultAdminRoleName, "test")
	dev := adm.assume(t, "arn:aws:iam::"+devID+":role/"+sandbox.DefaultAdminRoleName, "test")
	must(prod.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("kept")}))(t)
	must(prod.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("kept"), Key: aws.String("k"), Body: strings.NewReader("still here")}))(t)
	must(dev.iam.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("Developers")}))(t)
	must(dev.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}))(t)
	must(dev.iam.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("Developers"), UserName: aws.String("alice")}))(t)
	key := must(dev.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")}))(t)
	// A function and its policy (the gateway keeps the policy).
	must(prod.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("kept-fn"), AssumeRolePolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}))(t)
	must(lambda.NewFromConfig(prod.cfg).CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("kept"), Runtime: lambdatypes.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Role: aws.String("arn:aws:iam::" + prodID + ":role/kept-fn"), Code: &lambdatypes.FunctionCode{ZipFile: tinyZip(t)}}))(t)
	must(lambda.NewFromConfig(prod.cfg).AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("kept"), StatementId: aws.String("dev"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String(devID)}))(t)
	adminKey, caFile := sb.AdminKey, sb.CAFile
	sb.Close()

	sb, err = startSandbox(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	if sb.AdminKey != adminKey || sb.CAFile != caFile {
		t.Errorf("admin key or CA changed across a restart: %s %s, was %s %s", sb.AdminKey, sb.CAFile, adminKey, caFile)
	}
	adm = adminOf(t, sb)
	prod = adm.assume(t, "arn:aws:iam::"+prodID+":role/"+sandbox.DefaultAdminRoleName, "test")
	dev = adm.assume(t, "arn:aws:iam::"+devID+":role/"+sandbox.DefaultAdminRoleName, "test")
	obj := must(prod.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("kept"), Key: aws.String("k")}))(t)
	body, _ := io.ReadAll(obj.Body)
	obj.Body.Close()
	if string(body) != "still here" {
		t.Errorf("object after restart = %q", body)
	}
	pol := must(lambda.NewFromConfig(prod.cfg).GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("kept")}))(t)
	if !strings.Contains(aws.ToString(pol.Policy), `"Principal":{"AWS":"arn:aws:iam::`+devID+`:root"}`) {
		t.Errorf("function policy after restart = %s", aws.ToString(pol.Policy))
	}
	grp := must(dev.iam.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("Developers")}))(t)
	if len(grp.Users) != 1 {
		t.Errorf("group members after restart = %d, want 1", len(grp.Users))
	}
	alice := newClient(t, sb, sb.URL, aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), "")
	if _, err := alice.iam.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("alice")}); errorCode(err) != "AccessDenied" {
		t.Errorf("alice's key after restart: got %v, want AccessDenied (known key, no permission)", err)
	}
}
