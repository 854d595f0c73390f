package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/xacct/xacct/internal/config"
	"github.com/xacct/xacct/internal/operation"
)

// sandboxOptions are the inputs of `xacct sandbox`.
type sandboxOptions struct {
	IO      *IOStreams
	Config  string
	Listen  string
	EnvFile string
	DataDir string
	// Faults (throttle=P,error=P,iam-delay=D) and FaultSeed inject AWS's
	// own errors; the sandbox parses them.
	Faults    string
	FaultSeed uint64
	// TrailInterval and TrailDigestInterval are how often CloudTrail
	// delivers each logging trail's log files and its digest files.
	TrailInterval, TrailDigestInterval time.Duration
}

func newCmdSandbox(f *Factory, runF func(*sandboxOptions) error) *cobra.Command {
	opts := &sandboxOptions{IO: f.IO}
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
		Example: `  mkdir -p .xacct && xacct sandbox -c examples/sandbox.yaml --env-file .xacct/sandbox.env &
  . .xacct/sandbox.env && aws --endpoint-url "$AWS_ENDPOINT_URL" sts get-caller-identity   # the management administrator
  xacct sandbox user create alice --group developers -c examples/sandbox.yaml   # a member, its keys and profile`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.TrailInterval <= 0 || opts.TrailDigestInterval < time.Second {
				return fmt.Errorf("--trail-interval must be positive and --trail-digest-interval at least 1s (a digest's name carries its second)")
			}
			if runF != nil {
				return runF(opts)
			}
			return sandboxRun(cmd.Context(), f, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Config, "config", "c", config.DefaultFile, "the config file whose accounts the sandbox serves")
	cmd.Flags().StringVar(&opts.Listen, "listen", "", "TLS `address` of the gateway (default: the host and port of the config's development endpoint_url when it is on this machine, else 127.0.0.1:4566)")
	cmd.Flags().StringVar(&opts.EnvFile, "env-file", "", "also write the environment lines to `PATH` (mode 0600)")
	cmd.Flags().StringVar(&opts.DataDir, "data-dir", "", "keep the accounts' data in `DIR` across restarts (default: in memory)")
	cmd.Flags().StringVar(&opts.Faults, "faults", "", "inject AWS's own weather: `throttle=P,error=P,iam-delay=D` (the service's throttling error or a 5xx with probability P in [0,1]; IAM changes honoured only D later, e.g. 2s)")
	cmd.Flags().DurationVar(&opts.TrailInterval, "trail-interval", DefaultTrailDelivery, "how often CloudTrail delivers each logging trail's log files (AWS: about 5m)")
	cmd.Flags().DurationVar(&opts.TrailDigestInterval, "trail-digest-interval", DefaultTrailDigest, "how often CloudTrail delivers each validating trail's digest files (AWS: 1h)")
	cmd.Flags().Uint64Var(&opts.FaultSeed, "fault-seed", 0, "the seed of --faults: the same seed gives the same faults for the same requests")
	user := &cobra.Command{Use: "user", Short: "Make Development users on a running sandbox", Args: cobra.NoArgs}
	user.AddCommand(newCmdSandboxUserCreate(f, nil))
	cmd.AddCommand(user, newCmdSandboxMFACode(f, nil))
	return cmd
}

// mfaCodeOptions are the inputs of `xacct sandbox mfa-code`.
type mfaCodeOptions struct {
	Seed string
}

func newCmdSandboxMFACode(f *Factory, runF func(*mfaCodeOptions) error) *cobra.Command {
	opts := &mfaCodeOptions{}
	return &cobra.Command{
		Use:   "mfa-code SEED",
		Short: "Print the current code of a virtual MFA device, as an authenticator app does",
		Long: `Print the six-digit code (RFC 6238: HMAC-SHA1, 30-second steps) that a virtual
MFA device with the Base32 seed SEED shows now: the seed xacct sandbox user
create --mfa printed (or the Base32StringSeed of aws iam
create-virtual-mfa-device). It calls nothing; any authenticator app, or
oathtool --totp -b SEED, gives the same code.`,
		Example: `  xacct sandbox mfa-code "$(sed -n 's/^mfa_seed = //p' carol.txt)"`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Seed = args[0]
			if runF != nil {
				return runF(opts)
			}
			code, err := operation.TOTP(opts.Seed, f.now())
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(f.IO.Out, code)
			return err
		},
	}
}

// sandboxUserOptions are the inputs of `xacct sandbox user create`.
type sandboxUserOptions struct {
	Config string
	Name   string
	Group  string
	MFA    bool
}

func newCmdSandboxUserCreate(f *Factory, runF func(*sandboxUserOptions) error) *cobra.Command {
	opts := &sandboxUserOptions{}
	cmd := &cobra.Command{
		Use:   "create NAME --group GROUP",
		Short: "Make a member of a group on the sandbox, with keys and an AWS CLI profile",
		Long: `Make the IAM user NAME in the sandbox's Development account, add it to the
group, make its access key, and print the key and the AWS CLI profile that acts
through the group's role (the one xacct output --aws-config prints).

It prints the access key's secret, once: the sandbox's own, valid nowhere else.
It refuses a config whose development account is not a sandbox on this machine
(endpoint_url on localhost): on AWS, users come from the account's owners.
Signs in as xacct does (the environment xacct sandbox --env-file wrote).

Where the group requires MFA, or with --mfa, the user also gets a virtual MFA
device, enabled as a person enables one, and the profile its mfa_serial. The
device's seed is printed once, as IAM returns it: it is what an authenticator
app holds. xacct sandbox mfa-code SEED prints the current code, which the
sandbox checks as AWS does.`,
		Example: `  . .xacct/sandbox.env
  xacct sandbox user create alice --group developers -c examples/sandbox.yaml
  xacct sandbox user create carol --group developers --mfa -c examples/sandbox.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if opts.Group == "" {
				return errors.New("--group is required: the key of the group the user joins (groups.<key> in the config)")
			}
			if runF != nil {
				return runF(opts)
			}
			return sandboxUserRun(cmd.Context(), f, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Config, "config", "c", config.DefaultFile, "the config `file` of the stack on the sandbox")
	cmd.Flags().StringVar(&opts.Group, "group", "", "the `GROUP` (its key or IAM group name) the user joins")
	cmd.Flags().BoolVar(&opts.MFA, "mfa", false, "give the user a virtual MFA device and the profile its mfa_serial (automatic where the group requires MFA)")
	return cmd
}

func sandboxUserRun(ctx context.Context, f *Factory, opts *sandboxUserOptions) error {
	u, err := operation.CreateSandboxUser(ctx, f.env(), opts.Config, opts.Name, opts.Group, opts.MFA)
	if err != nil {
		return err
	}
	return sandboxUserText(f.IO.Out, u, f.getenv("AWS_CA_BUNDLE"))
}

// tryCommand is an AWS CLI command the member's role may run: an upload
// where the group may put objects, else a listing or a download.
func tryCommand(p operation.MemberProfile) string {
	switch a := p.Group.Actions; {
	case slices.Contains(a, "s3:PutObject"):
		return fmt.Sprintf("echo hello > hello.txt && aws --profile %s s3 cp hello.txt s3://%s/hello.txt", p.Group.RoleName, p.Bucket)
	case slices.Contains(a, "s3:ListBucket"):
		return fmt.Sprintf("aws --profile %s s3 ls s3://%s/", p.Group.RoleName, p.Bucket)
	default:
		return fmt.Sprintf("aws --profile %s s3 cp s3://%s/KEY .", p.Group.RoleName, p.Bucket)
	}
}

// sandboxUserText shows a new sandbox user: its key, once, and its profile.
func sandboxUserText(w io.Writer, u *operation.SandboxUser, caBundle string) error {
	p := u.Profile
	var b strings.Builder
	fmt.Fprintf(&b, "Created %s (%s), a member of %s.\n\n", p.User, u.ARN, p.Group.GroupName)
	fmt.Fprintf(&b, "Its access key, printed this once (the sandbox's own, valid nowhere else): add it to ~/.aws/credentials\n")
	fmt.Fprintf(&b, "[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n\n", p.User, u.AccessKeyID, u.SecretAccessKey)
	fmt.Fprintf(&b, "Its profile through %s: add it to ~/.aws/config (xacct output --aws-config %s --user %s prints it again)\n", p.Group.RoleName, p.Group.Key, p.User)
	if err := awsConfigText(&b, []operation.MemberProfile{p}, profileOptions{CABundle: caBundle}); err != nil {
		return err
	}
	if u.MFASeed != "" {
		fmt.Fprintf(&b, "\nIts virtual MFA device %s, enabled. Its seed, printed this once (what an authenticator app holds):\n", p.MFASerial)
		fmt.Fprintf(&b, "mfa_seed = %s\n", u.MFASeed)
		fmt.Fprintf(&b, "The AWS CLI asks for the device's code: xacct sandbox mfa-code %s prints it (or oathtool --totp -b %s).\n", u.MFASeed, u.MFASeed)
	}
	fmt.Fprintf(&b, "\nThen: %s\n", tryCommand(p))
	_, err := io.WriteString(w, b.String())
	return err
}

// sandboxRun checks the config, then runs the sandbox in this process when
// the binary carries it (xacct-sandbox), else hands the whole command line
// to xacct-sandbox (sandboxexec.go).
func sandboxRun(ctx context.Context, f *Factory, opts *sandboxOptions) error {
	cfg, err := config.Load(opts.Config)
	if err != nil {
		return err
	}
	if f.Sandbox == nil {
		return execSandbox(f)
	}
	if err := f.Sandbox.CheckFaults(opts.Faults); err != nil {
		return err
	}
	var accounts []SandboxAccount
	for _, a := range cfg.Accounts.All() {
		accounts = append(accounts, SandboxAccount{Name: a.Name, ID: a.ID, AdminRoleName: a.RoleName()})
	}
	listen := opts.Listen
	if listen == "" {
		listen = defaultListen(cfg)
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	sb, err := f.Sandbox.Start(ctx, SandboxStart{
		Accounts:         accounts,
		Region:           cfg.Region,
		Listen:           listen,
		DataDir:          opts.DataDir,
		Faults:           opts.Faults,
		FaultSeed:        opts.FaultSeed,
		TrailDelivery:    opts.TrailInterval,
		TrailDigest:      opts.TrailDigestInterval,
		ProcessorPackage: cfg.Production.Processor.Package,
		Logf: func(format string, args ...any) {
			fmt.Fprintf(opts.IO.ErrOut, format+"\n", args...)
		},
	})
	if err != nil {
		return withHint(err, "is another sandbox already listening on "+listen+"? Stop it, or choose another address with --listen (and the same port in the config's endpoint_url)")
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
	tlsURL, httpURL := sb.URLs()
	fmt.Fprintf(opts.IO.ErrOut, "sandbox: serving accounts %s on %s (plain HTTP on %s); Ctrl-C stops it\n",
		accountList(cfg), tlsURL, httpURL)
	<-ctx.Done()
	fmt.Fprintln(opts.IO.ErrOut, "sandbox: stopping")
	return nil
}

// defaultListen is where the config expects the sandbox: the host and port
// of the development account's endpoint_url when it is on this machine
// (examples/sandbox.yaml: https://127.0.0.1:4566), else 127.0.0.1:4566.
func defaultListen(cfg *config.Config) string {
	u, err := url.Parse(cfg.Accounts.Development.EndpointURL)
	if err != nil || u.Scheme != "https" || u.Port() == "" {
		return "127.0.0.1:4566"
	}
	switch u.Hostname() {
	case "127.0.0.1", "localhost", "::1":
		return u.Host
	}
	return "127.0.0.1:4566"
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
