package verify

import (
	"github.com/xacct/xacct/internal/iampolicy"
)

// functionEdges: whoever may change a function's code or configuration
// acts as its execution role ("function").
func functionEdges(e *edgeFrom, acct *Account) []*node {
	w, a := e.w, e.a
	var out []*node
	for _, fn := range acct.Functions {
		r := w.role(fn.Role)
		if r == nil || a.function == fn.Name {
			continue
		}
		var rp *iampolicy.NamedPolicy
		if fn.Policy != "" {
			if p := w.policy(fn.Policy, iampolicy.Resource); p != nil {
				rp = &iampolicy.NamedPolicy{Name: "policy of function " + fn.Name, Policy: p}
			}
		}
		for _, act := range functionActions {
			if !a.may(act) && (rp == nil || !w.namesCaller(a, rp.Policy)) {
				continue
			}
			if res := w.decide(a, act, fn.ARN, acct.ID, rp, nil); res.Decision == iampolicy.Allowed {
				n := w.session(a, r, fn.Name)
				n.function = fn.Name
				n.escalated = true
				out = append(out, e.hop(n, "function", fn.ARN, act, res))
				break
			}
		}
	}
	return out
}

// functionActions change what a function runs.
var functionActions = []string{"lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration"}
