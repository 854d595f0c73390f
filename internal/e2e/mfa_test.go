package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// TestVerifyWithMFARequired: the README's example for real AWS requires MFA;
// a correct deployment verifies, offline and deployed, and live probes
// (keys, no MFA) are refused the roles as intended.
func TestVerifyWithMFARequired(t *testing.T) {
	name := newVerifyEnv(t, "").stack
	e := newVerifyEnv(t, fmt.Sprintf("groups:\n  developers: { group_name: %[1]s-Developers, require_mfa: true }\n  testers: { group_name: %[1]s-Testers, require_mfa: true }\n", name))
	e.mustRun("apply", "--auto-approve")
	// The matrix shows each member's path to its role both ways: with MFA
	// intended and allowed, without it intended and denied.
	role := fmt.Sprintf("arn:aws:iam::%s:role/%s-developers", prodID, e.stack)
	withMFA := regexp.MustCompile(`(?m)^` + name + `-Developers member with MFA +sts:AssumeRole +` + regexp.QuoteMeta(role) + ` +allow +allow$`)
	withoutMFA := regexp.MustCompile(`(?m)^` + name + `-Developers member without MFA +sts:AssumeRole +` + regexp.QuoteMeta(role) + ` +deny +deny$`)
	for _, args := range [][]string{{"verify", "--rendered", "--matrix"}, {"verify", "--matrix"}} {
		out := e.mustRun(args...)
		if !strings.Contains(out, "Verified.") || !withMFA.MatchString(out) || !withoutMFA.MatchString(out) || !strings.Contains(out, "Developers member with MFA via") {
			t.Errorf("%v:\n%s", args, out)
		}
	}
	out := e.mustRun("verify", "--live", "--live-wait", "10s")
	if !strings.Contains(out, "Verified live.") || !strings.Contains(out, "Testers member without MFA") {
		t.Errorf("verify --live:\n%s", out)
	}
	assertNoProbes(t, e)
}
