package cli

import (
	"context"
	"errors"
	"fmt"
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
		Long: `Compute the access matrix: who (each group's members through their role, a
Development user in no group, the metadata processor, the writer role, an
administrator of another account, anonymous callers) may do what (s3:GetObject,
s3:PutObject, s3:DeleteObject, s3:ListBucket, s3:PutBucketPolicy, sts:AssumeRole)
on which bucket or role. Intended comes from the config; effective from the
policies deployed in the three accounts (or, with --rendered, from the templates,
with no AWS call), evaluated with xacct's IAM engine along each chain. With
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
			if o.Cleanup && (o.Rendered || o.Live || o.JSON) {
				return errors.New("--cleanup is used alone: it only deletes what a killed verify --live left behind")
			}
			if runF != nil {
				return runF(o)
			}
			return verifyRun(cmd.Context(), f, o)
		},
	}
	o.flags(cmd)
	cmd.Flags().BoolVar(&o.Rendered, "rendered", false, "verify the policies the templates render, offline")
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print the matrix as JSON")
	cmd.Flags().BoolVar(&o.Live, "live", false, "also prove it with real calls by short-lived probe users (deleted afterwards)")
	cmd.Flags().BoolVar(&o.Cleanup, "cleanup", false, "delete the probe users, keys, objects and records a killed verify --live left behind, and say what was removed")
	cmd.Flags().DurationVar(&o.LiveWait, "live-wait", time.Minute, "how long --live waits for IAM to accept new probe users and for the processor's record")
	return cmd
}

func verifyRun(ctx context.Context, f *Factory, o *verifyOptions) error {
	ctx, cancel := signalContext(ctx)
	defer cancel()
	if o.Rendered {
		_, m, err := operation.Rendered(o.Config)
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
	m, err := s.Verify(ctx)
	if err != nil {
		return err
	}
	if !o.Live {
		return report(f, o, m, nil)
	}
	fmt.Fprint(f.IO.ErrOut, verify.Describe(s.Config))
	live, err := s.Live(ctx, o.LiveWait, func(format string, args ...any) { fmt.Fprintf(f.IO.ErrOut, format+"\n", args...) })
	if err != nil {
		return fmt.Errorf("verify --live (probes %s): %w", live.ID, err)
	}
	return report(f, o, m, live)
}

func report(f *Factory, o *verifyOptions, m *verify.Matrix, live *verify.LiveReport) error {
	var err error
	if o.JSON {
		err = verifyJSON(f.IO.Out, m, live)
	} else {
		err = verifyText(f.IO.Out, m, f.color())
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
		if !o.JSON {
			fmt.Fprintf(f.IO.ErrOut, "%d checks differ from the intent\n", n)
		}
		return &exitError{code: ExitMismatch}
	}
	return nil
}
