package plan

import (
	"encoding/json"

	"github.com/xacct/xacct/internal/resource"
)

// JSONChange is one change in the plan's JSON form.
type JSONChange struct {
	Address string          `json:"address"`
	Account string          `json:"account"`
	Kind    string          `json:"kind"`
	Name    string          `json:"name"`
	Action  string          `json:"action"` // create, update, delete
	Before  json.RawMessage `json:"before"`
	After   json.RawMessage `json:"after"`
	// DependsOn are the changes that must finish first.
	DependsOn []string `json:"depends_on"`
	// Outside marks the delete of a part made outside xacct.
	Outside bool `json:"outside,omitempty"`
}

// EncodeChange is a change in its JSON form.
func EncodeChange(c Change) JSONChange {
	jc := JSONChange{Address: c.Addr.String(), Account: c.Addr.Account, Kind: c.Addr.Kind, Name: c.Addr.Name,
		Action: ActionName(c.Action), Before: nullIfEmpty(c.Before), After: nullIfEmpty(c.After), DependsOn: []string{}, Outside: c.Outside}
	for _, d := range c.DependsOn {
		jc.DependsOn = append(jc.DependsOn, d.String())
	}
	return jc
}

// ActionName is the word for an action in JSON output.
func ActionName(a Action) string {
	switch a {
	case Create:
		return "create"
	case Update:
		return "update"
	case Delete:
		return "delete"
	case Adopt:
		return "adopt"
	case NoOp:
	}
	return "no-op"
}

func nullIfEmpty(v resource.Value) json.RawMessage {
	if len(v) == 0 {
		return json.RawMessage("null")
	}
	return json.RawMessage(v)
}
