package verify

import (
	"strings"

	"github.com/xacct/xacct/internal/iampolicy"
)

// trustEdge: a principal that may rewrite a role's trust policy
// (iam:UpdateAssumeRolePolicy, same account) then assumes it ("trust").
func trustEdge(e *edgeFrom, r *roleRef) []*node {
	w, a := e.w, e.a
	if r.account != a.account || !a.may("iam:UpdateAssumeRolePolicy") {
		return nil
	}
	res := w.decide(a, "iam:UpdateAssumeRolePolicy", r.ARN, r.account, nil, nil)
	if res.Decision != iampolicy.Allowed {
		return nil
	}
	n := w.session(a, r, "verify")
	n.escalated = true
	return []*node{e.hop(n, "trust", r.ARN, "iam:UpdateAssumeRolePolicy", res)}
}

// adminTrustEdges: an administrator of acct can become any of its roles
// (rewriting a trust if it must); only those that may reach further than
// the administrator already goes are walked.
func adminTrustEdges(e *edgeFrom, acct *Account) []*node {
	var out []*node
	for i := range acct.Roles {
		r := &roleRef{Role: &acct.Roles[i], account: acct.ID}
		if e.a.role != r.Name && e.w.reachesOut(r) {
			n := e.w.session(e.a, r, "verify")
			out = append(out, e.hop(n, "trust", r.ARN, "iam:UpdateAssumeRolePolicy", iampolicy.Result{Reasons: nil}))
		}
	}
	return out
}

// reachesOut reports whether a role's policies name anything outside its
// account (a role, a bucket, a function), so that becoming it may lead
// further than its account's administrator already goes.
func (w *reachWorld) reachesOut(r *roleRef) bool {
	for _, d := range r.Policies {
		for _, m := range accountRE.FindAllStringSubmatch(d.Document, -1) {
			if m[1] != r.account {
				return true
			}
		}
		if strings.Contains(d.Document, "arn:aws:s3:::") || strings.Contains(d.Document, `"Resource":"*"`) {
			return true
		}
	}
	return false
}
