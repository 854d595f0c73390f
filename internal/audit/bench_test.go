package audit_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
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

// The benchmark's log bucket: 1,000 files of 1,000 records (1,000,000
// events) in AWS's key layout, three accounts delivering a file every 5
// minutes each for about 28 hours, records of the shape CloudTrail writes
// (S3 data events of the group roles' sessions, the processor's reads,
// IAM and STS management events) with unique keys and IDs, so that gzip
// compresses them as it does real logs (about 10:1).
//
// It is an in-memory bucket, not the sandbox's: the benchmark measures
// xacct's own work (listing, GETs, gunzip, parsing, filtering, merging,
// formatting), which the sandbox's S3 (kumo behind the gateway, on the
// same two cores) would drown, and it runs before the sandbox delivers
// trails.
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
		start := t0
		accounts := []string{dev, prod, rep}
		var wg sync.WaitGroup
		var raw atomic.Int64
		jobs := make(chan int)
		for w := 0; w < runtime.GOMAXPROCS(0); w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range jobs {
					acct := accounts[i%3]
					at := start.Add(time.Duration(i/3) * benchEvery)
					key, body, n := benchFile(acct, at, i)
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
		benchEnd = start.Add(time.Duration((benchFiles-1)/3) * benchEvery)
		benchBytes = raw.Load()
	})
	return benchBucket
}

// benchFile renders one log file: records spread over the 5 minutes
// before at.
func benchFile(acct string, at time.Time, seed int) (string, []byte, int64) {
	rng := rand.New(rand.NewPCG(uint64(seed), 7))
	var buf bytes.Buffer
	buf.WriteString(`{"Records":[`)
	users := []string{"alice", "bob", "carol", "dave", "erin"}
	for j := 0; j < benchRecords; j++ {
		if j > 0 {
			buf.WriteByte(',')
		}
		tm := at.Add(-time.Duration(rng.IntN(300)) * time.Second).Format(time.RFC3339)
		id := fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", rng.Uint32(), rng.IntN(1<<16), rng.IntN(1<<12), rng.IntN(1<<12), rng.Uint64()&(1<<48-1))
		user := users[rng.IntN(len(users))]
		switch r := rng.IntN(10); {
		case r < 8 && acct == prod:
			role, name := "acme-data-developers", "PutObject"
			if r%2 == 0 {
				role, name = "acme-data-testers", "GetObject"
			}
			fmt.Fprintf(&buf, `{"eventVersion":"1.11","userIdentity":{"type":"AssumedRole","principalId":"AROA3EXAMPLE%[1]s:%[2]s","arn":"arn:aws:sts::%[3]s:assumed-role/%[1]s/%[2]s","accountId":"%[3]s","accessKeyId":"ASIA%[4]X","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROA3EXAMPLE%[1]s","arn":"arn:aws:iam::%[3]s:role/%[1]s","accountId":"%[3]s","userName":"%[1]s"},"attributes":{"creationDate":"%[5]s","mfaAuthenticated":"false"},"sourceIdentity":"%[2]s"}},"eventTime":"%[5]s","eventSource":"s3.amazonaws.com","eventName":"%[6]s","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.%[7]d","userAgent":"[aws-cli/2.15.%[7]d Python/3.11.6 Linux/6.1 exe/x86_64 command/s3.cp]","requestParameters":{"bucketName":"acme-data-prod","Host":"acme-data-prod.s3.eu-west-1.amazonaws.com","key":"reports/2026/%[8]d/%[9]s.csv"},"responseElements":{"x-amz-server-side-encryption":"AES256","x-amz-version-id":"%[10]s"},"additionalEventData":{"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":%[11]d,"SSEApplied":"Default_SSE_S3","AuthenticationMethod":"AuthHeader","x-amz-id-2":"%[12]x","bytesTransferredOut":0},"requestID":"%[13]X","eventID":"%[9]s","readOnly":%[14]t,"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::acme-data-prod/reports/2026/%[8]d/%[9]s.csv"},{"accountId":"%[3]s","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::acme-data-prod"}],"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"%[3]s","eventCategory":"Data","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"acme-data-prod.s3.eu-west-1.amazonaws.com"}}`,
				role, user, acct, rng.Uint64(), tm, name, rng.IntN(250), rng.IntN(12)+1, id, fmt.Sprintf("%x", rng.Uint64()), rng.IntN(1<<20), rng.Uint64(), rng.Uint64(), name == "GetObject")
		default:
			fmt.Fprintf(&buf, `{"eventVersion":"1.11","userIdentity":{"type":"IAMUser","principalId":"AIDA%[4]X","arn":"arn:aws:iam::%[3]s:user/%[2]s","accountId":"%[3]s","accessKeyId":"AKIA%[4]X","userName":"%[2]s"},"eventTime":"%[5]s","eventSource":"iam.amazonaws.com","eventName":"GetRole","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.%[6]d","userAgent":"aws-sdk-go-v2/1.30.%[6]d os/linux lang/go#1.26","requestParameters":{"roleName":"acme-data-developers"},"responseElements":null,"requestID":"%[7]x","eventID":"%[1]s","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"%[3]s","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"iam.amazonaws.com"}}`,
				id, user, acct, rng.Uint64(), tm, rng.IntN(250), rng.Uint64())
		}
	}
	buf.WriteString(`]}`)
	var z bytes.Buffer
	w, _ := gzip.NewWriterLevel(&z, gzip.BestSpeed)
	_, _ = w.Write(buf.Bytes())
	_ = w.Close()
	region := "eu-west-1"
	if acct != prod {
		region = "us-east-1"
	}
	key := audit.DayPrefix(acct, region, at) + fmt.Sprintf("%s_CloudTrail_%s_%s_%016x.json.gz", acct, region, at.UTC().Format("20060102T1504Z"), seed)
	return key, z.Bytes(), int64(buf.Len())
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
