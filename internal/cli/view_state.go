package cli

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/xacct/xacct/internal/operation"
)

// stateListText writes one address per line.
func stateListText(w io.Writer, v *operation.StateView) error {
	if len(v.Entries) == 0 {
		_, err := fmt.Fprintln(w, "The state holds no resources: xacct owns nothing of this stack yet (xacct apply creates it).")
		return err
	}
	for _, e := range v.Entries {
		suffix := ""
		if e.Pending {
			suffix = " (creation not confirmed)"
		}
		if _, err := fmt.Fprintln(w, e.Address+suffix); err != nil {
			return err
		}
	}
	return nil
}

// stateListJSON writes {"format_version", "lineage", "serial", "resources": [...]}.
func stateListJSON(w io.Writer, v *operation.StateView) error {
	type entry struct {
		Address string `json:"address"`
		Account string `json:"account"`
		Kind    string `json:"kind"`
		Name    string `json:"name"`
		Pending bool   `json:"pending,omitempty"`
	}
	out := struct {
		FormatVersion int     `json:"format_version"`
		Lineage       string  `json:"lineage"`
		Serial        int64   `json:"serial"`
		Resources     []entry `json:"resources"`
	}{FormatVersion: 1, Lineage: v.Lineage, Serial: v.Serial, Resources: []entry{}}
	for _, e := range v.Entries {
		out.Resources = append(out.Resources, entry{Address: e.Address, Account: e.Account, Kind: e.Kind, Name: e.Name, Pending: e.Pending})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// stateShowJSON writes one resource as the state records it.
func stateShowJSON(w io.Writer, e operation.StateEntry) error {
	var v any
	_ = json.Unmarshal(e.Value, &v)
	b, err := json.MarshalIndent(map[string]any{"address": e.Address, "account": e.Account, "kind": e.Kind, "name": e.Name, "pending": e.Pending, "value": v}, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
