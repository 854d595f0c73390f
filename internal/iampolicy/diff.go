package iampolicy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// ChangeKind says what happened to a statement between two documents.
type ChangeKind string

// The kinds of statement change, written as a plan writes them.
const (
	Added   ChangeKind = "+"
	Removed ChangeKind = "-"
	Changed ChangeKind = "~"
)

// StatementChange is one statement that differs. Before is nil for Added,
// After is nil for Removed; both are canonical statement JSON.
type StatementChange struct {
	Kind   ChangeKind
	Label  string // the Sid, or the statement's position in its document
	Before json.RawMessage
	After  json.RawMessage
}

// Diff is what differs between two policies, statement by statement.
// Statements equal to AWS (see Equal) are not listed, whatever their order.
type Diff struct {
	VersionBefore, VersionAfter string
	IDBefore, IDAfter           string
	Statements                  []StatementChange
}

// Empty reports whether the two policies are the same to AWS.
func (d Diff) Empty() bool {
	return d.VersionBefore == d.VersionAfter && d.IDBefore == d.IDAfter && len(d.Statements) == 0
}

type diffEntry struct {
	label, sid string
	key        string // folded canonical JSON: what equality means
	shown      json.RawMessage
	matched    bool
}

// Compare returns what changed from before to after. Statements with the same
// Sid on both sides that differ are one Changed entry; others are Removed or
// Added. Either policy may be nil (absent).
func Compare(before, after *Policy) Diff {
	var d Diff
	b, a := diffEntries(before), diffEntries(after)
	// Version and Id are compared only between two documents; a created or
	// deleted one shows as its statements.
	if before != nil && after != nil {
		d.VersionBefore, d.IDBefore = before.Version, before.ID
		d.VersionAfter, d.IDAfter = after.Version, after.ID
	}
	// Statements are a set: a statement is unchanged when an equal one is on
	// the other side, however many times either side repeats it.
	bKeys, aKeys := map[string]bool{}, map[string]bool{}
	for i := range b {
		bKeys[b[i].key] = true
	}
	for j := range a {
		aKeys[a[j].key] = true
	}
	for i := range b {
		b[i].matched = aKeys[b[i].key]
	}
	for j := range a {
		a[j].matched = bKeys[a[j].key]
	}
	for i := range b {
		if b[i].matched {
			continue
		}
		ch := StatementChange{Kind: Removed, Label: b[i].label, Before: b[i].shown}
		if b[i].sid != "" {
			for j := range a {
				if !a[j].matched && a[j].sid == b[i].sid {
					a[j].matched = true
					ch.Kind, ch.After = Changed, a[j].shown
					break
				}
			}
		}
		d.Statements = append(d.Statements, ch)
	}
	for j := range a {
		if !a[j].matched {
			d.Statements = append(d.Statements, StatementChange{Kind: Added, Label: a[j].label, After: a[j].shown})
		}
	}
	sort.SliceStable(d.Statements, func(i, j int) bool {
		x, y := d.Statements[i], d.Statements[j]
		if x.Label != y.Label {
			return x.Label < y.Label
		}
		return x.Kind < y.Kind
	})
	return d
}

func diffEntries(p *Policy) []diffEntry {
	if p == nil {
		return nil
	}
	out := make([]diffEntry, 0, len(p.Statements))
	for i := range p.Statements {
		s := &p.Statements[i]
		out = append(out, diffEntry{
			label: s.Label(),
			sid:   s.Sid,
			key:   string(marshalCanonical(canonicalStatement(s, true))),
			shown: marshalCanonical(canonicalStatement(s, false)),
		})
	}
	return out
}

// String renders the diff the way a plan shows a policy change: one block per
// statement, canonical JSON indented, "-" lines before and "+" lines after.
func (d Diff) String() string {
	var w strings.Builder
	if d.VersionBefore != d.VersionAfter {
		fmt.Fprintf(&w, "~ Version: %q -> %q\n", d.VersionBefore, d.VersionAfter)
	}
	if d.IDBefore != d.IDAfter {
		fmt.Fprintf(&w, "~ Id: %q -> %q\n", d.IDBefore, d.IDAfter)
	}
	for _, c := range d.Statements {
		fmt.Fprintf(&w, "%s statement %s\n", c.Kind, c.Label)
		if c.Kind == Changed {
			writeElements(&w, c.Before, c.After)
			continue
		}
		writeIndented(&w, "    - ", c.Before)
		writeIndented(&w, "    + ", c.After)
	}
	return w.String()
}

// writeElements shows only the elements of a changed statement that
// differ: for a list (Action, Resource…) the values removed and added, for
// anything else the element before and after; the unchanged ones are
// counted.
func writeElements(w *strings.Builder, before, after json.RawMessage) {
	var b, a map[string]json.RawMessage
	if json.Unmarshal(before, &b) != nil || json.Unmarshal(after, &a) != nil {
		writeIndented(w, "    - ", before)
		writeIndented(w, "    + ", after)
		return
	}
	keys := map[string]bool{}
	for k := range b {
		keys[k] = true
	}
	for k := range a {
		keys[k] = true
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	unchanged := 0
	for _, k := range names {
		bv, av := b[k], a[k]
		if bytes.Equal(bv, av) {
			unchanged++
			continue
		}
		var bl, al []json.RawMessage
		if json.Unmarshal(bv, &bl) == nil && json.Unmarshal(av, &al) == nil && bv != nil && av != nil {
			fmt.Fprintf(w, "    ~ %s\n", k)
			for _, x := range listMinus(bl, al) {
				fmt.Fprintf(w, "        - %s\n", x)
			}
			for _, x := range listMinus(al, bl) {
				fmt.Fprintf(w, "        + %s\n", x)
			}
			continue
		}
		if bv != nil {
			fmt.Fprintf(w, "    - %s: %s\n", k, bv)
		}
		if av != nil {
			fmt.Fprintf(w, "    + %s: %s\n", k, av)
		}
	}
	if unchanged > 0 {
		fmt.Fprintf(w, "    # (%d unchanged elements hidden)\n", unchanged)
	}
}

// listMinus is the values of x that are not in y, in x's order.
func listMinus(x, y []json.RawMessage) []string {
	in := map[string]bool{}
	for _, v := range y {
		in[string(v)] = true
	}
	var out []string
	for _, v := range x {
		if !in[string(v)] {
			out = append(out, string(v))
		}
	}
	return out
}

func writeIndented(w *strings.Builder, prefix string, doc json.RawMessage) {
	if doc == nil {
		return
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, doc, "", "  "); err != nil {
		buf.Reset()
		buf.Write(doc)
	}
	for _, line := range strings.Split(buf.String(), "\n") {
		w.WriteString(prefix)
		w.WriteString(line)
		w.WriteByte('\n')
	}
}
