package sandbox

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Faults are AWS's own unhappy answers, injected at random into the
// requests the gateway serves (xacct sandbox --faults): with probability
// Throttle a request gets its service's throttling error, with probability
// Error a 5xx. The same seed gives the same faults for the same sequence of
// requests. IAMDelay is how long an IAM change takes to be honoured (see
// propagation).
type Faults struct {
	Throttle float64
	Error    float64
	IAMDelay time.Duration
	Seed     uint64
}

// maxIAMDelay bounds iam-delay: AWS's propagation takes seconds, and xacct
// waits about two minutes for it.
const maxIAMDelay = time.Minute

// ParseFaults reads "throttle=P,error=P,iam-delay=DURATION" (any may be
// left out; P in [0, 1], DURATION a Go duration up to a minute).
func ParseFaults(spec string) (Faults, error) {
	var f Faults
	if strings.TrimSpace(spec) == "" {
		return f, nil
	}
	for _, part := range strings.Split(spec, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return f, fmt.Errorf("--faults %q: %q is not NAME=VALUE", spec, part)
		}
		var dst *float64
		switch k {
		case "throttle":
			dst = &f.Throttle
		case "error":
			dst = &f.Error
		case "iam-delay":
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 || d > maxIAMDelay {
				return f, fmt.Errorf("--faults %q: iam-delay=%s is not a duration between 0s and %s (e.g. 2s)", spec, v, maxIAMDelay)
			}
			f.IAMDelay = d
			continue
		default:
			return f, fmt.Errorf("--faults %q: unknown fault %q (throttle, error, iam-delay)", spec, k)
		}
		p, err := strconv.ParseFloat(v, 64)
		if err != nil || p < 0 || p > 1 {
			return f, fmt.Errorf("--faults %q: %s=%s is not a probability between 0 and 1", spec, k, v)
		}
		*dst = p
	}
	if f.Throttle+f.Error > 1 {
		return f, fmt.Errorf("--faults %q: the probabilities add up to more than 1", spec)
	}
	return f, nil
}

// fault is one injected answer.
type fault struct {
	status    int
	code, msg string
}

// injector draws the faults, in request order, from one seeded source.
type injector struct {
	f   Faults
	mu  sync.Mutex
	rng *rand.Rand
	// Counts of injected faults by code, for the log and tests.
	counts map[string]int
}

func newInjector(f Faults) *injector {
	return &injector{f: f, rng: rand.New(rand.NewPCG(f.Seed, f.Seed^0x9e3779b97f4a7c15)), counts: map[string]int{}}
}

// draw decides the fault of the next request to service, if any.
func (in *injector) draw(service string) (fault, bool) {
	if in == nil || in.f.Throttle+in.f.Error == 0 {
		return fault{}, false
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	x := in.rng.Float64()
	var ft fault
	switch {
	case x < in.f.Throttle:
		ft = throttling(service)
	case x < in.f.Throttle+in.f.Error:
		ft = serverError(service)
	default:
		return fault{}, false
	}
	in.counts[ft.code]++
	return ft, true
}

// throttling is the service's own "slow down".
func throttling(service string) fault {
	switch service {
	case "s3":
		return fault{http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate."}
	case "lambda":
		return fault{http.StatusTooManyRequests, "TooManyRequestsException", "Rate exceeded"}
	case "logs":
		return fault{http.StatusBadRequest, "ThrottlingException", "Rate exceeded"}
	}
	return fault{http.StatusBadRequest, "Throttling", "Rate exceeded"}
}

// serverError is the service's own internal failure.
func serverError(service string) fault {
	switch service {
	case "s3":
		return fault{http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again."}
	case "lambda":
		return fault{http.StatusInternalServerError, "ServiceException", "The AWS Lambda service encountered an internal error."}
	case "logs":
		return fault{http.StatusServiceUnavailable, "ServiceUnavailableException", "The service cannot complete the request."}
	}
	return fault{http.StatusInternalServerError, "ServiceFailure", "The request processing has failed because of an unknown error, exception or failure."}
}
