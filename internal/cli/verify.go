package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/spf13/cobra"

	"github.com/xacct/xacct/internal/awsacct"
	"github.com/xacct/xacct/internal/config"
	"github.com/xacct/xacct/internal/plan"
	"github.com/xacct/xacct/internal/resource"
	"github.com/xacct/xacct/internal/stack"
	"github.com/xacct/xacct/internal/verify"
	"github.com/xacct/xacct/lambda/processor"
)

// ExitMismatch is verify's exit code when the access is not the intended one.
const ExitMismatch = 3

type verifyOptions struct {
	coreOptions
	Rendered bool
	JSON     bool
	Live     bool
	LiveWait time.Duration
}

func newCmdVerify(f *Factory) *cobra.Command {
	o := &verifyOptions{coreOptions: coreOptions{IO: f.IO, AWS: f.AWS, Now: f.Now, NoColor: f.NoColor}}
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
			return verifyRun(cmd.Context(), o)
		},
	}
	o.flags(cmd)
	cmd.Flags().BoolVar(&o.Rendered, "rendered", false, "verify the policies the templates render, offline")
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print the matrix as JSON")
	cmd.Flags().BoolVar(&o.Live, "live", false, "also prove it with real calls by short-lived probe users (deleted afterwards)")
	cmd.Flags().DurationVar(&o.LiveWait, "live-wait", time.Minute, "how long --live waits for IAM to accept new probe users and for the processor's record")
	return cmd
}

func verifyRun(ctx context.Context, o *verifyOptions) error {
	ctx, cancel := signalContext(ctx)
	defer cancel()
	var cfg *config.Config
	var values map[string]resource.Value
	if o.Rendered {
		c, err := config.Load(o.Config)
		if err != nil {
			return err
		}
		// The package's hash does not change who may do what.
		desired, err := stack.Build(c, "rendered")
		if err != nil {
			return err
		}
		cfg, values = c, map[string]resource.Value{}
		for _, r := range desired {
			values[r.Addr.String()] = r.Desired
		}
	} else {
		s, err := open(ctx, &o.coreOptions, "verify", false, needNames)
		if err != nil {
			return err
		}
		defer s.close()
		cfg = s.cfg
		if values, err = plan.ReadAll(ctx, plan.Input{Desired: s.desired, State: s.st.Snapshot(), Clients: s.clients, Parallelism: o.Parallelism}); err != nil {
			return err
		}
		if o.Live {
			return verifyWithLive(ctx, o, s, values)
		}
	}
	return report(o, verify.Compute(cfg, verify.FromValues(values)), nil)
}

func verifyWithLive(ctx context.Context, o *verifyOptions, s *session, values map[string]resource.Value) error {
	m := verify.Compute(s.cfg, verify.FromValues(values))
	fmt.Fprint(o.IO.ErrOut, verify.Describe(s.cfg))
	live, err := verify.Live(ctx, verify.LiveInput{
		Cfg: s.cfg, Wait: o.LiveWait,
		IAM:        iam.NewFromConfig(s.awsCfgs["development"]),
		Production: resource.NewClients("", s.awsCfgs["production"]).S3.(*s3.Client),
		Reporting:  resource.NewClients("", s.awsCfgs["reporting"]).S3.(*s3.Client),
		RecordKey:  processor.RecordKey,
		UserConfig: func(creds aws.CredentialsProvider) aws.Config {
			c, _ := awsacct.UserConfig(ctx, s.cfg.Region, accountsOf(s.cfg)[0], o.AWS, creds)
			return c
		},
		Logf: func(format string, args ...any) { fmt.Fprintf(o.IO.ErrOut, format+"\n", args...) },
	})
	if err != nil {
		return fmt.Errorf("verify --live (probes %s): %w", live.ID, err)
	}
	return report(o, m, live)
}

func report(o *verifyOptions, m *verify.Matrix, live *verify.LiveReport) error {
	var err error
	if o.JSON {
		err = verify.JSON(o.IO.Out, m, live)
	} else {
		err = verify.Text(o.IO.Out, m, o.color())
		if err == nil && live != nil {
			fmt.Fprintln(o.IO.Out, "\nLive probes:")
			err = verify.LiveText(o.IO.Out, live)
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
			fmt.Fprintf(o.IO.ErrOut, "%d checks differ from the intent\n", n)
		}
		return &exitError{code: ExitMismatch}
	}
	return nil
}
