package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xacct/xacct/internal/sandbox"
)

// sandboxMain runs a sandbox in this process, the way `xacct sandbox` does,
// and prints "ready" and its kumo children's PIDs (see sandboxMainArg).
func sandboxMain() int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	opts := sandbox.Options{
		Accounts: threeAccounts(),
		Listen:   "127.0.0.1:0",
	}
	if len(os.Args) > 2 {
		// The test's own directory, so that a SIGKILL leaves nothing in /tmp.
		opts.DataDir = os.Args[2]
	}
	sb, err := sandbox.Start(ctx, opts)
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	var pids []string
	for _, p := range sb.ChildPIDs() {
		pids = append(pids, strconv.Itoa(p))
	}
	fmt.Println("ready", strings.Join(pids, " "))
	<-ctx.Done()
	sb.Close()
	return 0
}

// alive reports whether pid is a running (not zombie) process.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name in parentheses.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] != 'Z' && s[i+2] != 'X'
}

// TestStoppingTheSandboxLeavesNoProcess starts sandboxes of its own, each in
// a process of its own: it signals (and SIGKILLs) that process, which the
// shared sandbox, living in the test binary, must survive.
func TestStoppingTheSandboxLeavesNoProcess(t *testing.T) {
	t.Parallel() // nothing it checks depends on what other tests do at the same time
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(os.Args[0], sandboxMainArg, t.TempDir())
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			line, _ := bufio.NewReader(out).ReadString('\n')
			fields := strings.Fields(line)
			if len(fields) != 5 || fields[0] != "ready" {
				_ = cmd.Process.Kill()
				t.Fatalf("sandbox process said %q", line)
			}
			var pids []int
			for _, f := range fields[1:] {
				pid, _ := strconv.Atoi(f)
				if !alive(pid) {
					t.Fatalf("kumo child %d is not running", pid)
				}
				pids = append(pids, pid)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()
			deadline := time.Now().Add(10 * time.Second)
			for _, pid := range pids {
				for alive(pid) {
					if time.Now().After(deadline) {
						t.Fatalf("kumo child %d still runs after the sandbox got %s", pid, sig)
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
		})
	}
}
