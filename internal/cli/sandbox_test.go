package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestNewCmdSandboxFlags(t *testing.T) {
	t.Parallel()
	trailEvery, digestEvery := DefaultTrailDelivery, DefaultTrailDigest
	tests := []struct {
		args []string
		want sandboxOptions
	}{
		{nil, sandboxOptions{Config: "xacct.yaml", Listen: "127.0.0.1:4566", TrailInterval: trailEvery, TrailDigestInterval: digestEvery}},
		{[]string{"-c", "examples/sandbox.yaml", "--listen", "127.0.0.1:0", "--env-file", "e.env", "--data-dir", "d"},
			sandboxOptions{Config: "examples/sandbox.yaml", Listen: "127.0.0.1:0", EnvFile: "e.env", DataDir: "d", TrailInterval: trailEvery, TrailDigestInterval: digestEvery}},
		{[]string{"--faults", "throttle=0.1,error=0.03", "--fault-seed", "7"},
			sandboxOptions{Config: "xacct.yaml", Listen: "127.0.0.1:4566", Faults: "throttle=0.1,error=0.03", FaultSeed: 7,
				TrailInterval: trailEvery, TrailDigestInterval: digestEvery}},
		{[]string{"--trail-interval", "500ms", "--trail-digest-interval", "3s"},
			sandboxOptions{Config: "xacct.yaml", Listen: "127.0.0.1:4566", TrailInterval: 500 * time.Millisecond, TrailDigestInterval: 3 * time.Second}},
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
