package sandbox

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
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

// TestPageObjectsV2LikeKumo holds pageObjectsV2 to kumo: each page cut from
// kumo's full listing is, byte for byte, what kumo answers for the same
// query as fixListing reworks it (delete markers left out, owners named
// with fetch-owner).
func TestPageObjectsV2LikeKumo(t *testing.T) {
	h, err := kumoHandler(kumo.NewServer())
	if err != nil {
		t.Fatal(err)
	}
	do := func(method, target, body string) *httptest.ResponseRecorder {
		t.Helper()
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(method, "http://localhost"+target, strings.NewReader(body)))
		if w.Code/100 != 2 {
			t.Fatalf("%s %s: %d %s", method, target, w.Code, w.Body)
		}
		return w
	}
	const bucket = "listcache-like-kumo"
	do(http.MethodPut, "/"+bucket, "")
	do(http.MethodPut, "/"+bucket+"?versioning", `<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>`)
	for i := range 40 {
		for _, dir := range []string{"a", "b/x", "b/y", "c"} {
			if i%(len(dir)+1) == 0 || dir == "a" {
				do(http.MethodPut, fmt.Sprintf("/%s/%s/%02d", bucket, dir, i), "x")
			}
		}
	}
	for _, k := range []string{"a/03", "a/10", "c/00", "b/x/36"} {
		do(http.MethodDelete, "/"+bucket+"/"+k, "")
	}
	full := map[[2]string]*fullListing{}
	for _, prefix := range []string{"", "a/", "b/", "b/x", "zz"} {
		for _, delim := range []string{"", "/"} {
			q := url.Values{"list-type": {"2"}, "max-keys": {listAll}, "prefix": {prefix}, "delimiter": {delim}}
			l, err := parseObjectsV2(do(http.MethodGet, "/"+bucket+"?"+q.Encode(), "").Body.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			full[[2]string{prefix, delim}] = l
		}
	}
	markers := 0
	for _, o := range full[[2]string{"", ""}].objects {
		if o.ETag == "" {
			markers++
		}
	}
	if markers != 4 || len(full[[2]string{"", "/"}].prefixes) != 3 {
		t.Fatalf("kumo lists %d delete markers (want 4) and %d common prefixes (want 3)", markers, len(full[[2]string{"", "/"}].prefixes))
	}
	n := 0
	for pd, l := range full {
		for _, mk := range []string{"", "0", "1", "7", "1000", "-3", "x"} {
			for _, after := range []string{"", "a/05", "b/"} {
				for _, token := range []string{"", "a/20", "zzz"} {
					q := url.Values{"list-type": {"2"}, "prefix": {pd[0]}, "delimiter": {pd[1]}}
					for k, v := range map[string]string{"max-keys": mk, "start-after": after, "continuation-token": token} {
						if v != "" {
							q.Set(k, v)
						}
					}
					kumoPage := do(http.MethodGet, "/"+bucket+"?"+q.Encode(), "").Body.Bytes()
					for _, ownerID := range []string{"", canonicalUserID("123456789012")} {
						want := string(fixListing(kumoPage, ownerID, ownerID != ""))
						if got := string(pageObjectsV2(bucket, q, l, ownerID)); got != want {
							t.Errorf("%s (owner %q):\n got %s\nwant %s", q.Encode(), ownerID, got, want)
						}
						n++
					}
				}
			}
		}
	}
	t.Logf("%d queries answered as kumo answers them", n)
}
