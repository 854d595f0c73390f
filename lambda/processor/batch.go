package processor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// Batch result codes (S3 Batch Operations, LambdaInvoke).
const (
	ResultSucceeded        = "Succeeded"
	ResultTemporaryFailure = "TemporaryFailure"
	ResultPermanentFailure = "PermanentFailure"
)

// EventReconcile names the records written for a task (a version found
// without its record by xacct reconcile) rather than for an S3 event.
const EventReconcile = "Reconcile"

// Invoke is the function's entry point: it takes an S3 event notification
// (Records) or an S3 Batch Operations event (invocationSchemaVersion, whose
// tasks it answers one result each) and tells them apart by their fields.
func (h *Handler) Invoke(ctx context.Context, payload json.RawMessage) (any, error) {
	var probe struct {
		Schema *string         `json:"invocationSchemaVersion"`
		Recs   json.RawMessage `json:"Records"`
	}
	if err := json.Unmarshal(payload, &probe); err != nil {
		return nil, fmt.Errorf("the event is not a JSON object: %w", err)
	}
	if probe.Schema != nil {
		var ev events.S3BatchJobEventV2
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, fmt.Errorf("batch event: %w", err)
		}
		if err := h.batchV1(payload, &ev); err != nil {
			return nil, err
		}
		return h.HandleBatch(ctx, ev), nil
	}
	var ev events.S3Event
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, fmt.Errorf("S3 event: %w", err)
	}
	return nil, h.Handle(ctx, ev)
}

// batchV1 fills the bucket of schema 1.0 tasks, which name it by ARN.
func (h *Handler) batchV1(payload json.RawMessage, ev *events.S3BatchJobEventV2) error {
	if ev.InvocationSchemaVersion != "1.0" {
		return nil
	}
	var v1 events.S3BatchJobEvent
	if err := json.Unmarshal(payload, &v1); err != nil {
		return fmt.Errorf("batch event: %w", err)
	}
	for i := range ev.Tasks {
		if i < len(v1.Tasks) {
			ev.Tasks[i].S3Bucket = strings.TrimPrefix(v1.Tasks[i].S3BucketARN, "arn:aws:s3:::")
		}
	}
	return nil
}

// HandleBatch records the version each task names, as HeadObject finds it
// now: an object version gets its record, a delete marker its "deleted"
// record, a version that no longer exists its "version-deleted" record.
// Records already there are left as they are (If-None-Match), so a task
// run twice is harmless. A failure to read or write is a TemporaryFailure
// (Batch Operations retries it); a malformed task is a PermanentFailure.
func (h *Handler) HandleBatch(ctx context.Context, ev events.S3BatchJobEventV2) events.S3BatchJobResponse {
	out := events.S3BatchJobResponse{InvocationSchemaVersion: ev.InvocationSchemaVersion, InvocationID: ev.InvocationID,
		TreatMissingKeysAs: ResultPermanentFailure}
	if out.InvocationSchemaVersion == "" {
		out.InvocationSchemaVersion = "2.0"
	}
	for _, t := range ev.Tasks {
		code, msg := ResultSucceeded, ""
		status, err := h.task(ctx, ev.Job.ID, t)
		var bad *badTaskError
		switch {
		case errors.As(err, &bad):
			code, msg = ResultPermanentFailure, err.Error()
		case err != nil:
			code, msg = ResultTemporaryFailure, err.Error()
		default:
			msg = status
		}
		if err != nil {
			h.Log.ErrorContext(ctx, "task failed", "task", t.TaskID, "key", t.S3Key, "version", t.S3VersionID, "error", err.Error())
		}
		out.Results = append(out.Results, events.S3BatchJobResult{TaskID: t.TaskID, ResultCode: code, ResultString: msg})
	}
	return out
}

type badTaskError struct{ msg string }

func (e *badTaskError) Error() string { return e.msg }

func (h *Handler) task(ctx context.Context, job string, t events.S3BatchJobTaskV2) (string, error) {
	// Batch Operations passes the key as the manifest has it: URL-encoded
	// (percent-encoding; '+' is a plus).
	key, err := url.PathUnescape(t.S3Key)
	if err != nil {
		return "", &badTaskError{fmt.Sprintf("decode key %q: %v", t.S3Key, err)}
	}
	if t.S3Bucket == "" || key == "" {
		return "", &badTaskError{"the task names no bucket or no key"}
	}
	if err := h.ours(t.S3Bucket); err != nil {
		return "", &badTaskError{err.Error()}
	}
	st, err := h.head(ctx, t.S3Bucket, key, t.S3VersionID)
	if err != nil {
		return "", err
	}
	rec := Record{
		SchemaVersion: SchemaVersion,
		Source:        SourceRef{Bucket: t.S3Bucket, Key: key, VersionID: t.S3VersionID},
		Event:         EventInfo{Name: EventReconcile, Time: st.lastModified, Job: job},
		ProcessedAt:   h.Now().UTC(),
	}
	if rec.Event.Time.IsZero() {
		// A version that no longer exists: when it went is not known.
		rec.Event.Time = rec.ProcessedAt
	}
	dest := ""
	switch {
	case st.object != nil:
		rec.Status, rec.Object = StatusPresent, st.object
		if rec.Source.VersionID == "" {
			rec.Source.VersionID = st.object.VersionID
		}
		dest = RecordKey(h.Config.ReportPrefix, t.S3Bucket, key, rec.Source.VersionID)
	case st.deleteMarker:
		rec.Status = StatusDeleted
		if rec.Source.VersionID == "" {
			rec.Source.VersionID = st.versionID
		}
		dest = RecordKey(h.Config.ReportPrefix, t.S3Bucket, key, rec.Source.VersionID)
	default:
		if t.S3VersionID == "" {
			return "", &badTaskError{"the key does not exist and the task names no version"}
		}
		rec.Status = StatusVersionDeleted
		dest = DeletionRecordKey(h.Config.ReportPrefix, t.S3Bucket, key, rec.Source.VersionID)
	}
	if err := h.write(ctx, rec, dest); err != nil {
		return "", err
	}
	return rec.Status + " " + dest, nil
}
