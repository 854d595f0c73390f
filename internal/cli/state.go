package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/xacct/xacct/internal/config"
	"github.com/xacct/xacct/internal/resource"
	"github.com/xacct/xacct/internal/state"
)

func newCmdState(f *Factory) *cobra.Command {
	var cfgFile string
	cmd := &cobra.Command{
		Use:   "state",
		Short: "Inspect and edit what xacct manages",
	}
	cmd.PersistentFlags().StringVarP(&cfgFile, "config", "c", config.DefaultFile, "the config `file`")
	load := func() (*config.Config, *state.Local, error) {
		cfg, err := config.Load(cfgFile)
		if err != nil {
			return nil, nil, err
		}
		st, err := state.Open(cfg.State.Path, cfg.Stack)
		return cfg, st, err
	}
	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List the resources in the state",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, st, err := load()
			if err != nil {
				return err
			}
			snap := st.Snapshot()
			if asJSON {
				type entry struct {
					Address string `json:"address"`
					Account string `json:"account"`
					Kind    string `json:"kind"`
					Name    string `json:"name"`
					Pending bool   `json:"pending,omitempty"`
				}
				out := struct {
					FormatVersion int     `json:"format_version"`
					Lineage       string  `json:"lineage"`
					Serial        int64   `json:"serial"`
					Resources     []entry `json:"resources"`
				}{FormatVersion: 1, Lineage: snap.Lineage, Serial: snap.Serial, Resources: []entry{}}
				for _, a := range snap.Addresses() {
					e := snap.Resources[a]
					out.Resources = append(out.Resources, entry{Address: a, Account: e.Account, Kind: e.Kind, Name: e.Name, Pending: e.Pending})
				}
				enc := json.NewEncoder(f.IO.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			}
			for _, a := range snap.Addresses() {
				suffix := ""
				if snap.Resources[a].Pending {
					suffix = " (creation not confirmed)"
				}
				fmt.Fprintln(f.IO.Out, a+suffix)
			}
			return nil
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	show := &cobra.Command{
		Use:   "show ADDRESS",
		Short: "Show one resource as the state records it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, st, err := load()
			if err != nil {
				return err
			}
			e, ok := st.Snapshot().Resources[args[0]]
			if !ok {
				return &hintError{err: fmt.Errorf("%s is not in the state", args[0]), hint: "xacct state list shows what is"}
			}
			var v any
			_ = json.Unmarshal(e.Value, &v)
			b, _ := json.MarshalIndent(map[string]any{"address": args[0], "account": e.Account, "kind": e.Kind, "name": e.Name, "pending": e.Pending, "value": v}, "", "  ")
			_, err = fmt.Fprintf(f.IO.Out, "%s\n", b)
			return err
		},
	}
	rm := &cobra.Command{
		Use:   "rm ADDRESS",
		Short: "Forget a resource without deleting it",
		Long: `Remove a resource from the state. The resource itself is not touched; xacct
stops managing it (and will refuse to take it over again unless it is tagged
for this stack).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := resource.ParseAddress(args[0]); err != nil {
				return err
			}
			_, st, err := load()
			if err != nil {
				return err
			}
			if _, ok := st.Snapshot().Resources[args[0]]; !ok {
				return &hintError{err: fmt.Errorf("%s is not in the state", args[0]), hint: "xacct state list shows what is"}
			}
			if err := st.Acquire(whoAmI(), "state rm", f.Now()); err != nil {
				return err
			}
			defer func() { _ = st.Release() }()
			if err := st.Remove(args[0]); err != nil {
				return err
			}
			_, err = fmt.Fprintf(f.IO.Out, "Removed %s from the state; the resource itself is unchanged.\n", args[0])
			return err
		},
	}
	cmd.AddCommand(list, show, rm)
	return cmd
}
