package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/xacct/xacct/internal/cli"
	"github.com/xacct/xacct/internal/config"
	"github.com/xacct/xacct/internal/sandbox"
)

// counting counts the HTTP requests xacct sends.
type counting struct {
	n    atomic.Int64
	next http.RoundTripper
}

func (c *counting) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

// env is one test's stack on a sandbox (the shared one unless it says
// otherwise): its own names, config file and state.
type env struct {
	t     testing.TB
	dir   string
	cfg   string
	stack string
	calls *counting
	// sb is the sandbox the stack is on.
	sb *sandbox.Sandbox
}

func newEnv(t testing.TB, extra string) *env {
	t.Helper()
	return newEnvOn(t, shared, extra)
}

// newVerifyEnv is a stack on the sandbox kept for the tests that verify
// who can reach a deployed stack's data: `xacct verify` walks every
// principal of the accounts, and the other tests leave principals behind on
// the shared sandbox (a role with AmazonS3ReadOnlyAccess reaches every
// bucket there) that would be findings here.
//
// The tests on it run beside the others but one at a time among
// themselves (lockVerifySandbox): each one's stack would be the next one's
// findings.
func newVerifyEnv(t testing.TB, extra string) *env {
	t.Helper()
	if h, _ := verifyHolder.Load().(string); h != t.Name() {
		t.Fatal("newVerifyEnv: call lockVerifySandbox(t) first")
	}
	return newEnvOn(t, verifySandbox(t), extra)
}

var (
	verifyMu     sync.Mutex
	verifyHolder atomic.Value // the name of the test holding verifyMu
)

// lockVerifySandbox gives t the verify sandbox to itself until t and its
// clean-up (its stack destroyed) are done.
func lockVerifySandbox(t testing.TB) {
	t.Helper()
	verifyMu.Lock()
	verifyHolder.Store(t.Name())
	t.Cleanup(func() {
		verifyHolder.Store("")
		verifyMu.Unlock()
	})
}

func newEnvOn(t testing.TB, sb *sandbox.Sandbox, extra string) *env {
	t.Helper()
	dir := t.TempDir()
	name := fmt.Sprintf("t%d", time.Now().UnixNano()%1e9)
	yaml := fmt.Sprintf(`stack: %[1]s
region: us-east-1
accounts:
  development: { id: "111111111111", role_arn: "arn:aws:iam::111111111111:role/OrganizationAccountAccessRole", endpoint_url: %[2]q }
  production: { id: "222222222222", role_arn: "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole", endpoint_url: %[2]q }
  reporting: { id: "333333333333", role_arn: "arn:aws:iam::333333333333:role/OrganizationAccountAccessRole", endpoint_url: %[2]q }
production: { bucket: %[1]s-prod, processor: { package: %[5]q, architecture: %[6]s } }
reporting: { bucket: %[1]s-reporting%[7]s }
state: { path: %[3]q }
%[4]s`, name, sb.URL, filepath.Join(dir, "state.json"), extra, filepath.Join(dir, "processor.zip"), hostArch, logsSetting(sb, extra))
	if err := os.WriteFile(filepath.Join(dir, "processor.zip"), pkg, 0o600); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(extra, "groups:") {
		// Group names are per account: each test gets its own.
		yaml += fmt.Sprintf("groups:\n  developers: { group_name: %[1]s-Developers }\n  testers: { group_name: %[1]s-Testers }\n", name)
	}
	e := &env{t: t, dir: dir, cfg: filepath.Join(dir, "xacct.yaml"), stack: name, calls: &counting{next: sdkTransport(t, sb)}, sb: sb}
	e.write(yaml)
	return e
}

// logsOn, in a test's extra config, keeps the stack's logs on in the shared
// sandbox (they are on by default in the config).
const logsOn = "# logs on\n"

// logsSetting turns the logs off for the stacks of the shared sandbox,
// but for the tests that ask for them (logsOn): every test leaves its stack
// there, and an account with forty trails, each recording every request and
// signing a digest every second, is neither what AWS accounts look like nor
// cheap on two cores. The tests of the logs, the demo, and every other
// sandbox's stacks keep the default.
func logsSetting(sb *sandbox.Sandbox, extra string) string {
	if sb != shared || strings.Contains(extra, logsOn) {
		return ""
	}
	return ", logs: { enabled: false }"
}

func (e *env) write(yaml string) {
	e.t.Helper()
	if err := os.WriteFile(e.cfg, []byte(yaml), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) factory(stdin string) (*cli.Factory, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return &cli.Factory{
		IO: &cli.IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut},
		AWS: func(ctx context.Context, profile string) (aws.Config, error) {
			return aws.Config{
				Region:      e.sb.Region,
				Credentials: credentials.NewStaticCredentialsProvider(e.sb.AdminKey, e.sb.AdminSecret, ""),
				HTTPClient:  &http.Client{Transport: e.calls},
			}, nil
		},
		Now: time.Now,
	}, &out, &errOut
}

// runBare runs xacct with the env's credentials and no -c.
func (e *env) runBare(args ...string) (int, string, string) {
	e.t.Helper()
	f, out, errOut := e.factory("")
	code := cli.Run(f, args)
	return code, out.String(), errOut.String()
}

// run runs xacct with the env's config and returns exit code and output.
func (e *env) run(args ...string) (int, string, string) {
	e.t.Helper()
	f, out, errOut := e.factory("")
	code := cli.Run(f, append(args, "-c", e.cfg))
	return code, out.String(), errOut.String()
}

func (e *env) mustRun(args ...string) string {
	e.t.Helper()
	code, out, errOut := e.run(args...)
	if code != cli.ExitOK {
		e.t.Fatalf("xacct %v: exit %d\n%s\n%s", args, code, out, errOut)
	}
	return out
}

func (e *env) loadConfig() *config.Config {
	e.t.Helper()
	c, err := config.Load(e.cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// run executes xacct with args and stdin, with no AWS access, and returns
// the exit code and both output streams.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	f := &cli.Factory{IO: &cli.IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut}}
	code := cli.Run(f, args)
	return code, out.String(), errOut.String()
}

// xacctProcess is xacct run as a process of its own (this test binary
// re-executed), signed in as the sandbox's administrator through the
// environment, so that a test can interrupt or kill it.
func xacctProcess(sb *sandbox.Sandbox, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], append([]string{xacctMainArg}, args...)...)
	cmd.Env = signedIn(sb)
	return cmd
}

// signedIn is this process's environment signed in as the sandbox's
// administrator, as a user's shell would be: the access key, the region
// and the sandbox's CA, and no shared config or credentials file.
func signedIn(sb *sandbox.Sandbox) []string {
	return append(os.Environ(),
		"AWS_ACCESS_KEY_ID="+sb.AdminKey, "AWS_SECRET_ACCESS_KEY="+sb.AdminSecret, "AWS_REGION="+sb.Region,
		"AWS_CA_BUNDLE="+sb.CAFile, "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
}

// startXacct starts xacct as its own process (see xacctProcess) and
// returns it with a scanner of its standard output, or of its standard
// error when stderr is set.
func startXacct(t *testing.T, sb *sandbox.Sandbox, stderr bool, args ...string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := xacctProcess(sb, args...)
	pipe := cmd.StdoutPipe
	if stderr {
		pipe = cmd.StderrPipe
	}
	r, err := pipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, bufio.NewScanner(r)
}

// orgAdmin is an account's administrator in the env's sandbox.
func (e *env) orgAdmin(account string) *client {
	return adminOf(e.t, e.sb).assume(e.t, "arn:aws:iam::"+account+":role/"+sandbox.DefaultAdminRoleName, "test-admin")
}
