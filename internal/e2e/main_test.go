package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/xacct/xacct/internal/cli"
	"github.com/xacct/xacct/internal/sandbox"
	"github.com/xacct/xacct/lambda/artifact"
)

// The sandbox's member accounts.
const (
	devID  = "111111111111"
	prodID = "222222222222"
	repID  = "333333333333"
)

// The test binary runs as something else when its first argument is one of
// these, so that tests can kill a real process: xacct itself (with the
// process's environment), or a sandbox the way `xacct sandbox` runs one.
const (
	xacctMainArg   = "__xacct_main__"
	sandboxMainArg = "__sandbox_main__"
)

var (
	// shared is the sandbox every test uses unless it says why it needs
	// one of its own; sandboxLog keeps its log for failing tests to show.
	shared     *sandbox.Sandbox
	sandboxLog = &logBuffer{}
	// pkg is the metadata processor built for this machine, the one the
	// sandbox can run.
	pkg      []byte
	hostArch = map[string]string{"amd64": "x86_64", "arm64": "arm64"}[runtime.GOARCH]
)

// threeAccounts are the accounts of every sandbox the tests start.
func threeAccounts() []sandbox.Account {
	return []sandbox.Account{{Name: "development", ID: devID}, {Name: "production", ID: prodID}, {Name: "reporting", ID: repID}}
}

func TestMain(m *testing.M) {
	if sandbox.IsChild(os.Args) {
		os.Exit(sandbox.RunChild(os.Args, os.Stdin, os.Stdout))
	}
	if len(os.Args) > 1 && os.Args[1] == xacctMainArg {
		f := &cli.Factory{IO: cli.System(), AWS: defaultAWSConfig, Now: time.Now}
		os.Exit(cli.Run(f, os.Args[2:]))
	}
	if len(os.Args) > 1 && os.Args[1] == sandboxMainArg {
		os.Exit(sandboxMain())
	}
	dir, err := os.MkdirTemp("", "xacct-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := runTests(m, dir)
	os.RemoveAll(dir)
	os.Exit(code)
}

// runTests builds what the tests need into dir, starts the shared sandbox and
// runs the tests.
func runTests(m *testing.M, dir string) int {
	bctx, bcancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer bcancel()
	var err error
	if kumoChild, err = buildKumoChild(bctx, dir); err != nil {
		fmt.Fprintln(os.Stderr, "build the sandbox's kumo child:", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	if pkg, err = artifact.Build(ctx, "../..", hostArch, ""); err != nil {
		cancel()
		fmt.Fprintln(os.Stderr, "build the processor:", err)
		return 1
	}
	// Trails deliver every quarter second and digest every second, so that
	// a test waits for its log files in fractions of a second.
	shared, err = startSandbox(ctx, sandbox.Options{Accounts: threeAccounts(), Listen: "127.0.0.1:0", Logf: sandboxLog.logf,
		TrailDelivery: 250 * time.Millisecond, TrailDigest: time.Second})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "start sandbox:", err)
		return 1
	}
	code := m.Run()
	shared.Close()
	if verifying != nil {
		verifying.Close()
	}
	return code
}

// kumoChild is the command the tests' sandboxes run their kumo children
// with: bin/xacct-sandbox as `make build` builds it, without the race
// detector. The gateway runs in this (race-detecting) process; kumo is
// not our code, and race-instrumented it was a third of the suite's CPU.
var kumoChild []string

// buildKumoChild builds cmd/xacct-sandbox into dir.
func buildKumoChild(ctx context.Context, dir string) ([]string, error) {
	bin := filepath.Join(dir, "xacct-sandbox")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "../../cmd/xacct-sandbox")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build ./cmd/xacct-sandbox: %w\n%s", err, out)
	}
	return []string{bin}, nil
}

// startSandbox starts a sandbox whose kumo children are kumoChild.
func startSandbox(ctx context.Context, opts sandbox.Options) (*sandbox.Sandbox, error) {
	if len(opts.ChildCommand) == 0 {
		opts.ChildCommand = kumoChild
	}
	return sandbox.Start(ctx, opts)
}

var (
	verifyOnce sync.Once
	verifying  *sandbox.Sandbox
	verifyErr  error
)

// ownSandbox starts a sandbox for one test (stopped at its end): a test
// that injects faults has one of its own, so that it can run beside the
// others.
func ownSandbox(t testing.TB) *sandbox.Sandbox {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	sb, err := startSandbox(ctx, sandbox.Options{Accounts: threeAccounts(), Listen: "127.0.0.1:0", Logf: sandboxLog.logf})
	if err != nil {
		t.Fatalf("start a sandbox: %v", err)
	}
	t.Cleanup(sb.Close)
	return sb
}

// verifySandbox is the sandbox of newVerifyEnv, started by its first user.
func verifySandbox(t testing.TB) *sandbox.Sandbox {
	t.Helper()
	verifyOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		verifying, verifyErr = startSandbox(ctx, sandbox.Options{Accounts: threeAccounts(), Listen: "127.0.0.1:0", Logf: sandboxLog.logf})
	})
	if verifyErr != nil {
		t.Fatalf("start the verify sandbox: %v", verifyErr)
	}
	return verifying
}

// defaultAWSConfig is what xacct's main uses: the SDK's default chain.
func defaultAWSConfig(ctx context.Context, profile string) (aws.Config, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(profile))
	}
	return awsconfig.LoadDefaultConfig(ctx, opts...)
}

// logBuffer collects a sandbox's log lines.
type logBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (l *logBuffer) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func (l *logBuffer) contains(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range l.lines {
		if strings.Contains(line, s) {
			return true
		}
	}
	return false
}
