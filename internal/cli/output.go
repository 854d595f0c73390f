package cli

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/xacct/xacct/internal/config"
	"github.com/xacct/xacct/internal/operation"
)

// outputOptions are the inputs of `xacct output`.
type outputOptions struct {
	Config string
	// Name is one output to print ("" for all).
	Name string
	JSON bool
	// AWSConfig is the group whose members' AWS CLI profile to print.
	AWSConfig string
	User      string
	// SourceProfile holds the member's own keys (default: the user name).
	SourceProfile string
	// CABundle is the sandbox's CA for the profile (default: AWS_CA_BUNDLE).
	CABundle string
	// CredentialProcess prints the profile for AWS CLIs that ignore
	// endpoint_url (the sandbox only).
	CredentialProcess bool
}

func (o *outputOptions) validate() error {
	if o.AWSConfig == "" {
		for flag, set := range map[string]bool{"--user": o.User != "", "--source-profile": o.SourceProfile != "", "--ca-bundle": o.CABundle != "", "--credential-process": o.CredentialProcess} {
			if set {
				return fmt.Errorf("%s goes with --aws-config GROUP", flag)
			}
		}
		return nil
	}
	if o.Name != "" || o.JSON {
		return errors.New("--aws-config prints a profile: it takes no NAME and no --json")
	}
	return nil
}

func newCmdOutput(f *Factory, runF func(*outputOptions) error) *cobra.Command {
	opts := &outputOptions{}
	cmd := &cobra.Command{
		Use:   "output [NAME]",
		Short: "Print the stack's role ARNs, bucket names and the AWS CLI profile of a group's members",
		Long: `Print what a user passes on: the groups' role ARNs, the bucket names, the
processor's ARN, the log bucket and the trails. Every name derives from the
config, so it reads the config only: no AWS call (the values are what plan and
apply deploy, whether or not they are deployed yet).

With NAME, print that output alone (a string as it is, for scripts); with
--json, as JSON.

With --aws-config GROUP, print the AWS CLI profile a member of that group pastes
into ~/.aws/config (one per member the config lists, or --user's): the role,
the source profile holding the member's own keys, role_session_name (the role's
trust requires the session to be named after the member's IAM user), mfa_serial
when the group requires MFA, the region, and for the local sandbox its
endpoint_url and ca_bundle.`,
		Example: `  xacct output
  xacct output production_bucket
  xacct output --json | jq -r .group_role_arns.developers
  xacct output --aws-config developers --user alice >> ~/.aws/config`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Name = args[0]
			}
			if err := opts.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return outputRun(f, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Config, "config", "c", config.DefaultFile, "the config `file`")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the outputs as a JSON object (with NAME: its value)")
	cmd.Flags().StringVar(&opts.AWSConfig, "aws-config", "", "print the AWS CLI profile of a member of `GROUP` (its key or IAM group name)")
	cmd.Flags().StringVar(&opts.User, "user", "", "the member's IAM user `NAME` (default: each member the config lists)")
	cmd.Flags().StringVar(&opts.SourceProfile, "source-profile", "", "the profile holding the member's own keys (default: the user name)")
	cmd.Flags().StringVar(&opts.CABundle, "ca-bundle", "", "the sandbox's CA `file` for the profile (default: $AWS_CA_BUNDLE)")
	cmd.Flags().BoolVar(&opts.CredentialProcess, "credential-process", false, "sandbox only: a profile for AWS CLIs that ignore endpoint_url (before 2.13 and 1.29, such as Debian 12's 2.9)")
	return cmd
}

func outputRun(f *Factory, opts *outputOptions) error {
	cfg, err := config.Load(opts.Config)
	if err != nil {
		return err
	}
	if opts.AWSConfig != "" {
		profiles, err := operation.MemberProfiles(cfg, opts.AWSConfig, opts.User)
		if err != nil {
			return err
		}
		ca := opts.CABundle
		if ca == "" {
			ca = f.getenv("AWS_CA_BUNDLE")
		}
		return awsConfigText(f.IO.Out, profiles, profileOptions{SourceProfile: opts.SourceProfile, CABundle: ca, CredentialProcess: opts.CredentialProcess})
	}
	outs := operation.Outputs(cfg)
	if opts.Name != "" {
		i := slices.IndexFunc(outs, func(o operation.Output) bool { return o.Name == opts.Name })
		if i < 0 {
			var names []string
			for _, o := range outs {
				names = append(names, o.Name)
			}
			return fmt.Errorf("no output %q (the outputs: %s)", opts.Name, strings.Join(names, ", "))
		}
		outs = outs[i : i+1]
	}
	if opts.JSON {
		return outputJSON(f.IO.Out, outs, opts.Name != "")
	}
	return outputText(f.IO.Out, outs, opts.Name != "")
}
