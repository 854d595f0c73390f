package sandbox

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/sivchari/kumo"
)

// childArg is the first argument that turns an xacct (or test) binary into
// one account's kumo process. Kumo's services are process-wide singletons, so
// each account needs a process of its own.
const childArg = "__xacct_sandbox_kumo__"

// IsChild reports whether args (os.Args) ask for a kumo child process.
func IsChild(args []string) bool {
	return len(args) > 1 && args[1] == childArg
}

// flushWaitArg, when present, makes a child wait that long after it is told
// to stop, so that kumo's debounced snapshot of a data dir is written.
const flushWaitArg = "--flush-wait="

// RunChild runs one account's kumo until its standard input closes (the
// parent exited, however it exited) or it is signalled. It writes kumo's
// URL as the first line of standard output. args are os.Args. It returns
// the exit code.
func RunChild(args []string, stdin io.Reader, stdout io.Writer) int {
	var flushWait time.Duration
	for _, a := range args[2:] {
		if v, ok := strings.CutPrefix(a, flushWaitArg); ok {
			flushWait, _ = time.ParseDuration(v)
		}
	}
	srv := kumo.NewServer()
	defer srv.Close()
	if _, err := fmt.Fprintf(stdout, "%s\n", srv.URL); err != nil {
		return 1
	}
	done := make(chan struct{})
	go func() {
		// Reading to EOF: the parent holds the write end; when it dies, the
		// kernel closes it.
		_, _ = io.Copy(io.Discard, bufio.NewReader(stdin))
		close(done)
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	select {
	case <-done:
	case <-sig:
	}
	time.Sleep(flushWait)
	return 0
}
