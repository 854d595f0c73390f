package audit_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/xacct/xacct/internal/audit"
	"github.com/xacct/xacct/internal/audit/audittest"
)

// The benchmark's log bucket: audittest.Synthetic's 1,000 files of 1,000
// records (1,000,000 events) in AWS's key layout, three accounts
// delivering a file every 5 minutes each for about 28 hours.
//
// It is an in-memory bucket, not the sandbox's: the benchmark measures
// xacct's own work (listing, GETs, gunzip, parsing, filtering, merging,
// formatting), which the sandbox's S3 (kumo behind the gateway, on the
// same two cores) would drown, and it runs before the sandbox delivers
// trails. internal/e2e's BenchmarkAuditSandbox reads the same files from
// the sandbox, with xacct as a process of its own.
const (
	benchFiles   = 1000
	benchRecords = 1000
	benchEvery   = 5 * time.Minute
)

var (
	benchOnce   sync.Once
	benchBucket *audittest.Bucket
	benchEnd    time.Time
	benchBytes  int64
)

func benchWorld(b *testing.B) *audittest.Bucket {
	b.Helper()
	benchOnce.Do(func() {
		benchBucket = audittest.NewBucket(logBucket)
		fx := audittest.Synthetic{Accounts: []string{dev, prod, rep}, Production: prod, Start: t0, Every: benchEvery, Files: benchFiles, Records: benchRecords}
		var wg sync.WaitGroup
		var raw atomic.Int64
		jobs := make(chan int)
		for w := 0; w < runtime.GOMAXPROCS(0); w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range jobs {
					key, body, n := fx.File(i)
					raw.Add(n)
					benchBucket.Put(key, body, nil)
				}
			}()
		}
		for i := 0; i < benchFiles; i++ {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		benchEnd = fx.End()
		benchBytes = raw.Load()
	})
	return benchBucket
}

// peakLive samples the live heap (as of each GC) while run runs and
// returns its peak above what was live before, and the CPU time run took
// (user + system, all threads: the figure that holds on a shared machine).
// The live heap, not the heap in use: the fixture is live and the GC lets
// garbage grow to its size before collecting, which is not xacct's.
func peakLive(run func()) (uint64, time.Duration) {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	base := sample[0].Value.Uint64()
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	cpu0 := cpuTime()
	run()
	cpu := cpuTime() - cpu0
	close(done)
	if p := peak.Load(); p > base {
		return p - base, cpu
	}
	return 0, cpu
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkAudit is `xacct audit` over the bucket: every file (--since
// covering all of it), a quarter of them (memory must not grow with the
// range), and --since 1h (only that hour's files are listed and read).
// Each prints every entry as the table does, to io.Discard. make
// bench-audit runs it; it reports events/s, the peak live heap above
// the fixture's, the CPU time, GETs, and the process's peak RSS (fixture included).
func BenchmarkAudit(b *testing.B) {
	bk := benchWorld(b)
	now := benchEnd
	for _, tt := range []struct {
		name  string
		since time.Time
	}{
		{"all-1M", t0.Add(-time.Hour)},
		{"quarter", benchEnd.Add(-7 * time.Hour)},
		{"since-1h", benchEnd.Add(-time.Hour)},
	} {
		b.Run(tt.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				gets := bk.Gets.Load()
				var st *audit.Stats
				var err error
				start := time.Now()
				heap, cpu := peakLive(func() {
					st, err = audit.Read(context.Background(), bk, audit.Options{Bucket: logBucket, Accounts: []string{dev, prod, rep}, Since: tt.since,
						Principals: principals, Now: func() time.Time { return now }, Parallel: 8},
						func(e audit.Entry) error {
							_, err := fmt.Fprintf(io.Discard, "%-20s  %-34s  %-26s  %-48s  %s\n", e.Time.Format(time.RFC3339), e.Who.Path(), e.Action, e.Resource, e.Result)
							return err
						})
				})
				if err != nil {
					b.Fatal(err)
				}
				elapsed := time.Since(start)
				b.ReportMetric(float64(st.Events)/elapsed.Seconds(), "events/s")
				b.ReportMetric(float64(st.Events), "events")
				b.ReportMetric(float64(bk.Gets.Load()-gets), "GETs")
				b.ReportMetric(float64(heap)/(1<<20), "peak-live-heap-MB")
				b.ReportMetric(cpu.Seconds(), "cpu-s")
				b.ReportMetric(elapsed.Seconds(), "s")
				b.ReportMetric(rssMB(), "peak-RSS-MB")
			}
		})
	}
	b.Logf("fixture: %d files, %d MB of JSON, %d MB gzip", benchFiles, benchBytes>>20, gzBytes(bk)>>20)
}

func gzBytes(bk *audittest.Bucket) int64 {
	var n int64
	for _, k := range bk.Keys() {
		o, _ := bk.Get(k)
		n += int64(len(o.Body))
	}
	return n
}

// rssMB is the process's peak resident set (VmHWM), in MB.
func rssMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb float64
			fmt.Sscanf(strings.TrimSpace(v), "%f", &kb)
			return kb / 1024
		}
	}
	return 0
}
