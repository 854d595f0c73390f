package iampolicy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Canonical returns the policy's canonical JSON: keys sorted, every
// set-valued element (Action, Resource, principals, condition values) a
// sorted list without duplicates, bare account IDs in principals written as
// arn:aws:iam::ID:root, {"AWS": "*"} written as "*", condition values as
// strings, statements sorted and without duplicates, Version and Id kept.
// Two documents AWS merely writes differently (re-ordered, single strings
// for one-element lists, URL-encoded by IAM) have the same canonical JSON.
func Canonical(p *Policy) []byte {
	return marshalCanonical(canonicalDoc(p, false))
}

// CanonicalDocument parses a document (URL-encoded or not) and returns its
// canonical JSON.
func CanonicalDocument(doc string, kind Kind) ([]byte, error) {
	p, err := ParseEncoded(doc, kind)
	if err != nil {
		return nil, err
	}
	return Canonical(p), nil
}

// Equal reports whether two policies are the same to AWS: their canonical
// forms are equal once the names AWS compares without regard to case (action
// names, condition key names, service principals) are folded.
func Equal(a, b *Policy) bool {
	return bytes.Equal(marshalCanonical(canonicalDoc(a, true)), marshalCanonical(canonicalDoc(b, true)))
}

func canonicalDoc(p *Policy, fold bool) map[string]any {
	doc := map[string]any{}
	if p.Version != "" {
		doc["Version"] = p.Version
	}
	if p.ID != "" {
		doc["Id"] = p.ID
	}
	stmts := make([]json.RawMessage, 0, len(p.Statements))
	seen := map[string]bool{}
	for i := range p.Statements {
		b := marshalCanonical(canonicalStatement(&p.Statements[i], fold))
		if seen[string(b)] {
			continue
		}
		seen[string(b)] = true
		stmts = append(stmts, b)
	}
	sort.Slice(stmts, func(i, j int) bool { return bytes.Compare(stmts[i], stmts[j]) < 0 })
	doc["Statement"] = stmts
	return doc
}

func canonicalStatement(s *Statement, fold bool) map[string]any {
	m := map[string]any{"Effect": string(s.Effect)}
	if s.Sid != "" {
		m["Sid"] = s.Sid
	}
	if s.Principal != nil {
		m["Principal"] = canonicalPrincipal(s.Principal, fold)
	}
	if s.NotPrincipal != nil {
		m["NotPrincipal"] = canonicalPrincipal(s.NotPrincipal, fold)
	}
	foldActions := func(l []string) []string {
		if !fold {
			return l
		}
		out := make([]string, len(l))
		for i, a := range l {
			out[i] = strings.ToLower(a)
		}
		return out
	}
	if s.Action != nil {
		m["Action"] = sortedSet(foldActions(s.Action))
	}
	if s.NotAction != nil {
		m["NotAction"] = sortedSet(foldActions(s.NotAction))
	}
	if s.Resource != nil {
		m["Resource"] = sortedSet(s.Resource)
	}
	if s.NotResource != nil {
		m["NotResource"] = sortedSet(s.NotResource)
	}
	if len(s.Conditions) > 0 {
		m["Condition"] = canonicalConditions(s.Conditions, fold)
	}
	return m
}

func canonicalPrincipal(p *Principal, fold bool) any {
	if p.Wildcard {
		return "*"
	}
	out := map[string][]string{}
	for typ, vals := range p.Entries {
		vs := make([]string, len(vals))
		for i, v := range vals {
			switch {
			case typ == "AWS" && accountIDRE.MatchString(v):
				v = "arn:aws:iam::" + v + ":root"
			case typ == "Service" && fold:
				v = strings.ToLower(v)
			}
			vs[i] = v
		}
		out[typ] = sortedSet(vs)
	}
	return out
}

func canonicalConditions(cs []Condition, fold bool) map[string]map[string][]string {
	out := map[string]map[string][]string{}
	for _, c := range cs {
		keys := out[c.Operator]
		if keys == nil {
			keys = map[string][]string{}
			out[c.Operator] = keys
		}
		key := c.Key
		if fold {
			// Condition key names are case-insensitive; two spellings of one
			// key under one operator are both kept as written.
			if _, clash := keys[c.lowerKey]; !clash {
				key = c.lowerKey
			}
		}
		keys[key] = sortedSet(c.Values)
	}
	return out
}

func sortedSet(in []string) []string {
	out := append([]string(nil), in...)
	sort.Strings(out)
	j := 0
	for i, v := range out {
		if i > 0 && v == out[j-1] {
			continue
		}
		out[j] = v
		j++
	}
	return out[:j]
}

func marshalCanonical(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only maps, slices and strings reach here.
		panic(fmt.Sprintf("iampolicy: marshal canonical form: %v", err))
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
