package reconcile

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/smithy-go"
)

// errorWorld has keys in every partition, a long key and a failed event,
// so that every listing Compare makes is made, many times at page size 1.
func errorWorld() *world {
	w := newWorld()
	for _, k := range []string{"!", "/a", "0", "A", "_x", "a", "g", "n", "t", "é", "reports/x"} {
		w.version(k)
		w.version(k)
	}
	w.version(longKey("h", 1000))
	w.failed("e")
	return w
}

// reconcileGoroutines counts the goroutines running the comparison's code
// (not the tests'), giving those that have just finished a second to exit.
func reconcileGoroutines() int {
	n := 0
	for deadline := time.Now().Add(time.Second); ; time.Sleep(10 * time.Millisecond) {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		n = 0
		for _, g := range strings.Split(string(buf), "\n\n") {
			if strings.Contains(g, "reconcile.(*run)") || strings.Contains(g, "reconcile.Compare") {
				n++
			}
		}
		if n == 0 || time.Now().After(deadline) {
			return n
		}
	}
}

// TestCompareErrors: an error from any listing is returned, wrapped so that
// errors.Is and errors.As still see it, Compare returns promptly, and no
// goroutine of the comparison is left behind. Not parallel: it counts
// goroutines.
func TestCompareErrors(t *testing.T) {
	// failAt fails the n-th call (from 1) matching op and, when set, a
	// prefix starting with prefix.
	failAt := func(op, bucket, prefix string, n int64) func() func(context.Context, string, string, string) error {
		return func() func(context.Context, string, string, string) error {
			var seen atomic.Int64
			return func(_ context.Context, o, b, p string) error {
				if o == op && b == bucket && strings.HasPrefix(p, prefix) && seen.Add(1) == n {
					return errBoom
				}
				return nil
			}
		}
	}
	tests := []struct {
		name string
		fail func() func(context.Context, string, string, string) error // a new hook per run
		want error
	}{
		{name: "the first Production listing (descend)", fail: failAt("ListObjectVersions", prodBucket, "", 1), want: errBoom},
		{name: "the records' first listing", fail: failAt("ListObjectsV2", repBucket, "", 1), want: errBoom},
		{name: "a partition's versions, mid-way", fail: failAt("ListObjectVersions", prodBucket, "", 7), want: errBoom},
		{name: "a partition's records, mid-way", fail: failAt("ListObjectsV2", repBucket, repPrefix, 7), want: errBoom},
		{name: "the hashed records", fail: failAt("ListObjectsV2", repBucket, repPrefix+prodBucket+"/_hashed/", 1), want: errBoom},
		{name: "the failed events", fail: failAt("ListObjectVersions", failBucket, "", 1), want: errBoom},
		{name: "a listing hangs until canceled while another fails", fail: func() func(context.Context, string, string, string) error {
			return hangAndFail
		}, want: errBoom},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, par := range []int{1, 8} {
				before := reconcileGoroutines()
				w := errorWorld()
				w.f.fail = tc.fail()
				done := make(chan error, 1)
				go func() {
					rep, _, err := w.compare(t, Options{PageSize: 1, Parallel: par, Progress: func(Progress) {}})
					if rep != nil {
						t.Errorf("a report with the error %v", err)
					}
					done <- err
				}()
				var err error
				select {
				case err = <-done:
				case <-time.After(10 * time.Second):
					t.Fatalf("parallel %d: Compare did not return", par)
				}
				var api smithy.APIError
				if !errors.Is(err, tc.want) || !errors.As(err, &api) || api.ErrorCode() != "AccessDenied" {
					t.Errorf("parallel %d: error %v, want one wrapping %v", par, err, tc.want)
				}
				if n := reconcileGoroutines(); n > before {
					t.Errorf("parallel %d: %d goroutines of the comparison left", par, n-before)
				}
			}
		})
	}
}

// TestCompareCanceled: canceling the caller's context stops the
// comparison with context.Canceled, whichever listing is running.
func TestCompareCanceled(t *testing.T) {
	for _, call := range []int64{1, 2, 5, 20, 40} {
		w := errorWorld()
		ctx, cancel := context.WithCancel(context.Background())
		var calls atomic.Int64
		w.f.fail = func(context.Context, string, string, string) error {
			if calls.Add(1) == call {
				cancel()
			}
			return nil
		}
		before := reconcileGoroutines()
		rep, err := Compare(ctx, w.f, w.f, Options{Bucket: prodBucket, ReportBucket: repBucket, ReportPrefix: repPrefix,
			FailureBucket: failBucket, FailurePrefix: failPrefix, PageSize: 1, Parallel: 2})
		cancel()
		if rep != nil || !errors.Is(err, context.Canceled) {
			t.Errorf("canceled at call %d: report %v, error %v; want context.Canceled", call, rep != nil, err)
		}
		if n := reconcileGoroutines(); n > before {
			t.Errorf("canceled at call %d: %d goroutines of the comparison left", call, n-before)
		}
	}
}

// hangAndFail hangs the records' listings until their context is canceled
// and fails the failed events' listing a little later.
func hangAndFail(ctx context.Context, o, b, p string) error {
	switch {
	case o == "ListObjectsV2" && p == repPrefix+prodBucket+"/": // descend: let it pass
	case o == "ListObjectsV2":
		<-ctx.Done() // hangs until Compare gives up on it
		return ctx.Err()
	case b == failBucket:
		time.Sleep(10 * time.Millisecond)
		return errBoom
	}
	return nil
}

var errBoom = &smithy.GenericAPIError{Code: "AccessDenied", Message: "boom"}
