package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/xacct/xacct/internal/audit/audittest"
	"github.com/xacct/xacct/internal/cli"
	"github.com/xacct/xacct/internal/config"
)

// The sandbox's audit benchmark writes internal/audit's benchmark fixture
// (audittest.Synthetic: 1,000 gzip log files of 1,000 records, three
// accounts delivering a file every 5 minutes each, about 28 hours) into a
// stack's log bucket, the last file at the minute seeding starts. It
// measures time and memory (apply, 10–20 s of seeding, three runs of
// xacct, destroy): run it alone, one iteration, with make bench-audit.
const (
	auditFiles   = 1000
	auditRecords = 1000
	auditEvery   = 5 * time.Minute
)

// auditStack applies a stack with its logs on, stops its three trails and
// deletes what they delivered, so that the log bucket holds only the log
// files the benchmark writes. destroy --force-delete-data removes the
// stack, the log bucket and its files when the benchmark ends.
func auditStack(b *testing.B) (*env, *config.Config) {
	b.Helper()
	ctx := context.Background()
	e := newEnv(b, logsOn)
	b.Cleanup(func() {
		if code, out, errOut := e.run("destroy", "--auto-approve", "--force-delete-data"); code != cli.ExitOK {
			b.Errorf("destroy the benchmark's stack %s: exit %d\n%s\n%s", e.stack, code, out, errOut)
		}
	})
	e.mustRun("apply", "--auto-approve")
	c := e.loadConfig()
	for _, acct := range []string{devID, prodID, repID} {
		ct := cloudtrail.NewFromConfig(e.orgAdmin(acct).cfg)
		must(ct.StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String(c.Reporting.Logs.TrailName)}))(b)
	}
	// A trail that stops delivers what it holds once more: wait for the
	// listing to stay the same for a second, then delete every version
	// (the bucket is versioned, and the sandbox still shows a folder whose
	// keys all end in a delete marker as a common prefix, which S3 does
	// not: audit would list it).
	rep := e.orgAdmin(repID)
	bucket := aws.String(c.Reporting.Logs.Bucket)
	var keys, prev []string
	for first := true; first || !slices.Equal(keys, prev); first = false {
		prev = keys
		time.Sleep(time.Second)
		keys = listKeys(b, rep, c.Reporting.Logs.Bucket, "AWSLogs/")
	}
	p := s3.NewListObjectVersionsPaginator(rep.s3, &s3.ListObjectVersionsInput{Bucket: bucket, Prefix: aws.String("AWSLogs/")})
	for p.HasMorePages() {
		page := must(p.NextPage(ctx))(b)
		for _, v := range page.Versions {
			must(rep.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bucket, Key: v.Key, VersionId: v.VersionId}))(b)
		}
		for _, m := range page.DeleteMarkers {
			must(rep.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bucket, Key: m.Key, VersionId: m.VersionId}))(b)
		}
	}
	if left := listKeys(b, rep, c.Reporting.Logs.Bucket, "AWSLogs/"); len(left) != 0 {
		b.Fatalf("the log bucket still holds %d files after the trails stopped, first %s", len(left), left[0])
	}
	return e, c
}

// listKeys lists every key of a bucket under prefix.
func listKeys(b *testing.B, c *client, bucket, prefix string) []string {
	b.Helper()
	var keys []string
	p := s3.NewListObjectsV2Paginator(c.s3, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		for _, o := range must(p.NextPage(context.Background()))(b).Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys
}

// seedLogs writes fx's log files into the log bucket as the Reporting
// administrator (the bucket's policy lets only the stack's trails in as
// cloudtrail.amazonaws.com, and leaves the account's own principals to
// their IAM policies), seedWorkers at once, each rendering its files.
func seedLogs(b *testing.B, e *env, bucket string, fx audittest.Synthetic) {
	b.Helper()
	rep := seedS3(b, e, repID)
	var gz, raw atomic.Int64
	start := time.Now()
	err := seedEach(fx.Files, func(ctx context.Context, i int) error {
		key, body, n := fx.File(i)
		if _, err := rep.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
			return fmt.Errorf("put %s: %w", key, err)
		}
		gz.Add(int64(len(body)))
		raw.Add(n)
		return nil
	})
	if err != nil {
		b.Fatalf("seed the log bucket: %v", err)
	}
	b.Logf("seeded %d log files of %d records (%d MB of JSON, %d MB gzip) in %v, %s to %s; load %s", fx.Files, fx.Records,
		raw.Load()>>20, gz.Load()>>20, time.Since(start).Round(time.Millisecond), fx.Start.Format(time.RFC3339), fx.End().Format(time.RFC3339), loadavg())
}

// tail keeps the end of what is written to it: xacct's table of a million
// entries is read to its end, as a terminal or a pipe would, without
// being held.
type tail struct{ buf []byte }

func (t *tail) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > 64<<10 {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-4<<10:]...)
	}
	return len(p), nil
}

// auditSummary is the table's last line: "N entries between A and B, of
// E events in F log files." (or "No entries … (F log files, E events
// read).").
var auditSummary = regexp.MustCompile(`of (\d+) events in (\d+) log files\.|\((\d+) log files, (\d+) events read\)`)

// auditRun runs the built xacct binary's audit as a user would (a process
// of its own, signed in through the environment, the table to a pipe) and
// returns what it took and the events and files its summary reports.
func auditRun(b *testing.B, bin string, e *env, args ...string) (u processUsage, events, files int) {
	b.Helper()
	cmd := exec.Command(bin, append([]string{"audit", "-c", e.cfg}, args...)...)
	cmd.Env = append(signedIn(e.sb), "NO_COLOR=1")
	var out tail
	var errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	u, err := runMeasured(cmd)
	if err != nil {
		b.Fatalf("xacct audit %v: %v\n%s\n%s", args, err, out.buf, errOut.String())
	}
	m := auditSummary.FindStringSubmatch(string(out.buf))
	if m == nil {
		b.Fatalf("xacct audit %v: no summary at the end of its output:\n%s", args, out.buf)
	}
	if m[1] != "" {
		events, _ = strconv.Atoi(m[1])
		files, _ = strconv.Atoi(m[2])
	} else {
		files, _ = strconv.Atoi(m[3])
		events, _ = strconv.Atoi(m[4])
	}
	return u, events, files
}

// filesSince is how many of fx's files audit reads for a range from t:
// those named at t's minute or later.
func filesSince(fx audittest.Synthetic, t time.Time) int {
	n := 0
	for i := range fx.Files {
		if !fx.Time(i).Before(t.UTC().Truncate(time.Minute)) {
			n++
		}
	}
	return n
}

// requestsOf counts, in the records a trail delivered, the GetObject and
// ListObjects requests of session on the objects of bucket under AWSLogs/.
// It first sends a GET of a key outside them and waits for its record: the
// trail records requests in the order they end, so every earlier one is
// delivered by then.
func requestsOf(b *testing.B, te *trailEnv, bucket, session string) (gets, lists int) {
	b.Helper()
	marker := "xacct-bench-marker-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	_, err := te.rep.s3.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(marker)})
	wantCode(b, err, "NoSuchKey")
	te.waitRecord(b, 30*time.Second, func(r logRecord) bool { return r.EventName == "GetObject" && r.RequestParameters["key"] == marker })
	logs := "arn:aws:s3:::" + bucket + "/AWSLogs/"
	for _, r := range te.records(b) {
		if !strings.HasSuffix(r.UserIdentity.ARN, "/"+session) || len(r.Resources) == 0 || !strings.HasPrefix(r.Resources[0].ARN+r.Resources[0].ARNPrefix, logs) {
			continue
		}
		switch r.EventName {
		case "GetObject":
			gets++
		case "ListObjects":
			lists++
		}
	}
	if sandboxLog.contains("requests not recorded") || sandboxLog.contains("records dropped") {
		b.Fatalf("the sandbox dropped records, the counts would be short:\n%s", sandboxLog)
	}
	return gets, lists
}

// removeTrailEnv stops and deletes a trail env's trail, then empties and
// deletes its log bucket (newTrailEnv leaves the bucket).
func removeTrailEnv(b *testing.B, te *trailEnv) {
	b.Helper()
	ctx := context.Background()
	must(te.ct.StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String(te.name)}))(b)
	must(te.ct.DeleteTrail(ctx, &cloudtrail.DeleteTrailInput{Name: aws.String(te.name)}))(b)
	// A stopped trail delivers once more: retry until the bucket goes.
	deadline := time.Now().Add(30 * time.Second)
	for {
		time.Sleep(time.Second)
		for _, k := range listKeys(b, te.rep, te.bucket, "") {
			must(te.rep.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(te.bucket), Key: aws.String(k)}))(b)
		}
		_, err := te.rep.s3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(te.bucket)})
		if err == nil {
			return
		}
		if errorCode(err) != "BucketNotEmpty" || time.Now().After(deadline) {
			b.Errorf("delete the counting trail's bucket %s: %v", te.bucket, err)
			return
		}
	}
}

// BenchmarkAuditSandbox is `xacct audit` over the sandbox's log files, as
// a user runs it: the binary make build writes (built here), a process of
// its own signed in through the environment, printing its table to a pipe.
// The log bucket of a stack of its own holds audittest.Synthetic's
// 1,000,000 events (1,000 files) over the last 28 hours, written by the
// Reporting administrator; its trails are stopped so that nothing else
// lands there. Three runs:
//
//   - since-1h: --since 1h, which must read only that hour's files: the
//     GETs and LISTs on the log bucket are counted from the sandbox's own
//     request records (a trail of Reporting with data events on the log
//     bucket's objects, removed after);
//   - events=100000: --since the time of the 901st file: 100 files;
//   - events=1000000: every file.
//
// Each reports wall time (sign-in included), events read per second,
// xacct's CPU time and peak RSS (VmHWM sampled every 50 ms, see
// runMeasured): memory must not grow with the range. make bench-audit
// runs it; the machine's load is logged with each run.
func BenchmarkAuditSandbox(b *testing.B) {
	bin := buildXacct(b)
	e, c := auditStack(b)
	bucket := c.Reporting.Logs.Bucket
	fx := audittest.Synthetic{Accounts: []string{devID, prodID, repID}, Production: prodID, Every: auditEvery, Files: auditFiles, Records: auditRecords}
	fx.Start = time.Now().UTC().Truncate(time.Minute).Add(-time.Duration((auditFiles-1)/len(fx.Accounts)) * auditEvery)
	seedLogs(b, e, bucket, fx)

	report := func(b *testing.B, u processUsage, events, files int) {
		b.ReportMetric(u.wall.Seconds(), "s")
		b.ReportMetric(float64(events)/u.wall.Seconds(), "events/s")
		b.ReportMetric(float64(events), "events")
		b.ReportMetric(float64(files), "files")
		b.ReportMetric(u.cpu.Seconds(), "xacct-cpu-s")
		b.ReportMetric(float64(u.peak)/mb, "xacct-peak-rss-MB")
		b.Logf("load after the run: %s", loadavg())
	}

	b.Run("since-1h", func(b *testing.B) {
		te := newDataTrailEnv(b, repID, bucket)
		var u processUsage
		var events, files, want int
		for b.Loop() {
			b.Logf("load before the run: %s", loadavg())
			from := time.Now().Add(-time.Hour)
			u, events, files = auditRun(b, bin, e, "--since", "1h")
			if lo, hi := filesSince(fx, time.Now().Add(-time.Hour)), filesSince(fx, from); files < lo || files > hi {
				b.Errorf("--since 1h read %d log files, want %d to %d (those named in the last hour)", files, lo, hi)
			}
			want = files
		}
		b.StopTimer()
		gets, lists := requestsOf(b, te, bucket, "xacct-"+e.stack)
		removeTrailEnv(b, te)
		if gets != want {
			b.Errorf("--since 1h: %d GETs recorded, want one per log file read (%d)", gets, want)
		}
		report(b, u, events, files)
		b.ReportMetric(float64(gets), "GETs")
		b.ReportMetric(float64(lists), "LISTs")
	})

	for _, tt := range []struct {
		name   string
		since  time.Time
		events int
	}{
		{"events=100000", fx.Time(auditFiles - auditFiles/10), auditFiles / 10 * auditRecords},
		{"events=1000000", fx.Start.Add(-time.Hour), auditFiles * auditRecords},
	} {
		b.Run(tt.name, func(b *testing.B) {
			var u processUsage
			var events, files int
			for b.Loop() {
				b.Logf("load before the run: %s", loadavg())
				u, events, files = auditRun(b, bin, e, "--since", tt.since.Format(time.RFC3339))
			}
			b.StopTimer()
			if events != tt.events {
				b.Errorf("read %d events in %d files, want %d", events, files, tt.events)
			}
			report(b, u, events, files)
		})
	}
}
