package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/xacct/xacct/internal/operation"
)

// planOptions are the inputs of `xacct plan`.
type planOptions struct {
	stackOptions
	DetailedExitCode bool
	JSON             bool
	Out              string
}

func newCmdPlan(f *Factory, runF func(*planOptions) error) *cobra.Command {
	opts := &planOptions{}
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show what apply would change",
		Long: `Read every resource of the config and of the state, in all three accounts, and
show what apply would create, change and destroy. Reading is all it does.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return planRun(cmd.Context(), f, opts)
		},
	}
	opts.flags(cmd)
	cmd.Flags().BoolVar(&opts.DetailedExitCode, "detailed-exitcode", false, "exit 0 when there are no changes, 2 when there are, 1 on error")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the plan as JSON (format_version 1)")
	cmd.Flags().StringVar(&opts.Out, "out", "", "save the plan to `FILE` for a later xacct apply FILE")
	return cmd
}

// driftBudget is how long plan spends finding who changed a resource.
const driftBudget = 5 * time.Second

func planRun(ctx context.Context, f *Factory, opts *planOptions) error {
	ctx, cancel := signalContext(ctx)
	defer cancel()
	s, err := operation.Open(ctx, f.env(), opts.operation(false), "plan", false, operation.NeedPackage)
	if err != nil {
		return err
	}
	defer s.Close()
	p, err := s.Plan(ctx, false)
	if err != nil {
		return err
	}
	// Who changed what drifted, when the logs say it: a bounded read
	// that never fails the plan.
	s.AttributeDrift(ctx, p, driftBudget)
	if opts.Out != "" {
		if err := s.SavePlan(opts.Out, p); err != nil {
			return err
		}
	}
	if opts.JSON {
		err = planJSON(f.IO.Out, p)
	} else {
		err = planText(f.IO.Out, p, f.color())
	}
	if err != nil {
		return err
	}
	if n := s.Throttled(); n > 0 && !opts.JSON {
		fmt.Fprintln(f.IO.Out, throttledLine(n))
	}
	if opts.Out != "" && !opts.JSON {
		fmt.Fprintf(f.IO.Out, "\nSaved the plan to %s. To apply exactly these changes: xacct apply %s\n", opts.Out, opts.Out)
	}
	if opts.DetailedExitCode && !p.Empty() {
		return &exitError{code: ExitChanges}
	}
	return nil
}
