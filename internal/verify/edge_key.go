package verify

import (
	"fmt"
	"slices"

	"github.com/xacct/xacct/internal/iampolicy"
)

// keyEdges: a new access key or console password of a user of its own
// account makes the principal that user ("key").
func keyEdges(e *edgeFrom, acct *Account) []*node {
	w, a := e.w, e.a
	if acct.ID != a.account {
		return nil
	}
	var out []*node
	for _, u := range acct.Users {
		if u.ARN == a.arn {
			continue
		}
		for _, act := range []string{"iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile"} {
			if !a.may(act) {
				continue
			}
			if res := w.decide(a, act, u.ARN, acct.ID, nil, nil); res.Decision == iampolicy.Allowed {
				n := w.userActor(a, *acct, u)
				n.escalated = true
				out = append(out, e.hop(n, "key", u.ARN, act, res))
				break
			}
		}
	}
	return out
}

// userActor is a principal holding a user's own credentials.
func (w *reachWorld) userActor(from *node, acct Account, u User) *node {
	ids := w.named(u.Policies, iampolicy.Identity)
	for _, gname := range u.Groups {
		for _, g := range acct.Groups {
			if g.Name == gname {
				ids = append(ids, w.named(g.Policies, iampolicy.Identity)...)
			}
		}
	}
	return &node{label: fmt.Sprintf("user %s (%s)", u.Name, acct.Key), start: from.start, startARN: from.startARN, arn: u.ARN, account: acct.ID,
		identity: ids, boundary: w.boundaryOf(u.Boundary), groups: u.Groups, path: slices.Clone(from.path), escalated: from.escalated}
}
