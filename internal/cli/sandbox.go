package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/xacct/xacct/internal/config"
	"github.com/xacct/xacct/internal/sandbox"
)

// sandboxOptions are the inputs of `xacct sandbox`.
type sandboxOptions struct {
	IO      *IOStreams
	Config  string
	Listen  string
	EnvFile string
	DataDir string
	// Faults (throttle=P,error=P) and FaultSeed inject AWS's own errors.
	Faults    sandbox.Faults
	FaultSeed uint64
	// TrailInterval and TrailDigestInterval are how often CloudTrail
	// delivers each logging trail's log files and its digest files.
	TrailInterval, TrailDigestInterval time.Duration
}

func newCmdSandbox(f *Factory, runF func(*sandboxOptions) error) *cobra.Command {
	opts := &sandboxOptions{IO: f.IO}
	var faults string
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Run a local three-account AWS to try xacct on",
		Long: `Run a local AWS with the config's development, production and reporting accounts
(plus a management account), each a kumo process behind one TLS gateway that
checks signatures, answers STS, and enforces IAM and bucket policies as AWS does.

On start it prints the lines a shell can source to act as the management
account's administrator, and writes them to --env-file. The credentials are the
sandbox's own: they work nowhere else. It runs until interrupted (Ctrl-C or
SIGTERM) and stops every process it started.`,
		Example: `  xacct sandbox -c examples/sandbox.yaml --env-file .xacct/sandbox.env &
  . .xacct/sandbox.env && aws sts get-caller-identity   # the management administrator`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			injected, err := sandbox.ParseFaults(faults)
			if err != nil {
				return err
			}
			injected.Seed = opts.FaultSeed
			opts.Faults = injected
			if opts.TrailInterval <= 0 || opts.TrailDigestInterval < time.Second {
				return fmt.Errorf("--trail-interval must be positive and --trail-digest-interval at least 1s (a digest's name carries its second)")
			}
			if runF != nil {
				return runF(opts)
			}
			return sandboxRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Config, "config", "c", config.DefaultFile, "the config file whose accounts the sandbox serves")
	cmd.Flags().StringVar(&opts.Listen, "listen", "127.0.0.1:4566", "TLS `address` of the gateway")
	cmd.Flags().StringVar(&opts.EnvFile, "env-file", "", "also write the environment lines to `PATH` (mode 0600)")
	cmd.Flags().StringVar(&opts.DataDir, "data-dir", "", "keep the accounts' data in `DIR` across restarts (default: in memory)")
	cmd.Flags().StringVar(&faults, "faults", "", "inject AWS's own weather: `throttle=P,error=P,iam-delay=D` (the service's throttling error or a 5xx with probability P in [0,1]; IAM changes honoured only D later, e.g. 2s)")
	cmd.Flags().DurationVar(&opts.TrailInterval, "trail-interval", sandbox.DefaultTrailDelivery, "how often CloudTrail delivers each logging trail's log files (AWS: about 5m)")
	cmd.Flags().DurationVar(&opts.TrailDigestInterval, "trail-digest-interval", sandbox.DefaultTrailDigest, "how often CloudTrail delivers each validating trail's digest files (AWS: 1h)")
	cmd.Flags().Uint64Var(&opts.FaultSeed, "fault-seed", 0, "the seed of --faults: the same seed gives the same faults for the same requests")
	return cmd
}

func sandboxRun(ctx context.Context, opts *sandboxOptions) error {
	cfg, err := config.Load(opts.Config)
	if err != nil {
		return err
	}
	var accounts []sandbox.Account
	for _, a := range cfg.Accounts.All() {
		accounts = append(accounts, sandbox.Account{Name: a.Name, ID: a.ID, AdminRoleName: a.RoleName()})
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	sb, err := sandbox.Start(ctx, sandbox.Options{
		Accounts:      accounts,
		Region:        cfg.Region,
		Listen:        opts.Listen,
		DataDir:       opts.DataDir,
		Faults:        opts.Faults,
		TrailDelivery: opts.TrailInterval,
		TrailDigest:   opts.TrailDigestInterval,
		Logf: func(format string, args ...any) {
			fmt.Fprintf(opts.IO.ErrOut, format+"\n", args...)
		},
	})
	if err != nil {
		return withHint(err, "is another sandbox already listening on "+opts.Listen+"? Choose another with --listen")
	}
	defer sb.Close()
	var lines strings.Builder
	for _, l := range sb.EnvLines() {
		k, v, _ := strings.Cut(l, "=")
		fmt.Fprintf(&lines, "export %s=%s\n", k, shellQuote(v))
	}
	if opts.EnvFile != "" {
		if err := os.WriteFile(opts.EnvFile, []byte(lines.String()), 0o600); err != nil {
			return fmt.Errorf("write env file: %w", err)
		}
	}
	fmt.Fprint(opts.IO.Out, lines.String())
	fmt.Fprintf(opts.IO.ErrOut, "sandbox: serving accounts %s on %s (plain HTTP on %s); Ctrl-C stops it\n",
		accountList(cfg), sb.URL, sb.HTTPURL)
	<-ctx.Done()
	fmt.Fprintln(opts.IO.ErrOut, "sandbox: stopping")
	return nil
}

func accountList(cfg *config.Config) string {
	var out []string
	for _, a := range cfg.Accounts.All() {
		out = append(out, a.Name+"="+a.ID)
	}
	return strings.Join(out, ", ")
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
