package cli

import (
	"sort"
	"testing"
	"time"
)

// BenchmarkApplyAndPlan measures, on the sandbox, a first apply of the
// default stack and a no-op plan right after it: wall time and the number
// of AWS API calls each makes (sign-in included). Each iteration uses a new
// stack and destroys it afterwards (not timed).
func BenchmarkApplyAndPlan(b *testing.B) {
	t := &testing.T{}
	var applyTimes, planTimes []time.Duration
	var applyCalls, planCalls int64
	n := 0
	for b.Loop() {
		b.StopTimer()
		e := newEnv(t, "")
		b.StartTimer()
		start := time.Now()
		if code, out, errOut := e.run("apply", "--auto-approve"); code != ExitOK {
			b.Fatalf("apply: %s %s", out, errOut)
		}
		applyTimes = append(applyTimes, time.Since(start))
		applyCalls += e.calls.n.Swap(0)
		start = time.Now()
		if code, out, _ := e.run("plan", "--detailed-exitcode"); code != ExitOK {
			b.Fatalf("plan after apply: %s", out)
		}
		planTimes = append(planTimes, time.Since(start))
		planCalls += e.calls.n.Swap(0)
		b.StopTimer()
		if code, out, errOut := e.run("destroy", "--auto-approve", "--force-delete-data"); code != ExitOK {
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
