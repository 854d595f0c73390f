package e2e

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/xacct/xacct/internal/cli"
)

// TestVerifyFindsAnActionOutsideTheSample: an over-grant planted behind
// xacct's back with an action verify does not show by default
// (s3:DeleteObjectVersion: permanent deletion) is found and named; after
// apply puts the policy back, verify passes again.
func TestVerifyFindsAnActionOutsideTheSample(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "")
	e.mustRun("apply", "--auto-approve")
	prod := orgAdmin(t, prodID)
	role := e.stack + "-testers"
	pol := must(prod.iam.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String("s3-access")}))(t)
	doc := strings.Replace(decoded(t, aws.ToString(pol.PolicyDocument)), `"s3:GetObject"`, `"s3:GetObject","s3:DeleteObjectVersion"`, 1)
	must(prod.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String("s3-access"), PolicyDocument: aws.String(doc)}))(t)

	code, out, _ := e.run("verify")
	if code != cli.ExitMismatch || !strings.Contains(out, "s3:DeleteObjectVersion on arn:aws:s3:::"+e.stack+"-prod/*: intended deny, effective allow") ||
		!strings.Contains(out, "statement ObjectAccess (Allow)") {
		t.Fatalf("verify after the plant: exit %d\n%s", code, out)
	}
	e.mustRun("apply", "--auto-approve")
	if out := e.mustRun("verify"); !strings.Contains(out, "Verified.") {
		t.Errorf("verify after apply:\n%s", out)
	}
}

// decoded is a policy document as IAM returns it (URL-encoded), decoded.
func decoded(t *testing.T, doc string) string {
	t.Helper()
	s, err := url.QueryUnescape(doc)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestVerifyFindsAnAccountWideGrant: a bucket-policy statement letting the
// whole Development account read objects is found (its administrator
// reaches the data), and named with the deciding statement.
func TestVerifyFindsAnAccountWideGrant(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "")
	e.mustRun("apply", "--auto-approve")
	prod := orgAdmin(t, prodID)
	bucket := e.stack + "-prod"
	pol := must(prod.s3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)}))(t)
	grant := `{"Sid":"DevRead","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + devID + `:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::` + bucket + `/*"}`
	doc := strings.Replace(aws.ToString(pol.Policy), `"Statement":[`, `"Statement":[`+grant+`,`, 1)
	if doc == aws.ToString(pol.Policy) {
		t.Fatalf("no statement list in %s", doc)
	}
	must(prod.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(doc)}))(t)
	code, out, _ := e.run("verify")
	if code != cli.ExitMismatch || !strings.Contains(out, "administrator of the Development account s3:GetObject on arn:aws:s3:::"+bucket+"/*: intended deny, effective allow") ||
		!strings.Contains(out, "statement DevRead (Allow)") {
		t.Fatalf("verify after the grant: exit %d\n%s", code, out)
	}
}
