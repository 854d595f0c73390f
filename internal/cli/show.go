package cli

import (
	"github.com/spf13/cobra"

	"github.com/xacct/xacct/internal/operation"
)

// showOptions are the inputs of `xacct show`.
type showOptions struct {
	PlanFile string
	JSON     bool
}

func newCmdShow(f *Factory, runF func(*showOptions) error) *cobra.Command {
	opts := &showOptions{}
	cmd := &cobra.Command{
		Use:   "show PLAN_FILE",
		Short: "Print a saved plan",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.PlanFile = args[0]
			if runF != nil {
				return runF(opts)
			}
			sp, err := operation.ReadSaved(opts.PlanFile)
			if err != nil {
				return err
			}
			if opts.JSON {
				return planJSON(f.IO.Out, sp.Plan)
			}
			return planText(f.IO.Out, sp.Plan, f.color())
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the plan as JSON")
	return cmd
}
