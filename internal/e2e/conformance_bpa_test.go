package e2e

// S3 Block Public Access against real clients: the AWS CLI 2.9 and boto3
// (conformance_test.go), with the outcomes AWS documents. What "public"
// means is iampolicy.Statement.IsPublic (docs/block-public-access.md). The
// setup goes through the SDK: each real client's start costs seconds.

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/smithy-go"

	"github.com/xacct/xacct/internal/awsacct"
	"github.com/xacct/xacct/internal/sandbox"
)

// publicRead is a bucket policy S3 calls public: GetObject to everyone.
func publicRead(bucket string) string {
	return `{"Version":"2012-10-17","Statement":[{"Sid":"Anyone","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + bucket + `/*"}]}`
}

// orgRead is the same grant limited to one organization by a fixed
// aws:PrincipalOrgID: not public.
func orgRead(bucket string) string {
	return `{"Version":"2012-10-17","Statement":[{"Sid":"Org","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + bucket + `/*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-xacct12345"}}}]}`
}

// bpa is a bucket's four settings, in the order of their names.
type bpa struct{ acls, ignore, policy, restrict bool }

// bpaBucket makes a bucket of c's account with the given settings, holding
// doc.txt.
func bpaBucket(t *testing.T, c *client, prefix string, set bpa) string {
	t.Helper()
	ctx := context.Background()
	b := uniq(t, prefix)
	must(c.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}))(t)
	must(c.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("doc.txt"), Body: strings.NewReader("data")}))(t)
	putBPA(t, c, b, set)
	return b
}

func putBPA(t *testing.T, c *client, bucket string, set bpa) {
	t.Helper()
	must(c.s3.PutPublicAccessBlock(context.Background(), &s3.PutPublicAccessBlockInput{Bucket: aws.String(bucket),
		PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{BlockPublicAcls: aws.Bool(set.acls),
			IgnorePublicAcls: aws.Bool(set.ignore), BlockPublicPolicy: aws.Bool(set.policy), RestrictPublicBuckets: aws.Bool(set.restrict)}}))(t)
}

func putPolicy(t *testing.T, c *client, bucket, doc string) {
	t.Helper()
	must(c.s3.PutBucketPolicy(context.Background(), &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(doc)}))(t)
}

// outcome is err's AWS error code, its text when it has none, "" for nil.
func outcome(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

func TestConformanceBlockPublicAccess(t *testing.T) {
	needRealClients(t)
	t.Parallel()
	prod := orgAdmin(t, prodID)
	id := identityOf(t, prod)

	t.Run("BlockPublicPolicy refuses a public policy, not an org-limited one; off, accepts it", func(t *testing.T) {
		t.Parallel()
		bucket := bpaBucket(t, prod, "bpa-policy", bpa{policy: true})
		awsFails(t, id, "AccessDenied", "s3api", "put-bucket-policy", "--bucket", bucket, "--policy", publicRead(bucket))
		var org struct{ Error string }
		boto3(t, id, &org, "put-bucket-policy", bucket, orgRead(bucket))
		if org.Error != "" {
			t.Errorf("boto3 put_bucket_policy of an org-limited policy under BlockPublicPolicy: %s", org.Error)
		}
		putBPA(t, prod, bucket, bpa{})
		var public struct{ Error string }
		boto3(t, id, &public, "put-bucket-policy", bucket, publicRead(bucket))
		if public.Error != "" {
			t.Errorf("boto3 put_bucket_policy of a public policy without BlockPublicPolicy: %s", public.Error)
		}
		// Turning the setting on keeps the policy in place, as on AWS.
		putBPA(t, prod, bucket, bpa{policy: true})
		got := must(prod.s3.GetBucketPolicy(context.Background(), &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)}))(t)
		if !strings.Contains(aws.ToString(got.Policy), "Anyone") {
			t.Errorf("the public policy is gone once BlockPublicPolicy is on: %s", aws.ToString(got.Policy))
		}
	})

	t.Run("RestrictPublicBuckets refuses anonymous and other accounts, not the owner's", func(t *testing.T) {
		t.Parallel()
		bucket := bpaBucket(t, prod, "bpa-restrict", bpa{})
		// Anyone may read; the Development account is also named.
		named := `{"Sid":"Dev","Effect":"Allow","Principal":{"AWS":"` + devID + `"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::` + bucket + `/*"}`
		putPolicy(t, prod, bucket, strings.Replace(publicRead(bucket), "}]}", "},"+named+"]}", 1))
		anon := []string{"s3api", "get-object", "--bucket", bucket, "--key", "doc.txt", filepath.Join(t.TempDir(), "doc.txt"), "--no-sign-request"}
		awsOK(t, identity{}, anon...)
		dev := orgAdmin(t, devID)
		get := func(c *client) string {
			_, err := c.s3.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("doc.txt")})
			return outcome(err)
		}
		if code := get(dev); code != "" {
			t.Fatalf("Development, named by the policy, before RestrictPublicBuckets: %s", code)
		}

		putBPA(t, prod, bucket, bpa{restrict: true})
		awsFails(t, identity{}, "AccessDenied", anon...)
		if code := get(dev); code != "AccessDenied" {
			t.Errorf("Development named by a public policy under RestrictPublicBuckets: %q, want AccessDenied", code)
		}
		if code := get(prod); code != "" {
			t.Errorf("the owner account under RestrictPublicBuckets: %s", code)
		}
		// Without the public statement the policy is not public: the account
		// it names reads again, and anonymous callers get nothing anyway.
		putPolicy(t, prod, bucket, `{"Version":"2012-10-17","Statement":[`+named+`]}`)
		if code := get(dev); code != "" {
			t.Errorf("Development named by a non-public policy under RestrictPublicBuckets: %s", code)
		}
	})

	t.Run("BlockPublicAcls refuses a public ACL, not a private one", func(t *testing.T) {
		t.Parallel()
		bucket := bpaBucket(t, prod, "bpa-acl", bpa{acls: true})
		awsFails(t, id, "AccessDenied", "s3api", "put-object", "--bucket", bucket, "--key", "f.txt", "--acl", "public-read")
		ctx := context.Background()
		for name, err := range map[string]error{
			"PutObject with a grant to AllUsers": second(prod.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("g.txt"),
				GrantRead: aws.String("uri=http://acs.amazonaws.com/groups/global/AllUsers")})),
			"PutObjectAcl public-read":        second(prod.s3.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: aws.String(bucket), Key: aws.String("doc.txt"), ACL: s3types.ObjectCannedACLPublicRead})),
			"PutBucketAcl authenticated-read": second(prod.s3.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String(bucket), ACL: s3types.BucketCannedACLAuthenticatedRead})),
		} {
			if code := outcome(err); code != "AccessDenied" {
				t.Errorf("%s under BlockPublicAcls: %q, want AccessDenied", name, code)
			}
		}
		awsOK(t, id, "s3api", "put-object", "--bucket", bucket, "--key", "f.txt", "--acl", "private")
		putBPA(t, prod, bucket, bpa{})
		awsOK(t, id, "s3api", "put-object", "--bucket", bucket, "--key", "f.txt", "--acl", "public-read")
	})
}

// second is a call's error.
func second[T any](_ T, err error) error { return err }

// runOn runs a real client against sb, a sandbox of the test's own: the AWS
// CLI (name "aws") or the boto3 script (name "boto3").
func runOn(t *testing.T, sb *sandbox.Sandbox, id identity, name string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.Command(python3, append([]string{filepath.Join("testdata", "conformance", "boto3_client.py")}, args...)...)
	if name == "aws" {
		cmd = exec.Command(awsCLI, append([]string{"--endpoint-url", sb.URL, "--output", "json"}, args...)...)
	}
	cmd.Env = clientEnv(t, id)
	for i, kv := range cmd.Env {
		switch {
		case strings.HasPrefix(kv, "AWS_ENDPOINT_URL="):
			cmd.Env[i] = "AWS_ENDPOINT_URL=" + sb.URL
		case strings.HasPrefix(kv, "AWS_CA_BUNDLE="):
			cmd.Env[i] = "AWS_CA_BUNDLE=" + sb.CAFile
		}
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

// TestConformanceAccountPublicAccessBlock: the account's settings (S3
// Control's PutPublicAccessBlock, through boto3) apply to every bucket of
// the account whatever the bucket's own say, and only to that account. A
// sandbox of its own: account-wide settings would reach the other tests'
// buckets.
func TestConformanceAccountPublicAccessBlock(t *testing.T) {
	needRealClients(t)
	t.Parallel()
	sb := ownSandbox(t)
	prod := adminOf(t, sb).assume(t, "arn:aws:iam::"+prodID+":role/"+sandbox.DefaultAdminRoleName, "bpa")
	id := identityOf(t, prod)
	run := func(who identity, name string, args ...string) string {
		t.Helper()
		out, stderr, err := runOn(t, sb, who, name, args...)
		if err != nil {
			return stderr
		}
		return out
	}
	bucket := bpaBucket(t, prod, "bpa-account", bpa{}) // the bucket's own settings allow everything
	putPolicy(t, prod, bucket, publicRead(bucket))
	anon := []string{"s3api", "get-object", "--bucket", bucket, "--key", "doc.txt", filepath.Join(t.TempDir(), "doc.txt"), "--no-sign-request"}

	if got := run(id, "boto3", "account-bpa", "get", prodID); !strings.Contains(got, "NoSuchPublicAccessBlockConfiguration") {
		t.Errorf("boto3 get_public_access_block before any was put: %s", got)
	}
	if got := run(id, "boto3", "account-bpa", "put", prodID, "BlockPublicAcls=false", "IgnorePublicAcls=false", "BlockPublicPolicy=true", "RestrictPublicBuckets=true"); got != "{}" {
		t.Fatalf("boto3 put_public_access_block: %s", got)
	}
	sc := awsacct.S3Control(prod.cfg)
	ctx := context.Background()
	got := must(sc.GetPublicAccessBlock(ctx, &s3control.GetPublicAccessBlockInput{AccountId: aws.String(prodID)}))(t).PublicAccessBlockConfiguration
	if !aws.ToBool(got.BlockPublicPolicy) || !aws.ToBool(got.RestrictPublicBuckets) || aws.ToBool(got.BlockPublicAcls) || aws.ToBool(got.IgnorePublicAcls) {
		t.Errorf("account settings read back: %+v", *got)
	}
	if got := run(identity{}, "aws", anon...); !strings.Contains(got, "(AccessDenied)") {
		t.Errorf("anonymous get-object under the account's RestrictPublicBuckets: %s", got)
	}
	if code := outcome(second(prod.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(publicRead(bucket))}))); code != "AccessDenied" {
		t.Errorf("a public policy under the account's BlockPublicPolicy: %q, want AccessDenied", code)
	}
	// Another account's settings are its own.
	dev := adminOf(t, sb).assume(t, "arn:aws:iam::"+devID+":role/"+sandbox.DefaultAdminRoleName, "bpa")
	_, err := awsacct.S3Control(dev.cfg).GetPublicAccessBlock(ctx, &s3control.GetPublicAccessBlockInput{AccountId: aws.String(devID)})
	if code := outcome(err); code != "NoSuchPublicAccessBlockConfiguration" {
		t.Errorf("Development's account settings: %q, want NoSuchPublicAccessBlockConfiguration", code)
	}

	must(sc.DeletePublicAccessBlock(ctx, &s3control.DeletePublicAccessBlockInput{AccountId: aws.String(prodID)}))(t)
	if got := run(identity{}, "aws", anon...); !strings.Contains(got, `"ContentLength": 4`) {
		t.Errorf("anonymous get-object once the account's settings are deleted: %s", got)
	}
}
