package sandbox

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/xacct/xacct/internal/iampolicy"
)

// s3Op is one S3 request as the gateway classifies it.
type s3Op struct {
	bucket  string
	key     string // "" for bucket-level and service-level operations
	query   url.Values
	action  string // the IAM action that authorizes it; "" when unknown
	virtual bool   // the bucket came from the Host header
}

// bucketSubresources maps a bucket subresource to its Get and Put actions
// (DELETE uses the Put action, as AWS documents for these).
var bucketSubresources = map[string][2]string{
	"policy":            {"s3:GetBucketPolicy", "s3:PutBucketPolicy"},
	"publicAccessBlock": {"s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock"},
	"encryption":        {"s3:GetEncryptionConfiguration", "s3:PutEncryptionConfiguration"},
	"versioning":        {"s3:GetBucketVersioning", "s3:PutBucketVersioning"},
	"tagging":           {"s3:GetBucketTagging", "s3:PutBucketTagging"},
	"ownershipControls": {"s3:GetBucketOwnershipControls", "s3:PutBucketOwnershipControls"},
	"notification":      {"s3:GetBucketNotification", "s3:PutBucketNotification"},
	"acl":               {"s3:GetBucketAcl", "s3:PutBucketAcl"},
	"cors":              {"s3:GetBucketCORS", "s3:PutBucketCORS"},
	"lifecycle":         {"s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration"},
	"website":           {"s3:GetBucketWebsite", "s3:PutBucketWebsite"},
	"logging":           {"s3:GetBucketLogging", "s3:PutBucketLogging"},
	"object-lock":       {"s3:GetBucketObjectLockConfiguration", "s3:PutBucketObjectLockConfiguration"},
	"location":          {"s3:GetBucketLocation", ""},
	"policyStatus":      {"s3:GetBucketPolicyStatus", ""},
}

func s3Action(method string, op s3Op) string {
	q := op.query
	if op.bucket == "" {
		if method == http.MethodGet {
			return "s3:ListAllMyBuckets"
		}
		return ""
	}
	if op.key == "" {
		for sub, acts := range bucketSubresources {
			if _, ok := q[sub]; !ok {
				continue
			}
			switch method {
			case http.MethodGet, http.MethodHead:
				return acts[0]
			case http.MethodPut, http.MethodDelete:
				if sub == "policy" && method == http.MethodDelete {
					return "s3:DeleteBucketPolicy"
				}
				return acts[1]
			}
			return ""
		}
		_, versions := q["versions"]
		_, uploads := q["uploads"]
		_, del := q["delete"]
		switch {
		case method == http.MethodPut && len(q) == 0:
			return "s3:CreateBucket"
		case method == http.MethodDelete && len(q) == 0:
			return "s3:DeleteBucket"
		case method == http.MethodGet && versions:
			return "s3:ListBucketVersions"
		case method == http.MethodGet && uploads:
			return "s3:ListBucketMultipartUploads"
		case method == http.MethodPost && del:
			return "s3:DeleteObject"
		case method == http.MethodGet || method == http.MethodHead:
			if _, ok := q["list-type"]; ok || !hasOtherSubresource(q) {
				return "s3:ListBucket"
			}
		}
		return ""
	}
	_, tagging := q["tagging"]
	_, acl := q["acl"]
	_, uploadID := q["uploadId"]
	_, uploads := q["uploads"]
	_, versionID := q["versionId"]
	_, attributes := q["attributes"]
	switch method {
	case http.MethodGet, http.MethodHead:
		switch {
		case attributes && versionID:
			return "s3:GetObjectVersionAttributes"
		case attributes:
			return "s3:GetObjectAttributes"
		// A version's tags and ACL are actions of their own in AWS.
		case tagging && versionID:
			return "s3:GetObjectVersionTagging"
		case tagging:
			return "s3:GetObjectTagging"
		case acl && versionID:
			return "s3:GetObjectVersionAcl"
		case acl:
			return "s3:GetObjectAcl"
		case uploadID:
			return "s3:ListMultipartUploadParts"
		case versionID:
			return "s3:GetObjectVersion"
		}
		return "s3:GetObject"
	case http.MethodPut:
		switch {
		case tagging && versionID:
			return "s3:PutObjectVersionTagging"
		case tagging:
			return "s3:PutObjectTagging"
		case acl && versionID:
			return "s3:PutObjectVersionAcl"
		case acl:
			return "s3:PutObjectAcl"
		}
		return "s3:PutObject"
	case http.MethodDelete:
		switch {
		case tagging && versionID:
			return "s3:DeleteObjectVersionTagging"
		case tagging:
			return "s3:DeleteObjectTagging"
		case uploadID:
			return "s3:AbortMultipartUpload"
		case versionID:
			return "s3:DeleteObjectVersion"
		}
		return "s3:DeleteObject"
	case http.MethodPost:
		if uploads || uploadID {
			return "s3:PutObject"
		}
	}
	return ""
}

func hasOtherSubresource(q url.Values) bool {
	for k := range q {
		if strings.HasPrefix(k, "X-Amz-") {
			continue // a presigned URL's authentication
		}
		switch k {
		case "prefix", "delimiter", "max-keys", "marker", "encoding-type", "continuation-token", "fetch-owner", "start-after", "x-id",
			"list-type", "optional-object-attributes":
		default:
			return true
		}
	}
	return false
}

func (op s3Op) arn() string {
	switch {
	case op.bucket == "":
		return "*"
	case op.key == "":
		return "arn:aws:s3:::" + op.bucket
	}
	return "arn:aws:s3:::" + op.bucket + "/" + op.key
}

func (g *gateway) serveS3(c *call) {
	op, e := parseS3(c.r.Method, c.r.Host, c.r.URL.Path, c.r.URL.RawQuery)
	if e != nil {
		g.failWith(c, e)
		return
	}
	if op.bucket != "" && mutates(c.r.Method) {
		defer g.lists.writing(c, op.bucket)()
	}
	ctx := c.r.Context()
	if op.action == "" {
		g.fail(c, http.StatusNotImplemented, "NotImplemented", fmt.Sprintf("the xacct sandbox does not know which permission %s %s needs", c.r.Method, c.r.URL.RequestURI()))
		return
	}
	c.out = outbound{method: c.r.Method, path: op.forwardPath(), query: encodeQuery(op.query), header: forwardHeaders("s3", g.sb.Region, c.r.Header)}
	p := c.principal()
	if op.bucket == "" {
		if p == nil {
			g.fail(c, http.StatusForbidden, "AccessDenied", "Access Denied")
			return
		}
		ar, _ := g.s3AuthzRequest(c, op, "", nil)
		res, err := g.authorize(ctx, c, ar)
		if err != nil {
			g.fail(c, http.StatusInternalServerError, "InternalError", err.Error())
			return
		}
		if res.Decision != iampolicy.Allowed {
			g.deny(c, op.action, ar.resource, res)
			return
		}
		b := g.sb.accounts[p.Account]
		status, body, h, err := g.proxy(c, b, rewriteNone)
		if err != nil {
			g.fail(c, http.StatusInternalServerError, "InternalError", "sandbox: "+b.name+" account: "+err.Error())
			return
		}
		g.relay(c, status, withOwner(g.ownedBuckets(body, p.Account), p.Account), h)
		return
	}

	var owner string
	g.st.view(func() {
		if m := g.st.Buckets[op.bucket]; m != nil {
			owner = m.Owner
		}
	})
	if op.action == "s3:CreateBucket" {
		g.createBucket(c, op, owner)
		return
	}
	if owner == "" {
		g.fail(c, http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist")
		return
	}
	if want := c.r.Header.Get("X-Amz-Expected-Bucket-Owner"); want != "" && want != owner {
		g.fail(c, http.StatusForbidden, "AccessDenied", "Access Denied")
		return
	}
	b := g.sb.accounts[owner]
	bp, err := g.bucketPolicy(ctx, op.bucket, b)
	if err != nil {
		g.fail(c, http.StatusInternalServerError, "InternalError", err.Error())
		return
	}
	if setsObjectTagging(op.action) {
		// The tags it sets are conditions on the request
		// (s3:RequestObjectTag): its small body is read first, as
		// CreateBucket's is.
		if e := g.readS3Body(c, maxSmallBody); e != nil {
			g.failWith(c, e)
			return
		}
	}
	ar, e := g.s3AuthzRequest(c, op, owner, b)
	if e != nil {
		g.failWith(c, e)
		return
	}
	if deleteObjectsRequest(c.r.Method, op) {
		g.deleteObjects(c, op, owner, b, bp, ar.context)
		return
	}
	ar.resourcePolicy = bp
	res, err := g.authorize(ctx, c, ar)
	if errors.Is(err, errUnknownTags) {
		g.fail(c, http.StatusForbidden, "AccessDenied", "Access Denied")
		return
	}
	if err != nil {
		g.fail(c, http.StatusInternalServerError, "InternalError", err.Error())
		return
	}
	if res.Decision != iampolicy.Allowed {
		g.deny(c, op.action, op.arn(), res)
		return
	}
	if src := c.r.Header.Get("X-Amz-Copy-Source"); src != "" && op.action == "s3:PutObject" {
		if !g.authorizeCopySource(c, src) {
			return
		}
	}
	if e := g.readS3Body(c, maxBody); e != nil {
		g.failWith(c, e)
		return
	}

	_, ownership := op.query["ownershipControls"]
	_, notification := op.query["notification"]
	_, policy := op.query["policy"]
	_, bpa := op.query["publicAccessBlock"]
	switch {
	case ownership:
		g.ownershipControls(c, op)
		return
	case notification:
		g.notificationConfig(c, op, owner)
		return
	case policy && c.r.Method == http.MethodPut:
		doc, err := iampolicy.Parse(c.body, iampolicy.Resource)
		if err != nil {
			g.fail(c, http.StatusBadRequest, "MalformedPolicy", err.Error())
			return
		}
		if g.blockedPublicPolicy(c, op, owner, doc) {
			return
		}
	}
	if g.blockedPublicACL(c, op, owner) {
		return
	}
	if m := g.bucketOwnership(op.bucket); m == "BucketOwnerEnforced" && (op.action == "s3:PutObject" || op.action == "s3:PutObjectAcl" || op.action == "s3:PutBucketAcl") {
		if acl := c.r.Header.Get("X-Amz-Acl"); acl != "" && acl != "bucket-owner-full-control" {
			g.fail(c, http.StatusBadRequest, "AccessControlListNotSupported", "The bucket does not allow ACLs")
			return
		}
	}
	_, attributes := op.query["attributes"]
	if attributes && !validObjectAttributes(c.r.Header.Get("X-Amz-Object-Attributes")) {
		g.fail(c, http.StatusBadRequest, "InvalidArgument", "Invalid attribute name specified.")
		return
	}
	if (policy || bpa) && c.r.Method != http.MethodGet && c.r.Method != http.MethodHead || op.action == "s3:DeleteBucket" {
		// A write of the bucket's policy or Block Public Access, or its
		// deletion: nothing of them is cached while it is in flight. A
		// read of them changes nothing and forgets nothing.
		defer g.cache.writeBucket(op.bucket)()
	}
	status, _, ok := g.exchangeS3(c, op, owner, b)
	if !ok || status/100 != 2 {
		return
	}
	switch {
	case op.action == "s3:DeleteBucket":
		_ = g.st.update(func() error { delete(g.st.Buckets, op.bucket); return nil })
	case op.action == "s3:PutObject" && op.key != "":
		if _, isPart := op.query["partNumber"]; !isPart {
			if _, isCreate := op.query["uploads"]; !isCreate {
				g.objectCreated(c, op, owner)
			}
		}
	case (op.action == "s3:DeleteObject" || op.action == "s3:DeleteObjectVersion") && op.key != "":
		g.objectRemoved(c, op.bucket, owner, []removal{g.deletedObject(c, op, b)})
	}
}

// s3AuthzRequest is what an S3 request is authorized as: op's action on
// the ARN its path names (the object, the bucket, or arn:aws:s3:::* for
// ListAllMyBuckets), held by owner (b is its kumo) or, for the caller's
// list of buckets and a bucket it creates, by the caller's account (its
// s3:ResourceAccount too, as for S3 Control's account-level operations:
// the account whose buckets they are); with the condition keys the
// handler supplies (from c.body for a request that sets an object's tags,
// read first: setsObjectTagging). Those the request's headers and query
// carry are the seam's (checkAuthzContext, authztable.go). The bucket
// policy is the caller's to add. A DeleteObjects is authorized object by
// object (deleteObjectsAuthz), with these keys.
func (g *gateway) s3AuthzRequest(c *call, op s3Op, owner string, b *backend) (authzRequest, *apiError) {
	if op.bucket == "" || op.action == "s3:CreateBucket" {
		account := ""
		if p := c.principal(); p != nil {
			account = p.Account
		}
		resource := op.arn()
		if op.bucket == "" {
			resource = "arn:aws:s3:::*"
		}
		return authzRequest{action: op.action, resource: resource, resourceAccount: account, context: resourceAccountKeys(account)}, nil
	}
	extra := resourceAccountKeys(owner)
	for _, k := range []string{"prefix", "delimiter", "max-keys"} {
		if v, ok := op.query[k]; ok {
			extra["s3:"+k] = v
		}
	}
	if v := c.r.Header.Get("X-Amz-Acl"); v != "" {
		extra["s3:x-amz-acl"] = []string{v}
	}
	if v := c.r.Header.Get("X-Amz-Server-Side-Encryption"); v != "" {
		extra["s3:x-amz-server-side-encryption"] = []string{v}
	}
	if deleteObjectsRequest(c.r.Method, op) {
		return authzRequest{action: op.action, resource: op.arn(), resourceAccount: owner, context: extra}, nil
	}
	switch {
	case op.action == "s3:PutObject":
		if e := requestObjectTags(c.r.Header, extra); e != nil {
			return authzRequest{}, e
		}
	case setsObjectTagging(op.action):
		if e := taggingBodyTags(c.body, extra); e != nil {
			return authzRequest{}, e
		}
	}
	kv, _ := g.kumoVersion(op.bucket, op.query)
	return authzRequest{action: op.action, resource: op.arn(), resourceAccount: owner, context: extra,
		lazy: g.existingObjectTags(op.action, op.bucket, op.key, kv, b)}, nil
}

// resourceAccountKeys are the condition keys of the account that holds an
// S3 resource: aws:ResourceAccount, and s3:ResourceAccount, which the
// reference lists for every S3 action.
func resourceAccountKeys(account string) map[string][]string {
	return map[string][]string{"aws:ResourceAccount": {account}, "s3:ResourceAccount": {account}}
}

// deleteObjectsRequest tells a DeleteObjects (POST /bucket?delete).
func deleteObjectsRequest(method string, op s3Op) bool {
	_, del := op.query["delete"]
	return del && method == http.MethodPost && op.key == ""
}

// deleteObjectsAuthz is what each object of a DeleteObjects is authorized
// as: the DeleteObject S3 performs for it ("For each key, Amazon S3
// performs a delete operation", DeleteObjects API), s3:DeleteObject on the
// object, or s3:DeleteObjectVersion on one named with a version, whose
// s3:versionid is that version (as given, as a DeleteObject's versionId
// query parameter is); with the request's keys (ctx, from s3AuthzRequest).
func deleteObjectsAuthz(op s3Op, owner string, in deleteRequest, ctx map[string][]string) []authzRequest {
	ars := make([]authzRequest, 0, len(in.Objects))
	for _, o := range in.Objects {
		ar := authzRequest{action: "s3:DeleteObject", resource: "arn:aws:s3:::" + op.bucket + "/" + o.Key, resourceAccount: owner, context: ctx}
		if o.VersionID != "" {
			ar.action = "s3:DeleteObjectVersion"
			ar.context = maps.Clone(ctx)
			ar.context["s3:versionid"] = []string{o.VersionID}
		}
		ars = append(ars, ar)
	}
	return ars
}

// deletedObject is what a successful DeleteObject removed, from its
// answer: with a versionId, that version (a delete marker's included) is
// gone; without one, a versioned bucket got a delete marker, whose version
// kumo may not name (then it is the key's latest).
func (g *gateway) deletedObject(c *call, op s3Op, b *backend) removal {
	h := c.w.Header()
	if v, ok := op.query["versionId"]; ok {
		return removal{key: op.key, versionID: v[0]}
	}
	bv := g.bucketVersions(op.bucket)
	if bv.status == "" {
		return removal{key: op.key}
	}
	r := removal{key: op.key, marker: true, versionID: h.Get("X-Amz-Version-Id")}
	if r.versionID == "" {
		if m, marker := latestVersion(c.r.Context(), b, op.bucket, op.key); marker {
			r.versionID = bv.codec.encode(m)
		}
	}
	return r
}

func (g *gateway) createBucket(c *call, op s3Op, owner string) {
	p := c.principal()
	if p == nil {
		g.fail(c, http.StatusForbidden, "AccessDenied", "Access Denied")
		return
	}
	if !validBucketName(op.bucket) {
		g.fail(c, http.StatusBadRequest, "InvalidBucketName", "The specified bucket is not valid.")
		return
	}
	if owner != "" {
		g.bucketTaken(c, owner)
		return
	}
	// The body (at most a small CreateBucketConfiguration) is read first:
	// s3:locationconstraint and the tags it sets are conditions on the
	// request (authztags.go).
	if e := g.readS3Body(c, maxSmallBody); e != nil {
		g.failWith(c, e)
		return
	}
	ar, _ := g.s3AuthzRequest(c, op, "", nil)
	res, err := g.authorize(c.r.Context(), c, ar)
	if err != nil {
		g.fail(c, http.StatusInternalServerError, "InternalError", err.Error())
		return
	}
	if res.Decision != iampolicy.Allowed {
		g.deny(c, "s3:CreateBucket", op.arn(), res)
		return
	}
	// A new bucket has no settings of its own: the account's BlockPublicAcls
	// refuses a public ACL on it.
	if setsPublicACL(c.r.Header, nil, false) && g.accountPublicAccessBlock(p.Account).BlockPublicAcls {
		g.fail(c, http.StatusForbidden, "AccessDenied", "Access Denied")
		return
	}
	// The name is claimed before kumo creates the bucket (s3buckets.go): of
	// two accounts racing for it, the loser never reaches its kumo.
	claim, owner := g.st.claimBucket(op.bucket, p.Account)
	if claim == nil {
		g.bucketTaken(c, owner)
		return
	}
	status, _, ok := g.forward(c, g.sb.accounts[p.Account], rewriteNone)
	if !ok || status/100 != 2 {
		g.st.releaseBucket(op.bucket, claim)
	}
	g.cache.forgetBucket(op.bucket)
}

// bucketTaken refuses a CreateBucket of a name owner already has.
func (g *gateway) bucketTaken(c *call, owner string) {
	if p := c.principal(); p != nil && owner == p.Account {
		g.fail(c, http.StatusConflict, "BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.")
		return
	}
	g.fail(c, http.StatusConflict, "BucketAlreadyExists", "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.")
}

// authorizeCopySource checks s3:GetObject (s3:GetObjectVersion for a
// version) on the source of a copy, and forwards the source it checked.
func (g *gateway) authorizeCopySource(c *call, src string) bool {
	bucket, key, version, e := parseCopySource(src)
	if e != nil {
		g.failWith(c, e)
		return false
	}
	var owner string
	g.st.view(func() {
		if m := g.st.Buckets[bucket]; m != nil {
			owner = m.Owner
		}
	})
	if owner == "" {
		g.fail(c, http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist")
		return false
	}
	if want := c.r.Header.Get("X-Amz-Source-Expected-Bucket-Owner"); want != "" && want != owner {
		g.fail(c, http.StatusForbidden, "AccessDenied", "Access Denied")
		return false
	}
	bp, err := g.bucketPolicy(c.r.Context(), bucket, g.sb.accounts[owner])
	if err != nil {
		g.fail(c, http.StatusInternalServerError, "InternalError", err.Error())
		return false
	}
	action := "s3:GetObject"
	if version != "" {
		action = "s3:GetObjectVersion"
	}
	arn := "arn:aws:s3:::" + bucket + "/" + key
	kv, _ := g.kumoVersion(bucket, url.Values{"versionId": {version}})
	res, err := g.authorize(c.r.Context(), c, authzRequest{action: action, resource: arn, resourceAccount: owner, resourcePolicy: bp,
		lazy: g.existingObjectTags(action, bucket, key, kv, g.sb.accounts[owner])})
	if err != nil || res.Decision != iampolicy.Allowed {
		g.deny(c, action, arn, res)
		return false
	}
	fwd := "/" + s3EscapePath(bucket) + "/" + s3EscapePath(key)
	if version != "" {
		kv, ok := g.bucketVersions(bucket).codec.decode(version)
		if !ok {
			g.fail(c, http.StatusBadRequest, "InvalidArgument", "Invalid version id specified")
			return false
		}
		fwd += "?versionId=" + url.QueryEscape(kv)
	}
	c.out.header.Set("X-Amz-Copy-Source", fwd)
	return true
}

// readS3Body reads an S3 request's body (at most limit bytes) and holds it
// to what the request declared: its x-amz-content-sha256 (a SHA-256, or a
// streaming form whose chunk signatures and trailing checksums are
// verified), Content-MD5 and x-amz-checksum-*. kumo receives the plain
// payload.
func (g *gateway) readS3Body(c *call, limit int64) *apiError {
	if c.bodyRead {
		return nil
	}
	if e := g.readBody(c, limit); e != nil {
		return e
	}
	mode := c.payload
	if mode == "" {
		mode = c.r.Header.Get("X-Amz-Content-Sha256")
	}
	chunked := strings.Contains(c.r.Header.Get("Content-Encoding"), "aws-chunked")
	var trailers http.Header
	switch {
	case strings.HasPrefix(mode, "STREAMING-") || chunked:
		if !strings.HasPrefix(mode, "STREAMING-") {
			mode = streamingUnsignedTrailer
		}
		payload, tr, e := decodeStreaming(mode, c.body, c.sig)
		if e != nil {
			return e
		}
		if v := c.r.Header.Get("X-Amz-Decoded-Content-Length"); v != "" && v != strconv.Itoa(len(payload)) {
			return &apiError{http.StatusBadRequest, "IncompleteBody", "The request body's length does not match x-amz-decoded-content-length."}
		}
		c.body, trailers = payload, tr
		fixChunkedHeaders(c.out.header)
		for k, vs := range tr {
			if strings.HasPrefix(k, "X-Amz-Checksum-") {
				c.out.header[k] = vs
			}
		}
	case mode == "" || mode == unsignedPayload:
	case !validPayloadMode(mode):
		return &apiError{http.StatusBadRequest, "InvalidArgument", "x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a valid sha256 value."}
	default:
		if sha256Hex(c.body) != strings.ToLower(mode) {
			return &apiError{http.StatusBadRequest, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed."}
		}
	}
	_, complete := c.r.URL.Query()["uploadId"]
	complete = complete && c.r.Method == http.MethodPost
	checksums := !complete && c.r.Header.Get("X-Amz-Copy-Source") == ""
	return checkDigests(c.r.Header, trailers, c.body, checksums)
}

func (g *gateway) bucketOwnership(bucket string) string {
	var v string
	g.st.view(func() {
		if m := g.st.Buckets[bucket]; m != nil {
			v = m.Ownership
		}
	})
	return v
}

type ownershipControlsXML struct {
	XMLName xml.Name `xml:"OwnershipControls"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	Rules   []struct {
		ObjectOwnership string `xml:"ObjectOwnership"`
	} `xml:"Rule"`
}

// ownershipControls serves Put/Get/DeleteBucketOwnershipControls, which
// kumo lacks.
func (g *gateway) ownershipControls(c *call, op s3Op) {
	switch c.r.Method {
	case http.MethodPut:
		var in ownershipControlsXML
		if err := xml.Unmarshal(c.body, &in); err != nil || len(in.Rules) != 1 {
			g.fail(c, http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
			return
		}
		v := in.Rules[0].ObjectOwnership
		if v != "BucketOwnerEnforced" && v != "BucketOwnerPreferred" && v != "ObjectWriter" {
			g.fail(c, http.StatusBadRequest, "MalformedXML", "ObjectOwnership must be BucketOwnerEnforced, BucketOwnerPreferred or ObjectWriter")
			return
		}
		_ = g.st.update(func() error { g.st.Buckets[op.bucket].Ownership = v; return nil })
		c.w.WriteHeader(http.StatusOK)
	case http.MethodGet:
		v := g.bucketOwnership(op.bucket)
		if v == "" {
			g.fail(c, http.StatusNotFound, "OwnershipControlsNotFoundError", "The bucket ownership controls were not found")
			return
		}
		c.w.Header().Set("Content-Type", "application/xml")
		fmt.Fprintf(c.w, `<?xml version="1.0" encoding="UTF-8"?><OwnershipControls xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ObjectOwnership>%s</ObjectOwnership></Rule></OwnershipControls>`, v)
	case http.MethodDelete:
		_ = g.st.update(func() error { g.st.Buckets[op.bucket].Ownership = ""; return nil })
		c.w.WriteHeader(http.StatusNoContent)
	default:
		g.fail(c, http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.")
	}
}

type deleteRequest struct {
	XMLName xml.Name `xml:"Delete"`
	Quiet   bool     `xml:"Quiet"`
	Objects []struct {
		Key       string `xml:"Key"`
		VersionID string `xml:"VersionId,omitempty"`
	} `xml:"Object"`
}

// deleteObjects serves DeleteObjects as S3 does: each key is authorized on
// its own (s3:DeleteObject, or s3:DeleteObjectVersion with a version), the
// allowed ones are deleted, and each refused one is an AccessDenied entry of
// the result.
func (g *gateway) deleteObjects(c *call, op s3Op, owner string, b *backend, bp *iampolicy.NamedPolicy, extra map[string][]string) {
	if e := g.readS3Body(c, maxSmallBody); e != nil {
		g.failWith(c, e)
		return
	}
	body := c.body
	var in deleteRequest
	if err := xml.Unmarshal(body, &in); err != nil || len(in.Objects) == 0 || len(in.Objects) > 1000 {
		g.fail(c, http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
		return
	}
	var denied []string
	allowed := in
	allowed.Objects = nil
	bv := g.bucketVersions(op.bucket)
	for i, ar := range deleteObjectsAuthz(op, owner, in, extra) {
		o := in.Objects[i]
		if o.VersionID != "" {
			kv, ok := bv.codec.decode(o.VersionID)
			if !ok {
				g.fail(c, http.StatusBadRequest, "InvalidArgument", "Invalid version id specified")
				return
			}
			if kv == nullVersion && bv.status == "" {
				kv = "" // an unversioned bucket's objects are its null versions
			}
			o.VersionID = kv
		}
		ar.resourcePolicy = bp
		res, err := g.authorize(c.r.Context(), c, ar)
		if err != nil || res.Decision != iampolicy.Allowed {
			denied = append(denied, o.Key)
			continue
		}
		allowed.Objects = append(allowed.Objects, o)
	}
	var result []byte
	var removed []removal
	if len(allowed.Objects) > 0 {
		// kumo is asked for the verbose result whatever the client asked:
		// the events need each deleted key's versions.
		allowed.Quiet = false
		newBody, _ := xml.Marshal(allowed)
		c.body = newBody
		// The checksums the client sent were for the whole request.
		for k := range c.out.header {
			if k == "Content-Md5" || strings.HasPrefix(k, "X-Amz-Checksum-") || k == "X-Amz-Sdk-Checksum-Algorithm" {
				c.out.header.Del(k)
			}
		}
		sum := md5.Sum(newBody)
		c.out.header.Set("Content-Md5", base64.StdEncoding.EncodeToString(sum[:]))
		status, out, _, err := g.proxy(c, b, rewriteNone)
		if err != nil || status/100 != 2 {
			g.fail(c, http.StatusInternalServerError, "InternalError", fmt.Sprintf("delete objects: %v (status %d)", err, status))
			return
		}
		result = deleteResultVersions(out, bv.codec)
		noVersion := map[string]bool{}
		for _, o := range allowed.Objects {
			if o.VersionID == "" {
				noVersion[o.Key] = true
			}
		}
		removed = deletedRemovals(result, bv.status != "", noVersion)
		for i, r := range removed {
			if r.marker && r.versionID == "" {
				if m, marker := latestVersion(c.r.Context(), b, op.bucket, r.key); marker {
					removed[i].versionID = bv.codec.encode(m)
				}
			}
		}
		if in.Quiet {
			result = deletedEntries.ReplaceAll(result, nil)
		}
	}
	var errs strings.Builder
	for _, k := range denied {
		fmt.Fprintf(&errs, "<Error><Key>%s</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>", xmlEscape(k))
	}
	switch {
	case result == nil:
		result = []byte(`<?xml version="1.0" encoding="UTF-8"?><DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` + errs.String() + `</DeleteResult>`)
	default:
		result = bytes.Replace(result, []byte("</DeleteResult>"), []byte(errs.String()+"</DeleteResult>"), 1)
	}
	c.w.Header().Set("Content-Type", "application/xml")
	c.w.Header().Set("Content-Length", strconv.Itoa(len(result)))
	c.w.WriteHeader(http.StatusOK)
	_, _ = c.w.Write(result)
	g.objectRemoved(c, op.bucket, owner, removed)
}

var deletedEntries = regexp.MustCompile(`(?s)<Deleted>.*?</Deleted>`)

// deletedRemovals reads what a DeleteObjects result (its version IDs as
// clients see them) says was removed: a key the request named with a
// version ID is that version gone for good (a delete marker's too); one it
// named without (noVersion), in a versioned bucket, is a new delete marker,
// whose version ID is left empty when the result does not give it (kumo
// may give it as VersionId, S3 as DeleteMarkerVersionId).
func deletedRemovals(result []byte, versioned bool, noVersion map[string]bool) []removal {
	var res struct {
		Deleted []struct {
			Key                   string
			VersionId             string
			DeleteMarker          bool
			DeleteMarkerVersionId string
		}
	}
	if err := xml.Unmarshal(result, &res); err != nil {
		return nil
	}
	out := make([]removal, 0, len(res.Deleted))
	for _, d := range res.Deleted {
		switch {
		case versioned && noVersion[d.Key]:
			v := d.DeleteMarkerVersionId
			if v == "" {
				v = d.VersionId
			}
			out = append(out, removal{key: d.Key, versionID: v, marker: true})
		default:
			out = append(out, removal{key: d.Key, versionID: d.VersionId})
		}
	}
	return out
}
