package reconcile

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
)

type compareCase struct {
	name   string
	prefix string
	// build fills the world and returns the differences a user must be
	// told about.
	build func(w *world) []Item
}

// pageSizes cover every page boundary of the small buckets below, and one
// page.
var pageSizes = []int32{1, 2, 3, 1000}

var compareCases = []compareCase{
	{name: "an empty bucket has nothing missing", build: func(w *world) []Item { return nil }},
	{name: "a complete bucket has no difference", build: func(w *world) []Item {
		for _, k := range []string{"a", "b/c", "d.txt", "reports/2024/01.csv", "Z"} {
			w.version(k)
			w.version(k)
		}
		w.marker("b/c")
		w.version("b/c")
		return nil
	}},
	{name: "a version without its record is reported with the record expected", build: func(w *world) []Item {
		w.version("a")
		v := w.bare("a")
		w.version("b")
		return []Item{missing("a", v)}
	}},
	{name: "a delete marker without its record is a missing deletion", build: func(w *world) []Item {
		w.version("a")
		m := w.bareMarker("a")
		return []Item{missingDeletion("a", m)}
	}},
	{name: "a record of a version that no longer exists is an orphan", build: func(w *world) []Item {
		w.version("a")
		v := w.version("a")
		w.purge("a", v)
		gone := w.version("gone")
		w.purge("gone", gone)
		return []Item{orphan("a", v), orphan("gone", gone)}
	}},
	{name: "a deleted version with its deletion record is not an orphan", build: func(w *world) []Item {
		w.version("a")
		v := w.version("a")
		w.purge("a", v)
		w.deletion("a", v)
		m := w.marker("b")
		w.purge("b", m)
		w.deletion("b", m)
		return nil
	}},
	{name: "a deletion record of a version that exists is reported (records are never overwritten)", build: func(w *world) []Item {
		v := w.version("k")
		w.deletion("k", v)
		w.version("l")
		return []Item{{Class: WrongDeletion, Key: "k", VersionID: v, RecordKey: dk("k", v)}}
	}},
	{name: "a deletion record without its version record is no difference", build: func(w *world) []Item {
		v := w.bare("a")
		w.purge("a", v)
		w.deletion("a", v)
		w.version("b")
		return nil
	}},
	{name: "exact counts per class, samples capped", build: func(w *world) []Item {
		var want []Item
		for i := range 12 {
			k := fmt.Sprintf("k%02d", i)
			w.version(k)
			want = append(want, missing(k, w.bare(k)))
			if i%4 == 0 {
				want = append(want, missingDeletion(k, w.bareMarker(k)))
			}
			if i%3 == 0 {
				v := w.version(k)
				w.purge(k, v)
				want = append(want, orphan(k, v))
			}
		}
		return want
	}},
	{name: "keys that extend each other, all recorded", build: func(w *world) []Item {
		for _, k := range extending {
			w.version(k)
			w.marker(k)
			w.version(k)
		}
		return nil
	}},
	{name: "keys that extend each other, one of each class missing per key", build: func(w *world) []Item {
		var want []Item
		for _, k := range extending {
			w.version(k)
			want = append(want, missing(k, w.bare(k)), missingDeletion(k, w.bareMarker(k)))
			v := w.version(k)
			w.purge(k, v)
			want = append(want, orphan(k, v))
			v = w.version(k)
			w.purge(k, v)
			w.deletion(k, v)
		}
		return want
	}},
	{name: "a key named like another key's record", build: func(w *world) []Item {
		// Key "a" version "v1" was deleted and recorded: its records
		// a/v1.deleted.json and a/v1.json have the records of the keys
		// "a/v1.deleted.json" and "a/v1.json" between and after them.
		w.versionID("a", "v1")
		w.record("a", "v1")
		w.purge("a", "v1")
		w.deletion("a", "v1")
		w.versionID("a", "v2")
		w.record("a", "v2")
		w.purge("a", "v2")
		w.version("a/v1.json")
		w.version("a/v1.deleted.json")
		w.version("a/v2.json")
		w.version("a/v1")
		return []Item{orphan("a", "v2")}
	}},
	{name: "the key equal to the prefix", prefix: "a", build: func(w *world) []Item {
		w.version("a")
		m := w.bareMarker("a")
		w.version("a/b")
		w.version("a!")
		w.version("ab")
		w.version("b")
		w.bare("b")
		return []Item{missingDeletion("a", m)}
	}},
	{name: "the key equal to a prefix ending in /", prefix: "a/", build: func(w *world) []Item {
		v := w.bare("a/")
		w.version("a/b")
		w.version("a/!")
		return []Item{missing("a/", v)}
	}},
	{name: "keys with spaces, +, %, unicode, control characters and 0x7f", build: func(w *world) []Item {
		var want []Item
		for i, k := range oddKeys {
			w.version(k)
			switch i % 3 {
			case 0:
				want = append(want, missing(k, w.bare(k)))
			case 1:
				v := w.version(k)
				w.purge(k, v)
				want = append(want, orphan(k, v))
			}
		}
		return want
	}},
	{name: "many versions of one key", build: func(w *world) []Item {
		var want []Item
		for i := range 60 {
			switch {
			case i%7 == 0:
				want = append(want, missing("k", w.bare("k")))
			case i%11 == 0:
				want = append(want, missingDeletion("k", w.bareMarker("k")))
			case i%5 == 0:
				w.marker("k")
			default:
				w.version("k")
			}
		}
		w.version("k/")
		w.version("k-")
		return want
	}},
	{name: "delete markers interleaved with versions", build: func(w *world) []Item {
		var want []Item
		for _, k := range []string{"a", "a/b", "b"} {
			w.version(k)
			w.marker(k)
			want = append(want, missing(k, w.bare(k)))
			want = append(want, missingDeletion(k, w.bareMarker(k)))
			w.version(k)
			w.marker(k)
		}
		return want
	}},
	{name: "long keys: hashed records present, missing and orphaned", build: func(w *world) []Item {
		var want []Item
		w.version(longKey("a", shortestHashed))
		w.marker(longKey("a", shortestHashed))
		w.version(longKey("b", 1024))
		want = append(want, missing(longKey("c", 1000), w.bare(longKey("c", 1000))))
		want = append(want, missingDeletion(longKey("c", 1000), w.bareMarker(longKey("c", 1000))))
		v := w.version(longKey("d", 1000))
		w.purge(longKey("d", 1000), v)
		want = append(want, orphan(longKey("d", 1000), v))
		v = w.version(longKey("e", 1000))
		w.purge(longKey("e", 1000), v)
		w.deletion(longKey("e", 1000), v)
		w.version(longKey("f", longestReadable)) // readable, the longest
		w.version("a")
		return want
	}},
	{name: "long keys under a prefix: hashed orphans are not looked for", prefix: "a", build: func(w *world) []Item {
		var want []Item
		w.version(longKey("a", 1000))
		want = append(want, missing(longKey("a1", 1000), w.bare(longKey("a1", 1000))))
		v := w.version(longKey("a2", 1000))
		w.purge(longKey("a2", 1000), v) // an orphan Compare cannot place
		v = w.version(longKey("b", 1000))
		w.purge(longKey("b", 1000), v)
		w.bare(longKey("b", 1000)) // outside the prefix
		return want
	}},
	{name: "keys starting with _hashed/", build: func(w *world) []Item {
		var want []Item
		k := "_hashed/" + strings.Repeat("ab", 32) + ".json" // a key shaped like a hashed record
		w.version(k)
		want = append(want, missing(k, w.bare(k)))
		v := w.version("_hashed/x")
		w.purge("_hashed/x", v)
		want = append(want, orphan("_hashed/x", v))
		w.version("_hashed")
		w.version(longKey("_hashed/", 1000))
		return want
	}},
	{name: "descend: every key under one folder", build: func(w *world) []Item {
		var want []Item
		for i := range 30 {
			k := fmt.Sprintf("reports/2024/%c%02d.csv", "a0Z_~"[i%5], i)
			w.version(k)
			if i%6 == 0 {
				want = append(want, missing(k, w.bare(k)))
			}
		}
		w.version("reports/2024/")
		w.version(longKey("reports/2024/l", 1000))
		return want
	}},
	{name: "a prefix: differences outside it are not reported", prefix: "b/", build: func(w *world) []Item {
		var want []Item
		w.bare("a")
		w.bare("b")
		w.bareMarker("b0")
		want = append(want, missing("b/1", w.bare("b/1")))
		w.version("b/2")
		v := w.version("b/3")
		w.purge("b/3", v)
		want = append(want, orphan("b/3", v))
		v = w.version("c/3")
		w.purge("c/3", v)
		return want
	}},
	{name: "a prefix ending in / leaves the records of the key before the slash alone", prefix: "a/", build: func(w *world) []Item {
		w.version("a") // its record a/<version>.json is under the prefix's records
		w.version("a/b")
		return nil
	}},
	{name: "a readable record whose deletion record is hashed is not an orphan", build: func(w *world) []Item {
		// Between 966 and 973 bytes a key's record is readable and its
		// deletion record (8 bytes longer) is hashed.
		k := longKey("m", longestReadableDeletion+1)
		v := w.version(k)
		w.purge(k, v)
		w.deletion(k, v)
		w.version("a")
		return nil
	}},
	{name: "failed events: the current version of each file", build: func(w *world) []Item {
		w.version("a")
		w.failed("old")
		cur := w.failed("old")
		one := w.failed("one")
		gone := "gone"
		w.failed(gone)
		w.f.deleteMarker(failBucket, failPrefix+gone)
		w.f.put(failBucket, "aws/lambda/async/other/x") // another function's
		return []Item{failedEvent("old", cur), failedEvent("one", one)}
	}},
}

func init() {
	// descend: one case per place a record can be outside the folder the
	// bucket's keys are all in; the comparison must still find it.
	for _, outside := range []string{"reports", "reports/2024", "reports/20", "reports/2024/", "other/x", "z", "!", longKey("reports/2024/l", 1000)} {
		compareCases = append(compareCases, compareCase{name: fmt.Sprintf("descend: an orphan of %.20q outside the folder is found", outside), build: func(w *world) []Item {
			for i := range 10 {
				w.version(fmt.Sprintf("reports/2024/%02d.csv", i))
			}
			v := w.version(outside)
			w.purge(outside, v)
			return []Item{orphan(outside, v)}
		}})
	}
}

// extending are keys that extend each other with bytes below and above
// '/', and a key named like a record.
var extending = []string{"a", "a-b", "a/b", "a/", "a!", "a0", "a/v1.json", "a/b/c", "a.b", "a//", "a-", "a-b/c"}

var oddKeys = []string{
	"with space", "with space/inside", "a+b", "a%2Fb", "a%", "é", "日本/語", "\U0010FFFF", "a\U0010FFFF", "\x01", "a\tb",
	"\x7f", "\x7f\U0010FFFF", "\x7f/x", "~", "/", "//", "/a", ".", "..", "A", "@", "[", "`", "{", "0", "9", "g", "n", "t", "s",
	"f", "m", "\u0080", "a\x00b",
}

// TestCompare runs every case at every page size, one partition at a time
// and eight at once: the differences must be the ones the case expects,
// whatever the listings' page boundaries and the partitions' order.
func TestCompare(t *testing.T) {
	t.Parallel()
	for _, tc := range compareCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld()
			want := sortItems(tc.build(w))
			wantVersions, wantMarkers := w.counts(tc.prefix)
			for _, page := range pageSizes {
				for _, par := range []int{1, 8} {
					t.Run(fmt.Sprintf("page=%d/parallel=%d", page, par), func(t *testing.T) {
						rep, got, err := w.compare(t, Options{Prefix: tc.prefix, PageSize: page, Parallel: par})
						if err != nil {
							t.Fatal(err)
						}
						checkReport(t, rep, got, want)
						if rep.Versions != wantVersions || rep.DeleteMarkers != wantMarkers {
							t.Errorf("compared %d versions and %d delete markers, want %d and %d", rep.Versions, rep.DeleteMarkers, wantVersions, wantMarkers)
						}
						if rep.HashedOrphansChecked != (tc.prefix == "") {
							t.Errorf("HashedOrphansChecked = %v under prefix %q", rep.HashedOrphansChecked, tc.prefix)
						}
					})
				}
			}
		})
	}
}

// checkReport checks the differences sent to the sink and the report's
// counts and samples against them.
func checkReport(t *testing.T, rep *Report, got, want []Item) {
	t.Helper()
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("differences (-want +got):\n%s", diff)
	}
	byClass := map[Class][]Item{}
	for _, it := range got {
		byClass[it.Class] = append(byClass[it.Class], it)
	}
	for _, c := range Classes {
		if rep.Missing[c] != int64(len(byClass[c])) {
			t.Errorf("Missing[%s] = %d, the sink had %d", c, rep.Missing[c], len(byClass[c]))
		}
		if n := min(len(byClass[c]), samplesPerClass); len(rep.Samples[c]) != n {
			t.Errorf("%d samples of %s, want %d", len(rep.Samples[c]), c, n)
		}
		for _, s := range rep.Samples[c] {
			if !slices.Contains(byClass[c], s) {
				t.Errorf("sample %+v is not a difference", s)
			}
		}
	}
	if rep.Complete() != (len(want) == 0) || rep.Total() != int64(len(got)) {
		t.Errorf("Complete() = %v, Total() = %d with %d differences", rep.Complete(), rep.Total(), len(got))
	}
}
