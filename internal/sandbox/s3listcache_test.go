package sandbox

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sivchari/kumo"
)

// fakeBucket stands for kumo: a set of keys, listed in full by fetch, which
// counts its calls.
type fakeBucket struct {
	mu      sync.Mutex
	keys    map[string]bool
	fetches atomic.Int64
}

func newFakeBucket(n int) *fakeBucket {
	fb := &fakeBucket{keys: map[string]bool{}}
	for i := range n {
		fb.keys[fmt.Sprintf("base/%06d", i)] = true
	}
	return fb
}

func (fb *fakeBucket) set(key string, present bool) {
	fb.mu.Lock()
	defer fb.mu.Unlock()
	if present {
		fb.keys[key] = true
	} else {
		delete(fb.keys, key)
	}
}

func (fb *fakeBucket) fetch() (*fullListing, error) {
	fb.fetches.Add(1)
	fb.mu.Lock()
	defer fb.mu.Unlock()
	l := &fullListing{}
	for k := range fb.keys {
		l.versions = append(l.versions, versionEntry{kind: "Version", Key: k, VersionID: "v1", IsLatest: true})
	}
	sortVersions(l.versions)
	l.bytes = l.size()
	return l, nil
}

func has(l *fullListing, key string) bool {
	_, found := slices.BinarySearchFunc(l.versions, key, func(e versionEntry, k string) int {
		switch {
		case e.Key < k:
			return -1
		case e.Key > k:
			return 1
		}
		return 0
	})
	return found
}

// write applies a change as a request through the gateway does: a bump
// before it is forwarded, one before its response.
func write(lc *listCache, bucket string, apply func()) {
	lc.bump(bucket)
	apply()
	lc.bump(bucket)
}

func TestListCacheServesUntilWrite(t *testing.T) {
	lc := newListCache()
	fb := newFakeBucket(listCacheMinEntries)
	key := listKey{kind: listVersionsKind, bucket: "b"}
	for range 3 {
		if _, err := lc.get(key, fb.fetch); err != nil {
			t.Fatal(err)
		}
	}
	if n := fb.fetches.Load(); n != 1 {
		t.Fatalf("three lists under one generation fetched %d times, want 1", n)
	}
	write(lc, "b", func() { fb.set("new", true) })
	l, _ := lc.get(key, fb.fetch)
	if !has(l, "new") {
		t.Fatal("a list after a write's response does not see it")
	}
	write(lc, "b", func() { fb.set("new", false) })
	if l, _ := lc.get(key, fb.fetch); has(l, "new") {
		t.Fatal("a list after a delete's response still sees the key")
	}
	// Another bucket's write leaves the listing cached.
	before := fb.fetches.Load()
	write(lc, "other", func() {})
	_, _ = lc.get(key, fb.fetch)
	if fb.fetches.Load() != before {
		t.Fatal("a write to another bucket dropped this bucket's listing")
	}
}

// TestListCacheGenerationRule: a listing fetched while a write was in
// flight, whose response came before the fetch ended, is served to no one
// after that.
func TestListCacheGenerationRule(t *testing.T) {
	lc := newListCache()
	fb := newFakeBucket(listCacheMinEntries)
	key := listKey{kind: listVersionsKind, bucket: "b"}
	stale := func() (*fullListing, error) {
		l, err := fb.fetch() // read before the write is applied
		write(lc, "b", func() { fb.set("new", true) })
		return l, err
	}
	if l, _ := lc.get(key, stale); has(l, "new") {
		t.Fatal("the fake is wrong: the stale fetch saw the write")
	}
	l, _ := lc.get(key, fb.fetch)
	if !has(l, "new") {
		t.Fatal("a listing fetched across a write was kept and served after the write's response")
	}
	if n := fb.fetches.Load(); n != 2 {
		t.Fatalf("fetched %d times, want 2", n)
	}
	// The first bump alone (a write in flight) also drops what was kept.
	lc.bump("b")
	fb.set("newer", true)
	if l, _ := lc.get(key, fb.fetch); !has(l, "newer") {
		t.Fatal("a listing kept before a write was forwarded was served after it")
	}
}

// TestListCacheConcurrent: writers write and then list, and must see
// their own write; readers list all along; one fetch is shared by the
// requests that come while it runs. Run with -race.
func TestListCacheConcurrent(t *testing.T) {
	lc := newListCache()
	fb := newFakeBucket(listCacheMinEntries)
	key := listKey{kind: listVersionsKind, bucket: "b"}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for r := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := lc.get(key, fb.fetch); err != nil {
					t.Errorf("reader %d: %v", r, err)
					return
				}
			}
		}()
	}
	var writers sync.WaitGroup
	for w := range 4 {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for i := range 50 {
				k := fmt.Sprintf("w%d/%03d", w, i)
				write(lc, "b", func() { fb.set(k, true) })
				if l, _ := lc.get(key, fb.fetch); !has(l, k) {
					t.Errorf("writer %d does not see %s after its response", w, k)
				}
				write(lc, "b", func() { fb.set(k, false) })
				if l, _ := lc.get(key, fb.fetch); has(l, k) {
					t.Errorf("writer %d still sees %s after deleting it", w, k)
				}
			}
		}()
	}
	writers.Wait()
	close(stop)
	wg.Wait()
}

func TestListCacheSharesOneFetch(t *testing.T) {
	lc := newListCache()
	fb := newFakeBucket(listCacheMinEntries)
	key := listKey{kind: listVersionsKind, bucket: "b"}
	release := make(chan struct{})
	started := make(chan struct{})
	slow := func() (*fullListing, error) {
		close(started)
		<-release
		return fb.fetch()
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _, _ = lc.get(key, slow) }()
	<-started
	for range 8 {
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = lc.get(key, fb.fetch) }()
	}
	close(release)
	wg.Wait()
	// The waiters may come after the fetch ended and find it kept: either
	// way kumo is asked once.
	if n := fb.fetches.Load(); n != 1 {
		t.Fatalf("nine concurrent lists fetched %d times, want 1", n)
	}
}

// TestListCacheFailedFetchNotShared: when the fetch a request waited for
// failed (or kumo answered otherwise), the request fetches for itself.
func TestListCacheFailedFetchNotShared(t *testing.T) {
	lc := newListCache()
	fb := newFakeBucket(listCacheMinEntries)
	key := listKey{kind: listVersionsKind, bucket: "b"}
	if l, err := lc.get(key, func() (*fullListing, error) { return nil, nil }); l != nil || err != nil {
		t.Fatalf("got %v, %v", l, err)
	}
	if l, _ := lc.get(key, fb.fetch); l == nil {
		t.Fatal("a failed fetch was kept")
	}
}

func TestListCacheBounds(t *testing.T) {
	lc := newListCache()
	small := newFakeBucket(listCacheMinEntries - 1)
	_, _ = lc.get(listKey{kind: listVersionsKind, bucket: "small"}, small.fetch)
	_, _ = lc.get(listKey{kind: listVersionsKind, bucket: "small"}, small.fetch)
	if n := small.fetches.Load(); n != 2 {
		t.Errorf("a listing under one page was kept (%d fetches, want 2)", n)
	}
	big := newFakeBucket(listCacheMinEntries)
	for i := range listCacheMaxListings + 2 {
		_, _ = lc.get(listKey{kind: listVersionsKind, bucket: "b", prefix: fmt.Sprint(i)}, big.fetch)
	}
	if n := lc.lru.Len(); n != listCacheMaxListings {
		t.Errorf("the cache holds %d listings, want at most %d", n, listCacheMaxListings)
	}
	// The least recently used went first.
	if _, ok := lc.byKey[listKey{kind: listVersionsKind, bucket: "b", prefix: "0"}]; ok {
		t.Error("the oldest listing was kept")
	}
	sum := 0
	for el := lc.lru.Front(); el != nil; el = el.Next() {
		sum += el.Value.(*cachedListing).l.bytes
	}
	if sum != lc.bytes || lc.bytes > listCacheMaxBytes {
		t.Errorf("the cache counts %d bytes, holds %d, budget %d", lc.bytes, sum, listCacheMaxBytes)
	}
	huge := func() (*fullListing, error) {
		l, _ := big.fetch()
		l.bytes = listCacheMaxBytes + 1
		return l, nil
	}
	_, _ = lc.get(listKey{kind: listVersionsKind, bucket: "huge"}, huge)
	if _, ok := lc.byKey[listKey{kind: listVersionsKind, bucket: "huge"}]; ok {
		t.Error("a listing over the whole budget was kept")
	}
	lc.bump("b")
	if lc.lru.Len() != 0 || lc.bytes != 0 {
		t.Errorf("a write kept %d listings (%d bytes) of its bucket", lc.lru.Len(), lc.bytes)
	}
}

// genWriter records the bucket's generation when the response starts.
type genWriter struct {
	*httptest.ResponseRecorder
	lc  *listCache
	gen uint64
}

func (w *genWriter) record() {
	w.lc.mu.Lock()
	if w.gen == 0 {
		w.gen = w.lc.gens["b"]
	}
	w.lc.mu.Unlock()
}

func (w *genWriter) WriteHeader(status int) {
	w.record()
	w.ResponseRecorder.WriteHeader(status)
}

func (w *genWriter) Write(p []byte) (int, error) {
	w.record()
	return w.ResponseRecorder.Write(p)
}

func TestWritingBumpsBeforeResponse(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(w http.ResponseWriter)
	}{
		{"WriteHeader", func(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) }},
		{"Write", func(w http.ResponseWriter) { _, _ = w.Write([]byte("<ok/>")) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lc := newListCache()
			gw := &genWriter{ResponseRecorder: httptest.NewRecorder(), lc: lc}
			c := &call{w: gw, r: httptest.NewRequest(http.MethodPut, "/b/k", nil)}
			done := lc.writing(c, "b")
			before := lc.gens["b"]
			if before == 0 {
				t.Fatal("no bump before the request is forwarded")
			}
			if c.r.Context().Done() != nil {
				t.Error("the request forwarded to kumo can still be cancelled by its caller")
			}
			tc.write(c.w)
			if gw.gen <= before {
				t.Errorf("generation %d when the response started, %d before forwarding: no bump in between", gw.gen, before)
			}
			done()
			if lc.gens["b"] <= gw.gen {
				t.Error("no bump when the request ended")
			}
		})
	}
}

// inProcessKumo is the one in-process kumo of the package's tests: kumo's
// state is process-wide, and a second kumo.NewServer rewires it while the
// first one's goroutines read it (the race detector saw it when two tests
// started theirs at once).
var inProcessKumo = sync.OnceValues(func() (http.Handler, error) { return kumoHandler(kumo.NewServer()) })

// kumoDo serves requests with the in-process kumo; a request that fails
// fails the test. Each test names its own buckets.
func kumoDo(tb testing.TB) func(method, target, body string) []byte {
	tb.Helper()
	h, err := inProcessKumo()
	if err != nil {
		tb.Fatal(err)
	}
	return func(method, target, body string) []byte {
		tb.Helper()
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(method, "http://localhost"+target, strings.NewReader(body)))
		if w.Code/100 != 2 {
			tb.Fatalf("%s %s: %d %s", method, target, w.Code, w.Body)
		}
		return w.Body.Bytes()
	}
}

// v2Result is what the tests read of a ListObjectsV2 result.
type v2Result struct {
	Prefix                string
	Delimiter             string
	KeyCount              int
	MaxKeys               int
	IsTruncated           bool
	ContinuationToken     string
	NextContinuationToken string
	StartAfter            string
	Contents              []kumoObject
	CommonPrefixes        []kumoPrefix
}

// gatewayPageV2 answers a ListObjectsV2 query as the gateway does: the
// full listing fetched from kumo (objectsListKey), cut by pageObjectsV2.
func gatewayPageV2(tb testing.TB, do func(method, target, body string) []byte, bucket string, q url.Values, ownerID string) (v2Result, []byte) {
	tb.Helper()
	key := objectsListKey(bucket, q)
	l, err := parseObjectsV2(do(http.MethodGet, "/"+bucket+"?"+key.query(url.Values{"list-type": {"2"}}).Encode(), ""))
	if err != nil {
		tb.Fatal(err)
	}
	body := pageObjectsV2(bucket, q, l, ownerID)
	var res v2Result
	if err := xml.Unmarshal(body, &res); err != nil {
		tb.Fatalf("%s: %v in %s", q.Encode(), err, body)
	}
	return res, body
}

func (r v2Result) names() (keys, prefixes []string) {
	for _, o := range r.Contents {
		keys = append(keys, o.Key)
	}
	for _, p := range r.CommonPrefixes {
		prefixes = append(prefixes, p.Prefix)
	}
	return keys, prefixes
}

// deletedFolders makes a versioned bucket holding a/1, c/2 and top, with
// b/1, b/2 and c/1 behind delete markers: folder b is all deleted, c half.
func deletedFolders(do func(method, target, body string) []byte, bucket string) {
	do(http.MethodPut, "/"+bucket, "")
	do(http.MethodPut, "/"+bucket+"?versioning", `<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>`)
	for _, k := range []string{"a/1", "b/1", "b/2", "c/1", "c/2", "top"} {
		do(http.MethodPut, "/"+bucket+"/"+k, "x")
	}
	for _, k := range []string{"b/1", "b/2", "c/1"} {
		do(http.MethodDelete, "/"+bucket+"/"+k, "")
	}
}

// TestListObjectsV2DeletedFolder: a "folder" whose keys all have a delete
// marker as their current version is no common prefix, as in S3, which
// rolls up the keys a listing without a delimiter shows; one with a live
// key left is.
func TestListObjectsV2DeletedFolder(t *testing.T) {
	do := kumoDo(t)
	const bucket = "listv2-deleted-folder"
	deletedFolders(do, bucket)
	for _, tc := range []struct {
		name, prefix, startAfter string
		keys, prefixes           []string
	}{
		{name: "root", keys: []string{"top"}, prefixes: []string{"a/", "c/"}},
		{name: "deleted folder", prefix: "b/"},
		{name: "half-deleted folder", prefix: "c/", keys: []string{"c/2"}},
		{name: "start after the deleted folder", startAfter: "b/", keys: []string{"top"}, prefixes: []string{"c/"}},
		{name: "start after a key of a live folder", startAfter: "a/0", keys: []string{"top"}, prefixes: []string{"a/", "c/"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := url.Values{"list-type": {"2"}, "delimiter": {"/"}, "prefix": {tc.prefix}}
			if tc.startAfter != "" {
				q.Set("start-after", tc.startAfter)
			}
			res, body := gatewayPageV2(t, do, bucket, q, "")
			keys, prefixes := res.names()
			if !slices.Equal(keys, tc.keys) || !slices.Equal(prefixes, tc.prefixes) || res.KeyCount != len(tc.keys)+len(tc.prefixes) || res.IsTruncated {
				t.Errorf("got keys %q, prefixes %q, KeyCount %d, truncated %v; want keys %q, prefixes %q\n%s",
					keys, prefixes, res.KeyCount, res.IsTruncated, tc.keys, tc.prefixes, body)
			}
			if res.Delimiter != "/" {
				t.Errorf("Delimiter %q, want /", res.Delimiter)
			}
		})
	}
	t.Run("one a page", func(t *testing.T) {
		var got []string
		token := ""
		for page := 0; ; page++ {
			q := url.Values{"list-type": {"2"}, "delimiter": {"/"}, "max-keys": {"1"}}
			if token != "" {
				q.Set("continuation-token", token)
			}
			res, body := gatewayPageV2(t, do, bucket, q, "")
			keys, prefixes := res.names()
			got = append(got, append(keys, prefixes...)...)
			if res.KeyCount != len(keys)+len(prefixes) || res.KeyCount != 1 || res.MaxKeys != 1 {
				t.Fatalf("page %d: KeyCount %d, MaxKeys %d, want 1 entry\n%s", page, res.KeyCount, res.MaxKeys, body)
			}
			if !res.IsTruncated {
				if res.NextContinuationToken != "" {
					t.Errorf("last page has a next token %q", res.NextContinuationToken)
				}
				break
			}
			if res.NextContinuationToken == "" || page > 5 {
				t.Fatalf("page %d: truncated without a next token, or too many pages\n%s", page, body)
			}
			token = res.NextContinuationToken
		}
		if want := []string{"a/", "c/", "top"}; !slices.Equal(got, want) {
			t.Errorf("paged one at a time: %q, want %q", got, want)
		}
	})
}

// s3ListV2 is S3's ListObjectsV2 over live (the keys a listing without a
// delimiter shows, in order), written the plain way: the keys after start
// (all of a common prefix's when start is that prefix), rolled up at the
// delimiter, at most maxKeys entries.
func s3ListV2(live []kumoObject, prefix, delim, start string, maxKeys int) (keys, prefixes []string, truncated bool, next string) {
	rollUp := func(k string) string {
		if delim == "" || !strings.HasPrefix(k, prefix) {
			return ""
		}
		if i := strings.Index(k[len(prefix):], delim); i >= 0 {
			return k[:len(prefix)+i+len(delim)]
		}
		return ""
	}
	var entries []string
	isPrefix := map[string]bool{}
	for _, o := range live {
		k := o.Key
		if !strings.HasPrefix(k, prefix) || k <= start || (start != "" && rollUp(start) == start && strings.HasPrefix(k, start)) {
			continue
		}
		if cp := rollUp(k); cp != "" {
			if len(entries) > 0 && entries[len(entries)-1] == cp {
				continue
			}
			isPrefix[cp] = true
			k = cp
		}
		entries = append(entries, k)
	}
	if len(entries) > maxKeys {
		entries, truncated, next = entries[:maxKeys], true, entries[maxKeys-1]
	}
	for _, e := range entries {
		if isPrefix[e] {
			prefixes = append(prefixes, e)
		} else {
			keys = append(keys, e)
		}
	}
	return keys, prefixes, truncated, next
}

// TestPageObjectsV2LikeS3 holds pageObjectsV2 to S3's rules (s3ListV2) on
// a versioned bucket with delete markers, for every query of a grid, and
// each object to kumo's entry for it, owner named with fetch-owner; paging
// through at a few max-keys gives each entry once.
func TestPageObjectsV2LikeS3(t *testing.T) {
	do := kumoDo(t)
	const bucket = "listcache-like-s3"
	do(http.MethodPut, "/"+bucket, "")
	do(http.MethodPut, "/"+bucket+"?versioning", `<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>`)
	for i := range 40 {
		for _, dir := range []string{"a", "b/x", "b/y", "c", "d"} {
			if i%(len(dir)+1) == 0 || dir == "a" {
				do(http.MethodPut, fmt.Sprintf("/%s/%s/%02d", bucket, dir, i), "x")
			}
		}
	}
	do(http.MethodPut, "/"+bucket+"/b0", "x") // sorts between b/… and c/…
	for _, k := range []string{"a/03", "a/10", "c/00", "b/x/36", "d/00", "d/02", "d/04", "d/06", "d/08", "d/10", "d/12", "d/14", "d/16", "d/18", "d/20", "d/22", "d/24", "d/26", "d/28", "d/30", "d/32", "d/34", "d/36", "d/38"} {
		do(http.MethodDelete, "/"+bucket+"/"+k, "")
	}
	// What a listing without a delimiter shows: kumo's objects, delete
	// markers (no ETag) left out.
	var all v2Result
	if err := xml.Unmarshal(do(http.MethodGet, "/"+bucket+"?list-type=2&max-keys="+listAll, ""), &all); err != nil {
		t.Fatal(err)
	}
	var live []kumoObject
	for _, o := range all.Contents {
		if o.ETag != "" {
			live = append(live, o)
		}
	}
	if len(live) == len(all.Contents) {
		t.Fatal("kumo lists no delete markers: the test no longer covers them")
	}
	byKey := map[string]kumoObject{}
	for _, o := range live {
		byKey[o.Key] = o
	}
	owner := canonicalUserID("123456789012")
	n := 0
	for _, prefix := range []string{"", "a/", "b/", "b/x", "d/", "zz"} {
		for _, delim := range []string{"", "/", "x/"} {
			for _, mk := range []string{"", "0", "1", "7", "1000", "-3", "x"} {
				for _, after := range []string{"", "a/05", "b/", "b/x/", "b/x/10", "d/"} {
					for _, token := range []string{"", "a/20", "b/", "zzz"} {
						q := url.Values{"list-type": {"2"}, "prefix": {prefix}, "delimiter": {delim}}
						for k, v := range map[string]string{"max-keys": mk, "start-after": after, "continuation-token": token} {
							if v != "" {
								q.Set(k, v)
							}
						}
						maxKeys, err := strconv.Atoi(mk)
						if err != nil || maxKeys <= 0 {
							maxKeys = 1000 // as kumo takes it
						}
						start := after
						if token != "" {
							start = token
						}
						wantKeys, wantPrefixes, wantTrunc, wantNext := s3ListV2(live, prefix, delim, start, maxKeys)
						ownerID := ""
						if n%2 == 1 {
							ownerID = owner
						}
						n++
						res, body := gatewayPageV2(t, do, bucket, q, ownerID)
						keys, prefixes := res.names()
						if !slices.Equal(keys, wantKeys) || !slices.Equal(prefixes, wantPrefixes) || res.IsTruncated != wantTrunc || res.NextContinuationToken != wantNext ||
							res.KeyCount != len(wantKeys)+len(wantPrefixes) || res.MaxKeys != maxKeys || res.Prefix != prefix || res.Delimiter != delim ||
							res.StartAfter != after || res.ContinuationToken != token {
							t.Errorf("%s:\n got keys %q prefixes %q truncated %v next %q\nwant keys %q prefixes %q truncated %v next %q\n%s",
								q.Encode(), keys, prefixes, res.IsTruncated, res.NextContinuationToken, wantKeys, wantPrefixes, wantTrunc, wantNext, body)
							continue
						}
						for _, o := range res.Contents {
							gotOwner := ""
							if o.Owner != nil {
								gotOwner = o.Owner.ID
							}
							o.Owner = nil
							if want := byKey[o.Key]; o != want || gotOwner != ownerID {
								t.Errorf("%s: object %+v owned by %q, kumo's is %+v, owner %q", q.Encode(), o, gotOwner, want, ownerID)
							}
						}
					}
				}
			}
		}
	}
	for _, prefix := range []string{"", "b/", "d/"} {
		for _, delim := range []string{"", "/"} {
			q := url.Values{"list-type": {"2"}, "prefix": {prefix}, "delimiter": {delim}}
			whole, _ := gatewayPageV2(t, do, bucket, q, "")
			wk, wp := whole.names()
			want := append(wk, wp...)
			slices.Sort(want)
			for _, mk := range []int{1, 2, 7} {
				q.Set("max-keys", strconv.Itoa(mk))
				q.Del("continuation-token")
				var got []string
				for pages := 0; ; pages++ {
					res, body := gatewayPageV2(t, do, bucket, q, "")
					k, p := res.names()
					got = append(got, append(k, p...)...)
					if !res.IsTruncated {
						break
					}
					if res.NextContinuationToken == "" || pages > len(want) {
						t.Fatalf("%s: truncated with next token %q after %d pages\n%s", q.Encode(), res.NextContinuationToken, pages, body)
					}
					q.Set("continuation-token", res.NextContinuationToken)
				}
				slices.Sort(got)
				if !slices.Equal(got, want) {
					t.Errorf("prefix %q delimiter %q paged by %d:\n got %q\nwant %q", prefix, delim, mk, got, want)
				}
			}
		}
	}
	t.Logf("%d queries answered as S3 answers them", n)
}

// TestListObjectsV1DeletedFolder: ListObjects (V1) is cut from the same
// listing: no common prefix for a deleted folder, NextMarker (the last
// entry, with a delimiter) pages across common prefixes, owners named.
func TestListObjectsV1DeletedFolder(t *testing.T) {
	do := kumoDo(t)
	const bucket = "listv1-deleted-folder"
	deletedFolders(do, bucket)
	l, err := parseObjectsV2(do(http.MethodGet, "/"+bucket+"?"+objectsListKey(bucket, nil).query(url.Values{"list-type": {"2"}}).Encode(), ""))
	if err != nil {
		t.Fatal(err)
	}
	owner := canonicalUserID("123456789012")
	var got []string
	marker := ""
	for page := 0; ; page++ {
		q := url.Values{"delimiter": {"/"}, "max-keys": {"1"}, "marker": {marker}}
		var res struct {
			Marker, NextMarker, Delimiter string
			IsTruncated                   bool
			Contents                      []kumoObject
			CommonPrefixes                []kumoPrefix
		}
		body := pageObjectsV1(bucket, q, l, owner)
		if err := xml.Unmarshal(body, &res); err != nil {
			t.Fatal(err)
		}
		for _, o := range res.Contents {
			if o.Owner == nil || o.Owner.ID != owner {
				t.Errorf("object %s has owner %v, want %s", o.Key, o.Owner, owner)
			}
			got = append(got, o.Key)
		}
		for _, p := range res.CommonPrefixes {
			got = append(got, p.Prefix)
		}
		if res.Marker != marker || res.Delimiter != "/" {
			t.Errorf("page %d: Marker %q, Delimiter %q\n%s", page, res.Marker, res.Delimiter, body)
		}
		if !res.IsTruncated {
			break
		}
		if res.NextMarker == "" || page > 5 {
			t.Fatalf("page %d: truncated with NextMarker %q\n%s", page, res.NextMarker, body)
		}
		marker = res.NextMarker
	}
	if want := []string{"a/", "c/", "top"}; !slices.Equal(got, want) {
		t.Errorf("paged one at a time: %q, want %q", got, want)
	}
}

// BenchmarkPageObjectsV2 is the gateway's cost of a ListObjectsV2 page cut
// from a cached listing of 10,000 keys in 20 folders (a quarter behind
// delete markers): kumo's full listing is fetched once, as the cache keeps
// it.
func BenchmarkPageObjectsV2(b *testing.B) {
	do := kumoDo(b)
	const bucket = "listv2-bench"
	do(http.MethodPut, "/"+bucket, "")
	do(http.MethodPut, "/"+bucket+"?versioning", `<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>`)
	for i := range 10000 {
		k := fmt.Sprintf("/%s/d%02d/k%05d", bucket, i%20, i)
		do(http.MethodPut, k, "x")
		if i%4 == 0 {
			do(http.MethodDelete, k, "")
		}
	}
	for _, bc := range []struct{ name, prefix, delim, maxKeys, token string }{
		{name: "flat/1000", maxKeys: "1000", token: "d05/k00105"},
		{name: "root-delimiter/1000", delim: "/", maxKeys: "1000"},
		{name: "folder-delimiter/1000", prefix: "d07/", delim: "/", maxKeys: "1000", token: "d07/k05007"},
		{name: "root-delimiter/1", delim: "/", maxKeys: "1", token: "d09/"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			q := url.Values{"list-type": {"2"}, "prefix": {bc.prefix}, "delimiter": {bc.delim}, "max-keys": {bc.maxKeys}, "continuation-token": {bc.token}}
			key := objectsListKey(bucket, q)
			l, err := parseObjectsV2(do(http.MethodGet, "/"+bucket+"?"+key.query(url.Values{"list-type": {"2"}}).Encode(), ""))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				_ = pageObjectsV2(bucket, q, l, "")
			}
		})
	}
}
