package sandbox

// Listings served from a cache. kumo answers every ListObjectVersions and
// ListObjectsV2 page by collecting, sorting and slicing the whole bucket,
// and the gateway pages versions itself from kumo's complete list: paging a
// bucket of N keys costs O(N) a page. The gateway keeps instead, per
// (bucket, prefix, delimiter), the full sorted listing it got from kumo, and
// cuts each page from it, until a request that may change the bucket comes
// through.
//
// The rule that keeps it exact: every request that may change a bucket's
// objects (any S3 request to the bucket but GET and HEAD) bumps the bucket's
// generation before it is forwarded and again before its response is
// written (and when it ends), and it is forwarded to kumo whether or not its
// caller stays, so that kumo has applied it before the second bump. A
// listing is fetched after reading the generation, and kept and served only
// under that generation: one fetched before a write had been applied was
// read under an older generation than the write's second bump, so no caller
// that saw the write's response is served it.

import (
	"bytes"
	"container/list"
	"context"
	"encoding/xml"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"sync"
)

// The cache's bounds: a listing of fewer entries than listCacheMinEntries
// (one page) costs kumo little and is not kept; at most listCacheMaxListings
// listings and listCacheMaxBytes of them (estimated) are kept, the least
// recently used dropped first. A listing larger than the whole budget is
// served without being kept, as before the cache.
const (
	listCacheMinEntries  = 1000
	listCacheMaxListings = 8
	listCacheMaxBytes    = 128 << 20
)

// listKind says which listing a cached one is.
type listKind uint8

const (
	listVersionsKind listKind = iota + 1 // ListObjectVersions
	listObjectsKind                      // ListObjectsV2
)

// listKey names a full listing: a bucket's entries under a prefix, rolled
// up at a delimiter.
type listKey struct {
	kind                      listKind
	bucket, prefix, delimiter string
}

// fullListing is a complete listing as kumo gave it. Nothing changes it
// once it is made: pages are cut from it by any number of requests at once.
type fullListing struct {
	versions []versionEntry // ListObjectVersions: in S3's order (sortVersions)
	objects  []kumoObject   // ListObjectsV2: kumo's objects, in key order
	prefixes []kumoPrefix   // ListObjectsV2: kumo's common prefixes, all of them
	header   []byte         // ListObjectsV2: what kumo writes before its result
	bytes    int            // the estimated memory it holds
}

// size estimates the memory a listing holds.
func (l *fullListing) size() int {
	n := len(l.header)
	for _, e := range l.versions {
		n += 112 + len(e.kind) + len(e.Key) + len(e.VersionID) + len(e.LastModified) + len(e.ETag)
	}
	for _, o := range l.objects {
		n += 96 + len(o.Key) + len(o.LastModified) + len(o.ETag) + len(o.StorageClass)
	}
	for _, p := range l.prefixes {
		n += 16 + len(p.Prefix)
	}
	return n
}

func (l *fullListing) entries() int { return len(l.versions) + len(l.objects) + len(l.prefixes) }

// listCache keeps full listings per bucket generation.
type listCache struct {
	mu      sync.Mutex
	clock   uint64            // the last generation given out
	gens    map[string]uint64 // bucket -> its generation (0: never written)
	lru     *list.List        // of *cachedListing, most recently used first
	byKey   map[listKey]*list.Element
	bytes   int
	flights map[listKey]*listFlight
}

// cachedListing is a listing kept under the generation read before it was
// fetched.
type cachedListing struct {
	key listKey
	gen uint64
	l   *fullListing
}

// listFlight is a fetch in progress, which requests for the same listing
// under the same generation wait for rather than fetching it again.
type listFlight struct {
	gen  uint64
	done chan struct{}
	l    *fullListing // set before done is closed; nil when the fetch failed
}

func newListCache() *listCache {
	return &listCache{gens: map[string]uint64{}, lru: list.New(), byKey: map[listKey]*list.Element{}, flights: map[listKey]*listFlight{}}
}

// mutates says whether an S3 request with this method may change the
// objects of the bucket it names.
func mutates(method string) bool {
	return method != http.MethodGet && method != http.MethodHead
}

// bump gives bucket a new generation: every listing of it fetched before
// is no longer served, nor kept.
func (lc *listCache) bump(bucket string) {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	lc.clock++
	lc.gens[bucket] = lc.clock
	for el := lc.lru.Front(); el != nil; {
		next := el.Next()
		if el.Value.(*cachedListing).key.bucket == bucket {
			lc.removeLocked(el)
		}
		el = next
	}
}

func (lc *listCache) removeLocked(el *list.Element) {
	cl := el.Value.(*cachedListing)
	lc.lru.Remove(el)
	delete(lc.byKey, cl.key)
	lc.bytes -= cl.l.bytes
}

// get returns the full listing for key, from the cache when it holds one
// of the bucket's current generation, else from fetch (called at most once
// per generation for requests that come while it runs). fetch returns nil
// and no error when kumo answered with something other than a listing, for
// its caller to relay; that, and an error, are not kept nor shared.
func (lc *listCache) get(key listKey, fetch func() (*fullListing, error)) (*fullListing, error) {
	lc.mu.Lock()
	gen := lc.gens[key.bucket]
	if el, ok := lc.byKey[key]; ok {
		if cl := el.Value.(*cachedListing); cl.gen == gen {
			lc.lru.MoveToFront(el)
			lc.mu.Unlock()
			return cl.l, nil
		}
		lc.removeLocked(el)
	}
	if f, ok := lc.flights[key]; ok && f.gen == gen {
		lc.mu.Unlock()
		<-f.done
		if f.l != nil {
			// It was fetched after this request came, under the same
			// generation: no write was answered in between.
			return f.l, nil
		}
		return fetch()
	}
	f := &listFlight{gen: gen, done: make(chan struct{})}
	lc.flights[key] = f
	lc.mu.Unlock()

	l, err := fetch()

	lc.mu.Lock()
	if lc.flights[key] == f {
		delete(lc.flights, key)
	}
	if err == nil && l != nil {
		f.l = l
		if lc.gens[key.bucket] == gen {
			lc.storeLocked(key, gen, l)
		}
	}
	lc.mu.Unlock()
	close(f.done)
	return l, err
}

func (lc *listCache) storeLocked(key listKey, gen uint64, l *fullListing) {
	if l.entries() < listCacheMinEntries || l.bytes > listCacheMaxBytes {
		return
	}
	if el, ok := lc.byKey[key]; ok {
		lc.removeLocked(el)
	}
	lc.byKey[key] = lc.lru.PushFront(&cachedListing{key: key, gen: gen, l: l})
	lc.bytes += l.bytes
	for lc.lru.Len() > listCacheMaxListings || lc.bytes > listCacheMaxBytes {
		lc.removeLocked(lc.lru.Back())
	}
}

// writing is called for a request that may change bucket before it is
// forwarded: it bumps the bucket's generation, wraps the call's response so
// that its first byte bumps it again, and keeps the request going to kumo
// even if its caller goes. The function it returns bumps it once more when
// the request is done.
func (lc *listCache) writing(c *call, bucket string) func() {
	lc.bump(bucket)
	c.r = c.r.WithContext(context.WithoutCancel(c.r.Context()))
	c.w = &bumpingWriter{ResponseWriter: c.w, bump: func() { lc.bump(bucket) }}
	return func() { lc.bump(bucket) }
}

// bumpingWriter bumps a bucket's generation before the response of a
// request that may have changed it is written.
type bumpingWriter struct {
	http.ResponseWriter
	bump   func()
	bumped bool
}

func (w *bumpingWriter) WriteHeader(status int) {
	if !w.bumped {
		w.bumped = true
		w.bump()
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *bumpingWriter) Write(p []byte) (int, error) {
	if !w.bumped {
		w.bumped = true
		w.bump()
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *bumpingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// kumoObject is one entry of kumo's ListObjectsV2 result, field for field.
type kumoObject struct {
	Key          string     `xml:"Key"`
	LastModified string     `xml:"LastModified"`
	ETag         string     `xml:"ETag"`
	Size         int64      `xml:"Size"`
	StorageClass string     `xml:"StorageClass"`
	Owner        *kumoOwner `xml:"Owner,omitempty"` // the gateway's, where S3 names it
}

type kumoOwner struct {
	ID string `xml:"ID"`
}

type kumoPrefix struct {
	Prefix string `xml:"Prefix"`
}

// kumoListV2 is kumo's ListBucketResult, field for field, so that a page
// cut from a full listing is written byte for byte as kumo writes it.
type kumoListV2 struct {
	XMLName               xml.Name     `xml:"ListBucketResult"`
	Xmlns                 string       `xml:"xmlns,attr"`
	Name                  string       `xml:"Name"`
	Prefix                string       `xml:"Prefix"`
	KeyCount              int          `xml:"KeyCount"`
	MaxKeys               int          `xml:"MaxKeys"`
	IsTruncated           bool         `xml:"IsTruncated"`
	Contents              []kumoObject `xml:"Contents"`
	ContinuationToken     string       `xml:"ContinuationToken,omitempty"`
	NextContinuationToken string       `xml:"NextContinuationToken,omitempty"`
	StartAfter            string       `xml:"StartAfter,omitempty"`
	CommonPrefixes        []kumoPrefix `xml:"CommonPrefixes,omitempty"`
}

// s3Namespace is the XML namespace of S3's results.
const s3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

// listAll is the max-keys with which kumo lists everything.
const listAll = "1000000000"

// parseObjectsV2 reads kumo's complete ListObjectsV2 result.
func parseObjectsV2(body []byte) (*fullListing, error) {
	var res kumoListV2
	if err := xml.Unmarshal(body, &res); err != nil {
		return nil, err
	}
	header := body
	if i := bytes.Index(body, []byte("<ListBucketResult")); i >= 0 {
		header = body[:i:i]
	}
	l := &fullListing{objects: res.Contents, prefixes: res.CommonPrefixes, header: bytes.Clone(header)}
	l.bytes = l.size()
	return l, nil
}

// pageObjectsV2 writes one ListObjectsV2 page as kumo writes it for the
// same query, reworked as fixListing reworks kumo's: the objects after the
// continuation token (else start-after), at most max-keys of them (kumo
// takes any positive number, else 1000), every common prefix on every page,
// the page's last key as the next token; then the page's delete markers
// (kumo's objects with no ETag) left out of it and of KeyCount, and each
// object's owner named when ownerID is not empty.
func pageObjectsV2(bucket string, q url.Values, l *fullListing, ownerID string) []byte {
	maxKeys := 1000
	if mk, err := strconv.Atoi(q.Get("max-keys")); err == nil && mk > 0 {
		maxKeys = mk
	}
	start := q.Get("start-after")
	if t := q.Get("continuation-token"); t != "" {
		start = t
	}
	objs := l.objects
	if start != "" {
		// kumo's objects are in key order: the first one after start.
		objs = objs[sort.Search(len(objs), func(i int) bool { return objs[i].Key > start }):]
	}
	truncated := len(objs) > maxKeys
	if truncated {
		objs = objs[:maxKeys]
	}
	res := kumoListV2{Xmlns: s3Namespace, Name: bucket, Prefix: q.Get("prefix"), MaxKeys: maxKeys, IsTruncated: truncated,
		Contents: make([]kumoObject, 0, len(objs)), ContinuationToken: q.Get("continuation-token"), StartAfter: q.Get("start-after"), CommonPrefixes: l.prefixes}
	if truncated && len(objs) > 0 {
		res.NextContinuationToken = objs[len(objs)-1].Key
	}
	var owner *kumoOwner
	if ownerID != "" {
		owner = &kumoOwner{ID: ownerID}
	}
	for _, o := range objs {
		if o.ETag == "" {
			continue // a delete marker
		}
		o.Owner = owner
		res.Contents = append(res.Contents, o)
	}
	res.KeyCount = len(res.Contents)
	var b bytes.Buffer
	b.Write(l.header)
	_ = xml.NewEncoder(&b).Encode(res)
	return b.Bytes()
}

// query is the query that asks kumo for the whole of the listing key
// names: base (the listing's own parameters), everything at once, under
// the key's prefix and rolled up at its delimiter.
func (k listKey) query(base url.Values) url.Values {
	q := url.Values{"max-keys": {listAll}}
	for name, v := range base {
		q[name] = v
	}
	if k.prefix != "" {
		q.Set("prefix", k.prefix)
	}
	if k.delimiter != "" {
		q.Set("delimiter", k.delimiter)
	}
	return q
}

// objectsListKey names the full listing a ListObjectsV2 request is cut
// from.
func objectsListKey(bucket string, q url.Values) listKey {
	return listKey{kind: listObjectsKind, bucket: bucket, prefix: q.Get("prefix"), delimiter: q.Get("delimiter")}
}

// cachedListing is the full listing key names, from the cache or fetched
// from kumo with base (the listing's own query) and parsed. When kumo did
// not answer with a listing, the answer is relayed as it is (or a failure
// answered) and l is nil: status, body and ok are then the request's
// outcome.
func (g *gateway) cachedListing(c *call, b *backend, key listKey, base url.Values, parse func([]byte) (*fullListing, error)) (l *fullListing, status int, body []byte, ok bool) {
	var h http.Header
	l, err := g.lists.get(key, func() (*fullListing, error) {
		c.out.query = encodeQuery(key.query(base))
		var err error
		status, body, h, err = g.proxy(c, b, rewriteNone)
		if err != nil || status != http.StatusOK {
			return nil, err
		}
		return parse(body)
	})
	if err != nil {
		g.fail(c, http.StatusInternalServerError, "InternalError", "sandbox: "+b.name+" account: "+err.Error())
		return nil, 0, nil, false
	}
	if l == nil {
		g.relay(c, status, body, h)
		return nil, status, body, true
	}
	return l, 0, nil, true
}

// listObjectsV2 serves ListObjectsV2 (list-type=2) from the full listing
// of the bucket under the prefix and delimiter asked for, as kumo and then
// fixListing would have answered it.
func (g *gateway) listObjectsV2(c *call, op s3Op, owner string, b *backend) (int, []byte, bool) {
	q := op.query
	l, status, body, ok := g.cachedListing(c, b, objectsListKey(op.bucket, q), url.Values{"list-type": {"2"}}, parseObjectsV2)
	if l == nil {
		return status, body, ok
	}
	ownerID := ""
	if q.Get("fetch-owner") == "true" {
		ownerID = canonicalUserID(owner)
	}
	out := pageObjectsV2(op.bucket, q, l, ownerID)
	// The headers kumo writes on a listing, its request ID the gateway's.
	h := http.Header{"Content-Type": {"application/xml"}, "X-Amz-Request-Id": {c.reqID}, "X-Amzn-Requestid": {c.reqID}}
	g.relay(c, http.StatusOK, out, h)
	return http.StatusOK, out, true
}
