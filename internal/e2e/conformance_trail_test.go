package e2e

// The sandbox's CloudTrail read by clients no one here wrote: the AWS CLI's
// describe-trails and get-trail-status, its own digest validation
// (validate-logs), and boto3 reading a delivered log file.

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// awsCLIv1 is the Python interpreter of the AWS CLI v1 on this process's
// PATH (the image's 1.45, run as python -m awscli). validate-logs needs it:
// the command makes its own S3 client, which takes the endpoint only from
// AWS_ENDPOINT_URL, and Debian's CLI 2.9 predates that variable.
func awsCLIv1(t *testing.T) string {
	t.Helper()
	fail := t.Skipf
	if os.Getenv("CI") != "" {
		fail = t.Fatalf
	}
	py, version, err := pythonOnPath("awscli")
	if err != nil {
		fail("the AWS CLI v1 (pip install awscli) is missing: %v", err)
	}
	if !strings.HasPrefix(version, "1.") {
		fail("want the AWS CLI v1 for %s, found %s", py, version)
	}
	return py
}

// validateLogs runs the AWS CLI v1's cloudtrail validate-logs.
func validateLogs(t *testing.T, py string, id identity, trailARN string, from time.Time) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.Command(py, "-m", "awscli", "cloudtrail", "validate-logs", "--trail-arn", trailARN,
		"--start-time", from.UTC().Format(time.RFC3339), "--verbose")
	cmd.Env = clientEnv(t, id)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

// digests reads the env's digest files, oldest first.
func (e *trailEnv) digests(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, key := range e.logFiles(t, "CloudTrail-Digest") {
		obj := must(e.rep.s3.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(key)}))(t)
		zr, err := gzip.NewReader(obj.Body)
		if err != nil {
			t.Fatalf("%s is not gzip: %v", key, err)
		}
		var d map[string]any
		if err := json.NewDecoder(zr).Decode(&d); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		obj.Body.Close()
		out = append(out, d)
	}
	return out
}

// waitDigested waits until the digests list at least n log files.
func (e *trailEnv) waitDigested(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var files []string
		for _, d := range e.digests(t) {
			for _, l := range d["logFiles"].([]any) {
				files = append(files, l.(map[string]any)["s3Object"].(string))
			}
		}
		if len(files) >= n {
			return files
		}
		if time.Now().After(deadline) {
			t.Fatalf("digests list %d log files after 15s, want %d; the sandbox said:\n%s", len(files), n, sandboxLog)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestConformanceCloudTrail(t *testing.T) {
	t.Parallel()
	needRealClients(t)
	py := awsCLIv1(t)
	ctx := context.Background()
	// Reporting's own trail: validate-logs reads the trail and its bucket
	// with one identity, Reporting's administrator.
	from := time.Now().Add(-time.Minute)
	e := newTrailEnv(t, repID)
	id := identityOf(t, e.adm)
	for i := range 2 {
		must(e.adm.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(e.data), Key: aws.String("k" + string(rune('0'+i))), Body: strings.NewReader("x")}))(t)
		time.Sleep(400 * time.Millisecond) // two deliveries: two log files
	}
	logs := e.waitDigested(t, 2)

	t.Run("describe-trails and get-trail-status (AWS CLI 2.9)", func(t *testing.T) {
		var desc struct {
			TrailList []struct {
				Name, TrailARN, S3BucketName, HomeRegion            string
				IsMultiRegionTrail, LogFileValidationEnabled        bool
				IncludeGlobalServiceEvents, HasCustomEventSelectors bool
			} `json:"trailList"`
		}
		awsJSON(t, id, &desc, "cloudtrail", "describe-trails")
		found := false
		for _, tr := range desc.TrailList {
			if tr.TrailARN == e.arn {
				found = tr.Name == e.name && tr.S3BucketName == e.bucket && tr.HomeRegion == shared.Region && tr.IsMultiRegionTrail &&
					tr.LogFileValidationEnabled && tr.IncludeGlobalServiceEvents && tr.HasCustomEventSelectors
			}
		}
		if !found {
			t.Fatalf("describe-trails has no trail %s as created: %+v", e.arn, desc.TrailList)
		}
		var st map[string]any
		awsJSON(t, id, &st, "cloudtrail", "get-trail-status", "--name", e.arn)
		if st["IsLogging"] != true || st["LatestDeliveryTime"] == nil || st["LatestDigestDeliveryTime"] == nil || st["StartLoggingTime"] == nil {
			t.Fatalf("get-trail-status = %v", st)
		}
		var sel struct {
			AdvancedEventSelectors []struct{ Name string }
		}
		awsJSON(t, id, &sel, "cloudtrail", "get-event-selectors", "--trail-name", e.name)
		if len(sel.AdvancedEventSelectors) != 2 {
			t.Fatalf("get-event-selectors = %+v", sel)
		}
		awsFails(t, id, "TrailNotFoundException", "cloudtrail", "get-trail-status", "--name", "no-such-trail")
	})

	t.Run("boto3 reads a log file", func(t *testing.T) {
		var got struct {
			Key     string
			Files   int
			Records []map[string]any
			Error   string
		}
		boto3(t, id, &got, "trail-log", e.bucket, "AWSLogs/"+repID+"/CloudTrail/"+shared.Region+"/")
		t.Logf("boto3 read %s: %d records", got.Key, len(got.Records))
		if got.Error != "" || len(got.Records) == 0 {
			t.Fatalf("boto3 trail-log: %+v", got)
		}
		for _, r := range got.Records {
			for _, k := range []string{"eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress",
				"requestID", "eventID", "eventType", "recipientAccountId", "eventCategory"} {
				if _, ok := r[k]; !ok {
					t.Fatalf("record of %s has no %s: %v", got.Key, k, r)
				}
			}
		}
	})

	t.Run("validate-logs (AWS CLI 1.45) passes, then names a deleted and an edited log file", func(t *testing.T) {
		out, stderr, err := validateLogs(t, py, id, e.arn, from)
		if err != nil || !strings.Contains(out, "log files valid") || strings.Contains(out, "INVALID") {
			t.Fatalf("validate-logs: %v\n%s\n%s", err, out, stderr)
		}
		t.Logf("validate-logs:\n%s", out)
		deleted, edited := logs[0], logs[1]
		must(e.rep.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(deleted)}))(t)
		out, stderr, err = validateLogs(t, py, id, e.arn, from)
		if err == nil || !strings.Contains(stderr, "s3://"+e.bucket+"/"+deleted+"\tINVALID: not found") {
			t.Fatalf("validate-logs after a deletion: %v\n%s\n%s", err, out, stderr)
		}
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write([]byte(`{"Records":[]}`))
		_ = zw.Close()
		must(e.rep.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(edited), Body: bytes.NewReader(buf.Bytes())}))(t)
		out, stderr, err = validateLogs(t, py, id, e.arn, from)
		if err == nil || !strings.Contains(stderr, "s3://"+e.bucket+"/"+edited+"\tINVALID: hash value doesn't match") {
			t.Fatalf("validate-logs after an edit: %v\n%s\n%s", err, out, stderr)
		}
	})
}
