package sandbox

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xacct/xacct/internal/iampolicy"
)

// TestAdditionalAuthzTable holds the table to the reference: each request
// action and each additional action is served; an additional action has
// no additional authorizations of its own; the resource it is authorized
// on is one of its resource types.
func TestAdditionalAuthzTable(t *testing.T) {
	t.Parallel()
	served := map[string]bool{}
	for svc, names := range servedActions {
		for _, n := range strings.Fields(names) {
			served[svc+":"+n] = true
		}
	}
	n := 0
	for action, as := range additionalAuthz {
		if !served[action] {
			t.Errorf("%s has additional authorizations but is not served", action)
		}
		for _, a := range as {
			for _, extra := range a.actions {
				n++
				if !served[extra] || authzTable()[extra] == nil {
					t.Errorf("%s: its additional %s is not served", action, extra)
					continue
				}
				if len(additionalAuthz[extra]) > 0 {
					t.Errorf("%s: its additional %s has additional authorizations of its own", action, extra)
				}
				resource := sampleResource(action)
				if extra == "iam:PassRole" {
					resource = "arn:aws:iam::222222222222:role/r"
				}
				if err := checkAuthzContext(nil, authzRequest{action: extra, resource: resource}, map[string][]string{}); err != nil {
					t.Errorf("%s: its additional %s on %s: %v", action, extra, resource, err)
				}
			}
		}
	}
	t.Logf("%d additional authorizations over %d actions", n, len(additionalAuthz))
}

// sampleResource is a resource of the action's first resource type.
func sampleResource(action string) string {
	ra := authzReference()[action]
	if ra == nil || len(ra.resources) == 0 {
		return "*"
	}
	return ra.resources[0].arn.sample(map[string]string{"Partition": "aws", "Region": "us-east-1", "Account": "222222222222"})
}

// TestPassRoleReadsTheRole: each request that passes a role reads it from
// the request as the service's API names it.
func TestPassRoleReadsTheRole(t *testing.T) {
	t.Parallel()
	const role = "arn:aws:iam::222222222222:role/r"
	cases := map[string][]byte{
		"lambda:CreateFunction":              []byte(`{"FunctionName":"f","Role":"` + role + `"}`),
		"lambda:UpdateFunctionConfiguration": []byte(`{"Role":"` + role + `","Timeout":3}`),
		"s3:CreateJob":                       []byte(`<CreateJobRequest xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/"><RoleArn>` + role + `</RoleArn></CreateJobRequest>`),
	}
	if len(cases) != len(passRoles) {
		t.Fatalf("%d actions pass a role, the test has %d", len(passRoles), len(cases))
	}
	for action, body := range cases {
		c := &call{body: body, cred: &credential{Principal: principal{Account: "222222222222"}}}
		var due []extraAuthz
		for _, a := range additionalAuthz[action] {
			if a.actions[0] == "iam:PassRole" {
				if d, ok := a.due(c, authzRequest{action: action, resource: "*"}); ok {
					due = append(due, d)
				}
			}
		}
		if len(due) != 1 || due[0].resource != role || due[0].account != "222222222222" || len(due[0].context["iam:PassedToService"]) != 1 {
			t.Errorf("%s: %+v", action, due)
		}
	}
	c := &call{body: []byte(`{"Timeout":3}`)}
	if _, ok := additionalAuthz["lambda:UpdateFunctionConfiguration"][0].due(c, authzRequest{}); ok {
		t.Error("a configuration without Role passes a role")
	}
	// The role kumo's decoder takes (any case, the last one) is the one
	// checked: no spelling or repetition hides it.
	for body, want := range map[string]string{
		`{"role":"` + role + `"}`: role,
		`{"ROLE":"` + role + `"}`: role,
		`{"Role":"arn:aws:iam::222222222222:role/ok","role":"` + role + `"}`: role,
		`{"Role":"arn:aws:iam::222222222222:role/ok","Role":"` + role + `"}`: role,
	} {
		c := &call{body: []byte(body), cred: &credential{Principal: principal{Account: "222222222222"}}}
		d, ok := additionalAuthz["lambda:UpdateFunctionConfiguration"][0].due(c, authzRequest{action: "lambda:UpdateFunctionConfiguration", resource: "*"})
		if !ok || d.resource != want {
			t.Errorf("%s: PassRole due %v on %q, want on %s", body, ok, d.resource, want)
		}
	}
}

// TestJSONField: a member as encoding/json's decoding into a struct finds
// it (the last in any case), and a body json.Unmarshal refuses is refused.
func TestJSONField(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		body, want string
		found, bad bool
	}{
		{body: `{"Role":"a"}`, want: `"a"`, found: true},
		{body: `{"role":"a","Other":1}`, want: `"a"`, found: true},
		{body: `{"Role":"a","rOlE":"b"}`, want: `"b"`, found: true},
		{body: `{"Role":{"x":[1,2]},"Role":"c"}`, want: `"c"`, found: true},
		{body: `{"Other":1}`},
		{body: `null`},
		{body: `{}`},
		{body: `[]`, bad: true},
		{body: `"Role"`, bad: true},
		{body: `{"Role":"a"} {"Role":"b"}`, bad: true},
		{body: `{"Role":"a"`, bad: true},
		{body: `{"Role":}`, bad: true},
	} {
		c := &call{body: []byte(tc.body)}
		raw, found, err := c.jsonField("Role")
		if (err != nil) != tc.bad || found != tc.found || string(raw) != tc.want {
			t.Errorf("%s: %s %v %v, want %s %v bad=%v", tc.body, raw, found, err, tc.want, tc.found, tc.bad)
		}
		var m map[string]json.RawMessage
		if (json.Unmarshal([]byte(tc.body), &m) != nil) != tc.bad {
			t.Errorf("%s: json.Unmarshal disagrees on whether it is a JSON object", tc.body)
		}
	}
}

// extraCase is a request and what the table makes of it.
type extraCase struct {
	name, action, resource string
	method, target, body   string
	header                 map[string]string
	// want are the additional actions due (the first of each entry).
	want []string
}

var extraCases = []extraCase{
	{name: "CreateRole with Tags", action: "iam:CreateRole", resource: "arn:aws:iam::222222222222:role/r",
		body: "Action=CreateRole&RoleName=r&Tags.member.1.Key=Env&Tags.member.1.Value=prod", want: []string{"iam:TagRole"}},
	{name: "CreateRole without tags", action: "iam:CreateRole", resource: "arn:aws:iam::222222222222:role/r",
		body: "Action=CreateRole&RoleName=r"},
	{name: "CreateUser with Tags", action: "iam:CreateUser", resource: "arn:aws:iam::222222222222:user/u",
		body: "Action=CreateUser&UserName=u&Tags.member.1.Key=Env&Tags.member.1.Value=prod", want: []string{"iam:TagUser"}},
	{name: "CreatePolicy with Tags", action: "iam:CreatePolicy", resource: "arn:aws:iam::222222222222:policy/p",
		body: "Action=CreatePolicy&PolicyName=p&Tags.member.1.Key=Env&Tags.member.1.Value=prod", want: []string{"iam:TagPolicy"}},
	{name: "CreateInstanceProfile with Tags", action: "iam:CreateInstanceProfile", resource: "arn:aws:iam::222222222222:instance-profile/ip",
		body: "Action=CreateInstanceProfile&InstanceProfileName=ip&Tags.member.1.Key=Env&Tags.member.1.Value=prod", want: []string{"iam:TagInstanceProfile"}},
	{name: "CreateOpenIDConnectProvider with Tags", action: "iam:CreateOpenIDConnectProvider", resource: "arn:aws:iam::222222222222:oidc-provider/example.com",
		body: "Action=CreateOpenIDConnectProvider&Url=https%3A%2F%2Fexample.com&Tags.member.1.Key=Env&Tags.member.1.Value=prod", want: []string{"iam:TagOpenIDConnectProvider"}},
	{name: "CreateVirtualMFADevice with Tags", action: "iam:CreateVirtualMFADevice", resource: "arn:aws:iam::222222222222:mfa/d",
		body: "Action=CreateVirtualMFADevice&VirtualMFADeviceName=d&Tags.member.1.Key=Env&Tags.member.1.Value=prod", want: []string{"iam:TagMFADevice"}},
	{name: "CreateLogGroup with tags", action: "logs:CreateLogGroup", resource: "arn:aws:logs:us-east-1:222222222222:log-group:g:*",
		body: `{"logGroupName":"g","tags":{"Env":"prod"}}`, want: []string{"logs:TagResource"}},
	{name: "CreateLogGroup with no tags", action: "logs:CreateLogGroup", resource: "arn:aws:logs:us-east-1:222222222222:log-group:g:*",
		body: `{"logGroupName":"g","tags":{}}`},
	{name: "CreateFunction with Tags", action: "lambda:CreateFunction", resource: "arn:aws:lambda:us-east-1:222222222222:function:f",
		body: `{"FunctionName":"f","Tags":{"Env":"prod"}}`, want: []string{"lambda:TagResource"}},
	{name: "CreateFunction with a role", action: "lambda:CreateFunction", resource: "arn:aws:lambda:us-east-1:222222222222:function:f",
		body: `{"FunctionName":"f","Role":"arn:aws:iam::222222222222:role/r"}`, want: []string{"iam:PassRole"}},
	{name: "CreateBucket with Tags", action: "s3:CreateBucket", resource: "arn:aws:s3:::b", method: "PUT", target: "/b",
		body: `<CreateBucketConfiguration><Tags><Tag><Key>Env</Key><Value>prod</Value></Tag></Tags></CreateBucketConfiguration>`, want: []string{"s3:TagResource"}},
	{name: "CreateBucket public-read", action: "s3:CreateBucket", resource: "arn:aws:s3:::b", method: "PUT", target: "/b",
		header: map[string]string{"X-Amz-Acl": "public-read"}, want: []string{"s3:PutBucketAcl"}},
	{name: "CreateBucket private", action: "s3:CreateBucket", resource: "arn:aws:s3:::b", method: "PUT", target: "/b",
		header: map[string]string{"X-Amz-Acl": "private"}},
	{name: "CreateBucket with a grant", action: "s3:CreateBucket", resource: "arn:aws:s3:::b", method: "PUT", target: "/b",
		header: map[string]string{"X-Amz-Grant-Read": "id=x"}, want: []string{"s3:PutBucketAcl"}},
	{name: "CreateBucket with Object Ownership", action: "s3:CreateBucket", resource: "arn:aws:s3:::b", method: "PUT", target: "/b",
		header: map[string]string{"X-Amz-Object-Ownership": "BucketOwnerEnforced"}, want: []string{"s3:PutBucketOwnershipControls"}},
	{name: "PutObject with x-amz-tagging", action: "s3:PutObject", resource: "arn:aws:s3:::b/k", method: "PUT", target: "/b/k",
		header: map[string]string{"X-Amz-Tagging": "Env=prod"}, want: []string{"s3:PutObjectTagging"}},
	{name: "PutObject with an ACL", action: "s3:PutObject", resource: "arn:aws:s3:::b/k", method: "PUT", target: "/b/k",
		header: map[string]string{"X-Amz-Acl": "public-read"}, want: []string{"s3:PutObjectAcl"}},
	// The bucket owner's canned ACL is asked for with s3:PutObject alone
	// (CloudTrail's and every log delivery's bucket policy).
	{name: "PutObject giving the bucket owner full control", action: "s3:PutObject", resource: "arn:aws:s3:::b/k", method: "PUT", target: "/b/k",
		header: map[string]string{"X-Amz-Acl": "bucket-owner-full-control"}},
	{name: "PutObject giving the bucket owner full control and a grant", action: "s3:PutObject", resource: "arn:aws:s3:::b/k", method: "PUT", target: "/b/k",
		header: map[string]string{"X-Amz-Acl": "bucket-owner-full-control", "X-Amz-Grant-Read": "id=x"}, want: []string{"s3:PutObjectAcl"}},
	{name: "CreateMultipartUpload with x-amz-tagging", action: "s3:PutObject", resource: "arn:aws:s3:::b/k", method: "POST", target: "/b/k?uploads",
		header: map[string]string{"X-Amz-Tagging": "Env=prod"}, want: []string{"s3:PutObjectTagging"}},
	{name: "CopyObject replacing the tags", action: "s3:PutObject", resource: "arn:aws:s3:::b/k", method: "PUT", target: "/b/k",
		header: map[string]string{"X-Amz-Copy-Source": "/b/src", "X-Amz-Tagging-Directive": "REPLACE", "X-Amz-Tagging": "Env=prod"}, want: []string{"s3:PutObjectTagging"}},
	{name: "CopyObject copying the tags", action: "s3:PutObject", resource: "arn:aws:s3:::b/k", method: "PUT", target: "/b/k",
		header: map[string]string{"X-Amz-Copy-Source": "/b/src", "X-Amz-Tagging": "Env=prod"}},
	{name: "UploadPart with x-amz-tagging", action: "s3:PutObject", resource: "arn:aws:s3:::b/k", method: "PUT", target: "/b/k?partNumber=1&uploadId=u",
		header: map[string]string{"X-Amz-Tagging": "Env=prod"}},
	{name: "PutObject plain", action: "s3:PutObject", resource: "arn:aws:s3:::b/k", method: "PUT", target: "/b/k"},
}

func (tc extraCase) call(service string) (*call, *httptest.ResponseRecorder) {
	method, target := tc.method, tc.target
	if method == "" {
		method, target = http.MethodPost, "/"
	}
	r := httptest.NewRequest(method, "https://localhost"+target, strings.NewReader(tc.body))
	for k, v := range tc.header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	return &call{w: w, r: r, body: []byte(tc.body), service: service, reqID: "R",
		cred: &credential{Principal: principal{Account: "222222222222", ARN: "svc.amazonaws.com", Kind: "service"}}}, w
}

// TestAdditionalAuthzDue: which additional authorizations a request makes
// due, read from the request as the service's API shapes it.
func TestAdditionalAuthzDue(t *testing.T) {
	t.Parallel()
	for _, tc := range extraCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, _ := tc.call(strings.Split(tc.action, ":")[0])
			var got []string
			for _, a := range additionalAuthz[tc.action] {
				if _, ok := a.due(c, authzRequest{action: tc.action, resource: tc.resource}); ok {
					got = append(got, a.actions[0])
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("due %v, want %v", got, tc.want)
			}
		})
	}
}

// TestAdditionalAuthzRefuses decides each request through
// gateway.authorize, with a resource policy that allows everything but
// the additional action: a request that makes it due is refused, and the
// refusal AWS writes names the additional action; the same policy lets
// the request through when it is not due. (The caller is a service
// principal, so the resource policy alone decides; iam:PassRole, decided
// on the role without one, is refused whatever the policy.)
func TestAdditionalAuthzRefuses(t *testing.T) {
	t.Parallel()
	g := &gateway{sb: &Sandbox{Region: "us-east-1"}}
	for _, tc := range extraCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			svc := strings.Split(tc.action, ":")[0]
			denied, deny := "s3:NotAnAction", []string{`"s3:NotAnAction"`}
			if len(tc.want) > 0 {
				// Every alternative of the entry (CreateLogGroup: either
				// tag action suffices).
				denied, deny = tc.want[0], nil
				for _, a := range additionalAuthz[tc.action] {
					if a.actions[0] == denied {
						for _, x := range a.actions {
							deny = append(deny, strconv.Quote(x))
						}
					}
				}
			}
			policy := resourcePolicy(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},`+
				`{"Effect":"Deny","Principal":"*","Action":[`+strings.Join(deny, ",")+`],"Resource":"*"}]}`)
			c, w := tc.call(svc)
			res, err := g.authorize(context.Background(), c, authzRequest{action: tc.action, resource: tc.resource, resourceAccount: "222222222222", resourcePolicy: policy})
			if err != nil {
				t.Fatal(err)
			}
			if len(tc.want) == 0 {
				if res.Decision != iampolicy.Allowed {
					t.Fatalf("%v (%s), want allowed", res.Decision, res.Detail)
				}
				return
			}
			if res.Decision == iampolicy.Allowed {
				t.Fatal("allowed, though the policy denies " + denied)
			}
			g.deny(c, tc.action, tc.resource, res)
			if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "perform: "+denied+" on resource") {
				t.Errorf("%d %s, want an access denial naming %s", w.Code, w.Body, denied)
			}
			if c.refusal != nil {
				t.Error("the refusal was not consumed")
			}
		})
	}
}

// TestCreateLogGroupTagsEitherAction: CreateLogGroup with tags needs
// logs:TagResource or logs:TagLogGroup, either one.
func TestCreateLogGroupTagsEitherAction(t *testing.T) {
	t.Parallel()
	g := &gateway{sb: &Sandbox{Region: "us-east-1"}}
	tc := extraCases[slices.IndexFunc(extraCases, func(tc extraCase) bool { return tc.name == "CreateLogGroup with tags" })]
	for _, c := range []struct {
		deny    string
		allowed bool
	}{
		{`"logs:TagResource"`, true},
		{`"logs:TagLogGroup"`, true},
		{`["logs:TagResource","logs:TagLogGroup"]`, false},
	} {
		policy := resourcePolicy(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},`+
			`{"Effect":"Deny","Principal":"*","Action":`+c.deny+`,"Resource":"*"}]}`)
		call, _ := tc.call("logs")
		res, err := g.authorize(context.Background(), call, authzRequest{action: tc.action, resource: tc.resource, resourceAccount: "222222222222", resourcePolicy: policy})
		if err != nil || (res.Decision == iampolicy.Allowed) != c.allowed {
			t.Errorf("deny %s: %v %v, want allowed %v", c.deny, res.Decision, err, c.allowed)
		}
	}
}

// TestAdditionalAuthzSharesTheRequestTags: the tag action of a create is
// decided on the create's tags: a Deny on aws:RequestTag/env for
// iam:TagRole alone refuses a CreateRole tagged Env=prod, not one tagged
// otherwise.
func TestAdditionalAuthzSharesTheRequestTags(t *testing.T) {
	t.Parallel()
	g := &gateway{sb: &Sandbox{Region: "us-east-1"}}
	policy := resourcePolicy(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},`+
		`{"Effect":"Deny","Principal":"*","Action":"iam:TagRole","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/env":"prod"}}}]}`)
	for value, allowed := range map[string]bool{"prod": false, "dev": true} {
		tc := extraCase{action: "iam:CreateRole", body: "Action=CreateRole&RoleName=r&Tags.member.1.Key=Env&Tags.member.1.Value=" + value}
		c, _ := tc.call("iam")
		res, err := g.authorize(context.Background(), c, authzRequest{action: "iam:CreateRole", resource: "arn:aws:iam::222222222222:role/r", resourcePolicy: policy})
		if err != nil || (res.Decision == iampolicy.Allowed) != allowed {
			t.Errorf("Env=%s: %v %v, want allowed %v", value, res.Decision, err, allowed)
		}
	}
}

func resourcePolicy(t *testing.T, doc string) *iampolicy.NamedPolicy {
	t.Helper()
	p, err := iampolicy.Parse([]byte(doc), iampolicy.Resource)
	if err != nil {
		t.Fatal(err)
	}
	return &iampolicy.NamedPolicy{Name: "function policy", Policy: p}
}

// TestTagRefusalsPerService: a tag set the gateway cannot decide on is
// refused with the service's own error, never as an internal error: one
// that does not parse, two keys that differ only in case (400s in each
// service's shape), and a policy that asks for the tags of a resource
// whose tags the sandbox does not keep (an access denial).
func TestTagRefusalsPerService(t *testing.T) {
	t.Parallel()
	g := &gateway{sb: &Sandbox{Region: "us-east-1"}}
	const job = `<CreateJobRequest xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/"><Tags><member><Key>Env</Key><Value>a</Value></member><member><Key>env</Key><Value>b</Value></member></Tags></CreateJobRequest>`
	cases := []struct {
		name, service string
		tc            extraCase
		askTags       bool // the policy has a condition on the resource's tags
		status        int
		code          string
	}{
		{"IAM keys in two cases", "iam", extraCase{action: "iam:TagRole", resource: "arn:aws:iam::222222222222:role/r",
			body: "Action=TagRole&RoleName=r&Tags.member.1.Key=Env&Tags.member.1.Value=a&Tags.member.2.Key=env&Tags.member.2.Value=b"}, false, 400, "InvalidInput"},
		{"Lambda keys in two cases", "lambda", extraCase{action: "lambda:TagResource", resource: "arn:aws:lambda:us-east-1:222222222222:function:f",
			body: `{"Tags":{"Env":"a","env":"b"}}`}, false, 400, "InvalidParameterValueException"},
		{"Lambda tags not a map", "lambda", extraCase{action: "lambda:TagResource", resource: "arn:aws:lambda:us-east-1:222222222222:function:f",
			body: `{"Tags":"Env=a"}`}, false, 400, "InvalidRequestContentException"},
		{"Logs keys in two cases", "logs", extraCase{action: "logs:TagResource", resource: "arn:aws:logs:us-east-1:222222222222:log-group:g",
			body: `{"tags":{"Env":"a","env":"b"}}`}, false, 400, "InvalidParameterException"},
		{"Logs tags not a map", "logs", extraCase{action: "logs:TagResource", resource: "arn:aws:logs:us-east-1:222222222222:log-group:g",
			body: `{"tags":["Env"]}`}, false, 400, "SerializationException"},
		{"CloudTrail keys in two cases", "cloudtrail", extraCase{action: "cloudtrail:AddTags", resource: "arn:aws:cloudtrail:us-east-1:222222222222:trail/t",
			body: `{"TagsList":[{"Key":"Env","Value":"a"},{"Key":"env","Value":"b"}]}`}, false, 400, "InvalidTagParameterException"},
		{"CloudTrail tags not a list", "cloudtrail", extraCase{action: "cloudtrail:AddTags", resource: "arn:aws:cloudtrail:us-east-1:222222222222:trail/t",
			body: `{"TagsList":{"Key":"Env"}}`}, false, 400, "SerializationException"},
		{"S3 CreateBucket keys in two cases", "s3", extraCase{action: "s3:CreateBucket", resource: "arn:aws:s3:::b", method: "PUT", target: "/b",
			body: `<CreateBucketConfiguration><Tags><Tag><Key>Env</Key><Value>a</Value></Tag><Tag><Key>env</Key><Value>b</Value></Tag></Tags></CreateBucketConfiguration>`}, false, 400, "InvalidTag"},
		{"S3 CreateBucket body cut short", "s3", extraCase{action: "s3:CreateBucket", resource: "arn:aws:s3:::b", method: "PUT", target: "/b",
			body: `<CreateBucketConfiguration><Tags><Tag><Key>Env`}, false, 400, "MalformedXML"},
		{"S3 Control CreateJob keys in two cases", "s3control", extraCase{action: "s3:CreateJob", resource: "*", method: "POST", target: "/v20180820/jobs", body: job}, false, 400, "InvalidRequest"},
		{"the tags of an event source mapping", "lambda", extraCase{action: "lambda:GetEventSourceMapping", resource: "arn:aws:lambda:us-east-1:222222222222:event-source-mapping:u"}, true, 403, "AccessDeniedException"},
		{"the tags of an OpenID Connect provider", "iam", extraCase{action: "iam:GetOpenIDConnectProvider", resource: "arn:aws:iam::222222222222:oidc-provider/example.com"}, true, 403, "AccessDenied"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`
			if tc.askTags {
				doc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},` +
					`{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/env":"prod"}}}]}`
			}
			c, w := tc.tc.call(tc.service)
			res, err := g.authorize(context.Background(), c, authzRequest{action: tc.tc.action, resource: tc.tc.resource, resourceAccount: "222222222222", resourcePolicy: resourcePolicy(t, doc)})
			if err != nil {
				t.Fatalf("an internal error: %v", err)
			}
			if res.Decision == iampolicy.Allowed {
				t.Fatal("allowed")
			}
			g.deny(c, tc.tc.action, tc.tc.resource, res)
			if w.Code != tc.status || !strings.Contains(w.Body.String()+w.Header().Get("X-Amzn-ErrorType"), tc.code) {
				t.Errorf("%d %s %s, want %d %s", w.Code, w.Header().Get("X-Amzn-ErrorType"), w.Body, tc.status, tc.code)
			}
		})
	}
}
