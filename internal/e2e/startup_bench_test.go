package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xacct/xacct/internal/cli"
)

// buildXacct builds ./cmd/xacct as make build does (without its version
// stamp) into a temporary directory and returns its path.
func buildXacct(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "xacct")
	cmd := exec.Command("go", "build", "-o", bin, "../../cmd/xacct")
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build ./cmd/xacct: %v\n%s", err, out)
	}
	return bin
}

// BenchmarkStartup starts the real xacct binary, the one a user installs
// (make bench-startup): `xacct version`, and a no-op `xacct plan
// --detailed-exitcode` of a stack applied on the shared sandbox, signed in
// through the environment as a user's shell would be. It reports the
// median wall time of each (the machine is shared: the mean is noisy) and
// the binary's size. The stack is applied once, before the timing.
func BenchmarkStartup(b *testing.B) {
	bin := buildXacct(b)
	st, err := os.Stat(bin)
	if err != nil {
		b.Fatal(err)
	}
	size := float64(st.Size()) / 1e6

	b.Run("version", func(b *testing.B) {
		var times []time.Duration
		for b.Loop() {
			start := time.Now()
			out, err := exec.Command(bin, "version").Output()
			times = append(times, time.Since(start))
			if err != nil || !strings.HasPrefix(string(out), "xacct ") {
				b.Fatalf("xacct version: %v: %q", err, out)
			}
		}
		b.ReportMetric(float64(median(times).Microseconds())/1000, "median-ms")
		b.ReportMetric(size, "binary-MB")
	})

	b.Run("plan-noop", func(b *testing.B) {
		e := newEnv(b, "")
		e.mustRun("apply", "--auto-approve")
		b.Cleanup(func() { e.run("destroy", "--auto-approve", "--force-delete-data") })
		var times []time.Duration
		for b.Loop() {
			cmd := exec.Command(bin, "plan", "--detailed-exitcode", "-c", e.cfg)
			cmd.Env = append(signedIn(e.sb), "NO_COLOR=1")
			start := time.Now()
			out, err := cmd.CombinedOutput()
			times = append(times, time.Since(start))
			if err != nil || cmd.ProcessState.ExitCode() != cli.ExitOK {
				b.Fatalf("xacct plan --detailed-exitcode after apply (want exit 0, no changes): %v\n%s", err, out)
			}
		}
		b.ReportMetric(float64(median(times).Microseconds())/1000, "median-ms")
		b.ReportMetric(size, "binary-MB")
	})
}
