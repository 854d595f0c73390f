package sandbox

// Listings served from a cache. kumo answers every ListObjectVersions and
// ListObjects page by collecting, sorting and slicing the whole bucket, and
// the gateway pages versions itself from kumo's complete list: paging a
// bucket of N keys costs O(N) a page. The gateway keeps instead, per
// (bucket, prefix, delimiter), the full sorted listing it got from kumo, and
// cuts each page from it, until a request that may change the bucket comes
// through. Objects are listed from kumo without a delimiter, and rolled up
// by the gateway (cutObjects): kumo rolls up keys whose current version is
// a delete marker, which S3 does not list.
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
	"slices"
	"sort"
	"strconv"
	"strings"
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
	listObjectsKind                      // ListObjects and ListObjectsV2, no delimiter
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
	objects  []kumoObject   // ListObjects: kumo's objects but delete markers, in key order
	header   []byte         // ListObjects: what kumo writes before its result
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
	return n
}

func (l *fullListing) entries() int { return len(l.versions) + len(l.objects) }

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
// cut from a full listing is written as kumo writes it; and the Delimiter,
// which S3 writes and kumo does not.
type kumoListV2 struct {
	XMLName               xml.Name     `xml:"ListBucketResult"`
	Xmlns                 string       `xml:"xmlns,attr"`
	Name                  string       `xml:"Name"`
	Prefix                string       `xml:"Prefix"`
	KeyCount              int          `xml:"KeyCount"`
	MaxKeys               int          `xml:"MaxKeys"`
	Delimiter             string       `xml:"Delimiter,omitempty"`
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

// kumoListV1 is kumo's ListBucketResult of ListObjects (V1), field for
// field.
type kumoListV1 struct {
	XMLName        xml.Name     `xml:"ListBucketResult"`
	Xmlns          string       `xml:"xmlns,attr"`
	Name           string       `xml:"Name"`
	Prefix         string       `xml:"Prefix"`
	Marker         string       `xml:"Marker"`
	NextMarker     string       `xml:"NextMarker,omitempty"`
	MaxKeys        int          `xml:"MaxKeys"`
	Delimiter      string       `xml:"Delimiter,omitempty"`
	IsTruncated    bool         `xml:"IsTruncated"`
	Contents       []kumoObject `xml:"Contents"`
	CommonPrefixes []kumoPrefix `xml:"CommonPrefixes,omitempty"`
}

// parseObjectsV2 reads kumo's complete ListObjectsV2 result, asked for
// without a delimiter, and leaves out its delete markers (kumo lists a key
// whose current version is one as an object with no ETag): what is left is
// what S3 lists.
func parseObjectsV2(body []byte) (*fullListing, error) {
	var res kumoListV2
	if err := xml.Unmarshal(body, &res); err != nil {
		return nil, err
	}
	header := body
	if i := bytes.Index(body, []byte("<ListBucketResult")); i >= 0 {
		header = body[:i:i]
	}
	objects := res.Contents
	if slices.ContainsFunc(objects, isDeleteMarker) {
		// A copy without them, no larger than the cache's size counts.
		objects = slices.Clone(slices.DeleteFunc(objects, isDeleteMarker))
	}
	l := &fullListing{objects: objects, header: bytes.Clone(header)}
	l.bytes = l.size()
	return l, nil
}

// isDeleteMarker says whether kumo's object is a delete marker.
func isDeleteMarker(o kumoObject) bool { return o.ETag == "" }

// objectsPage is one page of a listing of objects.
type objectsPage struct {
	objects   []kumoObject
	prefixes  []kumoPrefix
	truncated bool
	next      string // when truncated, the page's last key or common prefix
}

// cutObjects cuts one page from objs (the keys under prefix, in order) as
// S3 does: the keys after start, rolled up at delim into common prefixes,
// at most maxKeys entries, a common prefix counting as one. A start that is
// itself a common prefix (as next is when a page ends on one) is after
// every key it rolls up.
func cutObjects(objs []kumoObject, prefix, delim, start string, maxKeys int) objectsPage {
	var p objectsPage
	i := 0
	if start != "" {
		i = after(objs, start, commonPrefix(start, prefix, delim) == start)
	}
	for i < len(objs) {
		if len(p.objects)+len(p.prefixes) == maxKeys {
			p.truncated = true
			return p
		}
		if cp := commonPrefix(objs[i].Key, prefix, delim); cp != "" {
			p.prefixes = append(p.prefixes, kumoPrefix{Prefix: cp})
			p.next = cp
			i = after(objs, cp, true)
			continue
		}
		p.objects = append(p.objects, objs[i])
		p.next = objs[i].Key
		i++
	}
	p.next = ""
	return p
}

// after is the index of the first of objs (in key order) after key, and
// after every key it prefixes when whole.
func after(objs []kumoObject, key string, whole bool) int {
	return sort.Search(len(objs), func(i int) bool {
		k := objs[i].Key
		return k > key && !(whole && strings.HasPrefix(k, key))
	})
}

// commonPrefix is the common prefix key rolls up into under prefix at
// delim; "" when it rolls up into none.
func commonPrefix(key, prefix, delim string) string {
	if delim == "" || !strings.HasPrefix(key, prefix) {
		return ""
	}
	if i := strings.Index(key[len(prefix):], delim); i >= 0 {
		return key[:len(prefix)+i+len(delim)]
	}
	return ""
}

// listMaxKeys is a listing's max-keys as kumo takes it: any positive
// number, else 1000.
func listMaxKeys(q url.Values) int {
	if mk, err := strconv.Atoi(q.Get("max-keys")); err == nil && mk > 0 {
		return mk
	}
	return 1000
}

// withOwners names ownerID as the owner of each object, when it is not
// empty; objs is the page's own.
func withOwners(objs []kumoObject, ownerID string) []kumoObject {
	if ownerID != "" {
		owner := &kumoOwner{ID: ownerID}
		for i := range objs {
			objs[i].Owner = owner
		}
	}
	if objs == nil {
		return []kumoObject{}
	}
	return objs
}

// pageObjectsV2 writes one ListObjectsV2 page, cut from the full listing
// by cutObjects after the continuation token (else start-after), with the
// page's last entry as the next token, and each object's owner named when
// ownerID is not empty.
func pageObjectsV2(bucket string, q url.Values, l *fullListing, ownerID string) []byte {
	maxKeys := listMaxKeys(q)
	start := q.Get("start-after")
	if t := q.Get("continuation-token"); t != "" {
		start = t
	}
	p := cutObjects(l.objects, q.Get("prefix"), q.Get("delimiter"), start, maxKeys)
	res := kumoListV2{Xmlns: s3Namespace, Name: bucket, Prefix: q.Get("prefix"), KeyCount: len(p.objects) + len(p.prefixes), MaxKeys: maxKeys,
		Delimiter: q.Get("delimiter"), IsTruncated: p.truncated, Contents: withOwners(p.objects, ownerID), ContinuationToken: q.Get("continuation-token"),
		NextContinuationToken: p.next, StartAfter: q.Get("start-after"), CommonPrefixes: p.prefixes}
	var b bytes.Buffer
	b.Write(l.header)
	_ = xml.NewEncoder(&b).Encode(res)
	return b.Bytes()
}

// pageObjectsV1 writes one ListObjects (V1) page, cut from the full listing
// by cutObjects after the marker, each object's owner named; NextMarker,
// the page's last entry, is written when the page is truncated and a
// delimiter was given, as S3 does.
func pageObjectsV1(bucket string, q url.Values, l *fullListing, ownerID string) []byte {
	maxKeys := listMaxKeys(q)
	p := cutObjects(l.objects, q.Get("prefix"), q.Get("delimiter"), q.Get("marker"), maxKeys)
	res := kumoListV1{Xmlns: s3Namespace, Name: bucket, Prefix: q.Get("prefix"), Marker: q.Get("marker"), MaxKeys: maxKeys,
		Delimiter: q.Get("delimiter"), IsTruncated: p.truncated, Contents: withOwners(p.objects, ownerID), CommonPrefixes: p.prefixes}
	if q.Get("delimiter") != "" {
		res.NextMarker = p.next
	}
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

// objectsListKey names the full listing a ListObjects or ListObjectsV2
// request is cut from: the bucket's keys under its prefix, not rolled up
// (see cutObjects), whatever its delimiter.
func objectsListKey(bucket string, q url.Values) listKey {
	return listKey{kind: listObjectsKind, bucket: bucket, prefix: q.Get("prefix")}
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

// listObjects serves ListObjectsV2 (list-type=2), else ListObjects (V1),
// from the full listing of the bucket's keys under the prefix asked for.
func (g *gateway) listObjects(c *call, op s3Op, owner string, b *backend) (int, []byte, bool) {
	q := op.query
	l, status, body, ok := g.cachedListing(c, b, objectsListKey(op.bucket, q), url.Values{"list-type": {"2"}}, parseObjectsV2)
	if l == nil {
		return status, body, ok
	}
	var out []byte
	if q.Get("list-type") == "2" {
		ownerID := ""
		if q.Get("fetch-owner") == "true" {
			ownerID = canonicalUserID(owner)
		}
		out = pageObjectsV2(op.bucket, q, l, ownerID)
	} else {
		out = pageObjectsV1(op.bucket, q, l, canonicalUserID(owner))
	}
	// The headers kumo writes on a listing, its request ID the gateway's.
	h := http.Header{"Content-Type": {"application/xml"}, "X-Amz-Request-Id": {c.reqID}, "X-Amzn-Requestid": {c.reqID}}
	g.relay(c, http.StatusOK, out, h)
	return http.StatusOK, out, true
}
