package processor

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// fakeSource holds object metadata by key and version ("" = latest).
type fakeSource struct {
	objects map[string]*s3.HeadObjectOutput
	fail    map[string]error
}

func (f *fakeSource) HeadObject(_ context.Context, in *s3.HeadObjectInput, _ ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	k := aws.ToString(in.Key) + "@" + aws.ToString(in.VersionId)
	if err := f.fail[aws.ToString(in.Key)]; err != nil {
		return nil, err
	}
	if o, ok := f.objects[k]; ok {
		return o, nil
	}
	return nil, &smithy.GenericAPIError{Code: "NotFound", Message: "Not Found"}
}

// fakeWriter is a bucket honouring If-None-Match: *.
type fakeWriter struct {
	mu      sync.Mutex
	records map[string][]byte
	puts    int
}

func (f *fakeWriter) PutObject(_ context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.puts++
	k := aws.ToString(in.Key)
	if _, exists := f.records[k]; exists && aws.ToString(in.IfNoneMatch) == "*" {
		return nil, &smithy.GenericAPIError{Code: "PreconditionFailed", Message: "At least one of the pre-conditions you specified did not hold"}
	}
	if len(k) > 1024 {
		return nil, &smithy.GenericAPIError{Code: "KeyTooLongError"}
	}
	b, _ := io.ReadAll(in.Body)
	f.records[k] = b
	return &s3.PutObjectOutput{}, nil
}

func head(size int64, etag, version string) *s3.HeadObjectOutput {
	return &s3.HeadObjectOutput{ContentLength: aws.Int64(size), ETag: aws.String(`"` + etag + `"`), ContentType: aws.String("text/csv"),
		LastModified: aws.Time(time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)), VersionId: aws.String(version), Metadata: map[string]string{"team": "data"}}
}

func rec(key, version, seq string) events.S3EventRecord {
	var r events.S3EventRecord
	r.EventName = "ObjectCreated:Put"
	r.EventTime = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	r.S3.Bucket.Name = "acme-data-prod"
	r.S3.Object.Key = key
	r.S3.Object.VersionID = version
	r.S3.Object.Sequencer = seq
	r.PrincipalID.PrincipalID = "AWS:AROAEXAMPLE:alice"
	return r
}

func newHandler(src *fakeSource) (*Handler, *fakeWriter) {
	w := &fakeWriter{records: map[string][]byte{}}
	return &Handler{
		Config: Config{ReportBucket: "acme-data-reporting", ReportPrefix: "metadata/"},
		Source: src, Writer: w,
		Log: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Now: func() time.Time { return time.Date(2026, 11, 27, 10, 0, 1, 0, time.UTC) },
	}, w
}

func TestKeysAreDecoded(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("k", 1000)
	tests := []struct {
		name, eventKey, key, recordKey string
	}{
		{"space is plus", "reports/Q1+summary.csv", "reports/Q1 summary.csv", "metadata/acme-data-prod/reports/Q1 summary.csv/v1.json"},
		{"plus is %2B", "reports/a%2Bb.csv", "reports/a+b.csv", "metadata/acme-data-prod/reports/a+b.csv/v1.json"},
		{"both", "reports/Q1+summary%2Bfinal.csv", "reports/Q1 summary+final.csv", "metadata/acme-data-prod/reports/Q1 summary+final.csv/v1.json"},
		{"unicode", "r%C3%A9sum%C3%A9/%E6%97%A5%E6%9C%AC.txt", "résumé/日本.txt", "metadata/acme-data-prod/résumé/日本.txt/v1.json"},
		{"1,000-byte key is hashed", long, long, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, w := newHandler(&fakeSource{objects: map[string]*s3.HeadObjectOutput{tt.key + "@v1": head(7, "abc", "v1")}})
			if err := h.Handle(context.Background(), events.S3Event{Records: []events.S3EventRecord{rec(tt.eventKey, "v1", "01")}}); err != nil {
				t.Fatal(err)
			}
			if len(w.records) != 1 {
				t.Fatalf("records = %d", len(w.records))
			}
			for k, body := range w.records {
				if tt.recordKey != "" && k != tt.recordKey {
					t.Errorf("record key %q, want %q", k, tt.recordKey)
				}
				if tt.recordKey == "" && (!strings.HasPrefix(k, "metadata/acme-data-prod/_hashed/") || len(k) > 1024) {
					t.Errorf("long key's record at %q", k)
				}
				var r Record
				if err := json.Unmarshal(body, &r); err != nil {
					t.Fatal(err)
				}
				if r.Source.Key != tt.key || r.Object.Size != 7 || r.Object.ETag != "abc" || r.Status != "present" || r.SchemaVersion != SchemaVersion ||
					r.Event.Sequencer != "01" || r.Object.Metadata["team"] != "data" {
					t.Errorf("record = %+v", r)
				}
			}
		})
	}
}

func TestRecordKeyFitsS3(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 100, 950, 1024} {
		key := strings.Repeat("é", n) // 2 bytes each
		got := RecordKey("metadata/", "acme-data-prod", key, "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY")
		if len(got) > 1024 {
			t.Errorf("key of %d bytes gives a record key of %d bytes", len(key), len(got))
		}
		if RecordKey("metadata/", "acme-data-prod", key, "v") == RecordKey("metadata/", "acme-data-prod", key, "w") {
			t.Errorf("two versions share a record key")
		}
	}
	if RecordKey("p/", "b", "k", "") != "p/b/k/null.json" {
		t.Errorf("unversioned: %s", RecordKey("p/", "b", "k", ""))
	}
}

func TestZeroAndManyRecords(t *testing.T) {
	t.Parallel()
	src := &fakeSource{objects: map[string]*s3.HeadObjectOutput{"a@v1": head(1, "e1", "v1"), "b@v1": head(2, "e2", "v1"), "c@v1": head(3, "e3", "v1")}}
	h, w := newHandler(src)
	if err := h.Handle(context.Background(), events.S3Event{}); err != nil || w.puts != 0 {
		t.Fatalf("zero records: err %v, %d writes", err, w.puts)
	}
	ev := events.S3Event{Records: []events.S3EventRecord{rec("a", "v1", "1"), rec("b", "v1", "2"), rec("c", "v1", "3")}}
	if err := h.Handle(context.Background(), ev); err != nil || len(w.records) != 3 {
		t.Fatalf("three records: err %v, %d records", err, len(w.records))
	}
	// Redelivery is a no-op: the conditional writes find the records.
	if err := h.Handle(context.Background(), ev); err != nil || len(w.records) != 3 {
		t.Fatalf("redelivery: err %v, %d records", err, len(w.records))
	}
}

func TestDeletedObjectIsRecordedAsGone(t *testing.T) {
	t.Parallel()
	h, w := newHandler(&fakeSource{objects: map[string]*s3.HeadObjectOutput{}})
	if err := h.Handle(context.Background(), events.S3Event{Records: []events.S3EventRecord{rec("gone.txt", "v9", "1")}}); err != nil {
		t.Fatal(err)
	}
	var r Record
	_ = json.Unmarshal(w.records["metadata/acme-data-prod/gone.txt/v9.json"], &r)
	if r.Status != "gone" || r.Object != nil {
		t.Errorf("record of a deleted object = %+v", r)
	}
}

func TestOlderEventNeverOverwritesNewerRecord(t *testing.T) {
	t.Parallel()
	src := &fakeSource{objects: map[string]*s3.HeadObjectOutput{"k@v1": head(1, "old", "v1"), "k@v2": head(2, "new", "v2")}}
	h, w := newHandler(src)
	// The newer version's event arrives first, then the older one's.
	for _, v := range []string{"v2", "v1", "v2"} {
		if err := h.Handle(context.Background(), events.S3Event{Records: []events.S3EventRecord{rec("k", v, v)}}); err != nil {
			t.Fatal(err)
		}
	}
	var newer, older Record
	_ = json.Unmarshal(w.records["metadata/acme-data-prod/k/v2.json"], &newer)
	_ = json.Unmarshal(w.records["metadata/acme-data-prod/k/v1.json"], &older)
	if newer.Object == nil || newer.Object.ETag != "new" || older.Object == nil || older.Object.ETag != "old" || len(w.records) != 2 {
		t.Errorf("records = %v", w.records)
	}
}

func TestFailingRecordDoesNotStopTheOthers(t *testing.T) {
	t.Parallel()
	src := &fakeSource{
		objects: map[string]*s3.HeadObjectOutput{"a@v1": head(1, "e1", "v1"), "c@v1": head(3, "e3", "v1")},
		fail:    map[string]error{"b": &smithy.GenericAPIError{Code: "AccessDenied", Message: "Access Denied"}},
	}
	h, w := newHandler(src)
	err := h.Handle(context.Background(), events.S3Event{Records: []events.S3EventRecord{rec("a", "v1", "1"), rec("b", "v1", "2"), rec("c", "v1", "3")}})
	if err == nil || !strings.Contains(err.Error(), "record 1 (s3://acme-data-prod/b)") {
		t.Fatalf("error = %v, want it to name record 1", err)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" {
		t.Errorf("the cause is lost: %v", err)
	}
	if len(w.records) != 2 {
		t.Errorf("%d records written, want the 2 good ones", len(w.records))
	}
}

func TestConfigFromEnv(t *testing.T) {
	t.Parallel()
	// The same message every time, whatever the map order of the run.
	for range 20 {
		_, err := ConfigFromEnv(func(string) string { return "" })
		if err == nil || err.Error() != "environment variables not set: WRITER_ROLE_ARN, REPORT_BUCKET" {
			t.Fatalf("err = %v", err)
		}
	}
	env := map[string]string{"WRITER_ROLE_ARN": "arn:aws:iam::333333333333:role/w", "REPORT_BUCKET": "r", "REPORT_PREFIX": "metadata/"}
	c, err := ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil || c.ReportPrefix != "metadata/" {
		t.Errorf("config %+v, err %v", c, err)
	}
}
