package cli

import (
	"encoding/json"
	"fmt"
	"github.com/xacct/xacct/internal/verify"
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

// verifyText writes the matrix as a table, then each mismatch with the
// statements that decided it, then a verdict line.
func verifyText(w io.Writer, m *verify.Matrix, color bool) error {
	if err := checksText(w, m.Checks, "EFFECTIVE", "Verified.", color); err != nil {
		return err
	}
	if m.Evaluated == 0 {
		return nil
	}
	_, err := fmt.Fprintf(w, "Every S3 action xacct knows was evaluated for every principal and bucket: %d more requests, shown above only where they differ from the intent.\n", m.Evaluated)
	return err
}

// liveText writes the live probes as verifyText writes the matrix, and the
// metadata record the developer's probe upload produced.
func liveText(w io.Writer, r *verify.LiveReport) error {
	var checks []verify.Check
	for _, p := range r.Probes {
		c := verify.Check{Principal: p.Principal, Action: p.Action, Resource: p.Resource, Intended: p.Intended, Effective: p.Live, TLS: true}
		if p.Detail != "" {
			c.Reasons = []string{p.Detail}
		}
		checks = append(checks, c)
	}
	if err := checksText(w, checks, "LIVE", "Verified live.", false); err != nil {
		return err
	}
	if r.Record == "" {
		return nil
	}
	_, err := fmt.Fprintf(w, "\nThe metadata record of the developer's probe upload:\n%s\n", r.Record)
	return err
}

// checksText is the table of checks, the mismatches and the verdict;
// column names what the effective answer is (EFFECTIVE, LIVE) and verified
// is the verdict's first words.
func checksText(w io.Writer, checks []verify.Check, column, verified string, color bool) error {
	paint := func(c, s string) string {
		if !color {
			return s
		}
		return c + s + "\x1b[0m"
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PRINCIPAL\tACTION\tRESOURCE\tINTENDED\t"+column)
	for _, c := range checks {
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
	n := 0
	for _, c := range checks {
		if !c.OK() {
			n++
		}
	}
	if n > 0 {
		fmt.Fprintf(&b, "\n%d of %d checks differ from the intent:\n", n, len(checks))
		for _, c := range checks {
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
		fmt.Fprintf(&b, "\n%s %d checks: the access granted is exactly the access intended.\n", paint("\x1b[32m", verified), len(checks))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// verifyJSONVersion is the version of verify's JSON output.
const verifyJSONVersion = 1

// verifyJSON writes the matrix (and the live probes, when there are) as
// {"format_version": 1, "ok": …, "mismatches": N, "checks": [...], "live": {...}}.
func verifyJSON(w io.Writer, m *verify.Matrix, live *verify.LiveReport) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	mismatches := m.Mismatches()
	if live != nil {
		mismatches += live.Mismatches()
	}
	return enc.Encode(struct {
		FormatVersion int                `json:"format_version"`
		OK            bool               `json:"ok"`
		Mismatches    int                `json:"mismatches"`
		Checks        []verify.Check     `json:"checks"`
		Evaluated     int                `json:"evaluated"`
		Live          *verify.LiveReport `json:"live,omitempty"`
	}{verifyJSONVersion, mismatches == 0, mismatches, m.Checks, m.Evaluated, live})
}

// printCleanup says what verify --cleanup removed.
func printCleanup(f *Factory, rep *verify.CleanupReport) {
	if len(rep.Users) == 0 && rep.Objects == 0 {
		fmt.Fprintln(f.IO.Out, "Nothing left behind by verify --live.")
		return
	}
	for _, u := range rep.Users {
		fmt.Fprintf(f.IO.Out, "Removed probe user %s (its keys and group memberships too).\n", u)
	}
	fmt.Fprintf(f.IO.Out, "Removed %d probe objects and metadata records.\n", rep.Objects)
}
