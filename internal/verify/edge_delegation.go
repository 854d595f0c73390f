package verify

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/xacct/xacct/internal/iampolicy"
	"github.com/xacct/xacct/internal/stack"
)

// delegation is a statement of a role's trust policy, a stack bucket's
// policy or a function's policy that grants to a whole account of the
// three (its root, its ID, or any principal of it by aws:PrincipalAccount)
// other than the resource's own. The account's administrators can create
// a principal that uses it at any time, without touching the delegating
// account: the delegation is the access (Access Analyzer calls it
// external access), whatever the account's principals hold today.
type delegation struct {
	account   string // the account delegated to
	kind      string // "trust", "bucket" or "function"
	statement string // "<policy> statement <label>"
	// principal is the principal the account may create to use it: one
	// its aws:PrincipalArn condition admits, or a new user.
	principal string
	// byPrincipalArn: the statement admits only the principals its
	// aws:PrincipalArn condition names.
	byPrincipalArn bool
	role           *roleRef  // kind trust
	function       *Function // kind function
	functionP      *iampolicy.NamedPolicy
}

// laterUser names the principal an account's administrators may create.
const laterUser = "xacct-verify-created-later"

// delegations are the inventory's delegations to an account of the three
// that the config does not make (intendedDelegation), in inventory order.
func (w *reachWorld) delegations() []delegation {
	var out []delegation
	for i := range w.inv.Accounts {
		acct := &w.inv.Accounts[i]
		for j := range acct.Roles {
			r := &roleRef{Role: &acct.Roles[j], account: acct.ID}
			for _, d := range w.delegating(w.policy(r.Trust, iampolicy.Trust), "trust policy of "+r.Name, acct.ID) {
				if w.intendedDelegation(r, d) {
					continue
				}
				d.kind, d.role = "trust", r
				out = append(out, d)
			}
		}
		for j := range acct.Functions {
			fn := &acct.Functions[j]
			if fn.Policy == "" {
				continue
			}
			p := w.policy(fn.Policy, iampolicy.Resource)
			for _, d := range w.delegating(p, "policy of function "+fn.Name, acct.ID) {
				d.kind, d.function = "function", fn
				d.functionP = &iampolicy.NamedPolicy{Name: "policy of function " + fn.Name, Policy: p}
				out = append(out, d)
			}
		}
	}
	for _, b := range w.protectedPolicies() {
		if b.policy == nil {
			continue
		}
		for _, d := range w.delegating(b.policy.Policy, b.policy.Name, b.account) {
			d.kind = "bucket"
			out = append(out, d)
		}
	}
	return out
}

// delegating finds the Allow statements of a resource or trust policy that
// grant to an account of the three other than owner, each with the
// principal that account may create to use it.
func (w *reachWorld) delegating(p *iampolicy.Policy, policyName, owner string) []delegation {
	if p == nil {
		return nil
	}
	var out []delegation
	for _, st := range p.Statements {
		if st.Effect != iampolicy.Allow || st.Principal == nil {
			continue
		}
		accounts := map[string]bool{}
		for _, v := range st.Principal.Entries["AWS"] {
			id := strings.TrimSuffix(strings.TrimPrefix(v, "arn:aws:iam::"), ":root")
			if v == "*" {
				continue
			}
			if _, ours := w.accounts[id]; ours && id != owner && (v == id || v == "arn:aws:iam::"+id+":root") {
				accounts[id] = true
			}
		}
		if st.Principal.Wildcard || slices.Contains(st.Principal.Entries["AWS"], "*") {
			for _, id := range conditionValues(&st, "aws:principalaccount") {
				if _, ours := w.accounts[id]; ours && id != owner {
					accounts[id] = true
				}
			}
		}
		for _, id := range slices.Sorted(maps.Keys(accounts)) {
			principal, ok := w.laterPrincipal(&st, id)
			if !ok {
				continue
			}
			out = append(out, delegation{account: id, principal: principal, statement: policyName + " statement " + st.Label(),
				byPrincipalArn: conditionValues(&st, "aws:principalarn") != nil})
		}
	}
	return out
}

// laterPrincipal is a principal of account id, not in the inventory,
// that the statement's aws:PrincipalArn condition admits: a pattern's
// wildcards filled, a fixed ARN no principal holds yet, or (no condition)
// a new user. ok is false when the condition names only principals that
// exist: the walk follows those.
func (w *reachWorld) laterPrincipal(st *iampolicy.Statement, id string) (string, bool) {
	values := conditionValues(st, "aws:principalarn")
	if values == nil {
		return fmt.Sprintf("arn:aws:iam::%s:user/%s", id, laterUser), true
	}
	for _, v := range values {
		if accountOfARN(v) != id && !strings.Contains(accountOfARN(v), "*") {
			continue
		}
		if strings.ContainsAny(v, "*?") {
			return strings.NewReplacer("*", laterUser, "?", "x").Replace(v), true
		}
		if !w.exists(v) {
			return v, true
		}
	}
	return "", false
}

// conditionValues are the values a statement's Allow conditions on the key
// (lower case) admit, nil when none names it.
func conditionValues(st *iampolicy.Statement, lowerKey string) []string {
	var out []string
	for _, c := range st.Conditions {
		if strings.ToLower(c.Key) != lowerKey || strings.Contains(strings.ToLower(c.Operator), "not") {
			continue
		}
		out = append(out, c.Values...)
	}
	return out
}

// exists reports whether a user or role of the inventory has the ARN.
func (w *reachWorld) exists(arn string) bool {
	a := w.accounts[accountOfARN(arn)]
	if a == nil {
		return false
	}
	for _, u := range a.Users {
		if u.ARN == arn {
			return true
		}
	}
	for _, r := range a.Roles {
		if r.ARN == arn {
			return true
		}
	}
	return false
}

// intendedDelegation reports whether a trust delegation is one the config
// makes: a group's role trusting the Development account's users (by
// aws:PrincipalArn), or the writer role trusting the processor's role.
func (w *reachWorld) intendedDelegation(r *roleRef, d delegation) bool {
	dev, prod := w.cfg.Accounts.Development.ID, w.cfg.Accounts.Production.ID
	switch {
	case r.account == prod && d.account == dev:
		for _, g := range w.cfg.Groups {
			if r.Name == g.RoleName {
				return d.byPrincipalArn && strings.HasPrefix(d.principal, "arn:aws:iam::"+dev+":user/")
			}
		}
	case r.account == w.cfg.Accounts.Reporting.ID && r.Name == w.cfg.Reporting.WriterRoleName && d.account == prod:
		return d.byPrincipalArn && d.principal == fmt.Sprintf("arn:aws:iam::%s:role/%s", prod, stack.ProcessorRoleName(w.cfg))
	}
	return false
}

// delegationStarts are a start per delegation: the principal its account
// may create, with whatever permissions its administrators give it (all).
func (w *reachWorld) delegationStarts() []*node {
	var out []*node
	for _, d := range w.delegations() {
		label := fmt.Sprintf("a principal created later in account %s (%s), as %s allows", d.account, w.keyOf[d.account], d.statement)
		n := &node{label: label, start: label, arn: d.principal, account: d.account, mfa: true,
			identity: []iampolicy.NamedPolicy{{Name: "any policy its account gives it", Policy: adminPolicy}}, delegation: &d}
		if _, rest, ok := strings.Cut(d.principal, ":role/"); ok {
			n.role = rest[strings.LastIndexByte(rest, '/')+1:]
			n.roleARN = d.principal
			n.arn = fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", d.account, n.role, laterUser)
		}
		out = append(out, n)
	}
	return out
}

// delegationEdges: the start of a delegation takes it ("delegation"): it
// assumes the role whose trust delegates, or changes the function whose
// policy does and acts as its role. A bucket's delegation is reached by
// the start itself, with no hop.
func delegationEdges(e *edgeFrom) []*node {
	w, a, d := e.w, e.a, e.a.delegation
	switch d.kind {
	case "trust":
		trust := w.policy(d.role.Trust, iampolicy.Trust)
		res := w.decide(a, "sts:AssumeRole", d.role.ARN, d.role.account, &iampolicy.NamedPolicy{Name: "trust policy of " + d.role.Name, Policy: trust}, nil)
		if res.Decision == iampolicy.Allowed {
			return []*node{e.hop(w.session(a, d.role, laterUser), "delegation", d.role.ARN, "sts:AssumeRole", res)}
		}
	case "function":
		r := w.role(d.function.Role)
		if r == nil {
			return nil
		}
		for _, act := range functionActions {
			if res := w.decide(a, act, d.function.ARN, accountOfARN(d.function.ARN), d.functionP, nil); res.Decision == iampolicy.Allowed {
				n := w.session(a, r, d.function.Name)
				n.function = d.function.Name
				n.escalated = true
				return []*node{e.hop(n, "delegation", d.function.ARN, act, res)}
			}
		}
	}
	return nil
}
