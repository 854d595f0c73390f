package sandbox

import (
	"crypto/tls"
	"net"
	"net/http"
	"sync"
	"time"
)

// maxConns bounds the connections each of the gateway's listeners keeps
// open at once (maxInFlight bounds the requests being served).
const maxConns = 256

// tlsIdleTimeout is how long the TLS listener keeps a connection no
// request uses: HTTP/2 connections are closed by it alone (see connState).
const tlsIdleTimeout = 5 * time.Second

// limitListener bounds the connections a listener has open. At the bound,
// Accept waits (the kernel's backlog holds the client's connect) and makes
// room by closing an idle keep-alive connection, the way a server's idle
// timeout would. It does not refuse: a refused or reset connect is an error
// a client we did not write may give up on, while a connect that completes
// a little later, or a closed idle connection, is what every HTTP client
// already handles (it dials again or retries on a new connection).
//
// The server's ConnState must be connState, so that the listener knows
// which connections are idle.
type limitListener struct {
	net.Listener
	slots chan struct{} // one token per open connection
	done  chan struct{} // closed by Close
	once  sync.Once

	mu      sync.Mutex
	idle    map[net.Conn]bool // connections the server reports idle
	waiting int               // Accepts waiting for a slot
}

func newLimitListener(l net.Listener, max int) *limitListener {
	return &limitListener{Listener: l, slots: make(chan struct{}, max), done: make(chan struct{}), idle: map[net.Conn]bool{}}
}

// Accept waits for a free slot, then accepts.
func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	default:
		l.mu.Lock()
		l.waiting++
		l.closeOneIdleLocked()
		l.mu.Unlock()
		select {
		case l.slots <- struct{}{}:
		case <-l.done:
		}
		l.mu.Lock()
		l.waiting--
		l.mu.Unlock()
		select {
		case <-l.done:
			return nil, net.ErrClosed
		default:
		}
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-l.slots }}, nil
}

// Close closes the listener and ends any Accept waiting for a slot.
func (l *limitListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// connState is the server's ConnState hook: it keeps track of idle
// connections and, while an Accept waits, closes one as soon as it idles.
func (l *limitListener) connState(c net.Conn, s http.ConnState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch s {
	case http.StateIdle:
		if isHTTP2(c) {
			// Closing it would fail the request a client may be starting
			// on it: HTTP/2 has no "nothing was sent" retry as HTTP/1.1
			// has. The server's idle timeout closes it with a GOAWAY,
			// which the client heeds before it sends.
			return
		}
		l.idle[c] = true
		if l.waiting > 0 {
			l.closeOneIdleLocked()
		}
	default:
		delete(l.idle, c)
	}
}

// closeOneIdleLocked closes an idle connection, if there is one; the
// caller holds mu. Closing a TLS connection may write an alert, so it is
// done outside the lock.
func (l *limitListener) closeOneIdleLocked() {
	for c := range l.idle {
		delete(l.idle, c)
		go c.Close()
		return
	}
}

// isHTTP2 tells whether a connection speaks HTTP/2 (ALPN "h2").
func isHTTP2(c net.Conn) bool {
	tc, ok := c.(*tls.Conn)
	return ok && tc.ConnectionState().NegotiatedProtocol == "h2"
}

// limitConn gives its slot back once, when it is closed.
type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
