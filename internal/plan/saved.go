package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"

	"github.com/xacct/xacct/internal/resource"
)

// SavedVersion is the version of the saved plan format.
const SavedVersion = 1

// Saved is a plan written by `plan --out`, with what it was computed from,
// so that applying it can refuse when anything moved since.
type Saved struct {
	FormatVersion int `json:"format_version"`
	Provenance
	Changes []JSONChange `json:"changes"`
	Forget  []string     `json:"forget"`
}

// Provenance is what a saved plan was computed from.
type Provenance struct {
	Stack string `json:"stack"`
	// Config is the config file's absolute path, so that applying the plan
	// needs nothing else (an older plan has none).
	Config string `json:"config,omitempty"`
	// InputsDigest hashes the config file, the policy templates and the
	// processor package.
	InputsDigest string `json:"inputs_digest"`
	StateLineage string `json:"state_lineage"`
	StateSerial  int64  `json:"state_serial"`
}

// Save writes p with its provenance to path (mode 0600: it holds policy
// documents).
func Save(path string, p *Plan, from Provenance) error {
	s := Saved{FormatVersion: SavedVersion, Provenance: from, Changes: []JSONChange{}, Forget: []string{}}
	for _, c := range p.Changes {
		s.Changes = append(s.Changes, EncodeChange(c))
	}
	for _, a := range p.Forget {
		s.Forget = append(s.Forget, a.String())
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o600)
}

// Load reads a saved plan back into a Plan (dependencies restored from the
// parent rules and the order kept); every change must be of one of kinds.
func Load(path string, kinds resource.Kinds) (*Saved, *Plan, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read saved plan: %w", err)
	}
	var s Saved
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, nil, fmt.Errorf("%s is not a saved xacct plan: %w", path, err)
	}
	if s.FormatVersion != SavedVersion {
		return nil, nil, fmt.Errorf("%s has plan format %d; this xacct reads %d", path, s.FormatVersion, SavedVersion)
	}
	p := &Plan{}
	var creates, deletes []Change
	for _, jc := range s.Changes {
		a, err := resource.ParseAddress(jc.Address)
		if err != nil {
			return nil, nil, err
		}
		if _, ok := kinds[a.Kind]; !ok {
			return nil, nil, fmt.Errorf("%s: unknown resource kind %s", path, a.Kind)
		}
		c := Change{Addr: a, Before: valueOrNil(jc.Before), After: valueOrNil(jc.After), Outside: jc.Outside}
		switch jc.Action {
		case "create":
			c.Action = Create
		case "update":
			c.Action = Update
		case "delete":
			c.Action = Delete
		case "adopt":
			c.Action = Adopt
		default:
			return nil, nil, fmt.Errorf("%s: %s: unknown action %q", path, jc.Address, jc.Action)
		}
		if c.Outside && c.Action != Delete {
			return nil, nil, fmt.Errorf("%s: %s: only a delete removes a part made outside xacct", path, jc.Address)
		}
		if c.Action != Delete {
			for _, d := range jc.DependsOn {
				da, err := resource.ParseAddress(d)
				if err != nil {
					return nil, nil, err
				}
				c.DependsOn = append(c.DependsOn, da)
			}
		}
		if c.Action == Delete {
			deletes = append(deletes, c)
		} else {
			creates = append(creates, c)
		}
	}
	for _, f := range s.Forget {
		a, err := resource.ParseAddress(f)
		if err != nil {
			return nil, nil, err
		}
		p.Forget = append(p.Forget, a)
	}
	if p.Changes, err = orderAll(creates, deletes); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return &s, p, nil
}

// valueOrNil returns a saved value as the compact canonical JSON values
// compare as (the file is indented for people).
func valueOrNil(raw json.RawMessage) resource.Value {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return resource.Value(raw)
	}
	return resource.Value(buf.Bytes())
}
