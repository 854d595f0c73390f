package processor

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

func removal(name, key, version, seq string) events.S3EventRecord {
	r := rec(key, version, seq)
	r.EventName = name
	return r
}

func TestRemovalEventsAreRecorded(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		ev        events.S3EventRecord
		recordKey string
		status    string
	}{
		{"delete marker", removal("ObjectRemoved:DeleteMarkerCreated", "reports/Q1+summary.csv", "m1", "0A"),
			"metadata/acme-data-prod/reports/Q1 summary.csv/m1.json", StatusDeleted},
		{"permanent delete of a version", removal("ObjectRemoved:Delete", "reports/a%2Bb.csv", "v1", "0B"),
			"metadata/acme-data-prod/reports/a+b.csv/v1.deleted.json", StatusVersionDeleted},
		{"permanent delete of a delete marker", removal("ObjectRemoved:Delete", "k", "m1", "0C"),
			"metadata/acme-data-prod/k/m1.deleted.json", StatusVersionDeleted},
		{"unversioned bucket", removal("ObjectRemoved:Delete", "k", "", "0D"),
			"metadata/acme-data-prod/k/null.deleted.json", StatusVersionDeleted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// No object at all: a removal is recorded without reading it.
			src := &fakeSource{fail: map[string]error{}}
			h, w := newHandler(src)
			ev := events.S3Event{Records: []events.S3EventRecord{tt.ev}}
			for range 2 { // the second delivery is a no-op
				if err := h.Handle(context.Background(), ev); err != nil {
					t.Fatal(err)
				}
			}
			if len(w.records) != 1 || w.puts != 2 {
				t.Fatalf("records %d, puts %d: %v", len(w.records), w.puts, w.records)
			}
			var r Record
			if err := json.Unmarshal(w.records[tt.recordKey], &r); err != nil {
				t.Fatalf("no record at %s: %v", tt.recordKey, w.records)
			}
			if r.Status != tt.status || r.Object != nil || r.Event.Name != tt.ev.EventName || r.Event.Sequencer != tt.ev.S3.Object.Sequencer ||
				r.Event.Principal != "AWS:AROAEXAMPLE:alice" {
				t.Errorf("record = %+v", r)
			}
		})
	}
}

func TestDeletionOfARecordedVersionKeepsItsRecord(t *testing.T) {
	t.Parallel()
	src := &fakeSource{objects: map[string]*s3.HeadObjectOutput{"k@v1": head(1, "e", "v1")}}
	h, w := newHandler(src)
	if err := h.Handle(context.Background(), events.S3Event{Records: []events.S3EventRecord{rec("k", "v1", "01")}}); err != nil {
		t.Fatal(err)
	}
	delete(src.objects, "k@v1") // deleted for good
	if err := h.Handle(context.Background(), events.S3Event{Records: []events.S3EventRecord{removal("ObjectRemoved:Delete", "k", "v1", "02")}}); err != nil {
		t.Fatal(err)
	}
	var created, deleted Record
	_ = json.Unmarshal(w.records["metadata/acme-data-prod/k/v1.json"], &created)
	_ = json.Unmarshal(w.records["metadata/acme-data-prod/k/v1.deleted.json"], &deleted)
	if created.Status != StatusPresent || deleted.Status != StatusVersionDeleted || len(w.records) != 2 {
		t.Errorf("records = %v", w.records)
	}
}

func TestDeletionRecordKeyOfALongKeySharesTheHash(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("k", 1020)
	r, d := RecordKey("m/", "b", long, "v1"), DeletionRecordKey("m/", "b", long, "v1")
	if strings.TrimSuffix(r, RecordSuffix) != strings.TrimSuffix(d, DeletionSuffix) || !strings.HasPrefix(d, "m/b/_hashed/") {
		t.Errorf("record %s, deletion %s", r, d)
	}
	if !IsHashed(strings.TrimPrefix(r, "m/b/")) || !IsHashed(strings.TrimPrefix(d, "m/b/")) {
		t.Errorf("IsHashed false for %s or %s", r, d)
	}
	for _, rest := range []string{"_hashed/abc.json", "_hashed/" + strings.Repeat("a", 64) + ".json/v1.json", "x/_hashed/" + strings.Repeat("a", 64) + ".json",
		"_hashed/" + strings.Repeat("A", 64) + ".json"} {
		if IsHashed(rest) {
			t.Errorf("IsHashed(%q) = true", rest)
		}
	}
}

// deleteMarker is how S3 answers a HEAD of a delete marker by version: 405
// with x-amz-delete-marker.
func deleteMarker(version string) error {
	h := http.Header{}
	h.Set("X-Amz-Delete-Marker", "true")
	h.Set("X-Amz-Version-Id", version)
	h.Set("Last-Modified", "Fri, 27 Nov 2026 10:00:00 GMT")
	return &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 405, Header: h}},
		Err:      &smithy.GenericAPIError{Code: "MethodNotAllowed", Message: "Method Not Allowed"},
	}
}

type markerSource struct {
	fakeSource
	markers map[string]string // key@version -> marker version
}

func (m *markerSource) HeadObject(ctx context.Context, in *s3.HeadObjectInput, o ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	if v, ok := m.markers[aws.ToString(in.Key)+"@"+aws.ToString(in.VersionId)]; ok {
		return nil, deleteMarker(v)
	}
	return m.fakeSource.HeadObject(ctx, in, o...)
}

func batch(tasks ...events.S3BatchJobTaskV2) json.RawMessage {
	for i := range tasks {
		tasks[i].TaskID = "t" + string(rune('0'+i))
		if tasks[i].S3Bucket == "" {
			tasks[i].S3Bucket = "acme-data-prod"
		}
	}
	b, _ := json.Marshal(events.S3BatchJobEventV2{InvocationSchemaVersion: "2.0", InvocationID: "inv-1",
		Job: events.S3BatchJobV2{ID: "job-1"}, Tasks: tasks})
	return b
}

func TestBatchTasksRecordWhatHeadFinds(t *testing.T) {
	t.Parallel()
	src := &markerSource{
		fakeSource: fakeSource{objects: map[string]*s3.HeadObjectOutput{
			"reports/Q1 summary+final.csv@v1": head(5, "e1", "v1"),
			"current.txt@":                    head(6, "e2", "v7"),
		}, fail: map[string]error{"denied.txt": &smithy.GenericAPIError{Code: "AccessDenied", Message: "Access Denied"}}},
		markers: map[string]string{"gone-key@m3": "m3"},
	}
	tests := []struct {
		name      string
		task      events.S3BatchJobTaskV2
		code      string
		recordKey string
		status    string
	}{
		{"URL-encoded key", events.S3BatchJobTaskV2{S3Key: "reports/Q1%20summary%2Bfinal.csv", S3VersionID: "v1"}, ResultSucceeded,
			"metadata/acme-data-prod/reports/Q1 summary+final.csv/v1.json", StatusPresent},
		{"null version is the current one", events.S3BatchJobTaskV2{S3Key: "current.txt"}, ResultSucceeded,
			"metadata/acme-data-prod/current.txt/v7.json", StatusPresent},
		{"delete marker", events.S3BatchJobTaskV2{S3Key: "gone-key", S3VersionID: "m3"}, ResultSucceeded,
			"metadata/acme-data-prod/gone-key/m3.json", StatusDeleted},
		{"version that no longer exists", events.S3BatchJobTaskV2{S3Key: "old.txt", S3VersionID: "v0"}, ResultSucceeded,
			"metadata/acme-data-prod/old.txt/v0.deleted.json", StatusVersionDeleted},
		{"a read refused is retried", events.S3BatchJobTaskV2{S3Key: "denied.txt", S3VersionID: "v1"}, ResultTemporaryFailure, "", ""},
		{"bad encoding", events.S3BatchJobTaskV2{S3Key: "bad%zz", S3VersionID: "v1"}, ResultPermanentFailure, "", ""},
		{"absent key without a version", events.S3BatchJobTaskV2{S3Key: "never"}, ResultPermanentFailure, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, w := newHandler(&fakeSource{})
			h.Source = src
			out, err := h.Invoke(context.Background(), batch(tt.task))
			if err != nil {
				t.Fatal(err)
			}
			resp := out.(events.S3BatchJobResponse)
			if resp.InvocationID != "inv-1" || resp.InvocationSchemaVersion != "2.0" || len(resp.Results) != 1 || resp.Results[0].TaskID != "t0" {
				t.Fatalf("response = %+v", resp)
			}
			if got := resp.Results[0].ResultCode; got != tt.code {
				t.Fatalf("result %s (%s), want %s", got, resp.Results[0].ResultString, tt.code)
			}
			if tt.recordKey == "" {
				if len(w.records) != 0 {
					t.Errorf("records written: %v", w.records)
				}
				return
			}
			var r Record
			if err := json.Unmarshal(w.records[tt.recordKey], &r); err != nil {
				t.Fatalf("no record at %s: %v", tt.recordKey, w.records)
			}
			if r.Status != tt.status || r.Event.Name != EventReconcile || r.Event.Job != "job-1" {
				t.Errorf("record = %+v", r)
			}
		})
	}
}

func TestInvokeTellsTheEventsApart(t *testing.T) {
	t.Parallel()
	h, w := newHandler(&fakeSource{objects: map[string]*s3.HeadObjectOutput{"a@v1": head(1, "e", "v1")}})
	s3ev, _ := json.Marshal(events.S3Event{Records: []events.S3EventRecord{rec("a", "v1", "01")}})
	if out, err := h.Invoke(context.Background(), s3ev); err != nil || out != nil || len(w.records) != 1 {
		t.Fatalf("S3 event: out %v, err %v, records %d", out, err, len(w.records))
	}
	// Schema 1.0 names the bucket by ARN.
	v1 := `{"invocationSchemaVersion":"1.0","invocationId":"i","job":{"id":"j"},"tasks":[{"taskId":"t","s3Key":"a","s3VersionId":"v1","s3BucketArn":"arn:aws:s3:::acme-data-prod"}]}`
	out, err := h.Invoke(context.Background(), json.RawMessage(v1))
	if err != nil || out.(events.S3BatchJobResponse).Results[0].ResultCode != ResultSucceeded {
		t.Fatalf("schema 1.0: out %+v, err %v", out, err)
	}
	if _, err := h.Invoke(context.Background(), json.RawMessage(`[1]`)); err == nil {
		t.Error("a JSON array was taken as an event")
	}
	// A failing S3 event is a function error, so Lambda retries it.
	h.Source = &fakeSource{fail: map[string]error{"a": &smithy.GenericAPIError{Code: "SlowDown"}}}
	if _, err := h.Invoke(context.Background(), s3ev); err == nil {
		t.Error("a failed record was not an error")
	}
}

// TestRemovalsAreCheckedAgainstS3: an event is recorded only as S3 shows
// it, and only for the processor's own bucket: a forged or replayed
// removal of a live version, or an event of another bucket, writes
// nothing (and is not retried), as records are never overwritten.
func TestRemovalsAreCheckedAgainstS3(t *testing.T) {
	t.Parallel()
	src := &markerSource{fakeSource: fakeSource{objects: map[string]*s3.HeadObjectOutput{"live@v1": head(1, "e", "v1")}}, markers: map[string]string{"gone@m1": "m1"}}
	other := removal("ObjectRemoved:Delete", "x", "v1", "03")
	other.S3.Bucket.Name = "not-production"
	tests := []struct {
		name string
		ev   events.S3EventRecord
		want string // the record written, "" for none
	}{
		{"a permanent delete of a live version", removal("ObjectRemoved:Delete", "live", "v1", "FFFFFFFFFFFFFFFFFFFF"), ""},
		{"a delete marker event naming a live version", removal("ObjectRemoved:DeleteMarkerCreated", "live", "v1", "01"), ""},
		{"a delete marker event without its version", removal("ObjectRemoved:DeleteMarkerCreated", "live", "", "01"), ""},
		{"another bucket's event", other, ""},
		{"a real delete marker", removal("ObjectRemoved:DeleteMarkerCreated", "gone", "m1", "02"), "metadata/acme-data-prod/gone/m1.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, w := newHandler(&fakeSource{})
			h.Source, h.Config.SourceBucket = src, "acme-data-prod"
			if err := h.Handle(context.Background(), events.S3Event{Records: []events.S3EventRecord{tt.ev}}); err != nil {
				t.Fatalf("a refused event is an error (Lambda would retry it): %v", err)
			}
			switch {
			case tt.want == "" && len(w.records) != 0:
				t.Errorf("records written: %v", w.records)
			case tt.want != "" && w.records[tt.want] == nil:
				t.Errorf("no record %s: %v", tt.want, w.records)
			}
		})
	}
	// A batch task of another bucket fails for good.
	h, w := newHandler(&fakeSource{})
	h.Source, h.Config.SourceBucket = src, "acme-data-prod"
	out, err := h.Invoke(context.Background(), batch(events.S3BatchJobTaskV2{S3Key: "live", S3VersionID: "v1", S3Bucket: "other-bucket"}))
	if err != nil || out.(events.S3BatchJobResponse).Results[0].ResultCode != ResultPermanentFailure || len(w.records) != 0 {
		t.Errorf("another bucket's task: %+v, %v, records %v", out, err, w.records)
	}
}
