package sandbox

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"time"
	"unsafe"

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

// socketName is the file name of a child's Unix socket, in a directory of
// its own that only the sandbox's user can open.
const socketName = "kumo.sock"

// RunChild runs one account's kumo until its standard input closes (the
// parent exited, however it exited) or it is signalled. kumo answers any
// caller with any credential, so the child has no TCP listener: it serves
// kumo on a Unix socket in a new directory only its user can open (0700,
// the socket 0600), writes the socket's path as the first line of standard
// output, and removes the directory when it ends. args are os.Args. It
// returns the exit code.
func RunChild(args []string, stdin io.Reader, stdout io.Writer) int {
	// Signals are caught from the start, so that one arriving while kumo
	// starts still removes the socket directory.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	var flushWait time.Duration
	for _, a := range args[2:] {
		if v, ok := strings.CutPrefix(a, flushWaitArg); ok {
			flushWait, _ = time.ParseDuration(v)
		}
	}
	h, err := kumoHandler(kumo.NewServer())
	if err != nil {
		fmt.Fprintf(stdout, "error: %v\n", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "xacct-kumo-")
	if err != nil {
		fmt.Fprintf(stdout, "error: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	ln, err := listenUnix(filepath.Join(dir, socketName))
	if err != nil {
		fmt.Fprintf(stdout, "error: %v\n", err)
		return 1
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second, ErrorLog: discardLog()}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	if _, err := fmt.Fprintf(stdout, "%s\n", ln.Addr().String()); err != nil {
		return 1
	}
	done := make(chan struct{})
	go func() {
		// Reading to EOF: the parent holds the write end; when it dies, the
		// kernel closes it.
		_, _ = io.Copy(io.Discard, bufio.NewReader(stdin))
		close(done)
	}()
	select {
	case <-done:
	case <-sig:
	}
	time.Sleep(flushWait)
	return 0
}

// listenUnix listens on a Unix socket at path that only this user can
// connect to.
func listenUnix(path string) (net.Listener, error) {
	if len(path) >= 104 { // sun_path: 108 bytes on Linux, 104 on the BSDs
		return nil, fmt.Errorf("socket path %s is too long for a Unix socket (set TMPDIR to a shorter directory)", path)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

// kumoHandler takes kumo's HTTP handler out of the loopback server that
// kumo.NewServer started (the only way v0.33.1's public API offers) and
// closes that server, so that no TCP port stays open. It reads the
// unexported field Server.httpServer; TestKumoHandlerShape fails loudly when
// a new kumo version changes that shape.
func kumoHandler(srv *kumo.Server) (http.Handler, error) {
	if srv == nil {
		return nil, errors.New("kumo.NewServer returned nil")
	}
	f := reflect.ValueOf(srv).Elem().FieldByName("httpServer")
	if !f.IsValid() || f.Type() != reflect.TypeFor[*httptest.Server]() {
		srv.Close()
		return nil, errors.New("kumo.Server has no field httpServer of type *httptest.Server: this kumo version is not the one the sandbox was written for (see kumoHandler)")
	}
	ts := reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Interface().(*httptest.Server)
	if ts == nil || ts.Config == nil || ts.Config.Handler == nil {
		srv.Close()
		return nil, errors.New("kumo.Server's httptest.Server has no handler")
	}
	h := ts.Config.Handler
	srv.Close()
	return h, nil
}
