package verify

import (
	"strings"

	"github.com/xacct/xacct/internal/iampolicy"
)

// boundaryEdges: a permissions boundary the principal may remove or
// replace bounds nothing ("boundary").
func boundaryEdges(e *edgeFrom, acct *Account) []*node {
	a := e.a
	if a.boundary == nil || acct.ID != a.account {
		return nil
	}
	act, target, res, ok := e.w.dropsBoundary(a)
	if !ok {
		return nil
	}
	n := *a
	n.boundary = nil
	n.escalated = true
	n.label = a.label + " without its permissions boundary"
	return []*node{e.hop(&n, "boundary", target, act, res)}
}

// dropsBoundary finds an IAM action that lets a remove or replace its own
// permissions boundary.
func (w *reachWorld) dropsBoundary(a *node) (string, string, iampolicy.Result, bool) {
	kind, target := "User", a.arn
	if a.role != "" {
		kind, target = "Role", a.roleARN
	} else if a.function != "" || !strings.Contains(a.arn, ":user/") || strings.Contains(a.arn, ":user/xacct-verify-member-of-") {
		return "", "", iampolicy.Result{}, false
	}
	for _, act := range []string{"iam:Delete" + kind + "PermissionsBoundary", "iam:Put" + kind + "PermissionsBoundary"} {
		if !a.may(act) {
			continue
		}
		if res := w.decide(a, act, target, a.account, nil, nil); res.Decision == iampolicy.Allowed {
			return act, target, res, true
		}
	}
	return "", "", iampolicy.Result{}, false
}
