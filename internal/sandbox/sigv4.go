package sandbox

import (
	"context"
	"crypto/hmac"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// sigInfo is what a SigV4 Authorization header says.
type sigInfo struct {
	AccessKey     string
	Date          string // yyyymmdd of the credential scope
	Region        string
	Service       string
	SignedHeaders []string
	Signature     string
}

var errNoAuth = errors.New("no Authorization header")

// parseAuthorization parses "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request,
// SignedHeaders=host;x-amz-date, Signature=…".
func parseAuthorization(h string) (sigInfo, error) {
	var si sigInfo
	if h == "" {
		return si, errNoAuth
	}
	alg, rest, ok := strings.Cut(h, " ")
	if !ok || alg != "AWS4-HMAC-SHA256" {
		return si, fmt.Errorf("unsupported authorization scheme %q", alg)
	}
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return si, fmt.Errorf("malformed Authorization header")
		}
		switch k {
		case "Credential":
			scope := strings.Split(v, "/")
			if len(scope) != 5 || scope[4] != "aws4_request" {
				return si, fmt.Errorf("malformed credential scope %q", v)
			}
			si.AccessKey, si.Date, si.Region, si.Service = scope[0], scope[1], scope[2], scope[3]
		case "SignedHeaders":
			si.SignedHeaders = strings.Split(v, ";")
		case "Signature":
			si.Signature = v
		}
	}
	if si.AccessKey == "" || len(si.SignedHeaders) == 0 || si.Signature == "" {
		return si, fmt.Errorf("malformed Authorization header")
	}
	return si, nil
}

// errSkewed is a request whose X-Amz-Date is more than 15 minutes from the
// sandbox's clock.
var errSkewed = errors.New("request time too skewed")

// requestTime reads a header-signed request's X-Amz-Date and checks it
// against now and against the credential scope's date.
func requestTime(r *http.Request, si sigInfo, now time.Time) (time.Time, error) {
	amzDate := r.Header.Get("X-Amz-Date")
	t, err := time.Parse("20060102T150405Z", amzDate)
	if err != nil {
		return t, fmt.Errorf("missing or malformed X-Amz-Date")
	}
	if d := now.Sub(t); d > maxSkew || d < -maxSkew {
		return t, errSkewed
	}
	if !strings.HasPrefix(amzDate, si.Date) {
		return t, fmt.Errorf("credential scope date %s does not match X-Amz-Date %s", si.Date, amzDate)
	}
	return t, nil
}

// verifySignature recomputes the request's signature with the secret the
// sandbox holds for its access key and compares it with the one sent. The
// canonical request is built as AWS builds it, from exactly the headers the
// client signed (user-agent and transfer-encoding included, which the SDK's
// own signer would leave out), over payloadHash: the hash of the body for
// services that sign it, the declared x-amz-content-sha256 for S3 (which the
// gateway then holds the body to). The body itself is not read here.
func verifySignature(r *http.Request, payloadHash string, si sigInfo, secret, _ string, t time.Time) error {
	want, err := computeSignature(r, payloadHash, si, secret, t)
	if err != nil {
		return err
	}
	if !hmac.Equal([]byte(want), []byte(si.Signature)) {
		return errSignatureMismatch
	}
	return nil
}

// computeSignature is SigV4's signature of r as its Authorization header
// describes it.
func computeSignature(r *http.Request, payloadHash string, si sigInfo, secret string, t time.Time) (string, error) {
	u, err := url.ParseRequestURI(r.RequestURI)
	if err != nil {
		return "", fmt.Errorf("request URI: %w", err)
	}
	path := u.EscapedPath()
	if u.Opaque != "" {
		return "", fmt.Errorf("request URI %q has no path", r.RequestURI)
	}
	if path == "" {
		path = "/"
	}
	if si.Service != "s3" {
		path = sigV4Escape(path, true) // the other services encode the path twice
	}
	var hasHost bool
	var canonHeaders strings.Builder
	for i, h := range si.SignedHeaders {
		if h != strings.ToLower(h) || h == "" || (i > 0 && si.SignedHeaders[i-1] >= h) {
			return "", fmt.Errorf("SignedHeaders must be lower-case, sorted and distinct")
		}
		var v string
		switch h {
		case "host":
			hasHost, v = true, r.Host
		case "content-length":
			if r.ContentLength < 0 {
				return "", fmt.Errorf("signed header content-length is missing")
			}
			v = strconv.FormatInt(r.ContentLength, 10)
		case "transfer-encoding":
			if len(r.TransferEncoding) == 0 {
				return "", fmt.Errorf("signed header transfer-encoding is missing")
			}
			v = strings.Join(r.TransferEncoding, ",")
		default:
			vs, ok := r.Header[http.CanonicalHeaderKey(h)]
			if !ok {
				return "", fmt.Errorf("signed header %q is missing", h)
			}
			clean := make([]string, len(vs))
			for j, x := range vs {
				clean[j] = collapseSpaces(x)
			}
			v = strings.Join(clean, ",")
		}
		canonHeaders.WriteString(h + ":" + collapseSpaces(v) + "\n")
	}
	if !hasHost {
		return "", fmt.Errorf("the host header must be signed")
	}
	canonical := r.Method + "\n" + path + "\n" + canonicalQuery(u.Query()) + "\n" + canonHeaders.String() + "\n" +
		strings.Join(si.SignedHeaders, ";") + "\n" + payloadHash
	scope := si.Date + "/" + si.Region + "/" + si.Service + "/aws4_request"
	toSign := "AWS4-HMAC-SHA256\n" + t.UTC().Format("20060102T150405Z") + "\n" + scope + "\n" + sha256Hex([]byte(canonical))
	return hex.EncodeToString(hmacSHA256(signingKey(secret, si.Date, si.Region, si.Service), toSign)), nil
}

// collapseSpaces trims a header value's spaces and collapses runs of them,
// as SigV4 canonicalizes header values.
func collapseSpaces(v string) string {
	v = strings.Trim(v, " ")
	if !strings.Contains(v, "  ") {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == ' ' && i > 0 && v[i-1] == ' ' {
			continue
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// canonicalQuery is SigV4's canonical query string: every key and value
// encoded, sorted by key and then value.
func canonicalQuery(q url.Values) string {
	params := make([]string, 0, len(q))
	for k, vs := range q {
		for _, v := range vs {
			params = append(params, sigV4Escape(k, false)+"="+sigV4Escape(v, false))
		}
	}
	sort.Strings(params)
	return strings.Join(params, "&")
}

// sigV4Escape percent-encodes every byte but the unreserved characters
// (and '/' when keepSlash).
func sigV4Escape(s string, keepSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && keepSlash) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

var errSignatureMismatch = errors.New("signature mismatch")

// presigned reports whether a request carries its signature in the query.
func presigned(r *http.Request) bool {
	return r.URL.Query().Get("X-Amz-Algorithm") == "AWS4-HMAC-SHA256" && r.URL.Query().Get("X-Amz-Credential") != ""
}

// parsePresigned reads the credential scope of a presigned URL.
func parsePresigned(r *http.Request) (sigInfo, error) {
	q := r.URL.Query()
	scope := strings.Split(q.Get("X-Amz-Credential"), "/")
	if len(scope) != 5 || scope[4] != "aws4_request" {
		return sigInfo{}, fmt.Errorf("malformed X-Amz-Credential")
	}
	return sigInfo{AccessKey: scope[0], Date: scope[1], Region: scope[2], Service: scope[3],
		SignedHeaders: strings.Split(q.Get("X-Amz-SignedHeaders"), ";"), Signature: q.Get("X-Amz-Signature")}, nil
}

// errExpired is a presigned URL used after its expiry; errNotYetValid one
// dated more than AWS's 15 minutes of clock skew ahead of now (which would
// otherwise stretch its life past X-Amz-Expires' seven days).
var (
	errExpired     = errors.New("request has expired")
	errNotYetValid = errors.New("request is not yet valid")
)

// maxSkew is how far a request's date may be from AWS's clock.
const maxSkew = 15 * time.Minute

// oneAuthMechanism reports whether a request carries at most one of the
// ways of authenticating: an Authorization header, or a signature in the
// query string (SigV4's X-Amz-Algorithm/X-Amz-Credential/X-Amz-Signature,
// SigV2's Signature). AWS refuses a request with both rather than pick one.
func oneAuthMechanism(r *http.Request) bool {
	if r.Header.Get("Authorization") == "" {
		return true
	}
	q := r.URL.Query()
	for _, k := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "Signature"} {
		if _, ok := q[k]; ok {
			return false
		}
	}
	return true
}

// scopeRegions are the credential-scope regions an endpoint of the
// sandbox's region accepts for a service. S3, Lambda and Logs are regional:
// their scope must name the endpoint's region. IAM's one endpoint signs
// with us-east-1, and so does STS's global endpoint; the sandbox's single
// endpoint also stands in for their regional forms (an SDK given a custom
// endpoint signs IAM with its configured region), so those two take either.
func scopeRegions(service, region string) []string {
	switch service {
	case "iam", "sts":
		if region != "us-east-1" {
			return []string{"us-east-1", region}
		}
	}
	return []string{region}
}

// verifyPresigned checks a presigned URL's signature and expiry by presigning
// the same request again with the SDK's signer.
func verifyPresigned(r *http.Request, si sigInfo, secret, token string, now time.Time) error {
	q := r.URL.Query()
	t, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date"))
	if err != nil {
		return fmt.Errorf("missing or malformed X-Amz-Date")
	}
	expires, err := time.ParseDuration(q.Get("X-Amz-Expires") + "s")
	if err != nil || expires <= 0 || expires > 7*24*time.Hour {
		return fmt.Errorf("X-Amz-Expires must be between 1 and 604800 seconds")
	}
	if now.After(t.Add(expires)) {
		return errExpired
	}
	if t.Sub(now) > maxSkew {
		return errNotYetValid
	}
	u, err := url.ParseRequestURI(r.RequestURI)
	if err != nil {
		return err
	}
	rest := u.Query()
	for _, k := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token"} {
		rest.Del(k)
	}
	u.RawQuery = rest.Encode()
	u.Scheme, u.Host = "https", r.Host
	clone, err := http.NewRequestWithContext(context.Background(), r.Method, u.String(), nil)
	if err != nil {
		return err
	}
	clone.Host = r.Host
	for _, h := range si.SignedHeaders {
		if h == "host" || h == "" {
			continue
		}
		if vs, ok := r.Header[http.CanonicalHeaderKey(h)]; ok {
			clone.Header[http.CanonicalHeaderKey(h)] = vs
		}
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = si.Service == "s3" })
	signed, _, err := signer.PresignHTTP(context.Background(), aws.Credentials{AccessKeyID: si.AccessKey, SecretAccessKey: secret, SessionToken: token},
		clone, "UNSIGNED-PAYLOAD", si.Service, si.Region, t)
	if err != nil {
		return err
	}
	su, err := url.Parse(signed)
	if err != nil {
		return err
	}
	if !hmac.Equal([]byte(su.Query().Get("X-Amz-Signature")), []byte(si.Signature)) {
		return errSignatureMismatch
	}
	return nil
}

// sigV2 reports whether a request is signed with Signature Version 2: an
// "AWS AKID:signature" Authorization header, or a query string with
// AWSAccessKeyId, Signature and Expires (what boto3 presigns by default).
func sigV2(r *http.Request) bool {
	if strings.HasPrefix(r.Header.Get("Authorization"), "AWS ") {
		return true
	}
	q := r.URL.Query()
	return q.Get("AWSAccessKeyId") != "" && q.Get("Signature") != ""
}
