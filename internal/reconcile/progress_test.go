package reconcile

import (
	"context"
	"math"
	"strings"
	"sync"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
)

func TestPartitionFraction(t *testing.T) {
	t.Parallel()
	ff := strings.Repeat("\xff", 16)
	// Every byte from 0x80 on weighs the same: a key's place in the last
	// partition is its first byte's, refined by the second's.
	eAcute := (0xc3 - 0x80 + keyCDF[0xa9]) / 0x80
	tests := []struct {
		name        string
		prefix      string
		lo, hi      int
		first, last string // first "" (the prefix): the range is not narrowed
		want        float64
	}{
		{name: "the first key of a range is at its start", lo: 'a', hi: 'g', last: "a", want: 0},
		{name: "a key in the middle of a range of letters", lo: 'a', hi: 'g', last: "d", want: 0.5},
		{name: "the next bytes place a key within its first byte", lo: 'a', hi: 'g', last: "d" + ff, want: 4.0 / 6},
		{name: "the last key of a range is at its end", lo: 'a', hi: 'g', last: "f" + ff, want: 1},
		{name: "a key after the range counts as its end", lo: 'a', hi: 'g', last: "h", want: 1},
		{name: "rare bytes weigh less than the characters of keys (digits and =)", lo: 0x30, hi: 0x41, last: "9" + ff, want: 10 / (11 + 6.0/16)},
		{name: "the first key listed narrows the range from below", lo: 'a', hi: 'g', first: "d", last: "e", want: 1.0 / 3},
		{name: "the first key itself is at the start of the narrowed range", lo: 'a', hi: 'g', first: "d", last: "d", want: 0},
		{name: "the key of the prefix itself is at the start of the first range", prefix: "logs/", lo: 0x00, hi: 0x30, first: "logs/", last: "logs/", want: 0},
		{name: "a prefix is left out", prefix: "logs/", lo: 'a', hi: 'g', last: "logs/d", want: 0.5},
		{name: "a narrowed range under a prefix", prefix: "logs/", lo: 'a', hi: 'g', first: "logs/d", last: "logs/e", want: 1.0 / 3},
		{name: "a single folder descended into: its keys after it", prefix: "reports/", lo: 'a', hi: 'g', first: "reports/a", last: "reports/c" + ff, want: 0.5},
		{name: "a single folder descended into: its own key", prefix: "reports/", lo: 0x00, hi: 0x30, first: "reports/", last: "reports/", want: 0},
		{name: "a non-ASCII key in the last range", lo: 0x80, hi: 0x100, last: "\xc3\xa9", want: eAcute},
		{name: "the last range ends at 0xFF…", lo: 0x80, hi: 0x100, first: "\x80", last: ff, want: 1},
		{name: "a first key at the very end says nothing", lo: 0x80, hi: 0x100, first: ff, last: ff, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := partition{prefix: tt.prefix, lo: tt.lo, hi: tt.hi}
			first := tt.first
			if first == "" {
				first = tt.prefix
			}
			if got := p.fraction(first, tt.last); math.Abs(got-tt.want) > 1e-6 {
				t.Errorf("fraction(%q, %q) = %.9f, want %.9f", first, tt.last, got, tt.want)
			}
		})
	}
}

func TestPositionKeepsTheKeysOrder(t *testing.T) {
	t.Parallel()
	// float64 tells keys apart by their first 7 bytes or so.
	keys := []string{"", "\x01", "!", "-", "/", "0", "2024/01/", "2024/02/", "9", "=", "A", "Z", "_", "a", "a-b", "a/", "a0",
		"az", "b", "reports/x", "z", "zz", "~", "\x80", "\xc3\xa9", "\xff"}
	for i := 1; i < len(keys); i++ {
		if a, b := position(keys[i-1]), position(keys[i]); a >= b || a < 0 || b >= 1 {
			t.Errorf("position(%q) = %v, position(%q) = %v: want 0 ≤ the first < the second < 1", keys[i-1], a, keys[i], b)
		}
	}
}

func TestEstimate(t *testing.T) {
	t.Parallel()
	// Every partition below is [a, e): "b" is a quarter through, "c" half.
	type part struct {
		last string // "": nothing listed
		n    int64
		done bool
	}
	tests := []struct {
		name  string
		parts []part
		want  float64
	}{
		{name: "nothing listed says nothing", parts: []part{{}, {}}, want: 0},
		{name: "every partition done is all", parts: []part{{last: "d", n: 5, done: true}, {done: true}}, want: 1},
		{name: "every partition done and empty is all", parts: []part{{done: true}, {done: true}}, want: 1},
		{name: "partitions as far and as full", parts: []part{{last: "c", n: 100}, {last: "c", n: 100}}, want: 0.5},
		{name: "partitions weigh by what they hold", parts: []part{{last: "d", n: 900, done: true}, {last: "c", n: 100}}, want: 1000.0 / 1100},
		{name: "empty partitions weigh nothing", parts: []part{{done: true}, {done: true}, {done: true}, {last: "b", n: 100}}, want: 0.25},
		{name: "a partition not started counts as the mean of the others", parts: []part{{last: "c", n: 100}, {}}, want: 0.25},
		{name: "a partition under 1 % says nothing when it holds more than the mean", parts: []part{{done: true}, {last: "a\x01", n: 100}}, want: 0},
		{name: "a partition under 1 % counts as the mean when it holds less", parts: []part{{last: "c", n: 1000}, {last: "a\x01", n: 10}}, want: 1010.0 / 4000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			parts := make([]partition, len(tt.parts))
			st := make([]partState, len(tt.parts))
			for i, p := range tt.parts {
				parts[i] = partition{lo: 'a', hi: 'e'}
				if p.last != "" {
					st[i].at.Store(&listed{first: "", last: p.last, n: p.n})
				}
				st[i].done.Store(p.done)
			}
			if got := estimate(parts, st); math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("estimate = %.9f, want %.9f", got, tt.want)
			}
		})
	}
}

// TestVersionStreamPublishes checks what a partition's listing tells the
// progress, page by page.
func TestVersionStreamPublishes(t *testing.T) {
	t.Parallel()
	w := newWorld()
	for _, k := range []string{"Zebra", "apple", "banana", "cherry", "date", "fig", "grape"} {
		w.version(k)
	}
	w.marker("banana")
	r := &run{opts: Options{Bucket: prodBucket, ReportPrefix: repPrefix, PageSize: 2}, pp: repPrefix + prodBucket + "/", prod: w.f, rep: w.f, hashed: map[string]Item{}}
	var st partState
	vs := r.versionStream(partition{lo: 'a', hi: 'g'}, &st)
	var seen []listed
	for {
		_, ok, err := vs.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if a := st.at.Load(); a != nil && (len(seen) == 0 || *a != seen[len(seen)-1]) {
			seen = append(seen, *a)
		}
		if !ok {
			break
		}
	}
	want := []listed{
		{first: "apple", last: "banana", n: 2}, // apple, banana's marker
		{first: "apple", last: "cherry", n: 4}, // banana, cherry
		{first: "apple", last: "fig", n: 6},    // date, fig
		// grape, after the partition: nothing more
	}
	if d := gocmp.Diff(want, seen, gocmp.AllowUnexported(listed{})); d != "" {
		t.Errorf("published (-want +got):\n%s", d)
	}
}

func TestCompareProgressEndsAtOne(t *testing.T) {
	t.Parallel()
	for _, prefix := range []string{"", "reports/"} {
		t.Run("prefix="+prefix, func(t *testing.T) {
			t.Parallel()
			w := newWorld()
			for _, k := range []string{"reports/a", "reports/b/c", "reports/x.csv", "reports/Z"} {
				w.version(k)
			}
			var mu sync.Mutex
			var last Progress
			_, _, err := w.compare(t, Options{Prefix: prefix, PageSize: 1, Progress: func(p Progress) {
				mu.Lock()
				defer mu.Unlock()
				if p.Fraction < 0 || p.Fraction > 1 {
					t.Errorf("fraction %v", p.Fraction)
				}
				last = p
			}})
			if err != nil {
				t.Fatal(err)
			}
			if last.Fraction != 1 || last.Compared != 4 || last.Done != last.Partitions {
				t.Errorf("last progress %+v, want every partition done and a fraction of 1", last)
			}
		})
	}
}
