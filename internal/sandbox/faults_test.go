package sandbox

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec    string
		want    Faults
		wantErr string
	}{
		{spec: "", want: Faults{}},
		{spec: "throttle=0.3", want: Faults{Throttle: 0.3}},
		{spec: "throttle=0.1, error=0.03", want: Faults{Throttle: 0.1, Error: 0.03}},
		{spec: "throttle=2", wantErr: "not a probability between 0 and 1"},
		{spec: "throttle=0.6,error=0.6", wantErr: "add up to more than 1"},
		{spec: "throttle=0.1,error=0.03,iam-delay=2s", want: Faults{Throttle: 0.1, Error: 0.03, IAMDelay: 2 * time.Second}},
		{spec: "iam-delay=500ms", want: Faults{IAMDelay: 500 * time.Millisecond}},
		{spec: "iam-delay=2", wantErr: "iam-delay=2 is not a duration"},
		{spec: "iam-delay=-1s", wantErr: "is not a duration between 0s and 1m0s"},
		{spec: "iam-delay=2m", wantErr: "is not a duration between 0s and 1m0s"},
		{spec: "latency=1s", wantErr: `unknown fault "latency"`},
		{spec: "throttle", wantErr: "is not NAME=VALUE"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			t.Parallel()
			got, err := ParseFaults(tt.spec)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseFaults = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// TestFaultDistribution: the injected share matches the probabilities, the
// errors have each service's shape, and a seed repeats its sequence.
func TestFaultDistribution(t *testing.T) {
	t.Parallel()
	const n = 20000
	f := Faults{Throttle: 0.1, Error: 0.03, Seed: 7}
	draw := func() []string {
		in := newInjector(f)
		out := make([]string, n)
		for i := range out {
			if ft, ok := in.draw("iam"); ok {
				out[i] = ft.code
			}
		}
		return out
	}
	a, b := draw(), draw()
	counts := map[string]int{}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("request %d: %q then %q with the same seed", i, a[i], b[i])
		}
		counts[a[i]]++
	}
	for code, p := range map[string]float64{"Throttling": 0.1, "ServiceFailure": 0.03} {
		got := float64(counts[code]) / n
		// Four standard deviations of a binomial share.
		if tol := 4 * math.Sqrt(p*(1-p)/n); math.Abs(got-p) > tol {
			t.Errorf("%s: share %.4f, want %.2f ± %.4f", code, got, p, tol)
		}
	}
	other := newInjector(Faults{Throttle: 0.1, Error: 0.03, Seed: 8})
	same := true
	for i := range 200 {
		ft, _ := other.draw("iam")
		same = same && ft.code == a[i]
	}
	if same {
		t.Error("another seed gave the same faults")
	}
	for service, want := range map[string][2]string{
		"s3": {"SlowDown", "InternalError"}, "lambda": {"TooManyRequestsException", "ServiceException"},
		"logs": {"ThrottlingException", "ServiceUnavailableException"}, "sts": {"Throttling", "ServiceFailure"},
	} {
		if throttling(service).code != want[0] || serverError(service).code != want[1] || serverError(service).status < 500 {
			t.Errorf("%s: %+v, %+v", service, throttling(service), serverError(service))
		}
	}
	if _, ok := (*injector)(nil).draw("s3"); ok {
		t.Error("no injector injected a fault")
	}
}
