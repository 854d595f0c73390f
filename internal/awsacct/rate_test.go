package awsacct

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// clock is a time that moves only when a test says.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock                   { return &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }
func acquire(t *testing.T, r *Rate) time.Time {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a full window must say so, not wait
	for range 2 {
		// Acquire tries the window before it looks at ctx.
		if start, err := r.Acquire(ctx); err == nil {
			return start
		}
	}
	t.Fatalf("no room in a window of %d", r.Window())
	return time.Time{}
}

// TestRate: the window starts at the ceiling, halves once for a burst of
// throttled requests sent together, again for a request sent after the
// decrease, never below one, and grows back by one per window of requests
// that went through, never above the ceiling.
func TestRate(t *testing.T) {
	t.Parallel()
	// Steps: "send" starts a request, "ok" and "throttled" end the oldest
	// one in flight, "tick" moves the clock a second; "ok" and
	// "throttled" alone send, tick and end one request.
	type step struct {
		do         string
		wantWindow int
	}
	tests := []struct {
		name          string
		ceiling       int
		steps         []step
		wantThrottled int
	}{
		{name: "starts at the ceiling", ceiling: 10, steps: []step{{"ok", 10}, {"ok", 10}}},
		{name: "a ceiling below one is one", ceiling: 0, steps: []step{{"ok", 1}, {"throttled", 1}}, wantThrottled: 1},
		{name: "throttled halves", ceiling: 10, steps: []step{{"throttled", 5}}, wantThrottled: 1},
		{name: "a burst halves once", ceiling: 10, steps: []step{
			{"send", 10}, {"send", 10}, {"send", 10}, {"tick", 10},
			{"end throttled", 5}, {"end throttled", 5}, {"end throttled", 5},
		}, wantThrottled: 3},
		{name: "a later request halves again, down to one", ceiling: 10, steps: []step{
			{"throttled", 5}, {"throttled", 2}, {"throttled", 1}, {"throttled", 1},
		}, wantThrottled: 4},
		{name: "recovers by one per window", ceiling: 4, steps: []step{
			{"throttled", 2}, {"throttled", 1},
			// Each request that goes through adds 1/window: 2, 2.5, 2.9,
			// 3.24, 3.55, 3.84, then the ceiling, which holds.
			{"ok", 2}, {"ok", 2}, {"ok", 2}, {"ok", 3}, {"ok", 3}, {"ok", 3},
			{"ok", 4}, {"ok", 4}, {"ok", 4}, {"ok", 4},
		}, wantThrottled: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newClock()
			r := NewRate(tt.ceiling, c.now)
			var held []time.Time
			end := func(throttled bool) {
				r.Release(held[0], throttled)
				held = held[1:]
			}
			for i, s := range tt.steps {
				switch s.do {
				case "send":
					held = append(held, acquire(t, r))
				case "tick":
					c.advance(time.Second)
				case "end ok", "end throttled":
					end(s.do == "end throttled")
				case "ok", "throttled":
					held = append(held, acquire(t, r))
					c.advance(time.Second)
					end(s.do == "throttled")
				default:
					t.Fatalf("unknown step %q", s.do)
				}
				if got := r.Window(); got != s.wantWindow {
					t.Fatalf("step %d (%s): window %d, want %d", i, s.do, got, s.wantWindow)
				}
			}
			if got := r.Throttled(); got != tt.wantThrottled {
				t.Errorf("throttled %d, want %d", got, tt.wantThrottled)
			}
		})
	}
}

// TestRateBoundsRequestsInFlight: a full window lets no request start
// until one ends; one ending lets one waiting start.
func TestRateBoundsRequestsInFlight(t *testing.T) {
	t.Parallel()
	c := newClock()
	r := NewRate(2, c.now)
	first := acquire(t, r)
	acquire(t, r)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Acquire(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("third request in a window of two: %v, want it to wait", err)
	}
	started := make(chan error)
	go func() {
		_, err := r.Acquire(context.Background())
		started <- err
	}()
	r.Release(first, false)
	if err := <-started; err != nil {
		t.Fatal(err)
	}
	if r.inFlight != 2 {
		t.Errorf("%d in flight, want 2", r.inFlight)
	}
}

// noBackoff retries at once.
type noBackoff struct{}

func (noBackoff) BackoffDelay(int, error) (time.Duration, error) { return 0, nil }

// TestRatesLimitCountsThrottles: through the SDK's own stack, each
// attempt of a call goes through its service's rate, and the throttled
// attempts the SDK retried are counted and shrink the window.
func TestRatesLimitCountsThrottles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.sts.throttle = 2
	cfg := e.baseConfig("AKIADEV")
	cfg.BaseEndpoint = aws.String(e.srv.URL)
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) { o.Backoff = noBackoff{}; o.MaxAttempts = 4 })
	}
	c := newClock()
	rs := NewRates(10, c.now)
	rs.Limit(&cfg)
	if _, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	if got := rs.Throttled(); got != 2 {
		t.Errorf("throttled %d, want 2", got)
	}
	if w := rs.For("STS").Window(); w >= 10 {
		t.Errorf("STS window %d after throttling, want below 10", w)
	}
	if w := rs.For("IAM").Window(); w != 10 {
		t.Errorf("IAM window %d, want 10: each service has its own", w)
	}
}

func apiError(code string) error {
	return &smithy.OperationError{ServiceID: "IAM", OperationName: "GetRole", Err: &smithy.GenericAPIError{Code: code, Message: "m"}}
}

func TestIsThrottle(t *testing.T) {
	t.Parallel()
	for code, want := range map[string]bool{"Throttling": true, "SlowDown": true, "TooManyRequestsException": true, "LimitExceeded": false, "AccessDenied": false} {
		t.Run(code, func(t *testing.T) {
			t.Parallel()
			err := fmt.Errorf("op: %w", apiError(code))
			if got := IsThrottle(err); got != want {
				t.Errorf("IsThrottle(%s) = %v, want %v", code, got, want)
			}
		})
	}
}
