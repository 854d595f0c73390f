package e2e

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/xacct/xacct/internal/cli"
	"github.com/xacct/xacct/internal/sandbox"
)

// delaying holds every request for a fixed time before sending it: the
// round trip to AWS that a local sandbox does not have.
type delaying struct {
	d    time.Duration
	next http.RoundTripper
}

func (t *delaying) RoundTrip(r *http.Request) (*http.Response, error) {
	select {
	case <-time.After(t.d):
	case <-r.Context().Done():
		return nil, r.Context().Err()
	}
	return t.next.RoundTrip(r)
}

// roundTrip is the delay BenchmarkPlanLatency adds to every request: a
// realistic AWS round trip.
const roundTrip = 50 * time.Millisecond

// groupsYAML is the config of n groups, named for the stack.
func groupsYAML(stack string, n int) string {
	var b strings.Builder
	b.WriteString("groups:\n")
	for i := range n {
		fmt.Fprintf(&b, "  g%02d: { group_name: %s-G%02d, actions: [s3:GetObject] }\n", i, stack, i)
	}
	return b.String()
}

// newGroupsEnv is a stack of n groups whose requests each take delay more.
func newGroupsEnv(tb testing.TB, n int, delay time.Duration) *env {
	tb.Helper()
	return newGroupsEnvOn(tb, shared, n, delay)
}

func newGroupsEnvOn(tb testing.TB, sb *sandbox.Sandbox, n int, delay time.Duration) *env {
	tb.Helper()
	e := newEnvOn(tb, sb, "groups: {}\n")
	yaml, err := os.ReadFile(e.cfg)
	if err != nil {
		tb.Fatal(err)
	}
	e.write(strings.Replace(string(yaml), "groups: {}\n", groupsYAML(e.stack, n), 1))
	if delay > 0 {
		e.calls.next = &delaying{d: delay, next: e.calls.next}
	}
	return e
}

// BenchmarkPlanLatency measures, with every request held roundTrip, the
// default stack (processor included) with 2 and with 50 groups: a first
// apply, a no-op plan right after it, and destroy, each in wall time and
// AWS requests (sign-in included). Run it alone, one iteration:
//
//	go test -run '^$' -bench PlanLatency -benchtime 1x ./internal/e2e/
func BenchmarkPlanLatency(b *testing.B) {
	for _, groups := range []int{2, 50} {
		b.Run(fmt.Sprintf("groups=%d", groups), func(b *testing.B) {
			var times [3][]time.Duration
			var calls [3]int64
			n := 0
			for b.Loop() {
				e := newGroupsEnv(b, groups, roundTrip)
				for i, args := range [][]string{
					{"apply", "--auto-approve"},
					{"plan", "--detailed-exitcode"},
					{"destroy", "--auto-approve", "--force-delete-data"},
				} {
					start := time.Now()
					if code, out, errOut := e.run(args...); code != cli.ExitOK {
						b.Fatalf("%s: exit %d\n%s%s", args[0], code, out, errOut)
					}
					times[i] = append(times[i], time.Since(start))
					calls[i] += e.calls.n.Swap(0)
				}
				n++
			}
			for i, name := range []string{"apply", "noop-plan", "destroy"} {
				b.ReportMetric(float64(median(times[i]).Microseconds())/1000, name+"-ms")
				b.ReportMetric(float64(calls[i])/float64(n), name+"-requests")
			}
		})
	}
}
