package e2e

import (
	"bytes"
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/xacct/xacct/internal/sandbox"
)

// TestInvokeAtAnyTimeAndLogsToTheLogGroup: a function no S3 event has
// started answers a synchronous Invoke and runs an asynchronous one (Event:
// 202, then the record appears), and Lambda's START/END/REPORT lines reach
// its log group /aws/lambda/<name>, written with the execution role's
// permission; a function whose role may not write logs leaves no group.
func TestInvokeAtAnyTimeAndLogsToTheLogGroup(t *testing.T) {
	t.Parallel() // nothing it checks depends on what other tests do at the same time
	ctx := context.Background()
	prod, rep := orgAdmin(t, prodID), orgAdmin(t, repID)
	p := setupPattern(t, runtime.GOARCH, false)
	group := "/aws/lambda/" + p.fn
	must(prod.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(p.execRole), PolicyName: aws.String("logs"), PolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogGroup","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"arn:aws:logs:*:` + prodID + `:log-group:` + group + `:*"}]}`)}))(t)
	lc, logs := lambdaClients(t)

	out := must(lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(p.fn), Payload: []byte(`{"Records":[]}`)}))(t)
	if out.StatusCode != 200 || out.FunctionError != nil {
		t.Fatalf("sync invoke: %d %s %s", out.StatusCode, aws.ToString(out.FunctionError), out.Payload)
	}

	event := `{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"` + p.src + `"},"object":{"key":"async.txt","size":1}}}]}`
	out = must(lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(p.fn), InvocationType: lambdatypes.InvocationTypeEvent, Payload: []byte(event)}))(t)
	if out.StatusCode != 202 {
		t.Fatalf("async invoke: status %d, want 202", out.StatusCode)
	}
	recKey := "metadata/" + p.src + "/async.txt.json"
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		_, err := rep.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(p.report), Key: aws.String(recKey)})
		if err == nil {
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("the Event invocation wrote no %s: %v\nsandbox log:\n%s", recKey, err, sandboxLog)
		}
	}

	want := []string{"START RequestId: ", "END RequestId: ", "REPORT RequestId: "}
	for start := time.Now(); ; time.Sleep(100 * time.Millisecond) {
		ev, err := logs.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(group)})
		var text strings.Builder
		if err == nil {
			for _, e := range ev.Events {
				text.WriteString(aws.ToString(e.Message) + "\n")
			}
		}
		if err == nil && strings.Count(text.String(), want[0]) >= 2 && strings.Count(text.String(), want[2]) >= 2 && strings.Contains(text.String(), want[1]) {
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("log group %s: %v\n%s", group, err, text.String())
		}
	}

	// Without the role's permission nothing reaches CloudWatch Logs.
	q := setupPattern(t, runtime.GOARCH, false)
	out = must(lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(q.fn), Payload: []byte(`{"Records":[]}`)}))(t)
	if out.FunctionError != nil {
		t.Fatalf("invoke: %s", out.Payload)
	}
	groups := must(logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/aws/lambda/" + q.fn)}))(t)
	if len(groups.LogGroups) != 0 {
		t.Errorf("a role with no logs permission got log group %s", aws.ToString(groups.LogGroups[0].LogGroupName))
	}

	// An unknown function is Lambda's own not-found, sync and async.
	for _, typ := range []lambdatypes.InvocationType{lambdatypes.InvocationTypeRequestResponse, lambdatypes.InvocationTypeEvent} {
		_, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(p.fn + "-absent"), InvocationType: typ})
		wantCode(t, err, "ResourceNotFoundException")
	}
}

// TestFunctionCodeFromS3IsReadWithTheCallersPermissions: code named by
// S3Bucket/S3Key is fetched as the caller, so a bucket of another account
// the caller may not read is refused (InvalidParameterValueException naming
// S3's AccessDenied) and no function is created from it.
func TestFunctionCodeFromS3IsReadWithTheCallersPermissions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	prod, rep := orgAdmin(t, prodID), orgAdmin(t, repID)
	bucket := uniq(t, "code")
	must(rep.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}))(t)
	must(rep.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("fn.zip"), Body: bytes.NewReader(functionZip(t, runtime.GOARCH))}))(t)
	lc := lambda.NewFromConfig(prod.cfg)
	fn := uniq(t, "stolen")
	_, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(fn), Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Role: aws.String("arn:aws:iam::" + prodID + ":role/" + sandbox.DefaultAdminRoleName), Code: &lambdatypes.FunctionCode{S3Bucket: aws.String(bucket), S3Key: aws.String("fn.zip")},
	})
	wantCode(t, err, "InvalidParameterValueException")
	if !strings.Contains(err.Error(), "AccessDenied") {
		t.Errorf("error %v does not name S3's AccessDenied", err)
	}
	_, err = lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)})
	wantCode(t, err, "ResourceNotFoundException")
}
