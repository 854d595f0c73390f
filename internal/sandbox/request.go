package sandbox

import (
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// The gateway's one forwarding rule: each request is parsed once into the
// value it authorizes (for S3: bucket, key, operation and query), and the
// request kumo receives is rebuilt from that value alone — its path, query
// and the headers the gateway understands — never copied from the raw
// request. kumo cleans paths (path.Clean on the decoded path) and prefers an
// X-Amz-Target header over the form's Action, so anything forwarded as sent
// could address something other than what was authorized.

// apiError is a refusal the gateway answers in the service's error shape.
type apiError struct {
	status int
	code   string
	msg    string
}

// outbound is the request the gateway sends to kumo, built from what it
// parsed and authorized.
type outbound struct {
	method string
	path   string // escaped
	query  string // encoded, without "?"
	header http.Header
}

// maxKeyLength is S3's limit on an object key, in bytes.
const maxKeyLength = 1024

// errInvalidURI is how S3 answers a URI it cannot take apart. AWS stores
// keys with "." and ".." segments verbatim, but every path-cleaning layer
// between a client and storage (kumo's router included) resolves them, so
// the sandbox refuses them rather than serve another key than the one it
// authorized.
func errInvalidURI(detail string) *apiError {
	return &apiError{http.StatusBadRequest, "InvalidURI", "Couldn't parse the specified URI. " + detail}
}

// parseS3 takes an S3 request apart: the bucket comes from a virtual host
// (<bucket>.localhost, <bucket>.s3.localhost) or else from the first path
// segment, and the rest of the decoded path is the key. It refuses what the
// gateway could not forward faithfully: dot segments, empty segments,
// ambiguous subresources, and query parameters it does not know.
func parseS3(method, host, path, rawQuery string) (s3Op, *apiError) {
	var op s3Op
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return op, errInvalidURI("The query string does not parse: " + err.Error())
	}
	for _, k := range presignParams {
		delete(q, k)
	}
	delete(q, "x-id") // the SDK's operation hint; S3 ignores it
	delete(q, "")     // "?&" or "?=v": no parameter at all
	for k, vs := range q {
		if len(vs) > 1 {
			return op, &apiError{http.StatusBadRequest, "InvalidArgument", "Query parameter " + k + " is given more than once."}
		}
	}
	op.query = q
	if !strings.HasPrefix(path, "/") {
		return op, errInvalidURI("The path must start with '/'.")
	}
	rest := path[1:]
	if b := virtualHostBucket(host); b != "" {
		op.bucket, op.key, op.virtual = b, rest, true
	} else {
		op.bucket, op.key, _ = strings.Cut(rest, "/")
		if op.bucket == "" && op.key != "" {
			return op, errInvalidURI("The path has an empty bucket segment.")
		}
	}
	if op.bucket == "." || op.bucket == ".." {
		return op, errInvalidURI("Dot segments ('.' and '..', raw or percent-encoded) are not allowed in the path.")
	}
	if op.bucket != "" && !bucketCharsRE(op.bucket) {
		return op, &apiError{http.StatusBadRequest, "InvalidBucketName", "The specified bucket is not valid."}
	}
	if op.key != "" {
		if e := checkKey(op.key); e != nil {
			return op, e
		}
	}
	if e := checkSubresources(op); e != nil {
		return op, e
	}
	op.action = s3Action(method, op)
	return op, nil
}

// checkKey refuses a key kumo would store under another name.
func checkKey(key string) *apiError {
	if len(key) > maxKeyLength {
		return &apiError{http.StatusBadRequest, "KeyTooLongError", "Your key is too long"}
	}
	for _, seg := range strings.Split(key, "/") {
		switch seg {
		case ".", "..":
			return errInvalidURI("Dot segments ('.' and '..', raw or percent-encoded) are not allowed in an object key.")
		case "":
			return &apiError{http.StatusNotImplemented, "NotImplemented",
				"The xacct sandbox does not serve keys with an empty segment, a leading '/' or a trailing '/': its storage would clean them to another key."}
		}
	}
	return nil
}

// bucketCharsRE accepts what could name a bucket at all (creation checks
// the full rules in validBucketName); anything else never reaches kumo.
func bucketCharsRE(b string) bool {
	if len(b) > 255 || b == "." || b == ".." {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// validBucketName applies AWS's rules for general purpose bucket names.
func validBucketName(b string) bool {
	if len(b) < 3 || len(b) > 63 {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	isAlnum := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
	if !isAlnum(b[0]) || !isAlnum(b[len(b)-1]) {
		return false
	}
	if strings.Contains(b, "..") || strings.Contains(b, ".-") || strings.Contains(b, "-.") {
		return false
	}
	if ip := net.ParseIP(b); ip != nil {
		return false
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(b, p) {
			return false
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(b, s) {
			return false
		}
	}
	return true
}

// virtualHostBucket is the bucket a virtual-hosted Host names
// (<bucket>.localhost or <bucket>.s3.localhost, any port); "" for
// path-style hosts.
func virtualHostBucket(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	b, ok := strings.CutSuffix(host, ".localhost")
	if !ok {
		return ""
	}
	b = strings.TrimSuffix(b, ".s3")
	if b == "" || b == "s3" {
		return ""
	}
	return b
}

// presignParams authenticate a presigned URL; they are not forwarded.
var presignParams = []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders",
	"X-Amz-Signature", "X-Amz-Security-Token"}

// bucketSelectors name a bucket-level operation; a request names at most one.
var bucketSelectors = func() map[string]bool {
	m := map[string]bool{"versions": true, "uploads": true, "delete": true}
	for k := range bucketSubresources {
		m[k] = true
	}
	return m
}()

// objectParams are the query parameters an object request may carry;
// objectSelectors among them name the operation, at most one per request.
var (
	objectParams = map[string]bool{"versionId": true, "partNumber": true, "uploadId": true, "uploads": true, "tagging": true,
		"acl": true, "attributes": true, "response-content-type": true, "response-content-language": true, "response-expires": true,
		"response-cache-control": true, "response-content-disposition": true, "response-content-encoding": true}
	objectSelectors = []string{"uploads", "tagging", "acl", "attributes", "uploadId"}
)

func checkSubresources(op s3Op) *apiError {
	if op.bucket == "" {
		if len(op.query) > 0 {
			return &apiError{http.StatusNotImplemented, "NotImplemented", "The xacct sandbox serves ListBuckets without parameters only."}
		}
		return nil
	}
	if op.key == "" {
		var sel []string
		for k := range op.query {
			if bucketSelectors[k] {
				sel = append(sel, k)
			}
		}
		if len(sel) > 1 {
			sort.Strings(sel)
			return &apiError{http.StatusBadRequest, "InvalidRequest", "A request names one bucket subresource; this one names " + strings.Join(sel, ", ") + "."}
		}
		return nil
	}
	n := 0
	for k := range op.query {
		if !objectParams[k] {
			return &apiError{http.StatusNotImplemented, "NotImplemented", "The xacct sandbox does not serve the object subresource or parameter " + strconvQuote(k) + "."}
		}
	}
	for _, k := range objectSelectors {
		if _, ok := op.query[k]; ok {
			n++
		}
	}
	if n > 1 {
		return &apiError{http.StatusBadRequest, "InvalidRequest", "A request names one object subresource."}
	}
	return nil
}

func strconvQuote(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return "\"" + strings.ReplaceAll(s, "\"", "\\\"") + "\""
}

// s3EscapePath escapes a bucket or key for a path: every byte but the
// unreserved characters and '/' is percent-encoded, as SigV4 does.
func s3EscapePath(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' || c == '/' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// encodeQuery encodes parameters in a fixed order; a parameter with an
// empty value is written bare ("?uploads"), as S3 clients write them.
func encodeQuery(q url.Values) string {
	if len(q) == 0 {
		return ""
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, v := range q[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(k))
			if v != "" {
				b.WriteByte('=')
				b.WriteString(url.QueryEscape(v))
			}
		}
	}
	return b.String()
}

// forwardPath is the path-style path of the parsed bucket and key.
func (op s3Op) forwardPath() string {
	switch {
	case op.bucket == "":
		return "/"
	case op.key == "":
		return "/" + s3EscapePath(op.bucket)
	}
	return "/" + s3EscapePath(op.bucket) + "/" + s3EscapePath(op.key)
}

// s3Headers are the request headers S3 operations read, forwarded as sent
// (after the gateway's own checks); every other header is dropped.
var s3Headers = map[string]bool{
	"Content-Type": true, "Content-Encoding": true, "Content-Language": true, "Content-Disposition": true, "Cache-Control": true,
	"Expires": true, "Content-Md5": true, "Range": true, "If-Match": true, "If-None-Match": true, "If-Modified-Since": true,
	"If-Unmodified-Since": true, "X-Amz-Acl": true, "X-Amz-Storage-Class": true, "X-Amz-Tagging": true,
	"X-Amz-Tagging-Directive": true, "X-Amz-Metadata-Directive": true, "X-Amz-Website-Redirect-Location": true,
	"X-Amz-Expected-Bucket-Owner": true, "X-Amz-Source-Expected-Bucket-Owner": true, "X-Amz-Sdk-Checksum-Algorithm": true,
	"X-Amz-Bucket-Object-Lock-Enabled": true, "X-Amz-Object-Ownership": true, "X-Amz-Mfa": true,
	"X-Amz-Bypass-Governance-Retention": true, "X-Amz-Request-Payer": true, "X-Amz-Object-Attributes": true,
	"X-Amz-Max-Parts": true, "X-Amz-Part-Number-Marker": true, "X-Amz-Checksum-Mode": true, "X-Amz-Copy-Source-Range": true,
	"X-Amz-Copy-Source-If-Match": true, "X-Amz-Copy-Source-If-None-Match": true, "X-Amz-Copy-Source-If-Modified-Since": true,
	"X-Amz-Copy-Source-If-Unmodified-Since": true, "X-Amz-Write-Offset-Bytes": true, "X-Amz-Confirm-Remove-Self-Bucket-Access": true,
	"X-Amz-Checksum-Type": true,
}

var s3HeaderPrefixes = []string{"X-Amz-Meta-", "X-Amz-Server-Side-Encryption", "X-Amz-Checksum-", "X-Amz-Object-Lock-",
	"X-Amz-Grant-", "X-Amz-Copy-Source-Server-Side-Encryption-"}

// serviceHeaders are the headers forwarded for the other services.
var serviceHeaders = map[string]map[string]bool{
	"iam":    {},
	"lambda": {"Content-Type": true, "X-Amz-Invocation-Type": true, "X-Amz-Log-Type": true, "X-Amz-Client-Context": true},
	"logs":   {"Content-Type": true, "X-Amz-Target": true},
}

// forwardHeaders copies the allowed headers of h and adds what kumo routes
// by: a credential scope naming the service (kumo checks no signature) and,
// for query-protocol services, a User-Agent naming the API.
func forwardHeaders(service, region string, h http.Header) http.Header {
	out := make(http.Header, 8)
	for k, vs := range h {
		if allowedHeader(service, k) {
			out[k] = vs
		}
	}
	date := time.Now().UTC().Format("20060102T150405Z")
	out.Set("X-Amz-Date", date)
	out.Set("Authorization", "AWS4-HMAC-SHA256 Credential=sandbox/"+date[:8]+"/"+region+"/"+service+"/aws4_request, SignedHeaders=host;x-amz-date, Signature=0")
	out.Set("User-Agent", "xacct-sandbox api/"+service)
	if service == "s3" {
		out.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	}
	return out
}

func allowedHeader(service, k string) bool {
	if service != "s3" {
		return serviceHeaders[service][k]
	}
	if s3Headers[k] {
		return true
	}
	for _, p := range s3HeaderPrefixes {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// parseCopySource takes apart an x-amz-copy-source header
// ("bucket/key[?versionId=v]", URL-encoded, an optional leading '/').
func parseCopySource(src string) (bucket, key, version string, e *apiError) {
	bad := &apiError{http.StatusBadRequest, "InvalidArgument", "Copy Source must mention the source bucket and key: sourcebucket/sourcekey"}
	raw, q, hasQ := strings.Cut(strings.TrimPrefix(src, "/"), "?")
	if hasQ {
		v, ok := strings.CutPrefix(q, "versionId=")
		if !ok || strings.ContainsAny(v, "&=") {
			return "", "", "", bad
		}
		version = v
	}
	dec, err := url.PathUnescape(raw)
	if err != nil {
		return "", "", "", bad
	}
	bucket, key, ok := strings.Cut(dec, "/")
	if !ok || bucket == "" || key == "" || !bucketCharsRE(bucket) {
		return "", "", "", bad
	}
	if e := checkKey(key); e != nil {
		return "", "", "", e
	}
	return bucket, key, version, nil
}

// checkServicePath refuses a path of a REST service (Lambda) whose decoded
// form has dot or empty segments, and returns the path rebuilt from its
// decoded segments.
func checkServicePath(path string) (string, *apiError) {
	if path == "/" {
		return path, nil
	}
	if !strings.HasPrefix(path, "/") {
		return "", &apiError{http.StatusBadRequest, "ValidationException", "The request path must start with '/'."}
	}
	segs := strings.Split(path[1:], "/")
	for i, s := range segs {
		if s == "" || s == "." || s == ".." {
			return "", &apiError{http.StatusBadRequest, "ValidationException", "The request path has an empty or dot segment."}
		}
		segs[i] = url.PathEscape(s)
	}
	return "/" + strings.Join(segs, "/"), nil
}

// queryProtocolForm is the form of an IAM or STS request: its operation
// is the form's Action, named once. A request that also names one in an
// X-Amz-Target header (which kumo would obey), twice in the form, or
// differently in the query string and the body is refused; parameters of
// the query string and the body are merged into the one form forwarded.
func queryProtocolForm(h http.Header, rawQuery string, body []byte) (url.Values, *apiError) {
	if t := h.Get("X-Amz-Target"); t != "" || len(h.Values("X-Amz-Target")) > 0 {
		return nil, &apiError{http.StatusBadRequest, "InvalidAction",
			"This service speaks the query protocol: the operation is the form's Action; an X-Amz-Target header (" + strconvQuote(t) + ") is not accepted."}
	}
	bodyForm, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, &apiError{http.StatusBadRequest, "MalformedQueryString", "The request body is not a form: " + err.Error()}
	}
	queryForm, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, &apiError{http.StatusBadRequest, "MalformedQueryString", "The query string does not parse: " + err.Error()}
	}
	if len(bodyForm["Action"]) > 1 || len(queryForm["Action"]) > 1 {
		return nil, &apiError{http.StatusBadRequest, "InvalidAction", "The request names its Action more than once."}
	}
	for k, vs := range queryForm {
		if bv, ok := bodyForm[k]; ok {
			if len(bv) != len(vs) || strings.Join(bv, "\x00") != strings.Join(vs, "\x00") {
				if k == "Action" {
					return nil, &apiError{http.StatusBadRequest, "InvalidAction", "The query string's Action " + strconvQuote(vs[0]) + " and the body's " + strconvQuote(bv[0]) + " disagree."}
				}
				return nil, &apiError{http.StatusBadRequest, "MalformedQueryString", "Parameter " + strconvQuote(k) + " is given in both the query string and the body, with different values."}
			}
			continue
		}
		bodyForm[k] = vs
	}
	return bodyForm, nil
}
