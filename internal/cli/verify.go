package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/xacct/xacct/internal/operation"
	"github.com/xacct/xacct/internal/verify"
)

// verifyOptions are the inputs of `xacct verify`.
type verifyOptions struct {
	stackOptions
	Rendered bool
	JSON     bool
	// Format is text, json or mermaid (--json is --format json).
	Format string
	// Matrix prints every intent check; Strict counts administrators as
	// findings.
	Matrix   bool
	Strict   bool
	Live     bool
	LiveWait time.Duration
	// Cleanup deletes what a killed verify --live left behind.
	Cleanup bool
}

func newCmdVerify(f *Factory, runF func(*verifyOptions) error) *cobra.Command {
	o := &verifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Prove that the access deployed is exactly the access intended",
		Long: `Answer "who can reach the data?": every user, group and role of the three
accounts (read with GetAccountAuthorizationDetails), every function, any account
outside the three that a policy names, and anonymous callers are walked along
every path — group membership, sts:AssumeRole chains, whoever may change a
function's code acting as its role, whoever may write its own permissions, join
a group, create another user's key or rewrite a role's trust — to every S3 action
on the stack's buckets (keys inside and outside each pattern). Each principal that
reaches an action the config does not intend is a finding, shown with its path
and the statements that allow each step. Administrators of an account reaching
its own data, or acting as a principal the config means, are listed apart
(--strict counts them); principals the config lists under verify.allow are
acknowledged. The intent checks (each group's members through their role, with
and without MFA, the processor, the writer, outsiders) are computed too; --matrix
prints them all. Effective access comes from the policies deployed (or, with
--rendered, from the templates, with no AWS call), evaluated with xacct's IAM
engine. With
--live, real calls prove it: probe users are created in each Development group
(and one in none), walk every chain with real AssumeRole and S3 calls on objects
under xacct-probe/ (a developer's upload must turn into a metadata record in
Reporting), and are deleted afterwards with everything they made, also when a
probe fails or the command is interrupted.

Exit status: 0 when effective equals intended, 3 when it does not, 1 on error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.validate(); err != nil {
				return err
			}
			if o.Rendered && o.Live {
				return errors.New("--rendered and --live cannot be used together: --rendered makes no AWS call")
			}
			if o.Cleanup && (o.Rendered || o.Live || o.JSON || o.Format != "text" || o.Matrix || o.Strict) {
				return errors.New("--cleanup is used alone: it only deletes what a killed verify --live left behind")
			}
			switch {
			case o.JSON && cmd.Flags().Changed("format") && o.Format != "json":
				return fmt.Errorf("--json and --format %s cannot be used together", o.Format)
			case o.JSON:
				o.Format = "json"
			case o.Format != "text" && o.Format != "json" && o.Format != "mermaid":
				return fmt.Errorf("--format %q: want text, json or mermaid", o.Format)
			}
			if o.Format == "mermaid" && o.Live {
				return errors.New("--format mermaid draws the policies' answer: it cannot be used with --live")
			}
			if runF != nil {
				return runF(o)
			}
			return verifyRun(cmd.Context(), f, o)
		},
	}
	o.flags(cmd)
	cmd.Flags().BoolVar(&o.Rendered, "rendered", false, "verify the policies the templates render, offline")
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print the report as JSON (format_version 2): same as --format json")
	cmd.Flags().StringVar(&o.Format, "format", "text", "text, json, or mermaid (a diagram of who reaches what, findings in red)")
	cmd.Flags().BoolVar(&o.Matrix, "matrix", false, "print every intent check, not only those that differ")
	cmd.Flags().BoolVar(&o.Strict, "strict", false, "count administrators reaching their own account's data as findings")
	cmd.Flags().BoolVar(&o.Live, "live", false, "also prove it with real calls by short-lived probe users (deleted afterwards)")
	cmd.Flags().BoolVar(&o.Cleanup, "cleanup", false, "delete the probe users, keys, objects and records a killed verify --live left behind, and say what was removed")
	cmd.Flags().DurationVar(&o.LiveWait, "live-wait", time.Minute, "how long --live waits for IAM to accept new probe users and for the processor's record")
	return cmd
}

func verifyRun(ctx context.Context, f *Factory, o *verifyOptions) error {
	ctx, cancel := signalContext(ctx)
	defer cancel()
	if o.Rendered {
		_, m, err := operation.Rendered(o.Config, o.Strict)
		if err != nil {
			return err
		}
		return report(f, o, m, nil)
	}
	s, err := operation.Open(ctx, f.env(), o.operation(false), "verify", false, operation.NeedNames)
	if err != nil {
		return err
	}
	defer s.Close()
	if o.Cleanup {
		rep, err := s.CleanupProbes(ctx)
		if rep != nil {
			printCleanup(f, rep)
		}
		return err
	}
	m, err := s.Verify(ctx, o.Strict)
	if err != nil {
		return err
	}
	if !o.Live {
		return report(f, o, m, nil)
	}
	fmt.Fprint(f.IO.ErrOut, verify.Describe(s.Config))
	var findings []verify.Finding
	if m.Reach != nil {
		findings = m.Reach.Findings
	}
	live, err := s.Live(ctx, o.LiveWait, findings, func(format string, args ...any) { fmt.Fprintf(f.IO.ErrOut, format+"\n", args...) })
	if err != nil {
		return fmt.Errorf("verify --live (probes %s): %w", live.ID, err)
	}
	return report(f, o, m, live)
}

func report(f *Factory, o *verifyOptions, m *verify.Matrix, live *verify.LiveReport) error {
	var err error
	switch o.Format {
	case "json":
		err = verifyJSON(f.IO.Out, m, live)
	case "mermaid":
		err = verifyMermaid(f.IO.Out, m)
	default:
		err = verifyText(f.IO.Out, m, verifyView{Matrix: o.Matrix, Color: f.color()})
		if err == nil && live != nil {
			fmt.Fprintln(f.IO.Out, "\nLive probes:")
			err = liveText(f.IO.Out, live)
		}
	}
	if err != nil {
		return err
	}
	n := m.Mismatches()
	if live != nil {
		n += live.Mismatches()
	}
	if n > 0 {
		if o.Format == "text" {
			fmt.Fprintln(f.IO.ErrOut, mismatchLine(m, live))
		}
		return &exitError{code: ExitMismatch}
	}
	return nil
}

// mismatchLine says on standard error why verify exits 3: how many
// principals reach the data outside the intent, how many intent checks
// (and live probes) differ.
func mismatchLine(m *verify.Matrix, live *verify.LiveReport) string {
	var parts []string
	if m.Reach != nil {
		principals := map[string]bool{}
		for _, f := range m.Reach.Findings {
			principals[f.Principal] = true
		}
		if len(principals) > 0 {
			parts = append(parts, plural(len(principals), "principal")+" outside the intent")
		}
	}
	differ := 0
	for _, c := range m.Checks {
		if !c.OK() {
			differ++
		}
	}
	verb := func(n int) string {
		if n == 1 {
			return " differs"
		}
		return " differ"
	}
	if differ > 0 {
		parts = append(parts, plural(differ, "intent check")+verb(differ))
	}
	if live != nil && live.Mismatches() > 0 {
		parts = append(parts, plural(live.Mismatches(), "live probe")+verb(live.Mismatches()))
	}
	return "verify: " + strings.Join(parts, ", ")
}
