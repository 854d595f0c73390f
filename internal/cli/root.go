// Package cli holds xacct's cobra commands: options, flags, prompts, output
// streams, exit codes and the wiring between them. It is the only package
// that reads the environment, prints or decides the exit code; the work
// itself is done by the packages below it.
package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/logging"
	"github.com/spf13/cobra"

	"github.com/xacct/xacct/internal/operation"
)

// Factory builds what commands depend on. Tests swap its fields.
type Factory struct {
	IO  *IOStreams
	AWS operation.BaseConfig
	Now func() time.Time
	// NoColor is set by the NO_COLOR environment variable.
	NoColor bool
	// Debug (--debug) prints an error's full detail (the AWS SDK's chain).
	Debug bool
	// Getenv reads the environment (nil: an empty one).
	Getenv func(string) string
	// Sandbox runs `xacct sandbox` in this process; nil (xacct) hands the
	// command line to the xacct-sandbox binary.
	Sandbox SandboxHost

	// args is the command line Run was given, for xacct-sandbox.
	args []string
}

// getenv reads the environment variable key through Getenv.
func (f *Factory) getenv(key string) string {
	if f.Getenv == nil {
		return ""
	}
	return f.Getenv(key)
}

// env is what operations take from the world outside.
func (f *Factory) env() operation.Env {
	return operation.Env{AWS: f.AWS, Now: f.Now, Who: whoAmI()}
}

// now is the time (Now, or the clock when a test left it nil).
func (f *Factory) now() time.Time {
	if f.Now == nil {
		return time.Now()
	}
	return f.Now()
}

// color says whether output may be colored: on a terminal, without NO_COLOR.
func (f *Factory) color() bool { return f.IO.IsTTY && !f.NoColor }

// whoAmI names this run in state locks.
func whoAmI() string {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, _ := os.Hostname()
	return name + "@" + host
}

// defaultAWSConfig loads the base credentials from the SDK's default chain
// (environment, shared config and credentials files, SSO, instance roles).
func defaultAWSConfig(ctx context.Context, profile string) (aws.Config, error) {
	// The SDK's own warnings (an instance-metadata fallback…) are not
	// xacct's output: a failed sign-in is said once, with a hint.
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithLogger(logging.Nop{})}
	if profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(profile))
	}
	return awsconfig.LoadDefaultConfig(ctx, opts...)
}

// Main runs xacct with the process's arguments and streams and returns the
// exit code.
func Main() int {
	startHeap(os.Getenv)
	f := &Factory{IO: System(), AWS: defaultAWSConfig, Now: time.Now, NoColor: os.Getenv("NO_COLOR") != "", Getenv: os.Getenv}
	return Run(f, nil)
}

// MainWithSandbox is the xacct-sandbox binary's Main: xacct, with `xacct
// sandbox` run in this process by h, and this process one account's kumo
// when a running sandbox started it as one.
func MainWithSandbox(h SandboxHost) int {
	if h.IsChild(os.Args) {
		return h.RunChild(os.Args, os.Stdin, os.Stdout)
	}
	startHeap(os.Getenv)
	f := &Factory{IO: System(), AWS: defaultAWSConfig, Now: time.Now, NoColor: os.Getenv("NO_COLOR") != "", Getenv: os.Getenv, Sandbox: h}
	return Run(f, nil)
}

// Run executes the root command with args (nil: the process's arguments)
// and prints any error as "Error: …" with a "Hint: …" where there is one.
func Run(f *Factory, args []string) int {
	root := NewRootCmd(f)
	if args != nil {
		root.SetArgs(args)
	} else {
		args = os.Args[1:]
	}
	f.args = args
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	fmt.Fprintf(f.IO.ErrOut, "Error: %v\n", err)
	var h *operation.HintError
	if errors.As(err, &h) && h.Hint != "" {
		fmt.Fprintf(f.IO.ErrOut, "Hint: %s\n", h.Hint)
	}
	if errors.As(err, &h) && h.Detail != "" {
		if f.Debug {
			fmt.Fprintf(f.IO.ErrOut, "Detail: %s\n", h.Detail)
		} else {
			fmt.Fprintln(f.IO.ErrOut, "(run with --debug for the AWS SDK's detail)")
		}
	}
	return ExitError
}

// NewRootCmd builds the xacct command tree.
func NewRootCmd(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "xacct",
		Short: "Provision and prove a secure cross-account S3 pattern",
		Long: `xacct provisions one security pattern across three AWS accounts (Development,
Production, Reporting) the way Terraform would, with the AWS SDK directly, and
proves that the access it deployed is exactly the access you meant.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	root.CompletionOptions.DisableDefaultCmd = true
	root.PersistentFlags().BoolVar(&f.Debug, "debug", false, "print an error's full detail (the AWS SDK's chain)")
	root.AddCommand(newCmdPolicy(f))
	root.AddCommand(newCmdSandbox(f, nil))
	root.AddCommand(newCmdPlan(f, nil), newCmdApply(f, nil), newCmdDestroy(f, nil), newCmdForceUnlock(f, nil), newCmdVerify(f, nil))
	root.AddCommand(newCmdReconcile(f, nil), newCmdAudit(f, nil))
	root.AddCommand(newCmdValidate(f, nil), newCmdOutput(f, nil))
	root.AddCommand(newCmdState(f), newCmdVersion(f), newCmdCompletion(f), newCmdGraph(f, nil), newCmdShow(f, nil), newCmdImport(f, nil))
	return root
}
