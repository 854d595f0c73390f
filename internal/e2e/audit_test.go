package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// auditReady guards the audit tests until the sandbox delivers trails
// (issue 19: the sandbox's CloudTrail, the log bucket and the trails are
// built in parallel with xacct audit). Once both are merged, delete this
// guard: the tests then run in make e2e like the others.
func auditReady(t *testing.T) {
	t.Helper()
	if os.Getenv("XACCT_E2E_AUDIT") == "" {
		t.Skip("the sandbox's CloudTrail is not merged yet: set XACCT_E2E_AUDIT=1 to run the audit tests")
	}
}

// auditLine is one line of audit --json.
type auditLine struct {
	Time time.Time `json:"time"`
	Who  struct {
		User string `json:"user"`
		Name string `json:"name"`
		Role string `json:"role"`
	} `json:"who"`
	Action   string          `json:"action"`
	Resource string          `json:"resource"`
	Result   string          `json:"result"`
	Record   json.RawMessage `json:"record"`
}

func (e *env) audit(t *testing.T, args ...string) []auditLine {
	t.Helper()
	code, out, errOut := e.run(append([]string{"audit", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("audit %v: exit %d\n%s", args, code, errOut)
	}
	var lines []auditLine
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var l auditLine
		if err := dec.Decode(&l); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
	}
	return lines
}

// TestAuditNamesWhoDidWhat: after apply, a developer's upload, a tester's
// refused upload and a role policy changed by hand appear in xacct audit
// within 10 s, each attributed to the right person; plan on the drift
// names who changed it; --validate passes, then fails naming the file
// after a log file is deleted and after one is edited.
func TestAuditNamesWhoDidWhat(t *testing.T) {
	auditReady(t)
	t.Parallel()
	ctx := context.Background()
	e, c := appliedEnv(t)
	dev := orgAdmin(t, devID)
	alice, bob := uniq(t, "alice"), uniq(t, "bob")
	devUser(t, dev, alice, "Developers")
	devUser(t, dev, bob, "Testers")
	roleARN := func(name string) string { return "arn:aws:iam::" + prodID + ":role/" + name }
	var devRole, testRole string
	for _, g := range c.Groups {
		if g.Key == "developers" {
			devRole = g.RoleName
		} else {
			testRole = g.RoleName
		}
	}
	key := "audit/" + alice + ".txt"
	if _, err := userSession(t, alice, roleARN(devRole)).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(c.Production.Bucket), Key: aws.String(key), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	_, err := userSession(t, bob, roleARN(testRole)).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(c.Production.Bucket), Key: aws.String("audit/" + bob + ".txt"), Body: strings.NewReader("x")})
	wantCode(t, err, "AccessDenied")
	// A role policy changed by hand, by the production admin.
	prod := orgAdmin(t, prodID)
	pol := must(prod.iam.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(testRole), PolicyName: aws.String("s3-access")}))(t)
	doc := strings.Replace(aws.ToString(pol.PolicyDocument), `"s3:GetObject"`, `"s3:DeleteObject","s3:GetObject"`, 1)
	must(prod.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(testRole), PolicyName: aws.String("s3-access"), PolicyDocument: aws.String(doc)}))(t)

	var lines []auditLine
	waitFor(t, 10*time.Second, "the upload, the refusal and the change in xacct audit", func() bool {
		lines = e.audit(t, "--since", "10m")
		var up, refused, changed bool
		for _, l := range lines {
			up = up || l.Action == "s3:PutObject" && l.Who.User == alice && strings.HasSuffix(l.Resource, key) && l.Result == "ok"
			refused = refused || l.Action == "s3:PutObject" && l.Who.User == bob && l.Result == "AccessDenied"
			changed = changed || l.Action == "iam:PutRolePolicy" && strings.Contains(l.Resource, testRole) && l.Result == "ok"
		}
		return up && refused && changed
	})
	if got := e.audit(t, "--since", "10m", "--who", alice, "--action", "s3:Put*"); len(got) != 1 {
		t.Errorf("--who %s --action s3:Put*: %d entries, want 1", alice, len(got))
	}
	if got := e.audit(t, "--since", "10m", "--changes"); len(got) == 0 {
		t.Error("--changes: the role policy changed by hand is not there")
	}
	// plan names who changed it.
	_, out, _ := e.run("plan")
	if !strings.Contains(out, "# changed outside xacct by") {
		t.Errorf("plan does not name who changed the role policy:\n%s", out)
	}
	// --validate: passes, then names a deleted and an edited file. The
	// sandbox signs a digest every few seconds (its flag), so wait for
	// one that covers the upload.
	waitFor(t, 30*time.Second, "audit --validate to pass with the upload digested", func() bool {
		code, out, _ := e.run("audit", "--since", "10m", "--validate")
		return code == 0 && !strings.Contains(out, "No digest files")
	})
	logs := orgAdmin(t, repID).s3
	var files []string
	p := s3.NewListObjectsV2Paginator(logs, &s3.ListObjectsV2Input{Bucket: aws.String(c.Reporting.Logs.Bucket), Prefix: aws.String("AWSLogs/" + prodID + "/CloudTrail/")})
	for p.HasMorePages() {
		for _, o := range must(p.NextPage(ctx))(t).Contents {
			files = append(files, aws.ToString(o.Key))
		}
	}
	if len(files) < 2 {
		t.Fatalf("%d log files in Production's prefix, want at least 2", len(files))
	}
	must(logs.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(c.Reporting.Logs.Bucket), Key: aws.String(files[0])}))(t)
	must(logs.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(c.Reporting.Logs.Bucket), Key: aws.String(files[1]), Body: bytes.NewReader([]byte("edited"))}))(t)
	code, out, _ := e.run("audit", "--since", "10m", "--validate")
	if code != 3 || !strings.Contains(out, files[0]) || !strings.Contains(out, files[1]) {
		t.Errorf("audit --validate after a deletion and an edit: exit %d, want 3 naming both files:\n%s", code, out)
	}
}
