package iampolicy

import (
	"errors"
	"fmt"
	"strings"
)

// NamedPolicy is a parsed policy with the name that reasons cite: a policy
// name, or where it came from ("identity_policies[0]", "bucket policy").
type NamedPolicy struct {
	Name   string
	Policy *Policy
}

// Request is one request to decide, with every policy that applies to it.
type Request struct {
	// Principal is the caller: an IAM user, role or assumed-role session ARN,
	// an account ID or root ARN, a service principal (lambda.amazonaws.com),
	// an S3 canonical user ID, or "*" for an anonymous caller.
	Principal string
	// PrincipalAccount is the caller's account; it may be left empty when
	// Principal is an ARN, which names it.
	PrincipalAccount string
	Action           string
	Resource         string
	// ResourceAccount owns the resource. Empty means the account in the
	// resource ARN, or, for ARNs without one (S3), the caller's account.
	ResourceAccount string
	// Context holds the request's context keys; key names are
	// case-insensitive. aws:PrincipalArn, aws:PrincipalAccount and (for IAM
	// users) aws:username are filled from Principal when absent.
	Context map[string][]string

	IdentityPolicies []NamedPolicy
	// ResourcePolicy is the resource's policy: a bucket or function policy
	// (Kind Resource), or, for sts:AssumeRole, the role's trust policy (Kind
	// Trust), which must then allow the caller in every case.
	ResourcePolicy      *NamedPolicy
	PermissionsBoundary *NamedPolicy
	SessionPolicy       *NamedPolicy
	// Possible asks whether some request like this one could be allowed,
	// for an analysis that does not know every key (xacct verify): a
	// condition on a key the context does not give holds in an Allow
	// statement (a caller may bring a value that satisfies it; the
	// statement's reason lists the key under Assumed) and fails in a
	// Deny (a caller may bring one that escapes it).
	Possible bool
}

// Decision is the outcome of an evaluation.
type Decision string

// The three outcomes AWS distinguishes.
const (
	Allowed      Decision = "Allowed"
	ExplicitDeny Decision = "ExplicitDeny"
	ImplicitDeny Decision = "ImplicitDeny"
)

// Reason is one statement that decided an evaluation.
type Reason struct {
	Policy    string `json:"policy"`
	Statement string `json:"statement"`
	Effect    Effect `json:"effect"`
	// Assumed are the condition keys the statement was taken to satisfy
	// (Request.Possible).
	Assumed []string `json:"assumed,omitempty"`
}

// Result is a decision with the statements that decided it: the matching
// Deny statements for ExplicitDeny, the Allow statements that granted access
// for Allowed, none for ImplicitDeny, where Detail says what was missing.
type Result struct {
	Decision Decision `json:"decision"`
	Reasons  []Reason `json:"reasons"`
	Detail   string   `json:"detail,omitempty"`
}

// evalContext is the request context prepared for one evaluation.
type evalContext struct {
	keys map[string][]string // lower-cased key names
	vars bool                // the policy being evaluated substitutes variables
	// possible: Request.Possible; assumed collects the keys the statement
	// being matched was taken to satisfy.
	possible bool
	assumed  []string
	// anonymous: the caller has no principal, so no key describing one
	// (aws:Principal*, aws:userid, aws:username) can be present.
	anonymous bool
}

// has reports whether the key's value is known: given by the request (a
// value, or explicitly none), or absent because no caller like this one
// can carry it.
func (ec *evalContext) has(lowerKey string) bool {
	if _, ok := ec.keys[lowerKey]; ok {
		return true
	}
	return ec.anonymous && (strings.HasPrefix(lowerKey, "aws:principal") || lowerKey == "aws:userid" || lowerKey == "aws:username")
}

func (ec *evalContext) lookup(lowerKey string) ([]string, bool) {
	v, ok := ec.keys[lowerKey]
	return v, ok
}

// policyMatch collects what one policy says about a request.
type policyMatch struct {
	allows []Reason
	denies []Reason
	grant  grant // resource and trust policies: the strongest Allow's principal match
}

// Evaluate decides a request the way AWS's policy evaluation logic does:
//
//  1. A Deny statement that applies, in any policy, decides ExplicitDeny.
//  2. Cross-account (the caller's account is not the resource's): the
//     identity policies must allow (within the permissions boundary and the
//     session policy, when given) and the resource policy must allow too.
//  3. Same account: an Allow in the identity policies (within the boundary and
//     session policy) or in the resource policy suffices. A resource policy
//     that names the caller itself (user, session, "*") decides alone; one that
//     names the role of the caller's session is still limited by the boundary
//     and session policy; one that names the account only delegates to the
//     identity policies. A role trust policy must itself allow in every case.
//  4. Service principals and anonymous callers have no identity policies: the
//     resource policy alone decides.
//
// Anything else is ImplicitDeny. An error means the request itself is
// malformed.
func Evaluate(req *Request) (Result, error) {
	caller, err := parseRequestPrincipal(req.Principal)
	if err != nil {
		return Result{}, err
	}
	if req.Action == "" || !strings.Contains(req.Action, ":") {
		return Result{}, fmt.Errorf("action %q is not service:action", req.Action)
	}
	if req.Resource == "" {
		return Result{}, errors.New("resource is empty")
	}
	if err := checkPolicies(req, &caller); err != nil {
		return Result{}, err
	}
	principalAccount := caller.account
	if req.PrincipalAccount != "" {
		if caller.account != "" && caller.account != req.PrincipalAccount {
			return Result{}, fmt.Errorf("principal_account %s does not match the account %s in principal %s", req.PrincipalAccount, caller.account, req.Principal)
		}
		principalAccount = req.PrincipalAccount
	}
	resourceAccount := req.ResourceAccount
	if resourceAccount == "" {
		resourceAccount = arnAccount(req.Resource)
	}
	if resourceAccount == "" {
		resourceAccount = principalAccount
	}
	ec := newEvalContext(req, &caller, principalAccount)

	var id, bnd, ses, rp policyMatch
	for i := range req.IdentityPolicies {
		evalPolicy(&req.IdentityPolicies[i], req, &caller, ec, &id)
	}
	if req.PermissionsBoundary != nil {
		evalPolicy(req.PermissionsBoundary, req, &caller, ec, &bnd)
	}
	if req.SessionPolicy != nil {
		evalPolicy(req.SessionPolicy, req, &caller, ec, &ses)
	}
	if req.ResourcePolicy != nil {
		evalPolicy(req.ResourcePolicy, req, &caller, ec, &rp)
	}

	if denies := concat(id.denies, bnd.denies, ses.denies, rp.denies); len(denies) > 0 {
		return Result{Decision: ExplicitDeny, Reasons: denies}, nil
	}

	trust := req.ResourcePolicy != nil && req.ResourcePolicy.Policy.Kind == Trust
	boundaryOK := req.PermissionsBoundary == nil || len(bnd.allows) > 0
	sessionOK := req.SessionPolicy == nil || len(ses.allows) > 0
	identityOK := (len(id.allows) > 0 || caller.kind == pkAccount) && boundaryOK && sessionOK
	limits := concat(bnd.allows, ses.allows)
	allowed := func(reasons ...[]Reason) (Result, error) {
		return Result{Decision: Allowed, Reasons: concat(reasons...)}, nil
	}
	denied := func(format string, a ...any) (Result, error) {
		return Result{Decision: ImplicitDeny, Reasons: []Reason{}, Detail: fmt.Sprintf(format, a...)}, nil
	}
	what := req.Action + " on " + req.Resource

	if !caller.isIAM() {
		if rp.grant == grantDirect {
			return allowed(rp.allows)
		}
		if req.ResourcePolicy == nil {
			return denied("%s has no identity policies and there is no resource policy to allow %s", req.Principal, what)
		}
		return denied("the %s does not allow %s to %s", req.ResourcePolicy.Policy.Kind, req.Principal, what)
	}

	if principalAccount != resourceAccount {
		switch {
		case identityOK && rp.grant != grantNone:
			return allowed(id.allows, limits, rp.allows)
		case rp.grant == grantNone && identityOK:
			return denied("cross-account request (%s to %s): the identity policies allow %s but no resource policy statement allows this principal", principalAccount, resourceAccount, what)
		case rp.grant != grantNone:
			return denied("cross-account request (%s to %s): the resource policy allows %s but %s", principalAccount, resourceAccount, what, identityGap(len(id.allows) > 0 || caller.kind == pkAccount, boundaryOK, sessionOK))
		}
		return denied("cross-account request (%s to %s): neither the identity policies nor the resource policy allow %s", principalAccount, resourceAccount, what)
	}

	switch rp.grant {
	case grantDirect:
		return allowed(rp.allows)
	case grantRole:
		if boundaryOK && sessionOK {
			return allowed(rp.allows, limits)
		}
	case grantAccount:
		if identityOK {
			return allowed(id.allows, limits, rp.allows)
		}
	case grantNone:
		if trust {
			return denied("the trust policy of %s does not allow %s", req.Resource, req.Principal)
		}
		if identityOK {
			return allowed(id.allows, limits)
		}
	}
	if len(id.allows) == 0 && rp.grant == grantNone {
		return denied("no statement allows %s", what)
	}
	return denied("%s allowed, but %s", what, identityGap(len(id.allows) > 0 || caller.kind == pkAccount, boundaryOK, sessionOK))
}

func identityGap(identity, boundary, session bool) string {
	switch {
	case !identity:
		return "no identity policy statement allows it"
	case !boundary:
		return "the permissions boundary does not allow it"
	case !session:
		return "the session policy does not allow it"
	}
	return "the identity policies do not allow it"
}

// checkPolicies rejects policies of the wrong kind for their place and
// identity policies for callers that have none.
func checkPolicies(req *Request, caller *principalRef) error {
	check := func(np *NamedPolicy, where string, kinds ...Kind) error {
		if np == nil {
			return nil
		}
		if np.Policy == nil {
			return fmt.Errorf("%s %q has no document", where, np.Name)
		}
		for _, k := range kinds {
			if np.Policy.Kind == k {
				return nil
			}
		}
		return fmt.Errorf("%s %q is a %s", where, np.Name, np.Policy.Kind)
	}
	for i := range req.IdentityPolicies {
		if err := check(&req.IdentityPolicies[i], "identity policy", Identity); err != nil {
			return err
		}
	}
	if err := check(req.ResourcePolicy, "resource policy", Resource, Trust); err != nil {
		return err
	}
	if err := check(req.PermissionsBoundary, "permissions boundary", Boundary, Identity); err != nil {
		return err
	}
	if err := check(req.SessionPolicy, "session policy", Session, Identity); err != nil {
		return err
	}
	if !caller.isIAM() && (len(req.IdentityPolicies) > 0 || req.PermissionsBoundary != nil || req.SessionPolicy != nil) {
		return fmt.Errorf("principal %q is not an IAM identity: it has no identity policies, boundary or session policy", req.Principal)
	}
	return nil
}

func newEvalContext(req *Request, caller *principalRef, account string) *evalContext {
	keys := make(map[string][]string, len(req.Context)+3)
	for k, v := range req.Context {
		keys[strings.ToLower(k)] = v
	}
	setDefault := func(k, v string) {
		if _, ok := keys[k]; !ok && v != "" {
			keys[k] = []string{v}
		}
	}
	if caller.isIAM() {
		setDefault("aws:principalarn", caller.principalARN())
		setDefault("aws:principalaccount", account)
		if caller.kind == pkUser {
			setDefault("aws:username", caller.name)
		}
	}
	if caller.kind == pkService {
		setDefault("aws:principalservicename", caller.name)
	}
	return &evalContext{keys: keys, possible: req.Possible, anonymous: caller.kind == pkAnonymous}
}

func evalPolicy(np *NamedPolicy, req *Request, caller *principalRef, ec *evalContext, out *policyMatch) {
	p := np.Policy
	ec.vars = p.Version == Version2012
	for i := range p.Statements {
		st := &p.Statements[i]
		g, ok := st.applies(req, caller, ec, p.Kind.namesPrincipal())
		if !ok {
			continue
		}
		r := Reason{Policy: np.Name, Statement: st.Label(), Effect: st.Effect, Assumed: ec.assumed}
		if st.Effect == Deny {
			out.denies = append(out.denies, r)
			continue
		}
		out.allows = append(out.allows, r)
		out.grant = max(out.grant, g)
	}
}

// applies reports whether the statement covers the request, and for a
// statement that names principals, how it names the caller.
func (s *Statement) applies(req *Request, caller *principalRef, ec *evalContext, principals bool) (grant, bool) {
	if s.Action != nil {
		if !anyAction(s.Action, req.Action) {
			return grantNone, false
		}
	} else if anyAction(s.NotAction, req.Action) {
		return grantNone, false
	}
	if s.Resource != nil {
		if !s.anyResource(s.Resource, req.Resource, ec) {
			return grantNone, false
		}
	} else if s.NotResource != nil && s.anyResource(s.NotResource, req.Resource, ec) {
		return grantNone, false
	}
	g := grantDirect
	if principals {
		switch {
		case s.Principal != nil:
			if g = s.Principal.match(caller); g == grantNone {
				return grantNone, false
			}
		case s.NotPrincipal != nil:
			// A Deny with NotPrincipal always denies a caller that has a
			// permissions boundary, whatever the list says (the IAM User
			// Guide, "AWS JSON policy elements: NotPrincipal", key points,
			// and "Permissions boundaries for IAM entities").
			if s.NotPrincipal.excludes(caller) && req.PermissionsBoundary == nil {
				return grantNone, false
			}
		}
	}
	ec.assumed = nil
	for i := range s.Conditions {
		c := &s.Conditions[i]
		if ec.possible && !ec.has(c.lowerKey) {
			if s.Effect == Deny {
				return grantNone, false
			}
			ec.assumed = append(ec.assumed, c.Key)
			continue
		}
		if !c.eval(ec) {
			return grantNone, false
		}
	}
	return g, true
}

func anyAction(patterns []string, action string) bool {
	for _, p := range patterns {
		if matchAction(p, action) {
			return true
		}
	}
	return false
}

func (s *Statement) anyResource(patterns []string, resource string, ec *evalContext) bool {
	for _, p := range patterns {
		if s.resVars && ec.vars && strings.Contains(p, "${") {
			sp, ok := substitute(p, ec, true)
			if ok && matchARN(sp, resource, true) {
				return true
			}
			continue
		}
		if matchARN(p, resource, false) {
			return true
		}
	}
	return false
}

// arnAccount returns the account field of an ARN, if it has one.
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 && accountIDRE.MatchString(parts[4]) {
		return parts[4]
	}
	return ""
}

func concat(lists ...[]Reason) []Reason {
	n := 0
	for _, l := range lists {
		n += len(l)
	}
	out := make([]Reason, 0, n)
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// MayAllow reports whether any Allow statement of the policies covers the
// action on some resource, whatever its conditions: false means no
// request for the action can be allowed by these policies alone (a quick
// test before deciding it on many resources).
func MayAllow(policies []NamedPolicy, action string) bool {
	for _, np := range policies {
		for i := range np.Policy.Statements {
			st := &np.Policy.Statements[i]
			if st.Effect != Allow {
				continue
			}
			if st.Action != nil && anyAction(st.Action, action) || st.Action == nil && !anyAction(st.NotAction, action) {
				return true
			}
		}
	}
	return false
}
