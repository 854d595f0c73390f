package e2e

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/xacct/xacct/internal/cli"
	"github.com/xacct/xacct/internal/sandbox"
)

// chaosSeeds are the fault seeds a run tries: one in every run, twenty
// with XACCT_KILL_POINTS=all (make chaos).
func chaosSeeds() []uint64 {
	if os.Getenv("XACCT_KILL_POINTS") == "all" {
		out := make([]uint64, 20)
		for i := range out {
			out[i] = uint64(i + 1)
		}
		return out
	}
	return []uint64{1}
}

// TestApplyAndDestroyUnderFaults: with AWS throttling 10% of requests,
// failing 3% with a 5xx and taking 2 s to propagate each IAM change, apply,
// a plan with nothing to do and destroy all succeed: the SDK retries what
// AWS asks it to, apply waits for IAM where AWS says it has not caught up.
func TestApplyAndDestroyUnderFaults(t *testing.T) {
	t.Parallel()
	sb := ownSandbox(t)
	for _, seed := range chaosSeeds() {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			e := newEnvOn(t, sb, "")
			sb.SetFaults(sandbox.Faults{Throttle: 0.1, Error: 0.03, IAMDelay: 2 * time.Second, Seed: seed})
			defer sb.SetFaults(sandbox.Faults{})
			start := time.Now()
			e.mustRun("apply", "--auto-approve")
			applied := time.Since(start)
			if code, out, errOut := e.run("plan", "--detailed-exitcode"); code != cli.ExitOK {
				t.Fatalf("plan after apply under faults: exit %d\n%s%s", code, out, errOut)
			}
			e.mustRun("destroy", "--auto-approve", "--force-delete-data")
			counts := sb.FaultCounts()
			if counts["Throttling"]+counts["SlowDown"]+counts["TooManyRequestsException"]+counts["ThrottlingException"] == 0 {
				t.Errorf("no throttling was injected: %v", counts)
			}
			t.Logf("seed %d: apply %v under faults %v", seed, applied.Round(time.Millisecond), counts)
		})
	}
}
