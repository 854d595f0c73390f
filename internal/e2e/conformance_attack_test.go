package e2e

// Issue 22's six classes of authorization bypass sent by clients no one
// here wrote: Debian's AWS CLI 2.9 where it can say them, and boto3 (the
// attack commands of testdata/conformance/boto3_client.py) under Debian's
// Python and the python3 on PATH. Each attack is refused with AWS's error,
// and each has a control: the same request without the attack succeeds,
// so that a refusal is the sandbox's judgement and not a broken set-up.
// The Go SDK's and raw HTTP's versions are the TestAttack* tests.

import (
	"context"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/xacct/xacct/internal/sandbox"
)

// attackOutcome is what one call of an attack command of boto3_client.py
// got: Code "ok", or AWS's error code and message; for a call boto3 sent
// more than once, each attempt.
type attackOutcome struct {
	Code, Message string
	Attempts      []attempt
}

// attempt is one HTTP attempt of a call: the region it was signed for,
// its status and S3's error code.
type attempt struct {
	Region string
	Status int
	Code   string
}

// boto3Attack runs an attack command of boto3_client.py with py and wants
// each call, by name, to have got the code want gives it ("ok": allowed).
func boto3Attack(t *testing.T, py boto3Python, id identity, want map[string]string, args ...string) map[string]attackOutcome {
	t.Helper()
	var got map[string]attackOutcome
	boto3With(t, py.py, id, &got, args...)
	for name, code := range want {
		if o, ok := got[name]; !ok {
			t.Errorf("%s: no outcome for %q", py.name, name)
		} else if o.Code != code {
			t.Errorf("%s %s: %s %q, want %s", py.name, name, o.Code, o.Message, code)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: an outcome for %q, which the test does not expect", py.name, name)
		}
	}
	return got
}

// awsRefused runs the AWS CLI, wants it to fail with the AWS error code and
// a message holding each of says.
func awsRefused(t *testing.T, id identity, code string, says []string, args ...string) {
	t.Helper()
	stderr := awsFails(t, id, code, args...)
	for _, s := range says {
		if !strings.Contains(stderr, s) {
			t.Errorf("aws %s: the error does not say %q:\n%s", strings.Join(args, " "), s, stderr)
		}
	}
}

// TestConformanceAttacks sends each class of issue 22 with the AWS CLI and
// with each boto3, in parallel with the other classes; within a class the
// clients take turns on one set-up.
func TestConformanceAttacks(t *testing.T) {
	needRealClients(t)
	t.Parallel()
	pythons := boto3Pythons(t)
	ctx := context.Background()

	t.Run("1 update-function-configuration --role needs iam:PassRole", func(t *testing.T) {
		t.Parallel()
		prod := orgAdmin(t, prodID)
		execRoles := []string{lambdaRoleFor(t, prod, "exec-a"), lambdaRoleFor(t, prod, "exec-b")}
		adminRole := lambdaRoleFor(t, prod, "admin-cli")
		must(prod.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(adminRole[strings.LastIndexByte(adminRole, '/')+1:]),
			PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}))(t)
		fn := uniq(t, "swap-cli")
		fnARN := "arn:aws:lambda:" + shared.Region + ":" + prodID + ":function:" + fn
		lc := lambda.NewFromConfig(prod.cfg)
		must(lc.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(fn), Runtime: lambdatypes.RuntimeProvidedal2023,
			Handler: aws.String("bootstrap"), Role: aws.String(execRoles[0]), Code: &lambdatypes.FunctionCode{ZipFile: tinyZip(t)}}))(t)
		// The caller may configure the function and pass the two execution
		// roles to Lambda, not the administrator's role.
		user := uniq(t, "swapper-cli")
		must(prod.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user)}))(t)
		must(prod.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String("configure"), PolicyDocument: aws.String(
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["lambda:UpdateFunctionConfiguration","lambda:GetFunctionConfiguration"],"Resource":"` + fnARN + `"},` +
				`{"Effect":"Allow","Action":"iam:PassRole","Resource":["` + execRoles[0] + `","` + execRoles[1] + `"],"Condition":{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"}}}]}`)}))(t)
		id := identityOf(t, userKey(t, prod, user))
		role := func() string {
			t.Helper()
			return aws.ToString(must(lc.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(fn)}))(t).Role)
		}

		awsRefused(t, id, "AccessDeniedException", []string{"iam:PassRole", adminRole},
			"lambda", "update-function-configuration", "--function-name", fn, "--role", adminRole)
		awsOK(t, id, "lambda", "update-function-configuration", "--function-name", fn, "--role", execRoles[1])
		if got := role(); got != execRoles[1] {
			t.Fatalf("after the CLI: role %s, want %s", got, execRoles[1])
		}
		for i, py := range pythons {
			allowed := execRoles[i%2]
			got := boto3Attack(t, py, id, map[string]string{"attack": "AccessDeniedException", "control": "ok"}, "attack-pass-role", fn, adminRole, allowed)
			if msg := got["attack"].Message; !strings.Contains(msg, "iam:PassRole") || !strings.Contains(msg, adminRole) {
				t.Errorf("%s: the refusal %q does not name iam:PassRole on %s", py.name, msg, adminRole)
			}
			if got := role(); got != allowed {
				t.Fatalf("after %s: role %s, want %s", py.name, got, allowed)
			}
		}
	})

	t.Run("2 a log group by --log-group-identifier or ARN under a Deny", func(t *testing.T) {
		t.Parallel()
		prod := orgAdmin(t, prodID)
		logsAdmin := cloudwatchlogs.NewFromConfig(prod.cfg)
		secret, public := secretAndPublicLogGroups(t, logsAdmin, "cli")
		must(logsAdmin.TagResource(ctx, &cloudwatchlogs.TagResourceInput{ResourceArn: aws.String(logGroupARN(prodID, secret)), Tags: map[string]string{"keep": "1"}}))(t)
		user := uniq(t, "logreader-cli")
		must(prod.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user)}))(t)
		must(prod.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String("logs"), PolicyDocument: aws.String(
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"*"},` +
				`{"Effect":"Deny","Action":"logs:*","Resource":"arn:aws:logs:*:` + prodID + `:log-group:/secret/*"}]}`)}))(t)
		id := identityOf(t, userKey(t, prod, user))
		refusal := "is not authorized to perform: logs:"

		// Each refusal names the action and the group it was authorized on.
		for _, c := range []struct {
			action, group string
			args          []string
		}{
			{"FilterLogEvents", logGroupARN(prodID, secret), []string{"filter-log-events", "--log-group-identifier", secret}},
			{"DescribeLogStreams", logGroupARN(prodID, secret), []string{"describe-log-streams", "--log-group-identifier", logGroupARN(prodID, secret)}},
			{"GetLogEvents", logGroupARN(prodID, secret), []string{"get-log-events", "--log-group-identifier", logGroupARN(prodID, secret), "--log-stream-name", "s"}},
			{"TagResource", logGroupARN(prodID, secret), []string{"tag-resource", "--resource-arn", logGroupARN(prodID, secret), "--tags", "owned=cli"}},
			{"ListTagsForResource", logGroupARN(prodID, secret), []string{"list-tags-for-resource", "--resource-arn", logGroupARN(prodID, secret)}},
			// Another account's ARN naming a group that exists, under that
			// name, in the caller's own account.
			{"FilterLogEvents", logGroupARN(repID, public), []string{"filter-log-events", "--log-group-identifier", logGroupARN(repID, public)}},
		} {
			awsRefused(t, id, "AccessDeniedException", []string{refusal + c.action + " on resource: " + c.group}, append([]string{"logs"}, c.args...)...)
		}
		// The same requests on the group the caller may read: by
		// identifier and by the tagging operations' ARN (boto3 below sends
		// every one of them).
		var events struct{ Events []struct{ Message string } }
		awsJSON(t, id, &events, "logs", "filter-log-events", "--log-group-identifier", logGroupARN(prodID, public))
		if len(events.Events) != 1 || events.Events[0].Message != "line of "+public {
			t.Errorf("filter-log-events by the ARN of %s: %+v", public, events.Events)
		}
		awsOK(t, id, "logs", "tag-resource", "--resource-arn", logGroupARN(prodID, public), "--tags", "cli=yes")

		want := map[string]string{}
		for _, name := range []string{"filter by name", "filter by ARN", "describe streams", "get events", "tag", "list tags"} {
			want[name] = "AccessDeniedException"
			want["control "+name] = "ok"
		}
		want["filter by another account's ARN"] = "AccessDeniedException"
		for _, py := range pythons {
			got := boto3Attack(t, py, id, want, "attack-log-groups", secret, public, prodID, repID)
			for name, o := range got {
				if o.Code != "ok" && !strings.Contains(o.Message, refusal) {
					t.Errorf("%s %s: %q is not IAM's refusal", py.name, name, o.Message)
				}
			}
		}
		tagsOf := func(name string) map[string]string {
			return must(logsAdmin.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String(logGroupARN(prodID, name))}))(t).Tags
		}
		if got := tagsOf(secret); !maps.Equal(got, map[string]string{"keep": "1"}) {
			t.Errorf("the secret group's tags are now %v", got)
		}
		if got := tagsOf(public); !maps.Equal(got, map[string]string{"cli": "yes", "team": "boto3"}) {
			t.Errorf("the public group's tags are %v, want cli=yes and team=boto3", got)
		}
	})

	t.Run("3 get-object and head-object of an object a Deny on s3:ExistingObjectTag names", func(t *testing.T) {
		t.Parallel()
		prod := orgAdmin(t, prodID)
		bucket := uniq(t, "tagged-cli")
		must(prod.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}))(t)
		in := s3Put(bucket, "secret.txt", "the secret")
		in.Tagging = aws.String("classification=secret")
		must(prod.s3.PutObject(ctx, in))(t)
		must(prod.s3.PutObject(ctx, s3Put(bucket, "plain.txt", "plain")))(t)
		objects := `"arn:aws:s3:::` + bucket + `/*"`
		sess, _ := sessionWith(t, prodID, `{"Version":"2012-10-17","Statement":[`+
			`{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::`+bucket+`",`+objects+`]},`+
			`{"Effect":"Deny","Action":"s3:GetObject","Resource":`+objects+`,"Condition":{"StringEquals":{"s3:ExistingObjectTag/classification":"secret"}}}]}`)
		id := identityOf(t, sess)
		dir := t.TempDir()

		// A HEAD's refusal has no body to say why: its control is the same
		// HEAD of the untagged object. GetObject's says it.
		stolen := filepath.Join(dir, "stolen")
		awsRefused(t, id, "AccessDenied", []string{"s3:GetObject on resource: ", bucket + "/secret.txt", "explicit deny"},
			"s3api", "get-object", "--bucket", bucket, "--key", "secret.txt", stolen)
		if b, err := os.ReadFile(stolen); err == nil && len(b) > 0 {
			t.Errorf("get-object was refused but wrote %q", b)
		}
		awsFails(t, id, "403", "s3api", "head-object", "--bucket", bucket, "--key", "secret.txt")
		awsOK(t, id, "s3api", "head-object", "--bucket", bucket, "--key", "plain.txt")
		for _, py := range pythons {
			// boto3 names a HEAD's refusal by its status: S3 sends no body.
			boto3Attack(t, py, id, map[string]string{"get": "AccessDenied", "head": "403", "control get": "ok", "control head": "ok"},
				"attack-object-tag", bucket, "secret.txt", "plain.txt")
		}
	})

	t.Run("4 assume-role --policy-arns narrows the session", func(t *testing.T) {
		t.Parallel()
		prod := orgAdmin(t, prodID)
		bucket := uniq(t, "sessionpol-cli")
		must(prod.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}))(t)
		must(prod.s3.PutObject(ctx, s3Put(bucket, "a.txt", "a")))(t)
		objects := "arn:aws:s3:::" + bucket + "/*"
		role := uniq(t, "narrowed-cli")
		roleARN := "arn:aws:iam::" + prodID + ":role/" + role
		must(prod.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + prodID + `:root"},"Action":"sts:AssumeRole"}]}`)}))(t)
		must(prod.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String("objects"), PolicyDocument: aws.String(
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"` + objects + `"}]}`)}))(t)
		readOnly := aws.ToString(must(prod.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(uniq(t, "read-objects-cli")), PolicyDocument: aws.String(
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"` + objects + `"}]}`)}))(t).Policy.Arn)
		id := identityOf(t, prod)
		exists := func(key string) bool {
			_, err := prod.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
			return err == nil
		}
		body := filepath.Join(t.TempDir(), "body")
		must(0, os.WriteFile(body, []byte("x"), 0o600))(t)

		var assumed struct {
			Credentials struct{ AccessKeyId, SecretAccessKey, SessionToken string }
		}
		awsJSON(t, id, &assumed, "sts", "assume-role", "--role-arn", roleARN, "--role-session-name", "cli", "--policy-arns", "arn="+readOnly)
		narrowed := identity{assumed.Credentials.AccessKeyId, assumed.Credentials.SecretAccessKey, assumed.Credentials.SessionToken}
		// The refusal names the session: its credentials are good, and
		// only the session policy stands in the way (the same put by a
		// session without one goes through).
		awsRefused(t, narrowed, "AccessDenied", []string{"assumed-role/" + role + "/cli is not authorized to perform: s3:PutObject"},
			"s3api", "put-object", "--bucket", bucket, "--key", "cli.txt", "--body", body)
		if exists("cli.txt") {
			t.Error("the narrowed session wrote cli.txt")
		}
		awsOK(t, identityOf(t, must(assumeWith(t, prod, roleARN, "plain", ""))(t)), "s3api", "put-object", "--bucket", bucket, "--key", "cli.txt", "--body", body)

		// Narrowed by the customer managed policy, then by AWS's
		// ReadOnlyAccess, then not narrowed: each session writes its own key.
		readOnlyName := readOnly[strings.LastIndexByte(readOnly, '/')+1:]
		for i, py := range pythons {
			prefix := "boto3-" + string(rune('a'+i)) + "-"
			boto3Attack(t, py, id, map[string]string{
				readOnlyName + " put": "AccessDenied", readOnlyName + " get": "ok",
				"ReadOnlyAccess put": "AccessDenied", "ReadOnlyAccess get": "ok",
				"no session policy put": "ok", "no session policy get": "ok",
			}, "attack-session-policy", roleARN, bucket, "a.txt", prefix, readOnly, "arn:aws:iam::aws:policy/ReadOnlyAccess")
			for j, want := range []bool{false, false, true} {
				if key := prefix + string(rune('0'+j)) + ".txt"; exists(key) != want {
					t.Errorf("%s: %s exists %v, want %v", py.name, key, !want, want)
				}
			}
		}
	})

	t.Run("5 two accounts race to create a bucket name", func(t *testing.T) {
		t.Parallel()
		accounts := []string{prodID, devID}
		clients := []*client{orgAdmin(t, prodID), orgAdmin(t, devID)}
		// owner is each name's winner, -1 for a name without one.
		owner := map[string]int{}
		t.Cleanup(func() {
			for name, w := range owner {
				for j, c := range clients {
					if w == j || w < 0 {
						_, _ = c.s3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(name)})
					}
				}
			}
		})
		// judge wants one account to have created name and the other to
		// have got BucketAlreadyExists.
		judge := func(client, name string, codes []string) {
			t.Helper()
			switch {
			case codes[0] == "ok" && codes[1] == "BucketAlreadyExists":
				owner[name] = 0
			case codes[1] == "ok" && codes[0] == "BucketAlreadyExists":
				owner[name] = 1
			default:
				owner[name] = -1
				t.Errorf("%s: %s: %s got %s, %s got %s; want one to create it and the other BucketAlreadyExists", client, name, accounts[0], codes[0], accounts[1], codes[1])
			}
		}

		// The CLI: one name, both accounts at once.
		name := uniq(t, "race-cli")
		codes := make([]string, 2)
		errCode := regexp.MustCompile(`\(([A-Za-z]+)\)`)
		var wg sync.WaitGroup
		for j, c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, stderr, err := awsRun(t, identityOf(t, c), "s3api", "create-bucket", "--bucket", name)
				switch m := errCode.FindStringSubmatch(stderr); {
				case err == nil:
					codes[j] = "ok"
				case m != nil:
					codes[j] = m[1]
				default:
					codes[j] = err.Error()
				}
			}()
		}
		wg.Wait()
		judge("the AWS CLI", name, codes)

		// boto3: 100 rounds (200 attempts) of a new name each, ten rounds
		// at a time, shared by the Pythons.
		mgmt := identityOf(t, admin(t))
		roles := []string{"arn:aws:iam::" + prodID + ":role/" + sandbox.DefaultAdminRoleName, "arn:aws:iam::" + devID + ":role/" + sandbox.DefaultAdminRoleName}
		rounds := 100 / len(pythons)
		for i, py := range pythons {
			var got struct {
				Rounds []struct {
					Name  string
					Codes []string
				}
			}
			boto3With(t, py.py, mgmt, &got, "attack-bucket-race", roles[0], roles[1], uniq(t, "race")+"-"+string(rune('a'+i)), strconv.Itoa(rounds))
			if len(got.Rounds) != rounds {
				t.Fatalf("%s raced %d rounds, want %d", py.name, len(got.Rounds), rounds)
			}
			for _, r := range got.Rounds {
				judge(py.name, r.Name, r.Codes)
			}
		}
		wins := [2]int{}
		for _, w := range owner {
			if w >= 0 {
				wins[w]++
			}
		}
		t.Logf("%d names: %s won %d, %s won %d", len(owner), accounts[0], wins[0], accounts[1], wins[1])
		// Each name is listed by its owner only.
		for j, c := range clients {
			listed := map[string]bool{}
			for _, b := range must(c.s3.ListBuckets(ctx, &s3.ListBucketsInput{}))(t).Buckets {
				listed[aws.ToString(b.Name)] = true
			}
			for name, w := range owner {
				if w >= 0 && listed[name] != (w == j) {
					t.Errorf("%s: listed in %s = %v, but %s owns it", name, accounts[j], listed[name], accounts[w])
				}
			}
		}
	})

	t.Run("6 signatures dated ahead, scoped to another region, or two at once", func(t *testing.T) {
		t.Parallel()
		s := newAttackScene(t)
		a := s.victimA
		must(s.prod.s3.PutObject(ctx, s3Put(a, "readable.txt", "readable")))(t)
		id := identity{s.attacker.AccessKeyID, s.attacker.SecretAccessKey, ""}
		other := otherRegion()
		get := func(url string) (int, string, string) {
			t.Helper()
			req, err := http.NewRequest(http.MethodGet, url, nil)
			if err != nil {
				t.Fatal(err)
			}
			return send(t, req)
		}

		// S3 refuses the request signed for another region and names its
		// own; the CLI, as AWS's SDKs do, signs again for that one.
		out := filepath.Join(t.TempDir(), "readable")
		_, stderr, err := awsRun(t, id, "--debug", "s3api", "get-object", "--bucket", a, "--key", "readable.txt", "--region", other, out)
		var statuses []string
		for _, m := range regexp.MustCompile(`"GET /`+regexp.QuoteMeta(a)+`/readable.txt HTTP/1.1" (\d+)`).FindAllStringSubmatch(stderr, -1) {
			statuses = append(statuses, m[1])
		}
		if b, _ := os.ReadFile(out); err != nil || !slices.Equal(statuses, []string{"400", "200"}) || string(b) != "readable" ||
			!strings.Contains(stderr, "<Code>AuthorizationHeaderMalformed</Code>") || !strings.Contains(stderr, "<Region>"+shared.Region+"</Region>") {
			t.Errorf("get-object --region %s: %v, responses %v, read %q; want 400 AuthorizationHeaderMalformed naming %s, then 200 signed for it", other, err, statuses, b, shared.Region)
		}
		scoped := []string{"Credential should be scoped to a valid region, not '" + other + "'"}
		awsRefused(t, id, "SignatureDoesNotMatch", scoped, "sts", "get-caller-identity", "--region", other)
		awsRefused(t, id, "SignatureDoesNotMatch", scoped, "iam", "get-user", "--region", other)
		awsOK(t, id, "iam", "get-user") // signed for the endpoint's region (boto3 below sends STS's too)
		url := strings.TrimSpace(awsOK(t, id, "s3", "presign", "s3://"+a+"/readable.txt", "--region", other))
		if status, code, body := get(url); status != http.StatusBadRequest || code != "AuthorizationQueryParametersError" || !strings.Contains(body, "expecting '"+shared.Region+"'") {
			t.Errorf("GET of a URL the CLI presigned for %s: %d %s %.300s; want 400 AuthorizationQueryParametersError", other, status, code, body)
		}
		url = strings.TrimSpace(awsOK(t, id, "s3", "presign", "s3://"+a+"/readable.txt"))
		if status, _, body := get(url); status != http.StatusOK || body != "readable" {
			t.Errorf("GET of a URL the CLI presigned: %d %.300s", status, body)
		}

		for _, py := range pythons {
			got := boto3Attack(t, py, id, map[string]string{
				"presigned 20 minutes ahead":             "AccessDenied",
				"presigned for another region":           "AuthorizationQueryParametersError",
				"presigned with an Authorization header": "InvalidArgument",
				"STS for another region":                 "SignatureDoesNotMatch",
				"IAM for another region":                 "SignatureDoesNotMatch",
				"S3 for another region":                  "ok", // once signed again
				"control presigned 10 minutes ahead":     "ok",
				"control presigned":                      "ok",
				"control header-signed":                  "ok",
				"control STS":                            "ok",
				"control IAM":                            "ok",
			}, "attack-signatures", a, "readable.txt", other)
			if msg := got["presigned 20 minutes ahead"].Message; msg != "Request is not yet valid" {
				t.Errorf("%s: a URL presigned 20 minutes ahead refused with %q, want Request is not yet valid", py.name, msg)
			}
			want := []attempt{{other, 400, "AuthorizationHeaderMalformed"}, {shared.Region, 200, ""}}
			if a := got["S3 for another region"].Attempts; !slices.Equal(a, want) {
				t.Errorf("%s: GetObject signed for %s: attempts %+v, want %+v", py.name, other, a, want)
			}
		}
	})
}
