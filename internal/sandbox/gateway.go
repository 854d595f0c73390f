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
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/xacct/xacct/internal/iampolicy"
)

// The account IDs kumo writes into ARNs, whatever the account.
const (
	kumoIAMAccount   = "123456789012"
	kumoOtherAccount = "000000000000"
)

// maxBody bounds what the gateway buffers of one request.
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
	runtimes *runtimes
}

func newGateway(sb *Sandbox) *gateway {
	g := &gateway{sb: sb, st: sb.st, cache: newPolicyCache()}
	g.runtimes = newRuntimes(g)
	return g
}

func (g *gateway) close() { g.runtimes.close() }

// call is one request as the gateway sees it.
type call struct {
	w        http.ResponseWriter
	r        *http.Request
	body     []byte
	secure   bool
	sourceIP string
	service  string
	region   string
	cred     *credential // nil: anonymous
	reqID    string
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

func (g *gateway) serve(w http.ResponseWriter, r *http.Request, secure bool) {
	if !secure && strings.HasPrefix(r.URL.Path, "/_runtime/") {
		g.runtimes.proxy(w, r)
		return
	}
	c := &call{w: w, r: r, secure: secure, reqID: newRequestID()}
	c.sourceIP, _, _ = net.SplitHostPort(r.RemoteAddr)
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		http.Error(w, "read request body", http.StatusBadRequest)
		return
	}
	if len(body) > maxBody {
		http.Error(w, "request body too large for the sandbox", http.StatusRequestEntityTooLarge)
		return
	}
	c.body = body

	if presigned(r) {
		g.servePresigned(c)
		return
	}
	si, err := parseAuthorization(r.Header.Get("Authorization"))
	switch {
	case errors.Is(err, errNoAuth):
		// Only S3 serves anonymous callers.
		c.service = "s3"
		g.serveS3(c)
		return
	case err != nil:
		c.service = guessService(r)
		g.fail(c, http.StatusBadRequest, "IncompleteSignature", err.Error())
		return
	}
	c.service, c.region = si.Service, si.Region
	cred := g.st.credential(si.AccessKey)
	if cred == nil {
		code := "InvalidClientTokenId"
		msg := "The security token included in the request is invalid."
		if c.service == "s3" {
			code, msg = "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."
		} else if c.service == "lambda" || c.service == "logs" {
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
	if err := verifySignature(r, body, si, cred.Secret, cred.Token); err != nil {
		msg := "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method."
		if !errors.Is(err, errSignatureMismatch) {
			msg = "Signature verification failed: " + err.Error()
		}
		g.fail(c, http.StatusForbidden, "SignatureDoesNotMatch", msg)
		return
	}
	c.cred = cred
	switch c.service {
	case "sts":
		g.serveSTS(c)
	case "iam":
		g.serveIAM(c)
	case "s3":
		g.serveS3(c)
	case "lambda":
		g.serveLambda(c)
	case "logs":
		g.serveLogs(c)
	default:
		g.fail(c, http.StatusBadRequest, "UnsupportedService", fmt.Sprintf("the xacct sandbox does not serve %q", c.service))
	}
}

func guessService(r *http.Request) string {
	if t := r.Header.Get("X-Amz-Target"); strings.HasPrefix(t, "Logs_") {
		return "logs"
	}
	if strings.HasPrefix(r.URL.Path, "/20") {
		return "lambda"
	}
	return "s3"
}

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
	case "logs":
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
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

func xmlEscape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// deny writes AccessDenied with AWS's message shape.
func (g *gateway) deny(c *call, action, resource string, res iampolicy.Result) {
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
	if c.service == "lambda" || c.service == "logs" {
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
}

// authorize decides a request by the caller's identity policies (plus the
// session policy) and the given resource policy.
func (g *gateway) authorize(ctx context.Context, c *call, ar authzRequest) (iampolicy.Result, error) {
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
	if p == nil {
		req.Principal = "*"
		return iampolicy.Evaluate(req)
	}
	req.Principal = p.ARN
	ids, err := g.identityPolicies(ctx, p)
	if err != nil {
		return iampolicy.Result{}, err
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
	if p.SessionPolicy != "" {
		sp, err := iampolicy.Parse([]byte(p.SessionPolicy), iampolicy.Session)
		if err == nil {
			req.SessionPolicy = &iampolicy.NamedPolicy{Name: "session policy", Policy: sp}
		}
	}
	return iampolicy.Evaluate(req)
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
	if p := c.principal(); p != nil {
		ctx["aws:PrincipalAccount"] = []string{p.Account}
		switch p.Kind {
		case "user":
			ctx["aws:PrincipalArn"] = []string{p.ARN}
			ctx["aws:PrincipalType"] = []string{"User"}
			ctx["aws:username"] = []string{p.UserName}
			ctx["aws:userid"] = []string{p.UserID}
		case "session":
			ctx["aws:PrincipalArn"] = []string{p.RoleARN}
			ctx["aws:PrincipalType"] = []string{"AssumedRole"}
			ctx["aws:userid"] = []string{p.RoleID + ":" + p.SessionName}
			ctx["aws:MultiFactorAuthPresent"] = []string{strconv.FormatBool(p.MFA)}
			if p.SourceIdentity != "" {
				ctx["aws:SourceIdentity"] = []string{p.SourceIdentity}
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
	u := b.url.String() + rw.path(b.id, c.r.URL.EscapedPath())
	if c.r.URL.RawQuery != "" {
		u += "?" + c.r.URL.RawQuery
	}
	req, err := http.NewRequestWithContext(c.r.Context(), c.r.Method, u, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	for k, vs := range c.r.Header {
		switch k {
		case "Content-Length", "Host", "Connection":
			continue
		}
		req.Header[k] = vs
	}
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
type policyCache struct {
	mu      sync.Mutex
	gen     map[string]int64 // account -> IAM generation
	ident   map[string]cachedIdentity
	buckets map[string]*iampolicy.NamedPolicy
	hasBP   map[string]bool
}

type cachedIdentity struct {
	gen      int64
	policies []iampolicy.NamedPolicy
}

func newPolicyCache() *policyCache {
	return &policyCache{gen: map[string]int64{}, ident: map[string]cachedIdentity{}, buckets: map[string]*iampolicy.NamedPolicy{}, hasBP: map[string]bool{}}
}

func (pc *policyCache) bumpIAM(account string) {
	pc.mu.Lock()
	pc.gen[account]++
	pc.mu.Unlock()
}

func (pc *policyCache) forgetBucket(bucket string) {
	pc.mu.Lock()
	delete(pc.buckets, bucket)
	delete(pc.hasBP, bucket)
	pc.mu.Unlock()
}

// servePresigned authenticates an S3 request signed in its query string.
func (g *gateway) servePresigned(c *call) {
	c.service = "s3"
	si, err := parsePresigned(c.r)
	if err != nil {
		g.fail(c, http.StatusBadRequest, "AuthorizationQueryParametersError", err.Error())
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
