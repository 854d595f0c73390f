package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/xacct/xacct/internal/reconcile"
)

func TestETA(t *testing.T) {
	t.Parallel()
	type step struct {
		elapsed  time.Duration
		fraction float64
		want     time.Duration // 0: none shown
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{name: "nothing before 2 s", steps: []step{{elapsed: 1900 * time.Millisecond, fraction: 0.5}}},
		{name: "nothing under 1 %", steps: []step{{elapsed: 10 * time.Second, fraction: 0.009}}},
		{name: "nothing once done", steps: []step{{elapsed: 10 * time.Second, fraction: 1}}},
		{name: "the first estimate is elapsed × (1 − f)/f", steps: []step{{elapsed: 10 * time.Second, fraction: 0.25, want: 30 * time.Second}}},
		{name: "a steady pace counts down", steps: []step{
			{elapsed: 10 * time.Second, fraction: 0.5, want: 10 * time.Second},
			{elapsed: 12 * time.Second, fraction: 0.6, want: 8 * time.Second},
		}},
		{name: "a jump moves it by a tenth per half second", steps: []step{
			{elapsed: 10 * time.Second, fraction: 0.5, want: 10 * time.Second},
			// whole run 20 s, now 42 s: 20 + (1 − e^-0.1)·22 = 22.0936 s
			{elapsed: 10500 * time.Millisecond, fraction: 0.25, want: 11593576800 * time.Nanosecond},
		}},
		{name: "never under a second", steps: []step{
			{elapsed: 10 * time.Second, fraction: 0.5, want: 10 * time.Second},
			{elapsed: 19900 * time.Millisecond, fraction: 0.99, want: time.Second},
		}},
		{name: "another run starts afresh", steps: []step{
			{elapsed: 10 * time.Second, fraction: 0.5, want: 10 * time.Second},
			{elapsed: 3 * time.Second, fraction: 0.1, want: 27 * time.Second},
		}},
		{name: "an estimate skipped keeps the last", steps: []step{
			{elapsed: 10 * time.Second, fraction: 0.5, want: 10 * time.Second},
			{elapsed: 11 * time.Second, fraction: 0},
			{elapsed: 12 * time.Second, fraction: 0.6, want: 8 * time.Second},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var e eta
			for i, s := range tt.steps {
				got, ok := e.update(s.elapsed, s.fraction)
				if !ok {
					got = 0
				}
				if d := got - s.want; d < -time.Microsecond || d > time.Microsecond || ok != (s.want != 0) {
					t.Errorf("step %d: update(%s, %v) = %s, %v; want %s", i, s.elapsed, s.fraction, got, ok, s.want)
				}
			}
		})
	}
}

func TestFormatLeft(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d    time.Duration
		want string
	}{
		{300 * time.Millisecond, "1s"},
		{45400 * time.Millisecond, "45s"},
		{59600 * time.Millisecond, "1m"},
		{80 * time.Second, "1m20s"},
		{84 * time.Second, "1m20s"},
		{120 * time.Second, "2m"},
		{3900 * time.Second, "1h5m"},
		{2*time.Hour + 29*time.Second, "2h"},
	}
	for _, tt := range tests {
		if got := formatLeft(tt.d); got != tt.want {
			t.Errorf("formatLeft(%s) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestReconcileProgressLine(t *testing.T) {
	t.Parallel()
	steps := []reconcile.Progress{
		{Compared: 1000, Records: 990, Partitions: 8, Elapsed: time.Second, Fraction: 0.1},
		{Compared: 4000, Records: 3990, Partitions: 8, Done: 3, Elapsed: 4 * time.Second, Fraction: 0.25},
		{Compared: 16000, Records: 16000, Partitions: 8, Done: 8, Elapsed: 16 * time.Second, Fraction: 1},
	}
	tests := []struct {
		name string
		tty  bool
		want string
	}{
		{name: "on a terminal, with the time left once meaningful", tty: true, want: "" +
			"\r\033[KCompared 1000 versions with 990 records (1000/s), 0 of 8 key ranges done, 1s" +
			"\r\033[KCompared 4000 versions with 3990 records (1000/s), 3 of 8 key ranges done, 4s, ~12s left" +
			"\r\033[KCompared 16000 versions with 16000 records (1000/s), 8 of 8 key ranges done, 16s" +
			"\r\033[K"},
		{name: "piped: no progress at all", tty: false, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out, errOut bytes.Buffer
			f := &Factory{IO: &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, IsTTY: tt.tty}}
			p := newProgressLine(f)
			if (p != nil) != tt.tty {
				t.Fatalf("progress line %v on a terminal %v", p != nil, tt.tty)
			}
			if p != nil {
				for _, s := range steps {
					p.compare(s)
				}
			}
			p.end()
			if got := errOut.String(); got != tt.want {
				t.Errorf("stderr:\n%q\nwant\n%q", got, tt.want)
			}
			if out.Len() != 0 {
				t.Errorf("stdout %q, want nothing", out.String())
			}
		})
	}
}
