package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/xacct/xacct/internal/cli"
)

func TestAdoptExistingBucketAndRole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, "")
	c := e.loadConfig()
	prodAdmin := orgAdmin(t, "222222222222")
	role := c.Groups[0].RoleName
	if _, err := prodAdmin.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(c.Production.Bucket)}); err != nil {
		t.Fatal(err)
	}
	created, err := prodAdmin.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	bucketCreated := bucketDate(t, prodAdmin.s3, c.Production.Bucket)

	code, _, errOut := e.run("plan")
	if code != cli.ExitError || !strings.Contains(errOut, "production/s3_bucket/"+c.Production.Bucket+" already exists") || !strings.Contains(errOut, "xacct apply --adopt") {
		t.Fatalf("plan with hand-made resources: exit %d\n%s", code, errOut)
	}
	out := e.mustRun("apply", "--auto-approve", "--adopt")
	for _, want := range []string{"<= adopt production/s3_bucket/" + c.Production.Bucket + "\n", "<= adopt production/iam_role/" + role + "\n", "Plan: 2 to adopt, 23 to add"} {
		if !strings.Contains(out, want) {
			t.Errorf("apply --adopt output lacks %q:\n%s", want, out)
		}
	}
	got, err := prodAdmin.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role)})
	if err != nil {
		t.Fatal(err)
	}
	if !aws.ToTime(got.Role.CreateDate).Equal(aws.ToTime(created.Role.CreateDate)) || aws.ToString(got.Role.RoleId) != aws.ToString(created.Role.RoleId) {
		t.Errorf("the role was recreated")
	}
	if !bucketDate(t, prodAdmin.s3, c.Production.Bucket).Equal(bucketCreated) {
		t.Errorf("the bucket was recreated")
	}
	if code, out, _ := e.run("plan", "--detailed-exitcode"); code != cli.ExitOK {
		t.Fatalf("plan after adoption:\n%s", out)
	}
}

func TestImport(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "")
	c := e.loadConfig()
	repAdmin := orgAdmin(t, "333333333333")
	if _, err := repAdmin.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(c.Reporting.Bucket)}); err != nil {
		t.Fatal(err)
	}
	addr := "reporting/s3_bucket/" + c.Reporting.Bucket
	if code, _, errOut := e.run("import", addr, "other-name"); code != cli.ExitError || !strings.Contains(errOut, "does not match") {
		t.Errorf("import with a wrong ID: %d %s", code, errOut)
	}
	e.mustRun("import", addr, c.Reporting.Bucket)
	out := e.mustRun("plan")
	if !strings.Contains(out, "~ "+addr+"\n") || strings.Contains(out, "+ "+addr+"\n") {
		t.Errorf("plan after import does not update the bucket in place:\n%s", out)
	}
}

func bucketDate(t *testing.T, c *s3.Client, bucket string) time.Time {
	t.Helper()
	out, err := c.ListBuckets(context.Background(), &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range out.Buckets {
		if aws.ToString(b.Name) == bucket {
			return aws.ToTime(b.CreationDate)
		}
	}
	t.Fatalf("bucket %s not listed", bucket)
	return time.Time{}
}
