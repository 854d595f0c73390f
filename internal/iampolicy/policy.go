package iampolicy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Kind says what a policy document is attached to; the grammar differs between
// kinds (a trust policy names principals and no resources, an identity policy
// the other way round).
type Kind int

// The kinds of policy document.
const (
	// Identity is a policy attached to a user, group or role.
	Identity Kind = iota + 1
	// Resource is a resource-based policy: an S3 bucket policy, a Lambda
	// function policy.
	Resource
	// Trust is a role's trust (assume-role) policy.
	Trust
	// Boundary is a permissions boundary.
	Boundary
	// Session is a session policy passed to AssumeRole.
	Session
)

// String names the kind the way error messages and reasons do.
func (k Kind) String() string {
	switch k {
	case Identity:
		return "identity policy"
	case Resource:
		return "resource policy"
	case Trust:
		return "trust policy"
	case Boundary:
		return "permissions boundary"
	case Session:
		return "session policy"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// withArticle is the kind with "a" or "an" before it.
func (k Kind) withArticle() string {
	if k == Identity {
		return "an " + k.String()
	}
	return "a " + k.String()
}

// namesPrincipal reports whether documents of this kind carry Principal.
func (k Kind) namesPrincipal() bool { return k == Resource || k == Trust }

// The policy language versions AWS accepts.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// Effect is a statement's effect.
type Effect string

// The two effects.
const (
	Allow Effect = "Allow"
	Deny  Effect = "Deny"
)

// Policy is a parsed policy document. Statements keep the order of the
// document; Version is empty when the document has none (and then policy
// variables are not substituted, as on AWS).
type Policy struct {
	Version    string
	ID         string
	Kind       Kind
	Statements []Statement
}

// Statement is one parsed statement. Of Action and NotAction exactly one is
// non-nil; likewise at most one of Resource and NotResource, and of Principal
// and NotPrincipal.
type Statement struct {
	// Index is the statement's position in its document, from 0.
	Index        int
	Sid          string
	Effect       Effect
	Principal    *Principal
	NotPrincipal *Principal
	Action       []string
	NotAction    []string
	Resource     []string
	NotResource  []string
	// Conditions are sorted by operator, then key.
	Conditions []Condition

	resVars bool // Resource or NotResource holds a policy variable to substitute
}

// Label names the statement in messages: its Sid, or its position.
func (s *Statement) Label() string {
	if s.Sid != "" {
		return s.Sid
	}
	return fmt.Sprintf("#%d", s.Index)
}

// Principal is a Principal or NotPrincipal element. "*" and {"AWS": "*"} are
// the same principal; both parse with Wildcard set.
type Principal struct {
	Wildcard bool
	// Entries maps a principal type (AWS, Service, Federated, CanonicalUser)
	// to its values as written.
	Entries map[string][]string

	aws []principalRef
}

// Condition is one operator/key pair of a Condition element with its values,
// which are strings whatever JSON type they were written as.
type Condition struct {
	Operator string
	Key      string
	Values   []string

	op       condOp
	hasVars  bool
	lowerKey string
}

// Error is a policy that AWS would reject. It names the statement (by
// position and Sid) and the element that is wrong.
type Error struct {
	Kind      Kind
	Statement int // -1 for the document itself
	Sid       string
	Element   string
	Msg       string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Kind.String())
	if e.Statement >= 0 {
		fmt.Fprintf(&b, ": statement %d", e.Statement)
		if e.Sid != "" {
			fmt.Fprintf(&b, " (Sid %q)", e.Sid)
		}
	}
	if e.Element != "" {
		fmt.Fprintf(&b, ": %s", e.Element)
	}
	fmt.Fprintf(&b, ": %s", e.Msg)
	return b.String()
}

// DecodeDocument returns a policy document as JSON text. IAM returns
// documents URL-encoded (RFC 3986); S3 and Lambda return them as JSON. A
// string that already starts with '{' is returned as it is.
func DecodeDocument(s string) (string, error) {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "{") {
		return t, nil
	}
	d, err := url.QueryUnescape(t)
	if err != nil {
		return "", fmt.Errorf("decode URL-encoded policy document: %w", err)
	}
	return d, nil
}

// ParseEncoded is DecodeDocument followed by Parse.
func ParseEncoded(s string, kind Kind) (*Policy, error) {
	d, err := DecodeDocument(s)
	if err != nil {
		return nil, err
	}
	return Parse([]byte(d), kind)
}

// MustParse is Parse for documents written in Go source and tests; it panics
// on an invalid document.
func MustParse(doc string, kind Kind) *Policy {
	p, err := Parse([]byte(doc), kind)
	if err != nil {
		panic(err)
	}
	return p
}

var (
	sidIAM      = regexp.MustCompile(`^[A-Za-z0-9]*$`)
	actionRE    = regexp.MustCompile(`^[A-Za-z0-9-]+:[A-Za-z0-9*?]+$`)
	accountIDRE = regexp.MustCompile(`^[0-9]{12}$`)
)

var documentElements = map[string]bool{"Version": true, "Id": true, "Statement": true}

var statementElements = map[string]bool{
	"Sid": true, "Effect": true, "Principal": true, "NotPrincipal": true,
	"Action": true, "NotAction": true, "Resource": true, "NotResource": true, "Condition": true,
}

// Parse parses a policy document of the given kind and rejects what AWS
// rejects: unknown elements, a bad Effect or Version, Action together with
// NotAction, a Principal in an identity policy or none in a resource policy,
// NotPrincipal with Allow, a missing Resource where one is required, unknown
// condition operators, malformed actions, resources and principals.
func Parse(data []byte, kind Kind) (*Policy, error) {
	if kind < Identity || kind > Session {
		return nil, fmt.Errorf("parse policy: unknown kind %d", int(kind))
	}
	docErr := func(elem, format string, a ...any) error {
		return &Error{Kind: kind, Statement: -1, Element: elem, Msg: fmt.Sprintf(format, a...)}
	}
	var top map[string]json.RawMessage
	if err := strictUnmarshal(data, &top); err != nil {
		return nil, docErr("", "not a JSON object: %v", err)
	}
	if top == nil {
		return nil, docErr("", "not a JSON object")
	}
	for _, k := range slices.Sorted(maps.Keys(top)) {
		if !documentElements[k] {
			return nil, docErr(k, "unknown element")
		}
	}
	p := &Policy{Kind: kind}
	if raw, ok := top["Version"]; ok {
		if err := json.Unmarshal(raw, &p.Version); err != nil {
			return nil, docErr("Version", "must be a string")
		}
		if p.Version != Version2012 && p.Version != Version2008 {
			return nil, docErr("Version", "%q is not a policy language version (want %q or %q)", p.Version, Version2012, Version2008)
		}
	}
	if raw, ok := top["Id"]; ok {
		if err := json.Unmarshal(raw, &p.ID); err != nil {
			return nil, docErr("Id", "must be a string")
		}
	}
	raw, ok := top["Statement"]
	if !ok {
		return nil, docErr("Statement", "missing")
	}
	var rawStmts []json.RawMessage
	switch firstByte(raw) {
	case '{':
		rawStmts = []json.RawMessage{raw}
	case '[':
		if err := json.Unmarshal(raw, &rawStmts); err != nil {
			return nil, docErr("Statement", "must be an object or a list of objects")
		}
		if len(rawStmts) == 0 {
			return nil, docErr("Statement", "empty list")
		}
	default:
		return nil, docErr("Statement", "must be an object or a list of objects")
	}
	sids := map[string]int{}
	for i, rs := range rawStmts {
		st, err := parseStatement(rs, i, kind, p.Version == Version2012)
		if err != nil {
			return nil, err
		}
		if st.Sid != "" {
			if j, dup := sids[st.Sid]; dup {
				return nil, &Error{Kind: kind, Statement: i, Sid: st.Sid, Element: "Sid", Msg: fmt.Sprintf("duplicate of statement %d", j)}
			}
			sids[st.Sid] = i
		}
		p.Statements = append(p.Statements, st)
	}
	return p, nil
}

func parseStatement(raw json.RawMessage, idx int, kind Kind, vars bool) (Statement, error) {
	st := Statement{Index: idx}
	var m map[string]json.RawMessage
	if firstByte(raw) != '{' || json.Unmarshal(raw, &m) != nil {
		return st, &Error{Kind: kind, Statement: idx, Msg: "must be a JSON object"}
	}
	if rawSid, ok := m["Sid"]; ok {
		if err := json.Unmarshal(rawSid, &st.Sid); err != nil {
			return st, &Error{Kind: kind, Statement: idx, Element: "Sid", Msg: "must be a string"}
		}
	}
	fail := func(elem, format string, a ...any) error {
		return &Error{Kind: kind, Statement: idx, Sid: st.Sid, Element: elem, Msg: fmt.Sprintf(format, a...)}
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !statementElements[k] {
			return st, fail(k, "unknown element")
		}
	}
	if kind != Resource && !sidIAM.MatchString(st.Sid) {
		return st, fail("Sid", "%q: IAM allows only letters and digits", st.Sid)
	}

	rawEffect, ok := m["Effect"]
	if !ok {
		return st, fail("Effect", "missing")
	}
	var eff string
	if err := json.Unmarshal(rawEffect, &eff); err != nil {
		return st, fail("Effect", "must be a string")
	}
	if eff != string(Allow) && eff != string(Deny) {
		return st, fail("Effect", "%q is neither \"Allow\" nor \"Deny\"", eff)
	}
	st.Effect = Effect(eff)

	// Principal / NotPrincipal.
	_, hasP := m["Principal"]
	_, hasNP := m["NotPrincipal"]
	switch {
	case hasP && hasNP:
		return st, fail("NotPrincipal", "Principal and NotPrincipal in one statement")
	case (hasP || hasNP) && !kind.namesPrincipal():
		elem := "Principal"
		if hasNP {
			elem = "NotPrincipal"
		}
		return st, fail(elem, "not allowed in %s", kind.withArticle())
	case !hasP && !hasNP && kind.namesPrincipal():
		return st, fail("Principal", "missing: %s must name a principal", kind.withArticle())
	case hasNP && st.Effect == Allow:
		return st, fail("NotPrincipal", "not allowed with \"Effect\": \"Allow\"")
	case hasNP && kind == Trust:
		// The IAM User Guide, "AWS JSON policy elements: NotPrincipal",
		// key points: not in an identity-based policy nor in a role trust
		// policy.
		return st, fail("NotPrincipal", "not allowed in a role trust policy")
	}
	var err error
	if hasP {
		if st.Principal, err = parsePrincipal(m["Principal"]); err != nil {
			return st, fail("Principal", "%v", err)
		}
	}
	if hasNP {
		if st.NotPrincipal, err = parsePrincipal(m["NotPrincipal"]); err != nil {
			return st, fail("NotPrincipal", "%v", err)
		}
	}

	// Action / NotAction.
	rawA, hasA := m["Action"]
	rawNA, hasNA := m["NotAction"]
	switch {
	case hasA && hasNA:
		return st, fail("NotAction", "Action and NotAction in one statement")
	case !hasA && !hasNA:
		return st, fail("Action", "missing: a statement needs Action or NotAction")
	}
	elem, rawAct := "Action", rawA
	if hasNA {
		elem, rawAct = "NotAction", rawNA
	}
	acts, err := stringList(rawAct)
	if err != nil {
		return st, fail(elem, "%v", err)
	}
	for _, a := range acts {
		if a != "*" && !actionRE.MatchString(a) {
			return st, fail(elem, "%q is not \"*\" or service:action (the service prefix takes no wildcard)", a)
		}
	}
	if hasNA {
		st.NotAction = acts
	} else {
		st.Action = acts
	}

	// Resource / NotResource.
	rawR, hasR := m["Resource"]
	rawNR, hasNR := m["NotResource"]
	switch {
	case hasR && hasNR:
		return st, fail("NotResource", "Resource and NotResource in one statement")
	case (hasR || hasNR) && kind == Trust:
		return st, fail("Resource", "not allowed in a trust policy")
	case !hasR && !hasNR && kind != Trust:
		return st, fail("Resource", "missing: %s statement needs Resource or NotResource", kind.withArticle())
	}
	if hasR || hasNR {
		elem, rawRes := "Resource", rawR
		if hasNR {
			elem, rawRes = "NotResource", rawNR
		}
		res, err := stringList(rawRes)
		if err != nil {
			return st, fail(elem, "%v", err)
		}
		for _, r := range res {
			if r != "*" && !isARNPattern(r) {
				return st, fail(elem, "%q is not \"*\" or an ARN", r)
			}
			if vars && strings.Contains(r, "${") {
				if err := checkVariables(r); err != nil {
					return st, fail(elem, "%q: %v", r, err)
				}
				st.resVars = true
			}
		}
		if hasNR {
			st.NotResource = res
		} else {
			st.Resource = res
		}
	}

	if rawC, ok := m["Condition"]; ok {
		if st.Conditions, err = parseConditions(rawC, vars); err != nil {
			return st, fail("Condition", "%v", err)
		}
	}
	return st, nil
}

// isARNPattern reports whether s has the shape arn:partition:service:region:account:resource.
func isARNPattern(s string) bool {
	return strings.HasPrefix(s, "arn:") && strings.Count(s, ":") >= 5
}

var principalTypes = map[string]bool{"AWS": true, "Service": true, "Federated": true, "CanonicalUser": true}

func parsePrincipal(raw json.RawMessage) (*Principal, error) {
	var s string
	if firstByte(raw) == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		if s != "*" {
			return nil, fmt.Errorf("%q: a principal is \"*\" or an object such as {\"AWS\": ...}", s)
		}
		return &Principal{Wildcard: true}, nil
	}
	var m map[string]json.RawMessage
	if firstByte(raw) != '{' || json.Unmarshal(raw, &m) != nil {
		return nil, fmt.Errorf("a principal is \"*\" or an object such as {\"AWS\": ...}")
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("empty object")
	}
	p := &Principal{Entries: map[string][]string{}}
	for _, typ := range slices.Sorted(maps.Keys(m)) {
		if !principalTypes[typ] {
			return nil, fmt.Errorf("unknown principal type %q (want AWS, Service, Federated or CanonicalUser)", typ)
		}
		vals, err := stringList(m[typ])
		if err != nil {
			return nil, fmt.Errorf("%s: %v", typ, err)
		}
		for _, v := range vals {
			if v == "" {
				return nil, fmt.Errorf("%s: empty principal", typ)
			}
			if typ != "AWS" && v != "*" && strings.ContainsAny(v, "*?") {
				return nil, fmt.Errorf("%s: %q: wildcards are not allowed in a principal", typ, v)
			}
			if typ == "AWS" {
				if v == "*" {
					continue
				}
				ref, err := parsePrincipalRef(v)
				if err != nil {
					return nil, fmt.Errorf("AWS: %v", err)
				}
				p.aws = append(p.aws, ref)
			}
		}
		p.Entries[typ] = vals
	}
	// {"AWS": "*"} is "*": every principal, whatever else is listed beside it.
	for _, v := range p.Entries["AWS"] {
		if v == "*" {
			return &Principal{Wildcard: true}, nil
		}
	}
	return p, nil
}

// stringList decodes a JSON string or a non-empty list of strings.
func stringList(raw json.RawMessage) ([]string, error) {
	switch firstByte(raw) {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		return []string{s}, nil
	case '[':
		var l []string
		if err := json.Unmarshal(raw, &l); err != nil {
			return nil, fmt.Errorf("must be a string or a list of strings")
		}
		if len(l) == 0 {
			return nil, fmt.Errorf("empty list")
		}
		return l, nil
	}
	return nil, fmt.Errorf("must be a string or a list of strings")
}

// scalarList decodes a condition value: a string, number or boolean, or a
// non-empty list of them, each kept as its text.
func scalarList(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if firstByte(raw) == '[' {
		var l []json.RawMessage
		if err := json.Unmarshal(raw, &l); err != nil {
			return nil, err
		}
		if len(l) == 0 {
			return nil, fmt.Errorf("empty list of values")
		}
		out := make([]string, 0, len(l))
		for _, r := range l {
			s, err := scalar(r)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := scalar(raw)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

func scalar(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	switch c := firstByte(raw); {
	case c == '"':
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	case c == 't' || c == 'f':
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			return "", err
		}
		return fmt.Sprint(b), nil
	case c == '-' || (c >= '0' && c <= '9'):
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return "", err
		}
		return n.String(), nil
	}
	return "", fmt.Errorf("a condition value must be a string, number or boolean")
}

func firstByte(raw []byte) byte {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return 0
	}
	return raw[0]
}

// strictUnmarshal decodes one JSON value and rejects trailing data.
func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return err
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); err != io.EOF {
		return fmt.Errorf("trailing data after the JSON value")
	}
	return nil
}
