package sandbox

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestParseRuntimeCall(t *testing.T) {
	t.Parallel()
	secret := strings.Repeat("ab", 32)
	base := "/_runtime/" + secret + "/2018-06-01/runtime"
	id := "8476a536-e9f4-11e8-9739-2dfe598c3fcd"
	tests := []struct {
		name, method, path, query string
		want                      runtimeCall
		ok                        bool
	}{
		{"next", http.MethodGet, base + "/invocation/next", "", runtimeCall{secret: secret, op: "next"}, true},
		{"response", http.MethodPost, base + "/invocation/" + id + "/response", "", runtimeCall{secret: secret, op: "response", requestID: id}, true},
		{"error", http.MethodPost, base + "/invocation/" + id + "/error", "", runtimeCall{secret: secret, op: "error", requestID: id}, true},
		{"init error", http.MethodPost, base + "/init/error", "", runtimeCall{secret: secret, op: "init-error"}, true},
		{"next by POST", http.MethodPost, base + "/invocation/next", "", runtimeCall{}, false},
		{"response by GET", http.MethodGet, base + "/invocation/" + id + "/response", "", runtimeCall{}, false},
		{"query", http.MethodGet, base + "/invocation/next", "x=1", runtimeCall{}, false},
		{"old account/function form", http.MethodGet, "/_runtime/222222222222/fn/2018-06-01/runtime/invocation/next", "", runtimeCall{}, false},
		{"traversal to a bucket", http.MethodGet, "/_runtime/222222222222/../victim-b/secret.txt", "", runtimeCall{}, false},
		{"traversal after the secret", http.MethodGet, "/_runtime/" + secret + "/../../victim-b/secret.txt", "", runtimeCall{}, false},
		{"dot-dot request ID", http.MethodPost, base + "/invocation/../response", "", runtimeCall{}, false},
		{"encoded dot-dot request ID", http.MethodPost, base + "/invocation/%2e%2e/response", "", runtimeCall{}, false},
		{"encoded slash in request ID", http.MethodPost, base + "/invocation/a%2Fb/response", "", runtimeCall{}, false},
		{"trailing segments", http.MethodGet, base + "/invocation/next/..", "", runtimeCall{}, false},
		{"IAM through the proxy", http.MethodPost, "/_runtime/222222222222/../?Action=ListRoles", "", runtimeCall{}, false},
		{"short secret", http.MethodGet, "/_runtime/abc/2018-06-01/runtime/invocation/next", "", runtimeCall{}, false},
		{"upper-case secret", http.MethodGet, "/_runtime/" + strings.ToUpper(secret) + "/2018-06-01/runtime/invocation/next", "", runtimeCall{}, false},
		{"other API version", http.MethodGet, "/_runtime/" + secret + "/2020-01-01/runtime/invocation/next", "", runtimeCall{}, false},
		{"empty", http.MethodGet, "/_runtime/", "", runtimeCall{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := parseRuntimeCall(tc.method, tc.path, tc.query)
			if ok != tc.ok || got != tc.want {
				t.Fatalf("parseRuntimeCall(%s %s) = %+v, %v; want %+v, %v", tc.method, tc.path, got, ok, tc.want, tc.ok)
			}
			if ok && strings.Contains(got.path(), "..") {
				t.Fatalf("rebuilt path %s", got.path())
			}
		})
	}
}

// TestRuntimeProxyRefusesWithoutForwarding: a request that is not a Runtime
// API call of a running process is answered by the gateway itself.
func TestRuntimeProxyRefusesWithoutForwarding(t *testing.T) {
	t.Parallel()
	// No backends: anything forwarded would fail with a 502, not 403/404.
	rt := newRuntimes(&gateway{sb: &Sandbox{accounts: map[string]*backend{}}})
	rt.procs["222222222222/fn"] = &fnRuntime{account: "222222222222", fn: "fn", secret: strings.Repeat("cd", 32), done: make(chan struct{}), polled: make(chan struct{})}
	for _, tc := range []struct {
		path string
		want int
	}{
		{"/_runtime/222222222222/../victim/secret.txt", http.StatusNotFound},
		{"/_runtime/" + strings.Repeat("ab", 32) + "/2018-06-01/runtime/invocation/next", http.StatusForbidden},
		{"/_runtime/" + strings.Repeat("cd", 32) + "/2018-06-01/runtime/invocation/next/x", http.StatusNotFound},
	} {
		w := httptest.NewRecorder()
		rt.proxy(w, httptest.NewRequest(http.MethodGet, "http://127.0.0.1"+tc.path, nil))
		if w.Code != tc.want {
			t.Errorf("GET %s: %d %s, want %d", tc.path, w.Code, w.Body, tc.want)
		}
	}
}
