package e2e

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/xacct/xacct/internal/cli"
	"github.com/xacct/xacct/lambda/processor"
)

// BenchmarkApplyAndPlan measures, on the sandbox, a first apply of the
// default stack and a no-op plan right after it: wall time and the number
// of AWS API calls each makes (sign-in included). Each iteration uses a new
// stack and destroys it afterwards (not timed).
func BenchmarkApplyAndPlan(b *testing.B) {
	var applyTimes, planTimes []time.Duration
	var applyCalls, planCalls int64
	n := 0
	for b.Loop() {
		b.StopTimer()
		e := newEnv(b, "")
		b.StartTimer()
		start := time.Now()
		if code, out, errOut := e.run("apply", "--auto-approve"); code != cli.ExitOK {
			b.Fatalf("apply: %s %s", out, errOut)
		}
		applyTimes = append(applyTimes, time.Since(start))
		applyCalls += e.calls.n.Swap(0)
		start = time.Now()
		if code, out, _ := e.run("plan", "--detailed-exitcode"); code != cli.ExitOK {
			b.Fatalf("plan after apply: %s", out)
		}
		planTimes = append(planTimes, time.Since(start))
		planCalls += e.calls.n.Swap(0)
		b.StopTimer()
		if code, out, errOut := e.run("destroy", "--auto-approve", "--force-delete-data"); code != cli.ExitOK {
			b.Fatalf("destroy: %s %s", out, errOut)
		}
		b.StartTimer()
		n++
	}
	b.ReportMetric(float64(median(applyTimes).Microseconds())/1000, "apply-median-ms")
	b.ReportMetric(float64(applyCalls)/float64(n), "apply-calls")
	b.ReportMetric(float64(median(planTimes).Microseconds())/1000, "noop-plan-median-ms")
	b.ReportMetric(float64(planCalls)/float64(n), "noop-plan-calls")
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// BenchmarkProcessorRecord measures the metadata processor's handler on one
// record against the sandbox, warm: HeadObject in Production, conditional
// PutObject in Reporting, both through the gateway over TLS. Each record
// goes to a new key, so every write is a real one.
func BenchmarkProcessorRecord(b *testing.B) {
	ctx := context.Background()
	e := newEnv(b, "")
	if code, out, errOut := e.run("apply", "--auto-approve"); code != cli.ExitOK {
		b.Fatalf("apply: %s %s", out, errOut)
	}
	c := e.loadConfig()
	prodAdmin := orgAdmin(b, "222222222222")
	repAdmin := orgAdmin(b, "333333333333")
	put, err := prodAdmin.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(c.Production.Bucket), Key: aws.String("bench/object.csv"), Body: strings.NewReader("a,b\n1,2\n")})
	if err != nil {
		b.Fatal(err)
	}
	h := &processor.Handler{
		Config: processor.Config{ReportBucket: c.Reporting.Bucket, ReportBucketOwner: "333333333333", SourceBucketOwner: "222222222222"},
		Source: prodAdmin.s3, Writer: repAdmin.s3, Log: slog.New(slog.NewJSONHandler(io.Discard, nil)), Now: time.Now,
	}
	var ev events.S3Event
	ev.Records = make([]events.S3EventRecord, 1)
	ev.Records[0].EventName = "ObjectCreated:Put"
	ev.Records[0].S3.Bucket.Name = c.Production.Bucket
	ev.Records[0].S3.Object.Key = "bench/object.csv"
	ev.Records[0].S3.Object.VersionID = aws.ToString(put.VersionId)
	i := 0
	start := time.Now()
	for b.Loop() {
		h.Config.ReportPrefix = fmt.Sprintf("metadata/bench-%d/", i)
		if err := h.Handle(ctx, ev); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(i)/time.Since(start).Seconds(), "records/s")
	b.StopTimer()
	e.run("destroy", "--auto-approve", "--force-delete-data")
}
