package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/xacct/xacct/internal/config"
	"github.com/xacct/xacct/internal/operation"
)

// importOptions are the inputs of `xacct import`.
type importOptions struct {
	Config  string
	Address string
	ID      string
}

func newCmdImport(f *Factory, runF func(*importOptions) error) *cobra.Command {
	opts := &importOptions{}
	cmd := &cobra.Command{
		Use:   "import ADDRESS ID",
		Short: "Bring an existing resource under xacct's management",
		Long: `Record an existing resource in the state as it is, so that xacct manages it from
now on; the next plan shows what apply would change on it. ADDRESS is one of the
config's resources (see xacct plan); ID is the resource's name in AWS, which for
every kind xacct manages is the last part of the address.`,
		Example: `  xacct import production/s3_bucket/acme-data-prod acme-data-prod`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Address, opts.ID = args[0], args[1]
			if err := operation.CheckImport(opts.Address, opts.ID); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			ctx, cancel := signalContext(cmd.Context())
			defer cancel()
			s, err := operation.Open(ctx, f.env(), operation.Options{Config: opts.Config, Parallelism: 10}, "import", true, operation.NeedNames)
			if err != nil {
				return err
			}
			defer s.Close()
			if err := s.Import(ctx, opts.Address, opts.ID); err != nil {
				return err
			}
			_, err = fmt.Fprintf(f.IO.Out, "Imported %s. Run xacct plan to see what apply would change on it.\n", opts.Address)
			return err
		},
	}
	cmd.Flags().StringVarP(&opts.Config, "config", "c", config.DefaultFile, "the config `file`")
	return cmd
}
