package e2e

import (
	"bytes"
	"compress/gzip"
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
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, logsOn)
	e.mustRun("apply", "--auto-approve")
	c := e.loadConfig()
	dev := orgAdmin(t, devID)
	alice, bob := uniq(t, "alice"), uniq(t, "bob")
	roleARN := func(name string) string { return "arn:aws:iam::" + prodID + ":role/" + name }
	var devRole, testRole string
	for _, g := range c.Groups {
		if g.Key == "developers" {
			devRole = g.RoleName
			devUser(t, dev, alice, g.GroupName)
		} else {
			testRole = g.RoleName
			devUser(t, dev, bob, g.GroupName)
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
	// Two log files of Production's that a digest lists: one deleted, then
	// one edited, each named by --validate.
	logs := orgAdmin(t, repID).s3
	var files []string
	waitFor(t, 30*time.Second, "two of Production's log files in a digest", func() bool {
		files = digestedLogFiles(t, logs, c.Reporting.Logs.Bucket, prodID)
		return len(files) >= 2
	})
	must(logs.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(c.Reporting.Logs.Bucket), Key: aws.String(files[0])}))(t)
	code, out, _ := e.run("audit", "--since", "10m", "--validate")
	if code != 3 || !strings.Contains(out, files[0]) || !strings.Contains(out, "log file missing") {
		t.Errorf("audit --validate after a deletion: exit %d, want 3 naming %s:\n%s", code, files[0], out)
	}
	must(logs.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(c.Reporting.Logs.Bucket), Key: aws.String(files[1]), Body: bytes.NewReader([]byte("edited"))}))(t)
	code, out, _ = e.run("audit", "--since", "10m", "--validate")
	if code != 3 || !strings.Contains(out, files[1]) {
		t.Errorf("audit --validate after an edit: exit %d, want 3 naming %s:\n%s", code, files[1], out)
	}
}

// digestedLogFiles are the log files of an account that the digest files
// in the log bucket list, oldest first.
func digestedLogFiles(t *testing.T, logs *s3.Client, bucket, account string) []string {
	t.Helper()
	ctx := context.Background()
	var files []string
	p := s3.NewListObjectsV2Paginator(logs, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("AWSLogs/" + account + "/CloudTrail-Digest/")})
	for p.HasMorePages() {
		for _, o := range must(p.NextPage(ctx))(t).Contents {
			obj := must(logs.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: o.Key}))(t)
			zr, err := gzip.NewReader(obj.Body)
			if err != nil {
				t.Fatalf("digest %s: %v", aws.ToString(o.Key), err)
			}
			var d struct {
				LogFiles []struct {
					S3Object string `json:"s3Object"`
				} `json:"logFiles"`
			}
			if err := json.NewDecoder(zr).Decode(&d); err != nil {
				t.Fatalf("digest %s: %v", aws.ToString(o.Key), err)
			}
			obj.Body.Close()
			for _, f := range d.LogFiles {
				files = append(files, f.S3Object)
			}
		}
	}
	return files
}

// TestLogsUpgradeAndDestroy: a stack applied without the logs takes them
// on in place (only additions and in-place updates), and destroy keeps the
// log bucket that holds logs, with its policy, and says so.
func TestLogsUpgradeAndDestroy(t *testing.T) {
	t.Parallel()
	e := newEnv(t, logsOn)
	yaml, err := os.ReadFile(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	plain := "reporting: { bucket: " + e.stack + "-reporting }"
	e.write(strings.Replace(string(yaml), plain, "reporting: { bucket: "+e.stack+"-reporting, logs: { enabled: false } }", 1))
	e.mustRun("apply", "--auto-approve")
	e.write(string(yaml))
	var p struct {
		Changes []struct {
			Address string `json:"address"`
			Action  string `json:"action"`
		} `json:"changes"`
	}
	if err := json.Unmarshal([]byte(e.mustRun("plan", "--json")), &p); err != nil {
		t.Fatal(err)
	}
	created := 0
	for _, c := range p.Changes {
		switch c.Action {
		case "create":
			created++
		case "update":
		default:
			t.Errorf("turning the logs on: %s %s, want only creates and in-place updates", c.Action, c.Address)
		}
	}
	if created != 5 {
		t.Errorf("turning the logs on creates %d resources, want 5 (the log bucket, its policy, three trails): %+v", created, p.Changes)
	}
	e.mustRun("apply", "--auto-approve")
	c := e.loadConfig()
	logs := orgAdmin(t, repID).s3
	waitFor(t, 10*time.Second, "a log file in the log bucket", func() bool {
		out, err := logs.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(c.Reporting.Logs.Bucket), Prefix: aws.String("AWSLogs/")})
		return err == nil && len(out.Contents) > 0
	})
	out := e.mustRun("destroy", "--auto-approve")
	if !strings.Contains(out, "reporting/s3_bucket/"+c.Reporting.Logs.Bucket+" will be kept") {
		t.Errorf("destroy does not say it keeps the log bucket:\n%s", out)
	}
	if _, err := logs.HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: aws.String(c.Reporting.Logs.Bucket)}); err != nil {
		t.Errorf("the log bucket is gone after destroy: %v", err)
	}
	if _, err := logs.GetBucketPolicy(context.Background(), &s3.GetBucketPolicyInput{Bucket: aws.String(c.Reporting.Logs.Bucket)}); err != nil {
		t.Errorf("the log bucket's policy is gone after destroy: %v", err)
	}
	if list := e.mustRun("state", "list"); strings.Contains(list, "s3_bucket") {
		t.Errorf("the state still holds buckets after destroy:\n%s", list)
	}
}
