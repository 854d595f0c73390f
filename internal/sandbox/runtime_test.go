package sandbox

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
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

// TestAttemptAsync: an event whose time runs out is given up as
// EventAgeExceeded however it runs out (the budget before the first
// attempt, during an attempt with retries left or during the last one,
// during the backoff; the maximum age between attempts), never as a
// success or as RetriesExhausted.
func TestAttemptAsync(t *testing.T) {
	t.Parallel()
	functionError := func(context.Context) (*lambda.InvokeOutput, error) {
		return &lambda.InvokeOutput{StatusCode: 200, FunctionError: aws.String("Unhandled"), Payload: []byte(`{"errorMessage":"boom"}`)}, nil
	}
	// outlives is a function slower than any budget here: its attempt
	// ends only when the event's context does.
	outlives := func(ctx context.Context) (*lambda.InvokeOutput, error) {
		<-ctx.Done()
		return nil, fmt.Errorf("operation error Lambda: Invoke: %w", ctx.Err())
	}
	tests := []struct {
		name      string
		budget    time.Duration // 0: spent before the first attempt
		retries   int
		maxAge    time.Duration
		invoke    func(context.Context) (*lambda.InvokeOutput, error)
		wantErr   bool
		condition string
		attempts  int // invocations made; each reached the function
		response  bool
	}{
		{"success", time.Minute, 2, time.Hour, func(context.Context) (*lambda.InvokeOutput, error) { return &lambda.InvokeOutput{StatusCode: 200}, nil },
			false, conditionRetriesExhausted, 0, false},
		{"function error every attempt", time.Minute, 1, time.Hour, functionError, true, conditionRetriesExhausted, 2, true},
		{"budget spent before the first attempt", 0, 2, time.Hour, outlives, true, conditionEventAgeExceeded, 0, false},
		{"budget ends during an attempt, retries left", 300 * time.Millisecond, 2, time.Hour, outlives, true, conditionEventAgeExceeded, 1, false},
		{"budget ends during the last attempt", 300 * time.Millisecond, 0, time.Hour, outlives, true, conditionEventAgeExceeded, 1, false},
		{"budget ends during the backoff", 200 * time.Millisecond, 2, time.Hour, functionError, true, conditionEventAgeExceeded, 1, true},
		{"maximum age passes between attempts", time.Minute, 2, 100 * time.Millisecond, func(ctx context.Context) (*lambda.InvokeOutput, error) {
			time.Sleep(150 * time.Millisecond)
			return functionError(ctx)
		}, true, conditionEventAgeExceeded, 1, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), tc.budget)
			defer cancel()
			if tc.budget == 0 {
				<-ctx.Done()
			}
			ev := asyncEvent{received: time.Now(), condition: conditionRetriesExhausted}
			calls := 0
			err := attemptAsync(ctx, &ev, tc.retries, tc.maxAge, func(ctx context.Context) (*lambda.InvokeOutput, error) {
				calls++
				return tc.invoke(ctx)
			})
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want an error: %v", err, tc.wantErr)
			}
			if !tc.wantErr {
				return
			}
			if ev.condition != tc.condition || ev.invokeCount != tc.attempts || calls != tc.attempts || (ev.response != nil) != tc.response {
				t.Errorf("condition %s, %d attempts counted, %d made, response %v; want %s, %d, response %v (err %v)",
					ev.condition, ev.invokeCount, calls, ev.response != nil, tc.condition, tc.attempts, tc.response, err)
			}
		})
	}
}
