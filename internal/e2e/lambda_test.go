package e2e

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/xacct/xacct/internal/cli"
	"github.com/xacct/xacct/lambda/artifact"
	"github.com/xacct/xacct/lambda/processor"
)

func TestProcessorWritesARecordForEachDeveloperUpload(t *testing.T) {
	t.Parallel() // nothing it checks depends on what other tests do at the same time
	ctx := context.Background()
	devAdmin := orgAdmin(t, "111111111111")
	e := newEnv(t, "")
	alice, bob := e.stack+"-alice", e.stack+"-bob"
	for _, u := range []string{alice, bob} {
		if _, err := devAdmin.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(u)}); err != nil {
			t.Fatal(err)
		}
	}
	yaml, _ := os.ReadFile(e.cfg)
	e.write(strings.NewReplacer(
		"developers: { group_name: "+e.stack+"-Developers }", "developers: { group_name: "+e.stack+"-Developers, members: ["+alice+"] }",
		"testers: { group_name: "+e.stack+"-Testers }", "testers: { group_name: "+e.stack+"-Testers, members: ["+bob+"] }",
	).Replace(string(yaml)))
	e.mustRun("apply", "--auto-approve")
	c := e.loadConfig()
	repAdmin := orgAdmin(t, "333333333333")

	key := "reports/Q1 summary+final.csv"
	dev := userSession(t, alice, "arn:aws:iam::222222222222:role/"+e.stack+"-developers")
	start := time.Now()
	put, err := dev.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(c.Production.Bucket), Key: aws.String(key), Body: strings.NewReader("quarter,total\nQ1,42\n")})
	if err != nil {
		t.Fatalf("developer upload: %v", err)
	}
	recKey := processor.RecordKey(c.Reporting.Prefix, c.Production.Bucket, key, aws.ToString(put.VersionId))
	var rec processor.Record
	for {
		obj, err := repAdmin.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(c.Reporting.Bucket), Key: aws.String(recKey)})
		if err == nil {
			b, _ := io.ReadAll(obj.Body)
			obj.Body.Close()
			if err := json.Unmarshal(b, &rec); err != nil {
				t.Fatalf("record: %v\n%s", err, b)
			}
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("no record %s after 10s: %v\nsandbox log:\n%s", recKey, err, sandboxLog)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("record %s written %v after the upload", recKey, time.Since(start).Round(time.Millisecond))
	for _, line := range strings.Split(sandboxLog.String(), "\n") {
		if strings.Contains(line, c.Production.Processor.FunctionName+": cold start") || strings.Contains(line, c.Production.Processor.FunctionName+`: {"time"`) && strings.Contains(line, "init done") {
			t.Log(line)
		}
	}
	if rec.Source.Key != key || rec.Object == nil || rec.Object.Size != 20 || rec.Object.ETag != strings.Trim(aws.ToString(put.ETag), `"`) || rec.Status != "present" ||
		rec.Object.VersionID != aws.ToString(put.VersionId) || rec.Source.VersionID != aws.ToString(put.VersionId) || rec.Object.ServerSideEncryption != "AES256" {
		t.Errorf("record = %+v, object %+v; upload ETag %s", rec, rec.Object, aws.ToString(put.ETag))
	}

	tester := userSession(t, bob, "arn:aws:iam::222222222222:role/"+e.stack+"-testers")
	_, err = tester.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(c.Production.Bucket), Key: aws.String("reports/bob.csv"), Body: strings.NewReader("x")})
	if errorCode(err) != "AccessDenied" {
		t.Fatalf("tester upload: %v, want AccessDenied", err)
	}
	time.Sleep(time.Second)
	list, err := repAdmin.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(c.Reporting.Bucket), Prefix: aws.String(c.Reporting.Prefix + c.Production.Bucket + "/reports/bob.csv")})
	if err != nil || len(list.Contents) != 0 {
		t.Errorf("a denied upload produced records: %v %v", err, list.Contents)
	}

	// Only the handler changes: exactly one change, the function's code.
	changed, err := artifact.Build(ctx, "../..", hostArch, "-X main.version=changed")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.dir, "processor.zip"), changed, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := e.run("plan", "--detailed-exitcode")
	if code != cli.ExitChanges || !strings.Contains(out, "Plan: 0 to add, 1 to change, 0 to destroy.") ||
		!strings.Contains(out, "~ production/lambda_function/"+c.Production.Processor.FunctionName+"\n") ||
		!strings.Contains(out, "~ code_sha256") || strings.Count(out, "\n      ~ ") != 1 {
		t.Fatalf("plan after a handler change: exit %d\n%s%s", code, out, errOut)
	}
	e.mustRun("apply", "--auto-approve")
	if code, out, _ := e.run("plan", "--detailed-exitcode"); code != cli.ExitOK {
		t.Fatalf("plan after deploying the new code:\n%s", out)
	}

	e.mustRun("destroy", "--auto-approve", "--force-delete-data")
	prodAdmin := orgAdmin(t, "222222222222")
	lc, logs := lambdaClients(t)
	if _, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(c.Production.Processor.FunctionName)}); errorCode(err) != "ResourceNotFoundException" {
		t.Errorf("function after destroy: %v", err)
	}
	if _, err := lc.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(c.Production.Processor.FunctionName)}); err == nil {
		t.Errorf("permission left after destroy")
	}
	groups, _ := logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/aws/lambda/" + c.Production.Processor.FunctionName)})
	if groups != nil && len(groups.LogGroups) != 0 {
		t.Errorf("log group left after destroy")
	}
	for _, r := range []string{c.Production.Processor.FunctionName, e.stack + "-developers", e.stack + "-testers"} {
		if _, err := prodAdmin.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(r)}); err == nil {
			t.Errorf("role %s left after destroy", r)
		}
	}
}
