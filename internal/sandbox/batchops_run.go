package sandbox

// Running a Batch Operations job: the job's role must trust
// batchoperations.s3.amazonaws.com; then, as a session of that role and
// through the gateway (so that every step is authorized as AWS would
// authorize it: identity policies, bucket and function policies, the
// cross-account rules), the job reads its manifest, invokes the function once
// per manifest entry, and writes its completion report.

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Limits of a job's run.
const (
	// jobConcurrency is how many tasks of one job run at once.
	jobConcurrency = 8
	// taskTemporaryRetries is how often a task that answered
	// TemporaryFailure is retried.
	taskTemporaryRetries = 3
	// batchPrincipal is the service that assumes a job's role.
	batchPrincipal = "batchoperations.s3.amazonaws.com"
	// reportSchema is the column list AWS writes in a report's manifest.
	reportSchema = "Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage"
)

// jobTask is one manifest entry; key is as the manifest has it (URL-encoded).
type jobTask struct {
	bucket, key, version string
}

// taskResult is one row of the completion report.
type taskResult struct {
	done    bool // false: not run (the job was cancelled first)
	ok      bool
	status  int    // HTTP status of the invocation
	code    string // "" when it succeeded
	message string
}

// setJob changes a job under the state's lock and saves the state.
func (g *gateway) setJob(id string, fn func(j *batchJob)) {
	_ = g.st.update(func() error {
		if j := g.st.Jobs[id]; j != nil {
			fn(j)
		}
		return nil
	})
}

// jobStatus is the job's current status.
func (g *gateway) jobStatus(id string) string {
	var s string
	g.st.view(func() {
		if j := g.st.Jobs[id]; j != nil {
			s = j.Status
		}
	})
	return s
}

// failJob ends a job as Failed with one reason.
func (g *gateway) failJob(id, code, reason string) {
	g.setJob(id, func(j *batchJob) {
		j.Status, j.Terminated = jobFailed, time.Now().UTC()
		j.Failures = append(j.Failures, jobFailureXML{Code: code, Reason: reason})
	})
	g.sb.logf("sandbox: batch job %s failed: %s: %s", id, code, reason)
}

// runJob takes a job from New (or Ready, when the sandbox restarted while
// it waited for confirmation) to its end.
func (g *gateway) runJob(id string) {
	ctx, cancel := g.runtimes.background(24 * time.Hour)
	defer cancel()
	var j batchJob
	g.st.view(func() {
		if p := g.st.Jobs[id]; p != nil {
			j = *p
		}
	})
	if j.ID == "" || terminalJobStatus(j.Status) {
		return
	}
	confirmed := j.Status == jobReady
	if j.Status == jobNew {
		g.setJob(id, func(j *batchJob) { j.Status = jobPreparing })
	}
	s3c, lc, err := g.jobClients(ctx, &j)
	if err != nil {
		g.failJob(id, "AccessDenied", err.Error())
		return
	}
	tasks, err := g.readManifest(ctx, s3c, &j)
	if err != nil {
		g.failJob(id, "ManifestReadFailure", "Reading the manifest failed: "+err.Error())
		return
	}
	g.setJob(id, func(j *batchJob) { j.Total = int64(len(tasks)) })
	if j.ConfirmationRequired && !confirmed {
		g.setJob(id, func(j *batchJob) {
			if j.Status == jobPreparing {
				j.Status, j.SuspendedCause, j.Suspended = jobSuspended, "AwaitingConfirmation", time.Now().UTC()
			}
		})
		for s := g.jobStatus(id); s == jobSuspended; s = g.jobStatus(id) {
			select {
			case <-ctx.Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	started := false
	g.setJob(id, func(j *batchJob) {
		if j.Status == jobPreparing || j.Status == jobReady {
			j.Status, j.Activated, started = jobActive, time.Now().UTC(), true
		}
	})
	if !started {
		return // cancelled before it ran
	}
	results := g.runTasks(ctx, lc, &j, tasks)
	if ctx.Err() != nil {
		return // the sandbox is stopping
	}
	final := jobComplete
	if g.jobStatus(id) == jobCancelling {
		final = jobCancelled
	}
	if err := g.writeReport(ctx, s3c, &j, tasks, results); err != nil {
		g.failJob(id, "ReportWriteFailure", "Writing the completion report to "+j.Report.Bucket+" failed: "+err.Error())
		return
	}
	g.setJob(id, func(j *batchJob) { j.Status, j.Terminated = final, time.Now().UTC() })
}

// jobClients are S3 and Lambda clients signed as a session of the job's
// role, which must trust S3 Batch Operations for this job; they talk to the
// gateway itself.
func (g *gateway) jobClients(ctx context.Context, j *batchJob) (*s3.Client, *lambda.Client, error) {
	role, roleAccount, roleName, err := g.serviceRole(ctx, batchPrincipal, "S3 Batch Operations", j.RoleArn,
		map[string][]string{"aws:SourceAccount": {j.Account}, "aws:SourceArn": {g.jobARN(j.Account, j.ID)}})
	if err != nil {
		return nil, nil, err
	}
	cred, err := g.serviceSession(role, roleAccount, roleName, "s3-batch-operations-"+j.ID[:8], 24*time.Hour)
	if err != nil {
		return nil, nil, err
	}
	hc, err := g.batch.httpClient(g.sb.CAFile)
	if err != nil {
		return nil, nil, err
	}
	cfg := aws.Config{
		Region:       g.sb.Region,
		Credentials:  credentials.NewStaticCredentialsProvider(cred.AccessKey, cred.Secret, cred.Token),
		HTTPClient:   hc,
		BaseEndpoint: aws.String(g.sb.URL),
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }), lambda.NewFromConfig(cfg), nil
}

// httpClient trusts the gateway's CA; one per sandbox.
func (b *batchOps) httpClient(caFile string) (*http.Client, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.client != nil {
		return b.client, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("read the sandbox's CA: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	b.client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, MaxIdleConnsPerHost: jobConcurrency * 2}}
	return b.client, nil
}

// apiErrorText is an SDK error as "Code: message".
func apiErrorText(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	return err.Error()
}

// readManifest reads the job's CSV manifest as the job's role (GetObject,
// or GetObjectVersion when the location names a version) and holds it to
// the ETag the job was created with.
func (g *gateway) readManifest(ctx context.Context, s3c *s3.Client, j *batchJob) ([]jobTask, error) {
	loc := j.Manifest.Location
	bucket, key, _ := strings.Cut(strings.TrimPrefix(loc.ObjectArn, "arn:aws:s3:::"), "/")
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if loc.ObjectVersionId != "" {
		in.VersionId = aws.String(loc.ObjectVersionId)
	}
	out, err := s3c.GetObject(ctx, in)
	if err != nil {
		return nil, errors.New(apiErrorText(err))
	}
	defer out.Body.Close()
	if got := strings.Trim(aws.ToString(out.ETag), `"`); got != strings.Trim(loc.ETag, `"`) {
		return nil, fmt.Errorf("the manifest's ETag is %s, not the ETag %s the job was created with", got, loc.ETag)
	}
	data, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	withVersion := len(j.Manifest.Spec.Fields) == 3
	var tasks []jobTask
	for line := 1; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(rec) != len(j.Manifest.Spec.Fields) {
			return nil, fmt.Errorf("line %d has %d fields, the manifest spec names %d", line, len(rec), len(j.Manifest.Spec.Fields))
		}
		t := jobTask{bucket: rec[0], key: rec[1]}
		if withVersion {
			t.version = rec[2]
		}
		if _, err := url.QueryUnescape(t.key); err != nil || t.bucket == "" || t.key == "" {
			return nil, fmt.Errorf("line %d: the key must be URL-encoded and the bucket and key not empty", line)
		}
		tasks = append(tasks, t)
	}
	return tasks, nil
}

// runTasks invokes the function once per task, jobConcurrency at once, and
// counts the results in the job's progress as they come.
func (g *gateway) runTasks(ctx context.Context, lc *lambda.Client, j *batchJob, tasks []jobTask) []taskResult {
	results := make([]taskResult, len(tasks))
	next := make(chan int)
	var wg sync.WaitGroup
	for range jobConcurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if s := g.jobStatus(j.ID); s == jobCancelling || ctx.Err() != nil {
					continue
				}
				results[i] = g.runTask(ctx, lc, j, tasks[i])
				ok := results[i].ok
				g.st.view(func() { // counted now, saved with the next status change
					if p := g.st.Jobs[j.ID]; p != nil && ok {
						p.Succeeded++
					} else if p != nil {
						p.Failed++
					}
				})
			}
		}()
	}
	for i := range tasks {
		next <- i
	}
	close(next)
	wg.Wait()
	return results
}

// batchEvent is the payload of one invocation, by schema version.
type (
	batchEventV2 struct {
		InvocationSchemaVersion string `json:"invocationSchemaVersion"`
		InvocationID            string `json:"invocationId"`
		Job                     struct {
			ID            string            `json:"id"`
			UserArguments map[string]string `json:"userArguments"`
		} `json:"job"`
		Tasks []batchTaskV2 `json:"tasks"`
	}
	batchTaskV2 struct {
		TaskID      string  `json:"taskId"`
		S3Key       string  `json:"s3Key"`
		S3VersionID *string `json:"s3VersionId"`
		S3Bucket    string  `json:"s3Bucket"`
	}
	batchEventV1 struct {
		InvocationSchemaVersion string `json:"invocationSchemaVersion"`
		InvocationID            string `json:"invocationId"`
		Job                     struct {
			ID string `json:"id"`
		} `json:"job"`
		Tasks []batchTaskV1 `json:"tasks"`
	}
	batchTaskV1 struct {
		TaskID      string  `json:"taskId"`
		S3Key       string  `json:"s3Key"`
		S3VersionID *string `json:"s3VersionId"`
		S3BucketArn string  `json:"s3BucketArn"`
	}
	batchResponse struct {
		InvocationSchemaVersion string `json:"invocationSchemaVersion"`
		TreatMissingKeysAs      string `json:"treatMissingKeysAs"`
		InvocationID            string `json:"invocationId"`
		Results                 []struct {
			TaskID       string `json:"taskId"`
			ResultCode   string `json:"resultCode"`
			ResultString string `json:"resultString"`
		} `json:"results"`
	}
)

func randomToken(n int) string { return base64.RawURLEncoding.EncodeToString(randomBytes(n)) }

// payload is the event of one invocation of task t.
func batchPayload(j *batchJob, t jobTask, invocationID, taskID string) []byte {
	li := j.Operation.LambdaInvoke
	var version *string
	if t.version != "" {
		version = aws.String(t.version)
	}
	if li.InvocationSchemaVersion == "2.0" {
		ev := batchEventV2{InvocationSchemaVersion: "2.0", InvocationID: invocationID}
		ev.Job.ID = j.ID
		ev.Job.UserArguments = map[string]string{}
		for _, e := range li.UserArguments {
			ev.Job.UserArguments[e.Key] = e.Value
		}
		ev.Tasks = []batchTaskV2{{TaskID: taskID, S3Key: t.key, S3VersionID: version, S3Bucket: t.bucket}}
		b, _ := json.Marshal(ev)
		return b
	}
	ev := batchEventV1{InvocationSchemaVersion: "1.0", InvocationID: invocationID}
	ev.Job.ID = j.ID
	ev.Tasks = []batchTaskV1{{TaskID: taskID, S3Key: t.key, S3VersionID: version, S3BucketArn: "arn:aws:s3:::" + t.bucket}}
	b, _ := json.Marshal(ev)
	return b
}

// runTask invokes the function for one task, synchronously, as the job's
// role; a TemporaryFailure is retried a few times.
func (g *gateway) runTask(ctx context.Context, lc *lambda.Client, j *batchJob, t jobTask) taskResult {
	invocationID, taskID := randomToken(36), randomToken(18)
	payload := batchPayload(j, t, invocationID, taskID)
	var last taskResult
	for attempt := 0; attempt <= taskTemporaryRetries; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return last
			case <-time.After(time.Duration(attempt) * 100 * time.Millisecond):
			}
		}
		out, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(j.Operation.LambdaInvoke.FunctionArn), Payload: payload})
		if err != nil {
			status := 500
			var re *smithyhttp.ResponseError
			if errors.As(err, &re) {
				status = re.HTTPStatusCode()
			}
			code, msg := "InternalError", err.Error()
			var ae smithy.APIError
			if errors.As(err, &ae) {
				code, msg = ae.ErrorCode(), ae.ErrorMessage()
			}
			return taskResult{done: true, status: status, code: code, message: msg}
		}
		status := int(out.StatusCode)
		if out.FunctionError != nil {
			return taskResult{done: true, status: status, code: "PermanentFailure", message: "Lambda returned function error: " + string(out.Payload)}
		}
		var resp batchResponse
		if err := json.Unmarshal(out.Payload, &resp); err != nil {
			return taskResult{done: true, status: status, code: "PermanentFailure", message: "Lambda returned an invalid response: " + err.Error()}
		}
		code, msg := resp.TreatMissingKeysAs, ""
		if code == "" {
			code = "PermanentFailure"
		}
		for _, r := range resp.Results {
			if r.TaskID == taskID {
				code, msg = r.ResultCode, r.ResultString
			}
		}
		switch code {
		case "Succeeded":
			return taskResult{done: true, ok: true, status: status, message: msg}
		case "TemporaryFailure":
			last = taskResult{done: true, status: status, code: code, message: msg}
			continue
		case "PermanentFailure":
			return taskResult{done: true, status: status, code: code, message: msg}
		default:
			return taskResult{done: true, status: status, code: "PermanentFailure", message: "Lambda returned an invalid resultCode " + strconv.Quote(code)}
		}
	}
	return last
}

// writeReport writes the completion report, as the job's role, when the
// job asks for one and at least one task ran: a CSV of the succeeded and
// one of the failed tasks under <prefix>/job-<id>/results/, and
// <prefix>/job-<id>/manifest.json naming them.
func (g *gateway) writeReport(ctx context.Context, s3c *s3.Client, j *batchJob, tasks []jobTask, results []taskResult) error {
	r := j.Report
	ran := false
	for _, res := range results {
		ran = ran || res.done
	}
	if !r.Enabled || !ran {
		return nil
	}
	bucket := strings.TrimPrefix(r.Bucket, "arn:aws:s3:::")
	base := "job-" + j.ID
	if p := strings.TrimSuffix(r.Prefix, "/"); p != "" {
		base = p + "/" + base
	}
	type resultFile struct {
		TaskExecutionStatus string
		Bucket              string
		MD5Checksum         string
		Key                 string
	}
	var files []resultFile
	for _, status := range []string{"succeeded", "failed"} {
		if status == "succeeded" && r.ReportScope == "FailedTasksOnly" {
			continue
		}
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		n := 0
		for i, res := range results {
			if !res.done || res.ok != (status == "succeeded") {
				continue
			}
			t := tasks[i]
			// The rows carry the HTTP status before the error code, as AWS's
			// reports do (whatever the order ReportSchema names).
			_ = w.Write([]string{t.bucket, t.key, t.version, status, strconv.Itoa(res.status), res.code, res.message})
			n++
		}
		w.Flush()
		if n == 0 {
			continue
		}
		key := base + "/results/" + hex.EncodeToString(randomBytes(20)) + ".csv"
		if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(buf.Bytes()), ContentType: aws.String("text/csv")}); err != nil {
			return errors.New(apiErrorText(err))
		}
		sum := md5.Sum(buf.Bytes())
		files = append(files, resultFile{TaskExecutionStatus: status, Bucket: bucket, MD5Checksum: hex.EncodeToString(sum[:]), Key: key})
	}
	man, _ := json.Marshal(struct {
		Format             string
		ReportCreationDate string
		Results            []resultFile
		ReportSchema       string
	}{"Report_CSV_20180820", time.Now().UTC().Format(s3ControlTime), files, reportSchema})
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(base + "/manifest.json"), Body: bytes.NewReader(man), ContentType: aws.String("application/json")}); err != nil {
		return errors.New(apiErrorText(err))
	}
	return nil
}
