package reconcile

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"
)

var benchSizes = []int{10_000, 100_000}

// benchWorld is a bucket of n versions (two per key; every tenth key has
// a delete marker instead of its second version), all recorded, its keys
// spread over every partition.
func benchWorld(n int) *world {
	w := newWorld()
	firsts := []string{"!", "0", "A", "_", "a", "g", "n", "t", "z", "é"}
	for i := 0; i < n; i += 2 {
		k := fmt.Sprintf("%s%02d/part-%07d.parquet", firsts[i/2%len(firsts)], i%97, i)
		w.version(k)
		if i/2%10 == 0 {
			w.marker(k)
		} else {
			w.version(k)
		}
	}
	return w
}

func benchOptions() Options {
	return Options{Bucket: prodBucket, ReportBucket: repBucket, ReportPrefix: repPrefix}
}

// BenchmarkCompare compares complete buckets on the fake (default page size
// and parallelism); versions/s counts versions and delete markers.
func BenchmarkCompare(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("versions=%d", n), func(b *testing.B) {
			w := benchWorld(n)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				rep, err := Compare(context.Background(), w.f, w.f, benchOptions())
				if err != nil {
					b.Fatal(err)
				}
				if !rep.Complete() || rep.Versions+rep.DeleteMarkers != int64(n) {
					b.Fatalf("%d versions and markers, complete %v", rep.Versions+rep.DeleteMarkers, rep.Complete())
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "versions/s")
		})
	}
}

// BenchmarkCompareMemory measures what a comparison keeps in memory: the
// peak of the live heap above the fake's, and what it allocates per
// version (TotalAlloc, the fake's listing pages included). Both must not
// grow with the bucket: compare the sizes.
//
// The live heap is sampled with every listing held at its start by the
// fake's gate, after two forced GCs: sampling while the comparison runs
// would count what it allocates during the GC, which lasts as long as the
// fake's heap is large, and so grows with the bucket by itself.
func BenchmarkCompareMemory(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("versions=%d", n), func(b *testing.B) {
			w := benchWorld(n)
			var peak, alloc uint64
			for b.Loop() {
				p, a := measure(b, w)
				peak, alloc = max(peak, p), alloc+a
			}
			b.ReportMetric(float64(peak), "peak-live-B")
			b.ReportMetric(float64(alloc)/float64(b.N)/float64(n), "alloc-B/version")
		})
	}
}

// measure runs one comparison and returns the peak live heap above the
// baseline and the bytes allocated.
func measure(b *testing.B, w *world) (peak, alloc uint64) {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	stop, sampled := make(chan struct{}), make(chan uint64)
	go func() {
		var top uint64
		var s runtime.MemStats
		for {
			select {
			case <-stop:
				sampled <- top
				return
			case <-time.After(5 * time.Millisecond):
			}
			w.f.gate.Lock()
			time.Sleep(2 * time.Millisecond) // the workers finish their page and reach the gate
			runtime.GC()
			runtime.GC()
			runtime.ReadMemStats(&s)
			w.f.gate.Unlock()
			if s.HeapAlloc > base {
				top = max(top, s.HeapAlloc-base)
			}
		}
	}()
	runtime.ReadMemStats(&ms)
	total := ms.TotalAlloc
	if _, err := Compare(context.Background(), w.f, w.f, benchOptions()); err != nil {
		b.Fatal(err)
	}
	runtime.ReadMemStats(&ms)
	alloc = ms.TotalAlloc - total
	close(stop)
	return <-sampled, alloc
}
