package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/xacct/xacct/internal/cli"
	"github.com/xacct/xacct/internal/config"
	"github.com/xacct/xacct/internal/sandbox"
	"github.com/xacct/xacct/lambda/processor"
)

// The reconcile benchmarks are slow (minutes: they seed tens of thousands
// of objects through the gateway) and measure time and memory, so run them
// alone, one iteration, on a quiet machine:
//
//	go test -run '^$' -bench 'Reconcile' -benchtime 1x -timeout 60m ./internal/e2e/
//
// Each uses a stack of its own on the shared sandbox and leaves it there:
// removing its objects would take longer than seeding them, and the
// sandbox goes with the test binary.

// seedWorkers is how many PutObject requests seeding keeps in flight.
const seedWorkers = 32

// seedEach calls put for 0..n-1, seedWorkers at once; the first error
// stops the others and is returned.
func seedEach(n int, put func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var next atomic.Int64
	var once sync.Once
	var first error
	var wg sync.WaitGroup
	for range seedWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := put(ctx, i); err != nil {
					once.Do(func() { first = err; cancel() })
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// topFolders are the seeded keys' first folders: first bytes in every
// partition of internal/reconcile (splits at 0x30, 0x41, 0x61, 0x67, 0x6e,
// 0x74, 0x80), one non-ASCII, and no single folder for the comparison to
// descend into.
var topFolders = []string{"!inbox", "2024", "9-legacy", "Archive", "Reports", "_staging", "audit", "data", "exports", "gold",
	"invoices", "logs", "ml", "orders", "raw", "sales", "tmp", "users", "~old", "été"}

// seedKey is the key of the i-th of n versions: 90% of them are the only
// version of their key, the other 10% a second version of one of the first
// keys (so that a key's versions come newest first in the listing).
func seedKey(i, n int) string {
	k := i
	if first := n * 9 / 10; i >= first {
		k = i - first
	}
	return fmt.Sprintf("%s/%02d/part-%06d.csv", topFolders[k%len(topFolders)], (k/len(topFolders))%50, k)
}

// quietStack applies the default stack, then removes the Production
// bucket's notification, so that the processor records nothing by itself:
// the benchmark decides which records exist.
func quietStack(b *testing.B) (*env, *config.Config) {
	b.Helper()
	e := newEnv(b, "")
	e.mustRun("apply", "--auto-approve")
	c := e.loadConfig()
	prod := e.orgAdmin(prodID)
	ctx := context.Background()
	if _, err := prod.s3.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{Bucket: aws.String(c.Production.Bucket),
		NotificationConfiguration: &s3types.NotificationConfiguration{}}); err != nil {
		b.Fatalf("remove the bucket notification: %v", err)
	}
	got := must(prod.s3.GetBucketNotificationConfiguration(ctx, &s3.GetBucketNotificationConfigurationInput{Bucket: aws.String(c.Production.Bucket)}))(b)
	if len(got.LambdaFunctionConfigurations) != 0 {
		b.Fatalf("the bucket still notifies %+v", got.LambdaFunctionConfigurations)
	}
	// Only the writer role may put records (the bucket policy's
	// OnlyTheWriterWrites): the benchmark seeds them as the Reporting
	// administrator, so the policy goes (reconcile does not read it).
	rep := e.orgAdmin(repID)
	if _, err := rep.s3.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(c.Reporting.Bucket)}); err != nil {
		b.Fatalf("remove the Reporting bucket's policy: %v", err)
	}
	return e, c
}

// seedS3 is an account administrator's S3 client that keeps a connection
// per worker (the tests' clients keep two idle, and seeding would spend its
// time in TLS handshakes).
func seedS3(b *testing.B, e *env, account string) *s3.Client {
	b.Helper()
	cfg := e.orgAdmin(account).cfg.Copy()
	tr := transport(b, e.sb)
	tr.MaxIdleConnsPerHost = seedWorkers
	cfg.HTTPClient = &http.Client{Transport: tr}
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
}

// seed writes n object versions in the stack's Production bucket, and with
// records their records in Reporting at processor.RecordKey, as the
// accounts' administrators, seedWorkers at once. It returns the versions
// seeded per second.
func seed(b *testing.B, e *env, c *config.Config, n int, records bool) float64 {
	b.Helper()
	prod, rep := seedS3(b, e, prodID), seedS3(b, e, repID)
	now := time.Now().UTC()
	start := time.Now()
	err := seedEach(n, func(ctx context.Context, i int) error {
		key := seedKey(i, n)
		put, err := prod.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(c.Production.Bucket), Key: aws.String(key),
			Body: strings.NewReader("id,amount\n" + strconv.Itoa(i) + ",1\n")})
		if err != nil {
			return fmt.Errorf("put %s: %w", key, err)
		}
		if !records {
			return nil
		}
		ver := aws.ToString(put.VersionId)
		rec, _ := json.Marshal(processor.Record{SchemaVersion: processor.SchemaVersion, Status: processor.StatusPresent,
			Source: processor.SourceRef{Bucket: c.Production.Bucket, Key: key, VersionID: ver},
			Event:  processor.EventInfo{Name: "ObjectCreated:Put", Time: now}, ProcessedAt: now})
		rk := processor.RecordKey(c.Reporting.Prefix, c.Production.Bucket, key, ver)
		if _, err := rep.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(c.Reporting.Bucket), Key: aws.String(rk),
			Body: bytes.NewReader(rec), ContentType: aws.String("application/json")}); err != nil {
			return fmt.Errorf("put record %s: %w", rk, err)
		}
		return nil
	})
	if err != nil {
		b.Fatalf("seed %d versions: %v", n, err)
	}
	elapsed := time.Since(start)
	b.Logf("seeded %d versions (records: %v) in %v: %.0f versions/s", n, records, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds())
	return float64(n) / elapsed.Seconds()
}

// usage is what one run took: wall time and peak memory growth over the
// run, of this process (xacct and the sandbox's gateway run in it), of its
// Go heap, and of the sandbox's kumo children.
type usage struct {
	elapsed                time.Duration
	rss, heap, kumo        int64 // bytes
	rssReset, kumoResetAll bool  // VmHWM could be reset to the current RSS first
}

// measure runs fn and samples HeapInuse every 50 ms while it runs.
func measure(b *testing.B, sb *sandbox.Sandbox, fn func()) usage {
	b.Helper()
	runtime.GC()
	debug.FreeOSMemory()
	var u usage
	u.rssReset = resetHWM(os.Getpid())
	kids := sb.ChildPIDs()
	u.kumoResetAll = true
	for _, p := range kids {
		u.kumoResetAll = resetHWM(p) && u.kumoResetAll
	}
	rss0, kumo0 := hwm(os.Getpid()), sumHWM(kids)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heap0 := ms.HeapInuse
	var peak atomic.Uint64
	peak.Store(heap0)
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
		}
	}()
	start := time.Now()
	fn()
	u.elapsed = time.Since(start)
	close(stop)
	<-done
	u.rss = hwm(os.Getpid()) - rss0
	u.heap = int64(peak.Load()) - int64(heap0)
	u.kumo = sumHWM(kids) - kumo0
	return u
}

// resetHWM sets a process's peak RSS (VmHWM) to its current RSS (Linux's
// clear_refs 5); false when it cannot.
func resetHWM(pid int) bool {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0) == nil
}

// hwm is a process's VmHWM in bytes, 0 when it cannot be read.
func hwm(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func sumHWM(pids []int) int64 {
	var n int64
	for _, p := range pids {
		n += hwm(p)
	}
	return n
}

const mb = 1 << 20

func (u usage) report(b *testing.B) {
	b.ReportMetric(float64(u.rss)/mb, "peak-rss-growth-MB")
	b.ReportMetric(float64(u.heap)/mb, "peak-heapinuse-growth-MB")
	b.ReportMetric(float64(u.kumo)/mb, "kumo-peak-rss-growth-MB")
	if !u.rssReset || !u.kumoResetAll {
		b.Logf("VmHWM could not be reset before the run (this process: %v, kumo: %v): RSS growth is over the earlier peak", u.rssReset, u.kumoResetAll)
	}
}

// reconcileRun runs xacct reconcile --json in this process and checks that
// it exits want and reports a complete comparison of versions versions.
func reconcileRun(b *testing.B, e *env, versions int, args ...string) reconcileJSON {
	b.Helper()
	code, out, errOut := e.run(append([]string{"reconcile", "--json"}, args...)...)
	var r reconcileJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil || code != cli.ExitOK || !r.Complete || r.Report.Versions != int64(versions) {
		b.Fatalf("reconcile %v: exit %d, %v, %d versions (want %d)\n%.2000s\n%s", args, code, err, r.Report.Versions, versions, out, errOut)
	}
	return r
}

// processRun runs xacct reconcile --json as a process of its own (no
// gateway in it) and returns its wall time, CPU time and peak RSS (see
// runMeasured).
func processRun(b *testing.B, e *env) (wall, cpu time.Duration, peak int64) {
	b.Helper()
	cmd := xacctProcess(e.sb, "reconcile", "--json", "-c", e.cfg)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	u, err := runMeasured(cmd)
	if err != nil {
		b.Fatalf("xacct reconcile as a process: %v\n%.2000s\n%s", err, out.String(), errOut.String())
	}
	return u.wall, u.cpu, u.peak
}

// processUsage is what a process of its own took: wall time, CPU time
// (user and system) and peak RSS in bytes.
type processUsage struct {
	wall, cpu time.Duration
	peak      int64
}

// runMeasured starts cmd and waits for it. The peak is the process's
// VmHWM read every 50 ms while it runs: the rusage's Maxrss would not do,
// as Linux carries the hiwater of the address space an exec replaces into
// it, and Go starts a child with CLONE_VM, so that would be this
// process's peak (the gateway's) when it is the higher.
func runMeasured(cmd *exec.Cmd) (processUsage, error) {
	var u processUsage
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return u, err
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			u.peak = max(u.peak, hwm(cmd.Process.Pid))
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	err := cmd.Wait()
	u.wall = time.Since(start)
	close(stop)
	<-done
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			u.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
	}
	return u, err
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return strings.TrimSpace(string(b))
}

// BenchmarkReconcile measures `xacct reconcile --json` over 10,000 and
// 100,000 object versions that all have their records: versions compared
// per second and the peak memory growth during the run, which should not
// grow with the bucket. The versions and their records are seeded
// directly (not timed; seeded-versions/s is the seeding rate), with the
// bucket's notification removed so that the processor writes nothing.
// xacct-process-* are the same run as a process of its own, without the
// in-process gateway: its peak RSS, wall time and CPU time.
func BenchmarkReconcile(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("versions=%d", n), func(b *testing.B) {
			e, c := quietStack(b)
			seeded := seed(b, e, c, n, true)
			var u usage
			for b.Loop() {
				u = measure(b, e.sb, func() { reconcileRun(b, e, n) })
			}
			b.StopTimer()
			// After b.Loop: its first call clears what was reported before.
			b.ReportMetric(seeded, "seeded-versions/s")
			b.ReportMetric(float64(n)/u.elapsed.Seconds(), "versions/s")
			b.ReportMetric(u.elapsed.Seconds(), "reconcile-s")
			u.report(b)
			b.Logf("load after the run: %s", loadavg())
			wall, cpu, rss := processRun(b, e)
			b.ReportMetric(float64(rss)/mb, "xacct-process-peak-rss-MB")
			b.ReportMetric(wall.Seconds(), "xacct-process-s")
			b.ReportMetric(cpu.Seconds(), "xacct-process-cpu-s")
		})
	}
}

// BenchmarkReconcileRepair measures `xacct reconcile --repair` of 10,000
// versions without records, from this machine (no batch job): the wall
// time of the whole command (comparison, repair, comparison again) and the
// records written per second over it, at --parallelism 4 and 8 (the
// invocations at once). compare-s is a plain reconcile right after, which
// must pass: repair-s less twice that is about the repair itself.
func BenchmarkReconcileRepair(b *testing.B) {
	const n = 10_000
	for _, par := range []int{4, 8} {
		b.Run(fmt.Sprintf("missing=%d/parallelism=%d", n, par), func(b *testing.B) {
			var u usage
			var check time.Duration
			for b.Loop() {
				b.StopTimer()
				e, c := quietStack(b)
				seed(b, e, c, n, false)
				b.StartTimer()
				var r reconcileJSON
				u = measure(b, e.sb, func() {
					r = reconcileRun(b, e, n, "--repair", "--auto-approve", "--threshold", "1000000", "--parallelism", strconv.Itoa(par))
				})
				b.StopTimer()
				if r.Repair == nil || r.Repair.Job != nil || r.Repair.Tasks != n || r.Repair.Written != n || r.Repair.Failed != 0 {
					b.Fatalf("repair: %+v", r.Repair)
				}
				start := time.Now()
				reconcileRun(b, e, n)
				check = time.Since(start)
				b.StartTimer()
			}
			b.StopTimer()
			b.ReportMetric(u.elapsed.Seconds(), "repair-s")
			b.ReportMetric(float64(n)/u.elapsed.Seconds(), "records/s")
			b.ReportMetric(check.Seconds(), "compare-s")
			u.report(b)
			b.Logf("load after the run: %s", loadavg())
		})
	}
}
