package verify

import (
	"fmt"
	"testing"
)

// TestIdlePrincipalsShareDecisions: principals without permissions are
// decided together, even though the Reporting bucket's policy has a
// condition on aws:PrincipalArn (deny all but the writer) and the
// Lambda function's policy names none of them: a hundred more idle users
// per account cost a request or two each, not a principal's worth of
// decisions on every bucket (the scale test's shape; issue 20: its walk
// took 25 s before they were shared, under 1 s after).
func TestIdlePrincipalsShareDecisions(t *testing.T) {
	t.Parallel()
	requests := func(n int) int {
		c, values := rendered(t, base)
		inv := RenderedInventory(c, FromValues(values))
		for i := range inv.Accounts {
			a := &inv.Accounts[i]
			for j := range n {
				addUser(a, fmt.Sprintf("idle-%03d", j))
			}
			a.sort()
		}
		r := ComputeReach(c, inv, false)
		if len(r.Findings) != 0 {
			t.Fatalf("%d idle principals per account: findings\n%s", n, dumpFindings(r))
		}
		return r.Requests
	}
	few, many := requests(10), requests(110)
	t.Logf("requests decided: %d with 10 idle users per account, %d with 110", few, many)
	if per := float64(many-few) / 300; per > 2 {
		t.Errorf("300 more idle users cost %d more requests (%d → %d), %.1f each: their decisions are not shared", many-few, few, many, per)
	}
}
