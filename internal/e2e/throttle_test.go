package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/xacct/xacct/internal/cli"
	"github.com/xacct/xacct/internal/sandbox"
)

// TestFiftyGroupsUnderThrottling: with AWS throttling 30% of requests, an
// apply of fifty groups succeeds (the SDK retries, each account's rate per
// service slows down), and says how many requests were throttled, in its
// JSON summary and in its text.
func TestFiftyGroupsUnderThrottling(t *testing.T) {
	t.Parallel()
	sb := ownSandbox(t)
	e := newGroupsEnvOn(t, sb, 50, 0)
	sb.SetFaults(sandbox.Faults{Throttle: 0.3, Seed: 14})
	start := time.Now()
	code, out, errOut := e.run("apply", "--auto-approve", "--json")
	if code != cli.ExitOK {
		t.Fatalf("apply under throttling: exit %d\n%s%s", code, out, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var summary struct {
		Type      string `json:"type"`
		Added     int    `json:"added"`
		Throttled int    `json:"throttled"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &summary); err != nil || summary.Type != "summary" {
		t.Fatalf("last event %q: %v", lines[len(lines)-1], err)
	}
	if summary.Added < 200 || summary.Throttled == 0 {
		t.Errorf("summary: %d added, %d throttled; want every resource added and the throttled requests counted", summary.Added, summary.Throttled)
	}
	t.Logf("apply of %d resources in %v, %d requests throttled", summary.Added, time.Since(start).Round(time.Millisecond), summary.Throttled)

	// A plan with nothing to do says it too, in one line.
	code, out, errOut = e.run("plan", "--detailed-exitcode")
	if code != cli.ExitOK {
		t.Fatalf("plan after apply under throttling: exit %d\n%s%s", code, out, errOut)
	}
	sb.SetFaults(sandbox.Faults{})
	e.mustRun("destroy", "--auto-approve", "--force-delete-data")
}
