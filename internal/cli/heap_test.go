package cli

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// gcPercent reads the collector's GOGC without changing it.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// TestStartHeap: a run starts with room for startingHeap before the first
// collection, and the first collection hands the pace back; a GOGC or
// GOMEMLIMIT the user set is left alone. Not parallel: GOGC is the
// process's.
func TestStartHeap(t *testing.T) {
	before := gcPercent()
	t.Cleanup(func() { debug.SetGCPercent(before) })

	for _, env := range []string{"GOGC", "GOMEMLIMIT"} {
		startHeap(func(k string) string {
			if k == env {
				return "50"
			}
			return ""
		})
		if got := gcPercent(); got != before {
			t.Errorf("with %s set, GOGC became %d, want it left at %d", env, got, before)
		}
	}

	startHeap(func(string) string { return "" })
	if got, want := gcPercent(), 100*startingHeap/(4<<20); got != want {
		t.Fatalf("GOGC at the start of a run = %d, want %d", got, want)
	}
	deadline := time.Now().Add(5 * time.Second)
	for gcPercent() != before {
		if time.Now().After(deadline) {
			t.Fatalf("GOGC is still %d after collections, want %d again", gcPercent(), before)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}
