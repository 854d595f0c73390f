package verify

import (
	"fmt"
	"slices"
	"strings"

	"github.com/xacct/xacct/internal/iampolicy"
)

// joinEdges: a user that may add itself to a group of its account gets
// the group's policies ("join").
func joinEdges(e *edgeFrom, acct *Account) []*node {
	w, a := e.w, e.a
	if acct.ID != a.account || a.role != "" || a.function != "" || strings.Contains(a.arn, ":user/xacct-verify-member-of-") || !a.may("iam:AddUserToGroup") {
		return nil
	}
	var out []*node
	for _, g := range acct.Groups {
		if slices.Contains(a.groups, g.Name) {
			continue
		}
		extra := map[string][]string{}
		if res := w.decide(a, "iam:AddUserToGroup", g.ARN, acct.ID, nil, extra); res.Decision == iampolicy.Allowed {
			n := *a
			n.groups = append(slices.Clone(a.groups), g.Name)
			n.identity = append(slices.Clone(a.identity), w.named(g.Policies, iampolicy.Identity)...)
			n.escalated = true
			n.label = fmt.Sprintf("%s in group %s", a.label, g.Name)
			out = append(out, e.hop(&n, "join", g.ARN, "iam:AddUserToGroup", res))
		}
	}
	return out
}
