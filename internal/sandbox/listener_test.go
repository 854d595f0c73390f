package sandbox

import (
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

func listen(t *testing.T, max int) *limitListener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := newLimitListener(ln, max)
	t.Cleanup(func() { l.Close() })
	return l
}

// accepted runs Accept in the background.
func accepted(l *limitListener) <-chan net.Conn {
	ch := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			close(ch)
			return
		}
		ch <- c
	}()
	return ch
}

func dial(t *testing.T, l net.Listener) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestLimitListenerWaitsForAFreeSlot(t *testing.T) {
	t.Parallel()
	l := listen(t, 2)
	dial(t, l)
	dial(t, l)
	dial(t, l)
	first, second := <-accepted(l), <-accepted(l)
	third := accepted(l)
	select {
	case <-third:
		t.Fatal("a third connection was accepted with two open")
	case <-time.After(100 * time.Millisecond):
	}
	first.Close()
	first.Close() // a second Close gives back nothing more
	select {
	case c := <-third:
		if c == nil {
			t.Fatal("Accept failed")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no connection accepted after one closed")
	}
	if n := len(l.slots); n != 2 {
		t.Errorf("%d slots taken, want 2", n)
	}
	_ = second
}

func TestLimitListenerClosesAnIdleConnectionToMakeRoom(t *testing.T) {
	t.Parallel()
	l := listen(t, 1)
	dial(t, l)
	busy := <-accepted(l)
	l.connState(busy, http.StateActive)
	dial(t, l)
	next := accepted(l)
	select {
	case <-next:
		t.Fatal("accepted past the bound while the only connection was active")
	case <-time.After(100 * time.Millisecond):
	}
	// The server reports the connection idle: it is closed for the waiting
	// client, as an idle timeout would close it.
	l.connState(busy, http.StateIdle)
	select {
	case c := <-next:
		if c == nil {
			t.Fatal("Accept failed")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the idle connection was not closed to make room")
	}
	if _, err := busy.Read(make([]byte, 1)); err == nil {
		t.Error("the idle connection is still open")
	}
}

func TestLimitListenerCloseEndsAWaitingAccept(t *testing.T) {
	t.Parallel()
	l := listen(t, 1)
	dial(t, l)
	<-accepted(l)
	waiting := accepted(l)
	time.Sleep(50 * time.Millisecond)
	l.Close()
	select {
	case c := <-waiting:
		if c != nil {
			t.Fatal("accepted after Close")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Accept still waits after Close")
	}
	if _, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept after Close: %v", err)
	}
}

// An HTTP server behind the listener answers more clients than the bound,
// each on a connection of its own: waiting clients get through as others
// finish.
func TestLimitListenerUnderHTTP(t *testing.T) {
	t.Parallel()
	l := listen(t, 2)
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(10 * time.Millisecond)
			io.WriteString(w, "ok")
		}),
		ConnState: l.connState,
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	var wg sync.WaitGroup
	errs := make(chan error, 12)
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Keep-alive clients of their own hold their connections idle.
			c := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
			for range 3 {
				resp, err := c.Get("http://" + l.Addr().String())
				if err != nil {
					errs <- err
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
