package sandbox

// Recording: every request the gateway serves becomes a CloudTrail record
// in AWS's shape (AWS CloudTrail User Guide, "CloudTrail record contents"
// and "CloudTrail userIdentity element"). The request path pays only for a
// wrapped ResponseWriter and a hand-off to a bounded queue; one goroutine
// builds the records, matches them to the trails' selectors, and buffers
// them per trail until delivery (cloudtrail_deliver.go).

import (
	"crypto/tls"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ctEventVersion is the record format version the sandbox writes.
const ctEventVersion = "1.10"

// maxPending bounds the requests waiting to become records; past it a
// request is not recorded (and counted), so a burst never grows memory.
const maxPending = 8192

// trailWriter is the ResponseWriter of a request a trail may record: it
// keeps the status, the bytes sent, and the start of an error's body (or
// of an STS answer, whose credentials' IDs the record shows).
type trailWriter struct {
	http.ResponseWriter
	status int
	n      int64
	head   []byte
	keep   bool
}

const maxHead = 4096

func (w *trailWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *trailWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if (w.status >= 300 || w.keep) && len(w.head) < maxHead {
		w.head = append(w.head, b[:min(len(b), maxHead-len(w.head))]...)
	}
	n, err := w.ResponseWriter.Write(b)
	w.n += int64(n)
	return n, err
}

func (w *trailWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// served is what a finished request leaves for its record.
type served struct {
	start    time.Time
	service  string
	region   string
	r        *http.Request
	cred     *credential
	sourceIP string
	reqID    string
	body     []byte // the request's body, but S3's (its length only)
	bodyLen  int
	status   int
	head     []byte
	bytesOut int64
	// the response headers the record shows
	errType, versionID, sse string
}

// track is the gateway's recording seam: serve calls it once per request,
// before serving it, and calls what it returns once the request is
// answered. When no trail is logging it costs one atomic load.
func (ct *cloudTrail) track(c *call) func() {
	if ct == nil || len(*ct.sinks.Load()) == 0 {
		return func() {}
	}
	start := time.Now()
	tw := &trailWriter{ResponseWriter: c.w, keep: c.service == "sts"}
	c.w = tw
	return func() {
		if c.cred == nil && (c.service != "s3" || c.r.Header.Get("Authorization") != "" || presigned(c.r)) {
			return // refused before anyone was authenticated
		}
		s := &served{start: start, service: c.service, region: c.region, r: c.r, cred: c.cred, sourceIP: c.sourceIP, reqID: c.reqID,
			status: tw.status, head: tw.head, bytesOut: tw.n, bodyLen: len(c.body)}
		if s.status == 0 {
			s.status = http.StatusOK
		}
		if c.service != "s3" {
			s.body = c.body
		}
		h := tw.Header()
		s.errType, s.versionID, s.sse = h.Get("X-Amzn-ErrorType"), h.Get("X-Amz-Version-Id"), h.Get("X-Amz-Server-Side-Encryption")
		select {
		case ct.pending <- s:
		default:
			ct.droppedPending.Add(1)
		}
	}
}

// ctRecord is one CloudTrail record, its fields in AWS's order.
type ctRecord struct {
	EventVersion        string          `json:"eventVersion"`
	UserIdentity        *ctUserIdentity `json:"userIdentity"`
	EventTime           string          `json:"eventTime"`
	EventSource         string          `json:"eventSource"`
	EventName           string          `json:"eventName"`
	AWSRegion           string          `json:"awsRegion"`
	SourceIPAddress     string          `json:"sourceIPAddress"`
	UserAgent           string          `json:"userAgent"`
	ErrorCode           string          `json:"errorCode,omitempty"`
	ErrorMessage        string          `json:"errorMessage,omitempty"`
	RequestParameters   map[string]any  `json:"requestParameters"`
	ResponseElements    map[string]any  `json:"responseElements"`
	AdditionalEventData map[string]any  `json:"additionalEventData,omitempty"`
	RequestID           string          `json:"requestID"`
	EventID             string          `json:"eventID"`
	ReadOnly            bool            `json:"readOnly"`
	Resources           []ctResource    `json:"resources,omitempty"`
	EventType           string          `json:"eventType"`
	ManagementEvent     bool            `json:"managementEvent"`
	RecipientAccountID  string          `json:"recipientAccountId"`
	SharedEventID       string          `json:"sharedEventID,omitempty"`
	EventCategory       string          `json:"eventCategory"`
	TLSDetails          *ctTLS          `json:"tlsDetails,omitempty"`
	time                time.Time
}

type ctUserIdentity struct {
	Type           string            `json:"type"`
	PrincipalID    string            `json:"principalId,omitempty"`
	ARN            string            `json:"arn,omitempty"`
	AccountID      string            `json:"accountId,omitempty"`
	AccessKeyID    string            `json:"accessKeyId,omitempty"`
	UserName       string            `json:"userName,omitempty"`
	SessionContext *ctSessionContext `json:"sessionContext,omitempty"`
	InvokedBy      string            `json:"invokedBy,omitempty"`
}

type ctSessionContext struct {
	SessionIssuer  *ctSessionIssuer `json:"sessionIssuer,omitempty"`
	Attributes     ctAttributes     `json:"attributes"`
	SourceIdentity string           `json:"sourceIdentity,omitempty"`
}

type ctSessionIssuer struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	UserName    string `json:"userName"`
}

type ctAttributes struct {
	CreationDate     string `json:"creationDate,omitempty"`
	MFAAuthenticated string `json:"mfaAuthenticated"`
}

type ctResource struct {
	AccountID string `json:"accountId,omitempty"`
	Type      string `json:"type"`
	ARN       string `json:"ARN,omitempty"`
	ARNPrefix string `json:"ARNPrefix,omitempty"`
}

type ctTLS struct {
	TLSVersion               string `json:"tlsVersion"`
	CipherSuite              string `json:"cipherSuite"`
	ClientProvidedHostHeader string `json:"clientProvidedHostHeader"`
}

// ctEvent is a record with what decides where it goes.
type ctEvent struct {
	rec        *ctRecord
	facts      eventFacts
	recipients []string // the accounts whose trails may log it
}

const ctTime = "2006-01-02T15:04:05Z"

// userIdentity is the caller as CloudTrail shows it.
func userIdentity(cred *credential) *ctUserIdentity {
	if cred == nil {
		return &ctUserIdentity{Type: "AWSAccount", AccountID: "ANONYMOUS_PRINCIPAL"}
	}
	p := cred.Principal
	attrs := ctAttributes{MFAAuthenticated: strconv.FormatBool(p.MFA)}
	if !cred.Issued.IsZero() {
		attrs.CreationDate = cred.Issued.UTC().Format(ctTime)
	}
	switch p.Kind {
	case "session":
		return &ctUserIdentity{Type: "AssumedRole", PrincipalID: p.RoleID + ":" + p.SessionName, ARN: p.ARN, AccountID: p.Account,
			AccessKeyID: cred.AccessKey, SessionContext: &ctSessionContext{
				SessionIssuer:  &ctSessionIssuer{Type: "Role", PrincipalID: p.RoleID, ARN: p.RoleARN, AccountID: p.Account, UserName: p.RoleName},
				Attributes:     attrs,
				SourceIdentity: p.SourceIdentity,
			}}
	case "service":
		return &ctUserIdentity{Type: "AWSService", InvokedBy: p.ARN}
	}
	u := &ctUserIdentity{Type: "IAMUser", PrincipalID: p.UserID, ARN: p.ARN, AccountID: p.Account, AccessKeyID: cred.AccessKey, UserName: p.UserName}
	if cred.Token != "" {
		// GetSessionToken credentials: a session with no issuer.
		u.SessionContext = &ctSessionContext{Attributes: attrs}
	}
	return u
}

// readOnlyName is CloudTrail's readOnly for the services whose operations
// say it in their names.
func readOnlyName(name string) bool {
	for _, p := range []string{"Get", "List", "Describe", "Head", "Lookup", "Generate", "Simulate"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// event turns a served request into its record; nil when it is not one
// CloudTrail records (an operation the gateway could not name).
func (ct *cloudTrail) event(s *served) *ctEvent {
	rec := &ctRecord{
		EventVersion: ctEventVersion, UserIdentity: userIdentity(s.cred), EventTime: s.start.UTC().Format(ctTime), time: s.start,
		AWSRegion: s.region, SourceIPAddress: s.sourceIP, UserAgent: s.r.UserAgent(), RequestID: s.reqID, EventID: newUUID(),
		EventType: "AwsApiCall", EventCategory: "Management", ManagementEvent: true,
	}
	if rec.AWSRegion == "" {
		rec.AWSRegion = ct.g.sb.Region
	}
	if s.r.TLS != nil {
		rec.TLSDetails = &ctTLS{TLSVersion: tlsVersionName(s.r.TLS.Version), CipherSuite: tls.CipherSuiteName(s.r.TLS.CipherSuite), ClientProvidedHostHeader: s.r.Host}
	}
	ev := &ctEvent{rec: rec}
	var caller string
	if s.cred != nil {
		caller = s.cred.Principal.Account
		ev.facts.userARN = s.cred.Principal.ARN
	}
	ok := false
	switch s.service {
	case "s3":
		if s3Control(s.r) {
			ok = ct.s3ControlEvent(s, ev, caller)
		} else {
			ok = ct.s3Event(s, ev, caller)
		}
	case "iam", "sts":
		ok = ct.queryEvent(s, ev, caller)
	case "lambda":
		ok = ct.lambdaEvent(s, ev, caller)
	case "logs", "cloudtrail":
		ok = ct.jsonEvent(s, ev, caller)
	}
	if !ok {
		return nil
	}
	if s.status >= 300 && s.status != http.StatusNotModified {
		rec.ErrorCode, rec.ErrorMessage = errorOf(s)
	}
	rec.ManagementEvent = rec.EventCategory == "Management"
	f := &ev.facts
	f.category, f.readOnly, f.name, f.source, f.errorCode = rec.EventCategory, rec.ReadOnly, rec.EventName, rec.EventSource, rec.ErrorCode
	if len(ev.recipients) > 1 {
		rec.SharedEventID = newUUID()
	}
	return ev
}

func tlsVersionName(v uint16) string {
	switch v {
	case tls.VersionTLS13:
		return "TLSv1.3"
	case tls.VersionTLS12:
		return "TLSv1.2"
	}
	return strings.ReplaceAll(tls.VersionName(v), " ", "v")
}

// errorOf is the error code and message of a refused request, read from
// the start of its answer: S3, IAM and STS write XML, the JSON services a
// __type (or Lambda an X-Amzn-ErrorType header). A HEAD has no body: its
// status says it.
func errorOf(s *served) (code, msg string) {
	body := string(s.head)
	if c := between(body, "<Code>", "</Code>"); c != "" {
		return c, xmlUnescape(between(body, "<Message>", "</Message>"))
	}
	var j struct {
		Type     string `json:"__type"`
		Message  string `json:"message"`
		Message2 string `json:"Message"`
	}
	_ = json.Unmarshal(s.head, &j)
	code = s.errType
	if code == "" {
		code = j.Type
	}
	if i := strings.LastIndex(code, "#"); i >= 0 {
		code = code[i+1:]
	}
	msg = j.Message
	if msg == "" {
		msg = j.Message2
	}
	if code == "" {
		switch s.status {
		case http.StatusForbidden:
			code = "AccessDenied"
		case http.StatusNotFound:
			code = "NotFound"
		default:
			code = http.StatusText(s.status)
		}
	}
	return code, msg
}

func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i+len(from):]
	j := strings.Index(s, to)
	if j < 0 {
		return ""
	}
	return s[:j]
}

func xmlUnescape(s string) string {
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&quot;", `"`, "&#39;", "'", "&#34;", `"`, "&amp;", "&").Replace(s)
}

// s3Events are the S3 operations CloudTrail records as data events; every
// other S3 operation is a management event. (Amazon S3 User Guide, "Amazon
// S3 CloudTrail events".)
var s3DataEvents = map[string]bool{
	"GetObject": true, "HeadObject": true, "PutObject": true, "CopyObject": true, "DeleteObject": true, "DeleteObjects": true,
	"GetObjectAcl": true, "PutObjectAcl": true, "GetObjectTagging": true, "PutObjectTagging": true, "DeleteObjectTagging": true,
	"GetObjectAttributes": true, "CreateMultipartUpload": true, "UploadPart": true, "UploadPartCopy": true,
	"CompleteMultipartUpload": true, "AbortMultipartUpload": true, "ListParts": true, "ListObjects": true,
	"ListObjectVersions": true, "ListMultipartUploads": true,
}

// s3BucketEventNames name the bucket subresource operations: Get, Put and
// Delete ("" when there is none).
var s3BucketEventNames = map[string][3]string{
	"policy":            {"GetBucketPolicy", "PutBucketPolicy", "DeleteBucketPolicy"},
	"publicAccessBlock": {"GetBucketPublicAccessBlock", "PutBucketPublicAccessBlock", "DeleteBucketPublicAccessBlock"},
	"encryption":        {"GetBucketEncryption", "PutBucketEncryption", "DeleteBucketEncryption"},
	"versioning":        {"GetBucketVersioning", "PutBucketVersioning", ""},
	"tagging":           {"GetBucketTagging", "PutBucketTagging", "DeleteBucketTagging"},
	"ownershipControls": {"GetBucketOwnershipControls", "PutBucketOwnershipControls", "DeleteBucketOwnershipControls"},
	"notification":      {"GetBucketNotification", "PutBucketNotification", ""},
	"acl":               {"GetBucketAcl", "PutBucketAcl", ""},
	"cors":              {"GetBucketCors", "PutBucketCors", "DeleteBucketCors"},
	"lifecycle":         {"GetBucketLifecycle", "PutBucketLifecycle", "DeleteBucketLifecycle"},
	"website":           {"GetBucketWebsite", "PutBucketWebsite", "DeleteBucketWebsite"},
	"logging":           {"GetBucketLogging", "PutBucketLogging", ""},
	"object-lock":       {"GetObjectLockConfiguration", "PutObjectLockConfiguration", ""},
	"location":          {"GetBucketLocation", "", ""},
	"policyStatus":      {"GetBucketPolicyStatus", "", ""},
}

// s3EventName is the CloudTrail eventName of an S3 request.
func s3EventName(method string, op s3Op, h http.Header) string {
	q := op.query
	has := func(k string) bool { _, ok := q[k]; return ok }
	if op.bucket == "" {
		if method == http.MethodGet {
			return "ListBuckets"
		}
		return ""
	}
	verb := map[string]int{http.MethodGet: 0, http.MethodHead: 0, http.MethodPut: 1, http.MethodDelete: 2}
	if op.key == "" {
		for sub, names := range s3BucketEventNames {
			if has(sub) {
				if i, ok := verb[method]; ok {
					return names[i]
				}
				return ""
			}
		}
		switch {
		case method == http.MethodPut:
			return "CreateBucket"
		case method == http.MethodDelete:
			return "DeleteBucket"
		case method == http.MethodHead:
			return "HeadBucket"
		case method == http.MethodPost && has("delete"):
			return "DeleteObjects"
		case method == http.MethodGet && has("versions"):
			return "ListObjectVersions"
		case method == http.MethodGet && has("uploads"):
			return "ListMultipartUploads"
		case method == http.MethodGet:
			// CloudTrail names both list versions ListObjects; the
			// parameters show list-type 2.
			return "ListObjects"
		}
		return ""
	}
	switch method {
	case http.MethodGet, http.MethodHead:
		switch {
		case has("attributes"):
			return "GetObjectAttributes"
		case has("tagging"):
			return "GetObjectTagging"
		case has("acl"):
			return "GetObjectAcl"
		case has("uploadId"):
			return "ListParts"
		case method == http.MethodHead:
			return "HeadObject"
		}
		return "GetObject"
	case http.MethodPut:
		switch {
		case has("tagging"):
			return "PutObjectTagging"
		case has("acl"):
			return "PutObjectAcl"
		case has("partNumber") && h.Get("X-Amz-Copy-Source") != "":
			return "UploadPartCopy"
		case has("partNumber"):
			return "UploadPart"
		case h.Get("X-Amz-Copy-Source") != "":
			return "CopyObject"
		}
		return "PutObject"
	case http.MethodDelete:
		switch {
		case has("tagging"):
			return "DeleteObjectTagging"
		case has("uploadId"):
			return "AbortMultipartUpload"
		}
		return "DeleteObject"
	case http.MethodPost:
		switch {
		case has("uploads"):
			return "CreateMultipartUpload"
		case has("uploadId"):
			return "CompleteMultipartUpload"
		}
	}
	return ""
}

func (ct *cloudTrail) s3Event(s *served, ev *ctEvent, caller string) bool {
	op, e := parseS3(s.r.Method, s.r.Host, s.r.URL.Path, s.r.URL.RawQuery)
	if e != nil {
		return false
	}
	name := s3EventName(s.r.Method, op, s.r.Header)
	if name == "" {
		return false
	}
	rec := ev.rec
	rec.EventSource, rec.EventName = "s3.amazonaws.com", name
	rec.ReadOnly = s.r.Method == http.MethodGet || s.r.Method == http.MethodHead
	if name == "ListObjects" || name == "ListObjectVersions" {
		rec.ReadOnly = true
	}
	params := map[string]any{"Host": s.r.Host}
	if op.bucket != "" {
		params["bucketName"] = op.bucket
	}
	if op.key != "" {
		params["key"] = op.key
	}
	for k, vs := range op.query {
		params[k] = vs[0]
	}
	rec.RequestParameters = params
	auth := "AuthHeader"
	if presigned(s.r) {
		auth = "QueryString"
	}
	extra := map[string]any{"SignatureVersion": "SigV4", "AuthenticationMethod": auth,
		"bytesTransferredIn": float64(s.bodyLen), "bytesTransferredOut": float64(s.bytesOut), "x-amz-id-2": s.reqID}
	if s.r.TLS != nil {
		extra["CipherSuite"] = tls.CipherSuiteName(s.r.TLS.CipherSuite)
	}
	rec.AdditionalEventData = extra
	if s.status/100 == 2 && (s.versionID != "" || s.sse != "") && !rec.ReadOnly {
		re := map[string]any{}
		if s.versionID != "" {
			re["x-amz-version-id"] = s.versionID
		}
		if s.sse != "" {
			re["x-amz-server-side-encryption"] = s.sse
		}
		rec.ResponseElements = re
	}
	var owner string
	if op.bucket != "" {
		ct.g.st.view(func() {
			if m := ct.g.st.Buckets[op.bucket]; m != nil {
				owner = m.Owner
			}
		})
	}
	if owner == "" {
		owner = caller
	}
	if owner == "" {
		return false
	}
	rec.RecipientAccountID = owner
	ev.recipients = []string{owner}
	if caller != "" && caller != owner {
		// A cross-account request is logged in both accounts.
		ev.recipients = append(ev.recipients, caller)
	}
	if op.bucket != "" {
		bucketRes := ctResource{AccountID: owner, Type: "AWS::S3::Bucket", ARN: "arn:aws:s3:::" + op.bucket}
		if s3DataEvents[name] {
			rec.EventCategory = "Data"
			ev.facts.dataType = "AWS::S3::Object"
			obj := ctResource{Type: "AWS::S3::Object"}
			switch {
			case op.key != "":
				obj.ARN = "arn:aws:s3:::" + op.bucket + "/" + op.key
				ev.facts.dataARN = obj.ARN
			default:
				// A list (or a multi-object delete) names a prefix of keys.
				obj.ARNPrefix = "arn:aws:s3:::" + op.bucket + "/" + op.query.Get("prefix")
				ev.facts.dataARN = obj.ARNPrefix
			}
			rec.Resources = []ctResource{obj, bucketRes}
		} else {
			rec.Resources = []ctResource{bucketRes}
		}
	}
	return true
}

// s3ControlEvent records an S3 Batch Operations request (batchops.go) or
// one on the account's Block Public Access (s3bpa.go).
func (ct *cloudTrail) s3ControlEvent(s *served, ev *ctEvent, caller string) bool {
	if caller == "" {
		return false
	}
	seg := strings.Split(strings.TrimPrefix(s.r.URL.Path, s3ControlPrefix), "/")
	var name string
	params := map[string]any{"Host": s.r.Host, "accountId": caller}
	switch {
	case len(seg) == 2 && seg[0] == "configuration" && seg[1] == "publicAccessBlock":
		name = map[string]string{http.MethodGet: "GetAccountPublicAccessBlock", http.MethodPut: "PutAccountPublicAccessBlock",
			http.MethodDelete: "DeleteAccountPublicAccessBlock"}[s.r.Method]
		if name == "" {
			return false
		}
	case len(seg) == 1 && seg[0] == "jobs" && s.r.Method == http.MethodPost:
		name = "CreateJob"
	case len(seg) == 1 && seg[0] == "jobs":
		name = "ListJobs"
	case len(seg) == 2 && seg[0] == "jobs":
		name, params["jobId"] = "DescribeJob", seg[1]
	case len(seg) == 3 && seg[2] == "priority":
		name, params["jobId"] = "UpdateJobPriority", seg[1]
	case len(seg) == 3 && seg[2] == "status":
		name, params["jobId"] = "UpdateJobStatus", seg[1]
	default:
		return false
	}
	ev.rec.EventSource, ev.rec.EventName, ev.rec.ReadOnly = "s3.amazonaws.com", name, readOnlyName(name)
	ev.rec.RequestParameters, ev.rec.RecipientAccountID = params, caller
	ev.recipients = []string{caller}
	return true
}

// hiddenParams are the parameters CloudTrail never shows.
var hiddenParams = map[string]bool{"Password": true, "OldPassword": true, "NewPassword": true, "PrivateKey": true, "SAMLAssertion": true}

// lowerFirst is a parameter's name as CloudTrail writes it.
func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// queryEvent records an IAM or STS request: eventName is the form's
// Action and requestParameters its other fields, in lower camel case.
func (ct *cloudTrail) queryEvent(s *served, ev *ctEvent, caller string) bool {
	form, err := url.ParseQuery(string(s.body))
	if err != nil || form.Get("Action") == "" {
		return false
	}
	rec := ev.rec
	action := form.Get("Action")
	rec.EventName, rec.EventSource = action, s.service+".amazonaws.com"
	params := map[string]any{}
	for k, vs := range form {
		if k == "Action" || k == "Version" {
			continue
		}
		var v any = vs[0]
		if hiddenParams[k] {
			v = "HIDDEN_DUE_TO_SECURITY_REASONS"
		} else if n, err := strconv.Atoi(vs[0]); err == nil && (k == "DurationSeconds" || k == "MaxSessionDuration" || k == "MaxItems") {
			v = n
		}
		params[lowerFirst(k)] = v
	}
	if len(params) > 0 {
		rec.RequestParameters = params
	}
	rec.RecipientAccountID = caller
	ev.recipients = []string{caller}
	if s.service == "iam" {
		// IAM is global: AWS records it in us-east-1.
		rec.AWSRegion = "us-east-1"
		rec.ReadOnly = readOnlyName(action)
		ev.facts.global = true
		return true
	}
	ev.facts.global = rec.AWSRegion == "us-east-1"
	// STS reads nothing and changes nothing in the account: CloudTrail
	// marks its calls read-only.
	rec.ReadOnly = true
	if action == "AssumeRole" {
		if account, _, ok := parseRoleARN(form.Get("RoleArn")); ok && account != caller && ct.g.sb.accounts[account] != nil {
			// The role's account logs the call too, as the recipient.
			rec.RecipientAccountID = account
			ev.recipients = []string{account, caller}
		}
	}
	if s.status/100 == 2 && (action == "AssumeRole" || action == "GetSessionToken") {
		// The credentials' key ID and expiry; never the secret or the token.
		body := string(s.head)
		re := map[string]any{"credentials": map[string]any{
			"accessKeyId": between(body, "<AccessKeyId>", "</AccessKeyId>"),
			"expiration":  between(body, "<Expiration>", "</Expiration>"),
		}}
		if action == "AssumeRole" {
			re["assumedRoleUser"] = map[string]any{
				"assumedRoleId": between(body, "<AssumedRoleId>", "</AssumedRoleId>"),
				"arn":           between(body, "<Arn>", "</Arn>"),
			}
			if si := between(body, "<SourceIdentity>", "</SourceIdentity>"); si != "" {
				re["sourceIdentity"] = si
			}
		}
		rec.ResponseElements = re
	}
	return true
}

// lambdaEventNames are CloudTrail's names of Lambda operations, which
// carry the API version they belong to.
var lambdaEventNames = map[string]string{
	"CreateFunction": "CreateFunction20150331", "DeleteFunction": "DeleteFunction20150331", "GetFunction": "GetFunction20150331v2",
	"GetFunctionConfiguration": "GetFunctionConfiguration20150331v2", "UpdateFunctionCode": "UpdateFunctionCode20150331v2",
	"UpdateFunctionConfiguration": "UpdateFunctionConfiguration20150331v2", "AddPermission": "AddPermission20150331v2",
	"RemovePermission": "RemovePermission20150331v2", "GetPolicy": "GetPolicy20150331v2", "ListFunctions": "ListFunctions20150331",
	"InvokeFunction": "Invoke", "TagResource": "TagResource20170331v2", "UntagResource": "UntagResource20170331v2",
	"ListTags": "ListTags20170331", "PutFunctionEventInvokeConfig": "PutFunctionEventInvokeConfig",
	"GetFunctionEventInvokeConfig": "GetFunctionEventInvokeConfig", "DeleteFunctionEventInvokeConfig": "DeleteFunctionEventInvokeConfig",
}

func (ct *cloudTrail) lambdaEvent(s *served, ev *ctEvent, caller string) bool {
	action, fn, err := lambdaOp(s.r.Method, s.r.URL.EscapedPath())
	if err != nil || action == "" {
		return false
	}
	op := strings.TrimPrefix(action, "lambda:")
	name := lambdaEventNames[op]
	if name == "" {
		name = op + "20150331"
	}
	rec := ev.rec
	rec.EventSource, rec.EventName, rec.ReadOnly = "lambda.amazonaws.com", name, readOnlyName(op)
	params := jsonParams(s.body, "Code", "ZipFile")
	if fn != "" {
		if params == nil {
			params = map[string]any{}
		}
		params["functionName"] = fn
	}
	rec.RecipientAccountID, ev.recipients = caller, []string{caller}
	if action == "lambda:InvokeFunction" {
		// An invocation is a data event; its payload is not recorded.
		params = map[string]any{"functionName": fn, "invocationType": s.r.Header.Get("X-Amz-Invocation-Type")}
		arn := ct.g.functionARN(caller, fn)
		rec.EventCategory = "Data"
		rec.Resources = []ctResource{{AccountID: caller, Type: "AWS::Lambda::Function", ARN: arn}}
		ev.facts.dataType, ev.facts.dataARN = "AWS::Lambda::Function", arn
	}
	rec.RequestParameters = params
	return true
}

// jsonParams are a JSON request's top-level fields in lower camel case,
// without the ones named (code, payloads).
func jsonParams(body []byte, drop ...string) map[string]any {
	var m map[string]any
	if len(body) == 0 || json.Unmarshal(body, &m) != nil || len(m) == 0 {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		skip := false
		for _, d := range drop {
			skip = skip || k == d
		}
		if !skip {
			out[lowerFirst(k)] = v
		}
	}
	return out
}

// jsonEvent records a CloudWatch Logs or CloudTrail request: eventName is
// the X-Amz-Target's operation.
func (ct *cloudTrail) jsonEvent(s *served, ev *ctEvent, caller string) bool {
	target := s.r.Header.Get("X-Amz-Target")
	op := target[strings.LastIndex(target, ".")+1:]
	if op == "" {
		return false
	}
	if s.service == "logs" && (op == "PutLogEvents" || op == "GetLogEvents" || op == "FilterLogEvents") {
		// Log data itself is not a management event.
		return false
	}
	rec := ev.rec
	rec.EventSource, rec.EventName, rec.ReadOnly = s.service+".amazonaws.com", op, readOnlyName(op)
	rec.RequestParameters = jsonParams(s.body)
	rec.RecipientAccountID, ev.recipients = caller, []string{caller}
	return true
}

// trailSink is one logging trail's buffer of records not yet delivered,
// with the selectors that decide what goes in (under mu: a trail's
// selectors may change while requests are recorded).
type trailSink struct {
	key      string // account/name
	account  string
	mu       sync.Mutex
	home     string
	multi    bool
	global   bool
	basic    []eventSelector
	advanced []advancedSelector
	recs     []*ctRecord
	dropped  int64
}

// maxBuffered bounds what one trail holds between deliveries; past
// kickAt it asks for a delivery now.
const (
	maxBuffered = 50000
	kickAt      = 10000
)

// offer buffers the event's record if the trail logs it; it reports
// whether the buffer asks for a delivery now.
func (s *trailSink) offer(ev *ctEvent) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ev.facts.global && !s.global {
		return false
	}
	if !s.multi && ev.rec.AWSRegion != s.home && !ev.facts.global {
		return false
	}
	if !selects(s.basic, s.advanced, &ev.facts) {
		return false
	}
	if len(s.recs) >= maxBuffered {
		s.dropped++
		return true
	}
	s.recs = append(s.recs, ev.rec)
	return len(s.recs) >= kickAt
}

// take empties the buffer.
func (s *trailSink) take() []*ctRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.recs
	s.recs = nil
	return out
}

// putBack returns records a delivery could not write, ahead of newer
// ones, as far as the buffer's bound allows.
func (s *trailSink) putBack(recs []*ctRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	room := maxBuffered - len(s.recs)
	if room <= 0 {
		s.dropped += int64(len(recs))
		return
	}
	if len(recs) > room {
		s.dropped += int64(len(recs) - room)
		recs = recs[len(recs)-room:]
	}
	s.recs = append(recs, s.recs...)
}

// rebuildLocked makes the sinks of the trails that log now: a trail that
// already had one keeps it (and what it holds) with its settings brought
// up to date; one that stopped keeps its records until the next delivery
// writes them (retired). The caller holds mu.
func (ct *cloudTrail) rebuildLocked() {
	old := map[string]*trailSink{}
	if p := ct.sinks.Load(); p != nil {
		for _, s := range *p {
			old[s.key] = s
		}
	}
	sinks := []*trailSink{}
	for _, k := range slices.Sorted(maps.Keys(ct.trails)) {
		t := ct.trails[k]
		if !t.Logging {
			continue
		}
		s := old[k]
		delete(old, k)
		if s == nil {
			s = &trailSink{key: k, account: t.Account}
		}
		s.mu.Lock()
		s.home, s.multi, s.global, s.basic, s.advanced = t.HomeRegion, t.MultiRegion, t.IncludeGlobal, t.Selectors, t.Advanced
		s.mu.Unlock()
		sinks = append(sinks, s)
	}
	for _, s := range old {
		ct.retired = append(ct.retired, s)
	}
	ct.sinks.Store(&sinks)
}

// recordLoop turns served requests into records and buffers them.
func (ct *cloudTrail) recordLoop() {
	for {
		select {
		case <-ct.stop:
			return
		case s := <-ct.pending:
			ct.record(s)
		}
	}
}

// record buffers the record of one served request in every logging trail
// that takes it.
func (ct *cloudTrail) record(s *served) {
	sinks := *ct.sinks.Load()
	if len(sinks) == 0 {
		return
	}
	ev := ct.event(s)
	if ev == nil {
		return
	}
	for _, sk := range sinks {
		if !slices.Contains(ev.recipients, sk.account) {
			continue
		}
		if sk.offer(ev) {
			select {
			case ct.kick <- struct{}{}:
			default:
			}
		}
	}
}
