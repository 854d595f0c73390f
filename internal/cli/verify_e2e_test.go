package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/xacct/xacct/internal/stack"
)

func TestVerifyDeployedAndRendered(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "")
	// Offline, before anything exists: the templates match the intent.
	code, out, errOut := e.run("verify", "--rendered")
	if code != ExitOK || !strings.Contains(out, "Verified.") {
		t.Fatalf("verify --rendered: exit %d\n%s%s", code, out, errOut)
	}
	if n := e.calls.n.Load(); n != 0 {
		t.Errorf("verify --rendered made %d AWS calls", n)
	}
	// Nothing deployed: the intended grants are missing.
	if code, _, _ := e.run("verify"); code != ExitMismatch {
		t.Errorf("verify before apply: exit %d, want 3", code)
	}
	e.mustRun("apply", "--auto-approve")
	if code, out, errOut := e.run("verify"); code != ExitOK {
		t.Fatalf("verify after apply: exit %d\n%s%s", code, out, errOut)
	}
	// Testers given s3:PutObject behind xacct's back.
	c := e.loadConfig()
	piam, _ := admin(t, "222222222222")
	tester := c.Groups[1].RoleName
	doc := `{"Version":"2012-10-17","Statement":[{"Sid":"ObjectAccess","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::` + c.Production.Bucket + `/*"},` +
		`{"Sid":"BucketAccess","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::` + c.Production.Bucket + `"}]}`
	if _, err := piam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(tester), PolicyName: aws.String(stack.RolePolicyName), PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	code, out, _ = e.run("verify")
	want := "decided by production/iam_role_policy/" + tester + "/" + stack.RolePolicyName + " statement ObjectAccess (Allow)"
	if code != ExitMismatch || !strings.Contains(out, c.Groups[1].GroupName+" member via "+tester+" s3:PutObject on arn:aws:s3:::"+c.Production.Bucket+"/*: intended deny, effective allow") || !strings.Contains(out, want) {
		t.Fatalf("verify after drift: exit %d\n%s", code, out)
	}
	code, out, _ = e.run("verify", "--json")
	if code != ExitMismatch || !strings.Contains(out, `"ok": false`) {
		t.Errorf("verify --json after drift: exit %d\n%s", code, out)
	}
}
