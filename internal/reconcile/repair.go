package reconcile

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	s3ctypes "github.com/aws/aws-sdk-go-v2/service/s3control/types"

	"github.com/xacct/xacct/lambda/processor"
)

// InvokeAPI runs the processor (Production).
type InvokeAPI interface {
	Invoke(context.Context, *lambda.InvokeInput, ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// FilesAPI reads and removes failed-event files and writes manifests in the
// failure bucket (Production).
type FilesAPI interface {
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	DeleteObject(context.Context, *s3.DeleteObjectInput, ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// RecordsAPI reads records (Reporting).
type RecordsAPI interface {
	HeadObject(context.Context, *s3.HeadObjectInput, ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// JobsAPI is S3 Batch Operations (S3 Control, Production).
type JobsAPI interface {
	CreateJob(context.Context, *s3control.CreateJobInput, ...func(*s3control.Options)) (*s3control.CreateJobOutput, error)
	DescribeJob(context.Context, *s3control.DescribeJobInput, ...func(*s3control.Options)) (*s3control.DescribeJobOutput, error)
}

// RepairOptions say how to repair.
type RepairOptions struct {
	Function      string // the processor's name
	FunctionARN   string
	Account       string // Production's ID (S3 Control's account)
	Bucket        string
	ReportBucket  string
	ReportPrefix  string
	FailureBucket string
	// ManifestPrefix is where job manifests go in the failure bucket.
	ManifestPrefix string
	// JobRoleARN runs a batch job; ReportsPrefix is where it writes its
	// completion report in the Reporting bucket.
	JobRoleARN, ReportsPrefix string
	// ProductionOwner and ReportingOwner are expected bucket owners.
	ProductionOwner, ReportingOwner string
	// Threshold: more tasks than this go to a batch job (0: any task).
	Threshold int
	// Concurrency bounds the invocations at once (default 4);
	// TasksPerInvoke the tasks in one (default 50).
	Concurrency, TasksPerInvoke int
	// PollInterval is how often a job is described (default 2 s).
	PollInterval time.Duration
	Progress     func(RepairProgress)
}

// RepairProgress is how far a repair is.
type RepairProgress struct {
	Phase       string // "failed events", "records", "job"
	Done, Total int64
	JobStatus   string
}

// TaskFailure is a version whose record could not be written.
type TaskFailure struct {
	Key       string `json:"key"`
	VersionID string `json:"version_id"`
	Reason    string `json:"reason"`
}

// Job is what a batch job did.
type Job struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	Succeeded int64  `json:"succeeded"`
	Failed    int64  `json:"failed"`
	Manifest  string `json:"manifest"`
	Report    string `json:"report"`
	Reason    string `json:"reason,omitempty"`
}

// RepairResult is what a repair did.
type RepairResult struct {
	// Replayed failed events (their files removed once their records
	// existed); ReplayFailed kept their files.
	Replayed     int64    `json:"replayed"`
	ReplayFailed int64    `json:"replay_failed"`
	ReplayErrors []string `json:"replay_errors,omitempty"`
	// Tasks: versions sent to the processor; Written: their records exist.
	Tasks    int64         `json:"tasks"`
	Written  int64         `json:"written"`
	Failures []TaskFailure `json:"failures,omitempty"`
	Failed   int64         `json:"failed"`
	Job      *Job          `json:"job,omitempty"`
}

// Spool keeps a comparison's differences on disk, one JSON line each, so
// that a repair of any size needs no memory for them.
type Spool struct {
	f     *os.File
	w     *bufio.Writer
	mu    sync.Mutex
	err   error
	count map[Class]int64
}

// NewSpool makes a spool in dir (the system's temporary directory if empty).
func NewSpool(dir string) (*Spool, error) {
	f, err := os.CreateTemp(dir, "xacct-reconcile-*.jsonl")
	if err != nil {
		return nil, fmt.Errorf("reconcile: spool: %w", err)
	}
	return &Spool{f: f, w: bufio.NewWriter(f), count: map[Class]int64{}}, nil
}

// Add is a Sink.
func (s *Spool) Add(it Item) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _ := json.Marshal(it)
	if _, err := s.w.Write(append(b, '\n')); err != nil && s.err == nil {
		s.err = err
	}
	s.count[it.Class]++
}

// Close removes the spool.
func (s *Spool) Close() error {
	s.f.Close()
	return os.Remove(s.f.Name())
}

// each reads the spool back, calling fn for the items of the classes.
func (s *Spool) each(fn func(Item) error, classes ...Class) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return fmt.Errorf("reconcile: spool: %w", s.err)
	}
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("reconcile: spool: %w", err)
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	defer s.f.Seek(0, io.SeekEnd)
	sc := bufio.NewScanner(s.f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		var it Item
		if err := json.Unmarshal(sc.Bytes(), &it); err != nil {
			return fmt.Errorf("reconcile: spool: %w", err)
		}
		for _, c := range classes {
			if it.Class == c {
				if err := fn(it); err != nil {
					return err
				}
			}
		}
	}
	return sc.Err()
}

func (s *Spool) tasks() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count[MissingVersion] + s.count[MissingDeletion] + s.count[Orphan]
}

// Repairer sends what a comparison found missing through the processor.
type Repairer struct {
	Opts    RepairOptions
	Invoke  InvokeAPI
	Files   FilesAPI
	Records RecordsAPI
	Jobs    JobsAPI
}

const maxListedFailures = 20

// Repair replays the failed events (each file removed only after its
// records exist), then has the processor record every version still
// missing one: by itself up to the threshold, else with a batch job.
func (r *Repairer) Repair(ctx context.Context, sp *Spool) (*RepairResult, error) {
	o := &r.Opts
	if o.Concurrency < 1 {
		o.Concurrency = 4
	}
	if o.TasksPerInvoke < 1 {
		o.TasksPerInvoke = 50
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 2 * time.Second
	}
	res := &RepairResult{}
	if err := r.replay(ctx, sp, res); err != nil {
		return res, err
	}
	n := sp.tasks()
	res.Tasks = n
	if n == 0 {
		return res, nil
	}
	if n > int64(o.Threshold) {
		return res, r.job(ctx, sp, res)
	}
	return res, r.local(ctx, sp, res)
}

func (r *Repairer) progress(p RepairProgress) {
	if r.Opts.Progress != nil {
		r.Opts.Progress(p)
	}
}

// pool runs fn over what feed sends, Concurrency at once, and returns the
// first error.
func (r *Repairer) pool(ctx context.Context, feed func(send func(any) bool) error, fn func(context.Context, any) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan any)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	fail := func(err error) {
		once.Do(func() { first = err; cancel() })
	}
	for range r.Opts.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for w := range work {
				if err := fn(ctx, w); err != nil {
					fail(err)
				}
			}
		}()
	}
	err := feed(func(w any) bool {
		select {
		case work <- w:
			return true
		case <-ctx.Done():
			return false
		}
	})
	close(work)
	wg.Wait()
	if err != nil {
		return err
	}
	if first != nil {
		return first
	}
	return ctx.Err()
}

// replay re-runs each failed event through the processor, synchronously,
// and removes its file (that version of it) once every record the event
// should give exists.
func (r *Repairer) replay(ctx context.Context, sp *Spool, res *RepairResult) error {
	total := sp.count[FailedEvent]
	if total == 0 {
		return nil
	}
	var done atomic.Int64
	var mu sync.Mutex
	return r.pool(ctx, func(send func(any) bool) error {
		return sp.each(func(it Item) error {
			if !send(it) {
				return ctx.Err()
			}
			return nil
		}, FailedEvent)
	}, func(ctx context.Context, w any) error {
		it := w.(Item)
		err := r.replayOne(ctx, it)
		mu.Lock()
		if err != nil {
			res.ReplayFailed++
			if len(res.ReplayErrors) < maxListedFailures {
				res.ReplayErrors = append(res.ReplayErrors, it.File+": "+err.Error())
			}
		} else {
			res.Replayed++
		}
		mu.Unlock()
		r.progress(RepairProgress{Phase: "failed events", Done: done.Add(1), Total: total})
		return ctx.Err()
	})
}

// failedRecord is the part of Lambda's invocation record a replay needs.
type failedRecord struct {
	RequestContext struct {
		FunctionArn string `json:"functionArn"`
		Condition   string `json:"condition"`
	} `json:"requestContext"`
	RequestPayload json.RawMessage `json:"requestPayload"`
}

func (r *Repairer) replayOne(ctx context.Context, it Item) error {
	o := &r.Opts
	get := &s3.GetObjectInput{Bucket: aws.String(o.FailureBucket), Key: aws.String(it.File), ExpectedBucketOwner: owner(o.ProductionOwner)}
	if it.FileVersion != "" {
		get.VersionId = aws.String(it.FileVersion)
	}
	out, err := r.Files.GetObject(ctx, get)
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	body, err := io.ReadAll(io.LimitReader(out.Body, 8<<20))
	out.Body.Close()
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	var fr failedRecord
	if err := json.Unmarshal(body, &fr); err != nil || len(fr.RequestPayload) == 0 {
		return fmt.Errorf("not a Lambda invocation record with a requestPayload")
	}
	// Lambda's own record of this function's failed event, nothing else.
	if fn := fr.RequestContext.FunctionArn; o.FunctionARN != "" && fn != o.FunctionARN && !strings.HasPrefix(fn, o.FunctionARN+":") {
		return fmt.Errorf("it is the record of another function (%q): not replayed", fn)
	}
	if c := fr.RequestContext.Condition; c != "RetriesExhausted" && c != "EventAgeExceeded" {
		return fmt.Errorf("its condition is %q, not RetriesExhausted or EventAgeExceeded: not replayed", c)
	}
	var ev events.S3Event
	if err := json.Unmarshal(fr.RequestPayload, &ev); err != nil || len(ev.Records) == 0 {
		return fmt.Errorf("its requestPayload is not an S3 event")
	}
	// Only events of the Production bucket are replayed: a file written by
	// someone else must not make the processor record another bucket.
	for _, rec := range ev.Records {
		if rec.S3.Bucket.Name != o.Bucket || !strings.HasPrefix(rec.EventName, "ObjectCreated:") && !strings.HasPrefix(rec.EventName, "ObjectRemoved:") {
			return fmt.Errorf("its event (%s of bucket %q) is not one of the Production bucket's: not replayed", rec.EventName, rec.S3.Bucket.Name)
		}
	}
	inv, err := r.Invoke.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(o.Function), InvocationType: lambdatypes.InvocationTypeRequestResponse,
		Payload: fr.RequestPayload})
	if err != nil {
		return fmt.Errorf("invoke %s: %w", o.Function, err)
	}
	if inv.FunctionError != nil {
		return fmt.Errorf("%s failed again: %s", o.Function, strings.TrimSpace(string(inv.Payload)))
	}
	for _, rec := range ev.Records {
		rk, err := eventRecordKey(o.ReportPrefix, rec)
		if err != nil {
			return err
		}
		if _, err := r.Records.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(o.ReportBucket), Key: aws.String(rk),
			ExpectedBucketOwner: owner(o.ReportingOwner)}); err != nil {
			return fmt.Errorf("its record %s is not there after the replay: %w", rk, err)
		}
	}
	del := &s3.DeleteObjectInput{Bucket: aws.String(o.FailureBucket), Key: aws.String(it.File), ExpectedBucketOwner: owner(o.ProductionOwner)}
	if it.FileVersion != "" {
		del.VersionId = aws.String(it.FileVersion)
	}
	if _, err := r.Files.DeleteObject(ctx, del); err != nil {
		return fmt.Errorf("remove the file: %w", err)
	}
	return nil
}

// eventRecordKey is where the processor writes the record of one S3 event
// record (see processor.Handler.record).
func eventRecordKey(prefix string, rec events.S3EventRecord) (string, error) {
	key, err := unescapeEventKey(rec.S3.Object.Key)
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(rec.EventName, "ObjectRemoved:") && rec.EventName != "ObjectRemoved:DeleteMarkerCreated" {
		return processor.DeletionRecordKey(prefix, rec.S3.Bucket.Name, key, rec.S3.Object.VersionID), nil
	}
	return processor.RecordKey(prefix, rec.S3.Bucket.Name, key, rec.S3.Object.VersionID), nil
}

// local sends the tasks to the function, TasksPerInvoke at a time.
func (r *Repairer) local(ctx context.Context, sp *Spool, res *RepairResult) error {
	var done atomic.Int64
	var mu sync.Mutex
	total := res.Tasks
	jobID := "xacct-reconcile-" + newToken()[:12]
	return r.pool(ctx, func(send func(any) bool) error {
		var batch []Item
		flush := func() bool {
			if len(batch) == 0 {
				return true
			}
			b := batch
			batch = nil
			return send(b)
		}
		err := sp.each(func(it Item) error {
			it, err := r.resolve(ctx, it)
			if err != nil {
				return err
			}
			batch = append(batch, it)
			if len(batch) == r.Opts.TasksPerInvoke && !flush() {
				return ctx.Err()
			}
			return nil
		}, MissingVersion, MissingDeletion, Orphan)
		if err != nil {
			return err
		}
		flush()
		return nil
	}, func(ctx context.Context, w any) error {
		items := w.([]Item)
		failures, err := r.invokeTasks(ctx, jobID, items)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// This batch failed for good (the function kept failing, or
			// the invocation did): its versions are listed, the others go on.
			failures = failures[:0]
			for _, it := range items {
				failures = append(failures, TaskFailure{Key: it.Key, VersionID: it.VersionID, Reason: err.Error()})
			}
		}
		mu.Lock()
		res.Written += int64(len(items) - len(failures))
		res.Failed += int64(len(failures))
		for _, f := range failures {
			if len(res.Failures) < maxListedFailures {
				res.Failures = append(res.Failures, f)
			}
		}
		mu.Unlock()
		r.progress(RepairProgress{Phase: "records", Done: done.Add(int64(len(items))), Total: total})
		return nil
	})
}

// resolve fills a hashed orphan's key and version from its record.
func (r *Repairer) resolve(ctx context.Context, it Item) (Item, error) {
	if it.Key != "" {
		return it, nil
	}
	out, err := r.Records.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(r.Opts.ReportBucket), Key: aws.String(it.RecordKey),
		ExpectedBucketOwner: owner(r.Opts.ReportingOwner)})
	if err != nil {
		return it, fmt.Errorf("read record %s: %w", it.RecordKey, err)
	}
	defer out.Body.Close()
	var rec processor.Record
	if err := json.NewDecoder(io.LimitReader(out.Body, 1<<20)).Decode(&rec); err != nil {
		return it, fmt.Errorf("read record %s: %w", it.RecordKey, err)
	}
	it.Key, it.VersionID = rec.Source.Key, rec.Source.VersionID
	return it, nil
}

const taskAttempts = 3

// invokeTasks runs one batch event of tasks, retrying what failed
// temporarily, and returns what failed for good.
func (r *Repairer) invokeTasks(ctx context.Context, jobID string, items []Item) ([]TaskFailure, error) {
	pending := items
	var failed []TaskFailure
	for attempt := 1; len(pending) > 0; attempt++ {
		ev := events.S3BatchJobEventV2{InvocationSchemaVersion: "2.0", InvocationID: newToken(), Job: events.S3BatchJobV2{ID: jobID}}
		byID := map[string]Item{}
		for i, it := range pending {
			id := fmt.Sprintf("t%d", i)
			byID[id] = it
			ev.Tasks = append(ev.Tasks, events.S3BatchJobTaskV2{TaskID: id, S3Key: escapeKey(it.Key), S3VersionID: it.VersionID, S3Bucket: r.Opts.Bucket})
		}
		payload, _ := json.Marshal(ev)
		out, err := r.Invoke.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(r.Opts.Function), InvocationType: lambdatypes.InvocationTypeRequestResponse, Payload: payload})
		var resp events.S3BatchJobResponse
		switch {
		case err != nil:
			return nil, fmt.Errorf("invoke %s: %w", r.Opts.Function, err)
		case out.FunctionError != nil:
			if attempt < taskAttempts {
				sleep(ctx, time.Duration(attempt)*time.Second)
				continue
			}
			return nil, fmt.Errorf("%s failed: %s", r.Opts.Function, strings.TrimSpace(string(out.Payload)))
		default:
			if err := json.Unmarshal(out.Payload, &resp); err != nil {
				return nil, fmt.Errorf("%s answered %q: %w", r.Opts.Function, out.Payload, err)
			}
		}
		var retry []Item
		seen := map[string]bool{}
		for _, res := range resp.Results {
			it, ok := byID[res.TaskID]
			if !ok || seen[res.TaskID] {
				continue
			}
			seen[res.TaskID] = true
			switch res.ResultCode {
			case processor.ResultSucceeded:
			case processor.ResultTemporaryFailure:
				if attempt < taskAttempts {
					retry = append(retry, it)
					continue
				}
				fallthrough
			default:
				failed = append(failed, TaskFailure{Key: it.Key, VersionID: it.VersionID, Reason: res.ResultCode + ": " + res.ResultString})
			}
		}
		for id, it := range byID {
			if !seen[id] {
				failed = append(failed, TaskFailure{Key: it.Key, VersionID: it.VersionID, Reason: "the function answered nothing for this task"})
			}
		}
		pending = retry
		if len(retry) > 0 {
			sleep(ctx, time.Duration(attempt)*time.Second)
		}
	}
	return failed, ctx.Err()
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// escapeKey percent-encodes a key as Batch Operations manifests carry them:
// every byte but the unreserved ones.
func escapeKey(k string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~', c == '/':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}

// unescapeEventKey decodes an S3 event's key (form-encoded: '+' is a space).
func unescapeEventKey(k string) (string, error) {
	s, err := url.QueryUnescape(k)
	if err != nil {
		return "", fmt.Errorf("decode the event's key %q: %w", k, err)
	}
	return s, nil
}

func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// job writes a manifest of the missing versions to the failure bucket and
// has S3 Batch Operations run the processor over it, then waits for it.
func (r *Repairer) job(ctx context.Context, sp *Spool, res *RepairResult) error {
	o := &r.Opts
	if r.Jobs == nil || o.JobRoleARN == "" {
		return errors.New("reconcile: a batch job needs S3 Control and the job role")
	}
	manifest, err := os.CreateTemp("", "xacct-manifest-*.csv")
	if err != nil {
		return err
	}
	defer os.Remove(manifest.Name())
	defer manifest.Close()
	w := bufio.NewWriter(manifest)
	err = sp.each(func(it Item) error {
		it, err := r.resolve(ctx, it)
		if err != nil {
			return err
		}
		if strings.ContainsAny(it.VersionID, ",\r\n\"") {
			return fmt.Errorf("version %q of %q cannot go in a manifest", it.VersionID, it.Key)
		}
		_, err = fmt.Fprintf(w, "%s,%s,%s\n", o.Bucket, escapeKey(it.Key), it.VersionID)
		return err
	}, MissingVersion, MissingDeletion, Orphan)
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		return fmt.Errorf("write the manifest: %w", err)
	}
	// The same missing versions give the same manifest and the same job:
	// a run interrupted after creating its job finds it again.
	if _, err := manifest.Seek(0, io.SeekStart); err != nil {
		return err
	}
	h := sha256.New()
	if _, err := io.Copy(h, manifest); err != nil {
		return err
	}
	token := hex.EncodeToString(h.Sum(nil))[:32]
	if _, err := manifest.Seek(0, io.SeekStart); err != nil {
		return err
	}
	key := o.ManifestPrefix + token + ".csv"
	put, err := r.Files.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(o.FailureBucket), Key: aws.String(key), Body: manifest,
		ContentType: aws.String("text/csv"), ExpectedBucketOwner: owner(o.ProductionOwner)})
	if err != nil {
		return fmt.Errorf("upload the manifest s3://%s/%s: %w", o.FailureBucket, key, err)
	}
	reportPrefix := strings.TrimSuffix(o.ReportsPrefix, "/")
	out, err := r.Jobs.CreateJob(ctx, &s3control.CreateJobInput{
		AccountId: aws.String(o.Account), ClientRequestToken: aws.String(token), ConfirmationRequired: aws.Bool(false),
		Description: aws.String("xacct reconcile --repair: metadata records of s3://" + o.Bucket),
		Priority:    aws.Int32(10), RoleArn: aws.String(o.JobRoleARN),
		Operation: &s3ctypes.JobOperation{LambdaInvoke: &s3ctypes.LambdaInvokeOperation{FunctionArn: aws.String(o.FunctionARN), InvocationSchemaVersion: aws.String("2.0")}},
		Manifest: &s3ctypes.JobManifest{
			Spec: &s3ctypes.JobManifestSpec{Format: s3ctypes.JobManifestFormatS3BatchOperationsCsv20180820,
				Fields: []s3ctypes.JobManifestFieldName{s3ctypes.JobManifestFieldNameBucket, s3ctypes.JobManifestFieldNameKey, s3ctypes.JobManifestFieldNameVersionId}},
			Location: &s3ctypes.JobManifestLocation{ObjectArn: aws.String("arn:aws:s3:::" + o.FailureBucket + "/" + key), ETag: aws.String(strings.Trim(aws.ToString(put.ETag), `"`))},
		},
		Report: &s3ctypes.JobReport{Bucket: aws.String("arn:aws:s3:::" + o.ReportBucket), Prefix: aws.String(reportPrefix), Enabled: true,
			Format: s3ctypes.JobReportFormatReportCsv20180820, ReportScope: s3ctypes.JobReportScopeAllTasks},
	})
	if err != nil {
		return fmt.Errorf("create the batch job: %w", err)
	}
	j := &Job{ID: aws.ToString(out.JobId), Manifest: "s3://" + o.FailureBucket + "/" + key}
	res.Job = j
	for {
		d, err := r.Jobs.DescribeJob(ctx, &s3control.DescribeJobInput{AccountId: aws.String(o.Account), JobId: out.JobId})
		if err != nil {
			return fmt.Errorf("describe batch job %s: %w", j.ID, err)
		}
		jd := d.Job
		j.Status = string(jd.Status)
		if ps := jd.ProgressSummary; ps != nil {
			j.Succeeded, j.Failed = aws.ToInt64(ps.NumberOfTasksSucceeded), aws.ToInt64(ps.NumberOfTasksFailed)
			r.progress(RepairProgress{Phase: "job", Done: j.Succeeded + j.Failed, Total: aws.ToInt64(ps.TotalNumberOfTasks), JobStatus: j.Status})
		}
		switch jd.Status {
		case s3ctypes.JobStatusComplete, s3ctypes.JobStatusFailed, s3ctypes.JobStatusCancelled:
			for _, f := range jd.FailureReasons {
				j.Reason = strings.TrimSpace(j.Reason + " " + aws.ToString(f.FailureCode) + ": " + aws.ToString(f.FailureReason))
			}
			j.Report = fmt.Sprintf("s3://%s/%s/job-%s/", o.ReportBucket, reportPrefix, j.ID)
			res.Written, res.Failed = j.Succeeded, j.Failed
			if jd.Status != s3ctypes.JobStatusComplete {
				return fmt.Errorf("batch job %s ended %s: %s", j.ID, j.Status, j.Reason)
			}
			return nil
		}
		sleep(ctx, o.PollInterval)
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("batch job %s is still %s (it goes on without xacct; see it with aws s3control describe-job): %w", j.ID, j.Status, err)
		}
	}
}
