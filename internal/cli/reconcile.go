package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/xacct/xacct/internal/operation"
	"github.com/xacct/xacct/internal/reconcile"
)

// reconcileOptions are the inputs of `xacct reconcile`.
type reconcileOptions struct {
	stackOptions
	Prefix      string
	JSON        bool
	Repair      bool
	AutoApprove bool
	// Threshold: --repair above this many versions runs an S3 Batch
	// Operations job instead of invoking the processor from here.
	Threshold int
	// Partitions is how many listings run at once.
	Partitions int
}

func newCmdReconcile(f *Factory, runF func(*reconcileOptions) error) *cobra.Command {
	o := &reconcileOptions{}
	cmd := &cobra.Command{
		Use:   "reconcile",
		Short: "Prove that every object version has its metadata record, and repair what is missing",
		Long: `Compare every version and delete marker of the Production bucket with the
metadata records in Reporting, and report by class, with counts:
  - versions without a record,
  - deletions (delete markers) without a record,
  - records of versions that no longer exist, without a record of their deletion,
  - failed events waiting in the processor's failure bucket (its on-failure
    destination, kept after Lambda's retries).
Both listings are read as they arrive, in parallel by key range, and compared as
a streaming merge: memory does not grow with the bucket.

With --repair, after a 'yes' (or --auto-approve), the failed events are replayed
through the processor (each file removed once its records exist), then every
version still without its record is sent to the same function, which writes it
through the same writer role (a record that appeared meanwhile is left as it is).
Above --threshold versions, the work goes to an S3 Batch Operations job (a
manifest of the missing versions in the failure bucket, the backfill role, a
completion report in Reporting) that xacct waits for. Then the comparison runs
again.

Exit status: 0 when every version has its record (after --repair: when the
repair made it so), 2 when something is missing, 1 on error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.validate(); err != nil {
				return err
			}
			if o.AutoApprove && !o.Repair {
				return errors.New("--auto-approve goes with --repair: reconcile alone changes nothing")
			}
			if o.Threshold < 0 {
				return fmt.Errorf("--threshold must be 0 or more")
			}
			if o.Partitions < 1 {
				return fmt.Errorf("--partitions must be at least 1")
			}
			if runF != nil {
				return runF(o)
			}
			return reconcileRun(cmd.Context(), f, o)
		},
	}
	o.flags(cmd)
	cmd.Flags().StringVar(&o.Prefix, "prefix", "", "compare only the keys under this `prefix`")
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print the report as JSON (format_version 1)")
	cmd.Flags().BoolVar(&o.Repair, "repair", false, "replay the failed events and have the processor write every missing record")
	cmd.Flags().BoolVar(&o.AutoApprove, "auto-approve", false, "repair without asking for 'yes'")
	cmd.Flags().IntVar(&o.Threshold, "threshold", 10000, "with --repair: above this many versions, run an S3 Batch Operations job instead")
	cmd.Flags().IntVar(&o.Partitions, "partitions", 8, "how many key ranges are listed at once")
	return cmd
}

func reconcileRun(ctx context.Context, f *Factory, o *reconcileOptions) error {
	ctx, cancel := signalContext(ctx)
	defer cancel()
	s, err := operation.Open(ctx, f.env(), o.operation(false), "reconcile", false, operation.NeedNames)
	if err != nil {
		return err
	}
	defer s.Close()
	sp, err := reconcile.NewSpool("")
	if err != nil {
		return err
	}
	defer sp.Close()
	ro := operation.ReconcileOptions{Prefix: o.Prefix, Parallel: o.Partitions}
	prog := newProgressLine(f)
	if prog != nil {
		ro.Progress = prog.compare
	}
	before, err := s.Compare(ctx, ro, sp)
	prog.end()
	if err != nil {
		return err
	}
	if !o.Repair || before.Complete() {
		if err := reconcileReport(f, o, before, nil, nil); err != nil {
			return err
		}
		return reconcileExit(before)
	}
	if !o.JSON {
		if err := reconcileText(f.IO.Out, before, f.color()); err != nil {
			return err
		}
	}
	if !o.AutoApprove {
		if err := confirm(f.IO, fmt.Sprintf("Repair %s? xacct replays the failed events and has the processor write the missing records.", reconcileWhat(before, o.Threshold))); err != nil {
			return err
		}
	}
	rp := operation.RepairOptions{Threshold: o.Threshold, Concurrency: o.Parallelism}
	if prog != nil {
		rp.Progress = prog.repair
	}
	rep, err := s.Repair(ctx, sp, rp)
	prog.end()
	if err != nil {
		if rep != nil && !o.JSON {
			_ = repairText(f.IO.Out, rep)
		}
		return err
	}
	after, err := s.Compare(ctx, operation.ReconcileOptions{Prefix: o.Prefix, Parallel: o.Partitions}, nil)
	if err != nil {
		return err
	}
	if o.JSON {
		err = reconcileReport(f, o, before, rep, after)
	} else {
		if err = repairText(f.IO.Out, rep); err == nil {
			fmt.Fprintln(f.IO.Out, "\nAfter the repair:")
			err = reconcileText(f.IO.Out, after, f.color())
		}
	}
	if err != nil {
		return err
	}
	return reconcileExit(after)
}

func reconcileExit(r *reconcile.Report) error {
	if r.Complete() {
		return nil
	}
	return &exitError{code: ExitChanges}
}

// reconcileWhat says what a repair will do.
func reconcileWhat(r *reconcile.Report, threshold int) string {
	tasks := r.Missing[reconcile.MissingVersion] + r.Missing[reconcile.MissingDeletion] + r.Missing[reconcile.Orphan]
	how := "from this machine"
	if tasks > int64(threshold) {
		how = "with an S3 Batch Operations job"
	}
	return fmt.Sprintf("%d failed events and %d records (%s)", r.Missing[reconcile.FailedEvent], tasks, how)
}
