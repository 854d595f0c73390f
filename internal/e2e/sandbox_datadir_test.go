package e2e

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
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
	sb, err := sandbox.Start(ctx, opts)
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
	adminKey, caFile := sb.AdminKey, sb.CAFile
	sb.Close()

	sb, err = sandbox.Start(ctx, opts)
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
	grp := must(dev.iam.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("Developers")}))(t)
	if len(grp.Users) != 1 {
		t.Errorf("group members after restart = %d, want 1", len(grp.Users))
	}
	alice := newClient(t, sb, sb.URL, aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), "")
	if _, err := alice.iam.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("alice")}); errorCode(err) != "AccessDenied" {
		t.Errorf("alice's key after restart: got %v, want AccessDenied (known key, no permission)", err)
	}
}
