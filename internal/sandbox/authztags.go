package sandbox

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// The tag condition keys, for every served action whose reference entry
// lists them:
//   - aws:RequestTag/<k> and aws:TagKeys, from the tags the request itself
//     carries (requestTagSources: one entry per action, by the shape its
//     API gives them);
//   - aws:ResourceTag/<k>, iam:ResourceTag/<k> and s3:BucketTag/<k>, the
//     tags of the resource the request is authorized on, read only when a
//     policy of the evaluation has a condition on them (resourceTagContext).
//
// Tag key names in these condition keys are not case-sensitive in AWS
// ("aws:ResourceTag/TagKey1" matches a tag named TagKey1 or tagkey1, but
// not both): the policy engine compares condition key names in lower case,
// and a resource or request holding two tag keys that differ only in case
// is refused when a policy asks (errAmbiguousTags) rather than decided on
// one of them, since AWS does not say which.

// tagKV is one tag of a request, in the order given.
type tagKV struct{ key, value string }

// requestTagSource reads the tags a request carries. keysOnly is set for
// the requests that remove tags: they give aws:TagKeys, not
// aws:RequestTag.
type requestTagSource struct {
	read     func(c *call) ([]tagKV, error)
	keysOnly bool
	// none says why the action, though the reference lists the keys for
	// it, never carries tags in the sandbox, or which handler supplies
	// them itself.
	none string
}

// requestTagSources is, per served action that the reference gives
// aws:RequestTag or aws:TagKeys, where its tags are in the request.
// TestAuthzTableRequestTags holds it to the reference.
var requestTagSources = map[string]requestTagSource{
	"iam:CreateRole":                  {read: iamFormTags},
	"iam:CreateUser":                  {read: iamFormTags},
	"iam:CreatePolicy":                {read: iamFormTags},
	"iam:CreateInstanceProfile":       {read: iamFormTags},
	"iam:CreateOpenIDConnectProvider": {read: iamFormTags},
	"iam:CreateVirtualMFADevice":      {read: iamFormTags},
	"iam:TagRole":                     {read: iamFormTags},
	"iam:TagUser":                     {read: iamFormTags},
	"iam:TagPolicy":                   {read: iamFormTags},
	"iam:TagInstanceProfile":          {read: iamFormTags},
	"iam:TagOpenIDConnectProvider":    {read: iamFormTags},
	"iam:TagMFADevice":                {read: iamFormTags},
	"logs:TagLogGroup":                {read: jsonTagMap("tags")},
	"s3:TagResource":                  {none: "served as CreateBucket's additional authorization only (authzextra.go), which gives it the CreateBucketConfiguration's tags"},
	"sts:AssumeRole":                  {none: "sts.go supplies the session tags itself (validated first)"},
	"sts:TagSession":                  {none: "sts.go supplies the session tags itself (validated first)"},
	"lambda:CreateFunction":           {read: jsonTagMap("Tags")},
	"lambda:CreateEventSourceMapping": {read: jsonTagMap("Tags")},
	"lambda:TagResource":              {read: jsonTagMap("Tags")},
	"lambda:UntagResource":            {read: queryTagKeys("tagKeys"), keysOnly: true},
	"logs:CreateLogGroup":             {read: jsonTagMap("tags")},
	"logs:TagResource":                {read: jsonTagMap("tags")},
	"logs:UntagResource":              {read: jsonTagKeys("tagKeys"), keysOnly: true},
	"cloudtrail:CreateTrail":          {read: jsonTagList("TagsList")},
	"cloudtrail:AddTags":              {read: jsonTagList("TagsList")},
	"cloudtrail:RemoveTags":           {read: jsonTagList("TagsList"), keysOnly: true},
	"s3:CreateBucket":                 {read: createBucketTags},
	"s3:CreateJob":                    {read: createJobTags},
	"s3:DescribeJob":                  {none: "DescribeJob carries no tags (the reference lists the keys for every job action)"},
	"s3:UpdateJobPriority":            {none: "UpdateJobPriority carries no tags (the reference lists the keys for every job action)"},
	"s3:UpdateJobStatus":              {none: "UpdateJobStatus carries no tags (the reference lists the keys for every job action)"},
}

// errAmbiguousTags: two tag keys that differ only in case, where a policy
// names one of them.
var errAmbiguousTags = errors.New("two tag keys differ only in case: the sandbox does not decide which one a policy's tag key names")

// addRequestTags adds aws:RequestTag/<k> and aws:TagKeys for the tags the
// request carries. A body that does not parse is refused: a policy must
// not be escaped by a request the sandbox reads differently from kumo.
func addRequestTags(c *call, action string, ctx map[string][]string) error {
	src, ok := requestTagSources[action]
	if !ok || src.read == nil {
		return nil
	}
	tags, err := src.read(c)
	if err != nil {
		return fmt.Errorf("the tags of %s: %w: %w", action, errMalformedTags, err)
	}
	if len(tags) == 0 {
		return nil
	}
	seen := map[string]string{}
	keys := make([]string, 0, len(tags))
	for _, t := range tags {
		lk := strings.ToLower(t.key)
		if k, dup := seen[lk]; dup {
			if k != t.key {
				return errAmbiguousRequestTags
			}
			continue
		}
		seen[lk] = t.key
		keys = append(keys, t.key)
		if !src.keysOnly {
			ctx["aws:RequestTag/"+t.key] = []string{t.value}
		}
	}
	sort.Strings(keys)
	ctx["aws:TagKeys"] = keys
	return nil
}

// iamFormTags are the Tags.member.N.Key and .Value of an IAM or STS query
// request, in member order. Every member is read, numbered without gaps
// or not: a tag the sandbox did not see must not reach kumo.
func iamFormTags(c *call) ([]tagKV, error) {
	form, err := url.ParseQuery(string(c.body))
	if err != nil {
		return nil, err
	}
	type member struct {
		n   int
		tag tagKV
	}
	var ms []member
	for f, v := range form {
		rest, ok := strings.CutPrefix(f, "Tags.member.")
		if !ok {
			continue
		}
		num, field, _ := strings.Cut(rest, ".")
		n, err := strconv.Atoi(num)
		if err != nil || field != "Key" || len(v) == 0 {
			continue
		}
		ms = append(ms, member{n, tagKV{v[0], form.Get("Tags.member." + num + ".Value")}})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].n < ms[j].n })
	out := make([]tagKV, len(ms))
	for i, m := range ms {
		out[i] = m.tag
	}
	return out, nil
}

// jsonMember decodes the JSON body's member field into v; an empty body,
// a missing member and null leave v as it is.
func jsonMember(c *call, field string, v any) error {
	if len(c.body) == 0 {
		return nil
	}
	raw, ok, err := c.jsonField(field)
	if err != nil || !ok || string(raw) == "null" {
		return err
	}
	return json.Unmarshal(raw, v)
}

// jsonTagMap is a JSON body's map of tags ({"Tags":{"k":"v"}}).
func jsonTagMap(field string) func(c *call) ([]tagKV, error) {
	return func(c *call) ([]tagKV, error) {
		var m map[string]string
		if err := jsonMember(c, field, &m); err != nil {
			return nil, err
		}
		out := make([]tagKV, 0, len(m))
		for k, v := range m {
			out = append(out, tagKV{k, v})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
		return out, nil
	}
}

// jsonTagKeys is a JSON body's list of tag keys ({"tagKeys":["k"]}).
func jsonTagKeys(field string) func(c *call) ([]tagKV, error) {
	return func(c *call) ([]tagKV, error) {
		var keys []string
		if err := jsonMember(c, field, &keys); err != nil {
			return nil, err
		}
		out := make([]tagKV, len(keys))
		for i, k := range keys {
			out[i] = tagKV{key: k}
		}
		return out, nil
	}
}

// jsonTagList is a JSON body's list of {"Key","Value"} (CloudTrail).
func jsonTagList(field string) func(c *call) ([]tagKV, error) {
	return func(c *call) ([]tagKV, error) {
		var list []struct{ Key, Value string }
		if err := jsonMember(c, field, &list); err != nil {
			return nil, err
		}
		out := make([]tagKV, len(list))
		for i, t := range list {
			out[i] = tagKV{t.Key, t.Value}
		}
		return out, nil
	}
}

// queryTagKeys is a repeated query parameter of tag keys (Lambda's
// UntagResource: ?tagKeys=a&tagKeys=b).
func queryTagKeys(name string) func(c *call) ([]tagKV, error) {
	return func(c *call) ([]tagKV, error) {
		if c.r == nil || c.r.URL == nil {
			return nil, nil
		}
		q, err := url.ParseQuery(c.r.URL.RawQuery)
		if err != nil {
			return nil, err
		}
		var out []tagKV
		for _, k := range q[name] {
			out = append(out, tagKV{key: k})
		}
		return out, nil
	}
}

// createBucketConfigXML is CreateBucket's body.
type createBucketConfigXML struct {
	LocationConstraint string `xml:"LocationConstraint"`
	Tags               []struct {
		Key   string `xml:"Key"`
		Value string `xml:"Value"`
	} `xml:"Tags>Tag"`
}

func parseCreateBucketConfig(body []byte) (createBucketConfigXML, error) {
	var in createBucketConfigXML
	if len(strings.TrimSpace(string(body))) == 0 {
		return in, nil
	}
	err := xml.Unmarshal(body, &in)
	return in, err
}

func createBucketTags(c *call) ([]tagKV, error) {
	in, err := parseCreateBucketConfig(c.body)
	if err != nil {
		return nil, err
	}
	out := make([]tagKV, len(in.Tags))
	for i, t := range in.Tags {
		out[i] = tagKV{t.Key, t.Value}
	}
	return out, nil
}

// locationConstraint is s3:locationconstraint: CreateBucket's
// LocationConstraint ("" when the body names none, as for us-east-1).
func locationConstraint(c *call) string {
	in, err := parseCreateBucketConfig(c.body)
	if err != nil {
		return ""
	}
	return in.LocationConstraint
}

// createJobTags are CreateJob's Tags: the API reference spells the members
// S3Tag, the SDKs send member; both are read.
func createJobTags(c *call) ([]tagKV, error) {
	type tag struct {
		Key   string `xml:"Key"`
		Value string `xml:"Value"`
	}
	var in struct {
		S3Tag  []tag `xml:"Tags>S3Tag"`
		Member []tag `xml:"Tags>member"`
	}
	if len(c.body) == 0 {
		return nil, nil
	}
	if err := xml.Unmarshal(c.body, &in); err != nil {
		return nil, err
	}
	var out []tagKV
	for _, t := range append(in.S3Tag, in.Member...) {
		out = append(out, tagKV{t.Key, t.Value})
	}
	return out, nil
}

// objectCreationOperation is s3:ObjectCreationOperation: the API operation
// of a request authorized as s3:PutObject.
func objectCreationOperation(c *call) string {
	if c.r == nil || c.r.URL == nil {
		return ""
	}
	q := c.r.URL.Query()
	_, uploadID := q["uploadId"]
	_, uploads := q["uploads"]
	copied := c.r.Header.Get("X-Amz-Copy-Source") != ""
	switch c.r.Method {
	case "PUT":
		switch {
		case uploadID && copied:
			return "UploadPartCopy"
		case uploadID:
			return "UploadPart"
		case copied:
			return "CopyObject"
		}
		return "PutObject"
	case "POST":
		switch {
		case uploads:
			return "CreateMultipartUpload"
		case uploadID:
			return "CompleteMultipartUpload"
		}
	}
	return ""
}

// tagTarget is the resource whose tags aws:ResourceTag names: the kind of
// resource, the account that holds it and its name there.
type tagTarget struct {
	kind    string // the reference's resource type, as the ARN spells it
	account string
	name    string
}

// knownTagKinds are the resource kinds whose tags the sandbox keeps
// (readTags reads them). Any other kind a served action may be authorized
// on (an OpenID Connect provider or MFA device, whose tags kumo or the
// sandbox drop; an event source mapping or a Batch Operations job; the
// kinds of the reference the sandbox does not serve) has its evaluation
// refused when a policy asks for its tags, never decided as if the
// resource were untagged.
var knownTagKinds = map[string]bool{
	"bucket": true, "role": true, "user": true, "policy": true, "instance-profile": true,
	"function": true, "log-group": true, "trail": true,
}

// errUnknownResourceTags: the evaluation needs the tags of a resource
// whose tags the sandbox does not keep.
var errUnknownResourceTags = errors.New("the sandbox does not keep the tags of this kind of resource")

// parseTagTarget works out, from the ARN a request is authorized on, the
// resource whose tags it carries. S3 ARNs name no account: the bucket's
// owner (resourceAccount) holds it, and an object's request carries its
// bucket's tags. A log stream carries its group's.
func parseTagTarget(arn, resourceAccount string) (tagTarget, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return tagTarget{}, false
	}
	svc, account, res := parts[2], parts[4], parts[5]
	switch svc {
	case "s3":
		if account == "" {
			bucket, _, _ := strings.Cut(res, "/")
			return tagTarget{"bucket", resourceAccount, bucket}, bucket != "" && bucket != "*"
		}
		kind, rest, _ := strings.Cut(res, "/")
		return tagTarget{kind, account, rest}, true
	case "iam":
		kind, rest, ok := strings.Cut(res, "/")
		if !ok {
			return tagTarget{}, false
		}
		switch kind {
		case "policy":
			return tagTarget{kind, account, arn}, true
		case "role", "user", "instance-profile", "mfa", "group":
			return tagTarget{kind, account, rest[strings.LastIndexByte(rest, '/')+1:]}, true
		}
		return tagTarget{kind, account, rest}, true
	case "lambda":
		kind, rest, _ := strings.Cut(res, ":")
		if kind == "function" {
			rest, _, _ = strings.Cut(rest, ":") // the qualifier: the function's tags
		}
		return tagTarget{kind, account, rest}, rest != ""
	case "logs":
		kind, rest, _ := strings.Cut(res, ":")
		if kind == "log-group" {
			rest, _, _ = strings.Cut(rest, ":") // ":*", ":log-stream:S": the group's tags
		}
		return tagTarget{kind, account, rest}, rest != ""
	case "cloudtrail":
		kind, rest, ok := strings.Cut(res, "/")
		return tagTarget{kind, account, rest}, ok
	}
	return tagTarget{}, false
}

// tagReader reads the tags of a resource: nil (and no error) for a
// resource that does not exist, errUnknownResourceTags for a kind whose
// tags the sandbox does not keep.
type tagReader func(ctx context.Context, t tagTarget) (map[string]string, error)

// resourceTagFamilies are the condition keys that name the tags of the
// resource a request acts on.
var resourceTagFamilies = []string{"aws:ResourceTag/${TagKey}", "iam:ResourceTag/${TagKey}", "s3:BucketTag/${TagKey}"}

// resourceTagContext is the lazy context of the tags of the resource an
// action is authorized on, for the families the reference lists for it;
// nil when it lists none or the resource names no taggable resource.
func resourceTagContext(families *tagFamilies, arn, resourceAccount string, read tagReader) *lazyContext {
	if families == nil || len(families.keys) == 0 {
		return nil
	}
	t, ok := parseTagTarget(arn, resourceAccount)
	if !ok {
		return nil
	}
	return &lazyContext{prefixes: families.prefixes, load: func(ctx context.Context) (map[string][]string, error) {
		if !knownTagKinds[t.kind] {
			return nil, fmt.Errorf("%w (%s)", errUnknownResourceTags, t.kind)
		}
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		tags, err := read(ctx, t)
		if err != nil {
			return nil, err
		}
		out := make(map[string][]string, len(tags)*len(families.keys))
		seen := map[string]bool{}
		for k, v := range tags {
			lk := strings.ToLower(k)
			if seen[lk] {
				return nil, errAmbiguousTags
			}
			seen[lk] = true
			for _, f := range families.keys {
				out[strings.TrimSuffix(f, "${TagKey}")+k] = []string{v}
			}
		}
		return out, nil
	}}
}

// tagFamilies are the resource tag keys an action takes, with the
// lower-case prefixes a policy's condition on them begins with, worked out
// once per action (authzTable).
type tagFamilies struct {
	keys     []string // as the reference spells them: aws:ResourceTag/${TagKey}
	prefixes []string // aws:resourcetag/
}

func newTagFamilies(keys []string) *tagFamilies {
	f := &tagFamilies{keys: keys, prefixes: make([]string, len(keys))}
	for i, k := range keys {
		f.prefixes[i] = strings.ToLower(strings.TrimSuffix(k, "${TagKey}"))
	}
	return f
}

// readTags is the gateway's tagReader: each kind from where the sandbox
// keeps it (kumo, or its own state for trails).
func (g *gateway) readTags(ctx context.Context, t tagTarget) (map[string]string, error) {
	if t.kind == "trail" {
		return g.trailTags(t), nil
	}
	b := g.sb.accounts[t.account]
	if b == nil {
		return nil, nil // not a sandbox account: no such resource
	}
	absent := func(err error) bool {
		var ae smithy.APIError
		if !errors.As(err, &ae) {
			return false
		}
		switch ae.ErrorCode() {
		case "NoSuchEntity", "NoSuchBucket", "NoSuchTagSet", "NoSuchTagSetError", "ResourceNotFoundException", "NotFound":
			return true
		}
		return false
	}
	out := map[string]string{}
	var err error
	switch t.kind {
	case "bucket":
		var r *s3.GetBucketTaggingOutput
		if r, err = b.s3.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(t.name)}); err == nil {
			for _, tg := range r.TagSet {
				out[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
			}
		}
	case "role":
		var r *iam.GetRoleOutput
		if r, err = b.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(t.name)}); err == nil {
			out = iamTagMap(r.Role.Tags)
		}
	case "user":
		var r *iam.GetUserOutput
		if r, err = b.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(t.name)}); err == nil {
			out = iamTagMap(r.User.Tags)
		}
	case "policy":
		if isAWSManagedARN(t.name) {
			return nil, nil // AWS managed policies carry no tags
		}
		var r *iam.GetPolicyOutput
		if r, err = b.iam.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(strings.Replace(t.name, ":"+t.account+":", ":"+kumoIAMAccount+":", 1))}); err == nil {
			out = iamTagMap(r.Policy.Tags)
		}
	case "instance-profile":
		var r *iam.GetInstanceProfileOutput
		if r, err = b.iam.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(t.name)}); err == nil {
			out = iamTagMap(r.InstanceProfile.Tags)
		}
	case "function":
		var r *lambda.ListTagsOutput
		arn := fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", g.sb.Region, kumoOtherAccount, t.name)
		if r, err = b.lambda.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(arn)}); err == nil {
			out = r.Tags
		}
	case "log-group":
		var r *cloudwatchlogs.ListTagsLogGroupOutput
		//lint:ignore SA1019 kumo answers ListTagsLogGroup by name; the ARN form needs its account rewritten
		if r, err = b.logs.ListTagsLogGroup(ctx, &cloudwatchlogs.ListTagsLogGroupInput{LogGroupName: aws.String(t.name)}); err == nil {
			out = r.Tags
		}
	default:
		return nil, fmt.Errorf("%w (%s)", errUnknownResourceTags, t.kind)
	}
	if err != nil {
		if absent(err) {
			return nil, nil
		}
		return nil, err
	}
	return out, nil
}

func (g *gateway) trailTags(t tagTarget) map[string]string {
	if g.trail == nil {
		return nil
	}
	ct := g.trail
	ct.mu.Lock()
	defer ct.mu.Unlock()
	tr := ct.trails[t.account+"/"+t.name]
	if tr == nil {
		return nil
	}
	out := make(map[string]string, len(tr.Tags))
	for _, tg := range tr.Tags {
		out[tg.Key] = tg.Value
	}
	return out
}

// eventSourceMappingFunction is lambda:FunctionArn for the event source
// mapping actions: the function a Create or Update names (FunctionName, a
// name, partial ARN or ARN), else the function of the existing mapping.
func (g *gateway) eventSourceMappingFunction(c *call, ar authzRequest) *lazyContext {
	switch ar.action {
	case "lambda:CreateEventSourceMapping", "lambda:UpdateEventSourceMapping", "lambda:GetEventSourceMapping", "lambda:DeleteEventSourceMapping":
	default:
		return nil
	}
	p := c.principal()
	if p == nil {
		return nil
	}
	var in struct{ FunctionName string }
	_ = json.Unmarshal(c.body, &in)
	uuid := ""
	if i := strings.LastIndex(ar.resource, ":event-source-mapping:"); i >= 0 {
		uuid = ar.resource[i+len(":event-source-mapping:"):]
	}
	return &lazyContext{prefixes: []string{"lambda:functionarn"}, load: func(ctx context.Context) (map[string][]string, error) {
		fn := in.FunctionName
		if fn == "" && uuid != "" {
			b := g.sb.accounts[p.Account]
			if b == nil {
				return nil, nil
			}
			out, err := b.lambda.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(uuid)})
			if err != nil {
				var ae smithy.APIError
				if errors.As(err, &ae) && ae.ErrorCode() == "ResourceNotFoundException" {
					return nil, nil
				}
				return nil, err
			}
			fn = strings.Replace(aws.ToString(out.FunctionArn), ":"+kumoOtherAccount+":", ":"+p.Account+":", 1)
		}
		if fn == "" {
			return nil, nil
		}
		return map[string][]string{"lambda:FunctionArn": {g.qualifiedFunctionARN(p.Account, fn)}}, nil
	}}
}

// qualifiedFunctionARN is the ARN a FunctionName names: a name, a partial
// ARN (account:function:name) or an ARN, with its qualifier if any.
func (g *gateway) qualifiedFunctionARN(account, fn string) string {
	switch {
	case strings.HasPrefix(fn, "arn:"):
		return fn
	case strings.Contains(fn, ":function:"):
		return "arn:aws:lambda:" + g.sb.Region + ":" + fn
	}
	return g.functionARN(account, fn)
}

// iamTagMap is an IAM entity's tags by key.
func iamTagMap(tags []iamtypes.Tag) map[string]string {
	out := make(map[string]string, len(tags))
	for _, tg := range tags {
		out[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	return out
}
