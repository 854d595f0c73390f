// Package processor is the metadata processor: for every object created in
// the Production bucket it writes one JSON record to the Reporting bucket,
// through a role it assumes there. Delivery is at least once and out of
// order, so a record's key is fixed by bucket, key and version, and the
// write is conditional (If-None-Match: *): a redelivered event is a no-op and
// an older event never overwrites a newer version's record. s3:PutObject is
// all the writer role needs.
package processor

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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
)

// SchemaVersion is the version of the record format.
const SchemaVersion = 1

// maxKeyBytes is S3's limit on an object key.
const maxKeyBytes = 1024

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
}

// ConfigFromEnv reads Config with getenv and says what is missing.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		WriterRoleARN:     getenv("WRITER_ROLE_ARN"),
		ReportBucket:      getenv("REPORT_BUCKET"),
		ReportPrefix:      getenv("REPORT_PREFIX"),
		ReportBucketOwner: getenv("REPORT_BUCKET_OWNER"),
		SourceBucketOwner: getenv("SOURCE_BUCKET_OWNER"),
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
	Status        string      `json:"status"` // "present" or "gone"
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
	bucket := r.S3.Bucket.Name
	version := r.S3.Object.VersionID
	in := &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if version != "" {
		in.VersionId = aws.String(version)
	}
	if h.Config.SourceBucketOwner != "" {
		in.ExpectedBucketOwner = aws.String(h.Config.SourceBucketOwner)
	}
	rec := Record{
		SchemaVersion: SchemaVersion,
		Source:        SourceRef{Bucket: bucket, Key: key, VersionID: version},
		Event: EventInfo{Name: r.EventName, Time: r.EventTime.UTC(), Sequencer: r.S3.Object.Sequencer,
			Principal: r.PrincipalID.PrincipalID, SourceIP: r.RequestParameters.SourceIPAddress},
		ProcessedAt: h.Now().UTC(),
	}
	head, err := h.Source.HeadObject(ctx, in)
	switch {
	case isCode(err, "NotFound", "NoSuchKey", "NoSuchVersion"):
		rec.Status = "gone"
	case err != nil:
		return fmt.Errorf("read object metadata: %w", err)
	default:
		rec.Status = "present"
		rec.Object = &ObjectInfo{
			Size: aws.ToInt64(head.ContentLength), ETag: strings.Trim(aws.ToString(head.ETag), `"`),
			ContentType: aws.ToString(head.ContentType), LastModified: aws.ToTime(head.LastModified).UTC(),
			StorageClass: string(head.StorageClass), ServerSideEncryption: string(head.ServerSideEncryption),
			VersionID: aws.ToString(head.VersionId), Metadata: head.Metadata,
		}
		if rec.Object.StorageClass == "" {
			rec.Object.StorageClass = "STANDARD"
		}
		if rec.Source.VersionID == "" {
			rec.Source.VersionID = rec.Object.VersionID
		}
	}
	body, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	dest := RecordKey(h.Config.ReportPrefix, bucket, key, rec.Source.VersionID)
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
	h.Log.InfoContext(ctx, "record written", "record", dest, "status", rec.Status, "event", r.EventName)
	return nil
}

// RecordKey is where the record of one object version goes: readable
// (<prefix><bucket>/<key>/<version>.json; "null" for an unversioned object)
// when that fits in S3's 1,024 bytes, else
// <prefix><bucket>/_hashed/<sha256 of bucket, key, version>.json.
func RecordKey(prefix, bucket, key, version string) string {
	if version == "" {
		version = "null"
	}
	readable := prefix + bucket + "/" + key + "/" + version + ".json"
	if len(readable) <= maxKeyBytes {
		return readable
	}
	sum := sha256.Sum256([]byte(bucket + "\x00" + key + "\x00" + version))
	return prefix + bucket + "/_hashed/" + hex.EncodeToString(sum[:]) + ".json"
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
