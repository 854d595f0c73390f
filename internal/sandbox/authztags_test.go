package sandbox

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	s3ctypes "github.com/aws/aws-sdk-go-v2/service/s3control/types"

	"github.com/xacct/xacct/internal/iampolicy"
)

// TestAuthzTableRequestTags holds requestTagSources to the reference: every
// served action the reference gives aws:RequestTag or aws:TagKeys has an
// entry, and every entry is such an action.
func TestAuthzTableRequestTags(t *testing.T) {
	t.Parallel()
	ref := authzReference()
	n := 0
	for svc, names := range servedActions {
		for _, name := range strings.Fields(names) {
			action := svc + ":" + name
			ra := ref[action]
			if ra == nil {
				continue // TestAuthzTable names it
			}
			takes := slices.Contains(ra.keys, "aws:RequestTag/${TagKey}") || slices.Contains(ra.keys, "aws:TagKeys")
			src, listed := requestTagSources[action]
			switch {
			case takes && !listed:
				t.Errorf("%s takes aws:RequestTag or aws:TagKeys, but requestTagSources has no entry for it", action)
			case takes && (src.read == nil) == (src.none == ""):
				t.Errorf("%s: its requestTagSources entry must have exactly one of read and none", action)
			case takes:
				n++
			}
		}
	}
	for action := range requestTagSources {
		ra := ref[action]
		if ra == nil || !slices.Contains(ra.keys, "aws:TagKeys") {
			t.Errorf("requestTagSources lists %s, which the reference does not give aws:TagKeys", action)
		}
	}
	t.Logf("%d served actions take request tags", n)
}

// captured is one request as an SDK client sent it.
type captured struct {
	r    *http.Request
	body []byte
}

// sdkRequests records what the SDK clients send; it answers every request
// with an error, which the clients return (only the request matters).
type sdkRequests struct {
	mu   sync.Mutex
	last *captured
	srv  *httptest.Server
	cfg  aws.Config
}

func newSDKRequests(t *testing.T) *sdkRequests {
	t.Helper()
	s := &sdkRequests{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.last = &captured{r: r.Clone(context.Background()), body: b}
		s.mu.Unlock()
		w.WriteHeader(http.StatusTeapot)
	}))
	t.Cleanup(s.srv.Close)
	s.cfg = aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIA", "secret", ""),
		BaseEndpoint: aws.String(s.srv.URL), RetryMaxAttempts: 1}
	return s
}

// send runs do and returns the request it sent, as the gateway's call.
func (s *sdkRequests) send(t *testing.T, do func(ctx context.Context) error) *call {
	t.Helper()
	s.mu.Lock()
	s.last = nil
	s.mu.Unlock()
	_ = do(context.Background())
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last == nil {
		t.Fatal("the client sent nothing")
	}
	body := s.last.body
	if strings.Contains(s.last.r.Header.Get("Content-Encoding"), "aws-chunked") {
		t.Fatal("a streamed body: the test reads plain bodies only")
	}
	r := s.last.r
	r.Body = io.NopCloser(bytes.NewReader(body))
	return &call{r: r, body: body, cred: &credential{AccessKey: "AKIA"}}
}

// TestRequestTagsFromSDKRequests sends each served action that carries
// tags as the SDK sends it (tag Env=prod, or the key Env for the requests
// that remove tags) and checks the condition keys the gateway computes,
// and that a Deny on them (its key written in another case) refuses.
func TestRequestTagsFromSDKRequests(t *testing.T) {
	t.Parallel()
	s := newSDKRequests(t)
	iamc := iam.NewFromConfig(s.cfg)
	lc := lambda.NewFromConfig(s.cfg)
	logc := cloudwatchlogs.NewFromConfig(s.cfg)
	ctc := cloudtrail.NewFromConfig(s.cfg)
	s3cc := s.s3ControlClient()
	iamTags := []iamtypes.Tag{{Key: aws.String("Env"), Value: aws.String("prod")}, {Key: aws.String("team"), Value: aws.String("a")}}
	tags := map[string]string{"Env": "prod", "team": "a"}
	ctTags := []cttypes.Tag{{Key: aws.String("Env"), Value: aws.String("prod")}, {Key: aws.String("team"), Value: aws.String("a")}}
	fnARN := "arn:aws:lambda:us-east-1:222222222222:function:f"
	groupARN := "arn:aws:logs:us-east-1:222222222222:log-group:g"
	trailARN := "arn:aws:cloudtrail:us-east-1:222222222222:trail/t"
	tests := []struct {
		action, resource string
		keysOnly         bool
		do               func(ctx context.Context) error
	}{
		{"iam:CreateRole", "arn:aws:iam::222222222222:role/r", false, func(ctx context.Context) error {
			_, err := iamc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String("{}"), Tags: iamTags})
			return err
		}},
		{"iam:TagRole", "arn:aws:iam::222222222222:role/r", false, func(ctx context.Context) error {
			_, err := iamc.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("r"), Tags: iamTags})
			return err
		}},
		{"iam:TagUser", "arn:aws:iam::222222222222:user/u", false, func(ctx context.Context) error {
			_, err := iamc.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("u"), Tags: iamTags})
			return err
		}},
		{"iam:TagPolicy", "arn:aws:iam::222222222222:policy/p", false, func(ctx context.Context) error {
			_, err := iamc.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: aws.String("arn:aws:iam::222222222222:policy/p"), Tags: iamTags})
			return err
		}},
		{"iam:TagInstanceProfile", "arn:aws:iam::222222222222:instance-profile/ip", false, func(ctx context.Context) error {
			_, err := iamc.TagInstanceProfile(ctx, &iam.TagInstanceProfileInput{InstanceProfileName: aws.String("ip"), Tags: iamTags})
			return err
		}},
		{"iam:TagOpenIDConnectProvider", "arn:aws:iam::222222222222:oidc-provider/example.com", false, func(ctx context.Context) error {
			_, err := iamc.TagOpenIDConnectProvider(ctx, &iam.TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String("arn:aws:iam::222222222222:oidc-provider/example.com"), Tags: iamTags})
			return err
		}},
		{"iam:TagMFADevice", "arn:aws:iam::222222222222:mfa/d", false, func(ctx context.Context) error {
			_, err := iamc.TagMFADevice(ctx, &iam.TagMFADeviceInput{SerialNumber: aws.String("arn:aws:iam::222222222222:mfa/d"), Tags: iamTags})
			return err
		}},
		{"logs:TagLogGroup", groupARN, false, func(ctx context.Context) error {
			//lint:ignore SA1019 the deprecated operation is still served and authorized
			_, err := logc.TagLogGroup(ctx, &cloudwatchlogs.TagLogGroupInput{LogGroupName: aws.String("g"), Tags: tags})
			return err
		}},
		{"iam:CreateUser", "arn:aws:iam::222222222222:user/u", false, func(ctx context.Context) error {
			_, err := iamc.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u"), Tags: iamTags})
			return err
		}},
		{"iam:CreatePolicy", "arn:aws:iam::222222222222:policy/p", false, func(ctx context.Context) error {
			_, err := iamc.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String("{}"), Tags: iamTags})
			return err
		}},
		{"iam:CreateInstanceProfile", "arn:aws:iam::222222222222:instance-profile/ip", false, func(ctx context.Context) error {
			_, err := iamc.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("ip"), Tags: iamTags})
			return err
		}},
		{"iam:CreateOpenIDConnectProvider", "arn:aws:iam::222222222222:oidc-provider/example.com", false, func(ctx context.Context) error {
			_, err := iamc.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://example.com"), Tags: iamTags})
			return err
		}},
		{"iam:CreateVirtualMFADevice", "arn:aws:iam::222222222222:mfa/d", false, func(ctx context.Context) error {
			_, err := iamc.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("d"), Tags: iamTags})
			return err
		}},
		{"lambda:CreateFunction", fnARN, false, func(ctx context.Context) error {
			_, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("f"), Role: aws.String("arn:aws:iam::222222222222:role/r"),
				Code: &lambdatypes.FunctionCode{ZipFile: []byte("zip")}, Tags: tags})
			return err
		}},
		{"lambda:TagResource", fnARN, false, func(ctx context.Context) error {
			_, err := lc.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(fnARN), Tags: tags})
			return err
		}},
		{"lambda:UntagResource", fnARN, true, func(ctx context.Context) error {
			_, err := lc.UntagResource(ctx, &lambda.UntagResourceInput{Resource: aws.String(fnARN), TagKeys: []string{"Env", "team"}})
			return err
		}},
		{"lambda:CreateEventSourceMapping", "*", false, func(ctx context.Context) error {
			_, err := lc.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("f"), Tags: tags})
			return err
		}},
		{"logs:CreateLogGroup", groupARN + ":*", false, func(ctx context.Context) error {
			_, err := logc.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("g"), Tags: tags})
			return err
		}},
		{"logs:TagResource", groupARN, false, func(ctx context.Context) error {
			_, err := logc.TagResource(ctx, &cloudwatchlogs.TagResourceInput{ResourceArn: aws.String(groupARN), Tags: tags})
			return err
		}},
		{"logs:UntagResource", groupARN, true, func(ctx context.Context) error {
			_, err := logc.UntagResource(ctx, &cloudwatchlogs.UntagResourceInput{ResourceArn: aws.String(groupARN), TagKeys: []string{"Env", "team"}})
			return err
		}},
		{"cloudtrail:CreateTrail", trailARN, false, func(ctx context.Context) error {
			_, err := ctc.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("t"), S3BucketName: aws.String("b"), TagsList: ctTags})
			return err
		}},
		{"cloudtrail:AddTags", trailARN, false, func(ctx context.Context) error {
			_, err := ctc.AddTags(ctx, &cloudtrail.AddTagsInput{ResourceId: aws.String(trailARN), TagsList: ctTags})
			return err
		}},
		{"cloudtrail:RemoveTags", trailARN, true, func(ctx context.Context) error {
			_, err := ctc.RemoveTags(ctx, &cloudtrail.RemoveTagsInput{ResourceId: aws.String(trailARN), TagsList: []cttypes.Tag{{Key: aws.String("Env")}, {Key: aws.String("team")}}})
			return err
		}},
		{"s3:CreateJob", "*", false, func(ctx context.Context) error {
			_, err := s3cc.CreateJob(ctx, &s3control.CreateJobInput{AccountId: aws.String("222222222222"), ClientRequestToken: aws.String("t"),
				Priority: aws.Int32(1), RoleArn: aws.String("arn:aws:iam::222222222222:role/r"), ConfirmationRequired: aws.Bool(false),
				Operation: &s3ctypes.JobOperation{LambdaInvoke: &s3ctypes.LambdaInvokeOperation{FunctionArn: aws.String(fnARN)}},
				Report:    &s3ctypes.JobReport{Enabled: false},
				Manifest: &s3ctypes.JobManifest{Spec: &s3ctypes.JobManifestSpec{Format: s3ctypes.JobManifestFormatS3BatchOperationsCsv20180820, Fields: []s3ctypes.JobManifestFieldName{"Bucket", "Key"}},
					Location: &s3ctypes.JobManifestLocation{ObjectArn: aws.String("arn:aws:s3:::b/manifest.csv"), ETag: aws.String("e")}},
				Tags: []s3ctypes.S3Tag{{Key: aws.String("Env"), Value: aws.String("prod")}, {Key: aws.String("team"), Value: aws.String("a")}}})
			return err
		}},
	}
	covered := map[string]bool{"s3:CreateBucket": true} // TestCreateBucketKeys
	for _, tc := range tests {
		t.Run(tc.action, func(t *testing.T) {
			covered[tc.action] = true
			c := s.send(t, tc.do)
			ctx := map[string][]string{}
			if err := checkAuthzContext(c, authzRequest{action: tc.action, resource: tc.resource}, ctx); err != nil {
				t.Fatal(err)
			}
			if got := ctx["aws:TagKeys"]; !slices.Equal(got, []string{"Env", "team"}) {
				t.Errorf("aws:TagKeys = %q, want [Env team]", got)
			}
			deny := denyOn(tc.action, "*", `"ForAnyValue:StringEquals":{"aws:tagkeys":"Env"}`)
			if !tc.keysOnly {
				if got := ctx["aws:RequestTag/Env"]; !slices.Equal(got, []string{"prod"}) {
					t.Errorf("aws:RequestTag/Env = %q, want [prod]", got)
				}
				deny = denyOn(tc.action, "*", `"StringEquals":{"aws:RequestTag/ENV":"prod"}`)
			} else if _, ok := ctx["aws:RequestTag/Env"]; ok {
				t.Error("a request that removes tags has aws:RequestTag")
			}
			if res := evaluate(t, tc.action, tc.resource, ctx, deny); res.Decision != iampolicy.ExplicitDeny {
				t.Errorf("a Deny on the request's tags gives %v", res.Decision)
			}
		})
	}
	t.Cleanup(func() {
		for action, src := range requestTagSources {
			if src.read != nil && !covered[action] {
				t.Errorf("%s reads request tags, but no request of the SDK's checks them", action)
			}
		}
	})
}

// TestRequestTagsRefused: a request that names one tag key twice in two
// cases, or whose body does not parse, is refused rather than decided on
// part of it.
func TestRequestTagsRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, action, body string }{
		{"two cases", "lambda:TagResource", `{"Tags":{"env":"dev","Env":"prod"}}`},
		{"two cases in a form", "iam:TagRole", `Action=TagRole&RoleName=r&Tags.member.1.Key=env&Tags.member.1.Value=dev&Tags.member.2.Key=ENV&Tags.member.2.Value=prod`},
		{"not JSON", "logs:TagResource", `{"tags":`},
		{"tags not a map", "lambda:TagResource", `{"Tags":["Env"]}`},
		{"not XML", "s3:CreateBucket", `<CreateBucketConfiguration><Tags><Tag>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &call{r: httptest.NewRequest(http.MethodPost, "/", nil), body: []byte(tc.body)}
			err := addRequestTags(c, tc.action, map[string][]string{})
			if err == nil {
				t.Fatal("accepted")
			}
		})
	}
	// A form whose members skip a number is read whole.
	c := &call{body: []byte(`Action=TagRole&Tags.member.1.Key=a&Tags.member.1.Value=1&Tags.member.3.Key=Env&Tags.member.3.Value=prod`)}
	ctx := map[string][]string{}
	if err := addRequestTags(c, "iam:TagRole", ctx); err != nil {
		t.Fatal(err)
	}
	if got := ctx["aws:RequestTag/Env"]; !slices.Equal(got, []string{"prod"}) {
		t.Errorf("a tag after a gap in the members: aws:RequestTag/Env = %q", got)
	}
}

// TestCreateBucketKeys: CreateBucket's body, as the SDK sends it, gives
// s3:locationconstraint, and the tags it sets aws:RequestTag.
func TestCreateBucketKeys(t *testing.T) {
	t.Parallel()
	s := newSDKRequests(t)
	s3c := s.s3Client()
	c := s.send(t, func(ctx context.Context) error {
		_, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("b"),
			CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraintEuWest1}})
		return err
	})
	ctx := map[string][]string{}
	if err := checkAuthzContext(c, authzRequest{action: "s3:CreateBucket", resource: "arn:aws:s3:::b"}, ctx); err != nil {
		t.Fatal(err)
	}
	if got := ctx["s3:locationconstraint"]; !slices.Equal(got, []string{"eu-west-1"}) {
		t.Errorf("s3:locationconstraint = %q", got)
	}
	if res := evaluate(t, "s3:CreateBucket", "arn:aws:s3:::b", ctx, denyOn("s3:CreateBucket", "*", `"StringNotEquals":{"s3:LocationConstraint":"us-west-2"}`)); res.Decision != iampolicy.ExplicitDeny {
		t.Errorf("a Deny outside us-west-2 gives %v", res.Decision)
	}
	c.body = []byte(`<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Tags><Tag><Key>Env</Key><Value>prod</Value></Tag></Tags></CreateBucketConfiguration>`)
	ctx = map[string][]string{}
	if err := checkAuthzContext(c, authzRequest{action: "s3:CreateBucket", resource: "arn:aws:s3:::b"}, ctx); err != nil {
		t.Fatal(err)
	}
	if got := ctx["aws:RequestTag/Env"]; !slices.Equal(got, []string{"prod"}) {
		t.Errorf("aws:RequestTag/Env = %q", got)
	}
}

func TestObjectCreationOperation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ method, query, copySource, want string }{
		{"PUT", "", "", "PutObject"},
		{"PUT", "", "b/src", "CopyObject"},
		{"PUT", "partNumber=1&uploadId=u", "", "UploadPart"},
		{"PUT", "partNumber=1&uploadId=u", "b/src", "UploadPartCopy"},
		{"POST", "uploads", "", "CreateMultipartUpload"},
		{"POST", "uploadId=u", "", "CompleteMultipartUpload"},
		{"GET", "", "", ""},
	} {
		r := httptest.NewRequest(tc.method, "https://s3.localhost/b/k?"+tc.query, nil)
		if tc.copySource != "" {
			r.Header.Set("X-Amz-Copy-Source", tc.copySource)
		}
		if got := objectCreationOperation(&call{r: r}); got != tc.want {
			t.Errorf("%s ?%s copy %q: %q, want %q", tc.method, tc.query, tc.copySource, got, tc.want)
		}
	}
}

func TestParseTagTarget(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		arn, owner string
		want       tagTarget
		ok         bool
	}{
		{"arn:aws:s3:::b", "222222222222", tagTarget{"bucket", "222222222222", "b"}, true},
		{"arn:aws:s3:::b/a/k:1", "222222222222", tagTarget{"bucket", "222222222222", "b"}, true},
		{"arn:aws:s3:::*", "", tagTarget{}, false},
		{"arn:aws:iam::222222222222:role/team/r", "", tagTarget{"role", "222222222222", "r"}, true},
		{"arn:aws:iam::222222222222:user/u", "", tagTarget{"user", "222222222222", "u"}, true},
		{"arn:aws:iam::222222222222:policy/p/q", "", tagTarget{"policy", "222222222222", "arn:aws:iam::222222222222:policy/p/q"}, true},
		{"arn:aws:iam::222222222222:instance-profile/ip", "", tagTarget{"instance-profile", "222222222222", "ip"}, true},
		{"arn:aws:lambda:us-east-1:222222222222:function:f:live", "", tagTarget{"function", "222222222222", "f"}, true},
		{"arn:aws:lambda:us-east-1:222222222222:event-source-mapping:u", "", tagTarget{"event-source-mapping", "222222222222", "u"}, true},
		{"arn:aws:logs:us-east-1:222222222222:log-group:/a/b:*", "", tagTarget{"log-group", "222222222222", "/a/b"}, true},
		{"arn:aws:logs:us-east-1:222222222222:log-group:g:log-stream:s", "", tagTarget{"log-group", "222222222222", "g"}, true},
		{"arn:aws:cloudtrail:us-east-1:222222222222:trail/t", "", tagTarget{"trail", "222222222222", "t"}, true},
		{"arn:aws:s3:us-east-1:222222222222:job/j", "", tagTarget{"job", "222222222222", "j"}, true},
		{"*", "", tagTarget{}, false},
	} {
		got, ok := parseTagTarget(tc.arn, tc.owner)
		if ok != tc.ok || ok && got != tc.want {
			t.Errorf("%s: %+v %v, want %+v %v", tc.arn, got, ok, tc.want, tc.ok)
		}
	}
}

// TestResourceTagsOverTheTable: for every served action the reference
// gives a resource tag key, on each of its resource types, the tags of the
// resource (from a fake reader) reach the policy as each key the reference
// lists, so that a Deny on the tag, its key written in any case, refuses;
// resource kinds whose tags the sandbox does not keep refuse the request
// when a policy asks. Nothing is read when no policy asks.
func TestResourceTagsOverTheTable(t *testing.T) {
	t.Parallel()
	ref := authzReference()
	values := map[string]string{"Partition": "aws", "Region": "us-east-1", "Account": "222222222222"}
	n := 0
	for svc, names := range servedActions {
		for _, name := range strings.Fields(names) {
			action := svc + ":" + name
			a := authzTable()[action]
			if a == nil || a.tagFamilies == nil {
				continue
			}
			n++
			for _, r := range ref[action].resources {
				arn := r.arn.sample(values)
				var read []tagTarget
				reader := func(_ context.Context, tt tagTarget) (map[string]string, error) {
					read = append(read, tt)
					return map[string]string{"Env": "prod", "team": "a"}, nil
				}
				lc := resourceTagContext(a.tagFamilies, arn, "222222222222", reader)
				if lc == nil {
					t.Errorf("%s on its %s %s: no resource tags", action, r.typ, arn)
					continue
				}
				tt, _ := parseTagTarget(arn, "222222222222")
				plain := evalWith(t, action, arn, lc, denyOn("s3:NotThis", "*", ""))
				if len(read) != 0 || plain.Decision != iampolicy.Allowed {
					t.Errorf("%s: tags read (%d) or refused (%v) with no policy asking", action, len(read), plain.Decision)
				}
				for _, f := range a.tagFamilies.keys {
					key := strings.ToUpper(strings.TrimSuffix(f, "${TagKey}")) + "ENV"
					res := evalWith(t, action, arn, lc, denyOn(action, "*", `"StringEquals":{"`+key+`":"prod"}`))
					unknown := !knownTagKinds[tt.kind]
					switch {
					case unknown && !errors.Is(res.err, errUnknownResourceTags):
						t.Errorf("%s on %s (%s): %v, want the tags refused as unknown", action, arn, f, res.err)
					case !unknown && (res.err != nil || res.Decision != iampolicy.ExplicitDeny):
						t.Errorf("%s on %s: a Deny on %s=prod gives %v %v", action, arn, key, res.Decision, res.err)
					}
				}
			}
		}
	}
	t.Logf("%d served actions carry resource tags", n)
	if n < 150 {
		t.Errorf("only %d actions carry resource tags", n)
	}
}

// TestResourceTagsAmbiguous: a resource holding two tag keys that differ
// only in case is refused when a policy names the key.
func TestResourceTagsAmbiguous(t *testing.T) {
	t.Parallel()
	lc := resourceTagContext(newTagFamilies([]string{"aws:ResourceTag/${TagKey}"}), "arn:aws:lambda:us-east-1:222222222222:function:f", "",
		func(context.Context, tagTarget) (map[string]string, error) {
			return map[string]string{"env": "dev", "Env": "prod"}, nil
		})
	res := evalWith(t, "lambda:GetFunction", "arn:aws:lambda:us-east-1:222222222222:function:f", lc,
		denyOn("lambda:GetFunction", "*", `"StringNotEquals":{"aws:ResourceTag/env":"dev"}`))
	if !errors.Is(res.err, errAmbiguousTags) {
		t.Errorf("%v %v, want refused", res.Decision, res.err)
	}
}

type evalResult struct {
	iampolicy.Result
	err error
}

// evalWith evaluates as gateway.authorize does: the lazy context loaded
// when the policy asks.
func evalWith(t *testing.T, action, resource string, lc *lazyContext, doc string) evalResult {
	t.Helper()
	p, err := iampolicy.Parse([]byte(doc), iampolicy.Identity)
	if err != nil {
		t.Fatalf("%s: %v", doc, err)
	}
	req := &iampolicy.Request{Principal: "arn:aws:iam::222222222222:user/u", Action: action, Resource: resource,
		ResourceAccount: "222222222222", Context: map[string][]string{}, IdentityPolicies: []iampolicy.NamedPolicy{{Name: "p", Policy: p}}}
	if err := loadLazy(context.Background(), req, []*lazyContext{lc}); err != nil {
		return evalResult{err: err}
	}
	res, err := iampolicy.Evaluate(req)
	if err != nil {
		t.Fatal(err)
	}
	return evalResult{Result: res}
}

// TestEventSourceMappingFunction: lambda:FunctionArn is the function a
// Create or Update names, as a full ARN whatever form it is given in.
func TestEventSourceMappingFunction(t *testing.T) {
	t.Parallel()
	g := &gateway{sb: &Sandbox{Region: "us-east-1"}}
	for _, fn := range []string{"f", "222222222222:function:f", "arn:aws:lambda:us-east-1:222222222222:function:f"} {
		c := &call{r: httptest.NewRequest(http.MethodPost, "/", nil), body: []byte(`{"FunctionName":"` + fn + `"}`),
			cred: &credential{AccessKey: "AKIA", Principal: principal{Kind: "user", Account: "222222222222"}}}
		lc := g.eventSourceMappingFunction(c, authzRequest{action: "lambda:CreateEventSourceMapping", resource: "*"})
		res := evalWith(t, "lambda:CreateEventSourceMapping", "*", lc, denyOn("lambda:CreateEventSourceMapping", "*",
			`"StringEquals":{"lambda:FunctionArn":"arn:aws:lambda:us-east-1:222222222222:function:f"}`))
		if res.err != nil || res.Decision != iampolicy.ExplicitDeny {
			t.Errorf("FunctionName %s: %v %v", fn, res.Decision, res.err)
		}
	}
}

// BenchmarkTagContext is what the tag keys add to a GetObject's
// authorization when no policy asks for tags (the common request): the
// lazy contexts made and the policies scanned for a condition on them.
func BenchmarkTagContext(b *testing.B) {
	g := &gateway{sb: &Sandbox{Region: "us-east-1"}}
	c := &call{r: httptest.NewRequest(http.MethodGet, "https://s3.localhost/b/k", nil), cred: &credential{AccessKey: "AKIA", Principal: principal{Kind: "session", Account: "222222222222"}}}
	ar := authzRequest{action: "s3:GetObject", resource: "arn:aws:s3:::b/k", resourceAccount: "222222222222"}
	var ids []iampolicy.NamedPolicy
	for _, doc := range []string{allowAllDoc, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`} {
		p, err := iampolicy.Parse([]byte(doc), iampolicy.Identity)
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, iampolicy.NamedPolicy{Name: "p", Policy: p})
	}
	req := &iampolicy.Request{Action: ar.action, Resource: ar.resource, Context: map[string][]string{}, IdentityPolicies: ids}
	for b.Loop() {
		lazies := []*lazyContext{nil, g.resourceTags(ar), g.eventSourceMappingFunction(c, ar)}
		if err := loadLazy(context.Background(), req, lazies); err != nil {
			b.Fatal(err)
		}
	}
}

const allowAllDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`
