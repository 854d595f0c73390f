package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/xacct/xacct/internal/config"
	"github.com/xacct/xacct/internal/graph"
)

// graphOptions are the inputs of `xacct graph`.
type graphOptions struct {
	Config string
	Format string
}

func newCmdGraph(f *Factory, runF func(*graphOptions) error) *cobra.Command {
	opts := &graphOptions{}
	cmd := &cobra.Command{
		Use:   "graph",
		Short: "Draw the pattern the config deploys (Mermaid or DOT)",
		Long: `Draw the three accounts as subgraphs with the groups, roles, buckets, the
metadata processor and the writer role, each edge labelled with what it allows.
Reads only the config.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Format != "mermaid" && opts.Format != "dot" {
				return fmt.Errorf("--format %q: must be mermaid or dot", opts.Format)
			}
			if runF != nil {
				return runF(opts)
			}
			cfg, err := config.Load(opts.Config)
			if err != nil {
				return err
			}
			if opts.Format == "dot" {
				return graph.DOT(f.IO.Out, cfg)
			}
			return graph.Mermaid(f.IO.Out, cfg)
		},
	}
	cmd.Flags().StringVarP(&opts.Config, "config", "c", config.DefaultFile, "the config `file`")
	cmd.Flags().StringVar(&opts.Format, "format", "mermaid", "mermaid or dot")
	return cmd
}
