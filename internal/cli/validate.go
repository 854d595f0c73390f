package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/xacct/xacct/internal/config"
	"github.com/xacct/xacct/internal/operation"
)

// validateOptions are the inputs of `xacct validate`.
type validateOptions struct {
	Config string
}

func newCmdValidate(f *Factory, runF func(*validateOptions) error) *cobra.Command {
	opts := &validateOptions{}
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check the config, the policy templates and the processor package, offline",
		Long: `Check what plan checks before its first AWS call: the config (every key, name
and action, with file:line), the policy templates rendered with it, and the
metadata processor's package (present, a Lambda package for the configured
architecture). It makes no AWS call and needs no credentials, so CI can run it
on every change. Exit 0 when valid, 1 when not.`,
		Example: `  xacct validate -c xacct.yaml`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return validateRun(f, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Config, "config", "c", config.DefaultFile, "the config `file`")
	return cmd
}

func validateRun(f *Factory, opts *validateOptions) error {
	v, err := operation.Validate(operation.Options{Config: opts.Config})
	if err != nil {
		return err
	}
	c := v.Config
	fmt.Fprintf(f.IO.Out, "%s is valid: stack %s, %d resources in 3 accounts; processor package %s (%s, sha256 %s).\n",
		c.File, c.Stack, v.Resources, c.Production.Processor.Package, c.Production.Processor.Architecture, v.CodeSha256)
	return nil
}
