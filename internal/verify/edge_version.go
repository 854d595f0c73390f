package verify

import (
	"slices"
	"strings"

	"github.com/xacct/xacct/internal/iampolicy"
)

// versionEdges: a principal that may set the default version of a
// customer managed policy attached to it (iam:SetDefaultPolicyVersion)
// holds what any stored version of it grants ("version"), one version
// at a time.
func versionEdges(e *edgeFrom, acct *Account) []*node {
	a := e.a
	if acct.ID != a.account || !a.may("iam:SetDefaultPolicyVersion") {
		return nil
	}
	var out []*node
	for i, p := range a.identity {
		for _, v := range e.w.storedVersions()[p.Name] {
			n, ok := e.withVersion(a, i, v)
			if !ok {
				continue
			}
			out = append(out, n)
		}
	}
	return out
}

// roleVersionEdges: a principal that assumes role r (edge_assume.go) and
// may set the default version of a customer managed policy attached to it
// holds the session with what any stored version grants.
func roleVersionEdges(e *edgeFrom, r *roleRef) []*node {
	a := e.a
	if r.account != a.account || !a.may("iam:SetDefaultPolicyVersion") {
		return nil
	}
	var out []*node
	for _, d := range r.Policies {
		for _, v := range d.Versions {
			s := e.w.session(a, r, "verify")
			i := slices.IndexFunc(s.identity, func(p iampolicy.NamedPolicy) bool { return p.Name == d.Name })
			if i < 0 {
				continue
			}
			if n, ok := e.withVersionOf(a, s, i, v); ok {
				out = append(out, n)
			}
		}
	}
	return out
}

// withVersion is a after it sets v as the default of its identity policy i.
func (e *edgeFrom) withVersion(a *node, i int, v Doc) (*node, bool) {
	n := *a
	return e.withVersionOf(a, &n, i, v)
}

// withVersionOf is n (a itself or a session a takes) with version v of its
// identity policy i as the default, when a may set it.
func (e *edgeFrom) withVersionOf(a, n *node, i int, v Doc) (*node, bool) {
	arn, ok := strings.CutPrefix(n.identity[i].Name, "managed policy ")
	if !ok {
		return nil, false
	}
	res := e.w.decide(a, "iam:SetDefaultPolicyVersion", arn, a.account, nil, nil)
	if res.Decision != iampolicy.Allowed {
		return nil, false
	}
	p := e.w.policy(v.Document, iampolicy.Identity)
	if p == nil {
		return nil, false
	}
	n.identity = slices.Clone(n.identity)
	n.identity[i] = iampolicy.NamedPolicy{Name: n.identity[i].Name + " version " + v.Name, Policy: p}
	n.escalated = true
	n.variant = a.variant + "|" + arn + "@" + v.Name
	n.label = n.label + " with " + v.Name + " of " + arn + " as default"
	return e.hop(n, "version", arn, "iam:SetDefaultPolicyVersion", res), true
}

// storedVersions are the stored versions of every customer managed policy
// of the inventory, by the name identity policies carry ("managed policy
// ARN").
func (w *reachWorld) storedVersions() map[string][]Doc {
	if w.versions != nil {
		return w.versions
	}
	w.versions = map[string][]Doc{}
	add := func(docs []Doc) {
		for _, d := range docs {
			if len(d.Versions) > 0 {
				w.versions[d.Name] = d.Versions
			}
		}
	}
	for _, acct := range w.inv.Accounts {
		for _, u := range acct.Users {
			add(u.Policies)
		}
		for _, g := range acct.Groups {
			add(g.Policies)
		}
		for _, r := range acct.Roles {
			add(r.Policies)
		}
	}
	return w.versions
}
