package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/xacct/xacct/internal/iampolicy"
)

func newCmdPolicy(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Work with IAM policy documents offline",
	}
	cmd.AddCommand(newCmdPolicySimulate(f, nil))
	return cmd
}

// simulateOptions are the inputs of `xacct policy simulate`.
type simulateOptions struct {
	IO   *IOStreams
	File string // "" or "-": standard input
}

func newCmdPolicySimulate(f *Factory, runF func(*simulateOptions) error) *cobra.Command {
	opts := &simulateOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: "Decide one request against IAM policies, offline",
		Long: `Decide one request the way AWS's policy evaluation logic does, with no AWS call.

The request is read as JSON from standard input (or --file):

  {"principal": "arn:aws:sts::111111111111:assumed-role/dev/alice",
   "principal_account": "111111111111",
   "action": "s3:PutObject",
   "resource": "arn:aws:s3:::acme-data-prod/a.txt",
   "resource_account": "222222222222",
   "context": {"aws:SecureTransport": "true", "aws:SourceIp": ["10.0.0.1"]},
   "identity_policies": [{"Version": "2012-10-17", "Statement": [...]}],
   "resource_policy": {...},
   "permissions_boundary": null,
   "session_policy": null}

"principal": "*" is an anonymous caller; principal_account may be omitted when
the principal ARN names it. For sts: actions the resource policy is the role's
trust policy ("resource_policy_type": "resource" or "trust" to say otherwise).

The decision is printed as JSON on standard output:

  {"decision": "Allowed|ExplicitDeny|ImplicitDeny",
   "reasons": [{"policy": "...", "statement": "...", "effect": "..."}],
   "detail": "..."}

Exit status is 0 for any decision and 1 for invalid input.`,
		Example: `  echo '{"principal":"arn:aws:iam::111111111111:user/alice","action":"s3:GetObject",
    "resource":"arn:aws:s3:::b/k","identity_policies":[{"Version":"2012-10-17",
    "Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}]}' \
    | xacct policy simulate`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return simulateRun(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.File, "file", "f", "", "read the request from `PATH` instead of standard input")
	return cmd
}

func simulateRun(opts *simulateOptions) error {
	var in io.Reader = opts.IO.In
	if opts.File != "" && opts.File != "-" {
		fh, err := os.Open(opts.File)
		if err != nil {
			return fmt.Errorf("read request: %w", err)
		}
		defer fh.Close()
		in = fh
	}
	req, err := iampolicy.DecodeRequest(in)
	if err != nil {
		return withHint(err, "run `xacct policy simulate --help` for the request shape")
	}
	res, err := iampolicy.Evaluate(req)
	if err != nil {
		return fmt.Errorf("request: %w", err)
	}
	out, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(opts.IO.Out, "%s\n", out)
	return err
}
