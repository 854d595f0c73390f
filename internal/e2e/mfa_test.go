package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// TestVerifyWithMFARequired: the README's example for real AWS requires MFA;
// a correct deployment verifies, offline and deployed, and live probes
// (keys, no MFA) are refused the roles as intended.
func TestVerifyWithMFARequired(t *testing.T) {
	name := newEnv(t, "").stack
	e := newEnv(t, fmt.Sprintf("groups:\n  developers: { group_name: %[1]s-Developers, require_mfa: true }\n  testers: { group_name: %[1]s-Testers, require_mfa: true }\n", name))
	e.mustRun("apply", "--auto-approve")
	for _, args := range [][]string{{"verify", "--rendered"}, {"verify"}} {
		out := e.mustRun(args...)
		if !strings.Contains(out, "Verified.") || !strings.Contains(out, "Developers member without MFA") || !strings.Contains(out, "Developers member with MFA via") {
			t.Errorf("%v:\n%s", args, out)
		}
	}
	out := e.mustRun("verify", "--live", "--live-wait", "10s")
	if !strings.Contains(out, "Verified live.") || !strings.Contains(out, "Testers member without MFA") {
		t.Errorf("verify --live:\n%s", out)
	}
	assertNoProbes(t, e)
}
