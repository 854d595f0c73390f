package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/xacct/xacct/internal/operation"
	"github.com/xacct/xacct/internal/plan"
)

// applyOptions are the inputs of `xacct apply` and `xacct destroy`.
type applyOptions struct {
	stackOptions
	// Destroy deletes everything in the state (xacct destroy).
	Destroy     bool
	AutoApprove bool
	JSON        bool
	// Adopt takes over existing resources with the config's names.
	Adopt bool
	// ForceDeleteData empties buckets that hold objects (destroy).
	ForceDeleteData bool
	// PlanFile is a saved plan to apply (apply PLAN_FILE).
	PlanFile string
	// ConfigGiven says --config was given; without it a saved plan is
	// applied with the config it was made from.
	ConfigGiven bool
}

// validate checks the flags before anything is read or called.
func (o *applyOptions) validate() error {
	if err := o.stackOptions.validate(); err != nil {
		return err
	}
	// A saved plan is applied without asking: it was reviewed when saved.
	if o.JSON && !o.AutoApprove && o.PlanFile == "" {
		return withHint(errors.New("--json needs --auto-approve: there is no prompt in JSON mode"), "review the plan with xacct plan --json first")
	}
	return nil
}

func newCmdApply(f *Factory, runF func(*applyOptions) error) *cobra.Command {
	opts := &applyOptions{}
	cmd := &cobra.Command{
		Use:   "apply [PLAN_FILE]",
		Short: "Create or update the resources to match the config",
		Long: `Plan, show the plan, ask for 'yes' (or --auto-approve), then make the changes:
independent ones in parallel, in the order AWS requires, the state saved after
each. An interrupted apply resumes where it stopped when run again.

With PLAN_FILE (from xacct plan --out), apply exactly that plan, without asking,
and refuse if the config, templates or processor package changed, the state
moved on, or any resource is no longer what the plan read.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.PlanFile = args[0]
			}
			opts.ConfigGiven = cmd.Flags().Changed("config")
			if err := opts.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return applyRun(cmd.Context(), f, opts)
		},
	}
	opts.flags(cmd)
	cmd.Flags().BoolVar(&opts.AutoApprove, "auto-approve", false, "apply without asking for confirmation")
	cmd.Flags().BoolVar(&opts.Adopt, "adopt", false, "take over existing resources that have the config's names (shown as <= adopt), instead of refusing them")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print one JSON event per line (needs --auto-approve)")
	return cmd
}

func newCmdDestroy(f *Factory, runF func(*applyOptions) error) *cobra.Command {
	opts := &applyOptions{Destroy: true}
	cmd := &cobra.Command{
		Use:   "destroy",
		Short: "Delete everything xacct created",
		Long: `Plan the deletion of every resource in the state (and nothing else), in reverse
dependency order, ask for 'yes' (or --auto-approve), and delete. A bucket that
holds objects is refused unless --force-delete-data, which empties it first.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return applyRun(cmd.Context(), f, opts)
		},
	}
	opts.flags(cmd)
	cmd.Flags().BoolVar(&opts.AutoApprove, "auto-approve", false, "destroy without asking for confirmation")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print one JSON event per line (needs --auto-approve)")
	cmd.Flags().BoolVar(&opts.ForceDeleteData, "force-delete-data", false, "empty buckets that hold objects, then delete them")
	return cmd
}

func applyRun(ctx context.Context, f *Factory, opts *applyOptions) error {
	ctx, cancel := signalContext(ctx)
	defer cancel()
	name, need := "apply", operation.NeedPackage
	if opts.Destroy {
		name, need = "destroy", operation.NeedState
	}
	var saved *operation.SavedPlan
	if opts.PlanFile != "" {
		var err error
		if saved, err = operation.ReadSaved(opts.PlanFile); err != nil {
			return err
		}
	}
	o := opts.operation(opts.Adopt)
	if saved != nil && !opts.ConfigGiven && saved.Config() != "" {
		o.Config = saved.Config()
	}
	s, err := operation.Open(ctx, f.env(), o, name, true, need)
	if err != nil {
		return err
	}
	defer s.Close()
	var p *plan.Plan
	if saved != nil {
		p, err = s.CheckSaved(ctx, saved)
	} else {
		p, err = s.Plan(ctx, opts.Destroy)
	}
	if err != nil {
		return err
	}
	if err := s.KeepLogs(ctx, p, opts.ForceDeleteData); err != nil {
		return err
	}
	if err := s.CheckData(ctx, p, opts.ForceDeleteData); err != nil {
		return err
	}
	view := newApplyView(f, opts.JSON, opts.Destroy)
	if !opts.JSON {
		if err := planText(f.IO.Out, p, f.color()); err != nil {
			return err
		}
		data, err := s.DataToDelete(ctx, p, opts.ForceDeleteData)
		if err != nil {
			return err
		}
		dataText(f.IO.Out, data)
		if b, err := s.AdoptedData(ctx, p); err != nil {
			return err
		} else if b != "" {
			fmt.Fprintf(f.IO.Out, "\nNote: the adopted bucket %s holds objects from before xacct: they have no metadata records yet.\n"+
				"  After the apply, xacct reconcile lists them and xacct reconcile --repair has the processor record them.\n", b)
		}
		if !p.Empty() && !opts.AutoApprove && opts.PlanFile == "" {
			q := "Do you want to perform these actions?"
			if opts.Destroy {
				q = "Do you really want to destroy all resources of stack " + s.Config.Stack + "?"
			}
			if err := confirm(f.IO, q); err != nil {
				return err
			}
		}
		if !p.Empty() || saved != nil {
			fmt.Fprintln(f.IO.Out)
		}
	}
	view.plan = p
	res, err := s.Apply(ctx, p, opts.ForceDeleteData, view.event)
	res.Throttled = s.Throttled()
	view.done(res, err)
	if err != nil && !opts.JSON {
		return fmt.Errorf("%s stopped: %w", name, err)
	}
	return err
}
