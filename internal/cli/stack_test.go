package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/xacct/xacct/internal/operation"
)

func TestConfirm(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		tty      bool
		answer   string
		wantErr  string
		wantHint string
	}{
		{name: "yes on a terminal", tty: true, answer: "yes\n"},
		{name: "yes with spaces", tty: true, answer: "  yes  \n"},
		{name: "anything else cancels", tty: true, answer: "y\n", wantErr: "cancelled: nothing was changed"},
		{name: "end of input cancels", tty: true, answer: "", wantErr: "cancelled: nothing was changed"},
		{name: "no terminal", tty: false, answer: "yes\n", wantErr: "no terminal to confirm on", wantHint: "review the plan, then pass --auto-approve"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			err := confirm(&IOStreams{In: strings.NewReader(tt.answer), Out: &out, IsTTY: tt.tty}, "Do you want to perform these actions?")
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
			} else if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("error = %v, want %q", err, tt.wantErr)
			}
			var h *operation.HintError
			if tt.wantHint != "" && (!errors.As(err, &h) || h.Hint != tt.wantHint) {
				t.Errorf("hint = %v, want %q", h, tt.wantHint)
			}
			asked := strings.Contains(out.String(), "Only 'yes' will be accepted")
			if asked != tt.tty {
				t.Errorf("asked = %v on tty = %v: %q", asked, tt.tty, out.String())
			}
		})
	}
}

// TestInputsAreCheckedBeforeAnyCall: with no config and no AWS at all,
// these commands fail on their own arguments first.
func TestInputsAreCheckedBeforeAnyCall(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"json without approval", []string{"apply", "--json"},
			"Error: --json needs --auto-approve: there is no prompt in JSON mode\nHint: review the plan with xacct plan --json first\n"},
		{"saved plan missing", []string{"apply", "missing.plan", "-c", "missing.yaml"},
			"Error: read saved plan: open missing.plan: no such file or directory\n"},
		{"import ID", []string{"import", "production/s3_bucket/b", "c", "-c", "missing.yaml"},
			"Error: ID \"c\" does not match the address's name \"b\": xacct names resources by their AWS name\n"},
		{"state rm address", []string{"state", "rm", "b", "-c", "missing.yaml"},
			"Error: \"b\" is not a resource address (account/kind/name)\n"},
		{"parallelism", []string{"destroy", "--parallelism", "0", "-c", "missing.yaml"}, "Error: --parallelism must be at least 1\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out, errOut bytes.Buffer
			f := &Factory{IO: &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}}
			if code := Run(f, tt.args); code != ExitError {
				t.Errorf("exit %d, want %d", code, ExitError)
			}
			if errOut.String() != tt.want || out.Len() != 0 {
				t.Errorf("stderr %q, stdout %q; want stderr %q", errOut.String(), out.String(), tt.want)
			}
		})
	}
}

// TestSignInErrorsArePlain: without credentials a command says so once, with
// a hint; the SDK's chain only with --debug.
func TestSignInErrorsArePlain(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "xacct.yaml")
	yaml := `stack: acme-data
region: us-east-1
accounts:
  development: { id: "111111111111", endpoint_url: "http://127.0.0.1:1" }
  production: { id: "222222222222", endpoint_url: "http://127.0.0.1:1" }
  reporting: { id: "333333333333", endpoint_url: "http://127.0.0.1:1" }
production: { bucket: acme-data-prod }
reporting: { bucket: acme-data-reporting }
state: { path: ` + filepath.Join(dir, "state.json") + ` }
`
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	noCreds := func(context.Context, string) (aws.Config, error) {
		return aws.Config{Credentials: aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{}, errors.New("no EC2 IMDS role found, operation error ec2imds: GetMetadata")
		}))}, nil
	}
	for _, debug := range []bool{false, true} {
		var out, errOut bytes.Buffer
		f := &Factory{IO: &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, AWS: noCreds, Now: time.Now}
		args := []string{"verify", "-c", cfg}
		if debug {
			args = append(args, "--debug")
		}
		if code := Run(f, args); code != ExitError {
			t.Errorf("exit %d", code)
		}
		lines := strings.SplitN(strings.TrimSpace(errOut.String()), "\n", 3)
		if len(lines) != 3 || lines[0] != "Error: cannot sign in to the development (111111111111), production (222222222222) and reporting (333333333333) accounts: no AWS credentials were found (environment, shared config and credentials files, SSO, instance role)" ||
			!strings.HasPrefix(lines[1], "Hint: set AWS_PROFILE") {
			t.Errorf("--debug=%v: stderr:\n%s", debug, errOut.String())
		}
		if got := strings.HasPrefix(lines[2], "Detail: ") && strings.Count(lines[2], "no EC2 IMDS role found") == 3; got != debug {
			t.Errorf("--debug=%v: last line %q", debug, lines[2])
		}
		if !debug && lines[2] != "(run with --debug for the AWS SDK's detail)" {
			t.Errorf("no pointer to --debug: %q", lines[2])
		}
	}
}
