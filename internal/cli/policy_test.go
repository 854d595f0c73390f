package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run executes xacct with args and stdin and returns the exit code and both
// output streams.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	f := &Factory{IO: &IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut}}
	code := Run(f, args)
	return code, out.String(), errOut.String()
}

func TestNewCmdPolicySimulateFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args    []string
		want    simulateOptions
		wantErr string
	}{
		{args: nil, want: simulateOptions{}},
		{args: []string{"--file", "req.json"}, want: simulateOptions{File: "req.json"}},
		{args: []string{"-f", "-"}, want: simulateOptions{File: "-"}},
		{args: []string{"extra"}, wantErr: `unknown command "extra"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			var got *simulateOptions
			f := &Factory{IO: &IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}}
			cmd := newCmdPolicySimulate(f, func(o *simulateOptions) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.File != tt.want.File {
				t.Errorf("File = %q, want %q", got.File, tt.want.File)
			}
		})
	}
}

const testerPut = `{
 "principal": "arn:aws:sts::222222222222:assumed-role/acme-data-testers/bob",
 "action": "s3:PutObject",
 "resource": "arn:aws:s3:::acme-data-prod/a.txt",
 "context": {"aws:SecureTransport": true},
 "identity_policies": [{"Version": "2012-10-17", "Statement": [
   {"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::acme-data-prod/*"}]}],
 "resource_policy": {"Version": "2012-10-17", "Statement": [
   {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
    "Resource": ["arn:aws:s3:::acme-data-prod", "arn:aws:s3:::acme-data-prod/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}
}`

func TestPolicySimulate(t *testing.T) {
	t.Parallel()
	reqFile := filepath.Join(t.TempDir(), "req.json")
	if err := os.WriteFile(reqFile, []byte(strings.Replace(testerPut, "s3:PutObject", "s3:GetObject", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		stdin        string
		args         []string
		wantCode     int
		wantDecision string
		wantErr      string // substring of stderr
	}{
		{name: "tester upload is an implicit deny", stdin: testerPut, wantDecision: "ImplicitDeny"},
		{name: "tester read is allowed", stdin: strings.Replace(testerPut, "s3:PutObject", "s3:GetObject", 1), wantDecision: "Allowed"},
		{name: "plain HTTP is an explicit deny", stdin: strings.Replace(strings.Replace(testerPut, "s3:PutObject", "s3:GetObject", 1), `"aws:SecureTransport": true`, `"aws:SecureTransport": false`, 1), wantDecision: "ExplicitDeny"},
		{name: "request from a file", args: []string{"--file", reqFile}, wantDecision: "Allowed"},
		{name: "not JSON", stdin: `{"principal":`, wantCode: ExitError, wantErr: "Error: request: unexpected EOF"},
		{name: "unknown field", stdin: `{"principal":"*","action":"s3:GetObject","resource":"arn:aws:s3:::b/k","identity_policy":[]}`, wantCode: ExitError, wantErr: `unknown field "identity_policy"`},
		{name: "missing action", stdin: `{"principal":"*","resource":"arn:aws:s3:::b/k"}`, wantCode: ExitError, wantErr: "action is required"},
		{name: "invalid identity policy", stdin: strings.Replace(testerPut, `"Resource": "arn:aws:s3:::acme-data-prod/*"}`, `"Resource": "acme-data-prod/*"}`, 1), wantCode: ExitError,
			wantErr: `identity_policies[0]: identity policy: statement 0 (Sid "Read"): Resource: "acme-data-prod/*" is not "*" or an ARN`},
		{name: "invalid principal", stdin: strings.Replace(testerPut, "assumed-role/acme-data-testers/bob", "assumed-role/bob", 1), wantCode: ExitError, wantErr: "is not an account ID or a user, role"},
		{name: "missing file", args: []string{"--file", filepath.Join(t.TempDir(), "nope.json")}, wantCode: ExitError, wantErr: "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := run(t, tt.stdin, append([]string{"policy", "simulate"}, tt.args...)...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.wantCode, errOut)
			}
			if tt.wantCode != ExitOK {
				if out != "" {
					t.Errorf("stdout is not empty on error: %q", out)
				}
				if !strings.Contains(errOut, tt.wantErr) {
					t.Errorf("stderr %q does not contain %q", errOut, tt.wantErr)
				}
				return
			}
			if errOut != "" {
				t.Errorf("stderr: %s", errOut)
			}
			var res struct {
				Decision string            `json:"decision"`
				Reasons  []json.RawMessage `json:"reasons"`
			}
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatalf("stdout is not JSON: %v\n%s", err, out)
			}
			if res.Decision != tt.wantDecision {
				t.Errorf("decision %s, want %s\n%s", res.Decision, tt.wantDecision, out)
			}
			if res.Reasons == nil {
				t.Errorf("reasons missing (want a list, even empty): %s", out)
			}
		})
	}
}
