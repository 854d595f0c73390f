package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/xacct/xacct/internal/golden"
)

func TestValidateFlags(t *testing.T) {
	t.Parallel()
	checkOptions(t, newCmdValidate, []optionsCase[validateOptions]{
		{name: "defaults", want: validateOptions{Config: "xacct.yaml"}},
		{name: "config", args: []string{"-c", "x.yaml"}, want: validateOptions{Config: "x.yaml"}},
		{name: "no arguments", args: []string{"extra"}, wantErr: "unknown command"},
	})
}

func TestOutputFlags(t *testing.T) {
	t.Parallel()
	checkOptions(t, newCmdOutput, []optionsCase[outputOptions]{
		{name: "defaults", want: outputOptions{Config: "xacct.yaml"}},
		{name: "one as JSON", args: []string{"production_bucket", "--json", "-c", "x.yaml"}, want: outputOptions{Config: "x.yaml", Name: "production_bucket", JSON: true}},
		{name: "aws config", args: []string{"--aws-config", "developers", "--user", "alice", "--source-profile", "dev", "--ca-bundle", "ca.pem", "--credential-process"},
			want: outputOptions{Config: "xacct.yaml", AWSConfig: "developers", User: "alice", SourceProfile: "dev", CABundle: "ca.pem", CredentialProcess: true}},
		{name: "aws config with a name", args: []string{"region", "--aws-config", "developers"}, wantErr: "--aws-config prints a profile: it takes no NAME and no --json"},
		{name: "aws config as JSON", args: []string{"--aws-config", "developers", "--json"}, wantErr: "it takes no NAME and no --json"},
		{name: "user without aws config", args: []string{"--user", "alice"}, wantErr: "--user goes with --aws-config GROUP"},
		{name: "two names", args: []string{"a", "b"}, wantErr: "accepts at most 1 arg"},
	})
}

func TestSandboxUserCreateFlags(t *testing.T) {
	t.Parallel()
	checkOptions(t, newCmdSandboxUserCreate, []optionsCase[sandboxUserOptions]{
		{name: "every flag", args: []string{"alice", "--group", "developers", "--mfa", "-c", "x.yaml"},
			want: sandboxUserOptions{Config: "x.yaml", Name: "alice", Group: "developers", MFA: true}},
		{name: "no group", args: []string{"alice"}, wantErr: "--group is required"},
		{name: "no name", args: []string{"--group", "developers"}, wantErr: "accepts 1 arg(s), received 0"},
	})
}

// TestOutputGolden: every form of output, on a terminal and piped (the
// same bytes: nothing is colored), with no AWS call.
func TestOutputGolden(t *testing.T) {
	t.Parallel()
	cfg := filepath.Join("testdata", "output", "xacct.yaml")
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"all.txt", nil},
		{"all.json", []string{"--json"}},
		{"one.txt", []string{"group_role_arns"}},
		{"one.json", []string{"production_bucket", "--json"}},
		{"aws-config-members.txt", []string{"--aws-config", "developers"}},
		{"aws-config-mfa.txt", []string{"--aws-config", "Testers", "--source-profile", "carol-keys"}},
		{"aws-config-aws.txt", []string{"-c", filepath.Join("..", "..", "examples", "aws.yaml"), "--aws-config", "developers", "--user", "alice"}},
		{"aws-config-credential-process.txt", []string{"--aws-config", "developers", "--user", "dave", "--credential-process"}},
	} {
		for _, tty := range []bool{true, false} {
			t.Run(tt.name+map[bool]string{true: " tty", false: " piped"}[tty], func(t *testing.T) {
				t.Parallel()
				var out, errOut bytes.Buffer
				f := &Factory{IO: &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, IsTTY: tty},
					AWS: func(context.Context, string) (aws.Config, error) {
						t.Error("output asked for AWS credentials")
						return aws.Config{}, nil
					},
					Getenv: func(k string) string { return map[string]string{"AWS_CA_BUNDLE": "/tmp/sandbox/ca.pem"}[k] }}
				if code := Run(f, append([]string{"output", "-c", cfg}, tt.args...)); code != ExitOK {
					t.Fatalf("exit %d: %s", code, errOut.String())
				}
				golden.Check(t, filepath.Join("testdata", "output", tt.name), out.Bytes())
			})
		}
	}
}

// TestOutputErrors: a bad name, an unknown group, a group without members,
// an MFA group for a credential process, and a credential process on AWS
// are errors that say what to do.
func TestOutputErrors(t *testing.T) {
	t.Parallel()
	cfg := filepath.Join("testdata", "output", "xacct.yaml")
	aws := filepath.Join("..", "..", "examples", "aws.yaml")
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown output", []string{"-c", cfg, "bucket"}, `Error: no output "bucket" (the outputs: account_ids, backfill_role_arn,`},
		{"unknown group", []string{"-c", cfg, "--aws-config", "admins"}, `has no group "admins" (its groups: developers, testers)`},
		{"MFA by credential process", []string{"-c", cfg, "--aws-config", "testers", "--credential-process"}, "Hint: use an AWS CLI that reads endpoint_url"},
		{"credential process on AWS", []string{"-c", aws, "--aws-config", "developers", "--user", "alice", "--credential-process"}, "--credential-process is for the local sandbox"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := run(t, "", append([]string{"output"}, tt.args...)...)
			if code != ExitError || out != "" || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant %q", code, out, errOut, tt.want)
			}
		})
	}
}
