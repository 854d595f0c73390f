package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/xacct/xacct/internal/cli"
	"github.com/xacct/xacct/internal/config"
	"github.com/xacct/xacct/lambda/processor"
)

// reconcileJSON is the part of reconcile --json the tests read.
type reconcileJSON struct {
	FormatVersion int  `json:"format_version"`
	Complete      bool `json:"complete"`
	Report        struct {
		Versions      int64            `json:"versions"`
		DeleteMarkers int64            `json:"delete_markers"`
		Missing       map[string]int64 `json:"missing"`
	} `json:"report"`
	Repair *struct {
		Replayed, ReplayFailed, Tasks, Written, Failed int64
		Job                                            *struct {
			ID, Status, Report string
			Succeeded, Failed  int64
		}
	} `json:"repair"`
}

func (e *env) reconcile(t *testing.T, want int, args ...string) reconcileJSON {
	t.Helper()
	code, out, errOut := e.run(append([]string{"reconcile", "--json"}, args...)...)
	var r reconcileJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil || code != want || r.FormatVersion != 1 {
		t.Fatalf("reconcile %v: exit %d (want %d), %v\n%s\n%s", args, code, want, err, out, errOut)
	}
	return r
}

// records lists the record keys of a stack's Production bucket.
func records(t *testing.T, c *config.Config) []string {
	t.Helper()
	rep := orgAdmin(t, "333333333333")
	var keys []string
	p := s3.NewListObjectsV2Paginator(rep.s3, &s3.ListObjectsV2Input{Bucket: aws.String(c.Reporting.Bucket), Prefix: aws.String(c.Reporting.Prefix + c.Production.Bucket + "/")})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range out.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys
}

// appliedEnv is a stack of its own, applied, and its config.
func appliedEnv(t *testing.T) (*env, *config.Config) {
	t.Helper()
	e := newEnv(t, "")
	e.mustRun("apply", "--auto-approve")
	return e, e.loadConfig()
}

// waitFor polls cond every 100 ms up to limit. Records wait for the
// processor's cold start, which took 4.9 s in CI beside the rest of the
// suite: their limit is 30 s (a passing wait returns at once).
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s\nsandbox log:\n%s", limit, what, sandboxLog)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestReconcileAdoptedBucket: a bucket that held 25 objects before xacct
// took it over has no record for them; reconcile says so, --repair writes
// them through the processor, and reconcile then passes.
func TestReconcileAdoptedBucket(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, "")
	c := e.loadConfig()
	prod := orgAdmin(t, "222222222222")
	if _, err := prod.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(c.Production.Bucket)}); err != nil {
		t.Fatal(err)
	}
	keys := []string{"a", "a-b", "a/b", "a b+c%d", "résumé/日本.txt", "_hashed/x", strings.Repeat("long/", 200) + "key"}
	for i := len(keys); i < 25; i++ {
		keys = append(keys, fmt.Sprintf("data/%03d.csv", i))
	}
	for _, k := range keys {
		if _, err := prod.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(c.Production.Bucket), Key: aws.String(k), Body: strings.NewReader("x")}); err != nil {
			t.Fatalf("put %q: %v", k, err)
		}
	}
	out := e.mustRun("apply", "--auto-approve", "--adopt")
	if !strings.Contains(out, "holds objects") || !strings.Contains(out, "xacct reconcile --repair") {
		t.Errorf("apply --adopt of a bucket with objects does not point to reconcile --repair:\n%s", out)
	}
	r := e.reconcile(t, cli.ExitChanges)
	if r.Complete || r.Report.Versions != 25 || r.Report.Missing["version-without-record"] != 25 {
		t.Fatalf("before the repair: %+v", r)
	}
	// Without a terminal, --repair asks and is refused; nothing is written.
	if code, _, errOut := e.run("reconcile", "--repair"); code != cli.ExitError || !strings.Contains(errOut, "--auto-approve") {
		t.Fatalf("reconcile --repair without a terminal: exit %d\n%s", code, errOut)
	}
	if n := len(records(t, c)); n != 0 {
		t.Fatalf("%d records written without approval", n)
	}
	r = e.reconcile(t, cli.ExitOK, "--repair", "--auto-approve")
	if r.Repair == nil || r.Repair.Tasks != 25 || r.Repair.Written != 25 || r.Repair.Job != nil {
		t.Fatalf("repair: %+v", r.Repair)
	}
	if n := len(records(t, c)); n != 25 {
		t.Errorf("%d records after the repair, want 25", n)
	}
	e.reconcile(t, cli.ExitOK)
	// Each record is the processor's, of the version that is there.
	rec, b := readRecord(t, c, processor.RecordKey(c.Reporting.Prefix, c.Production.Bucket, "a b+c%d", "null"))
	if rec.Status != processor.StatusPresent || rec.Source.Key != "a b+c%d" || rec.Event.Name != processor.EventReconcile {
		t.Errorf("record %s", b)
	}
}

// readRecord reads one record of the stack (as the Reporting
// administrator) and returns it and its bytes.
func readRecord(t *testing.T, c *config.Config, key string) (processor.Record, []byte) {
	t.Helper()
	got := must(orgAdmin(t, "333333333333").s3.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(c.Reporting.Bucket), Key: aws.String(key)}))(t)
	defer got.Body.Close()
	b := must(io.ReadAll(got.Body))(t)
	var rec processor.Record
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatalf("record %s: %v\n%s", key, err, b)
	}
	return rec, b
}

// TestReconcileWriterOutage: while the writer role may not write, 20
// uploads fail in the processor; after Lambda's retries their events wait
// in the failure bucket. reconcile counts them, --repair replays them and
// removes their files, and reconcile then passes.
func TestReconcileWriterOutage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, c := appliedEnv(t)
	prod, repAdmin := orgAdmin(t, "222222222222"), orgAdmin(t, "333333333333")
	deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:PutObject","Resource":"*"}]}`
	if _, err := repAdmin.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(c.Reporting.WriterRoleName), PolicyName: aws.String("outage"), PolicyDocument: aws.String(deny)}); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if _, err := prod.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(c.Production.Bucket), Key: aws.String(fmt.Sprintf("outage/%02d.txt", i)), Body: strings.NewReader("x")}); err != nil {
			t.Fatal(err)
		}
	}
	failures := func() int {
		out, err := prod.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(c.Production.Processor.FailureBucket), Prefix: aws.String("aws/lambda/async/")})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.Contents)
	}
	waitFor(t, 60*time.Second, "20 failed events in the failure bucket", func() bool { return failures() == 20 })
	if _, err := repAdmin.iam.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(c.Reporting.WriterRoleName), PolicyName: aws.String("outage")}); err != nil {
		t.Fatal(err)
	}
	r := e.reconcile(t, cli.ExitChanges)
	if r.Report.Missing["version-without-record"] != 20 || r.Report.Missing["failed-event"] != 20 {
		t.Fatalf("after the outage: %+v", r.Report)
	}
	r = e.reconcile(t, cli.ExitOK, "--repair", "--auto-approve")
	if r.Repair.Replayed != 20 || r.Repair.ReplayFailed != 0 {
		t.Fatalf("repair: %+v", r.Repair)
	}
	if n := failures(); n != 0 {
		t.Errorf("%d failed-event files left after the repair", n)
	}
	// The replayed records are the events' own: who uploaded, when.
	rec, b := readRecord(t, c, records(t, c)[0])
	if rec.Event.Name != "ObjectCreated:Put" || rec.Event.Principal == "" {
		t.Errorf("replayed record: %s", b)
	}
	e.reconcile(t, cli.ExitOK)
}

// TestDeletionsAreRecorded: a delete marker and a permanently deleted
// version each get their record; the version's own record stays.
func TestDeletionsAreRecorded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, c := appliedEnv(t)
	prod, rep := orgAdmin(t, "222222222222"), orgAdmin(t, "333333333333")
	bk := aws.String(c.Production.Bucket)
	v1 := must(prod.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: bk, Key: aws.String("k"), Body: strings.NewReader("1")}))(t)
	v2 := must(prod.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: bk, Key: aws.String("k"), Body: strings.NewReader("2")}))(t)
	want := []string{processor.RecordKey(c.Reporting.Prefix, c.Production.Bucket, "k", aws.ToString(v1.VersionId)),
		processor.RecordKey(c.Reporting.Prefix, c.Production.Bucket, "k", aws.ToString(v2.VersionId))}
	has := func(keys ...string) func() bool {
		return func() bool {
			got := map[string]bool{}
			for _, k := range records(t, c) {
				got[k] = true
			}
			for _, k := range keys {
				if !got[k] {
					return false
				}
			}
			return true
		}
	}
	waitFor(t, 30*time.Second, "records of both versions", has(want...))
	marker := must(prod.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bk, Key: aws.String("k")}))(t)
	must(prod.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bk, Key: aws.String("k"), VersionId: v1.VersionId}))(t)
	markerRec := processor.RecordKey(c.Reporting.Prefix, c.Production.Bucket, "k", aws.ToString(marker.VersionId))
	deletedRec := processor.DeletionRecordKey(c.Reporting.Prefix, c.Production.Bucket, "k", aws.ToString(v1.VersionId))
	waitFor(t, 30*time.Second, "records of the delete marker and of the permanent delete", has(append(want, markerRec, deletedRec)...))
	for key, status := range map[string]string{markerRec: processor.StatusDeleted, deletedRec: processor.StatusVersionDeleted, want[0]: processor.StatusPresent} {
		if rec, b := readRecord(t, c, key); rec.Status != status {
			t.Errorf("%s: %s, want status %s", key, b, status)
		}
	}
	r := e.reconcile(t, cli.ExitOK)
	if r.Report.Versions != 1 || r.Report.DeleteMarkers != 1 {
		t.Errorf("reconcile counted %+v", r.Report)
	}
	// A record whose deletion went unrecorded (its record removed by hand)
	// is found, and repaired.
	must(rep.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(c.Reporting.Bucket), Key: aws.String(deletedRec)}))(t)
	r = e.reconcile(t, cli.ExitChanges)
	if r.Report.Missing["record-without-version"] != 1 {
		t.Fatalf("a lost deletion record: %+v", r.Report)
	}
	e.reconcile(t, cli.ExitOK, "--repair", "--auto-approve")
	waitFor(t, time.Second, "the deletion record again", has(deletedRec))
	// So is a delete marker whose record was lost: the processor finds the
	// marker (HeadObject answers 405 with x-amz-delete-marker) and records it.
	must(rep.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(c.Reporting.Bucket), Key: aws.String(markerRec)}))(t)
	r = e.reconcile(t, cli.ExitChanges)
	if r.Report.Missing["deletion-without-record"] != 1 {
		t.Fatalf("a lost delete marker record: %+v", r.Report)
	}
	e.reconcile(t, cli.ExitOK, "--repair", "--auto-approve")
	if rec, b := readRecord(t, c, markerRec); rec.Status != processor.StatusDeleted || rec.Event.Name != processor.EventReconcile {
		t.Errorf("the repaired marker record: %s", b)
	}
}

// TestReconcileRepairWithABatchJob: above the threshold, --repair runs an S3
// Batch Operations job under the backfill role; its report is written in
// Reporting and every record exists after it.
func TestReconcileRepairWithABatchJob(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, c := appliedEnv(t)
	prod, rep := orgAdmin(t, "222222222222"), orgAdmin(t, "333333333333")
	for i := range 5 {
		must(prod.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(c.Production.Bucket), Key: aws.String(fmt.Sprintf("batch/%d file.txt", i)), Body: strings.NewReader("x")}))(t)
	}
	waitFor(t, 30*time.Second, "5 records", func() bool { return len(records(t, c)) == 5 })
	// Three records lost (removed by hand).
	for _, k := range records(t, c)[:3] {
		must(rep.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(c.Reporting.Bucket), Key: aws.String(k)}))(t)
	}
	r := e.reconcile(t, cli.ExitOK, "--repair", "--auto-approve", "--threshold", "1")
	if r.Repair == nil || r.Repair.Job == nil || r.Repair.Job.Status != "Complete" || r.Repair.Job.Succeeded != 3 || r.Repair.Job.Failed != 0 {
		t.Fatalf("repair: %+v, job %+v", r.Repair, r.Repair.Job)
	}
	if n := len(records(t, c)); n != 5 {
		t.Errorf("%d records after the job, want 5", n)
	}
	out := must(rep.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(c.Reporting.Bucket), Prefix: aws.String(c.Reporting.BatchReportsPrefix + "job-" + r.Repair.Job.ID + "/")}))(t)
	if len(out.Contents) == 0 {
		t.Errorf("no completion report under %sjob-%s/", c.Reporting.BatchReportsPrefix, r.Repair.Job.ID)
	}
}

// TestKilledRepairConverges: reconcile --repair killed with SIGKILL half-way
// leaves nothing half-done that a rerun cannot finish: records are written
// with If-None-Match and failed-event files removed only once their records
// exist.
func TestKilledRepairConverges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, c := appliedEnv(t)
	prod := e.orgAdmin(prodID)
	// Uploads the processor is not told about: 300 versions without records.
	must(prod.s3.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{Bucket: aws.String(c.Production.Bucket),
		NotificationConfiguration: &s3types.NotificationConfiguration{}}))(t)
	const n = 120
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if _, err := prod.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(c.Production.Bucket), Key: aws.String(fmt.Sprintf("k/%03d", i)), Body: strings.NewReader("x")}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	cmd := xacctProcess(e.sb, "reconcile", "--repair", "--auto-approve", "--parallelism", "1", "-c", e.cfg)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "the repair's first records", func() bool { return len(records(t, c)) > 0 })
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	got := len(records(t, c))
	t.Logf("killed after %d of %d records", got, n)
	r := e.reconcile(t, cli.ExitOK, "--repair", "--auto-approve")
	// The rerun repairs what was left, no more (records the killed run had
	// in flight may land after the count, so fewer is fine).
	if r.Repair == nil || r.Repair.Tasks > int64(n-got) || r.Repair.Failed != 0 {
		t.Errorf("the rerun's repair: %+v", r.Repair)
	}
	if m := len(records(t, c)); m != n {
		t.Fatalf("%d records after the rerun, want %d", m, n)
	}
}
