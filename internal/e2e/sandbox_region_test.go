package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/xacct/xacct/internal/cli"
	"github.com/xacct/xacct/internal/sandbox"
	"github.com/xacct/xacct/lambda/processor"
)

// TestThePatternInAnotherRegion runs the whole pattern in eu-west-1, the way
// `xacct sandbox -c` serves a config whose region is eu-west-1: a sandbox of
// its own in that region, apply, a developer's upload becomes a metadata
// record in Reporting, the next plan is empty, destroy.
func TestThePatternInAnotherRegion(t *testing.T) {
	t.Parallel() // nothing it checks depends on what other tests do at the same time
	ctx := context.Background()
	const region = "eu-west-1"
	sb, err := startSandbox(ctx, sandbox.Options{Accounts: threeAccounts(), Region: region, Listen: "127.0.0.1:0", Logf: sandboxLog.logf})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	e := newEnv(t, "")
	alice := e.stack + "-alice"
	orgAdminOf := func(account string) *client {
		return adminOf(t, sb).assume(t, "arn:aws:iam::"+account+":role/"+sandbox.DefaultAdminRoleName, "test-admin")
	}
	dev := orgAdminOf(devID)
	must(dev.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(alice)}))(t)
	yaml, _ := os.ReadFile(e.cfg)
	e.write(strings.NewReplacer(
		"region: us-east-1", "region: "+region,
		shared.URL, sb.URL,
		"developers: { group_name: "+e.stack+"-Developers }", "developers: { group_name: "+e.stack+"-Developers, members: ["+alice+"] }",
	).Replace(string(yaml)))
	c := e.loadConfig()
	if c.Region != region {
		t.Fatalf("config region %q", c.Region)
	}
	run := func(args ...string) (int, string) {
		var out bytes.Buffer
		f := &cli.Factory{
			IO: &cli.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &out},
			AWS: func(context.Context, string) (aws.Config, error) {
				return aws.Config{Region: region, Credentials: credentials.NewStaticCredentialsProvider(sb.AdminKey, sb.AdminSecret, ""),
					HTTPClient: &http.Client{Transport: transport(t, sb)}}, nil
			},
			Now: time.Now,
		}
		return cli.Run(f, append(args, "-c", e.cfg)), out.String()
	}
	start := time.Now()
	if code, out := run("apply", "--auto-approve"); code != cli.ExitOK {
		t.Fatalf("apply in %s: exit %d\n%s", region, code, out)
	}
	t.Logf("apply in %s took %v", region, time.Since(start).Round(time.Millisecond))

	up := userKey(t, dev, alice).assume(t, "arn:aws:iam::"+prodID+":role/"+e.stack+"-developers", alice).s3
	key := "reports/eu.csv"
	put, err := up.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(c.Production.Bucket), Key: aws.String(key), Body: strings.NewReader("a,b\n")})
	if err != nil {
		t.Fatalf("developer upload: %v", err)
	}
	rep := orgAdminOf(repID)
	recKey := processor.RecordKey(c.Reporting.Prefix, c.Production.Bucket, key, aws.ToString(put.VersionId))
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		obj, err := rep.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(c.Reporting.Bucket), Key: aws.String(recKey)})
		if err == nil {
			var rec processor.Record
			b, _ := io.ReadAll(obj.Body)
			obj.Body.Close()
			if err := json.Unmarshal(b, &rec); err != nil || rec.Source.Key != key {
				t.Fatalf("record %s: %v", b, err)
			}
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("no record %s after 10s: %v\nsandbox log:\n%s", recKey, err, sandboxLog)
		}
	}
	// The processor's own output is in its log group, as `aws logs tail`
	// would show it.
	logs := cloudwatchlogs.NewFromConfig(orgAdminOf(prodID).cfg)
	group := "/aws/lambda/" + c.Production.Processor.FunctionName
	for start := time.Now(); ; time.Sleep(100 * time.Millisecond) {
		ev, err := logs.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(group)})
		var text strings.Builder
		if err == nil {
			for _, e := range ev.Events {
				text.WriteString(aws.ToString(e.Message) + "\n")
			}
		}
		if strings.Contains(text.String(), "record written") && strings.Contains(text.String(), "REPORT RequestId: ") {
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("log group %s: %v\n%s", group, err, text.String())
		}
	}
	if code, out := run("plan", "--detailed-exitcode"); code != cli.ExitOK {
		t.Fatalf("plan after apply in %s: exit %d\n%s", region, code, out)
	}
	if code, out := run("destroy", "--auto-approve", "--force-delete-data"); code != cli.ExitOK {
		t.Fatalf("destroy in %s: exit %d\n%s", region, code, out)
	}
	if code, out := run("plan", "--detailed-exitcode"); code != cli.ExitChanges || !strings.Contains(out, "0 to change, 0 to destroy") {
		t.Fatalf("plan after destroy: exit %d\n%s", code, out)
	}
}
