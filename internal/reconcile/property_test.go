package reconcile

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/xacct/xacct/lambda/processor"
)

// keyPieces make keys that extend each other across '/' and the
// partitions' bounds, odd bytes, and keys shaped like records.
var keyPieces = []string{"a", "a", "-b", "/", "/", "!", "0", "é", " ", "+", "%", "\x7f", "\x01", "_hashed/", "v1.json", "z", "Z", "t"}

var prefixes = []string{"", "", "", "a", "a/", "a-", "_hashed/", "z", "a/a"}

// randomWorld fills a world with random keys, versions, delete markers,
// permanent deletions and records, some of them missing or left over.
func randomWorld(r *rand.Rand) *world {
	w := newWorld()
	for range r.IntN(25) {
		var k string
		if r.IntN(12) == 0 {
			lengths := []int{longestReadableDeletion, longestReadableDeletion + 1, longestReadable, shortestHashed, 1000}
			k = longKey(keyPieces[r.IntN(len(keyPieces))], lengths[r.IntN(len(lengths))])
		} else {
			for range 1 + r.IntN(4) {
				k += keyPieces[r.IntN(len(keyPieces))]
			}
		}
		for range 1 + r.IntN(4) {
			var v string
			if r.IntN(5) == 0 {
				v = w.bareMarker(k)
			} else {
				v = w.bare(k)
			}
			if r.IntN(8) != 0 {
				w.record(k, v)
			}
			if r.IntN(6) == 0 {
				w.purge(k, v)
				if r.IntN(2) == 0 {
					w.deletion(k, v)
				}
			}
		}
	}
	// Records of keys Production never had, with and without deletion
	// records.
	for range r.IntN(4) {
		k := keyPieces[r.IntN(len(keyPieces))] + keyPieces[r.IntN(len(keyPieces))]
		v := w.f.newVersionID()
		switch r.IntN(3) {
		case 0:
			w.record(k, v)
		case 1:
			w.record(k, v)
			w.deletion(k, v)
		default:
			w.deletion(k, v)
		}
	}
	return w
}

// expect is the brute-force answer: every version and delete marker under
// prefix without its record; every version record of a key under prefix
// whose version is gone and has no deletion record (hashed ones only
// without a prefix).
func expect(w *world, prefix string) []Item {
	w.f.mu.Lock()
	defer w.f.mu.Unlock()
	type kv struct{ key, ver string }
	versions := map[kv]bool{}
	expected := map[string]bool{}
	records := map[string]bool{}
	for k := range w.f.buckets[repBucket].vers {
		records[k] = true
	}
	var want []Item
	for k, vs := range w.f.buckets[prodBucket].vers {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		for _, v := range vs {
			versions[kv{k, v.id}] = true
			expected[rk(k, v.id)] = true
			if records[rk(k, v.id)] {
				continue
			}
			if v.marker {
				want = append(want, missingDeletion(k, v.id))
			} else {
				want = append(want, missing(k, v.id))
			}
		}
	}
	pp := repPrefix + prodBucket + "/"
	for r := range records {
		rest, ok := strings.CutPrefix(r, pp)
		if !ok || strings.HasSuffix(r, processor.DeletionSuffix) || expected[r] {
			continue
		}
		if processor.IsHashed(rest) {
			if prefix == "" && !records[strings.TrimSuffix(r, processor.RecordSuffix)+processor.DeletionSuffix] {
				want = append(want, Item{Class: Orphan, RecordKey: r, Hashed: true})
			}
			continue
		}
		name := strings.TrimSuffix(rest, processor.RecordSuffix)
		i := strings.LastIndexByte(name, '/')
		key, ver := name[:i], name[i+1:]
		if !strings.HasPrefix(key, prefix) || versions[kv{key, ver}] || records[dk(key, ver)] {
			continue
		}
		want = append(want, orphan(key, ver))
	}
	return sortItems(want)
}

// TestCompareRandom compares random buckets, at random page sizes and
// parallelism, with the brute-force answer.
func TestCompareRandom(t *testing.T) {
	t.Parallel()
	const cases = 400
	for seed := range uint64(cases) {
		r := rand.New(rand.NewPCG(seed, 18))
		w := randomWorld(r)
		prefix := prefixes[r.IntN(len(prefixes))]
		page := []int32{1, 2, 3, 7, 1000}[r.IntN(5)]
		par := []int{1, 3, 8}[r.IntN(3)]
		want := expect(w, prefix)
		rep, got, err := w.compare(t, Options{Prefix: prefix, PageSize: page, Parallel: par})
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if diff := gocmp.Diff(want, got); diff != "" {
			t.Errorf("seed %d, prefix %q, page %d, parallel %d: differences (-want +got):\n%s\nbucket:\n%s", seed, prefix, page, par, diff, w.dump())
			continue
		}
		checkReport(t, rep, got, want)
	}
}

// dump lists the world, for a failing case.
func (w *world) dump() string {
	w.f.mu.Lock()
	defer w.f.mu.Unlock()
	var b strings.Builder
	for _, name := range []string{prodBucket, repBucket} {
		bk, _ := w.f.sorted(name)
		for _, k := range bk.keys {
			shown := fmt.Sprintf("%q", k)
			if len(k) > 60 {
				shown = fmt.Sprintf("%.20q…(%d bytes)", k, len(k))
			}
			for _, v := range bk.vers[k] {
				fmt.Fprintf(&b, "  %s %s %.6s marker=%v\n", name, shown, v.id, v.marker)
			}
		}
	}
	return b.String()
}
