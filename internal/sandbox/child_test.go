package sandbox

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sivchari/kumo"
)

// TestKumoHandlerShape holds kumoHandler to the kumo version it was written
// for: if kumo.Server no longer keeps its httptest.Server in httpServer, the
// children cannot serve kumo on a Unix socket, and this fails first.
func TestKumoHandlerShape(t *testing.T) {
	srv := kumo.NewServer()
	url := srv.URL
	h, err := kumoHandler(srv)
	if err != nil {
		t.Fatalf("kumo's shape changed: %v", err)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "http://localhost/health", nil))
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "healthy") {
		t.Fatalf("kumo's handler answered /health with %d %s", w.Code, w.Body)
	}
	// kumoHandler closed the loopback server.
	if resp, err := http.Get(url + "/health"); err == nil {
		resp.Body.Close()
		t.Fatalf("kumo's loopback server at %s still answers", url)
	}
}
