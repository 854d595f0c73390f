package iampolicy

import (
	"net/netip"
	"regexp"
	"strings"
)

// This file is the one definition of "public" that the sandbox (Block Public
// Access) and verify share: S3's, from "The meaning of public" in the S3
// User Guide (Blocking public access to your Amazon S3 storage). S3 starts
// from "public" and calls a bucket policy non-public only when every Allow
// statement grants to fixed principals, or is restricted by a fixed value
// (no wildcard, no policy variable) of one of the keys below.
//
// Choices where the documentation is loose:
//   - A condition restricts only when it must hold for the request to be
//     allowed, with the key present: a positive string, ARN or IP operator,
//     possibly ForAnyValue; not negated, not IfExists (true when the key is
//     missing, as it is for an anonymous caller), not ForAllValues (true
//     when the key is missing), not Null.
//   - '*' and '?' make a value not fixed whatever the operator, except the
//     two patterns the documentation allows: aws:userid "ROLEID:*" (a role's
//     sessions) and an s3:DataAccessPointArn whose account is fixed.
//   - aws:SourceIp restricts with any fixed set of CIDR ranges except one
//     that holds every address (/0). The documentation lists "a set of
//     CIDRs" without asking for private ranges.

// publicKeys are the condition keys whose fixed values make a statement that
// grants to "*" non-public (lower case: AWS compares key names without
// regard to case).
var publicKeys = map[string]bool{
	"aws:sourcearn":             true,
	"aws:sourceaccount":         true,
	"aws:sourceowner":           true,
	"aws:sourcevpc":             true,
	"aws:sourcevpce":            true,
	"aws:sourceip":              true,
	"aws:principalorgid":        true,
	"aws:principalaccount":      true,
	"aws:principalarn":          true,
	"aws:userid":                true,
	"s3:dataaccesspointarn":     true,
	"s3:dataaccesspointaccount": true,
}

// PublicKeys lists the condition keys that can make a grant to "*"
// non-public, for documentation and messages.
func PublicKeys() []string {
	return []string{"aws:SourceArn", "aws:SourceAccount", "aws:SourceOwner", "aws:SourceVpc", "aws:SourceVpce",
		"aws:SourceIp", "aws:PrincipalOrgID", "aws:PrincipalAccount", "aws:PrincipalArn", "aws:userid",
		"s3:DataAccessPointArn", "s3:DataAccessPointAccount"}
}

// IsPublic reports whether the policy grants public access as S3 Block
// Public Access defines it: whether any of its statements is public.
func (p *Policy) IsPublic() bool {
	return len(p.PublicStatements()) > 0
}

// PublicStatements returns the statements that make the policy public, in
// document order; none for a non-public policy.
func (p *Policy) PublicStatements() []*Statement {
	var out []*Statement
	for i := range p.Statements {
		if p.Statements[i].IsPublic() {
			out = append(out, &p.Statements[i])
		}
	}
	return out
}

// IsPublic reports whether the statement grants public access: an Allow to
// every principal ("*" or {"AWS": "*"}) that no condition
// restricts by a fixed value of a key S3 lists. A Deny never grants, and a
// grant to named accounts, users, roles or services is not public.
func (s *Statement) IsPublic() bool {
	if s.Effect != Allow {
		return false
	}
	// Parse refuses NotPrincipal with Allow, so an Allow names its
	// principals.
	if s.Principal == nil || !s.Principal.Wildcard && !anyWildcardEntry(s.Principal) {
		return false
	}
	for i := range s.Conditions {
		if s.Conditions[i].restrictsPublic() {
			return false
		}
	}
	return true
}

// anyWildcardEntry reports a "*" among Service, Federated or CanonicalUser
// values (the parser folds {"AWS": "*"} into Wildcard).
func anyWildcardEntry(p *Principal) bool {
	for _, vs := range p.Entries {
		for _, v := range vs {
			if v == "*" {
				return true
			}
		}
	}
	return false
}

// restrictsPublic reports whether the condition limits a statement to
// fixed values of a key S3 counts.
func (c *Condition) restrictsPublic() bool {
	key, op := c.lowerKey, c.op
	if !publicKeys[key] || c.hasVars || len(c.Values) == 0 {
		return false
	}
	if op.negated || op.ifExists || op.qual == qualAllValues {
		return false
	}
	if key == "aws:sourceip" {
		if op.base != opIP {
			return false
		}
		for _, v := range c.Values {
			if !fixedCIDR(v) {
				return false
			}
		}
		return true
	}
	switch op.base {
	case opStringEquals, opStringEqualsIgnoreCase, opStringLike, opARN:
	default:
		return false
	}
	for _, v := range c.Values {
		if strings.Contains(v, "${") || !fixedValue(key, v) {
			return false
		}
	}
	return true
}

var (
	roleSessionsRE = regexp.MustCompile(`^[A-Z0-9]+:\*$`)
	accessPointRE  = regexp.MustCompile(`^arn:[a-z-]+:s3:[a-z0-9-]+:[0-9]{12}:accesspoint/.+$`)
)

// fixedValue reports whether v is a fixed value of key.
func fixedValue(key, v string) bool {
	if !strings.ContainsAny(v, "*?") {
		return v != ""
	}
	switch key {
	case "aws:userid":
		// "AROLEID:*": every session of one role.
		return roleSessionsRE.MatchString(v)
	case "s3:dataaccesspointarn":
		// Any access point of one account: the name may be a wildcard.
		return accessPointRE.MatchString(v) && !strings.ContainsAny(v[:strings.Index(v, ":accesspoint/")], "*?")
	}
	return false
}

// fixedCIDR reports whether v is an IP address or CIDR range that leaves
// some addresses out.
func fixedCIDR(v string) bool {
	if strings.Contains(v, "/") {
		p, err := netip.ParsePrefix(v)
		return err == nil && p.Bits() > 0
	}
	_, err := netip.ParseAddr(v)
	return err == nil
}
