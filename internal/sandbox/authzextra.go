package sandbox

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"

	"github.com/xacct/xacct/internal/iampolicy"
)

// The additional authorizations: what AWS authorizes, besides a request's
// own action, because of a parameter the request sets. gateway.authorize
// performs them once the request's own action is allowed, so no handler
// can forget one; a refusal names the additional action and its resource,
// as AWS's does ("... is not authorized to perform: iam:TagRole on
// resource: ...", the error of a CreateRole with Tags by a caller without
// iam:TagRole).
//
// Each entry cites where AWS documents it:
//   - iam:PassRole for a request that sets a role a service assumes ("Grant
//     a user permissions to pass a role to an AWS service", IAM User Guide;
//     "Granting permissions for Batch Operations", S3 User Guide);
//   - tagging on create: the tag action of the resource created with tags —
//     IAM's CreateRole/CreateUser/CreatePolicy/… with Tags (AWS answers
//     a CreateRole with Tags by a caller without iam:TagRole with an
//     AccessDenied naming iam:TagRole on the new role), Lambda's
//     CreateFunction with Tags ("lambda:TagResource – … anyone who needs to
//     call TagResource or perform a tag on create", Lambda Developer Guide),
//     CloudWatch Logs' CreateLogGroup with tags ("you must have either the
//     logs:TagResource or logs:TagLogGroup permission", CreateLogGroup API),
//     S3's CreateBucket with CreateBucketConfiguration Tags ("You must have
//     the s3:TagResource permission to create a general purpose bucket with
//     tags", CreateBucketConfiguration API);
//   - S3's conditional permissions of PutObject ("s3:PutObjectAcl – to
//     change the object's ACL of your PutObject request"; "s3:PutObjectTagging
//     – to set the tag-set with your PutObject request", PutObject API),
//     applied to every request S3 authorizes as s3:PutObject that sets the
//     new object's tags or ACL (CreateMultipartUpload, CopyObject with
//     x-amz-tagging-directive REPLACE), and of CreateBucket ("if you specify
//     an ACL … other than private, both s3:CreateBucket and s3:PutBucketAcl
//     are required"; "If your CreateBucket request includes the
//     x-amz-object-ownership header, then the s3:PutBucketOwnershipControls
//     permission is required", CreateBucket API).
//
// Considered and left out, for want of an AWS document that asks for them:
// cloudtrail:AddTags for a CreateTrail with TagsList, s3:PutJobTagging for
// a CreateJob with Tags (the Batch Operations guide controls tagging on
// create through s3:CreateJob's own aws:RequestTag, which the sandbox
// supplies), lambda:TagResource for a CreateEventSourceMapping with Tags.
// TestAdditionalAuthzTable holds the table to the reference.

// additional is one additional authorization.
type additional struct {
	// actions are authorized on the resource; any one of them suffices
	// (CreateLogGroup: logs:TagResource or logs:TagLogGroup). A refusal
	// names the first.
	actions []string
	// due reads the request: whether the authorization is due, and on
	// what. A body that does not parse is no reason for one: the
	// handler refuses it itself.
	due func(c *call, ar authzRequest) (extraAuthz, bool)
}

// extraAuthz is an additional authorization that is due: its resource
// ("" for the request's own), the account that holds it, and the
// condition keys it adds to those of the request's that the additional
// action takes.
type extraAuthz struct {
	resource, account string
	context           map[string][]string
}

// additionalAuthz is the table, by the action of the request.
var additionalAuthz = map[string][]additional{
	"lambda:CreateFunction":              {passRoleTo("lambda.amazonaws.com", jsonRole), tagOnCreate(jsonHasField("Tags"), "lambda:TagResource")},
	"lambda:UpdateFunctionConfiguration": {passRoleTo("lambda.amazonaws.com", jsonRole)},
	"s3:CreateJob":                       {passRoleTo("batchoperations.s3.amazonaws.com", createJobRole)},

	"iam:CreateRole":                  {tagOnCreate(iamHasTags, "iam:TagRole")},
	"iam:CreateUser":                  {tagOnCreate(iamHasTags, "iam:TagUser")},
	"iam:CreatePolicy":                {tagOnCreate(iamHasTags, "iam:TagPolicy")},
	"iam:CreateInstanceProfile":       {tagOnCreate(iamHasTags, "iam:TagInstanceProfile")},
	"iam:CreateOpenIDConnectProvider": {tagOnCreate(iamHasTags, "iam:TagOpenIDConnectProvider")},
	"iam:CreateVirtualMFADevice":      {tagOnCreate(iamHasTags, "iam:TagMFADevice")},
	"logs:CreateLogGroup":             {tagOnCreate(jsonHasField("tags"), "logs:TagResource", "logs:TagLogGroup")},

	"s3:CreateBucket": {
		tagOnCreate(createBucketHasTags, "s3:TagResource"),
		{actions: []string{"s3:PutBucketAcl"}, due: whenRequest(setsBucketACL)},
		{actions: []string{"s3:PutBucketOwnershipControls"}, due: whenRequest(func(c *call) bool { return c.r != nil && c.r.Header.Get("X-Amz-Object-Ownership") != "" })},
	},
	"s3:PutObject": {
		{actions: []string{"s3:PutObjectTagging"}, due: whenRequest(setsObjectTags)},
		{actions: []string{"s3:PutObjectAcl"}, due: whenRequest(setsObjectACL)},
	},
}

// passRoles are the actions whose requests pass a role (lambda.go asks).
var passRoles = func() map[string]bool {
	out := map[string]bool{}
	for action, as := range additionalAuthz {
		for _, a := range as {
			if a.actions[0] == "iam:PassRole" {
				out[action] = true
			}
		}
	}
	return out
}()

// passRoleTo is iam:PassRole on the role the request sets (role reads it;
// "" when it sets none), with iam:PassedToService the service that will
// assume it and iam:AssociatedResourceArn the resource the role is for
// (none while that resource has no ARN yet, as a job being created).
func passRoleTo(service string, role func(c *call) (string, error)) additional {
	return additional{actions: []string{"iam:PassRole"}, due: func(c *call, ar authzRequest) (extraAuthz, bool) {
		arn, err := role(c)
		if err != nil || arn == "" {
			return extraAuthz{}, false
		}
		account := ""
		if p := c.principal(); p != nil {
			account = p.Account
		}
		keys := map[string][]string{"iam:PassedToService": {service}}
		if ar.resource != "*" {
			keys["iam:AssociatedResourceArn"] = []string{ar.resource}
		}
		return extraAuthz{resource: arn, account: roleAccountOf(arn, account), context: keys}, true
	}}
}

// tagOnCreate is the tag action of the resource a request creates, when
// the request carries tags; it receives the request's aws:RequestTag and
// aws:TagKeys.
func tagOnCreate(hasTags func(c *call) bool, actions ...string) additional {
	return additional{actions: actions, due: whenRequest(hasTags)}
}

// whenRequest is an additional authorization on the request's own
// resource, due when the request says so.
func whenRequest(when func(c *call) bool) func(c *call, ar authzRequest) (extraAuthz, bool) {
	return func(c *call, ar authzRequest) (extraAuthz, bool) {
		if !when(c) {
			return extraAuthz{}, false
		}
		return extraAuthz{account: ar.resourceAccount}, true
	}
}

// jsonRole is Lambda's Role parameter.
func jsonRole(c *call) (string, error) {
	if len(c.body) == 0 {
		return "", nil
	}
	raw, ok, err := c.jsonField("Role")
	if err != nil {
		return "", err
	}
	var role string
	if ok {
		if err := json.Unmarshal(raw, &role); err != nil {
			return "", err
		}
	}
	return role, nil
}

// createJobRole is S3 Batch Operations' RoleArn.
func createJobRole(c *call) (string, error) {
	var in struct{ RoleArn string }
	if err := xml.Unmarshal(c.body, &in); err != nil {
		return "", err
	}
	return in.RoleArn, nil
}

// jsonHasField: a JSON body sets field to a non-empty object.
func jsonHasField(field string) func(c *call) bool {
	return func(c *call) bool {
		raw, ok, err := c.jsonField(field)
		if err != nil || !ok {
			return false
		}
		var m map[string]json.RawMessage
		return json.Unmarshal(raw, &m) == nil && len(m) > 0
	}
}

// iamHasTags: an IAM query request carries a tag.
func iamHasTags(c *call) bool {
	form, err := url.ParseQuery(string(c.body))
	if err != nil {
		return false
	}
	for k := range form {
		if strings.HasPrefix(k, "Tags.member.") {
			return true
		}
	}
	return false
}

func createBucketHasTags(c *call) bool {
	in, err := parseCreateBucketConfig(c.body)
	return err == nil && len(in.Tags) > 0
}

// aclHeaders are the headers that set an ACL.
var aclHeaders = []string{"X-Amz-Acl", "X-Amz-Grant-Full-Control", "X-Amz-Grant-Read", "X-Amz-Grant-Read-Acp", "X-Amz-Grant-Write", "X-Amz-Grant-Write-Acp"}

func setsACL(h http.Header) bool {
	for _, k := range aclHeaders {
		if h.Get(k) != "" {
			return true
		}
	}
	return false
}

// setsBucketACL: a CreateBucket that sets an ACL other than private.
func setsBucketACL(c *call) bool {
	if c.r == nil {
		return false
	}
	h := c.r.Header
	if acl := h.Get("X-Amz-Acl"); acl != "" && acl != "private" {
		return true
	}
	for _, k := range aclHeaders[1:] {
		if h.Get(k) != "" {
			return true
		}
	}
	return false
}

// setsObjectACL: a request authorized as s3:PutObject that sets the new
// object's ACL (PutObject, CreateMultipartUpload, CopyObject).
func setsObjectACL(c *call) bool {
	switch objectCreationOperation(c) {
	case "PutObject", "CreateMultipartUpload", "CopyObject":
		h := c.r.Header
		if h.Get("X-Amz-Acl") == "bucket-owner-full-control" && !setsACL(withoutCannedACL(h)) {
			// The canned ACL that gives the bucket owner the object is
			// asked for with s3:PutObject alone: AWS's own example
			// ("Requiring the bucket-owner-full-control canned ACL")
			// grants the uploader s3:PutObject conditioned on
			// s3:x-amz-acl, and CloudTrail's, Lambda's and every log
			// delivery's documented bucket policy is just that.
			return false
		}
		return setsACL(h)
	}
	return false
}

// withoutCannedACL is h without its x-amz-acl.
func withoutCannedACL(h http.Header) http.Header {
	h = h.Clone()
	h.Del("X-Amz-Acl")
	return h
}

// setsObjectTags: a request authorized as s3:PutObject that sets the new
// object's tags: PutObject and CreateMultipartUpload with x-amz-tagging,
// CopyObject with x-amz-tagging-directive REPLACE and x-amz-tagging (a
// copy otherwise keeps the source's tags).
func setsObjectTags(c *call) bool {
	if c.r == nil || c.r.Header.Get("X-Amz-Tagging") == "" {
		return false
	}
	switch objectCreationOperation(c) {
	case "PutObject", "CreateMultipartUpload":
		return true
	case "CopyObject":
		return strings.EqualFold(c.r.Header.Get("X-Amz-Tagging-Directive"), "REPLACE")
	}
	return false
}

// refusal is how a request is refused instead of an access denial of its
// own action on its own resource: the denial of an additional
// authorization, or a request the sandbox answers with AWS's error
// before any policy decides (err).
type refusal struct {
	action, resource string
	err              *apiError
}

// authorizeAdditional performs the additional authorizations due for a
// request whose own action ar was allowed. On a denial it records the
// refusal on the call (gateway.deny answers it) and returns that
// decision.
func (g *gateway) authorizeAdditional(ctx context.Context, c *call, ar authzRequest, requestKeys map[string][]string) (iampolicy.Result, error) {
	for _, a := range additionalAuthz[ar.action] {
		due, ok := a.due(c, ar)
		if !ok {
			continue
		}
		resource, policy := due.resource, (*iampolicy.NamedPolicy)(nil)
		if resource == "" {
			resource, policy = ar.resource, ar.resourcePolicy
		}
		var first iampolicy.Result
		allowed := false
		for i, action := range a.actions {
			keys := additionalKeys(action, requestKeys, due.context)
			res, err := g.authorize(ctx, c, authzRequest{action: action, resource: resource, resourceAccount: due.account, context: keys, resourcePolicy: policy})
			if err != nil {
				return res, err
			}
			if i == 0 {
				first = res
			}
			if res.Decision == iampolicy.Allowed {
				allowed = true
				break
			}
		}
		if !allowed {
			c.refusal = &refusal{action: a.actions[0], resource: resource}
			return first, nil
		}
	}
	return iampolicy.Result{Decision: iampolicy.Allowed}, nil
}

// additionalKeys are the condition keys of the request that the additional
// action takes too (global keys, and those its reference entry lists:
// the tags of a create, an object's request tags), with the entry's own.
func additionalKeys(action string, requestKeys, own map[string][]string) map[string][]string {
	out := map[string][]string{}
	var listed []string
	if a := authzTable()[action]; a != nil {
		listed = a.ref.keys
	}
	for k, v := range requestKeys {
		if strings.HasPrefix(k, "aws:") || takesKey(listed, k) {
			out[k] = v
		}
	}
	for k, v := range own {
		out[k] = v
	}
	return out
}

// takesKey: the reference's keys (with ${TagKey} and <key> families)
// include key.
func takesKey(listed []string, key string) bool {
	for _, l := range listed {
		if prefix, ok := strings.CutSuffix(l, "${TagKey}"); ok && strings.HasPrefix(key, prefix) {
			return true
		}
		if prefix, ok := strings.CutSuffix(l, "<key>"); ok && strings.HasPrefix(key, prefix) {
			return true
		}
		if l == key {
			return true
		}
	}
	return false
}
