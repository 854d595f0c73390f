package sandbox

// S3 versioning as AWS shows it, over kumo's. kumo keeps the versions of a
// versioned bucket (newest first, delete markers included) and numbers them
// per bucket ("v1", "v2"…); the gateway turns those numbers into opaque
// AWS-shaped IDs and back, answers ListObjectVersions itself from kumo's
// full list (interleaved, paged with key and version-id markers), hides delete
// markers from object listings, and turns the objects already in a bucket
// into its "null" versions when versioning is first enabled, as S3 does.

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// nullVersion is the version ID of an object written while a bucket was
// unversioned or suspended.
const nullVersion = "null"

// versionIDTag marks a decrypted version ID as one the gateway made.
var versionIDTag = [8]byte{'x', 'a', 'c', 'c', 't', 'v', 'i', 'd'}

// versionCodec maps kumo's version numbers of one bucket to AWS-shaped
// version IDs: 32 URL-safe characters, the AES encryption of the number
// under the bucket's key plus a check, so that an ID another bucket made,
// or one made up, is refused rather than served.
type versionCodec struct {
	key   []byte
	block cipher.Block
}

func newVersionCodec(key []byte) versionCodec {
	b, _ := aes.NewCipher(key) // the key is always 16 bytes
	return versionCodec{key: key, block: b}
}

// bucketVersionKey is a bucket's version key: the one kept in its state, or
// for buckets created before the gateway kept one, one derived from its
// name (stable, so their IDs survive restarts too).
func bucketVersionKey(bucket, stored string) []byte {
	if k, err := hex.DecodeString(stored); err == nil && len(k) == 16 {
		return k
	}
	s := sha256.Sum256([]byte("xacct-sandbox version ids/" + bucket))
	return s[:16]
}

func newVersionKey() string {
	k := make([]byte, 16)
	_, _ = rand.Read(k)
	return hex.EncodeToString(k)
}

// encode turns a kumo version ("v7", "null" or "" for an object written
// before versioning) into the ID clients see.
func (vc versionCodec) encode(kumo string) string {
	if kumo == "" || kumo == nullVersion {
		return nullVersion
	}
	n, err := strconv.ParseUint(strings.TrimPrefix(kumo, "v"), 10, 64)
	if err != nil || !strings.HasPrefix(kumo, "v") {
		return kumo
	}
	var pt [16]byte
	binary.BigEndian.PutUint64(pt[:8], n)
	copy(pt[8:], versionIDTag[:])
	out := make([]byte, 24)
	vc.block.Encrypt(out[:16], pt[:])
	sum := sha256.Sum256(append(append([]byte{}, vc.key...), out[:16]...))
	copy(out[16:], sum[:8])
	id := base64.RawURLEncoding.EncodeToString(out)
	if id[0] == '-' {
		// An ID that begins with a dash reads as an option to the AWS CLI
		// (--version-id -Ev7…), and S3's never do: its first character
		// is written as a dot, which S3's IDs also use ('.' is outside
		// the URL-safe alphabet, so decode knows it).
		id = "." + id[1:]
	}
	return id
}

// decode turns a client's version ID into kumo's; ok is false for an ID
// this bucket never gave out.
func (vc versionCodec) decode(id string) (string, bool) {
	if id == nullVersion {
		return nullVersion, true
	}
	if strings.HasPrefix(id, ".") {
		id = "-" + id[1:]
	}
	raw, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil || len(raw) != 24 {
		return "", false
	}
	sum := sha256.Sum256(append(append([]byte{}, vc.key...), raw[:16]...))
	if !bytes.Equal(sum[:8], raw[16:]) {
		return "", false
	}
	var pt [16]byte
	vc.block.Decrypt(pt[:], raw[:16])
	if !bytes.Equal(pt[8:], versionIDTag[:]) {
		return "", false
	}
	return "v" + strconv.FormatUint(binary.BigEndian.Uint64(pt[:8]), 10), true
}

// canonicalUserID is an account's canonical user ID as S3 shows owners: 64
// hex characters, stable per account.
func canonicalUserID(account string) string {
	s := sha256.Sum256([]byte("xacct-sandbox canonical user/" + account))
	return hex.EncodeToString(s[:])
}

// kumoOwnerID is the owner ID kumo writes for every bucket and object.
var kumoOwnerID = []byte("<ID>owner-id</ID>")

// withOwner puts the account's canonical ID where kumo wrote its own.
func withOwner(body []byte, account string) []byte {
	if !bytes.Contains(body, kumoOwnerID) {
		return body
	}
	return bytes.ReplaceAll(body, kumoOwnerID, []byte("<ID>"+canonicalUserID(account)+"</ID>"))
}

// bucketVersions is what the gateway knows of a bucket's versioning.
type bucketVersions struct {
	status string // "", Enabled, Suspended
	codec  versionCodec
}

func (g *gateway) bucketVersions(bucket string) bucketVersions {
	var status, key string
	g.st.view(func() {
		if m := g.st.Buckets[bucket]; m != nil {
			status, key = m.Versioning, m.VersionKey
		}
	})
	return bucketVersions{status: status, codec: newVersionCodec(bucketVersionKey(bucket, key))}
}

// versionEntry is one row of ListObjectVersions: a version, a delete
// marker or a common prefix.
type versionEntry struct {
	kind         string // "Version", "DeleteMarker", "CommonPrefixes"
	Key          string
	VersionID    string // kumo's
	IsLatest     bool
	LastModified string
	ETag         string
	Size         int64
}

// kumoVersions is kumo's ListVersionsResult, as much as the gateway reads.
type kumoVersions struct {
	Versions []struct {
		Key, VersionId, LastModified, ETag string
		IsLatest                           bool
		Size                               int64
	} `xml:"Version"`
	DeleteMarkers []struct {
		Key, VersionId, LastModified string
		IsLatest                     bool
	} `xml:"DeleteMarker"`
	CommonPrefixes []struct{ Prefix string } `xml:"CommonPrefixes"`
}

// kumoVersionNumber orders a key's versions: kumo numbers them in the order
// they were written; a null version has no number.
func kumoVersionNumber(kumo string) (uint64, bool) {
	n, err := strconv.ParseUint(strings.TrimPrefix(kumo, "v"), 10, 64)
	return n, err == nil && strings.HasPrefix(kumo, "v")
}

// sortVersions puts entries in S3's order: by key, and a key's versions
// newest first.
func sortVersions(es []versionEntry) {
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i], es[j]
		if a.Key != b.Key {
			return a.Key < b.Key
		}
		if a.IsLatest != b.IsLatest {
			return a.IsLatest
		}
		na, oka := kumoVersionNumber(a.VersionID)
		nb, okb := kumoVersionNumber(b.VersionID)
		if oka && okb {
			return na > nb
		}
		return a.LastModified > b.LastModified
	})
}

// pageVersions cuts the sorted entries to one page after the key and
// version-id markers (the version marker names kumo's version), as S3 pages
// ListObjectVersions. next is the entry the next page starts after.
func pageVersions(es []versionEntry, keyMarker, versionMarker string, maxKeys int) (page []versionEntry, truncated bool, next versionEntry) {
	// es is in key order (sortVersions): the markers are found by binary
	// search, a page costing the same wherever it starts.
	start := 0
	switch {
	case keyMarker == "":
	case versionMarker == "":
		start = sort.Search(len(es), func(i int) bool { return es[i].Key > keyMarker })
	default:
		start = sort.Search(len(es), func(i int) bool { return es[i].Key >= keyMarker })
		found := false
		for i := start; i < len(es) && es[i].Key == keyMarker; i++ {
			if es[i].VersionID == versionMarker {
				start, found = i+1, true
				break
			}
		}
		if !found {
			start = sort.Search(len(es), func(i int) bool { return es[i].Key > keyMarker })
		}
	}
	es = es[start:]
	if maxKeys <= 0 {
		return nil, false, versionEntry{}
	}
	if len(es) > maxKeys {
		return es[:maxKeys], true, es[maxKeys-1]
	}
	return es, false, versionEntry{}
}

// listVersions serves ListObjectVersions from kumo's complete list.
func (g *gateway) listVersions(c *call, op s3Op, owner string, b *backend) (int, []byte, bool) {
	q := op.query
	maxKeys := 1000
	if v := q.Get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			g.fail(c, http.StatusBadRequest, "InvalidArgument", "Provided max-keys not an integer or within integer range")
			return 0, nil, false
		}
		maxKeys = min(n, 1000)
	}
	bv := g.bucketVersions(op.bucket)
	versionMarker := q.Get("version-id-marker")
	if versionMarker != "" {
		if q.Get("key-marker") == "" {
			g.fail(c, http.StatusBadRequest, "InvalidArgument", "A version-id marker cannot be specified without a key marker.")
			return 0, nil, false
		}
		kv, ok := bv.codec.decode(versionMarker)
		if !ok {
			g.fail(c, http.StatusBadRequest, "InvalidArgument", "Invalid version id specified")
			return 0, nil, false
		}
		versionMarker = kv
	}
	key := listKey{kind: listVersionsKind, bucket: op.bucket, prefix: q.Get("prefix"), delimiter: q.Get("delimiter")}
	l, status, body, ok := g.cachedListing(c, b, key, url.Values{"versions": {""}}, parseVersions)
	if l == nil {
		return status, body, ok
	}
	es := l.versions
	page, truncated, next := pageVersions(es, q.Get("key-marker"), versionMarker, maxKeys)
	out := renderVersions(op.bucket, q, owner, bv.codec, page, truncated, next)
	rh := http.Header{"Content-Type": {"application/xml"}}
	g.relay(c, http.StatusOK, out, rh)
	return http.StatusOK, out, true
}

// parseVersions reads kumo's complete ListVersionsResult into entries in
// S3's order.
func parseVersions(body []byte) (*fullListing, error) {
	var kv kumoVersions
	if err := xml.Unmarshal(body, &kv); err != nil {
		return nil, fmt.Errorf("kumo's version list does not parse: %w", err)
	}
	es := make([]versionEntry, 0, len(kv.Versions)+len(kv.DeleteMarkers)+len(kv.CommonPrefixes))
	for _, v := range kv.Versions {
		if v.VersionId == "" {
			v.VersionId = nullVersion // written before versioning
		}
		es = append(es, versionEntry{kind: "Version", Key: v.Key, VersionID: v.VersionId, IsLatest: v.IsLatest, LastModified: v.LastModified, ETag: v.ETag, Size: v.Size})
	}
	for _, m := range kv.DeleteMarkers {
		es = append(es, versionEntry{kind: "DeleteMarker", Key: m.Key, VersionID: m.VersionId, IsLatest: m.IsLatest, LastModified: m.LastModified})
	}
	for _, p := range kv.CommonPrefixes {
		es = append(es, versionEntry{kind: "CommonPrefixes", Key: p.Prefix})
	}
	sortVersions(es)
	l := &fullListing{versions: es}
	l.bytes = l.size()
	return l, nil
}

// renderVersions writes a ListVersionsResult as S3 does.
func renderVersions(bucket string, q url.Values, owner string, vc versionCodec, page []versionEntry, truncated bool, next versionEntry) []byte {
	var b strings.Builder
	el := func(name, v string) { fmt.Fprintf(&b, "<%s>%s</%s>", name, xmlEscape(v), name) }
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`)
	el("Name", bucket)
	el("Prefix", q.Get("prefix"))
	el("KeyMarker", q.Get("key-marker"))
	el("VersionIdMarker", q.Get("version-id-marker"))
	if truncated {
		el("NextKeyMarker", next.Key)
		if next.kind != "CommonPrefixes" {
			el("NextVersionIdMarker", vc.encode(next.VersionID))
		}
	}
	maxKeys := q.Get("max-keys")
	if maxKeys == "" {
		maxKeys = "1000"
	}
	el("MaxKeys", maxKeys)
	if d := q.Get("delimiter"); d != "" {
		el("Delimiter", d)
	}
	el("IsTruncated", strconv.FormatBool(truncated))
	ownerXML := "<Owner><ID>" + canonicalUserID(owner) + "</ID></Owner>"
	for _, e := range page {
		if e.kind == "CommonPrefixes" {
			b.WriteString("<CommonPrefixes>")
			el("Prefix", e.Key)
			b.WriteString("</CommonPrefixes>")
			continue
		}
		b.WriteString("<" + e.kind + ">")
		el("Key", e.Key)
		el("VersionId", vc.encode(e.VersionID))
		el("IsLatest", strconv.FormatBool(e.IsLatest))
		el("LastModified", e.LastModified)
		if e.kind == "Version" {
			el("ETag", e.ETag)
			el("Size", strconv.FormatInt(e.Size, 10))
			el("StorageClass", "STANDARD")
		}
		b.WriteString(ownerXML)
		b.WriteString("</" + e.kind + ">")
	}
	b.WriteString("</ListVersionsResult>")
	return []byte(b.String())
}

// latestVersion is kumo's latest version of key, and whether it is a
// delete marker; "" when kumo lists none.
func latestVersion(ctx context.Context, b *backend, bucket, key string) (string, bool) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := b.s3.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: aws.String(key), MaxKeys: aws.Int32(1 << 30)})
	if err != nil {
		return "", false
	}
	for _, m := range out.DeleteMarkers {
		if aws.ToString(m.Key) == key && aws.ToBool(m.IsLatest) {
			return aws.ToString(m.VersionId), true
		}
	}
	for _, v := range out.Versions {
		if aws.ToString(v.Key) == key && aws.ToBool(v.IsLatest) {
			return aws.ToString(v.VersionId), false
		}
	}
	return "", false
}

type versioningConfig struct {
	XMLName xml.Name `xml:"VersioningConfiguration"`
	Status  string   `xml:"Status"`
}

// putVersioning serves PutBucketVersioning. The first time versioning is
// set, the objects already in the bucket become its "null" versions (kumo
// would otherwise drop them at their next write): kumo is suspended, each
// object is copied onto itself, then the status asked for is set.
func (g *gateway) putVersioning(c *call, op s3Op, b *backend) (int, []byte, bool) {
	var cfg versioningConfig
	if err := xml.Unmarshal(c.body, &cfg); err != nil || (cfg.Status != "Enabled" && cfg.Status != "Suspended") {
		g.fail(c, http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
		return 0, nil, false
	}
	bv := g.bucketVersions(op.bucket)
	if bv.status == "" {
		if err := nullVersions(c.r.Context(), b, op.bucket); err != nil {
			g.fail(c, http.StatusInternalServerError, "InternalError", "sandbox: enable versioning: "+err.Error())
			return 0, nil, false
		}
	}
	status, body, h, err := g.proxy(c, b, rewriteNone)
	if err != nil {
		g.fail(c, http.StatusInternalServerError, "InternalError", "sandbox: "+b.name+" account: "+err.Error())
		return 0, nil, false
	}
	if status/100 == 2 {
		_ = g.st.update(func() error {
			if m := g.st.Buckets[op.bucket]; m != nil {
				m.Versioning = cfg.Status
			}
			return nil
		})
	}
	g.relay(c, status, body, h)
	return status, body, true
}

// nullVersions makes every object of a bucket not yet versioned a "null"
// version in kumo.
func nullVersions(ctx context.Context, b *backend, bucket string) error {
	// A bucket versioned before the gateway kept the status has its
	// versions in kumo already.
	cur, err := b.s3.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(bucket)})
	if err != nil {
		return err
	}
	if cur.Status != "" {
		return nil
	}
	var keys []string
	p := s3.NewListObjectsV2Paginator(b.s3, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	if len(keys) == 0 {
		return nil
	}
	if _, err := b.s3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusSuspended}}); err != nil {
		return err
	}
	for _, k := range keys {
		if _, err := b.s3.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String(k),
			CopySource: aws.String(s3EscapePath(bucket) + "/" + s3EscapePath(k)), MetadataDirective: s3types.MetadataDirectiveCopy}); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
	}
	return nil
}
