package sandbox

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestDataDirKeepsStateAcrossRestarts(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	opts := Options{
		Accounts: []Account{{Name: "development", ID: devID}, {Name: "production", ID: prodID}, {Name: "reporting", ID: repID}},
		Listen:   "127.0.0.1:0",
		DataDir:  dir,
	}
	sb, err := Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	adm := newClient(t, sb, sb.URL, sb.AdminKey, sb.AdminSecret, "")
	prod := adm.assumeIn(t, sb, "arn:aws:iam::"+prodID+":role/"+DefaultAdminRoleName)
	dev := adm.assumeIn(t, sb, "arn:aws:iam::"+devID+":role/"+DefaultAdminRoleName)
	must(prod.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("kept")}))(t)
	must(prod.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("kept"), Key: aws.String("k"), Body: strings.NewReader("still here")}))(t)
	must(dev.iam.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("Developers")}))(t)
	must(dev.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}))(t)
	must(dev.iam.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("Developers"), UserName: aws.String("alice")}))(t)
	key := must(dev.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")}))(t)
	adminKey, caFile := sb.AdminKey, sb.CAFile
	sb.Close()

	sb, err = Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	if sb.AdminKey != adminKey || sb.CAFile != caFile {
		t.Errorf("admin key or CA changed across a restart: %s %s, was %s %s", sb.AdminKey, sb.CAFile, adminKey, caFile)
	}
	adm = newClient(t, sb, sb.URL, sb.AdminKey, sb.AdminSecret, "")
	prod = adm.assumeIn(t, sb, "arn:aws:iam::"+prodID+":role/"+DefaultAdminRoleName)
	dev = adm.assumeIn(t, sb, "arn:aws:iam::"+devID+":role/"+DefaultAdminRoleName)
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
