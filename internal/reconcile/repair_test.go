package reconcile

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/xacct/xacct/lambda/processor"
)

// repairFake is the three buckets and the processor, in memory: the
// function records what each task or event names, unless told to fail.
type repairFake struct {
	mu       sync.Mutex
	files    map[string][]byte // failure bucket
	records  map[string]bool   // Reporting
	invokes  int
	failNext int    // invocations that fail as a function error
	tempOnce string // a key whose first task fails temporarily
	tempSeen bool
}

func (f *repairFake) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.files[aws.ToString(in.Key)]
	if !ok {
		return nil, &smithy.GenericAPIError{Code: "NoSuchKey"}
	}
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(b))}, nil
}

func (f *repairFake) DeleteObject(_ context.Context, in *s3.DeleteObjectInput, _ ...func(*s3.Options)) (*s3.DeleteObjectOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.files, aws.ToString(in.Key))
	return &s3.DeleteObjectOutput{}, nil
}

func (f *repairFake) PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	panic("no manifest in these tests")
}

func (f *repairFake) HeadObject(_ context.Context, in *s3.HeadObjectInput, _ ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.records[aws.ToString(in.Key)] {
		return nil, &smithy.GenericAPIError{Code: "NotFound"}
	}
	return &s3.HeadObjectOutput{}, nil
}

func (f *repairFake) Invoke(_ context.Context, in *lambda.InvokeInput, _ ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.invokes++
	if f.failNext > 0 {
		f.failNext--
		return &lambda.InvokeOutput{FunctionError: aws.String("Unhandled"), Payload: []byte(`{"errorMessage":"writer denied"}`)}, nil
	}
	var batch events.S3BatchJobEventV2
	if json.Unmarshal(in.Payload, &batch) == nil && batch.InvocationSchemaVersion != "" {
		resp := events.S3BatchJobResponse{InvocationSchemaVersion: "2.0", InvocationID: batch.InvocationID}
		for _, t := range batch.Tasks {
			code := processor.ResultSucceeded
			key := strings.ReplaceAll(t.S3Key, "%20", " ")
			if key == f.tempOnce && !f.tempSeen {
				f.tempSeen, code = true, processor.ResultTemporaryFailure
			} else {
				f.records[processor.RecordKey("m/", t.S3Bucket, key, t.S3VersionID)] = true
			}
			resp.Results = append(resp.Results, events.S3BatchJobResult{TaskID: t.TaskID, ResultCode: code})
		}
		b, _ := json.Marshal(resp)
		return &lambda.InvokeOutput{Payload: b}, nil
	}
	var ev events.S3Event
	_ = json.Unmarshal(in.Payload, &ev)
	for _, r := range ev.Records {
		rk, _ := eventRecordKey("m/", r)
		f.records[rk] = true
	}
	return &lambda.InvokeOutput{Payload: []byte("null")}, nil
}

func failedFile(t *testing.T, bucket, event, key, version string) []byte {
	t.Helper()
	var r events.S3EventRecord
	r.EventName, r.S3.Bucket.Name, r.S3.Object.Key, r.S3.Object.VersionID = event, bucket, key, version
	payload, _ := json.Marshal(events.S3Event{Records: []events.S3EventRecord{r}})
	b, _ := json.Marshal(map[string]any{"version": "1.0", "requestContext": map[string]any{"condition": "RetriesExhausted"}, "requestPayload": json.RawMessage(payload)})
	return b
}

func spoolOf(t *testing.T, items ...Item) *Spool {
	t.Helper()
	sp, err := NewSpool(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sp.Close() })
	for _, it := range items {
		sp.Add(it)
	}
	return sp
}

func newRepairer(f *repairFake) *Repairer {
	return &Repairer{Opts: RepairOptions{Function: "proc", Bucket: "prod", ReportBucket: "rep", ReportPrefix: "m/", FailureBucket: "fail", Threshold: 100, TasksPerInvoke: 2},
		Invoke: f, Files: f, Records: f}
}

func TestReplayRemovesAFileOnlyOnceItsRecordsExist(t *testing.T) {
	t.Parallel()
	f := &repairFake{records: map[string]bool{}, files: map[string][]byte{
		"aws/lambda/async/proc/1": failedFile(t, "prod", "ObjectCreated:Put", "a+b", "v1"),
		"aws/lambda/async/proc/2": failedFile(t, "prod", "ObjectRemoved:Delete", "k", "v2"),
		"aws/lambda/async/proc/3": failedFile(t, "other-bucket", "ObjectCreated:Put", "x", "v1"),
		"aws/lambda/async/proc/4": []byte("not json"),
	}}
	sp := spoolOf(t, Item{Class: FailedEvent, File: "aws/lambda/async/proc/1"}, Item{Class: FailedEvent, File: "aws/lambda/async/proc/2"},
		Item{Class: FailedEvent, File: "aws/lambda/async/proc/3"}, Item{Class: FailedEvent, File: "aws/lambda/async/proc/4"})
	res, err := newRepairer(f).Repair(context.Background(), sp)
	if err != nil {
		t.Fatal(err)
	}
	if res.Replayed != 2 || res.ReplayFailed != 2 || len(res.ReplayErrors) != 2 {
		t.Fatalf("result %+v", res)
	}
	if !f.records["m/prod/a b/v1.json"] || !f.records["m/prod/k/v2.deleted.json"] {
		t.Errorf("records %v", f.records)
	}
	// Another bucket's event and a file that is no event are kept.
	if len(f.files) != 2 || f.files["aws/lambda/async/proc/3"] == nil || f.files["aws/lambda/async/proc/4"] == nil {
		t.Errorf("files left %v", f.files)
	}
	if f.records["m/other-bucket/x/v1.json"] {
		t.Error("another bucket's event was replayed")
	}
}

func TestReplayKeepsAFileWhoseEventFailsAgain(t *testing.T) {
	t.Parallel()
	f := &repairFake{records: map[string]bool{}, failNext: 1, files: map[string][]byte{"aws/lambda/async/proc/1": failedFile(t, "prod", "ObjectCreated:Put", "a", "v1")}}
	res, err := newRepairer(f).Repair(context.Background(), spoolOf(t, Item{Class: FailedEvent, File: "aws/lambda/async/proc/1"}))
	if err != nil || res.ReplayFailed != 1 || len(f.files) != 1 || !strings.Contains(res.ReplayErrors[0], "failed again") {
		t.Fatalf("result %+v, err %v, files %v", res, err, f.files)
	}
}

func TestLocalRepairWritesEveryMissingRecord(t *testing.T) {
	t.Parallel()
	f := &repairFake{records: map[string]bool{}, tempOnce: "b c"}
	var items []Item
	for _, k := range []string{"a", "b c", "d", "e", "f"} {
		items = append(items, Item{Class: MissingVersion, Key: k, VersionID: "v1"})
	}
	items = append(items, Item{Class: MissingDeletion, Key: "g", VersionID: "m1"}, Item{Class: Orphan, Key: "h", VersionID: "v0"})
	res, err := newRepairer(f).Repair(context.Background(), spoolOf(t, items...))
	if err != nil {
		t.Fatal(err)
	}
	if res.Tasks != 7 || res.Written != 7 || res.Failed != 0 || res.Job != nil {
		t.Fatalf("result %+v", res)
	}
	if len(f.records) != 7 || !f.records["m/prod/b c/v1.json"] {
		t.Errorf("records %v", f.records)
	}
	// 7 tasks, 2 an invocation, one retried: 5 invocations.
	if f.invokes != 5 {
		t.Errorf("%d invocations, want 5", f.invokes)
	}
}

func TestRepairAboveTheThresholdNeedsAJob(t *testing.T) {
	t.Parallel()
	f := &repairFake{records: map[string]bool{}}
	r := newRepairer(f)
	r.Opts.Threshold = 1
	_, err := r.Repair(context.Background(), spoolOf(t, Item{Class: MissingVersion, Key: "a", VersionID: "v1"}, Item{Class: MissingVersion, Key: "b", VersionID: "v1"}))
	if err == nil || !strings.Contains(err.Error(), "batch job") || f.invokes != 0 {
		t.Fatalf("err %v, %d invocations", err, f.invokes)
	}
}

func TestEscapeKey(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"a b+c%d": "a%20b%2Bc%25d", "résumé/x.txt": "r%C3%A9sum%C3%A9/x.txt", "a,b\n": "a%2Cb%0A"} {
		if got := escapeKey(in); got != want {
			t.Errorf("escapeKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestReplayTakesOnlyThisFunctionsFailedEvents: a file in the failure
// prefix that is not Lambda's record of this function's failed event is
// kept, not replayed.
func TestReplayTakesOnlyThisFunctionsFailedEvents(t *testing.T) {
	t.Parallel()
	payload := func(fn, cond string) []byte {
		var r events.S3EventRecord
		r.EventName, r.S3.Bucket.Name, r.S3.Object.Key, r.S3.Object.VersionID = "ObjectCreated:Put", "prod", "a", "v1"
		ev, _ := json.Marshal(events.S3Event{Records: []events.S3EventRecord{r}})
		b, _ := json.Marshal(map[string]any{"requestContext": map[string]any{"functionArn": fn, "condition": cond}, "requestPayload": json.RawMessage(ev)})
		return b
	}
	const arn = "arn:aws:lambda:us-east-1:222222222222:function:proc"
	f := &repairFake{records: map[string]bool{}, files: map[string][]byte{
		"ok":        payload(arn+":$LATEST", "RetriesExhausted"),
		"other":     payload("arn:aws:lambda:us-east-1:222222222222:function:other:$LATEST", "RetriesExhausted"),
		"condition": payload(arn+":$LATEST", "Success"),
	}}
	r := newRepairer(f)
	r.Opts.FunctionARN = arn
	res, err := r.Repair(context.Background(), spoolOf(t, Item{Class: FailedEvent, File: "ok"}, Item{Class: FailedEvent, File: "other"}, Item{Class: FailedEvent, File: "condition"}))
	if err != nil || res.Replayed != 1 || res.ReplayFailed != 2 || f.files["ok"] != nil || f.files["other"] == nil || f.files["condition"] == nil {
		t.Fatalf("result %+v, err %v, files left %d", res, err, len(f.files))
	}
}
