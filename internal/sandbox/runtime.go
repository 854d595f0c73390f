package sandbox

import (
	"net/http"
	"sync"
)

// runtimes runs Lambda bootstraps against their account's kumo Runtime API.
type runtimes struct {
	g  *gateway
	mu sync.Mutex
}

func newRuntimes(g *gateway) *runtimes { return &runtimes{g: g} }

func (rt *runtimes) close() {}

func (rt *runtimes) stop(account, fn string) {}

func (rt *runtimes) proxy(w http.ResponseWriter, r *http.Request) {
	http.NotFound(w, r)
}
