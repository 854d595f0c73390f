package reconcile

import (
	"container/heap"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/xacct/xacct/lambda/processor"
)

// A partition is the keys under prefix whose next byte is in [lo, hi). The
// key equal to prefix itself belongs to the partition of '/', as its
// records do (<prefix>/<version>.json). Both sides of a partition are
// contiguous ranges of their listings, so partitions share nothing.
type partition struct {
	prefix string
	lo, hi int
}

// splits are the partitions' lower bounds: ASCII bytes only, so that a
// listing can start just below each (see marker); everything from 0x80 on
// (non-ASCII keys) is the last partition.
var splits = []int{0x00, 0x30, 0x41, 0x61, 0x67, 0x6e, 0x74, 0x80, 0x100}

func partitions(prefix string) []partition {
	out := make([]partition, 0, len(splits)-1)
	for i := 0; i+1 < len(splits); i++ {
		out = append(out, partition{prefix: prefix, lo: splits[i], hi: splits[i+1]})
	}
	return out
}

// marker is a listing's start: after every key of the prefix whose next
// byte is below lo (the largest code point after lo-1 sorts after any
// valid key that starts with lo-1).
func (p partition) marker(base string) *string {
	if p.lo == 0 {
		return nil
	}
	return aws.String(base + p.prefix + string(rune(p.lo-1)) + "\U0010FFFF")
}

// place says where a key (less base+prefix) stands: -1 before the
// partition (skip it), 0 in it, 1 after it (stop).
func (p partition) place(rest string) int {
	b := int('/') // the prefix itself: its records are under "<prefix>/"
	if rest != "" {
		b = int(rest[0])
	}
	switch {
	case b < p.lo:
		return -1
	case b >= p.hi:
		return 1
	}
	return 0
}

// expected is a record the processor should have written.
type expected struct {
	rk        string
	key, ver  string
	deleteMkr bool
}

// expectedHeap orders expected records by record key.
type expectedHeap []expected

func (h expectedHeap) Len() int           { return len(h) }
func (h expectedHeap) Less(i, j int) bool { return h[i].rk < h[j].rk }
func (h expectedHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expectedHeap) Push(x any)        { *h = append(*h, x.(expected)) }
func (h *expectedHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// versions yields the records a partition's versions and delete markers
// should have, in record-key order. S3 lists by key, and a key's records
// sort by "<key>/", so records come out of order where keys extend each
// other ("a" < "a-b" but "a/…" > "a-b/…") and a key's versions come
// newest first; a heap holds them until no later key can sort before them:
// every later key k has records at or after <pp>k. The heap holds the
// versions of the keys that are prefixes of the current key, and of the
// current key: memory grows with the versions of one key, never with the
// bucket.
type versions struct {
	r       *run
	p       partition
	pending expectedHeap
	bound   string // every record not yet pending sorts at or after it
	buf     []expected
	next    *s3.ListObjectVersionsInput
	done    bool
	// st gets, once a page, how far the listing is: the first key listed,
	// the last, and how many were.
	st     *partState
	first  string
	listed int64
}

func (r *run) versionStream(p partition, st *partState) *versions {
	return &versions{r: r, p: p, st: st, next: &s3.ListObjectVersionsInput{Bucket: aws.String(r.opts.Bucket), Prefix: aws.String(p.prefix),
		KeyMarker: p.marker(""), MaxKeys: aws.Int32(r.opts.PageSize), ExpectedBucketOwner: owner(r.opts.ProductionOwner)}}
}

// fill reads the next page into buf, in key order.
func (v *versions) fill(ctx context.Context) error {
	out, err := v.r.prod.ListObjectVersions(ctx, v.next)
	if err != nil {
		return fmt.Errorf("list the versions of s3://%s/%s: %w", v.r.opts.Bucket, v.p.prefix, err)
	}
	before := len(v.buf)
	defer func() {
		if n := len(v.buf) - before; n > 0 {
			if v.listed == 0 {
				v.first = v.buf[before].key
			}
			v.listed += int64(n)
			v.st.at.Store(&listed{first: v.first, last: v.buf[len(v.buf)-1].key, n: v.listed})
		}
	}()
	vs, ms := out.Versions, out.DeleteMarkers
	for len(vs) > 0 || len(ms) > 0 {
		var key, ver string
		marker := false
		if len(ms) == 0 || (len(vs) > 0 && aws.ToString(vs[0].Key) <= aws.ToString(ms[0].Key)) {
			key, ver = aws.ToString(vs[0].Key), aws.ToString(vs[0].VersionId)
			vs = vs[1:]
		} else {
			key, ver, marker = aws.ToString(ms[0].Key), aws.ToString(ms[0].VersionId), true
			ms = ms[1:]
		}
		switch v.p.place(strings.TrimPrefix(key, v.p.prefix)) {
		case -1:
			continue
		case 1:
			v.done = true
			return nil
		}
		v.buf = append(v.buf, expected{key: key, ver: ver, deleteMkr: marker})
	}
	if !aws.ToBool(out.IsTruncated) {
		v.done = true
		return nil
	}
	v.next.KeyMarker, v.next.VersionIdMarker = out.NextKeyMarker, out.NextVersionIdMarker
	return nil
}

// Next returns the next expected record in record-key order; ok is false
// at the end.
func (v *versions) Next(ctx context.Context) (expected, bool, error) {
	for {
		if len(v.pending) > 0 && ((v.done && len(v.buf) == 0) || v.pending[0].rk < v.bound) {
			return heap.Pop(&v.pending).(expected), true, nil
		}
		if len(v.buf) == 0 {
			if v.done {
				return expected{}, false, nil
			}
			if err := v.fill(ctx); err != nil {
				return expected{}, false, err
			}
			continue
		}
		e := v.buf[0]
		v.buf = v.buf[1:]
		v.r.compared.Add(1)
		if e.deleteMkr {
			v.r.markers.Add(1)
		}
		v.bound = v.r.pp + e.key
		e.rk = processor.RecordKey(v.r.opts.ReportPrefix, v.r.opts.Bucket, e.key, e.ver)
		if !strings.HasPrefix(e.rk, v.bound) {
			// A long key: its record is hashed, compared in hashedPass.
			v.r.mu.Lock()
			v.r.hashed[e.rk] = Item{Key: e.key, VersionID: e.ver, RecordKey: e.rk, Class: classOf(e), Hashed: true}
			v.r.mu.Unlock()
			continue
		}
		heap.Push(&v.pending, e)
	}
}

func classOf(e expected) Class {
	if e.deleteMkr {
		return MissingDeletion
	}
	return MissingVersion
}

// records yields a partition's records in key order (the listing's).
type records struct {
	r    *run
	p    partition
	buf  []string
	next *s3.ListObjectsV2Input
	done bool
}

func (r *run) recordStream(p partition) *records {
	return &records{r: r, p: p, next: &s3.ListObjectsV2Input{Bucket: aws.String(r.opts.ReportBucket), Prefix: aws.String(r.pp + p.prefix),
		StartAfter: p.marker(r.pp), MaxKeys: aws.Int32(r.opts.PageSize), ExpectedBucketOwner: owner(r.opts.ReportingOwner)}}
}

func (rs *records) Next(ctx context.Context) (string, bool, error) {
	for len(rs.buf) == 0 {
		if rs.done {
			return "", false, nil
		}
		out, err := rs.r.rep.ListObjectsV2(ctx, rs.next)
		if err != nil {
			return "", false, fmt.Errorf("list the records s3://%s/%s%s: %w", rs.r.opts.ReportBucket, rs.r.pp, rs.p.prefix, err)
		}
		for _, o := range out.Contents {
			k := aws.ToString(o.Key)
			rest := strings.TrimPrefix(k, rs.r.pp)
			switch rs.p.place(strings.TrimPrefix(rest, rs.p.prefix)) {
			case -1:
				continue
			case 1:
				rs.done = true
			}
			if rs.done {
				break
			}
			if processor.IsHashed(rest) {
				continue // hashedPass
			}
			rs.buf = append(rs.buf, k)
		}
		if !rs.done {
			if !aws.ToBool(out.IsTruncated) {
				rs.done = true
			} else {
				rs.next.ContinuationToken = out.NextContinuationToken
				rs.next.StartAfter = nil
			}
		}
	}
	k := rs.buf[0]
	rs.buf = rs.buf[1:]
	rs.r.records.Add(1)
	return k, true, nil
}

// stringHeap is a min-heap of strings.
type stringHeap []string

func (h stringHeap) Len() int           { return len(h) }
func (h stringHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h stringHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *stringHeap) Push(x any)        { *h = append(*h, x.(string)) }
func (h *stringHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// partition merges one partition's two sorted streams.
func (r *run) partition(ctx context.Context, p partition, st *partState) error {
	vs, rs := r.versionStream(p, st), r.recordStream(p)
	// deleted holds the version records whose deletion records were seen
	// (a deletion record sorts just before its version's record):
	// entries are dropped once the records pass them.
	var deleted stringHeap
	onlyRecord := func(rk string) {
		for len(deleted) > 0 && deleted[0] < rk {
			heap.Pop(&deleted)
		}
		if strings.HasSuffix(rk, processor.DeletionSuffix) {
			heap.Push(&deleted, strings.TrimSuffix(rk, processor.DeletionSuffix)+processor.RecordSuffix)
			return
		}
		if len(deleted) > 0 && deleted[0] == rk {
			heap.Pop(&deleted)
			return // its deletion is recorded
		}
		key, ver, _, ok := recordOf(strings.TrimPrefix(rk, r.pp))
		if !ok || !strings.HasPrefix(key, r.opts.Prefix) {
			return // not a record
		}
		it := Item{Class: Orphan, Key: key, VersionID: ver, RecordKey: rk}
		// A deletion record 8 bytes longer may be hashed where the
		// version's record is not: hashedPass knows the hashed ones.
		if d := processor.DeletionRecordKey(r.opts.ReportPrefix, r.opts.Bucket, key, ver); processor.IsHashed(strings.TrimPrefix(d, r.pp)) {
			r.mu.Lock()
			r.maybeOrphans = append(r.maybeOrphans, it)
			r.mu.Unlock()
			return
		}
		r.emit(it)
	}
	e, eok, err := vs.Next(ctx)
	if err != nil {
		return err
	}
	a, aok, err := rs.Next(ctx)
	if err != nil {
		return err
	}
	for eok || aok {
		if err := ctx.Err(); err != nil {
			return err
		}
		switch {
		case eok && (!aok || e.rk < a):
			r.emit(Item{Class: classOf(e), Key: e.key, VersionID: e.ver, RecordKey: e.rk})
			if e, eok, err = vs.Next(ctx); err != nil {
				return err
			}
		case aok && (!eok || a < e.rk):
			onlyRecord(a)
			if a, aok, err = rs.Next(ctx); err != nil {
				return err
			}
		default:
			for len(deleted) > 0 && deleted[0] < a {
				heap.Pop(&deleted)
			}
			if len(deleted) > 0 && deleted[0] == a {
				heap.Pop(&deleted)
				r.emit(Item{Class: WrongDeletion, Key: e.key, VersionID: e.ver, RecordKey: strings.TrimSuffix(a, processor.RecordSuffix) + processor.DeletionSuffix})
			}
			if e, eok, err = vs.Next(ctx); err != nil {
				return err
			}
			if a, aok, err = rs.Next(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// hashedPass compares the records of long keys (under _hashed/, named by
// a hash, so in no order the Production listing knows): the expected ones
// were kept aside by the partitions (memory grows with the number of
// versions whose record key passes S3's 1,024 bytes: keys of over ~900
// bytes), the hashed records are listed once. Under a prefix, a hashed
// record cannot be placed without reading it, so hashed orphans are not
// looked for.
func (r *run) hashedPass(ctx context.Context) error {
	dir := r.pp + processor.HashedDir
	in := &s3.ListObjectsV2Input{Bucket: aws.String(r.opts.ReportBucket), Prefix: aws.String(dir), MaxKeys: aws.Int32(r.opts.PageSize),
		ExpectedBucketOwner: owner(r.opts.ReportingOwner)}
	deletions := map[string]bool{}
	var candidates []string
	for {
		out, err := r.rep.ListObjectsV2(ctx, in)
		if err != nil {
			return fmt.Errorf("list the records s3://%s/%s: %w", r.opts.ReportBucket, dir, err)
		}
		for _, o := range out.Contents {
			k := aws.ToString(o.Key)
			if !processor.IsHashed(strings.TrimPrefix(k, r.pp)) {
				continue
			}
			r.records.Add(1)
			if base, ok := strings.CutSuffix(k, processor.DeletionSuffix); ok {
				deletions[base+processor.RecordSuffix] = true
				continue
			}
			if _, ok := r.hashed[k]; ok {
				delete(r.hashed, k)
				continue
			}
			if r.opts.Prefix == "" {
				candidates = append(candidates, k)
			}
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		in.ContinuationToken = out.NextContinuationToken
	}
	for _, it := range r.maybeOrphans {
		d := processor.DeletionRecordKey(r.opts.ReportPrefix, r.opts.Bucket, it.Key, it.VersionID)
		if !deletions[strings.TrimSuffix(d, processor.DeletionSuffix)+processor.RecordSuffix] {
			r.emit(it)
		}
	}
	for _, k := range candidates {
		if !deletions[k] {
			r.emit(Item{Class: Orphan, RecordKey: k, Hashed: true})
		}
	}
	for _, k := range slices.Sorted(maps.Keys(r.hashed)) {
		r.emit(r.hashed[k])
	}
	return nil
}

// failedEvents counts the events waiting in the failure bucket (the
// current version of each file).
func (r *run) failedEvents(ctx context.Context) error {
	in := &s3.ListObjectVersionsInput{Bucket: aws.String(r.opts.FailureBucket), Prefix: aws.String(r.opts.FailurePrefix), MaxKeys: aws.Int32(r.opts.PageSize),
		ExpectedBucketOwner: owner(r.opts.ProductionOwner)}
	for {
		out, err := r.prod.ListObjectVersions(ctx, in)
		if err != nil {
			return fmt.Errorf("list the failed events s3://%s/%s: %w", r.opts.FailureBucket, r.opts.FailurePrefix, err)
		}
		for _, v := range out.Versions {
			if aws.ToBool(v.IsLatest) {
				r.emit(Item{Class: FailedEvent, File: aws.ToString(v.Key), FileVersion: aws.ToString(v.VersionId)})
			}
		}
		if !aws.ToBool(out.IsTruncated) {
			return nil
		}
		in.KeyMarker, in.VersionIdMarker = out.NextKeyMarker, out.NextVersionIdMarker
	}
}
