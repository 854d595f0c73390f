package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/xacct/xacct/internal/config"
	"github.com/xacct/xacct/internal/graph"
)

func newCmdGraph(f *Factory) *cobra.Command {
	var cfgFile, format string
	cmd := &cobra.Command{
		Use:   "graph",
		Short: "Draw the pattern the config deploys (Mermaid or DOT)",
		Long: `Draw the three accounts as subgraphs with the groups, roles, buckets, the
metadata processor and the writer role, each edge labelled with what it allows.
Reads only the config.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Load(cfgFile)
			if err != nil {
				return err
			}
			switch format {
			case "mermaid":
				return graph.Mermaid(f.IO.Out, cfg)
			case "dot":
				return graph.DOT(f.IO.Out, cfg)
			}
			return fmt.Errorf("--format %q: must be mermaid or dot", format)
		},
	}
	cmd.Flags().StringVarP(&cfgFile, "config", "c", config.DefaultFile, "the config `file`")
	cmd.Flags().StringVar(&format, "format", "mermaid", "mermaid or dot")
	return cmd
}
