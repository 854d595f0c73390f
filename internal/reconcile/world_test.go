package reconcile

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/xacct/xacct/lambda/processor"
)

// The buckets every test compares.
const (
	prodBucket = "prod"
	repBucket  = "reporting"
	repPrefix  = "records/"
	failBucket = "failures"
	failPrefix = "aws/lambda/async/processor/"
)

// world is a Production bucket, its records in Reporting and the
// processor's failure bucket, on one fake.
type world struct {
	f *fakeS3
}

func newWorld() *world {
	f := newFakeS3()
	f.mu.Lock()
	f.bucket(prodBucket)
	f.bucket(repBucket)
	f.bucket(failBucket)
	f.mu.Unlock()
	return &world{f: f}
}

func rk(key, ver string) string { return processor.RecordKey(repPrefix, prodBucket, key, ver) }
func dk(key, ver string) string { return processor.DeletionRecordKey(repPrefix, prodBucket, key, ver) }

func hashed(recordKey string) bool {
	return processor.IsHashed(strings.TrimPrefix(recordKey, repPrefix+prodBucket+"/"))
}

// version adds an object version and its record.
func (w *world) version(key string) string { id := w.bare(key); w.record(key, id); return id }

// bare adds an object version without its record.
func (w *world) bare(key string) string { return w.f.put(prodBucket, key) }

// versionID adds an object version with the given ID, without its record.
func (w *world) versionID(key, id string) string { return w.f.add(prodBucket, key, id, false) }

// marker adds a delete marker and its record.
func (w *world) marker(key string) string { id := w.bareMarker(key); w.record(key, id); return id }

// bareMarker adds a delete marker without its record.
func (w *world) bareMarker(key string) string { return w.f.deleteMarker(prodBucket, key) }

// record writes the record of a version (or delete marker).
func (w *world) record(key, ver string) { w.f.put(repBucket, rk(key, ver)) }

// deletion writes the record of a version's permanent deletion.
func (w *world) deletion(key, ver string) { w.f.put(repBucket, dk(key, ver)) }

// purge deletes a version permanently (its records stay).
func (w *world) purge(key, ver string) { w.f.purge(prodBucket, key, ver) }

// failed adds a version of a failed event's file; it returns the version.
func (w *world) failed(name string) string { return w.f.put(failBucket, failPrefix+name) }

// counts are the versions and delete markers under prefix.
func (w *world) counts(prefix string) (versions, markers int64) {
	w.f.mu.Lock()
	defer w.f.mu.Unlock()
	for k, vs := range w.f.buckets[prodBucket].vers {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		for _, v := range vs {
			if v.marker {
				markers++
			} else {
				versions++
			}
		}
	}
	return versions, markers
}

// The differences a test expects.

func missing(key, ver string) Item {
	k := rk(key, ver)
	return Item{Class: MissingVersion, Key: key, VersionID: ver, RecordKey: k, Hashed: hashed(k)}
}

func missingDeletion(key, ver string) Item {
	k := rk(key, ver)
	return Item{Class: MissingDeletion, Key: key, VersionID: ver, RecordKey: k, Hashed: hashed(k)}
}

func orphan(key, ver string) Item {
	k := rk(key, ver)
	if hashed(k) {
		return Item{Class: Orphan, RecordKey: k, Hashed: true}
	}
	return Item{Class: Orphan, Key: key, VersionID: ver, RecordKey: k}
}

func failedEvent(name, ver string) Item {
	return Item{Class: FailedEvent, File: failPrefix + name, FileVersion: ver}
}

func sortItems(items []Item) []Item {
	items = slices.Clone(items)
	slices.SortFunc(items, func(a, b Item) int {
		return cmp.Or(cmp.Compare(a.Class, b.Class), cmp.Compare(a.RecordKey, b.RecordKey), cmp.Compare(a.File, b.File),
			cmp.Compare(a.Key, b.Key), cmp.Compare(a.VersionID, b.VersionID))
	})
	return items
}

// compare runs Compare on the world and returns its report and every
// difference it sent to the sink, sorted.
func (w *world) compare(t testing.TB, opts Options) (*Report, []Item, error) {
	t.Helper()
	opts.Bucket, opts.ReportBucket, opts.ReportPrefix = prodBucket, repBucket, repPrefix
	if opts.FailureBucket == "" {
		opts.FailureBucket, opts.FailurePrefix = failBucket, failPrefix
	}
	var items []Item
	opts.Sink = func(it Item) { items = append(items, it) } // Compare serializes the calls
	rep, err := Compare(context.Background(), w.f, w.f, opts)
	return rep, sortItems(items), err
}

// longKey is a key of n bytes starting with start.
func longKey(start string, n int) string {
	return start + strings.Repeat("x", n-len(start))
}

// Key lengths around the hashing threshold, for this test's record prefix,
// bucket and 32-character version IDs: a record key is the object key plus
// len("records/prod/") + 1 + 32 + len(".json") = 51 bytes (59 for a
// deletion record), hashed past 1,024.
const (
	longestReadable         = 1024 - 51     // 973: the record is readable
	shortestHashed          = 1024 - 51 + 1 // 974: the record is hashed
	longestReadableDeletion = 1024 - 59     // 965: beyond it the deletion record is hashed
)
