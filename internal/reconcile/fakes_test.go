package reconcile

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// fakeS3 is an in-memory S3 serving exactly the two listings Compare uses,
// with S3's semantics: keys in UTF-8 byte order; Prefix, Delimiter
// (CommonPrefixes, each counted once against MaxKeys), MaxKeys and
// IsTruncated; ListObjectVersions lists a key's versions newest first, its
// versions and delete markers in two lists of one page, resumes after
// KeyMarker (alone: keys strictly after it) or after KeyMarker's
// VersionIdMarker, and NextKeyMarker/NextVersionIdMarker name the last entry
// returned; ListObjectsV2 lists current versions that are not delete
// markers, strictly after StartAfter or from an opaque ContinuationToken.
type fakeS3 struct {
	mu      sync.Mutex
	buckets map[string]*fakeBucket
	seq     int
	// fail, when set, is asked before each call; an error it returns is the
	// call's.
	fail  func(ctx context.Context, op, bucket, prefix string) error
	calls atomic.Int64
	// gate, write-locked, holds every call at its start (a benchmark
	// measures the heap while no listing runs).
	gate sync.RWMutex
}

var (
	_ ProductionAPI = (*fakeS3)(nil)
	_ ReportingAPI  = (*fakeS3)(nil)
)

type fakeVersion struct {
	id     string
	marker bool
}

type fakeBucket struct {
	vers  map[string][]fakeVersion // newest first
	keys  []string                 // sorted when !dirty
	dirty bool
}

func newFakeS3() *fakeS3 { return &fakeS3{buckets: map[string]*fakeBucket{}} }

func (f *fakeS3) bucket(name string) *fakeBucket {
	b := f.buckets[name]
	if b == nil {
		b = &fakeBucket{vers: map[string][]fakeVersion{}}
		f.buckets[name] = b
	}
	return b
}

// versionID is deterministic, 32 characters like S3's, and not in time
// order, so that nothing can lean on version IDs sorting by age.
func (f *fakeS3) versionID() string {
	f.seq++
	sum := sha256.Sum256(fmt.Appendf(nil, "v%d", f.seq))
	return hex.EncodeToString(sum[:16])
}

// newVersionID returns a version ID no version has.
func (f *fakeS3) newVersionID() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.versionID()
}

// add makes a new current version (or delete marker) of key; id "" picks one.
func (f *fakeS3) add(bucket, key, id string, marker bool) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if id == "" {
		id = f.versionID()
	}
	b := f.bucket(bucket)
	if _, ok := b.vers[key]; !ok {
		b.keys = append(b.keys, key)
		b.dirty = true
	}
	b.vers[key] = append([]fakeVersion{{id: id, marker: marker}}, b.vers[key]...)
	return id
}

// put adds an object version and returns its ID.
func (f *fakeS3) put(bucket, key string) string { return f.add(bucket, key, "", false) }

// deleteMarker adds a delete marker and returns its ID.
func (f *fakeS3) deleteMarker(bucket, key string) string { return f.add(bucket, key, "", true) }

// purge deletes one version permanently (id "" removes the key entirely).
func (f *fakeS3) purge(bucket, key, id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b := f.bucket(bucket)
	vs := b.vers[key]
	if id != "" {
		vs = slices.DeleteFunc(slices.Clone(vs), func(v fakeVersion) bool { return v.id == id })
	} else {
		vs = nil
	}
	if len(vs) > 0 {
		b.vers[key] = vs
		return
	}
	delete(b.vers, key)
	b.keys = slices.DeleteFunc(b.keys, func(k string) bool { return k == key })
}

func (f *fakeS3) sorted(bucket string) (*fakeBucket, bool) {
	b, ok := f.buckets[bucket]
	if !ok {
		return nil, false
	}
	if b.dirty {
		sort.Strings(b.keys) // Go compares strings bytewise: UTF-8 byte order
		b.dirty = false
	}
	return b, true
}

func (f *fakeS3) before(ctx context.Context, op, bucket, prefix string) error {
	f.calls.Add(1)
	f.gate.RLock()
	f.gate.RUnlock() //lint:ignore SA2001 a gate: waits while a measurement holds the lock
	if err := ctx.Err(); err != nil {
		return err
	}
	if f.fail != nil {
		return f.fail(ctx, op, bucket, prefix)
	}
	return nil
}

func maxKeys(p *int32) int {
	if p == nil || *p <= 0 || *p > 1000 {
		return 1000
	}
	return int(*p)
}

// commonPrefix returns the common prefix key rolls up into, if any.
func commonPrefix(key, prefix, delim string) (string, bool) {
	if delim == "" {
		return "", false
	}
	if i := strings.Index(key[len(prefix):], delim); i >= 0 {
		return key[:len(prefix)+i+len(delim)], true
	}
	return "", false
}

func (f *fakeS3) ListObjectVersions(ctx context.Context, in *s3.ListObjectVersionsInput, _ ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error) {
	bucket, prefix, delim := aws.ToString(in.Bucket), aws.ToString(in.Prefix), aws.ToString(in.Delimiter)
	if err := f.before(ctx, "ListObjectVersions", bucket, prefix); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.sorted(bucket)
	if !ok {
		return nil, &types.NoSuchBucket{Message: aws.String(bucket)}
	}
	km, vim := aws.ToString(in.KeyMarker), aws.ToString(in.VersionIdMarker)
	limit := maxKeys(in.MaxKeys)
	out := &s3.ListObjectVersionsOutput{Name: in.Bucket, Prefix: in.Prefix, Delimiter: in.Delimiter, KeyMarker: in.KeyMarker,
		VersionIdMarker: in.VersionIdMarker, MaxKeys: aws.Int32(int32(limit)), IsTruncated: aws.Bool(false)}
	i := sort.SearchStrings(b.keys, prefix)
	if km != "" {
		if vim != "" {
			i = max(i, sort.SearchStrings(b.keys, km)) // km itself, after vim
		} else {
			i = max(i, sort.Search(len(b.keys), func(j int) bool { return b.keys[j] > km }))
		}
	}
	n := 0
	var lastKey, lastVer, lastCP string
	full := func() bool {
		if n == limit {
			out.IsTruncated = aws.Bool(true)
			out.NextKeyMarker = aws.String(lastKey)
			if lastVer != "" {
				out.NextVersionIdMarker = aws.String(lastVer)
			}
			return true
		}
		return false
	}
	for ; i < len(b.keys); i++ {
		key := b.keys[i]
		if !strings.HasPrefix(key, prefix) {
			break
		}
		if cp, ok := commonPrefix(key, prefix, delim); ok {
			if cp == lastCP || cp == km {
				continue
			}
			if full() {
				return out, nil
			}
			out.CommonPrefixes = append(out.CommonPrefixes, types.CommonPrefix{Prefix: aws.String(cp)})
			n, lastKey, lastVer, lastCP = n+1, cp, "", cp
			continue
		}
		vs := b.vers[key]
		latest := true
		if key == km && vim != "" {
			j := slices.IndexFunc(vs, func(v fakeVersion) bool { return v.id == vim })
			if j < 0 {
				return nil, fmt.Errorf("fake: version-id-marker %q is not a version of %q", vim, km)
			}
			vs, latest = vs[j+1:], false
		}
		for _, v := range vs {
			if full() {
				return out, nil
			}
			if v.marker {
				out.DeleteMarkers = append(out.DeleteMarkers, types.DeleteMarkerEntry{Key: aws.String(key), VersionId: aws.String(v.id), IsLatest: aws.Bool(latest)})
			} else {
				out.Versions = append(out.Versions, types.ObjectVersion{Key: aws.String(key), VersionId: aws.String(v.id), IsLatest: aws.Bool(latest)})
			}
			latest = false
			n, lastKey, lastVer = n+1, key, v.id
		}
	}
	return out, nil
}

func (f *fakeS3) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, _ ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	bucket, prefix, delim := aws.ToString(in.Bucket), aws.ToString(in.Prefix), aws.ToString(in.Delimiter)
	if err := f.before(ctx, "ListObjectsV2", bucket, prefix); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.sorted(bucket)
	if !ok {
		return nil, &types.NoSuchBucket{Message: aws.String(bucket)}
	}
	after, hasAfter := aws.ToString(in.StartAfter), in.StartAfter != nil
	if in.ContinuationToken != nil {
		k, ok := strings.CutPrefix(aws.ToString(in.ContinuationToken), "fake-token:")
		raw, err := hex.DecodeString(k)
		if !ok || err != nil {
			return nil, fmt.Errorf("fake: bad continuation token %q", aws.ToString(in.ContinuationToken))
		}
		after, hasAfter = string(raw), true
	}
	limit := maxKeys(in.MaxKeys)
	out := &s3.ListObjectsV2Output{Name: in.Bucket, Prefix: in.Prefix, Delimiter: in.Delimiter, StartAfter: in.StartAfter,
		ContinuationToken: in.ContinuationToken, MaxKeys: aws.Int32(int32(limit)), IsTruncated: aws.Bool(false)}
	i := sort.SearchStrings(b.keys, prefix)
	if hasAfter {
		i = max(i, sort.Search(len(b.keys), func(j int) bool { return b.keys[j] > after }))
	}
	n := 0
	var last, lastCP string
	for ; i < len(b.keys); i++ {
		key := b.keys[i]
		if !strings.HasPrefix(key, prefix) {
			break
		}
		if vs := b.vers[key]; vs[0].marker {
			continue
		}
		cp, isCP := commonPrefix(key, prefix, delim)
		if isCP && (cp == lastCP || (hasAfter && cp <= after)) {
			continue
		}
		if n == limit {
			out.IsTruncated = aws.Bool(true)
			out.NextContinuationToken = aws.String("fake-token:" + hex.EncodeToString([]byte(last)))
			break
		}
		if isCP {
			out.CommonPrefixes = append(out.CommonPrefixes, types.CommonPrefix{Prefix: aws.String(cp)})
			last, lastCP = cp, cp
		} else {
			out.Contents = append(out.Contents, types.Object{Key: aws.String(key)})
			last = key
		}
		n++
	}
	out.KeyCount = aws.Int32(int32(n))
	return out, nil
}
