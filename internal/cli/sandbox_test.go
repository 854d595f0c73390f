package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xacct/xacct/internal/config"
	"github.com/xacct/xacct/internal/operation"
)

func TestNewCmdSandboxFlags(t *testing.T) {
	t.Parallel()
	trailEvery, digestEvery := DefaultTrailDelivery, DefaultTrailDigest
	tests := []struct {
		args []string
		want sandboxOptions
	}{
		{nil, sandboxOptions{Config: "xacct.yaml", TrailInterval: trailEvery, TrailDigestInterval: digestEvery}},
		{[]string{"-c", "examples/sandbox.yaml", "--listen", "127.0.0.1:0", "--env-file", "e.env", "--data-dir", "d"},
			sandboxOptions{Config: "examples/sandbox.yaml", Listen: "127.0.0.1:0", EnvFile: "e.env", DataDir: "d", TrailInterval: trailEvery, TrailDigestInterval: digestEvery}},
		{[]string{"--faults", "throttle=0.1,error=0.03", "--fault-seed", "7"},
			sandboxOptions{Config: "xacct.yaml", Faults: "throttle=0.1,error=0.03", FaultSeed: 7,
				TrailInterval: trailEvery, TrailDigestInterval: digestEvery}},
		{[]string{"--trail-interval", "500ms", "--trail-digest-interval", "3s"},
			sandboxOptions{Config: "xacct.yaml", TrailInterval: 500 * time.Millisecond, TrailDigestInterval: 3 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			var got *sandboxOptions
			f := &Factory{IO: &IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}}
			cmd := newCmdSandbox(f, func(o *sandboxOptions) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			got.IO = nil
			if *got != tt.want {
				t.Errorf("options = %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func TestSandboxRejectsBadConfigBeforeStarting(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("stack: acme\nregion: us-east-1\naccounts:\n  development: {id: 111}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "", "sandbox", "-c", bad, "--listen", "127.0.0.1:0")
	if code != ExitError || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	if !strings.Contains(errOut, bad+":4: accounts.development.id: write the account ID in quotes") {
		t.Errorf("stderr = %s", errOut)
	}
}

// TestSandboxMFACode: mfa-code prints the device's code at Now (RFC
// 6238's vector), and a seed that is not Base32 is an error that says what
// a seed is.
func TestSandboxMFACode(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	f := &Factory{IO: &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, Now: func() time.Time { return time.Unix(1234567890, 0) }}
	if code := Run(f, []string{"sandbox", "mfa-code", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"}); code != ExitOK || out.String() != "005924\n" {
		t.Errorf("exit %d, stdout %q, stderr %s", code, out.String(), errOut.String())
	}
	code, stdout, stderr := run(t, "", "sandbox", "mfa-code", "nope!")
	if code != ExitError || stdout != "" || !strings.Contains(stderr, `"nope!" is not a Base32 MFA seed`) {
		t.Errorf("a bad seed: exit %d, stdout %q, stderr %s", code, stdout, stderr)
	}
}

// TestSandboxUserTextWithMFA: a user with a device is shown with the
// device's serial in the profile, its seed once, and how to get a code.
func TestSandboxUserTextWithMFA(t *testing.T) {
	t.Parallel()
	u := &operation.SandboxUser{ARN: "arn:aws:iam::111111111111:user/carol", AccessKeyID: "AKIA", SecretAccessKey: "s3cret", MFASeed: "SEEDSEED",
		Profile: operation.MemberProfile{Stack: "acme-data", Bucket: "acme-data-prod", User: "carol", RoleARN: "arn:aws:iam::222222222222:role/acme-data-developers",
			MFASerial: "arn:aws:iam::111111111111:mfa/carol", Region: "us-east-1", EndpointURL: "https://127.0.0.1:4566",
			Group: config.Group{Key: "developers", GroupName: "Developers", RoleName: "acme-data-developers", Actions: []string{"s3:GetObject", "s3:PutObject"}}}}
	var b bytes.Buffer
	if err := sandboxUserText(&b, u, "/tmp/ca.pem"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"[carol]\naws_access_key_id = AKIA\naws_secret_access_key = s3cret\n", "mfa_serial = arn:aws:iam::111111111111:mfa/carol\n",
		"\nmfa_seed = SEEDSEED\n", "xacct sandbox mfa-code SEEDSEED prints it"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("lacks %q:\n%s", want, b.String())
		}
	}
}

func TestSandboxDefaultListen(t *testing.T) {
	t.Parallel()
	for endpoint, want := range map[string]string{
		"https://127.0.0.1:4566": "127.0.0.1:4566", "https://127.0.0.1:14566": "127.0.0.1:14566", "https://localhost:5000": "localhost:5000",
		"https://[::1]:4567": "[::1]:4567", "": "127.0.0.1:4566", "https://sandbox.example.com:4566": "127.0.0.1:4566", "http://127.0.0.1:4567": "127.0.0.1:4566",
	} {
		cfg := &config.Config{Accounts: config.Accounts{Development: config.Account{EndpointURL: endpoint}}}
		if got := defaultListen(cfg); got != want {
			t.Errorf("endpoint %q: listen on %q, want %q", endpoint, got, want)
		}
	}
}
