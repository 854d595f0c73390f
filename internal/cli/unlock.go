package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/xacct/xacct/internal/config"
	"github.com/xacct/xacct/internal/operation"
)

// forceUnlockOptions are the inputs of `xacct force-unlock`.
type forceUnlockOptions struct {
	Config string
	LockID string
}

func newCmdForceUnlock(f *Factory, runF func(*forceUnlockOptions) error) *cobra.Command {
	opts := &forceUnlockOptions{}
	cmd := &cobra.Command{
		Use:   "force-unlock LOCK_ID",
		Short: "Remove a state lock left by a run that is gone",
		Long: `Remove the state lock with the given ID. Only do this when the process that
holds it is gone: two runs applying at once can leave resources behind.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.LockID = args[0]
			if runF != nil {
				return runF(opts)
			}
			ctx, cancel := signalContext(cmd.Context())
			defer cancel()
			where, err := operation.ForceUnlock(ctx, f.env(), opts.Config, opts.LockID)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(f.IO.Out, "The state %s is unlocked.\n", where)
			return err
		},
	}
	cmd.Flags().StringVarP(&opts.Config, "config", "c", config.DefaultFile, "the config `file`")
	return cmd
}
