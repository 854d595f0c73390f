package sandbox

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/xacct/xacct/internal/iampolicy"
)

// existingObjectTagActions are the actions for which the Service
// Authorization Reference (Amazon S3's "Actions defined by Amazon S3" table)
// lists the condition key s3:ExistingObjectTag/${TagKey}: the requests on an
// existing object. PutObject and DeleteObject do not carry it (S3 user
// guide, "Tagging and access control policies").
var existingObjectTagActions = map[string]bool{
	"s3:GetObject":                      true,
	"s3:GetObjectVersion":               true,
	"s3:GetObjectAcl":                   true,
	"s3:GetObjectVersionAcl":            true,
	"s3:GetObjectAttributes":            true,
	"s3:GetObjectVersionAttributes":     true,
	"s3:GetObjectTagging":               true,
	"s3:GetObjectVersionTagging":        true,
	"s3:PutObjectAcl":                   true,
	"s3:PutObjectVersionAcl":            true,
	"s3:PutObjectTagging":               true,
	"s3:PutObjectVersionTagging":        true,
	"s3:DeleteObjectTagging":            true,
	"s3:DeleteObjectVersionTagging":     true,
	"s3:GetObjectLegalHold":             true,
	"s3:GetObjectRetention":             true,
	"s3:PutObjectLegalHold":             true,
	"s3:PutObjectRetention":             true,
	"s3:GetObjectTorrent":               true,
	"s3:GetObjectVersionTorrent":        true,
	"s3:GetObjectVersionForReplication": true,
}

// existingObjectTagKey is the prefix of the context keys an object's tags
// give, lower-cased as the policy engine compares keys.
const existingObjectTagKey = "s3:existingobjecttag/"

// lazyContext is context a request carries only when some policy in its
// evaluation has a condition on a key beginning one of prefixes: reading
// it costs a call to kumo.
type lazyContext struct {
	prefixes []string // lower case
	load     func(ctx context.Context) (map[string][]string, error)
}

// mentions reports whether any policy of the request has a condition on a
// key beginning prefix (lower case).
func mentions(req *iampolicy.Request, prefix string) bool {
	return mentionsAny(req, []string{prefix})
}

// mentionsAny reports whether any policy of the request has a condition on
// a key beginning one of prefixes (lower case), in one pass.
func mentionsAny(req *iampolicy.Request, prefixes []string) bool {
	check := func(np *iampolicy.NamedPolicy) bool {
		if np == nil || np.Policy == nil {
			return false
		}
		for i := range np.Policy.Statements {
			for _, c := range np.Policy.Statements[i].Conditions {
				for _, prefix := range prefixes {
					if len(c.Key) >= len(prefix) && strings.EqualFold(c.Key[:len(prefix)], prefix) {
						return true
					}
				}
			}
		}
		return false
	}
	for i := range req.IdentityPolicies {
		if check(&req.IdentityPolicies[i]) {
			return true
		}
	}
	return check(req.ResourcePolicy) || check(req.PermissionsBoundary) || check(req.SessionPolicy)
}

// errUnknownTags is a request on an older version of an object whose
// evaluation needs that version's tags: kumo keeps the tags of an object's
// current version only, so the gateway refuses rather than decide without
// them (a Deny on a tag must not be escaped by naming an old version).
var errUnknownTags = errors.New("the tags of a noncurrent object version are not known to the sandbox")

// existingObjectTags is the lazy context of a request on an existing
// object: s3:ExistingObjectTag/<key> for each tag of the object (of the
// version asked for, kumo's version ID), read from the owner's kumo. An
// object that does not exist has no tags; kumo then answers the request
// itself as it should.
func (g *gateway) existingObjectTags(action, bucket, key, version string, b *backend) *lazyContext {
	if !existingObjectTagActions[action] || key == "" {
		return nil
	}
	return &lazyContext{prefixes: []string{existingObjectTagKey}, load: func(ctx context.Context) (map[string][]string, error) {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if version != "" {
			if cur, marker := latestVersion(ctx, b, bucket, key); marker || cur != version {
				return nil, errUnknownTags
			}
		}
		out, err := b.s3.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		var ae smithy.APIError
		if errors.As(err, &ae) {
			switch ae.ErrorCode() {
			case "NoSuchKey", "NoSuchVersion", "NotFound", "MethodNotAllowed":
				return nil, nil
			}
		}
		if err != nil {
			return nil, err
		}
		tags := make(map[string][]string, len(out.TagSet))
		for _, t := range out.TagSet {
			tags["s3:ExistingObjectTag/"+aws.ToString(t.Key)] = []string{aws.ToString(t.Value)}
		}
		return tags, nil
	}}
}

// kumoVersion is the kumo version ID a request's versionId names ("" for
// none, or for an unversioned bucket's null version).
func (g *gateway) kumoVersion(bucket string, q url.Values) (string, bool) {
	v, ok := q["versionId"]
	if !ok || len(v) == 0 || v[0] == "" {
		return "", true
	}
	bv := g.bucketVersions(bucket)
	kv, valid := bv.codec.decode(v[0])
	if !valid {
		return "", false
	}
	if kv == nullVersion && bv.status == "" {
		return "", true
	}
	return kv, true
}

// requestObjectTags adds the tags a request sets on the object it writes
// (x-amz-tagging, URL-encoded) as s3:RequestObjectTag/<key> and
// s3:RequestObjectTagKeys.
func requestObjectTags(h http.Header, extra map[string][]string) *apiError {
	raw, ok := h["X-Amz-Tagging"]
	if !ok {
		return nil
	}
	bad := &apiError{http.StatusBadRequest, "InvalidArgument", "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates."}
	if len(raw) != 1 {
		return bad
	}
	tags, err := url.ParseQuery(raw[0])
	if err != nil {
		return bad
	}
	set := make(map[string]string, len(tags))
	for k, vs := range tags {
		if len(vs) != 1 || k == "" {
			return bad
		}
		set[k] = vs[0]
	}
	addObjectTags(set, extra)
	return nil
}

// taggingBodyTags adds the tags a PutObjectTagging body sets (its TagSet)
// as s3:RequestObjectTag/<key> and s3:RequestObjectTagKeys, which the
// reference lists for PutObjectTagging and PutObjectVersionTagging (S3
// User Guide, "Tagging and access control policies": a policy can limit
// the tags a user may add to an object). A body that does not parse, or
// names a key twice, is refused as S3 refuses it: the gateway must not
// decide on tags other than those kumo sets.
func taggingBodyTags(body []byte, extra map[string][]string) *apiError {
	var in struct {
		TagSet []struct{ Key, Value string } `xml:"TagSet>Tag"`
	}
	if err := xml.Unmarshal(body, &in); err != nil {
		return &apiError{http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema"}
	}
	set := make(map[string]string, len(in.TagSet))
	for _, t := range in.TagSet {
		if _, dup := set[t.Key]; dup {
			return &apiError{http.StatusBadRequest, "InvalidTag", "Cannot provide multiple Tags with the same key"}
		}
		set[t.Key] = t.Value
	}
	addObjectTags(set, extra)
	return nil
}

// addObjectTags adds tags as s3:RequestObjectTag/<key> and, when there are
// any, s3:RequestObjectTagKeys (sorted).
func addObjectTags(tags map[string]string, extra map[string][]string) {
	keys := make([]string, 0, len(tags))
	for k, v := range tags {
		extra["s3:RequestObjectTag/"+k] = []string{v}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) > 0 {
		extra["s3:RequestObjectTagKeys"] = keys
	}
}

// setsObjectTagging tells the requests whose body is the object's new tag
// set: it is read before they are authorized (taggingBodyTags).
func setsObjectTagging(action string) bool {
	return action == "s3:PutObjectTagging" || action == "s3:PutObjectVersionTagging"
}
