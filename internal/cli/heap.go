package cli

import (
	"runtime"
	"runtime/debug"
)

// startingHeap is how large the heap may grow before the first garbage
// collection of a run.
const startingHeap = 32 << 20

// startHeap lets a run's heap grow to startingHeap before the collector's
// first cycle, then hands the pace back to the default (GOGC=100). Most
// commands finish well below it: a no-op plan's heap peaks near 7 MB, and
// the default pace, a cycle each time the heap doubles from 4 MB, ran a
// cycle in the middle of its ~50 concurrent requests that freed little (a
// second one runs during package initialisation, before this can act). A
// long run (audit, reconcile) pays at most startingHeap more at its peak.
// A GOGC or GOMEMLIMIT the user set is left alone.
func startHeap(getenv func(string) string) {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return
	}
	// Before the first cycle the heap goal is 4 MB scaled by GOGC/100.
	previous := debug.SetGCPercent(100 * startingHeap / (4 << 20))
	sentinel := new([16]byte)
	// The sentinel is unreachable from here on: the first cycle finds it
	// and queues its finalizer, which restores the default pace.
	runtime.SetFinalizer(sentinel, func(*[16]byte) { debug.SetGCPercent(previous) })
}
