package verify

import (
	"strings"

	"github.com/xacct/xacct/internal/iampolicy"
)

// roleEdge is one kind of edge to a role; roleEdges tries them in order
// and takes the first that leads to the role.
type roleEdge func(e *edgeFrom, r *roleRef) []*node

// roleKinds: assuming it (edge_assume.go) before rewriting its trust
// (edge_trust.go) before passing it to a service (edge_passrole.go).
var roleKinds = []roleEdge{assumeEdge, trustEdge, passRoleEdge}

// roleEdges are the roles of acct that e.a becomes, each by the first
// kind of edge that leads to it.
func roleEdges(e *edgeFrom, acct *Account) []*node {
	var out []*node
	for i := range acct.Roles {
		r := &roleRef{Role: &acct.Roles[i], account: acct.ID}
		if e.a.role == r.Name && e.a.account == r.account {
			continue
		}
		for _, kind := range roleKinds {
			if next := kind(e, r); len(next) > 0 {
				out = append(out, next...)
				break
			}
		}
	}
	return out
}

// assumeEdge: sts:AssumeRole, allowed by the trust and (across accounts,
// or without a trust grant to the caller itself) the identity ("assume").
// Whoever may also write the role's permissions (its policies, or a new
// version of a managed policy attached to it) holds whatever it writes
// there ("grant").
func assumeEdge(e *edgeFrom, r *roleRef) []*node {
	w, a := e.w, e.a
	if r.account != a.account && !a.may("sts:AssumeRole") {
		// Across accounts the caller's own policies must allow it too.
		return nil
	}
	trust := w.policy(r.Trust, iampolicy.Trust)
	if trust == nil || !e.mayAssume(trust) {
		return nil
	}
	res := w.decide(a, "sts:AssumeRole", r.ARN, r.account, &iampolicy.NamedPolicy{Name: "trust policy of " + r.Name, Policy: trust}, nil)
	if res.Decision != iampolicy.Allowed {
		return nil
	}
	out := []*node{e.hop(w.session(a, r, "verify"), "assume", r.ARN, "sts:AssumeRole", res)}
	if act, res, ok := w.writesPermissions(a, r); ok {
		n := w.session(a, r, "verify")
		n.identity = []iampolicy.NamedPolicy{{Name: "any policy it writes on " + r.Name, Policy: adminPolicy}}
		n.escalated = true
		n.label += " after its permissions are rewritten"
		out = append(out, e.hop(n, "grant", r.ARN, act, res))
	}
	return append(out, roleVersionEdges(e, r)...)
}

// writesPermissions finds an IAM action that lets a write the role's
// permissions: a policy on it, or a new version of a customer managed
// policy attached to it.
func (w *reachWorld) writesPermissions(a *node, r *roleRef) (string, iampolicy.Result, bool) {
	if r.account != a.account {
		return "", iampolicy.Result{}, false
	}
	for _, act := range []string{"iam:PutRolePolicy", "iam:AttachRolePolicy"} {
		if !a.may(act) {
			continue
		}
		if res := w.decide(a, act, r.ARN, r.account, nil, nil); res.Decision == iampolicy.Allowed {
			return act, res, true
		}
	}
	for _, d := range r.Policies {
		if arn, ok := strings.CutPrefix(d.Name, "managed policy "); ok && strings.HasPrefix(arn, "arn:aws:iam::"+r.account+":policy/") && a.may("iam:CreatePolicyVersion") {
			if res := w.decide(a, "iam:CreatePolicyVersion", arn, r.account, nil, nil); res.Decision == iampolicy.Allowed {
				return "iam:CreatePolicyVersion", res, true
			}
		}
	}
	return "", iampolicy.Result{}, false
}

// mayAssume is a cheap test that rules out most principals of a big
// account before the request is decided: a caller none of whose identity
// policies may allow sts:AssumeRole is let in only by a trust statement
// that names it, its role, or anyone ("*"), so a trust naming none of
// them cannot let it in.
func (e *edgeFrom) mayAssume(trust *iampolicy.Policy) bool {
	if e.assume == 0 {
		e.assume = 2
		if e.a.may("sts:AssumeRole") {
			e.assume = 1
		}
	}
	if e.assume == 1 {
		return true
	}
	return e.w.namesCaller(e.a, trust)
}

// namesCaller reports whether a resource or trust policy may grant to a
// itself rather than to its account: it names a's ARN, its role's, or
// anyone ("*"). A caller no identity policy allows an action gets it only
// from such a grant (the policy engine's direct and role grants).
func (w *reachWorld) namesCaller(a *node, p *iampolicy.Policy) bool {
	doc := w.canonical(p)
	return strings.Contains(doc, `"*"`) || strings.Contains(doc, a.arn) || (a.roleARN != "" && strings.Contains(doc, a.roleARN))
}
