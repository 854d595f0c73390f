package cli

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/spf13/cobra"

	"github.com/xacct/xacct/internal/config"
	"github.com/xacct/xacct/internal/resource"
	"github.com/xacct/xacct/internal/stack"
	"github.com/xacct/xacct/internal/state"
	"github.com/xacct/xacct/policies"
)

func newCmdState(f *Factory) *cobra.Command {
	var cfgFile string
	cmd := &cobra.Command{
		Use:   "state",
		Short: "Inspect, move and edit what xacct manages",
	}
	cmd.PersistentFlags().StringVarP(&cfgFile, "config", "c", config.DefaultFile, "the config `file`")
	load := func() (*config.Config, state.Store, error) {
		cfg, err := config.Load(cfgFile)
		if err != nil {
			return nil, nil, err
		}
		if cfg.State.Backend == "local" {
			st, err := state.Open(cfg.State.Path, cfg.Stack)
			return cfg, st, err
		}
		clients, err := connect(context.Background(), cfg, f.AWS)
		if err != nil {
			return nil, nil, err
		}
		st, err := openState(context.Background(), cfg, clients)
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
			if err := st.Acquire(cmd.Context(), whoAmI(), "state rm", f.Now()); err != nil {
				return err
			}
			defer func() { _ = st.Release(cmd.Context()) }()
			if err := st.Remove(cmd.Context(), args[0]); err != nil {
				return err
			}
			_, err = fmt.Fprintf(f.IO.Out, "Removed %s from the state; the resource itself is unchanged.\n", args[0])
			return err
		},
	}
	cmd.AddCommand(list, show, rm, newCmdStateBootstrap(f, &cfgFile), newCmdStateMigrate(f, &cfgFile))
	return cmd
}

// newCmdStateBootstrap creates and hardens the S3 state bucket.
func newCmdStateBootstrap(f *Factory, cfgFile *string) *cobra.Command {
	return &cobra.Command{
		Use:   "bootstrap",
		Short: "Create the S3 state bucket, hardened (versioning, encryption, Block Public Access, TLS only)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Load(*cfgFile)
			if err != nil {
				return err
			}
			b := cfg.State.S3
			if b.Bucket == "" {
				return &hintError{err: fmt.Errorf("the config has no state.s3 block"), hint: "add state: {backend: s3, s3: {account: development, bucket: …, key: …}}"}
			}
			ctx := cmd.Context()
			clients, err := connect(ctx, cfg, f.AWS)
			if err != nil {
				return err
			}
			c := clients[b.Account]
			tags := stack.Tags(cfg)
			tags["xacct:role"] = "state"
			desired := resource.BucketValue{Name: b.Bucket, Encryption: "AES256", Ownership: "BucketOwnerEnforced", Versioning: "Enabled", Tags: tags,
				PublicAccessBlock: resource.PublicAccessBlock{BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true}}
			want, _ := json.Marshal(desired)
			bucket := resource.AllKinds()["s3_bucket"]
			cur, err := bucket.Read(ctx, c, b.Bucket)
			if err != nil {
				return err
			}
			switch {
			case cur == nil:
				err = bucket.Create(ctx, c, b.Bucket, want)
			case resource.TagsOf(cur)[resource.TagStack] != cfg.Stack:
				return fmt.Errorf("bucket %s exists and is not this stack's (no %s=%s tag); choose another state bucket", b.Bucket, resource.TagStack, cfg.Stack)
			default:
				err = bucket.Update(ctx, c, b.Bucket, cur, want)
			}
			if err != nil {
				return err
			}
			doc, err := policies.Render("tls-only-bucket.json.tmpl", policies.Bucket{Bucket: b.Bucket})
			if err != nil {
				return err
			}
			pol, _ := json.Marshal(resource.BucketPolicyValue{Bucket: b.Bucket, Policy: resource.PolicyValue(doc)})
			if err := resource.AllKinds()["s3_bucket_policy"].Create(ctx, c, b.Bucket, pol); err != nil {
				return err
			}
			_, err = fmt.Fprintf(f.IO.Out, "State bucket s3://%s in the %s account is ready: versioned, encrypted, public access blocked, TLS only.\n", b.Bucket, b.Account)
			return err
		},
	}
}

// newCmdStateMigrate copies the state from one backend to the other.
func newCmdStateMigrate(f *Factory, cfgFile *string) *cobra.Command {
	var to string
	cmd := &cobra.Command{
		Use:   "migrate --to s3|local",
		Short: "Move the state between the local file and S3",
		Long: `Copy the state from the other backend (state.path or state.s3 of the config) to
the one named by --to, keeping its lineage and serial, with both locked. Then set
state.backend to the new one. A non-empty state of another lineage at the target
is never overwritten.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Load(*cfgFile)
			if err != nil {
				return err
			}
			if to != "s3" && to != "local" {
				return fmt.Errorf("--to %q: must be s3 or local", to)
			}
			if cfg.State.S3.Bucket == "" {
				return &hintError{err: fmt.Errorf("the config has no state.s3 block"), hint: "add state.s3 {account, bucket, key} first"}
			}
			ctx := cmd.Context()
			clients, err := connect(ctx, cfg, f.AWS)
			if err != nil {
				return err
			}
			b := cfg.State.S3
			local, err := state.Open(cfg.State.Path, cfg.Stack)
			if err != nil {
				return err
			}
			remote, err := state.OpenS3(ctx, clients[b.Account].S3.(*s3.Client), b.Bucket, b.Key, cfg.Stack)
			if err != nil {
				return err
			}
			var from, dst state.Store = remote, local
			if to == "s3" {
				from, dst = local, remote
			}
			for _, s := range []state.Store{from, dst} {
				if err := s.Acquire(ctx, whoAmI(), "state migrate", f.Now()); err != nil {
					return err
				}
				defer func() { _ = s.Release(ctx) }()
			}
			src, cur := from.Snapshot(), dst.Snapshot()
			if len(src.Resources) == 0 {
				return fmt.Errorf("the source state is empty: nothing to migrate")
			}
			if len(cur.Resources) > 0 && cur.Lineage != src.Lineage {
				return fmt.Errorf("the %s state already holds %d resources of another lineage (%s); it is not overwritten", to, len(cur.Resources), cur.Lineage)
			}
			if err := dst.Replace(ctx, src); err != nil {
				return err
			}
			_, err = fmt.Fprintf(f.IO.Out, "Copied %d resources (lineage %s, serial %d) to the %s state. Now set state.backend: %s in %s.\n",
				len(src.Resources), src.Lineage, src.Serial, to, to, cfg.File)
			return err
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "the backend to move the state to: s3 or local")
	return cmd
}
