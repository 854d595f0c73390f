package iampolicy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// requestJSON is the shape `xacct policy simulate` reads:
//
//	{"principal": "arn:aws:sts::111111111111:assumed-role/dev/alice",
//	 "principal_account": "111111111111",
//	 "action": "s3:PutObject",
//	 "resource": "arn:aws:s3:::acme-data-prod/a.txt",
//	 "resource_account": "222222222222",
//	 "context": {"aws:SecureTransport": "true", "aws:SourceIp": ["10.0.0.1"]},
//	 "identity_policies": [{...}],
//	 "resource_policy": {...},
//	 "resource_policy_type": "trust",
//	 "permissions_boundary": null,
//	 "session_policy": null}
//
// Policies are JSON objects, or strings holding a document (URL-encoded as
// IAM returns them, or not). resource_policy_type is "resource" or "trust";
// when absent, a resource policy is a trust policy for sts: actions.
type requestJSON struct {
	Principal           string                     `json:"principal"`
	PrincipalAccount    string                     `json:"principal_account"`
	Action              string                     `json:"action"`
	Resource            string                     `json:"resource"`
	ResourceAccount     string                     `json:"resource_account"`
	Context             map[string]json.RawMessage `json:"context"`
	IdentityPolicies    []json.RawMessage          `json:"identity_policies"`
	ResourcePolicy      json.RawMessage            `json:"resource_policy"`
	ResourcePolicyType  string                     `json:"resource_policy_type"`
	PermissionsBoundary json.RawMessage            `json:"permissions_boundary"`
	SessionPolicy       json.RawMessage            `json:"session_policy"`
}

// DecodeRequest reads one request in the simulate JSON shape and parses
// every policy in it. Unknown fields and invalid policies are errors that
// name the field.
func DecodeRequest(r io.Reader) (*Request, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read request: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var in requestJSON
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("request: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("request: more than one JSON value")
	}
	if in.Principal == "" {
		return nil, fmt.Errorf("request: principal is required (\"*\" for an anonymous caller)")
	}
	if in.Action == "" {
		return nil, fmt.Errorf("request: action is required")
	}
	if in.Resource == "" {
		return nil, fmt.Errorf("request: resource is required")
	}
	req := &Request{
		Principal:        in.Principal,
		PrincipalAccount: in.PrincipalAccount,
		Action:           in.Action,
		Resource:         in.Resource,
		ResourceAccount:  in.ResourceAccount,
		Context:          map[string][]string{},
	}
	for k, raw := range in.Context {
		vals, err := contextValues(raw)
		if err != nil {
			return nil, fmt.Errorf("request: context %q: %v", k, err)
		}
		req.Context[k] = vals
	}
	for i, raw := range in.IdentityPolicies {
		name := fmt.Sprintf("identity_policies[%d]", i)
		p, err := decodePolicy(raw, Identity)
		if err != nil || p == nil {
			return nil, policyErr(name, err)
		}
		req.IdentityPolicies = append(req.IdentityPolicies, NamedPolicy{Name: name, Policy: p})
	}
	rpKind := Resource
	switch in.ResourcePolicyType {
	case "":
		if strings.HasPrefix(strings.ToLower(in.Action), "sts:") {
			rpKind = Trust
		}
	case "resource":
	case "trust":
		rpKind = Trust
	default:
		return nil, fmt.Errorf("request: resource_policy_type %q is neither \"resource\" nor \"trust\"", in.ResourcePolicyType)
	}
	slots := []struct {
		name string
		raw  json.RawMessage
		kind Kind
		dst  **NamedPolicy
	}{
		{"resource_policy", in.ResourcePolicy, rpKind, &req.ResourcePolicy},
		{"permissions_boundary", in.PermissionsBoundary, Boundary, &req.PermissionsBoundary},
		{"session_policy", in.SessionPolicy, Session, &req.SessionPolicy},
	}
	for _, s := range slots {
		p, err := decodePolicy(s.raw, s.kind)
		if err != nil {
			return nil, policyErr(s.name, err)
		}
		if p != nil {
			*s.dst = &NamedPolicy{Name: s.name, Policy: p}
		}
	}
	return req, nil
}

func policyErr(name string, err error) error {
	if err == nil {
		err = fmt.Errorf("null is not a policy")
	}
	return fmt.Errorf("request: %s: %w", name, err)
}

// decodePolicy parses a policy given as a JSON object or as a string; null
// or absent gives nil.
func decodePolicy(raw json.RawMessage, kind Kind) (*Policy, error) {
	switch firstByte(raw) {
	case 0, 'n':
		if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
			return nil, nil
		}
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		return ParseEncoded(s, kind)
	}
	return Parse(raw, kind)
}

func contextValues(raw json.RawMessage) ([]string, error) {
	if string(bytes.TrimSpace(raw)) == "[]" {
		return []string{}, nil
	}
	vals, err := scalarList(raw)
	if err != nil {
		return nil, fmt.Errorf("want a string, number, boolean or a list of them")
	}
	return vals, nil
}
