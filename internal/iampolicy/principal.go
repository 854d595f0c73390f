package iampolicy

import (
	"fmt"
	"regexp"
	"strings"
)

type principalKind int

const (
	pkAnonymous     principalKind = iota + 1
	pkAccount                     // an account: its root user, or the account as a whole in a policy
	pkUser                        // arn:aws:iam::ID:user/path/name
	pkRole                        // arn:aws:iam::ID:role/path/name
	pkSession                     // arn:aws:sts::ID:assumed-role/role-name/session-name
	pkFederatedUser               // arn:aws:sts::ID:federated-user/name
	pkService                     // lambda.amazonaws.com
	pkCanonical                   // an S3 canonical user ID
	pkUniqueID                    // AIDA…/AROA…: what IAM shows for a principal that was deleted
)

// principalRef is one principal: an entry of a policy's Principal element, or
// the principal making a request.
type principalRef struct {
	kind      principalKind
	arn       string // canonical ARN; for an account arn:PARTITION:iam::ID:root
	account   string
	partition string
	roleName  string // role and session: the role's name (a session ARN has no path)
	name      string // user: the user name; service, canonical, unique ID: the value itself
}

var (
	canonicalIDRE = regexp.MustCompile(`^[0-9a-f]{64}$`)
	uniqueIDRE    = regexp.MustCompile(`^A[A-Z0-9]{15,127}$`)
)

// parsePrincipalRef parses a value of a policy's {"AWS": ...} principal: an
// account ID or ARN, a user, role, assumed-role session or federated user ARN.
// AWS rejects wildcards there except the lone "*", which callers handle.
func parsePrincipalRef(v string) (principalRef, error) {
	if strings.ContainsAny(v, "*?") {
		return principalRef{}, fmt.Errorf("%q: wildcards are not allowed in a principal ARN (use \"*\" with a condition)", v)
	}
	if accountIDRE.MatchString(v) {
		return principalRef{kind: pkAccount, account: v, partition: "aws", arn: "arn:aws:iam::" + v + ":root"}, nil
	}
	if uniqueIDRE.MatchString(v) {
		return principalRef{kind: pkUniqueID, name: v}, nil
	}
	return parseIAMPrincipalARN(v)
}

func parseIAMPrincipalARN(v string) (principalRef, error) {
	bad := func() (principalRef, error) {
		return principalRef{}, fmt.Errorf("%q is not an account ID or a user, role, role session or account ARN", v)
	}
	parts := strings.SplitN(v, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[3] != "" || !accountIDRE.MatchString(parts[4]) {
		return bad()
	}
	r := principalRef{partition: parts[1], account: parts[4], arn: v}
	res := parts[5]
	switch parts[2] {
	case "iam":
		switch {
		case res == "root":
			r.kind = pkAccount
		case strings.HasPrefix(res, "user/") && lastSegment(res) != "":
			r.kind, r.name = pkUser, lastSegment(res)
		case strings.HasPrefix(res, "role/") && lastSegment(res) != "":
			r.kind, r.roleName = pkRole, lastSegment(res)
		default:
			return bad()
		}
	case "sts":
		switch {
		case strings.HasPrefix(res, "assumed-role/"):
			rest := strings.Split(strings.TrimPrefix(res, "assumed-role/"), "/")
			if len(rest) != 2 || rest[0] == "" || rest[1] == "" {
				return bad()
			}
			r.kind, r.roleName, r.name = pkSession, rest[0], rest[1]
		case strings.HasPrefix(res, "federated-user/") && len(res) > len("federated-user/"):
			r.kind, r.name = pkFederatedUser, strings.TrimPrefix(res, "federated-user/")
		default:
			return bad()
		}
	default:
		return bad()
	}
	return r, nil
}

func lastSegment(res string) string {
	return res[strings.LastIndexByte(res, '/')+1:]
}

// parseRequestPrincipal parses the principal making a request: "*" for an
// anonymous caller, an account ID or ARN (its root user), an IAM user, role,
// role session or federated user ARN, a service principal such as
// lambda.amazonaws.com, or an S3 canonical user ID.
func parseRequestPrincipal(v string) (principalRef, error) {
	switch {
	case v == "*":
		return principalRef{kind: pkAnonymous}, nil
	case v == "":
		return principalRef{}, fmt.Errorf("principal is empty (use \"*\" for an anonymous caller)")
	case canonicalIDRE.MatchString(v):
		return principalRef{kind: pkCanonical, name: v}, nil
	case !strings.Contains(v, ":") && strings.Contains(v, ".") && !strings.ContainsAny(v, "*? /"):
		return principalRef{kind: pkService, name: v}, nil
	}
	r, err := parsePrincipalRef(v)
	if err != nil {
		return r, fmt.Errorf("principal %v", err)
	}
	if r.kind == pkUniqueID {
		return r, fmt.Errorf("principal %q: give an ARN, not a unique ID", v)
	}
	return r, nil
}

// isIAM reports whether the principal belongs to an account and carries
// identity-based policies.
func (r principalRef) isIAM() bool {
	switch r.kind {
	case pkAccount, pkUser, pkRole, pkSession, pkFederatedUser:
		return true
	}
	return false
}

// principalARN is the value of aws:PrincipalArn: for a role session, the
// role's ARN (a session ARN carries no role path, so none is given).
func (r principalRef) principalARN() string {
	if r.kind == pkSession {
		return "arn:" + r.partition + ":iam::" + r.account + ":role/" + r.roleName
	}
	return r.arn
}

// grant says how a Principal element matched the caller. The order matters:
// a stronger grant lets a resource-based policy decide on its own.
type grant int

const (
	grantNone    grant = iota
	grantAccount       // the caller's account: delegation, its identity policies must allow
	grantRole          // the role ARN of the caller's session: limited by boundary and session policy
	grantDirect        // the caller itself, its session, a service, or "*"
)

// match says how the Principal element p names the caller.
func (p *Principal) match(c *principalRef) grant {
	if p.Wildcard {
		return grantDirect
	}
	best := grantNone
	switch c.kind {
	case pkService:
		for _, s := range p.Entries["Service"] {
			if strings.EqualFold(s, c.name) {
				return grantDirect
			}
		}
		for _, s := range p.Entries["Federated"] {
			if s == c.name {
				return grantDirect
			}
		}
		return grantNone
	case pkCanonical:
		for _, s := range p.Entries["CanonicalUser"] {
			if s == c.name {
				return grantDirect
			}
		}
		return grantNone
	case pkAnonymous:
		return grantNone
	}
	for i := range p.aws {
		ref := &p.aws[i]
		if ref.kind == pkUniqueID || ref.account != c.account || ref.partition != c.partition {
			continue
		}
		switch ref.kind {
		case pkAccount:
			best = max(best, grantAccount)
		case pkRole:
			// A grant to a role ARN is limited by the role's boundary and
			// session policy, whether the caller is a session of the role
			// or named by the role ARN itself (the IAM User Guide,
			// "Permissions boundaries for IAM entities", resource-based
			// policies).
			if c.kind == pkRole && ref.arn == c.arn {
				best = max(best, grantRole)
			}
			if c.kind == pkSession && ref.roleName == c.roleName {
				best = max(best, grantRole)
			}
		case pkUser, pkSession, pkFederatedUser:
			if ref.kind == c.kind && ref.arn == c.arn {
				return grantDirect
			}
		}
	}
	if c.kind == pkAccount && best == grantAccount {
		// The root user named by its account is the caller itself.
		return grantDirect
	}
	return best
}

// excludes reports whether a NotPrincipal element leaves the caller out.
// AWS checks every identity a request carries (a session, its role, its
// account; a user and its account) against NotPrincipal, so a caller is left
// out only when each of them is listed.
func (p *Principal) excludes(c *principalRef) bool {
	if p.Wildcard {
		return true
	}
	listed := func(kind principalKind, pred func(*principalRef) bool) bool {
		for i := range p.aws {
			ref := &p.aws[i]
			if ref.kind == kind && ref.partition == c.partition && ref.account == c.account && pred(ref) {
				return true
			}
		}
		return false
	}
	sameARN := func(ref *principalRef) bool { return ref.arn == c.arn }
	account := listed(pkAccount, func(*principalRef) bool { return true })
	switch c.kind {
	case pkAccount:
		return account
	case pkUser, pkFederatedUser, pkRole:
		return account && listed(c.kind, sameARN)
	case pkSession:
		role := listed(pkRole, func(ref *principalRef) bool { return ref.roleName == c.roleName })
		return account && role && listed(pkSession, sameARN)
	case pkService:
		for _, s := range p.Entries["Service"] {
			if strings.EqualFold(s, c.name) {
				return true
			}
		}
	case pkCanonical:
		for _, s := range p.Entries["CanonicalUser"] {
			if s == c.name {
				return true
			}
		}
	}
	return false
}
