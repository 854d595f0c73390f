package verify

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

func word(allowed bool) string {
	if allowed {
		return "allow"
	}
	return "deny"
}

// Text writes the matrix as a table, then each mismatch with the statements
// that decided it, then a verdict line.
func Text(w io.Writer, m *Matrix, color bool) error {
	paint := func(c, s string) string {
		if !color {
			return s
		}
		return c + s + "\x1b[0m"
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PRINCIPAL\tACTION\tRESOURCE\tINTENDED\tEFFECTIVE")
	for _, c := range m.Checks {
		res := c.Resource
		if !c.TLS {
			res += " (no TLS)"
		}
		eff := word(c.Effective)
		if !c.OK() {
			eff = paint("\x1b[31m", eff+" !")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.Principal, c.Action, res, word(c.Intended), eff)
	}
	_ = tw.Flush()
	if n := m.Mismatches(); n > 0 {
		fmt.Fprintf(&b, "\n%d of %d checks differ from the intent:\n", n, len(m.Checks))
		for _, c := range m.Checks {
			if c.OK() {
				continue
			}
			fmt.Fprintf(&b, "\n  %s %s on %s: intended %s, effective %s\n", c.Principal, c.Action, c.Resource, word(c.Intended), word(c.Effective))
			for _, r := range c.Reasons {
				fmt.Fprintf(&b, "    decided by %s\n", r)
			}
		}
		fmt.Fprintf(&b, "\n%s\n", paint("\x1b[31m", "Verification failed: the access granted is not the access intended."))
	} else {
		fmt.Fprintf(&b, "\n%s %d checks: the access granted is exactly the access intended.\n", paint("\x1b[32m", "Verified."), len(m.Checks))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// JSONVersion is the version of the JSON output.
const JSONVersion = 1

// JSON writes the matrix (and the live probes, when there are) as
// {"format_version": 1, "ok": …, "mismatches": N, "checks": [...], "live": {...}}.
func JSON(w io.Writer, m *Matrix, live *LiveReport) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	mismatches := m.Mismatches()
	if live != nil {
		mismatches += live.Mismatches()
	}
	return enc.Encode(struct {
		FormatVersion int         `json:"format_version"`
		OK            bool        `json:"ok"`
		Mismatches    int         `json:"mismatches"`
		Checks        []Check     `json:"checks"`
		Live          *LiveReport `json:"live,omitempty"`
	}{JSONVersion, mismatches == 0, mismatches, m.Checks, live})
}
