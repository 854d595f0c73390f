package sandbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log"
	"maps"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xacct/xacct/internal/iampolicy"
)

// The account IDs kumo writes into ARNs, whatever the account.
const (
	kumoIAMAccount   = "123456789012"
	kumoOtherAccount = "000000000000"
)

// maxBody bounds what the gateway buffers of one S3 request.
const maxBody = 256 << 20

// Each backend has its own HTTP client (backend.client), which dials the
// account's kumo over its Unix socket.

func discardLog() *log.Logger { return log.New(io.Discard, "", 0) }

// gateway is the sandbox's front door.
type gateway struct {
	sb       *Sandbox
	st       *state
	httpURL  string
	cache    *policyCache
	lists    *listCache
	runtimes *runtimes
	slots    chan struct{} // one per request in flight
	prop     *propagation
	batch    *batchOps
	trail    *cloudTrail // cloudtrail*.go
	// sequencer orders the S3 events of every bucket. It starts at the
	// time the gateway started, so that it still increases across a
	// restart on the same data dir.
	sequencer atomic.Uint64
}

func newGateway(sb *Sandbox) *gateway {
	g := &gateway{sb: sb, st: sb.st, cache: newPolicyCache(), lists: newListCache(), slots: make(chan struct{}, maxInFlight), prop: newPropagation()}
	g.runtimes = newRuntimes(g)
	g.sequencer.Store(uint64(time.Now().UnixNano()))
	g.batch = newBatchOps(g)
	return g
}

func (g *gateway) close() {
	if g.trail != nil {
		g.trail.close() // delivers what is buffered, through the gateway
	}
	g.runtimes.close()
}

// call is one request as the gateway sees it.
type call struct {
	w        http.ResponseWriter
	r        *http.Request
	body     []byte // read only once the request is authenticated (S3: authorized)
	secure   bool
	sourceIP string
	service  string
	region   string
	cred     *credential // nil: anonymous
	reqID    string
	// payload is the S3 request's declared x-amz-content-sha256 ("" when
	// anonymous); sig verifies its chunk signatures when it streams.
	payload  string
	sig      *sigContext
	bodyRead bool
	// out is the request forwarded to kumo, rebuilt from what was parsed.
	out outbound
	// refusal, set by authorize with a decision other than Allowed, is
	// how deny answers it (authzextra.go).
	refusal *refusal
	// fields caches the JSON body for jsonField.
	fields *jsonBody
}

// jsonBody is a JSON request body's top-level members in the order they
// come, decoded once.
type jsonBody struct {
	of   []byte // the body they were decoded from
	keys []string
	vals []json.RawMessage
	err  error
}

// jsonField is the member name of the JSON request body, as kumo's
// decoder into a struct reads it: the last member whose name equals name
// in any case (encoding/json), so that no spelling or repetition lets a
// request mean one thing to the gateway and another to kumo. The body is
// decoded once for every reader of the request (the authorization's keys,
// its additional authorizations): a CreateFunction body holds megabytes of
// code, and each decoding scans all of it.
func (c *call) jsonField(name string) (json.RawMessage, bool, error) {
	if c.fields == nil || len(c.fields.of) != len(c.body) || len(c.body) > 0 && &c.fields.of[0] != &c.body[0] {
		c.fields = decodeJSONBody(c.body)
	}
	f := c.fields
	if f.err != nil {
		return nil, false, f.err
	}
	for i := len(f.keys) - 1; i >= 0; i-- {
		if strings.EqualFold(f.keys[i], name) {
			return f.vals[i], true, nil
		}
	}
	return nil, false, nil
}

func decodeJSONBody(body []byte) *jsonBody {
	f := &jsonBody{of: body}
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		f.err = err
		return f
	}
	if tok == nil { // null: no members
		f.err = trailingJSON(dec)
		return f
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		f.err = fmt.Errorf("the body is not a JSON object")
		return f
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			f.err = err
			return f
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			f.err = err
			return f
		}
		f.keys, f.vals = append(f.keys, key), append(f.vals, raw)
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		f.err = err
		return f
	}
	f.err = trailingJSON(dec)
	return f
}

// trailingJSON refuses anything after the body's one value, as
// json.Unmarshal does.
func trailingJSON(dec *json.Decoder) error {
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("invalid character after the top-level value")
	}
	return nil
}

func (c *call) principal() *principal {
	if c.cred == nil {
		return nil
	}
	return &c.cred.Principal
}

func newRequestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return strings.ToUpper(hex.EncodeToString(b))
}

// maxInFlight bounds the requests the gateway serves at once; a request
// that finds no slot within admitWait is answered SlowDown (503).
const (
	maxInFlight = 128
	admitWait   = 5 * time.Second
	// bodyTimeout bounds the time a request's body may take to arrive.
	bodyTimeout = 2 * time.Minute
)

// Body caps of the other services: Lambda takes a zip inline (50 MB,
// base64 in JSON) and invocation payloads of up to 6 MB; IAM, STS, Logs
// and the rest of Lambda take small documents. These bodies are read
// before the signature over them is checked, so the caps are as tight as
// the operations allow.
const (
	maxLambdaCode   = 70 << 20
	maxLambdaInvoke = 7 << 20
	maxSmallBody    = 2 << 20
)

// lambdaBodyLimit is the body cap of a Lambda request: the code uploads
// (CreateFunction, UpdateFunctionCode) and Invoke take large bodies.
func lambdaBodyLimit(method, path string) int64 {
	switch {
	case method == http.MethodPost && strings.TrimSuffix(path, "/") == "/2015-03-31/functions",
		method == http.MethodPut && strings.HasSuffix(path, "/code"):
		return maxLambdaCode
	case method == http.MethodPost && strings.HasSuffix(path, "/invocations"):
		return maxLambdaInvoke
	}
	return maxSmallBody
}

func (g *gateway) serve(w http.ResponseWriter, r *http.Request, secure bool) {
	if !secure && strings.HasPrefix(r.URL.Path, "/_runtime/") {
		g.runtimes.proxy(w, r)
		return
	}
	c := &call{w: w, r: r, secure: secure, reqID: newRequestID()}
	c.sourceIP, _, _ = net.SplitHostPort(r.RemoteAddr)
	c.service = guessService(r)
	// CloudTrail records every request once it is answered.
	defer g.trail.track(c)()
	select {
	case g.slots <- struct{}{}:
	default:
		t := time.NewTimer(admitWait)
		select {
		case g.slots <- struct{}{}:
			t.Stop()
		case <-t.C:
			g.fail(c, http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.")
			return
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	defer func() { <-g.slots }()
	if r.ContentLength != 0 {
		// The body must arrive in time; readBody lifts the deadline once it
		// has, so that a long call (a synchronous Invoke) keeps its context.
		_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(bodyTimeout))
	}
	g.serveCall(c)
}

// serveCall authenticates a request from its headers alone, then reads its
// body (S3: once authorized) and dispatches it.
func (g *gateway) serveCall(c *call) {
	r := c.r
	if !oneAuthMechanism(r) {
		g.fail(c, http.StatusBadRequest, "InvalidArgument", "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified")
		return
	}
	if sigV2(r) {
		g.fail(c, http.StatusBadRequest, "InvalidRequest", "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.")
		return
	}
	if presigned(r) {
		g.servePresigned(c)
		return
	}
	si, err := parseAuthorization(r.Header.Get("Authorization"))
	switch {
	case errors.Is(err, errNoAuth):
		switch c.service {
		case "s3": // only S3 serves anonymous callers, once a policy allows them
			if s3Control(r) {
				g.serveS3Control(c) // refuses them
				return
			}
			g.serveS3(c)
		case "lambda", "logs", "cloudtrail":
			g.fail(c, http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token")
		default:
			g.fail(c, http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token")
		}
		return
	case err != nil:
		g.fail(c, http.StatusBadRequest, "IncompleteSignature", err.Error())
		return
	}
	c.service, c.region = si.Service, si.Region
	if !slices.Contains(scopeRegions(si.Service, g.sb.Region), si.Region) {
		g.wrongRegion(c, "AuthorizationHeaderMalformed", "The authorization header is malformed; ", si.Region)
		return
	}
	cred := g.st.credential(si.AccessKey)
	if cred == nil {
		code := "InvalidClientTokenId"
		msg := "The security token included in the request is invalid."
		if c.service == "s3" {
			code, msg = "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."
		} else if jsonService(c.service) {
			code = "UnrecognizedClientException"
		}
		g.fail(c, http.StatusForbidden, code, msg)
		return
	}
	if cred.Token != r.Header.Get("X-Amz-Security-Token") {
		g.fail(c, http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid.")
		return
	}
	if !cred.Expires.IsZero() && time.Now().After(cred.Expires) {
		g.fail(c, http.StatusForbidden, "ExpiredToken", "The security token included in the request is expired")
		return
	}
	sigCode := "SignatureDoesNotMatch"
	if jsonService(c.service) {
		sigCode = "InvalidSignatureException"
	}
	now := time.Now().UTC()
	t, err := requestTime(r, si, now)
	const amz = "20060102T150405Z"
	switch {
	case errors.Is(err, errSkewed) && c.service == "s3":
		g.fail(c, http.StatusForbidden, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.")
		return
	case errors.Is(err, errSkewed) && t.Before(now):
		g.fail(c, http.StatusForbidden, sigCode, fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - 15 min.)",
			t.Format(amz), now.Add(-15*time.Minute).Format(amz), now.Format(amz)))
		return
	case errors.Is(err, errSkewed):
		g.fail(c, http.StatusForbidden, sigCode, fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + 15 min.)",
			t.Format(amz), now.Add(15*time.Minute).Format(amz), now.Format(amz)))
		return
	case err != nil:
		g.fail(c, http.StatusForbidden, sigCode, "Signature verification failed: "+err.Error())
		return
	}
	var payloadHash string
	if c.service == "s3" {
		// S3 signs the declared payload hash; the body is held to it once read.
		payloadHash = r.Header.Get("X-Amz-Content-Sha256")
		if payloadHash == "" {
			g.fail(c, http.StatusBadRequest, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256")
			return
		}
		if !validPayloadMode(payloadHash) {
			g.fail(c, http.StatusBadRequest, "InvalidArgument", "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.")
			return
		}
		c.payload = payloadHash
		if payloadHash == streamingSigned || payloadHash == streamingSignedTrailer {
			c.sig = &sigContext{key: signingKey(cred.Secret, si.Date, si.Region, si.Service), amzDate: r.Header.Get("X-Amz-Date"),
				scope: si.Date + "/" + si.Region + "/" + si.Service + "/aws4_request", seed: si.Signature}
		}
	} else {
		// The other services sign the body itself: an x-amz-content-sha256
		// header does not stand in for it. The key is known, the signature
		// not yet checked, so the body is read under a small cap.
		limit := int64(maxSmallBody)
		if c.service == "lambda" {
			limit = lambdaBodyLimit(r.Method, r.URL.Path)
		}
		if e := g.readBody(c, limit); e != nil {
			g.failWith(c, e)
			return
		}
		payloadHash = sha256Hex(c.body)
	}
	if err := verifySignature(r, payloadHash, si, cred.Secret, cred.Token, t); err != nil {
		msg := "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method."
		if !errors.Is(err, errSignatureMismatch) {
			msg = "Signature verification failed: " + err.Error()
		}
		g.fail(c, http.StatusForbidden, sigCode, msg)
		return
	}
	c.cred = cred
	// AWS's own weather (xacct sandbox --faults): throttling and 5xx, before
	// anything is done.
	if ft, ok := g.sb.faults.Load().draw(c.service); ok {
		g.fail(c, ft.status, ft.code, ft.msg)
		return
	}
	switch c.service {
	case "sts", "iam":
		form, e := queryProtocolForm(r.Header, r.URL.RawQuery, c.body)
		if e != nil {
			g.failWith(c, e)
			return
		}
		c.body = []byte(form.Encode())
		h := forwardHeaders(c.service, c.region, nil)
		h.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		c.out = outbound{method: http.MethodPost, path: "/", header: h}
		if c.service == "sts" {
			g.serveSTS(c)
		} else {
			g.serveIAM(c)
		}
	case "s3":
		if s3Control(r) {
			g.serveS3Control(c)
			return
		}
		g.serveS3(c)
	case "lambda":
		path, e := checkServicePath(r.URL.Path)
		if e != nil {
			g.failWith(c, e)
			return
		}
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			g.fail(c, http.StatusBadRequest, "ValidationException", "The query string does not parse: "+err.Error())
			return
		}
		c.out = outbound{method: r.Method, path: path, query: encodeQuery(q), header: forwardHeaders("lambda", c.region, r.Header)}
		g.serveLambda(c)
	case "logs":
		if r.URL.Path != "/" || r.URL.RawQuery != "" {
			g.fail(c, http.StatusBadRequest, "UnknownOperationException", "CloudWatch Logs takes POST / with an X-Amz-Target header")
			return
		}
		c.out = outbound{method: r.Method, path: "/", header: forwardHeaders("logs", c.region, r.Header)}
		// kumo dispatches a form-encoded POST / by its Action, to any
		// service: the operation authorized is the X-Amz-Target, so the body
		// goes as the JSON it must be.
		c.out.header.Set("Content-Type", "application/x-amz-json-1.1")
		g.serveLogs(c)
	case "cloudtrail":
		g.serveCloudTrail(c)
	default:
		g.fail(c, http.StatusBadRequest, "UnsupportedService", fmt.Sprintf("the xacct sandbox does not serve %q", c.service))
	}
}

// jsonService tells the services that answer in JSON (and name their
// errors with an Exception suffix) from the XML ones.
func jsonService(s string) bool { return s == "lambda" || s == "logs" || s == "cloudtrail" }

// readBody reads the request's body, at most limit bytes, once.
func (g *gateway) readBody(c *call, limit int64) *apiError {
	if c.bodyRead {
		return nil
	}
	c.bodyRead = true
	tooLarge := &apiError{http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", fmt.Sprintf("The request body exceeds the sandbox's limit of %d bytes.", limit)}
	if c.service == "lambda" {
		tooLarge.code = "RequestEntityTooLargeException"
	}
	if c.service == "s3" {
		tooLarge = &apiError{http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"}
	}
	if c.r.ContentLength > limit {
		return tooLarge
	}
	if c.r.ContentLength == 0 || c.r.Body == nil || c.r.Body == http.NoBody {
		return nil
	}
	var buf bytes.Buffer
	if c.r.ContentLength > 0 {
		buf.Grow(int(c.r.ContentLength) + 1)
	}
	if _, err := buf.ReadFrom(io.LimitReader(c.r.Body, limit+1)); err != nil {
		return &apiError{http.StatusBadRequest, "IncompleteBody", "The request body could not be read: " + err.Error()}
	}
	if int64(buf.Len()) > limit {
		return tooLarge
	}
	_ = http.NewResponseController(c.w).SetReadDeadline(time.Time{})
	c.body = buf.Bytes()
	return nil
}

// failWith writes a refusal.
func (g *gateway) failWith(c *call, e *apiError) {
	g.fail(c, e.status, e.code, e.msg)
}

// guessService names the service of a request that has no credential
// scope to say it, so that a refusal takes that service's shape.
func guessService(r *http.Request) string {
	if si, err := parseAuthorization(r.Header.Get("Authorization")); err == nil && si.Service != "" {
		return si.Service
	}
	if t := r.Header.Get("X-Amz-Target"); strings.HasPrefix(t, "Logs_") {
		return "logs"
	} else if strings.Contains(t, "CloudTrail_20131101.") {
		return "cloudtrail"
	}
	if strings.HasPrefix(r.URL.Path, "/20") {
		return "lambda"
	}
	if r.URL.Path == "/" && (r.Method == http.MethodPost || r.URL.Query().Get("Action") != "") && virtualHostBucket(r.Host) == "" {
		if stsActions[r.URL.Query().Get("Action")] || strings.Contains(r.Header.Get("User-Agent"), "api/sts") {
			return "sts"
		}
		return "iam"
	}
	return "s3"
}

// stsActions are the operations of STS, told apart from IAM's by name.
var stsActions = map[string]bool{"AssumeRole": true, "AssumeRoleWithSAML": true, "AssumeRoleWithWebIdentity": true,
	"DecodeAuthorizationMessage": true, "GetAccessKeyInfo": true, "GetCallerIdentity": true, "GetFederationToken": true,
	"GetSessionToken": true, "AssumeRoot": true}

// fail writes an error in the shape the call's service uses.
func (g *gateway) fail(c *call, status int, code, msg string) {
	w := c.w
	w.Header().Set("X-Amzn-RequestId", c.reqID)
	switch c.service {
	case "iam", "sts":
		ns := "https://iam.amazonaws.com/doc/2010-05-08/"
		if c.service == "sts" {
			ns = "https://sts.amazonaws.com/doc/2011-06-15/"
		}
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		typ := "Sender"
		if status >= 500 {
			typ = "Receiver"
		}
		fmt.Fprintf(w, `<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
			ns, typ, xmlEscape(code), xmlEscape(msg), c.reqID)
	case "lambda":
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-ErrorType", code)
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"Type": "User", "Message": msg})
	case "logs", "cloudtrail":
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
	case "s3control": // batchops.go: S3 Control wraps its errors
		w.Header().Set("Content-Type", "application/xml")
		w.Header().Set("X-Amz-Request-Id", c.reqID)
		w.WriteHeader(status)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><ErrorResponse><Error><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
			xmlEscape(code), xmlEscape(msg), c.reqID)
	default: // s3
		w.Header().Set("Content-Type", "application/xml")
		w.Header().Set("X-Amz-Request-Id", c.reqID)
		w.WriteHeader(status)
		if c.r.Method == http.MethodHead {
			return
		}
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>%s</RequestId></Error>`,
			xmlEscape(code), xmlEscape(msg), c.reqID)
	}
}

// wrongRegion refuses a request whose credential scope names a region the
// endpoint does not serve. S3 says which region it expected, in the message
// and in a Region element (which SDKs read to redirect); the other services
// answer as a signature that does not match.
func (g *gateway) wrongRegion(c *call, s3Code, s3Prefix, region string) {
	want := g.sb.Region
	switch c.service {
	case "s3":
		c.w.Header().Set("Content-Type", "application/xml")
		c.w.Header().Set("X-Amz-Request-Id", c.reqID)
		c.w.Header().Set("X-Amzn-RequestId", c.reqID)
		c.w.WriteHeader(http.StatusBadRequest)
		if c.r.Method == http.MethodHead {
			return
		}
		fmt.Fprintf(c.w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%sthe region '%s' is wrong; expecting '%s'</Message><Region>%s</Region><RequestId>%s</RequestId></Error>`,
			s3Code, s3Prefix, xmlEscape(region), want, want, c.reqID)
	case "lambda", "logs", "cloudtrail":
		g.fail(c, http.StatusForbidden, "InvalidSignatureException", fmt.Sprintf("Credential should be scoped to a valid region, not '%s'. ", region))
	default:
		g.fail(c, http.StatusForbidden, "SignatureDoesNotMatch", fmt.Sprintf("Credential should be scoped to a valid region, not '%s'. ", region))
	}
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// deny writes AccessDenied with AWS's message shape. A refusal authorize
// recorded takes its place: the denial of an additional authorization
// names that action and resource; a request refused before any policy
// decided gets its own error.
func (g *gateway) deny(c *call, action, resource string, res iampolicy.Result) {
	if rf := c.refusal; rf != nil {
		c.refusal = nil
		if rf.err != nil {
			g.failWith(c, rf.err)
			return
		}
		action, resource = rf.action, rf.resource
	}
	who := "anonymous"
	if p := c.principal(); p != nil {
		who = p.ARN
	}
	why := "because no identity-based policy allows the " + action + " action"
	switch {
	case res.Decision == iampolicy.ExplicitDeny:
		kind := "an identity-based policy"
		for _, r := range res.Reasons {
			if r.Policy == "bucket policy" || r.Policy == "function policy" || r.Policy == "trust policy" {
				kind = "a resource-based policy"
			}
		}
		why = "with an explicit deny in " + kind
	case strings.Contains(res.Detail, "resource policy") || strings.Contains(res.Detail, "trust policy"):
		why = "because no resource-based policy allows the " + action + " action"
	}
	code, status := "AccessDenied", http.StatusForbidden
	if jsonService(c.service) {
		code = "AccessDeniedException"
	}
	g.fail(c, status, code, fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s %s", who, action, resource, why))
}

// authzRequest is what the gateway asks the policy engine.
type authzRequest struct {
	action          string
	resource        string
	resourceAccount string
	context         map[string][]string
	resourcePolicy  *iampolicy.NamedPolicy
	// lazy is context read only when a policy of the evaluation asks for it.
	lazy *lazyContext
}

// authorize decides a request by the caller's identity policies (plus the
// session policy) and the given resource policy.
func (g *gateway) authorize(ctx context.Context, c *call, ar authzRequest) (iampolicy.Result, error) {
	c.refusal = nil
	res, requestKeys, err := g.authorizeOwn(ctx, c, ar)
	if rf := refuseContext(c, err); rf != nil {
		c.refusal = rf
		return iampolicy.Result{Decision: iampolicy.ImplicitDeny, Detail: rf.err.msg}, nil
	}
	if err != nil || res.Decision != iampolicy.Allowed {
		return res, err
	}
	// authzextra.go: what AWS authorizes besides, for a parameter the
	// request sets.
	if more, err := g.authorizeAdditional(ctx, c, ar, requestKeys); err != nil || more.Decision != iampolicy.Allowed {
		return more, err
	}
	return res, nil
}

// authorizeOwn decides the request's own action, and returns the
// condition keys it was decided with.
func (g *gateway) authorizeOwn(ctx context.Context, c *call, ar authzRequest) (iampolicy.Result, map[string][]string, error) {
	if err := g.restrictPublicBucket(ctx, c, &ar); err != nil {
		return iampolicy.Result{}, nil, err
	}
	p := c.principal()
	req := &iampolicy.Request{
		Action:          ar.action,
		Resource:        ar.resource,
		ResourceAccount: ar.resourceAccount,
		Context:         g.baseContext(c),
		ResourcePolicy:  ar.resourcePolicy,
	}
	for k, v := range ar.context {
		req.Context[k] = v
	}
	// authztable.go: the action must be served, on a resource of its
	// reference, with the condition keys the request carries.
	if err := checkAuthzContext(c, ar, req.Context); err != nil {
		return iampolicy.Result{}, nil, err
	}
	// The keys an additional authorization shares, before the lazy
	// context adds those of this resource.
	var requestKeys map[string][]string
	if _, ok := additionalAuthz[ar.action]; ok {
		requestKeys = maps.Clone(req.Context)
	}
	// authztags.go: the resource's tags and lambda:FunctionArn, read only
	// when a policy asks.
	lazies := []*lazyContext{ar.lazy, g.resourceTags(ar), g.eventSourceMappingFunction(c, ar)}
	if p == nil || p.Kind == "service" {
		// Anonymous callers and the sandbox's own deliveries as a service
		// principal (cloudtrail_deliver.go) have no identity policies.
		req.Principal = "*"
		if p != nil {
			req.Principal = p.ARN
		}
		if err := loadLazy(ctx, req, lazies); err != nil {
			return iampolicy.Result{}, nil, err
		}
		res, err := iampolicy.Evaluate(req)
		return res, requestKeys, err
	}
	req.Principal = p.ARN
	ids, err := g.identityPolicies(ctx, p)
	if err != nil {
		return iampolicy.Result{}, nil, err
	}
	req.IdentityPolicies = ids
	key := "user/" + p.UserName
	if p.Kind == "session" {
		key = "role/" + p.RoleName
	}
	if arn := g.boundaryOf(p.Account, key); arn != "" {
		var doc string
		var ok bool
		g.st.view(func() { doc, ok = g.st.account(p.Account).managedDoc(arn) })
		if bp, err := iampolicy.ParseEncoded(doc, iampolicy.Boundary); ok && err == nil {
			req.PermissionsBoundary = &iampolicy.NamedPolicy{Name: "permissions boundary " + arn, Policy: bp}
		}
	}
	req.SessionPolicy = g.sessionPolicy(p)
	if err := loadLazy(ctx, req, lazies); err != nil {
		return iampolicy.Result{}, nil, err
	}
	res, err := iampolicy.Evaluate(req)
	if err != nil {
		return res, nil, err
	}
	return g.notYetPropagated(p, ids, res), requestKeys, nil
}

// loadLazy adds a request's lazy context when one of its policies has a
// condition on it: the common request pays no call to kumo.
func loadLazy(ctx context.Context, req *iampolicy.Request, lazies []*lazyContext) error {
	for _, lc := range lazies {
		if lc == nil || !mentionsAny(req, lc.prefixes) {
			continue
		}
		more, err := lc.load(ctx)
		if err != nil {
			return fmt.Errorf("the context of %s: %w", req.Action, err)
		}
		for k, v := range more {
			if _, set := req.Context[k]; !set {
				req.Context[k] = v
			}
		}
	}
	return nil
}

// baseContext is the global condition keys every request carries.
func (g *gateway) baseContext(c *call) map[string][]string {
	now := time.Now().UTC()
	ctx := map[string][]string{
		"aws:SecureTransport": {strconv.FormatBool(c.secure)},
		"aws:SourceIp":        {c.sourceIP},
		"aws:CurrentTime":     {now.Format(time.RFC3339)},
		"aws:EpochTime":       {strconv.FormatInt(now.Unix(), 10)},
		"aws:RequestedRegion": {g.sb.Region},
	}
	if p := c.principal(); p != nil && p.Kind == "service" {
		for k, v := range p.ServiceContext {
			ctx[k] = v
		}
	} else if p != nil {
		ctx["aws:PrincipalAccount"] = []string{p.Account}
		switch p.Kind {
		case "user":
			ctx["aws:PrincipalArn"] = []string{p.ARN}
			ctx["aws:PrincipalType"] = []string{"User"}
			ctx["aws:username"] = []string{p.UserName}
			ctx["aws:userid"] = []string{p.UserID}
			if c.cred != nil && c.cred.Token != "" {
				// GetSessionToken credentials carry whether MFA was given.
				ctx["aws:MultiFactorAuthPresent"] = []string{strconv.FormatBool(p.MFA)}
			}
		case "session":
			ctx["aws:PrincipalArn"] = []string{p.RoleARN}
			ctx["aws:PrincipalType"] = []string{"AssumedRole"}
			ctx["aws:userid"] = []string{p.RoleID + ":" + p.SessionName}
			ctx["aws:MultiFactorAuthPresent"] = []string{strconv.FormatBool(p.MFA)}
			if p.SourceIdentity != "" {
				ctx["aws:SourceIdentity"] = []string{p.SourceIdentity}
			}
			for k, v := range p.Tags {
				ctx["aws:PrincipalTag/"+k] = []string{v}
			}
		}
	} else {
		ctx["aws:PrincipalType"] = []string{"Anonymous"}
	}
	return ctx
}

// rewriter translates between the real account IDs callers see and the
// placeholder IDs kumo writes into ARNs. Only ARNs are touched: policy
// documents and object data pass through as they are.
type rewriter int

const (
	rewriteNone   rewriter = iota // S3: bodies are data
	rewriteIAM                    // arn:aws:iam::123456789012: ARNs; PolicyArn parameters
	rewriteRegion                 // arn:aws:lambda|logs:REGION:000000000000: ARNs
)

var regionalARN = regexp.MustCompile(`arn:aws:(lambda|logs):([a-z0-9-]*):` + kumoOtherAccount + `:`)

func (rw rewriter) request(account string, body []byte) []byte {
	if rw != rewriteIAM || !bytes.Contains(body, []byte("PolicyArn=")) {
		return body
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return body
	}
	form.Set("PolicyArn", strings.Replace(form.Get("PolicyArn"), "arn:aws:iam::"+account+":", "arn:aws:iam::"+kumoIAMAccount+":", 1))
	return []byte(form.Encode())
}

// path rewrites a Lambda ARN in the request path (TagResource, ListTags
// name the function by ARN) to kumo's account.
func (rw rewriter) path(account, p string) string {
	if rw != rewriteRegion {
		return p
	}
	p = strings.ReplaceAll(p, ":"+account+":", ":"+kumoOtherAccount+":")
	return strings.ReplaceAll(p, "%3A"+account+"%3A", "%3A"+kumoOtherAccount+"%3A")
}

func (rw rewriter) response(account, region string, body []byte) []byte {
	switch rw {
	case rewriteIAM:
		return bytes.ReplaceAll(body, []byte("arn:aws:iam::"+kumoIAMAccount+":"), []byte("arn:aws:iam::"+account+":"))
	case rewriteRegion:
		return regionalARN.ReplaceAllFunc(body, func(m []byte) []byte {
			sub := regionalARN.FindSubmatch(m)
			r := string(sub[2])
			if r == "" || r == "local" {
				r = region
			}
			return []byte("arn:aws:" + string(sub[1]) + ":" + r + ":" + account + ":")
		})
	}
	return body
}

// proxy forwards the call to an account's kumo.
func (g *gateway) proxy(c *call, b *backend, rw rewriter) (int, []byte, http.Header, error) {
	body := rw.request(b.id, c.body)
	if c.out.header == nil {
		return 0, nil, nil, errors.New("the gateway built no request to forward")
	}
	u := b.url.String() + rw.path(b.id, c.out.path)
	if c.out.query != "" {
		u += "?" + c.out.query
	}
	method := c.out.method
	if method == "" {
		method = c.r.Method
	}
	req, err := http.NewRequestWithContext(c.r.Context(), method, u, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header = c.out.header
	req.ContentLength = int64(len(body))
	resp, err := b.client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, nil, err
	}
	return resp.StatusCode, rw.response(b.id, g.sb.Region, out), resp.Header, nil
}

// relay writes a proxied response to the caller.
func (g *gateway) relay(c *call, status int, body []byte, h http.Header) {
	for k, vs := range h {
		switch k {
		case "Content-Length", "Connection", "Transfer-Encoding":
			continue
		}
		c.w.Header()[k] = vs
	}
	if c.r.Method == http.MethodHead {
		// A HEAD response has no body but tells the object's length.
		if cl := h.Get("Content-Length"); cl != "" {
			c.w.Header().Set("Content-Length", cl)
		}
	} else {
		c.w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	}
	c.w.WriteHeader(status)
	if c.r.Method != http.MethodHead {
		_, _ = c.w.Write(body)
	}
}

// forward proxies and relays in one step.
func (g *gateway) forward(c *call, b *backend, rw rewriter) (int, []byte, bool) {
	status, body, h, err := g.proxy(c, b, rw)
	if err != nil {
		g.fail(c, http.StatusInternalServerError, "InternalError", "sandbox: "+b.name+" account: "+err.Error())
		return 0, nil, false
	}
	g.relay(c, status, body, h)
	return status, body, true
}

// policyCache keeps identity policies per principal and bucket policies per
// bucket. Every write goes through the gateway, so it invalidates exactly.
// A read from kumo is stored only if no write began since the read did:
// each account's IAM and each bucket have a generation that a write bumps,
// read before kumo is asked and compared before the answer is stored, so a
// slow read cannot put back what a write replaced.
type policyCache struct {
	mu      sync.Mutex
	gen     map[string]int64                              // account -> IAM generation
	bgen    map[string]int64                              // bucket -> generation of its policy and Block Public Access
	writing map[string]int                                // bucket -> writes of them in flight, while nothing of the bucket is stored
	ident   map[string]genCached[[]iampolicy.NamedPolicy] // account|principal ARN -> its identity policies
	roles   map[string]genCached[[]namedDoc]              // account|role -> the role's policies
	buckets map[string]*iampolicy.NamedPolicy
	hasBP   map[string]bool
	bpa     map[string]publicAccessBlock // bucket-level Block Public Access, as kumo keeps it
}

// genCached is what was read from kumo in an account's IAM generation gen.
type genCached[T any] struct {
	gen int64
	v   T
}

// iamCached returns m's value for key when it was read in the account's
// current IAM generation, else what read answers, stored with the
// generation read before it: a write that bumps the generation while read
// runs keeps the answer from ever being used.
func iamCached[T any](pc *policyCache, m map[string]genCached[T], account, key string, read func() (T, error)) (T, error) {
	pc.mu.Lock()
	gen := pc.gen[account]
	if c, ok := m[key]; ok && c.gen == gen {
		pc.mu.Unlock()
		return c.v, nil
	}
	pc.mu.Unlock()
	v, err := read()
	if err != nil {
		return v, err
	}
	pc.mu.Lock()
	m[key] = genCached[T]{gen: gen, v: v}
	pc.mu.Unlock()
	return v, nil
}

func newPolicyCache() *policyCache {
	return &policyCache{gen: map[string]int64{}, bgen: map[string]int64{}, writing: map[string]int{}, ident: map[string]genCached[[]iampolicy.NamedPolicy]{}, roles: map[string]genCached[[]namedDoc]{}, buckets: map[string]*iampolicy.NamedPolicy{}, hasBP: map[string]bool{}, bpa: map[string]publicAccessBlock{}}
}

func (pc *policyCache) bumpIAM(account string) {
	pc.mu.Lock()
	pc.gen[account]++
	pc.mu.Unlock()
}

func (pc *policyCache) forgetBucket(bucket string) {
	pc.mu.Lock()
	pc.bgen[bucket]++
	delete(pc.buckets, bucket)
	delete(pc.hasBP, bucket)
	delete(pc.bpa, bucket)
	pc.mu.Unlock()
}

// writeBucket marks a write of the bucket's policy or Block Public Access
// as in flight: what the cache holds of them is forgotten, and nothing is
// stored until the returned func says the write ended (however it ended:
// kumo may have applied a write whose client went away). So when the write's
// answer reaches its client, the next request reads the bucket from kumo.
func (pc *policyCache) writeBucket(bucket string) (done func()) {
	pc.forgetBucket(bucket)
	pc.mu.Lock()
	pc.writing[bucket]++
	pc.mu.Unlock()
	return func() {
		pc.mu.Lock()
		if pc.writing[bucket]--; pc.writing[bucket] == 0 {
			delete(pc.writing, bucket)
		}
		pc.mu.Unlock()
		pc.forgetBucket(bucket)
	}
}

// storeBucket runs store under the lock if the bucket's generation is
// still gen (no write began since the read did) and no write is in flight.
func (pc *policyCache) storeBucket(bucket string, gen int64, store func()) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.bgen[bucket] == gen && pc.writing[bucket] == 0 {
		store()
	}
}

// servePresigned authenticates an S3 request signed in its query string.
func (g *gateway) servePresigned(c *call) {
	c.service = "s3"
	si, err := parsePresigned(c.r)
	if err != nil {
		g.fail(c, http.StatusBadRequest, "AuthorizationQueryParametersError", err.Error())
		return
	}
	if si.Service == "s3" && si.Region != g.sb.Region {
		g.wrongRegion(c, "AuthorizationQueryParametersError", "Error parsing the X-Amz-Credential parameter; ", si.Region)
		return
	}
	cred := g.st.credential(si.AccessKey)
	if cred == nil {
		g.fail(c, http.StatusForbidden, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
		return
	}
	if cred.Token != c.r.URL.Query().Get("X-Amz-Security-Token") || (!cred.Expires.IsZero() && time.Now().After(cred.Expires)) {
		g.fail(c, http.StatusForbidden, "InvalidToken", "The provided token is malformed or otherwise invalid.")
		return
	}
	switch err := verifyPresigned(c.r, si, cred.Secret, cred.Token, time.Now()); {
	case errors.Is(err, errExpired):
		g.fail(c, http.StatusForbidden, "AccessDenied", "Request has expired")
		return
	case errors.Is(err, errNotYetValid):
		g.fail(c, http.StatusForbidden, "AccessDenied", "Request is not yet valid")
		return
	case errors.Is(err, errSignatureMismatch):
		g.fail(c, http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
		return
	case err != nil:
		g.fail(c, http.StatusBadRequest, "AuthorizationQueryParametersError", err.Error())
		return
	}
	c.cred, c.region = cred, si.Region
	if si.Service != "s3" {
		g.fail(c, http.StatusBadRequest, "UnsupportedService", "the xacct sandbox serves presigned URLs for S3 only")
		return
	}
	g.serveS3(c)
}
