package sandbox

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/xacct/xacct/internal/iampolicy"
)

// sdkAuthzCase is one request as the SDK builds it and what the gateway
// must authorize it as.
type sdkAuthzCase struct {
	action string
	name   string // tells apart two cases of one action
	do     func(ctx context.Context) error
	// resources are the ARNs it is authorized on, built from the request's
	// own parameters; "*" only where the reference gives no resource type.
	resources []string
	// actions, when the request is authorized as more than one action
	// (AssumeRole with a source identity and tags), are each
	// authorization's, in order; resources then has one for each.
	actions []string
	// keys are the condition keys the request carries, with the value each
	// must have (a tag key as aws:RequestTag/Env); and those of the
	// resource the test planted (a job's priority).
	keys map[string]string
	// fromState are the keys the reference lists whose value is the
	// resource's, not the request's: a lazy context must offer them.
	fromState []string
	// refused is the code the gateway answers the request with before it
	// authorizes anything (resources is then empty).
	refused string
	// absent are the keys the reference lists that this request does not
	// carry (S3 PutObject without tags, a job request without tags): the
	// policy must see no value for them. A key the seam reads from the
	// request's headers and query (authztable.go) that keys does not name
	// must be absent too, without being listed.
	absent []string
}

// refusedError is a request the gateway refuses before authorizing it.
type refusedError struct{ *apiError }

func (r refusedError) Error() string { return "refused: " + r.code + ": " + r.msg }

// Values a case gives a key for what it cannot know in advance.
const (
	// anyValue: present with some value (s3:signatureAge, the age of
	// the signature in milliseconds, depends on when the test runs).
	anyValue = "\x00any"
	// sha256Header: the request's own x-amz-content-sha256, the hash of
	// the body the SDK built.
	sha256Header = "\x00x-amz-content-sha256"
)

// notRequests are the served actions no request names: they are
// authorized only as another request's additional authorization.
var notRequests = map[string]string{
	"iam:PassRole":   "authzextra.go: authorized for the requests that set a role (TestAdditionalAuthzTable)",
	"s3:TagResource": "authzextra.go: authorized for a CreateBucket with tags; the sandbox serves no S3 Control TagResource",
}

// sdkAuthzServices are the services whose every served action
// TestAuthzFromSDKRequests sends. STS's GetCallerIdentity and
// GetSessionToken are served but never authorized: AWS's IAM User Guide
// says no permission is required for them and a policy cannot deny them
// ("Permissions for GetSessionToken"; GetCallerIdentity's API reference).
var sdkAuthzServices = []string{"iam", "lambda", "logs", "sts", "cloudtrail", "s3"}

// TestAuthzFromSDKRequests sends every served action of IAM, Lambda,
// CloudWatch Logs, STS, CloudTrail and S3 (S3 Control's with its own
// client) as the real SDK builds it, works out what the gateway authorizes
// it as (iamAuthzRequest, lambdaOp, logsAuthzTargets, assumeRoleAuthz,
// cloudTrail.authzTargets, s3AuthzRequest, s3ControlAuthz, then
// checkAuthzContext and the lazy contexts, as gateway.authorize does), and
// holds it to the reference: the action is the request's; the resource is
// the ARN its parameters name, of one of the action's resource types ("*"
// only where it has none); every condition key the reference lists for the
// action that the request carries reaches the policy with the request's
// value, so that a Deny on it refuses, and one it does not carry has no
// value. A served action of these services without a case fails the test.
func TestAuthzFromSDKRequests(t *testing.T) {
	t.Parallel()
	s := newSDKRequests(t)
	const acct, other = "222222222222", "333333333333"
	g := &gateway{sb: &Sandbox{Region: "us-east-1"}}
	g.trail = &cloudTrail{g: g}
	// The function's policy holds the statement RemovePermission removes.
	g.st, _ = loadState("")
	g.st.account(acct).FunctionPolicies = map[string]*functionPolicy{"f": {Statements: []functionGrant{{Sid: "s3", Principal: "s3.amazonaws.com"}}}}
	// Bucket b is the caller's, x another account's; the job waits for its
	// confirmation.
	g.st.Buckets["b"] = &bucketMeta{Owner: acct}
	g.st.Buckets["x"] = &bucketMeta{Owner: other}
	g.st.Jobs[sdkJobID] = &batchJob{ID: sdkJobID, Account: acct, Status: jobSuspended, Priority: 5, SuspendedCause: "AwaitingConfirmation"}
	paths := map[string]string{"role/r": "/team/", "user/u": "/people/", "group/g": "/eng/", "instance-profile/ip": "/team/"}
	const boundary, newBoundary = "arn:aws:iam::" + acct + ":policy/Boundary", "arn:aws:iam::" + acct + ":policy/NewBoundary"
	look := iamLookup{
		path: func(kind, name string) (string, bool) { p, ok := paths[kind+"/"+name]; return p, ok },
		boundary: func(kind, name string) string {
			return map[string]string{"role/r": boundary, "user/u": boundary}[kind+"/"+name]
		},
	}
	caller := &principal{Kind: "user", Account: acct, UserName: "u", ARN: "arn:aws:iam::" + acct + ":user/people/u"}

	var cases []sdkAuthzCase
	cases = append(cases, iamSDKCases(iam.NewFromConfig(s.cfg), acct, boundary, newBoundary)...)
	cases = append(cases, lambdaSDKCases(lambda.NewFromConfig(s.cfg), acct)...)
	cases = append(cases, logsSDKCases(cloudwatchlogs.NewFromConfig(s.cfg), acct)...)
	cases = append(cases, stsSDKCases(sts.NewFromConfig(s.cfg), acct, other)...)
	cases = append(cases, cloudTrailSDKCases(cloudtrail.NewFromConfig(s.cfg), acct, other)...)
	cases = append(cases, s3SDKCases(s.s3Client(), acct, other)...)
	cases = append(cases, s3ControlSDKCases(s.s3ControlClient(), acct)...)

	ref := authzReference()
	covered := map[string]int{}
	for _, tc := range cases {
		name := tc.action
		if tc.name != "" {
			name += "/" + tc.name
		}
		t.Run(name, func(t *testing.T) {
			actions := tc.actions
			if actions == nil {
				actions = slices.Repeat([]string{tc.action}, len(tc.resources))
			}
			for _, a := range actions {
				covered[a]++
			}
			c := s.send(t, tc.do)
			c.cred.Principal = *caller
			// The gateway serves every request over TLS.
			c.r.TLS = &tls.ConnectionState{Version: tls.VersionTLS13}
			ars, err := sdkAuthzRequests(g, c, acct, look)
			var rf refusedError
			switch {
			case tc.refused != "" && errors.As(err, &rf) && rf.code == tc.refused:
				return
			case tc.refused != "":
				t.Fatalf("%v (authorized %+v), want refused with %s before any authorization", err, ars, tc.refused)
			case err != nil:
				t.Fatal(err)
			}
			if len(ars) != len(tc.resources) {
				t.Fatalf("authorized %d times (%+v), want on %q", len(ars), ars, tc.resources)
			}
			keys := map[string]string{}
			for k, v := range tc.keys {
				if v == sha256Header {
					v = c.r.Header.Get("X-Amz-Content-Sha256")
				}
				keys[k] = v
			}
			for k := range keys {
				if !slices.ContainsFunc(actions, func(a string) bool { return ref[a] != nil && slices.Contains(ref[a].keys, refKeyOf(k)) }) {
					t.Errorf("the case expects %s, which the reference does not list for %s", k, tc.action)
				}
			}
			for i, ar := range ars {
				ra := ref[actions[i]]
				if ra == nil {
					t.Fatalf("%s is not in the reference", actions[i])
				}
				if ar.action != actions[i] {
					t.Errorf("authorized as %s, want %s", ar.action, actions[i])
				}
				if ar.resource != tc.resources[i] {
					t.Errorf("authorized on %s, want %s", ar.resource, tc.resources[i])
				}
				if ar.resource == "*" && len(ra.resources) > 0 {
					t.Errorf("authorized on *, though the reference gives %s resource types", ar.action)
				}
				ctx := maps.Clone(ar.context)
				if ctx == nil {
					ctx = map[string][]string{}
				}
				if err := checkAuthzContext(c, ar, ctx); err != nil {
					t.Fatal(err)
				}
				lazies := []*lazyContext{ar.lazy, g.eventSourceMappingFunction(c, ar)}
				for _, lc := range lazies {
					if lc == nil || slices.Contains(lc.prefixes, existingObjectTagKey) {
						// An object's tags are read from kumo
						// (e2e: TestAttackExistingObjectTag): offered, not
						// loaded here.
						continue
					}
					more, err := lc.load(context.Background())
					if err != nil {
						t.Fatal(err)
					}
					for k, v := range more {
						if _, ok := ctx[k]; !ok {
							ctx[k] = v
						}
					}
				}
				checkSDKKeys(t, tc, keys, ar, ra, ctx, append(lazies, g.resourceTags(ar)))
			}
		})
	}
	t.Cleanup(func() {
		n := map[string]int{}
		for _, svc := range sdkAuthzServices {
			for _, a := range strings.Fields(servedActions[svc]) {
				action := svc + ":" + a
				if _, ok := notRequests[action]; ok {
					continue
				}
				if covered[action] == 0 {
					t.Errorf("%s is served, but no request of the SDK checks how it is authorized", action)
				}
				n[svc]++
			}
		}
		t.Logf("served actions sent as the SDK sends them: %v (%d cases)", n, len(cases))
		if n["iam"] < 79 || n["lambda"] < 24 || n["logs"] < 15 || n["sts"] < 3 || n["cloudtrail"] < 15 || n["s3"] < 60 {
			t.Errorf("the served actions shrank: %v", n)
		}
	})
}

// multiValued are the condition keys whose value is a list: a Deny on one
// of its members is written with ForAnyValue.
var multiValued = map[string]bool{"aws:TagKeys": true, "sts:TransitiveTagKeys": true, "s3:RequestObjectTagKeys": true}

// checkSDKKeys holds the condition keys of one authorization to the
// reference and the case (keys: the case's, resolved for the request).
func checkSDKKeys(t *testing.T, tc sdkAuthzCase, keys map[string]string, ar authzRequest, ra *refAction, ctx map[string][]string, lazies []*lazyContext) {
	t.Helper()
	for _, k := range ra.keys {
		src := conditionKeys[k]
		if src.none != "" || slices.Contains(resourceTagFamilies, k) {
			continue // not served; resource tags: TestResourceTagsOverTheTable
		}
		key := strings.NewReplacer("${TagKey}", "Env", "<key>", "Env").Replace(k)
		want, carried := keys[key]
		if !carried {
			switch {
			case slices.Contains(tc.absent, k) || src.seam != nil:
				if v, ok := ctx[key]; ok {
					t.Errorf("%s: the request carries no %s, yet the policy sees %q", ar.action, key, v)
				}
			case !slices.Contains(tc.fromState, k):
				t.Errorf("the reference lists %s for %s: the case sends no value for it", k, ar.action)
			default:
				offered := false
				for _, lc := range lazies {
					if lc != nil && slices.ContainsFunc(lc.prefixes, func(p string) bool { return strings.HasPrefix(strings.ToLower(k), p) }) {
						offered = true
					}
				}
				if !offered {
					t.Errorf("%s: %s is the resource's, yet no lazy context offers it", ar.action, k)
				}
			}
			continue
		}
		got := ctx[key]
		if want == anyValue && len(got) == 1 && got[0] != "" {
			want = got[0]
		}
		if !slices.Contains(got, want) {
			t.Errorf("%s = %q, want %q among them", key, got, want)
			continue
		}
		deny := denyOn(ar.action, "*", `"StringEquals":{`+strconv.Quote(key)+`:`+strconv.Quote(want)+`}`)
		if multiValued[k] {
			deny = denyOn(ar.action, "*", `"ForAnyValue:StringEquals":{`+strconv.Quote(key)+`:`+strconv.Quote(want)+`}`)
		}
		if res := evaluate(t, ar.action, ar.resource, ctx, deny); res.Decision != iampolicy.ExplicitDeny {
			t.Errorf("%s: a Deny on %s=%s gives %v", ar.action, key, want, res.Decision)
		}
	}
}

// refKeyOf is the reference's spelling of a key a case names.
func refKeyOf(k string) string {
	for _, f := range []string{"aws:RequestTag/", "aws:ResourceTag/", "iam:ResourceTag/"} {
		if strings.HasPrefix(k, f) {
			return f + "${TagKey}"
		}
	}
	for _, f := range []string{"s3:RequestObjectTag/", "s3:ExistingObjectTag/"} {
		if strings.HasPrefix(k, f) {
			return f + "<key>"
		}
	}
	return k
}

// sdkAuthzRequests is what the gateway authorizes a captured request as,
// by the same functions its handlers call, dispatched by the service its
// signature names as serveCall dispatches it.
func sdkAuthzRequests(g *gateway, c *call, account string, look iamLookup) ([]authzRequest, error) {
	si, err := parseAuthorization(c.r.Header.Get("Authorization"))
	if err != nil {
		return nil, err
	}
	switch si.Service {
	case "logs":
		op, ok := strings.CutPrefix(c.r.Header.Get("X-Amz-Target"), "Logs_20140328.")
		if !ok {
			return nil, fmt.Errorf("target %s", c.r.Header.Get("X-Amz-Target"))
		}
		var in logsRequest
		if err := json.Unmarshal(c.body, &in); err != nil {
			return nil, err
		}
		targets, _, e := g.logsAuthzTargets(account, "logs:"+op, in)
		if e != nil {
			return nil, refusedError{e}
		}
		var ars []authzRequest
		for _, t := range targets {
			ars = append(ars, authzRequest{action: "logs:" + op, resource: t.arn, resourceAccount: t.account})
		}
		return ars, nil
	case "lambda":
		// serveLambda (lambda.go): lambdaOp, then the function's ARN or the
		// mapping's.
		action, fn, err := lambdaOp(c.r.Method, c.r.URL.EscapedPath())
		if err != nil || action == "" {
			return nil, fmt.Errorf("lambdaOp %s %s: %q %v", c.r.Method, c.r.URL.Path, action, err)
		}
		if action == "lambda:CreateFunction" {
			var create struct{ FunctionName string }
			if err := json.Unmarshal(c.body, &create); err != nil {
				return nil, err
			}
			if fn, err = parseFunctionRef(create.FunctionName, true); err != nil {
				return nil, err
			}
		}
		resource := "*"
		if fn != "" {
			resource = g.functionARN(account, fn)
		}
		if strings.HasSuffix(action, "EventSourceMapping") && action != "lambda:CreateEventSourceMapping" {
			resource = fmt.Sprintf("arn:aws:lambda:%s:%s:event-source-mapping:%s", g.sb.Region, account, c.r.URL.Path[strings.LastIndexByte(c.r.URL.Path, '/')+1:])
		}
		return []authzRequest{{action: action, resource: resource, resourceAccount: account, context: g.lambdaPrincipalContext(c, action, account, fn)}}, nil
	case "cloudtrail":
		// serveCloudTrail (cloudtrail.go).
		op, ok := strings.CutPrefix(c.r.Header.Get("X-Amz-Target"), "CloudTrail_20131101.")
		if !ok {
			return nil, fmt.Errorf("target %s", c.r.Header.Get("X-Amz-Target"))
		}
		var in ctInput
		if err := json.Unmarshal(c.body, &in); err != nil {
			return nil, err
		}
		targets, e := g.trail.authzTargets(account, op, in)
		if e != nil {
			return nil, refusedError{e}
		}
		var ars []authzRequest
		for _, t := range targets {
			ars = append(ars, authzRequest{action: "cloudtrail:" + op, resource: t.arn, resourceAccount: t.account})
		}
		return ars, nil
	case "s3":
		return sdkS3AuthzRequests(g, c)
	}
	form, e := queryProtocolForm(c.r.Header, c.r.URL.RawQuery, c.body)
	if e != nil {
		return nil, refusedError{e}
	}
	action := form.Get("Action")
	if si.Service == "sts" {
		// serveSTS and assumeRole (sts.go): only AssumeRole is authorized.
		if action != "AssumeRole" {
			return nil, nil
		}
		if msg := validateSessionTags(sessionTags(form), form); msg != "" {
			return nil, fmt.Errorf("%s", msg)
		}
		roleAccount, _, ok := parseRoleARN(form.Get("RoleArn"))
		if !ok {
			return nil, fmt.Errorf("RoleArn %q", form.Get("RoleArn"))
		}
		return assumeRoleAuthz(form, form.Get("RoleArn"), roleAccount, map[string][]string{}), nil
	}
	if _, e := iamImplicitUser(action, form, c.principal()); e != nil {
		return nil, refusedError{e}
	}
	if msg := validateIAM(action, form); msg != "" {
		return nil, fmt.Errorf("%s", msg)
	}
	return []authzRequest{iamAuthzRequest(account, action, form, look)}, nil
}

// sdkS3AuthzRequests is what serveS3 and serveS3Control authorize a
// request as.
func sdkS3AuthzRequests(g *gateway, c *call) ([]authzRequest, error) {
	if s3Control(c.r) {
		rq, e := parseS3Control(c.r.Method, c.r.URL.Path)
		if e != nil {
			return nil, refusedError{e}
		}
		q, err := url.ParseQuery(c.r.URL.RawQuery)
		if err != nil {
			return nil, err
		}
		ar, e := g.s3ControlAuthz(c, &rq, q)
		if e != nil {
			return nil, refusedError{e}
		}
		return []authzRequest{ar}, nil
	}
	op, e := parseS3(c.r.Method, c.r.Host, c.r.URL.Path, c.r.URL.RawQuery)
	if e != nil {
		return nil, refusedError{e}
	}
	if op.action == "" {
		return nil, fmt.Errorf("%s %s: no action", c.r.Method, c.r.URL.RequestURI())
	}
	var owner string
	if m := g.st.Buckets[op.bucket]; m != nil {
		owner = m.Owner
	}
	ar, e := g.s3AuthzRequest(c, op, owner, nil)
	if e != nil {
		return nil, refusedError{e}
	}
	if deleteObjectsRequest(c.r.Method, op) {
		var in deleteRequest
		if err := xml.Unmarshal(c.body, &in); err != nil {
			return nil, err
		}
		return deleteObjectsAuthz(op, owner, in, ar.context), nil
	}
	return []authzRequest{ar}, nil
}

func iamSDKCases(c *iam.Client, acct, boundary, newBoundary string) []sdkAuthzCase {
	base := "arn:aws:iam::" + acct + ":"
	role, user, group := base+"role/team/r", base+"user/people/u", base+"group/eng/g"
	policy, ip, oidc, mfa := base+"policy/p", base+"instance-profile/team/ip", base+"oidc-provider/example.com", base+"mfa/d"
	tags := []iamtypes.Tag{{Key: aws.String("Env"), Value: aws.String("prod")}}
	tagKeys := map[string]string{"aws:RequestTag/Env": "prod", "aws:TagKeys": "Env"}
	with := func(m map[string]string, kv ...string) map[string]string {
		out := maps.Clone(m)
		if out == nil {
			out = map[string]string{}
		}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	bound := map[string]string{"iam:PermissionsBoundary": boundary}
	attach := func(action string, target string, do func(ctx context.Context) error, withBoundary bool) sdkAuthzCase {
		k := map[string]string{"iam:PolicyARN": policy}
		if withBoundary {
			k["iam:PermissionsBoundary"] = boundary
		}
		return sdkAuthzCase{action: action, do: do, resources: []string{target}, keys: k}
	}
	s, rn, un, gn := aws.String, aws.String("r"), aws.String("u"), aws.String("g")
	doc := aws.String(`{"Version":"2012-10-17","Statement":[]}`)
	return []sdkAuthzCase{
		{action: "iam:CreateUser", resources: []string{base + "user/x/nu"}, keys: with(tagKeys, "iam:PermissionsBoundary", newBoundary), do: func(ctx context.Context) error {
			_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: s("nu"), Path: s("/x/"), PermissionsBoundary: s(newBoundary), Tags: tags})
			return err
		}},
		{action: "iam:DeleteUser", resources: []string{user}, do: func(ctx context.Context) error {
			_, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: un})
			return err
		}},
		{action: "iam:GetUser", resources: []string{user}, do: func(ctx context.Context) error {
			_, err := c.GetUser(ctx, &iam.GetUserInput{UserName: un})
			return err
		}},
		{action: "iam:GetUser", name: "the caller", resources: []string{user}, do: func(ctx context.Context) error {
			_, err := c.GetUser(ctx, &iam.GetUserInput{})
			return err
		}},
		{action: "iam:ListUsers", resources: []string{"*"}, do: func(ctx context.Context) error {
			_, err := c.ListUsers(ctx, &iam.ListUsersInput{PathPrefix: s("/people/")})
			return err
		}},
		{action: "iam:CreateRole", resources: []string{base + "role/x/nr"}, keys: with(tagKeys, "iam:PermissionsBoundary", newBoundary), do: func(ctx context.Context) error {
			_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: s("nr"), Path: s("/x/"), AssumeRolePolicyDocument: doc, PermissionsBoundary: s(newBoundary), Tags: tags})
			return err
		}},
		{action: "iam:DeleteRole", resources: []string{role}, keys: bound, do: func(ctx context.Context) error {
			_, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: rn})
			return err
		}},
		{action: "iam:GetRole", resources: []string{role}, keys: bound, do: func(ctx context.Context) error {
			_, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: rn})
			return err
		}},
		{action: "iam:ListRoles", resources: []string{"*"}, do: func(ctx context.Context) error {
			_, err := c.ListRoles(ctx, &iam.ListRolesInput{PathPrefix: s("/team/")})
			return err
		}},
		{action: "iam:UpdateRole", resources: []string{role}, keys: bound, do: func(ctx context.Context) error {
			_, err := c.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: rn, Description: s("d")})
			return err
		}},
		{action: "iam:UpdateAssumeRolePolicy", resources: []string{role}, keys: bound, do: func(ctx context.Context) error {
			_, err := c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: rn, PolicyDocument: doc})
			return err
		}},
		{action: "iam:TagRole", resources: []string{role}, keys: tagKeys, do: func(ctx context.Context) error {
			_, err := c.TagRole(ctx, &iam.TagRoleInput{RoleName: rn, Tags: tags})
			return err
		}},
		{action: "iam:CreatePolicy", resources: []string{base + "policy/x/np"}, keys: tagKeys, do: func(ctx context.Context) error {
			_, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: s("np"), Path: s("/x/"), PolicyDocument: doc, Tags: tags})
			return err
		}},
		{action: "iam:DeletePolicy", resources: []string{policy}, do: func(ctx context.Context) error {
			_, err := c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: s(policy)})
			return err
		}},
		{action: "iam:GetPolicy", resources: []string{policy}, do: func(ctx context.Context) error {
			_, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: s(policy)})
			return err
		}},
		{action: "iam:ListPolicies", resources: []string{"*"}, do: func(ctx context.Context) error {
			_, err := c.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeLocal})
			return err
		}},
		attach("iam:AttachUserPolicy", user, func(ctx context.Context) error {
			_, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: un, PolicyArn: s(policy)})
			return err
		}, true),
		attach("iam:DetachUserPolicy", user, func(ctx context.Context) error {
			_, err := c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: un, PolicyArn: s(policy)})
			return err
		}, true),
		attach("iam:AttachRolePolicy", role, func(ctx context.Context) error {
			_, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: rn, PolicyArn: s(policy)})
			return err
		}, true),
		attach("iam:DetachRolePolicy", role, func(ctx context.Context) error {
			_, err := c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: rn, PolicyArn: s(policy)})
			return err
		}, true),
		attach("iam:AttachGroupPolicy", group, func(ctx context.Context) error {
			_, err := c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: gn, PolicyArn: s(policy)})
			return err
		}, false),
		attach("iam:DetachGroupPolicy", group, func(ctx context.Context) error {
			_, err := c.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: gn, PolicyArn: s(policy)})
			return err
		}, false),
		{action: "iam:CreateAccessKey", resources: []string{user}, do: func(ctx context.Context) error {
			_, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: un})
			return err
		}},
		{action: "iam:DeleteAccessKey", resources: []string{user}, do: func(ctx context.Context) error {
			_, err := c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: un, AccessKeyId: s("AKIAEXAMPLEEXAMPLE12")})
			return err
		}},
		{action: "iam:ListAccessKeys", resources: []string{user}, do: func(ctx context.Context) error {
			_, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
			return err
		}},
		{action: "iam:PutRolePolicy", resources: []string{role}, keys: bound, do: func(ctx context.Context) error {
			_, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: rn, PolicyName: s("p"), PolicyDocument: doc})
			return err
		}},
		{action: "iam:GetRolePolicy", resources: []string{role}, do: func(ctx context.Context) error {
			_, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: rn, PolicyName: s("p")})
			return err
		}},
		{action: "iam:DeleteRolePolicy", resources: []string{role}, keys: bound, do: func(ctx context.Context) error {
			_, err := c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: rn, PolicyName: s("p")})
			return err
		}},
		{action: "iam:ListRolePolicies", resources: []string{role}, do: func(ctx context.Context) error {
			_, err := c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: rn})
			return err
		}},
		{action: "iam:ListAttachedRolePolicies", resources: []string{role}, do: func(ctx context.Context) error {
			_, err := c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: rn})
			return err
		}},
		{action: "iam:ListInstanceProfilesForRole", resources: []string{role}, do: func(ctx context.Context) error {
			_, err := c.ListInstanceProfilesForRole(ctx, &iam.ListInstanceProfilesForRoleInput{RoleName: rn})
			return err
		}},
		{action: "iam:CreateOpenIDConnectProvider", resources: []string{oidc}, keys: tagKeys, do: func(ctx context.Context) error {
			_, err := c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: s("https://example.com"), Tags: tags})
			return err
		}},
		{action: "iam:GetOpenIDConnectProvider", resources: []string{oidc}, do: func(ctx context.Context) error {
			_, err := c.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: s(oidc)})
			return err
		}},
		{action: "iam:DeleteOpenIDConnectProvider", resources: []string{oidc}, do: func(ctx context.Context) error {
			_, err := c.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: s(oidc)})
			return err
		}},
		{action: "iam:ListOpenIDConnectProviders", resources: []string{"*"}, do: func(ctx context.Context) error {
			_, err := c.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{})
			return err
		}},
		{action: "iam:UpdateOpenIDConnectProviderThumbprint", resources: []string{oidc}, do: func(ctx context.Context) error {
			_, err := c.UpdateOpenIDConnectProviderThumbprint(ctx, &iam.UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: s(oidc),
				ThumbprintList: []string{strings.Repeat("a", 40)}})
			return err
		}},
		{action: "iam:CreateInstanceProfile", resources: []string{base + "instance-profile/x/nip"}, keys: tagKeys, do: func(ctx context.Context) error {
			_, err := c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: s("nip"), Path: s("/x/"), Tags: tags})
			return err
		}},
		{action: "iam:DeleteInstanceProfile", resources: []string{ip}, do: func(ctx context.Context) error {
			_, err := c.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: s("ip")})
			return err
		}},
		{action: "iam:GetInstanceProfile", resources: []string{ip}, do: func(ctx context.Context) error {
			_, err := c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: s("ip")})
			return err
		}},
		{action: "iam:ListInstanceProfiles", resources: []string{"*"}, do: func(ctx context.Context) error {
			_, err := c.ListInstanceProfiles(ctx, &iam.ListInstanceProfilesInput{PathPrefix: s("/team/")})
			return err
		}},
		{action: "iam:AddRoleToInstanceProfile", resources: []string{ip}, do: func(ctx context.Context) error {
			_, err := c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: s("ip"), RoleName: rn})
			return err
		}},
		{action: "iam:RemoveRoleFromInstanceProfile", resources: []string{ip}, do: func(ctx context.Context) error {
			_, err := c.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: s("ip"), RoleName: rn})
			return err
		}},
		{action: "iam:CreateGroup", resources: []string{base + "group/x/ng"}, do: func(ctx context.Context) error {
			_, err := c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: s("ng"), Path: s("/x/")})
			return err
		}},
		{action: "iam:GetGroup", resources: []string{group}, do: func(ctx context.Context) error {
			_, err := c.GetGroup(ctx, &iam.GetGroupInput{GroupName: gn})
			return err
		}},
		{action: "iam:ListGroupsForUser", resources: []string{user}, do: func(ctx context.Context) error {
			_, err := c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: un})
			return err
		}},
		{action: "iam:DeleteGroup", resources: []string{group}, do: func(ctx context.Context) error {
			_, err := c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: gn})
			return err
		}},
		{action: "iam:PutGroupPolicy", resources: []string{group}, do: func(ctx context.Context) error {
			_, err := c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: gn, PolicyName: s("p"), PolicyDocument: doc})
			return err
		}},
		{action: "iam:PutUserPolicy", resources: []string{user}, keys: bound, do: func(ctx context.Context) error {
			_, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: un, PolicyName: s("p"), PolicyDocument: doc})
			return err
		}},
		{action: "iam:GetGroupPolicy", resources: []string{group}, do: func(ctx context.Context) error {
			_, err := c.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: gn, PolicyName: s("p")})
			return err
		}},
		{action: "iam:GetUserPolicy", resources: []string{user}, do: func(ctx context.Context) error {
			_, err := c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: un, PolicyName: s("p")})
			return err
		}},
		{action: "iam:DeleteGroupPolicy", resources: []string{group}, do: func(ctx context.Context) error {
			_, err := c.DeleteGroupPolicy(ctx, &iam.DeleteGroupPolicyInput{GroupName: gn, PolicyName: s("p")})
			return err
		}},
		{action: "iam:DeleteUserPolicy", resources: []string{user}, keys: bound, do: func(ctx context.Context) error {
			_, err := c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: un, PolicyName: s("p")})
			return err
		}},
		{action: "iam:ListGroupPolicies", resources: []string{group}, do: func(ctx context.Context) error {
			_, err := c.ListGroupPolicies(ctx, &iam.ListGroupPoliciesInput{GroupName: gn})
			return err
		}},
		{action: "iam:ListUserPolicies", resources: []string{user}, do: func(ctx context.Context) error {
			_, err := c.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: un})
			return err
		}},
		{action: "iam:ListAttachedGroupPolicies", resources: []string{group}, do: func(ctx context.Context) error {
			_, err := c.ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: gn})
			return err
		}},
		{action: "iam:ListAttachedUserPolicies", resources: []string{user}, do: func(ctx context.Context) error {
			_, err := c.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: un})
			return err
		}},
		{action: "iam:PutRolePermissionsBoundary", resources: []string{role}, keys: map[string]string{"iam:PermissionsBoundary": newBoundary}, do: func(ctx context.Context) error {
			_, err := c.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: rn, PermissionsBoundary: s(newBoundary)})
			return err
		}},
		{action: "iam:DeleteRolePermissionsBoundary", resources: []string{role}, keys: bound, do: func(ctx context.Context) error {
			_, err := c.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: rn})
			return err
		}},
		{action: "iam:PutUserPermissionsBoundary", resources: []string{user}, keys: map[string]string{"iam:PermissionsBoundary": newBoundary}, do: func(ctx context.Context) error {
			_, err := c.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: un, PermissionsBoundary: s(newBoundary)})
			return err
		}},
		{action: "iam:DeleteUserPermissionsBoundary", resources: []string{user}, keys: bound, do: func(ctx context.Context) error {
			_, err := c.DeleteUserPermissionsBoundary(ctx, &iam.DeleteUserPermissionsBoundaryInput{UserName: un})
			return err
		}},
		{action: "iam:AddUserToGroup", resources: []string{group}, do: func(ctx context.Context) error {
			_, err := c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: gn, UserName: un})
			return err
		}},
		{action: "iam:RemoveUserFromGroup", resources: []string{group}, do: func(ctx context.Context) error {
			_, err := c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: gn, UserName: un})
			return err
		}},
		{action: "iam:ListGroups", resources: []string{"*"}, do: func(ctx context.Context) error {
			_, err := c.ListGroups(ctx, &iam.ListGroupsInput{})
			return err
		}},
		{action: "iam:ListEntitiesForPolicy", resources: []string{policy}, do: func(ctx context.Context) error {
			_, err := c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: s(policy)})
			return err
		}},
		{action: "iam:GetPolicyVersion", resources: []string{policy}, do: func(ctx context.Context) error {
			_, err := c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: s(policy), VersionId: s("v1")})
			return err
		}},
		{action: "iam:ListPolicyVersions", resources: []string{policy}, do: func(ctx context.Context) error {
			_, err := c.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: s(policy)})
			return err
		}},
		{action: "iam:CreatePolicyVersion", resources: []string{policy}, do: func(ctx context.Context) error {
			_, err := c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: s(policy), PolicyDocument: doc, SetAsDefault: true})
			return err
		}},
		{action: "iam:DeletePolicyVersion", resources: []string{policy}, do: func(ctx context.Context) error {
			_, err := c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: s(policy), VersionId: s("v1")})
			return err
		}},
		{action: "iam:SetDefaultPolicyVersion", resources: []string{policy}, do: func(ctx context.Context) error {
			_, err := c.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: s(policy), VersionId: s("v1")})
			return err
		}},
		{action: "iam:GetAccountAuthorizationDetails", resources: []string{"*"}, do: func(ctx context.Context) error {
			_, err := c.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{Filter: []iamtypes.EntityType{iamtypes.EntityTypeRole}})
			return err
		}},
		{action: "iam:TagUser", resources: []string{user}, keys: tagKeys, do: func(ctx context.Context) error {
			_, err := c.TagUser(ctx, &iam.TagUserInput{UserName: un, Tags: tags})
			return err
		}},
		{action: "iam:TagPolicy", resources: []string{policy}, keys: tagKeys, do: func(ctx context.Context) error {
			_, err := c.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: s(policy), Tags: tags})
			return err
		}},
		{action: "iam:TagInstanceProfile", resources: []string{ip}, keys: tagKeys, do: func(ctx context.Context) error {
			_, err := c.TagInstanceProfile(ctx, &iam.TagInstanceProfileInput{InstanceProfileName: s("ip"), Tags: tags})
			return err
		}},
		{action: "iam:TagOpenIDConnectProvider", resources: []string{oidc}, keys: tagKeys, do: func(ctx context.Context) error {
			_, err := c.TagOpenIDConnectProvider(ctx, &iam.TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: s(oidc), Tags: tags})
			return err
		}},
		{action: "iam:TagMFADevice", resources: []string{mfa}, keys: tagKeys, do: func(ctx context.Context) error {
			_, err := c.TagMFADevice(ctx, &iam.TagMFADeviceInput{SerialNumber: s(mfa), Tags: tags})
			return err
		}},
		{action: "iam:CreateVirtualMFADevice", resources: []string{base + "mfa/x/nd"}, keys: tagKeys, do: func(ctx context.Context) error {
			_, err := c.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: s("nd"), Path: s("/x/"), Tags: tags})
			return err
		}},
		{action: "iam:EnableMFADevice", resources: []string{user}, do: func(ctx context.Context) error {
			_, err := c.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: un, SerialNumber: s(mfa), AuthenticationCode1: s("123456"), AuthenticationCode2: s("654321")})
			return err
		}},
		{action: "iam:DeactivateMFADevice", resources: []string{user}, do: func(ctx context.Context) error {
			_, err := c.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: un, SerialNumber: s(mfa)})
			return err
		}},
		{action: "iam:DeleteVirtualMFADevice", resources: []string{mfa}, do: func(ctx context.Context) error {
			_, err := c.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: s(mfa)})
			return err
		}},
		{action: "iam:ListMFADevices", resources: []string{user}, do: func(ctx context.Context) error {
			_, err := c.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: un})
			return err
		}},
		{action: "iam:ListMFADevices", name: "the caller", resources: []string{user}, do: func(ctx context.Context) error {
			_, err := c.ListMFADevices(ctx, &iam.ListMFADevicesInput{})
			return err
		}},
		{action: "iam:ListVirtualMFADevices", resources: []string{"*"}, do: func(ctx context.Context) error {
			_, err := c.ListVirtualMFADevices(ctx, &iam.ListVirtualMFADevicesInput{})
			return err
		}},
	}
}

func lambdaSDKCases(c *lambda.Client, acct string) []sdkAuthzCase {
	fn := "arn:aws:lambda:us-east-1:" + acct + ":function:f"
	const uuid = "6d8f1f2a-1111-2222-3333-444455556666"
	esm := "arn:aws:lambda:us-east-1:" + acct + ":event-source-mapping:" + uuid
	s := aws.String
	tags := map[string]string{"Env": "prod"}
	tagKeys := map[string]string{"aws:RequestTag/Env": "prod", "aws:TagKeys": "Env"}
	one := func(action, resource string, do func(ctx context.Context) error) sdkAuthzCase {
		return sdkAuthzCase{action: action, resources: []string{resource}, do: do}
	}
	return []sdkAuthzCase{
		{action: "lambda:TagResource", resources: []string{fn}, keys: tagKeys, do: func(ctx context.Context) error {
			_, err := c.TagResource(ctx, &lambda.TagResourceInput{Resource: s(fn), Tags: tags})
			return err
		}},
		one("lambda:ListTags", fn, func(ctx context.Context) error {
			_, err := c.ListTags(ctx, &lambda.ListTagsInput{Resource: s(fn)})
			return err
		}),
		{action: "lambda:UntagResource", resources: []string{fn}, keys: map[string]string{"aws:TagKeys": "Env"}, do: func(ctx context.Context) error {
			_, err := c.UntagResource(ctx, &lambda.UntagResourceInput{Resource: s(fn), TagKeys: []string{"Env"}})
			return err
		}},
		{action: "lambda:CreateEventSourceMapping", resources: []string{"*"}, keys: with2(tagKeys, "lambda:FunctionArn", fn), do: func(ctx context.Context) error {
			_, err := c.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: s("f"), EventSourceArn: s("arn:aws:sqs:us-east-1:" + acct + ":q"), Tags: tags})
			return err
		}},
		one("lambda:ListEventSourceMappings", "*", func(ctx context.Context) error {
			_, err := c.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{FunctionName: s("f")})
			return err
		}),
		{action: "lambda:GetEventSourceMapping", resources: []string{esm}, fromState: []string{"lambda:FunctionArn"}, do: func(ctx context.Context) error {
			_, err := c.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: s(uuid)})
			return err
		}},
		{action: "lambda:UpdateEventSourceMapping", resources: []string{esm}, keys: map[string]string{"lambda:FunctionArn": fn}, do: func(ctx context.Context) error {
			_, err := c.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: s(uuid), FunctionName: s("f")})
			return err
		}},
		{action: "lambda:UpdateEventSourceMapping", name: "keeps its function", resources: []string{esm}, fromState: []string{"lambda:FunctionArn"}, do: func(ctx context.Context) error {
			_, err := c.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: s(uuid), BatchSize: aws.Int32(5)})
			return err
		}},
		{action: "lambda:DeleteEventSourceMapping", resources: []string{esm}, fromState: []string{"lambda:FunctionArn"}, do: func(ctx context.Context) error {
			_, err := c.DeleteEventSourceMapping(ctx, &lambda.DeleteEventSourceMappingInput{UUID: s(uuid)})
			return err
		}},
		{action: "lambda:CreateFunction", resources: []string{fn}, keys: tagKeys, do: func(ctx context.Context) error {
			_, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: s("f"), Role: s("arn:aws:iam::" + acct + ":role/r"),
				Runtime: lambdatypes.RuntimeProvidedal2023, Handler: s("bootstrap"), Code: &lambdatypes.FunctionCode{ZipFile: []byte("zip")}, Tags: tags})
			return err
		}},
		one("lambda:ListFunctions", "*", func(ctx context.Context) error {
			_, err := c.ListFunctions(ctx, &lambda.ListFunctionsInput{})
			return err
		}),
		{action: "lambda:RemovePermission", resources: []string{fn}, keys: map[string]string{"lambda:Principal": "s3.amazonaws.com"}, do: func(ctx context.Context) error {
			_, err := c.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: s("f"), StatementId: s("s3")})
			return err
		}},
		one("lambda:GetFunction", fn, func(ctx context.Context) error {
			_, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: s("f")})
			return err
		}),
		one("lambda:GetFunction", fn, func(ctx context.Context) error {
			_, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: s(fn)})
			return err
		}),
		one("lambda:DeleteFunction", fn, func(ctx context.Context) error {
			_, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: s("f")})
			return err
		}),
		one("lambda:GetFunctionConfiguration", fn, func(ctx context.Context) error {
			_, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: s("f")})
			return err
		}),
		one("lambda:UpdateFunctionConfiguration", fn, func(ctx context.Context) error {
			_, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: s("f"), Role: s("arn:aws:iam::" + acct + ":role/r")})
			return err
		}),
		one("lambda:UpdateFunctionCode", fn, func(ctx context.Context) error {
			_, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: s("f"), ZipFile: []byte("zip")})
			return err
		}),
		one("lambda:InvokeFunction", fn, func(ctx context.Context) error {
			_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: s("f"), Payload: []byte("{}")})
			return err
		}),
		{action: "lambda:AddPermission", resources: []string{fn}, keys: map[string]string{"lambda:Principal": "s3.amazonaws.com"}, do: func(ctx context.Context) error {
			_, err := c.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: s("f"), StatementId: s("s3"), Action: s("lambda:InvokeFunction"),
				Principal: s("s3.amazonaws.com"), SourceAccount: s(acct)})
			return err
		}},
		one("lambda:GetPolicy", fn, func(ctx context.Context) error {
			_, err := c.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: s("f")})
			return err
		}),
		one("lambda:PutFunctionEventInvokeConfig", fn, func(ctx context.Context) error {
			_, err := c.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{FunctionName: s("f"), MaximumRetryAttempts: aws.Int32(1)})
			return err
		}),
		one("lambda:UpdateFunctionEventInvokeConfig", fn, func(ctx context.Context) error {
			_, err := c.UpdateFunctionEventInvokeConfig(ctx, &lambda.UpdateFunctionEventInvokeConfigInput{FunctionName: s("f"), MaximumRetryAttempts: aws.Int32(1)})
			return err
		}),
		one("lambda:GetFunctionEventInvokeConfig", fn, func(ctx context.Context) error {
			_, err := c.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: s("f")})
			return err
		}),
		one("lambda:DeleteFunctionEventInvokeConfig", fn, func(ctx context.Context) error {
			_, err := c.DeleteFunctionEventInvokeConfig(ctx, &lambda.DeleteFunctionEventInvokeConfigInput{FunctionName: s("f")})
			return err
		}),
		one("lambda:ListVersionsByFunction", fn, func(ctx context.Context) error {
			_, err := c.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: s("f")})
			return err
		}),
	}
}

func with2(m map[string]string, k, v string) map[string]string {
	out := maps.Clone(m)
	out[k] = v
	return out
}

func logsSDKCases(c *cloudwatchlogs.Client, acct string) []sdkAuthzCase {
	groupARN := "arn:aws:logs:us-east-1:" + acct + ":log-group:/secret/g"
	group, stream := groupARN+":*", groupARN+":log-stream:s"
	s := aws.String
	tags := map[string]string{"Env": "prod"}
	tagKeys := map[string]string{"aws:RequestTag/Env": "prod", "aws:TagKeys": "Env"}
	one := func(action, resource string, do func(ctx context.Context) error) sdkAuthzCase {
		return sdkAuthzCase{action: action, resources: []string{resource}, do: do}
	}
	return []sdkAuthzCase{
		{action: "logs:CreateLogGroup", resources: []string{group}, keys: tagKeys, do: func(ctx context.Context) error {
			_, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: s("/secret/g"), Tags: tags})
			return err
		}},
		one("logs:CreateLogStream", stream, func(ctx context.Context) error {
			_, err := c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: s("/secret/g"), LogStreamName: s("s")})
			return err
		}),
		one("logs:DeleteLogGroup", group, func(ctx context.Context) error {
			_, err := c.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: s("/secret/g")})
			return err
		}),
		one("logs:DeleteLogStream", stream, func(ctx context.Context) error {
			_, err := c.DeleteLogStream(ctx, &cloudwatchlogs.DeleteLogStreamInput{LogGroupName: s("/secret/g"), LogStreamName: s("s")})
			return err
		}),
		one("logs:DeleteRetentionPolicy", group, func(ctx context.Context) error {
			_, err := c.DeleteRetentionPolicy(ctx, &cloudwatchlogs.DeleteRetentionPolicyInput{LogGroupName: s("/secret/g")})
			return err
		}),
		one("logs:DescribeLogGroups", "*", func(ctx context.Context) error {
			_, err := c.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: s("/secret/")})
			return err
		}),
		{action: "logs:DescribeLogGroups", name: "by identifiers", resources: []string{"*"}, do: func(ctx context.Context) error {
			_, err := c.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupIdentifiers: []string{groupARN}})
			return err
		}},
		one("logs:DescribeLogStreams", group, func(ctx context.Context) error {
			_, err := c.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupIdentifier: s(groupARN)})
			return err
		}),
		one("logs:FilterLogEvents", group, func(ctx context.Context) error {
			_, err := c.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupIdentifier: s("/secret/g"), LogStreamNames: []string{"s"}})
			return err
		}),
		one("logs:GetLogEvents", stream, func(ctx context.Context) error {
			_, err := c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupIdentifier: s(groupARN), LogStreamName: s("s")})
			return err
		}),
		one("logs:PutLogEvents", stream, func(ctx context.Context) error {
			_, err := c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: s("/secret/g"), LogStreamName: s("s"),
				LogEvents: []logtypes.InputLogEvent{{Message: s("m"), Timestamp: aws.Int64(1)}}})
			return err
		}),
		one("logs:PutRetentionPolicy", group, func(ctx context.Context) error {
			_, err := c.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: s("/secret/g"), RetentionInDays: aws.Int32(7)})
			return err
		}),
		{action: "logs:TagResource", resources: []string{group}, keys: tagKeys, do: func(ctx context.Context) error {
			_, err := c.TagResource(ctx, &cloudwatchlogs.TagResourceInput{ResourceArn: s(groupARN), Tags: tags})
			return err
		}},
		{action: "logs:UntagResource", resources: []string{group}, keys: map[string]string{"aws:TagKeys": "Env"}, do: func(ctx context.Context) error {
			_, err := c.UntagResource(ctx, &cloudwatchlogs.UntagResourceInput{ResourceArn: s(groupARN), TagKeys: []string{"Env"}})
			return err
		}},
		one("logs:ListTagsForResource", group, func(ctx context.Context) error {
			_, err := c.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: s(groupARN)})
			return err
		}),
		{action: "logs:TagLogGroup", resources: []string{group}, keys: tagKeys, do: func(ctx context.Context) error {
			//lint:ignore SA1019 the deprecated operation is still served and authorized
			_, err := c.TagLogGroup(ctx, &cloudwatchlogs.TagLogGroupInput{LogGroupName: s("/secret/g"), Tags: tags})
			return err
		}},
	}
}
