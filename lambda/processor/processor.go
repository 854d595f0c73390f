// Package processor is the metadata processor: for every change of data in
// the Production bucket (a version created, a delete marker created, a
// version permanently deleted) it writes one JSON record to the Reporting
// bucket, through a role it assumes there. Delivery is at least once and out
// of order, so a record's key is fixed by bucket, key and version (see
// keys.go), and the write is conditional (If-None-Match: *): a redelivered
// event is a no-op and no record is ever overwritten. s3:PutObject is all
// the writer role needs.
//
// It takes S3 event notifications and S3 Batch Operations events (schema
// 2.0, the backfill and repair path of xacct reconcile; see batch.go).
package processor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// SchemaVersion is the version of the record format. Version 2 added the
// removal statuses and the batch job.
const SchemaVersion = 2

// Statuses of a record.
const (
	// StatusPresent: the version exists; Object holds its metadata.
	StatusPresent = "present"
	// StatusGone: the version's creation was seen, but it was permanently
	// deleted before it could be read.
	StatusGone = "gone"
	// StatusDeleted: the version is a delete marker (the key was deleted).
	StatusDeleted = "deleted"
	// StatusVersionDeleted: the version was permanently deleted (a record
	// at DeletionRecordKey).
	StatusVersionDeleted = "version-deleted"
)

// Config comes from the function's environment.
type Config struct {
	WriterRoleARN string // WRITER_ROLE_ARN
	ReportBucket  string // REPORT_BUCKET
	ReportPrefix  string // REPORT_PREFIX
	// ReportBucketOwner and SourceBucketOwner are the accounts expected to
	// own the buckets (sent as x-amz-expected-bucket-owner), so a bucket
	// name taken over by another account is never read or written.
	ReportBucketOwner string // REPORT_BUCKET_OWNER
	SourceBucketOwner string // SOURCE_BUCKET_OWNER
	// SourceBucket is the only bucket whose events and tasks are recorded
	// (SOURCE_BUCKET); empty: any (older deployments).
	SourceBucket string
}

// ConfigFromEnv reads Config with getenv and says what is missing.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		WriterRoleARN:     getenv("WRITER_ROLE_ARN"),
		ReportBucket:      getenv("REPORT_BUCKET"),
		ReportPrefix:      getenv("REPORT_PREFIX"),
		ReportBucketOwner: getenv("REPORT_BUCKET_OWNER"),
		SourceBucketOwner: getenv("SOURCE_BUCKET_OWNER"),
		SourceBucket:      getenv("SOURCE_BUCKET"),
	}
	var missing []string
	// In a fixed order: the message is the same on every cold start.
	for _, v := range []struct{ name, value string }{{"WRITER_ROLE_ARN", c.WriterRoleARN}, {"REPORT_BUCKET", c.ReportBucket}} {
		if v.value == "" {
			missing = append(missing, v.name)
		}
	}
	if len(missing) > 0 {
		return c, fmt.Errorf("environment variables not set: %s", strings.Join(missing, ", "))
	}
	return c, nil
}

// SourceAPI reads the new object's metadata in Production.
type SourceAPI interface {
	HeadObject(context.Context, *s3.HeadObjectInput, ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
}

// WriterAPI writes records in Reporting (with the writer role's credentials).
type WriterAPI interface {
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// Handler processes S3 events.
type Handler struct {
	Config Config
	Source SourceAPI
	Writer WriterAPI
	Log    *slog.Logger
	Now    func() time.Time
}

// Record is what the processor writes for one object version.
type Record struct {
	SchemaVersion int         `json:"schema_version"`
	Source        SourceRef   `json:"source"`
	Event         EventInfo   `json:"event"`
	Object        *ObjectInfo `json:"object"` // nil when the object was gone
	Status        string      `json:"status"` // one of the Status constants
	ProcessedAt   time.Time   `json:"processed_at"`
}

// SourceRef names the object version the record is about.
type SourceRef struct {
	Bucket    string `json:"bucket"`
	Key       string `json:"key"`
	VersionID string `json:"version_id"`
}

// EventInfo is what the S3 event said.
type EventInfo struct {
	Name      string    `json:"name"`
	Time      time.Time `json:"time"`
	Sequencer string    `json:"sequencer"`
	Principal string    `json:"principal"`
	SourceIP  string    `json:"source_ip"`
	// Job is the S3 Batch Operations job (or xacct reconcile run) that
	// wrote a record found missing; empty for records of S3 events.
	Job string `json:"job,omitempty"`
}

// ObjectInfo is the object's metadata as HeadObject returned it.
type ObjectInfo struct {
	Size                 int64             `json:"size"`
	ETag                 string            `json:"etag"`
	ContentType          string            `json:"content_type"`
	LastModified         time.Time         `json:"last_modified"`
	StorageClass         string            `json:"storage_class"`
	ServerSideEncryption string            `json:"server_side_encryption"`
	VersionID            string            `json:"version_id"`
	Metadata             map[string]string `json:"metadata"`
}

// Handle processes every record of the event. A record that fails does not
// stop the others; the error returned names every failure, and Lambda
// retries the event (records already written are then no-ops).
func (h *Handler) Handle(ctx context.Context, ev events.S3Event) error {
	var errs []error
	for i, r := range ev.Records {
		if err := h.record(ctx, r); err != nil {
			h.Log.ErrorContext(ctx, "record failed", "index", i, "bucket", r.S3.Bucket.Name, "key", r.S3.Object.Key, "error", err.Error())
			errs = append(errs, fmt.Errorf("record %d (s3://%s/%s): %w", i, r.S3.Bucket.Name, r.S3.Object.Key, err))
		}
	}
	return errors.Join(errs...)
}

func (h *Handler) record(ctx context.Context, r events.S3EventRecord) error {
	key, err := url.QueryUnescape(r.S3.Object.Key)
	if err != nil {
		return fmt.Errorf("decode key %q: %w", r.S3.Object.Key, err)
	}
	if err := h.ours(r.S3.Bucket.Name); err != nil {
		h.Log.WarnContext(ctx, "event refused", "bucket", r.S3.Bucket.Name, "key", key, "error", err.Error())
		return nil // not retried: it will never be ours
	}
	rec := Record{
		SchemaVersion: SchemaVersion,
		Source:        SourceRef{Bucket: r.S3.Bucket.Name, Key: key, VersionID: r.S3.Object.VersionID},
		Event: EventInfo{Name: r.EventName, Time: r.EventTime.UTC(), Sequencer: r.S3.Object.Sequencer,
			Principal: r.PrincipalID.PrincipalID, SourceIP: r.RequestParameters.SourceIPAddress},
		ProcessedAt: h.Now().UTC(),
	}
	removed := strings.HasPrefix(r.EventName, "ObjectRemoved:")
	if removed && rec.Source.VersionID == "" && r.EventName == "ObjectRemoved:DeleteMarkerCreated" {
		return h.refuse(ctx, rec, "a delete marker event without the marker's version")
	}
	st, err := h.head(ctx, rec.Source.Bucket, key, rec.Source.VersionID)
	if err != nil {
		return err
	}
	// A removal is recorded only as S3 shows it: an event is taken for what
	// it says only when the bucket agrees, so a forged or replayed event
	// cannot record a live version as deleted (records are never
	// overwritten).
	switch {
	case r.EventName == "ObjectRemoved:DeleteMarkerCreated" && st.object == nil:
		// The marker, or nothing if it was itself deleted since.
		rec.Status = StatusDeleted
		return h.write(ctx, rec, RecordKey(h.Config.ReportPrefix, rec.Source.Bucket, key, rec.Source.VersionID))
	case removed && rec.Source.VersionID != "" && st.object == nil && !st.deleteMarker:
		rec.Status = StatusVersionDeleted
		return h.write(ctx, rec, DeletionRecordKey(h.Config.ReportPrefix, rec.Source.Bucket, key, rec.Source.VersionID))
	case removed && rec.Source.VersionID == "" && st.object == nil:
		// An unversioned bucket: the key is gone.
		rec.Status = StatusVersionDeleted
		return h.write(ctx, rec, DeletionRecordKey(h.Config.ReportPrefix, rec.Source.Bucket, key, rec.Source.VersionID))
	case removed:
		return h.refuse(ctx, rec, "S3 still holds the version this removal event names")
	}
	switch {
	case st.object != nil:
		rec.Status, rec.Object = StatusPresent, st.object
		if rec.Source.VersionID == "" {
			rec.Source.VersionID = rec.Object.VersionID
		}
	case st.deleteMarker:
		// Overtaken: the version this event names is a delete marker.
		rec.Status = StatusDeleted
	default:
		rec.Status = StatusGone
	}
	return h.write(ctx, rec, RecordKey(h.Config.ReportPrefix, rec.Source.Bucket, key, rec.Source.VersionID))
}

// ours refuses a bucket other than the one the processor records.
func (h *Handler) ours(bucket string) error {
	if h.Config.SourceBucket != "" && bucket != h.Config.SourceBucket {
		return fmt.Errorf("bucket %q is not the bucket this processor records (%s)", bucket, h.Config.SourceBucket)
	}
	return nil
}

// refuse logs an event that S3 contradicts and records nothing; it is not
// retried (the answer will not change).
func (h *Handler) refuse(ctx context.Context, rec Record, why string) error {
	h.Log.WarnContext(ctx, "event refused", "event", rec.Event.Name, "bucket", rec.Source.Bucket, "key", rec.Source.Key, "version", rec.Source.VersionID, "why", why)
	return nil
}

// headResult is what HeadObject said of one version: its metadata, or that
// it is a delete marker (LastModified from the marker), or neither (absent).
type headResult struct {
	object       *ObjectInfo
	deleteMarker bool
	versionID    string // the delete marker's
	lastModified time.Time
}

// head reads the metadata of key's version (the current one if version is
// empty). Absent and delete-marker versions are results, not errors.
func (h *Handler) head(ctx context.Context, bucket, key, version string) (headResult, error) {
	in := &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if version != "" {
		in.VersionId = aws.String(version)
	}
	if h.Config.SourceBucketOwner != "" {
		in.ExpectedBucketOwner = aws.String(h.Config.SourceBucketOwner)
	}
	out, err := h.Source.HeadObject(ctx, in)
	var re *smithyhttp.ResponseError
	switch {
	case err == nil:
	case errors.As(err, &re) && re.Response != nil && re.Response.Header.Get("X-Amz-Delete-Marker") == "true":
		// S3 answers a HEAD of a delete marker with 405 (by version) or 404
		// (the current version), and says so in a header.
		t, _ := time.Parse(time.RFC1123, re.Response.Header.Get("Last-Modified"))
		return headResult{deleteMarker: true, versionID: re.Response.Header.Get("X-Amz-Version-Id"), lastModified: t.UTC()}, nil
	case isCode(err, "NotFound", "NoSuchKey", "NoSuchVersion"):
		return headResult{}, nil
	default:
		return headResult{}, fmt.Errorf("read object metadata: %w", err)
	}
	o := &ObjectInfo{
		Size: aws.ToInt64(out.ContentLength), ETag: strings.Trim(aws.ToString(out.ETag), `"`),
		ContentType: aws.ToString(out.ContentType), LastModified: aws.ToTime(out.LastModified).UTC(),
		StorageClass: string(out.StorageClass), ServerSideEncryption: string(out.ServerSideEncryption),
		VersionID: aws.ToString(out.VersionId), Metadata: out.Metadata,
	}
	if o.StorageClass == "" {
		o.StorageClass = "STANDARD"
	}
	return headResult{object: o, lastModified: o.LastModified}, nil
}

// write puts rec at dest unless a record is there already (redelivery).
func (h *Handler) write(ctx context.Context, rec Record, dest string) error {
	body, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	put := &s3.PutObjectInput{
		Bucket: aws.String(h.Config.ReportBucket), Key: aws.String(dest), Body: strings.NewReader(string(body)),
		ContentType: aws.String("application/json"), IfNoneMatch: aws.String("*"),
	}
	if h.Config.ReportBucketOwner != "" {
		put.ExpectedBucketOwner = aws.String(h.Config.ReportBucketOwner)
	}
	_, err = h.Writer.PutObject(ctx, put)
	switch {
	case isCode(err, "PreconditionFailed"):
		h.Log.InfoContext(ctx, "record exists (redelivery)", "record", dest)
		return nil
	case err != nil:
		return fmt.Errorf("write record %s: %w", dest, err)
	}
	h.Log.InfoContext(ctx, "record written", "record", dest, "status", rec.Status, "event", rec.Event.Name)
	return nil
}

func isCode(err error, codes ...string) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	for _, c := range codes {
		if ae.ErrorCode() == c {
			return true
		}
	}
	return false
}
