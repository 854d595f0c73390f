package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/xacct/xacct/internal/verify"
)

func word(allowed bool) string {
	if allowed {
		return "allow"
	}
	return "deny"
}

// verifyView says what verify prints.
type verifyView struct {
	// Matrix prints every intent check, not only those that differ.
	Matrix bool
	Color  bool
}

// verifyText writes the report: a summary of who reaches each bucket,
// the findings grouped by principal with their paths, the administrators
// and acknowledged principals (counted), the intent checks that differ
// (all of them with --matrix), then a verdict line.
func verifyText(w io.Writer, m *verify.Matrix, v verifyView) error {
	paint := func(c, s string) string {
		if !v.Color {
			return s
		}
		return c + s + "\x1b[0m"
	}
	var b strings.Builder
	if r := m.Reach; r != nil {
		reachText(&b, r, paint)
	}
	if m.PublicAccess != nil {
		publicAccessText(&b, m.PublicAccess, paint)
	}
	if v.Matrix {
		if err := checksText(&b, m.Checks, "EFFECTIVE", "", v.Color); err != nil {
			return err
		}
		if m.Evaluated > 0 {
			fmt.Fprintf(&b, "Every S3 action was evaluated for every principal and bucket: %d more requests, shown above only where they differ from the intent.\n", m.Evaluated)
		}
	} else {
		differ := 0
		for _, c := range m.Checks {
			if !c.OK() {
				differ++
			}
		}
		if differ > 0 {
			fmt.Fprintf(&b, "\n%d of %d intent checks differ (--matrix shows them all):\n", differ, len(m.Checks))
			mismatchesText(&b, m.Checks)
		}
	}
	if n := m.Mismatches(); n > 0 {
		fmt.Fprintf(&b, "\n%s\n", paint("\x1b[31m", "Verification failed: the access granted is not the access intended."))
	} else {
		fmt.Fprintf(&b, "\n%s %d intent checks hold and no principal outside the intent reaches the data.\n", paint("\x1b[32m", "Verified."), len(m.Checks))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// reachText writes who reaches the buckets: the summary, then each
// principal outside the intent with its paths and actions.
func reachText(b *strings.Builder, r *verify.Reach, paint func(string, string) string) {
	fmt.Fprintf(b, "Who can reach the data: %d principals walked, %d requests decided.\n", r.Principals, r.Requests)
	for _, bucket := range reachBuckets(r) {
		n := countPrincipals(r.Findings, bucket)
		line := fmt.Sprintf("  %s: ", targetName(bucket))
		switch n {
		case 0:
			line += "no principal outside the intent"
		case 1:
			line += paint("\x1b[31m", "1 principal outside the intent can reach it")
		default:
			line += paint("\x1b[31m", fmt.Sprintf("%d principals outside the intent can reach it", n))
		}
		if a := countPrincipals(r.Administrators, bucket); a > 0 {
			line += "; " + plural(a, "administrator")
		}
		if a := countPrincipals(r.Acknowledged, bucket); a > 0 {
			line += fmt.Sprintf("; %d acknowledged", a)
		}
		fmt.Fprintln(b, line)
	}
	if len(r.Findings) > 0 {
		fmt.Fprintln(b, "\nFindings:")
		groupedText(b, r.Findings, true)
	}
	if len(r.Acknowledged) > 0 {
		fmt.Fprintln(b, "\nAcknowledged (verify.allow in the config):")
		groupedText(b, r.Acknowledged, false)
	}
	if len(r.Administrators) > 0 {
		fmt.Fprintln(b, "\nAdministrators (full access in an account, reaching its own data or acting as a principal the config means; --strict counts them):")
		for _, g := range groupFindings(r.Administrators) {
			var on []string
			for _, bk := range g.buckets {
				on = append(on, targetName(bk))
			}
			fmt.Fprintf(b, "  %s: %s on %s\n", g.route, plural(len(g.actions), "action"), strings.Join(on, ", "))
		}
	}
}

// findingGroup is the findings of one principal along one path.
type findingGroup struct {
	route      string // start -[hop]-> ... (without the request)
	principal  string
	buckets    []string
	actions    []string // "s3:GetObject (Read)"
	resources  []string
	statements []string
	path       []verify.Hop
	// byBucket are the actions on each bucket ("" for the stack's
	// principals), without their access level.
	byBucket map[string][]string
}

func groupFindings(fs []verify.Finding) []*findingGroup {
	var out []*findingGroup
	idx := map[string]*findingGroup{}
	for _, f := range fs {
		route := f.Principal
		for _, h := range f.Path {
			route += fmt.Sprintf(" -[%s]-> %s", h.Action, h.Label)
		}
		g := idx[route]
		if g == nil {
			g = &findingGroup{route: route, principal: f.Principal, path: f.Path, byBucket: map[string][]string{}}
			idx[route] = g
			out = append(out, g)
		}
		add := func(list *[]string, s string) {
			if !slices.Contains(*list, s) {
				*list = append(*list, s)
			}
		}
		add(&g.buckets, f.Bucket)
		add(&g.actions, fmt.Sprintf("%s (%s)", f.Action, f.AccessLevel))
		onBucket := g.byBucket[f.Bucket]
		add(&onBucket, f.Action)
		g.byBucket[f.Bucket] = onBucket
		add(&g.resources, f.Resource)
		for _, st := range f.Statements {
			add(&g.statements, st)
		}
	}
	return out
}

func groupedText(b *strings.Builder, fs []verify.Finding, detail bool) {
	for _, g := range groupFindings(fs) {
		fmt.Fprintf(b, "  %s\n", g.principal)
		for _, h := range g.path {
			fmt.Fprintf(b, "    -[%s]-> %s\n", h.Action, h.Label)
			if detail {
				for _, st := range h.Statements {
					fmt.Fprintf(b, "        allowed by %s\n", st)
				}
			}
		}
		fmt.Fprintf(b, "    can: %s\n", strings.Join(g.actions, ", "))
		fmt.Fprintf(b, "    on: %s\n", strings.Join(g.resources, ", "))
		if detail {
			for _, st := range g.statements {
				fmt.Fprintf(b, "    allowed by %s\n", st)
			}
		}
	}
}

func reachBuckets(r *verify.Reach) []string {
	var out []string
	for _, l := range [][]verify.Finding{r.Findings, r.Administrators, r.Acknowledged} {
		for _, f := range l {
			if !slices.Contains(out, f.Bucket) {
				out = append(out, f.Bucket)
			}
		}
	}
	slices.Sort(out)
	return out
}

func countPrincipals(fs []verify.Finding, bucket string) int {
	seen := map[string]bool{}
	for _, f := range fs {
		if f.Bucket == bucket {
			seen[f.Principal] = true
		}
	}
	return len(seen)
}

// mismatchesText lists the checks that differ, with the statements that
// decided them.
func mismatchesText(b *strings.Builder, checks []verify.Check) {
	for _, c := range checks {
		if c.OK() {
			continue
		}
		res := c.Resource
		if !c.TLS {
			res += " (no TLS)"
		}
		fmt.Fprintf(b, "\n  %s %s on %s: intended %s, effective %s\n", c.Principal, c.Action, res, word(c.Intended), word(c.Effective))
		for _, r := range c.Reasons {
			fmt.Fprintf(b, "    decided by %s\n", r)
		}
	}
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
	verdict := "Verified live."
	if len(r.Unproven) > 0 {
		// A path no probe exercised is not verified live, whatever the
		// probes that ran found.
		verdict = ""
	}
	if err := checksText(w, checks, "LIVE", verdict, false); err != nil {
		return err
	}
	if len(r.Unproven) > 0 {
		if _, err := fmt.Fprintf(w, "\nNot every intended path is proven live: %d not probed.\n", len(r.Unproven)); err != nil {
			return err
		}
		for _, u := range r.Unproven {
			if _, err := fmt.Fprintf(w, "  - %s\n", u); err != nil {
				return err
			}
		}
	}
	if r.Record == "" {
		return nil
	}
	_, err := fmt.Fprintf(w, "\nThe metadata record of the developer's probe upload:\n%s\n", r.Record)
	return err
}

// checksText is the table of checks, the mismatches and, when verified
// is set, the verdict; column names what the effective answer is
// (EFFECTIVE, LIVE) and verified is the verdict's first words.
func checksText(w io.Writer, checks []verify.Check, column, verified string, color bool) error {
	paint := func(c, s string) string {
		if !color {
			return s
		}
		return c + s + "\x1b[0m"
	}
	var b strings.Builder
	if verified == "" {
		b.WriteString("\n")
	}
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
		mismatchesText(&b, checks)
		if verified != "" {
			fmt.Fprintf(&b, "\n%s\n", paint("\x1b[31m", "Verification failed: the access granted is not the access intended."))
		}
	} else if verified != "" {
		fmt.Fprintf(&b, "\n%s %d checks: the access granted is exactly the access intended.\n", paint("\x1b[32m", verified), len(checks))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// verifyJSONVersion is the version of verify's JSON output (docs/json.md, docs/verify.md: JSON
// output). Version 2 added who reaches the data.
const verifyJSONVersion = 2

// verifyJSON writes the report as
// {"format_version": 2, "ok": …, "mismatches": N, "findings": [...],
// "administrators": [...], "acknowledged": [...], "principals": N,
// "requests": N, "checks": [...], "evaluated": N, "live": {...}}.
func verifyJSON(w io.Writer, m *verify.Matrix, live *verify.LiveReport) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	mismatches := m.Mismatches()
	if live != nil {
		mismatches += live.Mismatches()
	}
	r := m.Reach
	if r == nil {
		r = &verify.Reach{}
	}
	nonNil := func(fs []verify.Finding) []verify.Finding {
		if fs == nil {
			return []verify.Finding{}
		}
		return fs
	}
	return enc.Encode(struct {
		FormatVersion  int                `json:"format_version"`
		OK             bool               `json:"ok"`
		Mismatches     int                `json:"mismatches"`
		Findings       []verify.Finding   `json:"findings"`
		Administrators []verify.Finding   `json:"administrators"`
		Acknowledged   []verify.Finding   `json:"acknowledged"`
		Principals     int                `json:"principals"`
		Requests       int                `json:"requests"`
		Checks         []verify.Check     `json:"checks"`
		Evaluated      int                `json:"evaluated"`
		Live           *verify.LiveReport `json:"live,omitempty"`
		// PublicAccess: Block Public Access's findings and what it blocks.
		PublicAccess *verify.PublicAccessReport `json:"public_access,omitempty"`
	}{verifyJSONVersion, mismatches == 0, mismatches, nonNil(r.Findings), nonNil(r.Administrators), nonNil(r.Acknowledged),
		r.Principals, r.Requests, m.Checks, m.Evaluated, live, m.PublicAccess})
}

// verifyMermaid draws who reaches what: each principal's path to the
// buckets, findings in red, administrators and acknowledged principals
// dashed, the intended paths (from the intent checks) in green.
func verifyMermaid(w io.Writer, m *verify.Matrix) error {
	var b strings.Builder
	b.WriteString("graph LR\n")
	ids := map[string]string{}
	id := func(label string) string {
		if v, ok := ids[label]; ok {
			return v
		}
		v := fmt.Sprintf("n%d", len(ids))
		ids[label] = v
		fmt.Fprintf(&b, "    %s[%q]\n", v, label)
		return v
	}
	lines := map[string]bool{}
	once := func(line string) {
		if !lines[line] {
			lines[line] = true
			b.WriteString(line)
		}
	}
	link := func(from, arrow, to, label string) {
		once(fmt.Sprintf("    %s %s|%q| %s\n", id(from), arrow, label, id(to)))
	}
	actions := func(g *findingGroup, bucket string) string {
		names := g.byBucket[bucket]
		if len(names) > 3 {
			return plural(len(names), "action")
		}
		return strings.Join(names, ", ")
	}
	draw := func(fs []verify.Finding, arrow, class string) {
		for _, g := range groupFindings(fs) {
			prev := g.principal
			for _, h := range g.path {
				link(prev, arrow, h.Label, h.Action)
				prev = h.Label
			}
			for _, bucket := range g.buckets {
				link(prev, arrow, targetName(bucket), actions(g, bucket))
			}
			once(fmt.Sprintf("    class %s %s\n", id(g.principal), class))
		}
	}
	// The intended paths: each principal of the intent checks to the
	// buckets where it is allowed.
	for _, c := range m.Checks {
		if c.Intended && c.Effective && strings.HasPrefix(c.Resource, "arn:aws:s3:::") {
			bucket, _, _ := strings.Cut(strings.TrimPrefix(c.Resource, "arn:aws:s3:::"), "/")
			link(c.Principal, "-->", bucket, c.Action)
			once(fmt.Sprintf("    class %s intended\n", id(c.Principal)))
		}
	}
	if r := m.Reach; r != nil {
		draw(r.Findings, "==>", "finding")
		draw(r.Acknowledged, "-.->", "acknowledged")
		draw(r.Administrators, "-.->", "administrator")
	}
	b.WriteString("    classDef intended fill:#e6f4ea,stroke:#1e8e3e\n")
	b.WriteString("    classDef finding fill:#fce8e6,stroke:#d93025,stroke-width:2px\n")
	b.WriteString("    classDef acknowledged fill:#fef7e0,stroke:#f9ab00\n")
	b.WriteString("    classDef administrator fill:#f1f3f4,stroke:#5f6368,stroke-dasharray:3\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// printCleanup says what verify --cleanup removed.
func printCleanup(f *Factory, rep *verify.CleanupReport) {
	if len(rep.Users) == 0 && len(rep.Devices) == 0 && rep.Objects == 0 {
		fmt.Fprintln(f.IO.Out, "Nothing left behind by verify --live.")
		return
	}
	for _, u := range rep.Users {
		fmt.Fprintf(f.IO.Out, "Removed probe user %s (its keys and group memberships too).\n", u)
	}
	for _, d := range rep.Devices {
		fmt.Fprintf(f.IO.Out, "Removed virtual MFA device %s (made for a probe user, never enabled).\n", d)
	}
	fmt.Fprintf(f.IO.Out, "Removed %d probe objects and metadata records.\n", rep.Objects)
}

// plural is "1 action", "2 actions".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// targetName names what a finding reaches: a bucket, or (no bucket) the
// stack's own principals and function, whose change changes who reaches
// the data.
func targetName(bucket string) string {
	if bucket == "" {
		return "the stack's groups, roles and function"
	}
	return bucket
}
