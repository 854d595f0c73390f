package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/xacct/xacct/internal/resource"
	"github.com/xacct/xacct/internal/state"
)

func newCmdImport(f *Factory) *cobra.Command {
	o := &coreOptions{IO: f.IO, AWS: f.AWS, Now: f.Now, NoColor: f.NoColor}
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
			addr, err := resource.ParseAddress(args[0])
			if err != nil {
				return err
			}
			if addr.Name != args[1] {
				return fmt.Errorf("ID %q does not match the address's name %q: xacct names resources by their AWS name", args[1], addr.Name)
			}
			ctx, cancel := signalContext(cmd.Context())
			defer cancel()
			s, err := open(ctx, o, "import", true, needNames)
			if err != nil {
				return err
			}
			defer s.close()
			found := false
			for _, r := range s.desired {
				found = found || r.Addr == addr
			}
			if !found {
				return &hintError{err: fmt.Errorf("%s is not a resource of this config", addr), hint: "xacct plan lists the config's resources"}
			}
			if _, ok := s.st.Snapshot().Resources[addr.String()]; ok {
				return fmt.Errorf("%s is already in the state", addr)
			}
			v, err := resource.AllKinds()[addr.Kind].Read(ctx, s.clients[addr.Account], addr.Name)
			if err != nil {
				return err
			}
			if v == nil {
				return fmt.Errorf("%s does not exist in the %s account: nothing to import", addr, addr.Account)
			}
			if err := s.st.Put(ctx, addr.String(), state.Entry{Kind: addr.Kind, Account: addr.Account, Name: addr.Name, Value: v}); err != nil {
				return err
			}
			_, err = fmt.Fprintf(o.IO.Out, "Imported %s. Run xacct plan to see what apply would change on it.\n", addr)
			return err
		},
	}
	cmd.Flags().StringVarP(&o.Config, "config", "c", "xacct.yaml", "the config `file`")
	o.Parallelism = 10
	return cmd
}
