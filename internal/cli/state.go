package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/xacct/xacct/internal/config"
	"github.com/xacct/xacct/internal/operation"
)

// stateOptions are the inputs of the `xacct state` commands.
type stateOptions struct {
	Config  string
	JSON    bool   // list
	Address string // show, rm
	To      string // migrate
}

func newCmdState(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "state",
		Short: "Inspect, move and edit what xacct manages",
	}
	opts := &stateOptions{}
	cmd.PersistentFlags().StringVarP(&opts.Config, "config", "c", config.DefaultFile, "the config `file`")
	cmd.AddCommand(newCmdStateList(f, opts, nil), newCmdStateShow(f, opts, nil), newCmdStateRm(f, opts, nil),
		newCmdStateBootstrap(f, opts, nil), newCmdStateMigrate(f, opts, nil))
	return cmd
}

func newCmdStateList(f *Factory, opts *stateOptions, runF func(*stateOptions) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the resources in the state",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			v, err := operation.ReadState(cmd.Context(), f.env(), opts.Config)
			if err != nil {
				return err
			}
			if opts.JSON {
				return stateListJSON(f.IO.Out, v)
			}
			return stateListText(f.IO.Out, v)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print as JSON")
	return cmd
}

func newCmdStateShow(f *Factory, opts *stateOptions, runF func(*stateOptions) error) *cobra.Command {
	return &cobra.Command{
		Use:   "show ADDRESS",
		Short: "Show one resource as the state records it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Address = args[0]
			if runF != nil {
				return runF(opts)
			}
			e, err := operation.ShowState(cmd.Context(), f.env(), opts.Config, opts.Address)
			if err != nil {
				return err
			}
			return stateShowJSON(f.IO.Out, e)
		},
	}
}

func newCmdStateRm(f *Factory, opts *stateOptions, runF func(*stateOptions) error) *cobra.Command {
	return &cobra.Command{
		Use:   "rm ADDRESS",
		Short: "Forget a resource without deleting it",
		Long: `Remove a resource from the state. The resource itself is not touched; xacct
stops managing it (and will refuse to take it over again unless it is tagged
for this stack).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Address = args[0]
			if err := operation.ParseAddress(opts.Address); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			ctx, cancel := signalContext(cmd.Context())
			defer cancel()
			if err := operation.RemoveState(ctx, f.env(), opts.Config, opts.Address); err != nil {
				return err
			}
			_, err := fmt.Fprintf(f.IO.Out, "Removed %s from the state; the resource itself is unchanged.\n", opts.Address)
			return err
		},
	}
}

// newCmdStateBootstrap creates and hardens the S3 state bucket.
func newCmdStateBootstrap(f *Factory, opts *stateOptions, runF func(*stateOptions) error) *cobra.Command {
	return &cobra.Command{
		Use:   "bootstrap",
		Short: "Create the S3 state bucket, hardened (versioning, encryption, Block Public Access, TLS only)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			ctx, cancel := signalContext(cmd.Context())
			defer cancel()
			b, err := operation.BootstrapState(ctx, f.env(), opts.Config)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(f.IO.Out, "State bucket s3://%s in the %s account is ready: versioned, encrypted, public access blocked, TLS only.\n", b.Bucket, b.Account)
			return err
		},
	}
}

// newCmdStateMigrate copies the state from one backend to the other.
func newCmdStateMigrate(f *Factory, opts *stateOptions, runF func(*stateOptions) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate --to s3|local",
		Short: "Move the state between the local file and S3",
		Long: `Copy the state from the other backend (state.path or state.s3 of the config) to
the one named by --to, keeping its lineage and serial, with both locked. Then set
state.backend to the new one. A non-empty state of another lineage at the target
is never overwritten.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.To != "s3" && opts.To != "local" {
				return fmt.Errorf("--to %q: must be s3 or local", opts.To)
			}
			if runF != nil {
				return runF(opts)
			}
			ctx, cancel := signalContext(cmd.Context())
			defer cancel()
			m, err := operation.MigrateState(ctx, f.env(), opts.Config, opts.To)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(f.IO.Out, "Copied %d resources (lineage %s, serial %d) to the %s state. Now set state.backend: %s in %s.\n",
				m.Resources, m.Lineage, m.Serial, m.To, m.To, m.ConfigFile)
			return err
		},
	}
	cmd.Flags().StringVar(&opts.To, "to", "", "the backend to move the state to: s3 or local")
	return cmd
}
