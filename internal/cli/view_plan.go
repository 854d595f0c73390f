package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/xacct/xacct/internal/iampolicy"
	"github.com/xacct/xacct/internal/plan"
)

const (
	green  = "\x1b[32m"
	yellow = "\x1b[33m"
	red    = "\x1b[31m"
	bold   = "\x1b[1m"
	reset  = "\x1b[0m"
)

// planText writes the plan the way Terraform does: one block per change with
// its fields (policies statement by statement), then the summary line.
func planText(w io.Writer, p *plan.Plan, color bool) error {
	paint := func(c, s string) string {
		if !color {
			return s
		}
		return c + s + reset
	}
	var b strings.Builder
	if p.Empty() {
		b.WriteString(paint(bold, "No changes.") + " Your infrastructure matches the configuration.\n")
		if len(p.Forget) > 0 {
			fmt.Fprintf(&b, "\n%d resource(s) in the state no longer exist and will be forgotten by apply.\n", len(p.Forget))
		}
		if len(p.Confirm) > 0 {
			fmt.Fprintf(&b, "\n%d resource(s) whose creation was interrupted exist as configured and will be recorded by apply.\n", len(p.Confirm))
		}
		writeKept(&b, p, paint)
		_, err := io.WriteString(w, b.String())
		return err
	}
	b.WriteString("xacct will perform the following actions:\n")
	for _, c := range p.Changes {
		var verb, col string
		switch c.Action {
		case plan.Create:
			verb, col = "will be created", green
		case plan.Update:
			verb, col = "will be updated in-place", yellow
		case plan.Delete:
			verb, col = "will be destroyed", red
			if c.Outside {
				verb = "will be removed (" + outsideNote(c.Addr.Kind) + ")"
			}
		case plan.Adopt:
			verb, col = "will be adopted (taken over as it is, then updated in-place)", yellow
		case plan.NoOp:
			continue
		}
		sym := string(c.Action)
		if c.Action == plan.Adopt {
			sym = "<= adopt"
		}
		fmt.Fprintf(&b, "\n  %s\n", paint(bold, "# "+c.Addr.String()+" "+verb))
		if at, ok := p.DriftBy[c.Addr]; ok {
			who := at.Who
			if at.ARN != "" {
				who += " (" + at.ARN + ")"
			}
			fmt.Fprintf(&b, "  %s\n", paint(yellow, "# changed outside xacct by "+who+" at "+at.Time.UTC().Format(time.RFC3339)+" ("+at.Action+")"))
		}
		fmt.Fprintf(&b, "  %s %s\n", paint(col, sym), c.Addr)
		writeFields(&b, c, paint, col)
	}
	if len(p.Access) > 0 {
		fmt.Fprintf(&b, "\n%s\n", paint(bold, "Access changes (who gains or loses what, evaluated on the policies before and after):"))
		for _, a := range p.Access {
			verb, col := "grants new access", red
			if !a.Grants {
				verb, col = "removes access", green
			}
			who := a.Principal
			if a.Via != "" {
				who += " via " + a.Via
			}
			fmt.Fprintf(&b, "  %s %s: %s -> %s on %s\n", paint(col, "!"), verb, who, strings.Join(a.Actions, ", "), a.Resource)
		}
	}
	writeKept(&b, p, paint)
	if p.DriftNote != "" {
		fmt.Fprintf(&b, "\n(%s)\n", p.DriftNote)
	}
	add, change, destroy := p.Counts()
	adopt := ""
	if n := p.Adopted(); n > 0 {
		adopt = fmt.Sprintf("%d to adopt, ", n)
	}
	fmt.Fprintf(&b, "\n%s %s%d to add, %d to change, %d to destroy.\n", paint(bold, "Plan:"), adopt, add, change, destroy)
	_, err := io.WriteString(w, b.String())
	return err
}

// writeKept lists what the plan keeps instead of destroying.
func writeKept(b *strings.Builder, p *plan.Plan, paint func(c, s string) string) {
	for _, k := range p.Keep {
		fmt.Fprintf(b, "\n  %s\n", paint(bold, "# "+k.Addr.String()+" will be kept and forgotten by xacct: "+k.Reason))
	}
}

// outsideNote says what removing a part made outside xacct does.
func outsideNote(kind string) string {
	switch kind {
	case "iam_group_membership":
		return "a member added outside xacct: the user is kept"
	case "iam_group_policy_attachment", "iam_role_policy_attachment":
		return "attached outside xacct: the policy is kept"
	case "lambda_permission":
		return "a permission added outside xacct"
	case "lambda_event_source_mapping":
		return "a mapping created outside xacct: its event source is kept"
	}
	return "made outside xacct"
}

func fieldsOf(v json.RawMessage) map[string]json.RawMessage {
	m := map[string]json.RawMessage{}
	_ = json.Unmarshal(v, &m)
	return m
}

// isPolicy tells a policy document among a value's fields.
func isPolicy(raw json.RawMessage) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return false
	}
	_, ok := m["Statement"]
	return ok
}

func parsePolicy(raw json.RawMessage) *iampolicy.Policy {
	if raw == nil {
		return nil
	}
	for _, k := range []iampolicy.Kind{iampolicy.Identity, iampolicy.Resource, iampolicy.Trust} {
		if p, err := iampolicy.Parse(raw, k); err == nil {
			return p
		}
	}
	return nil
}

func writeFields(b *strings.Builder, c plan.Change, paint func(string, string) string, col string) {
	before, after := fieldsOf(c.Before), fieldsOf(c.After)
	keys := map[string]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range after {
		keys[k] = true
	}
	var names []string
	width := 0
	for k := range keys {
		if (c.Action == plan.Update || c.Action == plan.Adopt) && bytes.Equal(before[k], after[k]) {
			continue
		}
		if c.Action == plan.Delete {
			continue
		}
		names = append(names, k)
		width = max(width, len(k))
	}
	sort.Strings(names)
	for _, k := range names {
		bv, av := before[k], after[k]
		if isPolicy(av) || isPolicy(bv) {
			sym := "+"
			if c.Action == plan.Update || c.Action == plan.Adopt {
				sym = "~"
			}
			fmt.Fprintf(b, "      %s %s\n", paint(col, sym), k)
			d := iampolicy.Compare(parsePolicy(bv), parsePolicy(av))
			for _, line := range strings.Split(strings.TrimRight(d.String(), "\n"), "\n") {
				if line == "" {
					continue
				}
				fmt.Fprintf(b, "          %s\n", colorLine(line, paint))
			}
			continue
		}
		switch {
		case c.Action == plan.Create:
			fmt.Fprintf(b, "      %s %-*s = %s\n", paint(green, "+"), width, k, av)
		case bv == nil:
			fmt.Fprintf(b, "      %s %-*s = %s\n", paint(green, "+"), width, k, av)
		case av == nil:
			fmt.Fprintf(b, "      %s %-*s = %s\n", paint(red, "-"), width, k, bv)
		default:
			fmt.Fprintf(b, "      %s %-*s = %s -> %s\n", paint(yellow, "~"), width, k, bv, av)
		}
	}
}

func colorLine(line string, paint func(string, string) string) string {
	t := strings.TrimLeft(line, " ")
	switch {
	case strings.HasPrefix(t, "+"):
		return paint(green, line)
	case strings.HasPrefix(t, "-"):
		return paint(red, line)
	case strings.HasPrefix(t, "~"):
		return paint(yellow, line)
	}
	return line
}

// planJSONVersion is the version of the plan's JSON form.
const planJSONVersion = 1

// jsonPlan is the plan's JSON form.
type jsonPlan struct {
	FormatVersion int               `json:"format_version"`
	Changes       []plan.JSONChange `json:"changes"`
	Forget        []string          `json:"forget"`
	// Keep are the resources kept instead of destroyed; left out when
	// there are none.
	Keep []jsonKept `json:"keep,omitempty"`
	// Confirm are interrupted creates that exist and apply records; left
	// out when there are none.
	Confirm []string `json:"confirm,omitempty"`
	// AccessDelta is who gains or loses access by the changes.
	AccessDelta []plan.AccessChange `json:"access_delta"`
	Summary     struct {
		Add     int `json:"add"`
		Change  int `json:"change"`
		Destroy int `json:"destroy"`
		// Adopt is left out when nothing is adopted.
		Adopt int `json:"adopt,omitempty"`
	} `json:"summary"`
}

type jsonKept struct {
	Address string `json:"address"`
	Reason  string `json:"reason"`
}

// planJSON writes the plan as one JSON document (jsonPlan).
func planJSON(w io.Writer, p *plan.Plan) error {
	out := jsonPlan{FormatVersion: planJSONVersion, Changes: []plan.JSONChange{}, Forget: []string{}, AccessDelta: []plan.AccessChange{}}
	out.AccessDelta = append(out.AccessDelta, p.Access...)
	for _, c := range p.Changes {
		out.Changes = append(out.Changes, plan.EncodeChange(c))
	}
	for _, a := range p.Forget {
		out.Forget = append(out.Forget, a.String())
	}
	for _, c := range p.Confirm {
		out.Confirm = append(out.Confirm, c.Addr.String())
	}
	for _, k := range p.Keep {
		out.Keep = append(out.Keep, jsonKept{Address: k.Addr.String(), Reason: k.Reason})
	}
	out.Summary.Add, out.Summary.Change, out.Summary.Destroy = p.Counts()
	out.Summary.Adopt = p.Adopted()
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
