package cli

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xacct/xacct/internal/sandbox"
	"github.com/xacct/xacct/lambda/artifact"
)

// xacctMainArg makes the test binary run xacct itself (with the process's
// environment), so tests can kill a real xacct process.
const xacctMainArg = "__xacct_main__"

// logBuffer keeps the sandbox's log for failing tests to show.
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

var (
	sandboxLog = &logBuffer{}
	sb         *sandbox.Sandbox
	// pkg is the metadata processor built for this machine, the one the
	// sandbox can run.
	pkg      []byte
	hostArch = map[string]string{"amd64": "x86_64", "arm64": "arm64"}[runtime.GOARCH]
)

func TestMain(m *testing.M) {
	if sandbox.IsChild(os.Args) {
		os.Exit(sandbox.RunChild(os.Args, os.Stdin, os.Stdout))
	}
	if len(os.Args) > 1 && os.Args[1] == xacctMainArg {
		f := &Factory{IO: System(), AWS: defaultAWSConfig, Now: time.Now}
		os.Exit(Run(f, os.Args[2:]))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	var err error
	if pkg, err = artifact.Build(ctx, "../..", hostArch, ""); err != nil {
		fmt.Fprintln(os.Stderr, "build the processor:", err)
		os.Exit(1)
	}
	sb, err = sandbox.Start(ctx, sandbox.Options{
		Accounts: []sandbox.Account{{Name: "development", ID: "111111111111"}, {Name: "production", ID: "222222222222"}, {Name: "reporting", ID: "333333333333"}},
		Listen:   "127.0.0.1:0",
		Logf:     sandboxLog.logf,
	})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "start sandbox:", err)
		os.Exit(1)
	}
	code := m.Run()
	sb.Close()
	os.Exit(code)
}
