// Package cli holds xacct's cobra commands: options, flags, prompts, output
// streams, exit codes and the wiring between them. It is the only package
// that reads the environment, prints or decides the exit code; the work
// itself is done by the packages below it.
package cli

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/xacct/xacct/internal/awsacct"
	"github.com/xacct/xacct/internal/sandbox"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitError   = 1
	ExitChanges = 2 // plan --detailed-exitcode: changes present
)

// Factory builds what commands depend on. Tests swap its fields.
type Factory struct {
	IO  *IOStreams
	AWS awsacct.BaseConfig
	Now func() time.Time
	// NoColor is set by the NO_COLOR environment variable.
	NoColor bool
}

// hintError is an error with advice on what to do about it.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }

// Main runs xacct with the process's arguments and streams and returns the
// exit code.
func Main() int {
	if sandbox.IsChild(os.Args) {
		// This process is one account's kumo, started by `xacct sandbox`.
		return sandbox.RunChild(os.Args, os.Stdin, os.Stdout)
	}
	f := &Factory{IO: System(), AWS: defaultAWSConfig, Now: time.Now, NoColor: os.Getenv("NO_COLOR") != ""}
	return Run(f, nil)
}

// Run executes the root command with args (nil: the process's arguments)
// and prints any error as "Error: …" with a "Hint: …" where there is one.
func Run(f *Factory, args []string) int {
	root := NewRootCmd(f)
	if args != nil {
		root.SetArgs(args)
	}
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	fmt.Fprintf(f.IO.ErrOut, "Error: %v\n", err)
	var h *hintError
	if errors.As(err, &h) && h.hint != "" {
		fmt.Fprintf(f.IO.ErrOut, "Hint: %s\n", h.hint)
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
	root.AddCommand(newCmdPolicy(f))
	root.AddCommand(newCmdSandbox(f, nil))
	root.AddCommand(newCmdPlan(f), newCmdApply(f), newCmdDestroy(f), newCmdForceUnlock(f), newCmdVerify(f))
	root.AddCommand(newCmdState(f), newCmdVersion(f), newCmdCompletion(f), newCmdGraph(f), newCmdShow(f), newCmdImport(f))
	return root
}
