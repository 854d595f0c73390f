package awsacct

import (
	"context"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"

	"github.com/xacct/xacct/internal/awserr"
)

// throttleCodes are the error codes with which AWS services say "slow
// down" (not LimitExceeded: in IAM that is a quota, not a rate).
var throttleCodes = []string{
	"Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException", "TooManyRequestsException",
	"RequestLimitExceeded", "RequestThrottled", "SlowDown",
}

// IsThrottle reports whether err is AWS throttling the request.
func IsThrottle(err error) bool { return awserr.Is(err, throttleCodes...) }

// Rate limits the requests in flight to one service of one account, and
// adapts to the service's throttling (additive increase, multiplicative
// decrease): it starts at its ceiling, halves its window when a request is
// throttled, and grows it back by one for each window's worth of requests
// that went through. A burst of throttled requests sent in the same window
// halves it once: only a request that started after the last decrease
// decreases it again.
type Rate struct {
	ceiling int
	now     func() time.Time

	mu        sync.Mutex
	window    float64
	inFlight  int
	decreased time.Time // when the window last halved
	throttled int
	waiters   []chan struct{}
}

// NewRate returns a rate of at most ceiling requests at once (at least
// one); now is the clock (time.Now).
func NewRate(ceiling int, now func() time.Time) *Rate {
	ceiling = max(ceiling, 1)
	return &Rate{ceiling: ceiling, now: now, window: float64(ceiling)}
}

// Window returns how many requests may be in flight now.
func (r *Rate) Window() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return int(r.window)
}

// Throttled returns how many requests were throttled.
func (r *Rate) Throttled() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.throttled
}

// Acquire waits for room in the window, or for ctx to end. It returns the
// time the request starts, for Release.
func (r *Rate) Acquire(ctx context.Context) (time.Time, error) {
	for {
		r.mu.Lock()
		if r.inFlight < int(r.window) {
			r.inFlight++
			start := r.now()
			r.mu.Unlock()
			return start, nil
		}
		wake := make(chan struct{})
		r.waiters = append(r.waiters, wake)
		r.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			r.mu.Lock()
			for i, w := range r.waiters {
				if w == wake {
					r.waiters = append(r.waiters[:i], r.waiters[i+1:]...)
					break
				}
			}
			r.mu.Unlock()
			return time.Time{}, ctx.Err()
		}
	}
}

// Release ends a request that Acquire let start at start; throttled says
// whether the service throttled it.
func (r *Rate) Release(start time.Time, throttled bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inFlight--
	switch {
	case throttled:
		r.throttled++
		if start.Before(r.decreased) {
			// Sent before the window last halved: that decrease
			// answered it already.
			break
		}
		r.window = max(1, r.window/2)
		r.decreased = r.now()
	default:
		r.window = min(float64(r.ceiling), r.window+1/r.window)
	}
	// Everyone waiting looks again: the window may have room.
	for _, w := range r.waiters {
		close(w)
	}
	r.waiters = nil
}

// Rates are one account's client-side limits, one Rate per service, each
// with the same ceiling.
type Rates struct {
	ceiling int
	now     func() time.Time

	mu    sync.Mutex
	rates map[string]*Rate
}

// NewRates returns an account's rates, each of at most ceiling requests
// at once; now is the clock (time.Now).
func NewRates(ceiling int, now func() time.Time) *Rates {
	return &Rates{ceiling: ceiling, now: now, rates: map[string]*Rate{}}
}

// For returns the rate of a service (its SDK service ID: "IAM", "S3").
func (rs *Rates) For(service string) *Rate {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	r := rs.rates[service]
	if r == nil {
		r = NewRate(rs.ceiling, rs.now)
		rs.rates[service] = r
	}
	return r
}

// Throttled returns how many requests the account's services throttled.
func (rs *Rates) Throttled() int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	n := 0
	for _, r := range rs.rates {
		n += r.Throttled()
	}
	return n
}

// Limit makes every request of the clients built from cfg, each attempt
// of it (the SDK's retries included), wait for room in its service's rate.
func (rs *Rates) Limit(cfg *aws.Config) {
	cfg.APIOptions = append(cfg.APIOptions, func(s *middleware.Stack) error {
		return s.Finalize.Insert(middleware.FinalizeMiddlewareFunc("xacct.Rate", rs.handle), "Retry", middleware.After)
	})
}

func (rs *Rates) handle(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	r := rs.For(awsmiddleware.GetServiceID(ctx))
	start, err := r.Acquire(ctx)
	if err != nil {
		return middleware.FinalizeOutput{}, middleware.Metadata{}, err
	}
	out, md, err := next.HandleFinalize(ctx, in)
	r.Release(start, IsThrottle(err))
	return out, md, err
}
