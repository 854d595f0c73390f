package e2e

import (
	"context"
	"encoding/json"
	"io"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/xacct/xacct/internal/sandbox"
)

// testfnMode sets the test function's TESTFN_MODE (see
// internal/sandbox/testfn), keeping its other variables.
func (p pattern) testfnMode(t *testing.T, lc *lambda.Client, mode string) {
	t.Helper()
	must(lc.UpdateFunctionConfiguration(context.Background(), &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(p.fn),
		Environment: &lambdatypes.Environment{Variables: map[string]string{
			"WRITER_ROLE_ARN": "arn:aws:iam::" + repID + ":role/" + p.writerRole, "REPORT_BUCKET": p.report, "TESTFN_MODE": mode}}}))(t)
}

// eventRecord is what the test function in "record" mode keeps of an S3
// event record.
type eventRecord struct {
	EventName string `json:"eventName"`
	S3        struct {
		Object map[string]any `json:"object"`
	} `json:"s3"`
}

// recordedEvents waits until the test function has recorded n events of
// bucket, and returns them in sequencer order.
func recordedEvents(t *testing.T, rep *client, p pattern, bucket string, n int) []eventRecord {
	t.Helper()
	ctx := context.Background()
	prefix := "metadata/events/" + bucket + "/"
	var keys []string
	for start := time.Now(); ; time.Sleep(100 * time.Millisecond) {
		out := must(rep.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(p.report), Prefix: aws.String(prefix)}))(t)
		keys = keys[:0]
		for _, o := range out.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
		if len(keys) >= n {
			break
		}
		if time.Since(start) > 20*time.Second {
			t.Fatalf("%d events of %s recorded after 20s, want %d: %v\nsandbox log:\n%s", len(keys), bucket, n, keys, sandboxLog)
		}
	}
	sort.Strings(keys) // sequencers of one length sort as they compare
	var evs []eventRecord
	for _, k := range keys {
		obj := must(rep.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(p.report), Key: aws.String(k)}))(t)
		b, _ := io.ReadAll(obj.Body)
		obj.Body.Close()
		var ev eventRecord
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatalf("%s: %v: %s", k, err, b)
		}
		evs = append(evs, ev)
	}
	return evs
}

// TestS3RemovalEventsReachTheFunction: DeleteObject without a version on a
// versioned bucket sends ObjectRemoved:DeleteMarkerCreated with the marker's
// version; with a version (an object's or a marker's), ObjectRemoved:Delete
// with that version; DeleteObjects one event per key deleted; an unversioned
// bucket's delete has no version. Removal events carry no size or eTag, and
// the sequencer orders a bucket's created and removed events as the
// requests were made.
func TestS3RemovalEventsReachTheFunction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	prod, rep := orgAdmin(t, prodID), orgAdmin(t, repID)
	p := setupPattern(t, runtime.GOARCH, true)
	lc := lambda.NewFromConfig(prod.cfg)
	p.testfnMode(t, lc, "record")
	plain := uniq(t, "plain")
	must(prod.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(plain)}))(t)
	must(lc.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String(p.fn), StatementId: aws.String("s3-plain"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("s3.amazonaws.com"),
		SourceArn: aws.String("arn:aws:s3:::" + plain), SourceAccount: aws.String(prodID)}))(t)
	must(prod.s3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(p.src),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}))(t)
	for _, b := range []string{p.src, plain} {
		must(prod.s3.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{Bucket: aws.String(b),
			NotificationConfiguration: &s3types.NotificationConfiguration{LambdaFunctionConfigurations: []s3types.LambdaFunctionConfiguration{{
				LambdaFunctionArn: aws.String(p.fnARN), Events: []s3types.Event{"s3:ObjectCreated:*", "s3:ObjectRemoved:*"},
			}}},
		}))(t)
	}

	put := func(bucket, key string) string {
		out := must(prod.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader("data")}))(t)
		return aws.ToString(out.VersionId)
	}
	v1 := put(p.src, "k1")
	del := must(prod.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(p.src), Key: aws.String("k1")}))(t)
	marker := aws.ToString(del.VersionId)
	if !aws.ToBool(del.DeleteMarker) || marker == "" {
		t.Fatalf("DeleteObject on a versioned bucket: delete marker %v, version %q", aws.ToBool(del.DeleteMarker), marker)
	}
	must(prod.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(p.src), Key: aws.String("k1"), VersionId: aws.String(v1)}))(t)
	must(prod.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(p.src), Key: aws.String("k1"), VersionId: aws.String(marker)}))(t)
	put(p.src, "k 2")
	v3 := put(p.src, "k3")
	dels := must(prod.s3.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(p.src), Delete: &s3types.Delete{Quiet: aws.Bool(true), Objects: []s3types.ObjectIdentifier{
		{Key: aws.String("k 2")}, {Key: aws.String("k3"), VersionId: aws.String(v3)},
	}}}))(t)
	if len(dels.Deleted) != 0 || len(dels.Errors) != 0 {
		t.Errorf("quiet DeleteObjects listed %d deleted, %d errors", len(dels.Deleted), len(dels.Errors))
	}
	put(plain, "p1")
	must(prod.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(plain), Key: aws.String("p1")}))(t)

	got := recordedEvents(t, rep, p, p.src, 8)
	want := []struct{ name, key, version string }{
		{"ObjectCreated:Put", "k1", v1},
		{"ObjectRemoved:DeleteMarkerCreated", "k1", marker},
		{"ObjectRemoved:Delete", "k1", v1},
		{"ObjectRemoved:Delete", "k1", marker},
		{"ObjectCreated:Put", "k+2", "*"},
		{"ObjectCreated:Put", "k3", v3},
		{"ObjectRemoved:DeleteMarkerCreated", "k+2", "*"},
		{"ObjectRemoved:Delete", "k3", v3},
	}
	if len(got) != len(want) {
		t.Fatalf("%d events, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		ev, obj := got[i], got[i].S3.Object
		v, _ := obj["versionId"].(string)
		if ev.EventName != w.name || obj["key"] != w.key || (w.version == "*" && v == "") || (w.version != "*" && v != w.version) {
			t.Errorf("event %d: %s %v %q, want %s %s %s", i, ev.EventName, obj["key"], v, w.name, w.key, w.version)
		}
		_, size := obj["size"]
		_, etag := obj["eTag"]
		if removed := strings.HasPrefix(ev.EventName, "ObjectRemoved:"); removed == size || removed == etag {
			t.Errorf("event %d (%s): size present %v, eTag present %v", i, ev.EventName, size, etag)
		}
	}
	if m := got[6].S3.Object["versionId"]; m == got[4].S3.Object["versionId"] {
		t.Errorf("the delete marker of k 2 has the version of the object it hides: %v", m)
	}

	plainEvents := recordedEvents(t, rep, p, plain, 2)
	if ev := plainEvents[1]; ev.EventName != "ObjectRemoved:Delete" || ev.S3.Object["key"] != "p1" || ev.S3.Object["versionId"] != nil {
		t.Errorf("unversioned delete: %+v", ev)
	}
}

// asyncDestination sets up the test function to fail every invocation, a
// destination bucket in Reporting whose policy lets the function's
// execution role (in Production) write Lambda's records and list it, and
// the role's own policy to do so, as the Developer Guide shows it.
func asyncDestination(t *testing.T) (p pattern, lc *lambda.Client, dest string) {
	t.Helper()
	return asyncDestinationOn(t, shared, false)
}

// asyncDestinationOn is asyncDestination in sb; permit lets S3 invoke the
// function for the pattern's source bucket.
func asyncDestinationOn(t *testing.T, sb *sandbox.Sandbox, permit bool) (p pattern, lc *lambda.Client, dest string) {
	t.Helper()
	ctx := context.Background()
	prod, rep := orgAdminOn(t, sb, prodID), orgAdminOn(t, sb, repID)
	p = setupPatternOn(t, sb, runtime.GOARCH, permit)
	lc = lambda.NewFromConfig(prod.cfg)
	p.testfnMode(t, lc, "fail")
	dest = uniq(t, "dlq")
	execARN := "arn:aws:iam::" + prodID + ":role/" + p.execRole
	must(rep.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(dest)}))(t)
	must(rep.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(dest), Policy: aws.String(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":"` + execARN + `"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::` + dest + `/aws/lambda/async/*"},
		{"Effect":"Allow","Principal":{"AWS":"` + execARN + `"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::` + dest + `"}]}`)}))(t)
	must(prod.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(p.execRole), PolicyName: aws.String("destination"), PolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:ListBucket"],"Resource":["arn:aws:s3:::*/*","arn:aws:s3:::*"],
		"Condition":{"StringEquals":{"s3:ResourceAccount":"` + repID + `"}}}]}`)}))(t)
	must(lc.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String(p.fn), MaximumRetryAttempts: aws.Int32(1),
		DestinationConfig: &lambdatypes.DestinationConfig{OnFailure: &lambdatypes.OnFailure{Destination: aws.String("arn:aws:s3:::" + dest)}}}))(t)
	return p, lc, dest
}

// failingEvent invokes the function asynchronously with an S3 event for key.
func failingEvent(t *testing.T, lc *lambda.Client, p pattern, key string) {
	t.Helper()
	event := `{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"` + p.src + `"},"object":{"key":"` + key + `","size":1}}}]}`
	out := must(lc.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String(p.fn), InvocationType: lambdatypes.InvocationTypeEvent, Payload: []byte(event)}))(t)
	if out.StatusCode != 202 {
		t.Fatalf("async invoke: status %d", out.StatusCode)
	}
}

// TestAsyncFailureGoesToS3Destination: an event that fails every attempt
// leaves one invocation record in the on-failure bucket, at Lambda's key,
// written as the execution role across accounts.
func TestAsyncFailureGoesToS3Destination(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rep := orgAdmin(t, repID)
	p, lc, dest := asyncDestination(t)

	cfg := must(lc.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String(p.fn)}))(t)
	if dc := cfg.DestinationConfig; dc == nil || dc.OnFailure == nil || aws.ToString(dc.OnFailure.Destination) != "arn:aws:s3:::"+dest || dc.OnSuccess == nil || dc.OnSuccess.Destination != nil {
		t.Errorf("DestinationConfig read back: %+v", cfg.DestinationConfig)
	}

	failingEvent(t, lc, p, "failed/obj.txt")
	prefix := "aws/lambda/async/" + p.fn + "/"
	var keys []string
	for start := time.Now(); len(keys) == 0; time.Sleep(100 * time.Millisecond) {
		out := must(rep.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(dest), Prefix: aws.String(prefix)}))(t)
		for _, o := range out.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
		if time.Since(start) > 20*time.Second {
			t.Fatalf("no record under s3://%s/%s after 20s\nsandbox log:\n%s", dest, prefix, sandboxLog)
		}
	}
	time.Sleep(time.Second) // no second record follows
	out := must(rep.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(dest)}))(t)
	if len(out.Contents) != 1 {
		t.Fatalf("%d objects in the destination, want 1", len(out.Contents))
	}
	keyRE := regexp.MustCompile(`^` + regexp.QuoteMeta(prefix) + `(\d{4})/(\d{2})/(\d{2})/(\d{4})-(\d{2})-(\d{2})T\d{2}\.\d{2}\.\d{2}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	m := keyRE.FindStringSubmatch(keys[0])
	if m == nil || m[1] != m[4] || m[2] != m[5] || m[3] != m[6] {
		t.Errorf("record key %s is not aws/lambda/async/<function>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<uuid>", keys[0])
	}
	obj := must(rep.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(dest), Key: aws.String(keys[0])}))(t)
	body, _ := io.ReadAll(obj.Body)
	obj.Body.Close()
	var rec struct {
		Version        string
		RequestContext struct {
			RequestID              string
			FunctionArn            string
			Condition              string
			ApproximateInvokeCount int
		}
		RequestPayload struct {
			Records []struct {
				S3 struct{ Object struct{ Key string } }
			}
		}
		ResponseContext struct {
			StatusCode      int
			ExecutedVersion string
			FunctionError   string
		}
		ResponsePayload struct{ ErrorMessage string }
	}
	if err := json.Unmarshal(body, &rec); err != nil {
		t.Fatalf("record %s: %v", body, err)
	}
	rc := rec.RequestContext
	if rec.Version != "1.0" || rc.Condition != "RetriesExhausted" || rc.ApproximateInvokeCount != 2 || rc.FunctionArn != p.fnARN+":$LATEST" || rc.RequestID == "" {
		t.Errorf("requestContext: %s", body)
	}
	if len(rec.RequestPayload.Records) != 1 || rec.RequestPayload.Records[0].S3.Object.Key != "failed/obj.txt" {
		t.Errorf("requestPayload: %s", body)
	}
	if rec.ResponseContext.FunctionError != "Unhandled" || rec.ResponseContext.ExecutedVersion != "$LATEST" || !strings.Contains(rec.ResponsePayload.ErrorMessage, "failing on purpose") {
		t.Errorf("response: %s", body)
	}
}

// TestAsyncEventAgeExceededGoesToS3Destination: an S3 event whose time runs
// out while the function still runs (the sandbox's budget for an event, a
// second here; the function takes two for this key) leaves one invocation
// record in the on-failure bucket: EventAgeExceeded, with the event as its
// payload and no response. The function's one attempt (no retries) is the
// last: the budget, not the attempts, says why the event failed. Its late
// failure writes nothing more.
func TestAsyncEventAgeExceededGoesToS3Destination(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// A sandbox of its own: the budget is a sandbox's, and the shared
	// sandbox's stays long, for the tests that wait out a loaded machine.
	sb, err := startSandbox(ctx, sandbox.Options{Accounts: threeAccounts(), Listen: "127.0.0.1:0", Logf: sandboxLog.logf, EventBudget: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	prod, rep := orgAdminOn(t, sb, prodID), orgAdminOn(t, sb, repID)
	p, lc, dest := asyncDestinationOn(t, sb, true)
	must(lc.UpdateFunctionEventInvokeConfig(ctx, &lambda.UpdateFunctionEventInvokeConfigInput{FunctionName: aws.String(p.fn), MaximumRetryAttempts: aws.Int32(0)}))(t)
	if err := p.notify(ctx, prod); err != nil {
		t.Fatal(err)
	}
	// The function runs before the event comes, so that the event's budget
	// is spent in its attempt, not in a cold start.
	warm := must(lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(p.fn), Payload: []byte(`{}`)}))(t)
	if warm.FunctionError == nil {
		t.Fatalf("the function in fail mode answered %s", warm.Payload)
	}

	const key, body = "sleep/2s/late.txt", "late"
	put := must(prod.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(p.src), Key: aws.String(key), Body: strings.NewReader(body)}))(t)
	prefix := "aws/lambda/async/" + p.fn + "/"
	var recKey string
	waitFor(t, 20*time.Second, "a record under s3://"+dest+"/"+prefix, func() bool {
		out := must(rep.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(dest), Prefix: aws.String(prefix)}))(t)
		if len(out.Contents) > 0 {
			recKey = aws.ToString(out.Contents[0].Key)
		}
		return recKey != ""
	})
	// The attempt the budget cut short ends when the function fails, after
	// its two seconds (the warm-up failed before it): nothing follows.
	failed := "lambda " + p.fn + ": invocation failed: "
	waitFor(t, 20*time.Second, "the function's failure of the late event", func() bool {
		return strings.Count(sandboxLog.String(), failed) >= 2
	})
	time.Sleep(500 * time.Millisecond)
	for bucket, want := range map[string]int{dest: 1, p.report: 0} {
		out := must(rep.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)}))(t)
		if len(out.Contents) != want {
			t.Errorf("%d objects in s3://%s, want %d", len(out.Contents), bucket, want)
		}
	}

	obj := must(rep.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(dest), Key: aws.String(recKey)}))(t)
	raw, _ := io.ReadAll(obj.Body)
	obj.Body.Close()
	var rec struct {
		RequestContext struct {
			Condition              string
			FunctionArn            string
			ApproximateInvokeCount int
		}
		RequestPayload struct {
			Records []struct {
				EventName string
				S3        struct {
					Bucket struct{ Name string }
					Object map[string]any
				}
			}
		}
		ResponseContext json.RawMessage
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatalf("record %s: %v", raw, err)
	}
	rc := rec.RequestContext
	if rc.Condition != "EventAgeExceeded" || rc.ApproximateInvokeCount != 1 || rc.FunctionArn != p.fnARN+":$LATEST" {
		t.Errorf("requestContext, want EventAgeExceeded after 1 attempt: %s", raw)
	}
	if rec.ResponseContext != nil {
		t.Errorf("a response for an attempt that had not ended: %s", raw)
	}
	recs := rec.RequestPayload.Records
	if len(recs) != 1 {
		t.Fatalf("requestPayload has %d records, want the event's one: %s", len(recs), raw)
	}
	r := recs[0]
	wantObject := map[string]any{"key": key, "size": float64(len(body)), "eTag": strings.Trim(aws.ToString(put.ETag), `"`)}
	for k, v := range wantObject {
		if r.S3.Object[k] != v {
			t.Errorf("requestPayload's object %s = %v, want %v: %s", k, r.S3.Object[k], v, raw)
		}
	}
	if r.EventName != "ObjectCreated:Put" || r.S3.Bucket.Name != p.src {
		t.Errorf("requestPayload is not the event of the upload: %s", raw)
	}
}

// TestAsyncFailureDestinationRefused: when the destination's policy no
// longer lets the execution role write there, nothing is written and one
// log line says the delivery failed.
func TestAsyncFailureDestinationRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rep := orgAdmin(t, repID)
	p, lc, dest := asyncDestination(t)
	execARN := "arn:aws:iam::" + prodID + ":role/" + p.execRole
	must(rep.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(dest), Policy: aws.String(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":"` + execARN + `"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::` + dest + `"}]}`)}))(t)

	failingEvent(t, lc, p, "refused.txt")
	want := "lambda " + p.fn + ": DestinationDeliveryFailures"
	for start := time.Now(); !sandboxLog.contains(want); time.Sleep(100 * time.Millisecond) {
		if time.Since(start) > 20*time.Second {
			t.Fatalf("no log line %q\nsandbox log:\n%s", want, sandboxLog)
		}
	}
	out := must(rep.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(dest)}))(t)
	if len(out.Contents) != 0 {
		t.Errorf("%d objects written to the destination the role may not write", len(out.Contents))
	}
}

// TestAsyncDestinationValidation: Lambda refuses an S3 bucket on success,
// a bucket that does not exist, and one the execution role may not write.
func TestAsyncDestinationValidation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	prod := orgAdmin(t, prodID)
	p := setupPattern(t, runtime.GOARCH, false)
	lc := lambda.NewFromConfig(prod.cfg)
	bucket := uniq(t, "dest")
	must(prod.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}))(t)
	put := func(dc *lambdatypes.DestinationConfig) error {
		_, err := lc.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String(p.fn), DestinationConfig: dc})
		return err
	}
	err := put(&lambdatypes.DestinationConfig{OnSuccess: &lambdatypes.OnSuccess{Destination: aws.String("arn:aws:s3:::" + bucket)}})
	wantCode(t, err, "InvalidParameterValueException")
	err = put(&lambdatypes.DestinationConfig{OnFailure: &lambdatypes.OnFailure{Destination: aws.String("arn:aws:s3:::" + uniq(t, "missing"))}})
	wantCode(t, err, "InvalidParameterValueException")
	err = put(&lambdatypes.DestinationConfig{OnFailure: &lambdatypes.OnFailure{Destination: aws.String("arn:aws:s3:::" + bucket)}})
	wantCode(t, err, "InvalidParameterValueException")
	if !strings.Contains(err.Error(), "does not have permissions") {
		t.Errorf("refusal %v does not say the role lacks permission", err)
	}
	must(prod.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(p.execRole), PolicyName: aws.String("destination"), PolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:ListBucket"],"Resource":["arn:aws:s3:::` + bucket + `","arn:aws:s3:::` + bucket + `/*"]}]}`)}))(t)
	if err := put(&lambdatypes.DestinationConfig{OnFailure: &lambdatypes.OnFailure{Destination: aws.String("arn:aws:s3:::" + bucket)}}); err != nil {
		t.Fatalf("a destination the role may write: %v", err)
	}
	if _, err := lc.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String(p.fn)}); err != nil {
		t.Fatal(err)
	}
}
