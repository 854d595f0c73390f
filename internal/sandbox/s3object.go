package sandbox

// Object requests as S3 answers them, over kumo: version IDs translated
// (s3versions.go), delete markers answered 404/405 with their headers,
// HeadObject served from a one-byte GET (kumo's HEAD ignores versionId and
// delete markers), flexible checksums kept with the object and returned,
// GetObjectAttributes, lower-case user metadata keys, and canonical owner
// IDs.

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"hash/crc64"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// checksumMetaPrefix names the user metadata in which the gateway keeps an
// object's flexible checksum in kumo, so that it lives, is copied and goes
// with the object's version. Clients may not write it.
const checksumMetaPrefix = "X-Amz-Meta-Xacct-Sandbox-Checksum-"

// reservedMeta is the user metadata prefix the sandbox keeps for itself.
const reservedMeta = "X-Amz-Meta-Xacct-Sandbox-"

// checksumNames are the flexible checksums S3 returns, in S3's spelling.
var checksumNames = map[string]string{"crc32": "CRC32", "crc32c": "CRC32C", "crc64nvme": "CRC64NVME", "sha1": "SHA1", "sha256": "SHA256"}

// storedChecksum picks the checksum of an upload (its headers, or a
// streaming upload's trailers, already verified) to keep with the object.
func storedChecksum(h http.Header) (alg, value string) {
	for a := range checksumNames {
		if v := h.Get("X-Amz-Checksum-" + a); v != "" {
			return a, v
		}
	}
	return "", ""
}

// s3Response is kumo's answer as the gateway reworks it.
type s3Response struct {
	status int
	body   []byte
	h      http.Header
}

// objectHeaders rewrites an object response's headers as S3 writes them:
// user metadata keys lower-case (kumo's go through Go's canonical form),
// the gateway's own metadata removed (its checksum returned in S3's header
// when withChecksum), and version IDs in the bucket's AWS shape.
func objectHeaders(h http.Header, bv bucketVersions, withChecksum bool) {
	for k, vs := range h {
		if !strings.HasPrefix(k, "X-Amz-Meta-") {
			continue
		}
		delete(h, k)
		if alg, ok := strings.CutPrefix(k, checksumMetaPrefix); ok {
			alg = strings.ToLower(alg)
			if withChecksum && checksumNames[alg] != "" && len(vs) > 0 {
				h.Set("X-Amz-Checksum-"+alg, vs[0])
				h.Set("X-Amz-Checksum-Type", "FULL_OBJECT")
			}
			continue
		}
		if strings.HasPrefix(k, reservedMeta) {
			continue
		}
		h[strings.ToLower(k)] = vs
	}
	if v := h.Get("X-Amz-Version-Id"); v != "" {
		h.Set("X-Amz-Version-Id", bv.codec.encode(v))
	}
}

// headViaGet asks kumo for an object's headers with a one-byte GET (kumo's
// HEAD ignores versionId and shows delete markers as empty objects) and
// answers as a HEAD would: 200 with the object's length.
func (g *gateway) headViaGet(c *call, b *backend) (s3Response, error) {
	c.out.method = http.MethodGet
	ranged := c.out.header.Get("Range") != ""
	if !ranged {
		c.out.header.Set("Range", "bytes=0-0")
	}
	status, body, h, err := g.proxy(c, b, rewriteNone)
	if err != nil {
		return s3Response{}, err
	}
	if !ranged {
		switch status {
		case http.StatusPartialContent:
			cr := h.Get("Content-Range")
			if i := strings.LastIndexByte(cr, '/'); i >= 0 {
				h.Set("Content-Length", cr[i+1:])
			}
			h.Del("Content-Range")
			status = http.StatusOK
		case http.StatusRequestedRangeNotSatisfiable: // an empty object
			c.out.header.Del("Range")
			status, body, h, err = g.proxy(c, b, rewriteNone)
			if err != nil {
				return s3Response{}, err
			}
		}
	}
	return s3Response{status, body, h}, nil
}

// kumoCode is the error code of a kumo error body.
func kumoCode(body []byte) string {
	_, rest, ok := bytes.Cut(body, []byte("<Code>"))
	if !ok {
		return ""
	}
	code, _, _ := bytes.Cut(rest, []byte("</Code>"))
	return string(code)
}

// serveObject forwards an object request and relays kumo's answer as S3
// gives it; kinds of request kumo does not serve faithfully are reworked.
// It returns the status and body relayed, false when it refused.
func (g *gateway) serveObject(c *call, op s3Op, owner string, b *backend) (int, []byte, bool) {
	bv := g.bucketVersions(op.bucket)
	q := url.Values{}
	for k, v := range op.query {
		q[k] = v
	}
	requested := q.Get("versionId")
	if _, ok := q["versionId"]; ok {
		kv, valid := bv.codec.decode(requested)
		switch {
		case !valid:
			g.fail(c, http.StatusBadRequest, "InvalidArgument", "Invalid version id specified")
			return 0, nil, false
		case kv == nullVersion && bv.status == "":
			delete(q, "versionId") // an unversioned bucket's objects are its null versions
		default:
			q.Set("versionId", kv)
		}
	}
	_, attributes := q["attributes"]
	delete(q, "attributes")
	c.out.query = encodeQuery(q)
	plain := !hasAny(q, "acl", "tagging", "uploadId", "uploads", "partNumber")
	method := c.r.Method
	if method == http.MethodPut || method == http.MethodPost {
		for k := range c.r.Header {
			if strings.HasPrefix(k, reservedMeta) {
				g.fail(c, http.StatusBadRequest, "InvalidArgument", "The xacct sandbox keeps user metadata keys beginning "+strings.ToLower(strings.TrimPrefix(reservedMeta, "X-Amz-Meta-"))+" for itself.")
				return 0, nil, false
			}
		}
	}
	var checksumAlg, checksumValue string
	copying := c.r.Header.Get("X-Amz-Copy-Source") != ""
	if method == http.MethodPut && plain && !copying {
		// The checksums were verified (readS3Body); the one sent is kept,
		// and without one S3 computes a CRC64NVME.
		checksumAlg, checksumValue = storedChecksum(c.out.header)
		if checksumAlg == "" {
			checksumAlg, checksumValue = "crc64nvme", crc64NVMEBase64(c.body)
		}
		c.out.header.Set(checksumMetaPrefix+checksumAlg, checksumValue)
	}
	var res s3Response
	var err error
	switch {
	case (method == http.MethodHead || method == http.MethodGet && attributes) && plain:
		res, err = g.headViaGet(c, b)
	default:
		res.status, res.body, res.h, err = g.proxy(c, b, rewriteNone)
	}
	if err != nil {
		g.fail(c, http.StatusInternalServerError, "InternalError", "sandbox: "+b.name+" account: "+err.Error())
		return 0, nil, false
	}
	full := res.status == http.StatusOK && c.out.header.Get("Range") == "" || method == http.MethodHead && res.status == http.StatusOK
	withChecksum := full && strings.EqualFold(c.r.Header.Get("X-Amz-Checksum-Mode"), "ENABLED") || attributes
	objectHeaders(res.h, bv, withChecksum)
	if res.h.Get("X-Amz-Copy-Source-Version-Id") != "" {
		if src, _, _, e := parseCopySource(c.r.Header.Get("X-Amz-Copy-Source")); e == nil {
			res.h.Set("X-Amz-Copy-Source-Version-Id", g.bucketVersions(src).codec.encode(res.h.Get("X-Amz-Copy-Source-Version-Id")))
		}
	}
	if res.status/100 == 2 && plain && bv.status != "" && (method == http.MethodGet || method == http.MethodHead) && res.h.Get("X-Amz-Version-Id") == "" {
		res.h.Set("X-Amz-Version-Id", nullVersion) // written before versioning
	}
	if res.status/100 == 2 && method == http.MethodPut && plain && copying && bv.status != "" && res.h.Get("X-Amz-Version-Id") == "" {
		// kumo does not say which version a copy made.
		if v, marker := latestVersion(c.r.Context(), b, op.bucket, op.key); !marker && v != "" {
			res.h.Set("X-Amz-Version-Id", bv.codec.encode(v))
		}
	}
	if res.status/100 == 2 && method == http.MethodPut && checksumAlg != "" {
		res.h.Set("X-Amz-Checksum-"+checksumAlg, checksumValue)
		res.h.Set("X-Amz-Checksum-Type", "FULL_OBJECT")
	}
	if _, acl := q["acl"]; acl {
		res.body = withOwner(res.body, owner)
	}
	if (method == http.MethodGet || method == http.MethodHead) && plain && res.status == http.StatusNotFound {
		switch code := kumoCode(res.body); {
		case requested != "" && code == "MethodNotAllowed":
			// The version asked for is a delete marker.
			c.w.Header().Set("X-Amz-Delete-Marker", "true")
			c.w.Header().Set("X-Amz-Version-Id", requested)
			c.w.Header().Set("Allow", "DELETE")
			g.fail(c, http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.")
			return http.StatusMethodNotAllowed, nil, true
		case requested == "" && bv.status != "" && (code == "NoSuchKey" || method == http.MethodHead):
			if m, marker := latestVersion(c.r.Context(), b, op.bucket, op.key); marker {
				c.w.Header().Set("X-Amz-Delete-Marker", "true")
				c.w.Header().Set("X-Amz-Version-Id", bv.codec.encode(m))
			}
		}
		if method == http.MethodHead {
			res.body = nil
		}
	}
	// S3 encrypts every object it stores (SSE-S3 unless the request asked
	// for KMS) and says so on the write and on every read.
	if res.status/100 == 2 && plain && !attributes && (method == http.MethodGet || method == http.MethodHead || method == http.MethodPut) && res.h.Get("X-Amz-Server-Side-Encryption") == "" {
		alg := c.r.Header.Get("X-Amz-Server-Side-Encryption")
		if alg == "" || method != http.MethodPut {
			alg = "AES256"
		}
		res.h.Set("X-Amz-Server-Side-Encryption", alg)
	}
	if attributes && res.status == http.StatusOK {
		res.body = objectAttributes(c.r.Header.Get("X-Amz-Object-Attributes"), res.h)
		keep := http.Header{"Content-Type": {"application/xml"}, "Last-Modified": res.h["Last-Modified"]}
		if v := res.h.Get("X-Amz-Version-Id"); v != "" {
			keep.Set("X-Amz-Version-Id", v)
		}
		res.h = keep
	}
	g.relay(c, res.status, res.body, res.h)
	return res.status, res.body, true
}

func hasAny(q url.Values, keys ...string) bool {
	for _, k := range keys {
		if _, ok := q[k]; ok {
			return true
		}
	}
	return false
}

// objectAttributes answers GetObjectAttributes from an object's headers:
// the attributes asked for (ETag unquoted, as S3 gives it there), ObjectParts
// only for multipart objects, which the sandbox does not track.
func objectAttributes(asked string, h http.Header) []byte {
	want := map[string]bool{}
	for _, a := range strings.Split(asked, ",") {
		want[strings.TrimSpace(a)] = true
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<GetObjectAttributesResponse xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`)
	if want["ETag"] {
		b.WriteString("<ETag>" + xmlEscape(strings.Trim(h.Get("ETag"), `"`)) + "</ETag>")
	}
	if want["Checksum"] {
		var sums strings.Builder
		for alg, name := range checksumNames {
			if v := h.Get("X-Amz-Checksum-" + alg); v != "" {
				sums.WriteString("<Checksum" + name + ">" + xmlEscape(v) + "</Checksum" + name + ">")
				sums.WriteString("<ChecksumType>FULL_OBJECT</ChecksumType>")
			}
		}
		if sums.Len() > 0 {
			b.WriteString("<Checksum>" + sums.String() + "</Checksum>")
		}
	}
	if want["StorageClass"] {
		b.WriteString("<StorageClass>STANDARD</StorageClass>")
	}
	if want["ObjectSize"] {
		b.WriteString("<ObjectSize>" + xmlEscape(h.Get("Content-Length")) + "</ObjectSize>")
	}
	b.WriteString("</GetObjectAttributesResponse>")
	return []byte(b.String())
}

// validObjectAttributes checks an x-amz-object-attributes header as S3
// does: present, and naming only attributes it knows.
func validObjectAttributes(v string) bool {
	if strings.TrimSpace(v) == "" {
		return false
	}
	for _, a := range strings.Split(v, ",") {
		switch strings.TrimSpace(a) {
		case "ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize":
		default:
			return false
		}
	}
	return true
}

// exchangeS3 forwards an authorized S3 request whose body has been read,
// relays the answer as S3 gives it, and returns the status and body
// relayed; false when it refused the request itself.
func (g *gateway) exchangeS3(c *call, op s3Op, owner string, b *backend) (int, []byte, bool) {
	if op.key != "" {
		return g.serveObject(c, op, owner, b)
	}
	_, versions := op.query["versions"]
	_, versioning := op.query["versioning"]
	switch {
	case versions && c.r.Method == http.MethodGet:
		return g.listVersions(c, op, owner, b)
	case versioning && c.r.Method == http.MethodPut:
		return g.putVersioning(c, op, b)
	}
	if op.action == "s3:ListBucket" && c.r.Method == http.MethodGet && (op.query.Get("list-type") == "2" || !op.query.Has("list-type")) {
		return g.listObjects(c, op, owner, b)
	}
	status, body, h, err := g.proxy(c, b, rewriteNone)
	if err != nil {
		g.fail(c, http.StatusInternalServerError, "InternalError", "sandbox: "+b.name+" account: "+err.Error())
		return 0, nil, false
	}
	if op.action == "s3:ListBucket" && c.r.Method == http.MethodGet && status == http.StatusOK {
		v2 := op.query.Get("list-type") == "2"
		body = fixListing(body, canonicalUserID(owner), !v2 || op.query.Get("fetch-owner") == "true")
	}
	body = withOwner(body, owner)
	g.relay(c, status, body, h)
	return status, body, true
}

var deleteVersionIDs = regexp.MustCompile(`<(VersionId|DeleteMarkerVersionId)>([^<]*)</(?:VersionId|DeleteMarkerVersionId)>`)

// deleteResultVersions puts a DeleteObjects result's version IDs in the
// bucket's AWS shape.
func deleteResultVersions(body []byte, vc versionCodec) []byte {
	return deleteVersionIDs.ReplaceAllFunc(body, func(m []byte) []byte {
		sub := deleteVersionIDs.FindSubmatch(m)
		name := string(sub[1])
		return []byte("<" + name + ">" + xmlEscape(vc.encode(string(sub[2]))) + "</" + name + ">")
	})
}

var (
	listContents = regexp.MustCompile(`(?s)<Contents>.*?</Contents>`)
	listKeyCount = regexp.MustCompile(`<KeyCount>\d+</KeyCount>`)
)

// fixListing reworks kumo's ListObjects (V1 and V2) result: delete markers
// (kumo lists them as empty objects with no ETag) are left out, and each
// entry names its owner where S3 does (V1 always, V2 with fetch-owner).
func fixListing(body []byte, ownerID string, withOwner bool) []byte {
	removed := 0
	out := listContents.ReplaceAllFunc(body, func(m []byte) []byte {
		if bytes.Contains(m, []byte("<ETag></ETag>")) || bytes.Contains(m, []byte("<ETag/>")) {
			removed++
			return nil
		}
		if withOwner {
			return append(m[:len(m)-len("</Contents>"):len(m)-len("</Contents>")], []byte("<Owner><ID>"+ownerID+"</ID></Owner></Contents>")...)
		}
		return m
	})
	if removed > 0 {
		out = listKeyCount.ReplaceAllFunc(out, func(m []byte) []byte {
			n, _ := strconv.Atoi(string(m[len("<KeyCount>") : len(m)-len("</KeyCount>")]))
			return []byte("<KeyCount>" + strconv.Itoa(max(n-removed, 0)) + "</KeyCount>")
		})
	}
	return out
}

// crc64NVMEBase64 is S3's CRC64NVME checksum of b.
func crc64NVMEBase64(b []byte) string {
	var out [8]byte
	binary.BigEndian.PutUint64(out[:], crc64.Checksum(b, crc64NVME))
	return base64.StdEncoding.EncodeToString(out[:])
}
