package e2e

// The conformance suite: the sandbox driven by independent AWS clients, the
// AWS CLI v2 and boto3 from Debian's packages (awscli, python3-boto3), each
// check with the outcome AWS gives. CI installs them (.ci/run) and these
// tests fail there without them; elsewhere they skip and say how to install.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/xacct/xacct/internal/sandbox"
)

// The Debian clients; `aws` and `python3` on PATH may be other installs.
const (
	awsCLI  = "/usr/bin/aws"
	python3 = "/usr/bin/python3"
)

// identity is the credential a real client signs with.
type identity struct{ key, secret, token string }

func identityOf(t *testing.T, c *client) identity {
	t.Helper()
	cr := must(c.cfg.Credentials.Retrieve(context.Background()))(t)
	return identity{cr.AccessKeyID, cr.SecretAccessKey, cr.SessionToken}
}

// needRealClients skips (or, in CI, fails) when the Debian clients are missing.
func needRealClients(t *testing.T) {
	t.Helper()
	var missing string
	if _, err := os.Stat(awsCLI); err != nil {
		missing = awsCLI
	} else if err := exec.Command(python3, "-c", "import boto3").Run(); err != nil {
		missing = "boto3 for " + python3
	}
	if missing == "" {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is missing: the conformance suite must run in CI (.ci/run installs awscli and python3-boto3)", missing)
	}
	t.Skipf("%s is missing; install the clients with: apt-get install -y awscli python3-boto3", missing)
}

// clientEnv is the whole environment of a real client: the shared sandbox's
// endpoint and CA, one identity, and nothing from this process's AWS setup.
func clientEnv(t *testing.T, id identity) []string {
	return []string{
		"PATH=/usr/bin:/bin",
		"HOME=" + t.TempDir(),
		"LC_ALL=C.UTF-8",
		"AWS_ENDPOINT_URL=" + shared.URL,
		"AWS_CA_BUNDLE=" + shared.CAFile,
		"AWS_REGION=" + shared.Region,
		"AWS_DEFAULT_REGION=" + shared.Region,
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=",
		"AWS_ACCESS_KEY_ID=" + id.key,
		"AWS_SECRET_ACCESS_KEY=" + id.secret,
		"AWS_SESSION_TOKEN=" + id.token,
	}
}

// awsRun runs the AWS CLI; this version (2.9) predates AWS_ENDPOINT_URL, so
// the endpoint is also given as --endpoint-url.
func awsRun(t *testing.T, id identity, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.Command(awsCLI, append([]string{"--endpoint-url", shared.URL, "--output", "json"}, args...)...)
	cmd.Env = clientEnv(t, id)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

// awsOK runs the AWS CLI and fails the test unless it succeeds.
func awsOK(t *testing.T, id identity, args ...string) string {
	t.Helper()
	out, stderr, err := awsRun(t, id, args...)
	if err != nil {
		t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return out
}

// awsJSON runs the AWS CLI and decodes its JSON output into v.
func awsJSON(t *testing.T, id identity, v any, args ...string) {
	t.Helper()
	out := awsOK(t, id, args...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("aws %s: %v in %q", strings.Join(args, " "), err, out)
	}
}

// awsFails runs the AWS CLI, wants it to fail with the AWS error code.
func awsFails(t *testing.T, id identity, code string, args ...string) {
	t.Helper()
	_, stderr, err := awsRun(t, id, args...)
	if err == nil {
		t.Fatalf("aws %s succeeded, want %s", strings.Join(args, " "), code)
	}
	if !strings.Contains(stderr, "("+code+")") {
		t.Fatalf("aws %s: %v, want %s:\n%s", strings.Join(args, " "), err, code, stderr)
	}
}

// boto3 runs testdata/conformance/boto3_client.py and decodes its JSON.
func boto3(t *testing.T, id identity, v any, args ...string) {
	t.Helper()
	cmd := exec.Command(python3, append([]string{filepath.Join("testdata", "conformance", "boto3_client.py")}, args...)...)
	cmd.Env = clientEnv(t, id)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("boto3 %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	if err := json.Unmarshal(out.Bytes(), v); err != nil {
		t.Fatalf("boto3 %s: %v in %q", strings.Join(args, " "), err, out.String())
	}
}

type callerIdentity struct{ Account, Arn, UserId string }

func TestConformanceSTS(t *testing.T) {
	needRealClients(t)
	t.Parallel()
	adm := identityOf(t, admin(t))
	mg := shared.ManagementAccount
	orgRole := "arn:aws:iam::" + devID + ":role/" + sandbox.DefaultAdminRoleName

	var who callerIdentity
	awsJSON(t, adm, &who, "sts", "get-caller-identity")
	if who.Account != mg || who.Arn != "arn:aws:iam::"+mg+":user/xacct-sandbox-admin" {
		t.Errorf("CLI get-caller-identity = %+v", who)
	}
	var assumed struct {
		Credentials struct{ AccessKeyId, SecretAccessKey, SessionToken string }
	}
	awsJSON(t, adm, &assumed, "sts", "assume-role", "--role-arn", orgRole, "--role-session-name", "cli")
	sess := identity{assumed.Credentials.AccessKeyId, assumed.Credentials.SecretAccessKey, assumed.Credentials.SessionToken}
	awsJSON(t, sess, &who, "sts", "get-caller-identity")
	if who.Account != devID || who.Arn != "arn:aws:sts::"+devID+":assumed-role/"+sandbox.DefaultAdminRoleName+"/cli" {
		t.Errorf("CLI get-caller-identity of the session = %+v", who)
	}

	var b3 struct {
		callerIdentity
		Error string `json:"error"`
	}
	boto3(t, adm, &b3, "assume", orgRole, "boto3")
	if b3.Error != "" || b3.Account != devID || b3.Arn != "arn:aws:sts::"+devID+":assumed-role/"+sandbox.DefaultAdminRoleName+"/boto3" {
		t.Errorf("boto3 assume-role then get-caller-identity = %+v", b3)
	}

	// A user with no policy may not assume the role (nor any other).
	dev := orgAdmin(t, devID)
	name := uniq(t, "nobody")
	user := identityOf(t, devUser(t, dev, name, ""))
	awsJSON(t, user, &who, "sts", "get-caller-identity")
	if who.Arn != "arn:aws:iam::"+devID+":user/"+name {
		t.Errorf("CLI get-caller-identity of a user = %+v", who)
	}
	awsFails(t, user, "AccessDenied", "sts", "assume-role", "--role-arn", "arn:aws:iam::"+prodID+":role/"+sandbox.DefaultAdminRoleName, "--role-session-name", "denied")
	b3 = struct {
		callerIdentity
		Error string `json:"error"`
	}{}
	boto3(t, user, &b3, "assume", "arn:aws:iam::"+prodID+":role/"+sandbox.DefaultAdminRoleName, "boto3")
	if b3.Error != "AccessDenied" {
		t.Errorf("boto3 assume-role of a user with no policy = %+v, want AccessDenied", b3)
	}
}

func TestConformanceIAMPaging(t *testing.T) {
	needRealClients(t)
	t.Parallel()
	dev := orgAdmin(t, devID)
	id := identityOf(t, dev)
	path := "/" + uniq(t, "conformance") + "/"
	want := createUsers(t, dev, path, 26)

	type users struct {
		Users     []struct{ UserName string }
		NextToken string
	}
	names := func(u users) []string {
		var out []string
		for _, x := range u.Users {
			out = append(out, x.UserName)
		}
		return out
	}
	// --max-items: the CLI's own pages, resumed with --starting-token.
	var got []string
	token, pages := "", 0
	for {
		args := []string{"iam", "list-users", "--path-prefix", path, "--max-items", "10"}
		if token != "" {
			args = append(args, "--starting-token", token)
		}
		var u users
		awsJSON(t, id, &u, args...)
		pages++
		got = append(got, names(u)...)
		if u.NextToken == "" {
			break
		}
		if len(u.Users) != 10 {
			t.Fatalf("page %d has %d users and a NextToken", pages, len(u.Users))
		}
		token = u.NextToken
	}
	if !slices.Equal(got, want) || pages != 3 {
		t.Errorf("--max-items 10: %d pages gave %v, want 3 pages of %v", pages, got, want)
	}
	// --page-size: IAM's pages (MaxItems and Marker), followed by the CLI.
	var all users
	awsJSON(t, id, &all, "iam", "list-users", "--path-prefix", path, "--page-size", "5")
	if got := names(all); !slices.Equal(got, want) || all.NextToken != "" {
		t.Errorf("--page-size 5 gave %v, want %v", got, want)
	}
	awsFails(t, id, "ValidationError", "iam", "list-users", "--page-size", "1001")

	// The org role has AWS's AdministratorAccess attached; a role with an
	// inline policy cannot be deleted.
	var attached struct {
		AttachedPolicies []struct{ PolicyName, PolicyArn string }
	}
	awsJSON(t, id, &attached, "iam", "list-attached-role-policies", "--role-name", sandbox.DefaultAdminRoleName)
	if len(attached.AttachedPolicies) != 1 || attached.AttachedPolicies[0].PolicyArn != "arn:aws:iam::aws:policy/AdministratorAccess" {
		t.Errorf("list-attached-role-policies of %s = %+v", sandbox.DefaultAdminRoleName, attached.AttachedPolicies)
	}
	role := uniq(t, "conflicted")
	must(dev.iam.CreateRole(context.Background(), &iam.CreateRoleInput{RoleName: aws.String(role),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}))(t)
	must(dev.iam.PutRolePolicy(context.Background(), &iam.PutRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String("inline"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)}))(t)
	awsFails(t, id, "DeleteConflict", "iam", "delete-role", "--role-name", role)

	var b3 struct {
		First struct {
			IsTruncated bool
			Marker      string
			Users       []string
		} `json:"first"`
		Pages [][]string `json:"pages"`
	}
	boto3(t, id, &b3, "list-users", path, "4")
	if !b3.First.IsTruncated || b3.First.Marker == "" || !slices.Equal(b3.First.Users, want[:4]) {
		t.Errorf("boto3 list_users(MaxItems=4) = %+v, want IsTruncated, a Marker and %v", b3.First, want[:4])
	}
	if got := slices.Concat(b3.Pages...); !slices.Equal(got, want) || len(b3.Pages) != 7 {
		t.Errorf("boto3 paginator (PageSize 4): %d pages gave %v, want 7 pages of %v", len(b3.Pages), got, want)
	}
}

func TestConformanceS3(t *testing.T) {
	needRealClients(t)
	t.Parallel()
	prod := orgAdmin(t, prodID)
	id := identityOf(t, prod)
	bucket := uniq(t, "conformance")
	awsOK(t, id, "s3", "mb", "s3://"+bucket)
	dir := t.TempDir()

	t.Run("cp 20 MiB up and down", func(t *testing.T) {
		t.Parallel()
		data := make([]byte, 20<<20)
		if _, err := rand.Read(data); err != nil {
			t.Fatal(err)
		}
		up, down := filepath.Join(dir, "big.bin"), filepath.Join(dir, "big.out")
		if err := os.WriteFile(up, data, 0o600); err != nil {
			t.Fatal(err)
		}
		awsOK(t, id, "s3", "cp", up, "s3://"+bucket+"/big.bin")
		awsOK(t, id, "s3", "cp", "s3://"+bucket+"/big.bin", down)
		got, err := os.ReadFile(down)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("downloaded %d bytes differ from the %d uploaded", len(got), len(data))
		}
	})

	t.Run("ls of 1200 keys", func(t *testing.T) {
		t.Parallel()
		var put struct{ Count, Distinct int }
		boto3(t, id, &put, "put-keys", bucket, "many/", "1200")
		if put.Count != 1200 || put.Distinct != 1200 {
			t.Fatalf("boto3 listed %+v after putting 1200 keys", put)
		}
		out := awsOK(t, id, "s3", "ls", "s3://"+bucket+"/many/")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		seen := map[string]bool{}
		for _, l := range lines {
			f := strings.Fields(l)
			seen[f[len(f)-1]] = true
		}
		if len(lines) != 1200 || len(seen) != 1200 || !seen["00000"] || !seen["01199"] {
			t.Errorf("aws s3 ls: %d lines, %d distinct keys; want 1200", len(lines), len(seen))
		}
	})

	t.Run("sync up, sync down, rm --recursive", func(t *testing.T) {
		t.Parallel()
		src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
		files := map[string]string{"a.txt": "alpha", "sub/b.txt": "bravo", "sub/deeper/c.json": `{"c":1}`}
		for name, body := range files {
			p := filepath.Join(src, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if out := awsOK(t, id, "s3", "sync", src, "s3://"+bucket+"/sync/"); strings.Count(out, "upload:") != 3 {
			t.Errorf("first sync uploaded:\n%s", out)
		}
		if out := awsOK(t, id, "s3", "sync", src, "s3://"+bucket+"/sync/"); strings.Contains(out, "upload:") {
			t.Errorf("a second sync of the same files uploaded:\n%s", out)
		}
		if err := os.WriteFile(filepath.Join(src, "a.txt"), []byte("alpha, changed"), 0o600); err != nil {
			t.Fatal(err)
		}
		if out := awsOK(t, id, "s3", "sync", src, "s3://"+bucket+"/sync/"); strings.Count(out, "upload:") != 1 {
			t.Errorf("sync after one change uploaded:\n%s", out)
		}
		files["a.txt"] = "alpha, changed"
		awsOK(t, id, "s3", "sync", "s3://"+bucket+"/sync/", dst)
		for name, body := range files {
			got, err := os.ReadFile(filepath.Join(dst, name))
			if err != nil || string(got) != body {
				t.Errorf("%s synced down as %q, %v; want %q", name, got, err, body)
			}
		}
		if out := awsOK(t, id, "s3", "rm", "--recursive", "s3://"+bucket+"/sync/"); strings.Count(out, "delete:") != 3 {
			t.Errorf("rm --recursive deleted:\n%s", out)
		}
		left := must(prod.s3.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("sync/")}))(t)
		if len(left.Contents) != 0 {
			t.Errorf("%d keys left under sync/ after rm --recursive", len(left.Contents))
		}
	})

	// These share one small object and run in order.
	t.Run("a small object", func(t *testing.T) {
		t.Parallel()
		t.Run("presign then GET", func(t *testing.T) {
			small := filepath.Join(dir, "small.txt")
			if err := os.WriteFile(small, []byte("presigned body"), 0o600); err != nil {
				t.Fatal(err)
			}
			awsOK(t, id, "s3", "cp", small, "s3://"+bucket+"/small.txt")
			hc := &http.Client{Transport: transport(t, shared)}
			get := func(u string) (int, string) {
				t.Helper()
				resp, err := hc.Get(u)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(b)
			}
			u := strings.TrimSpace(awsOK(t, id, "s3", "presign", "s3://"+bucket+"/small.txt", "--expires-in", "300"))
			if code, body := get(u); code != http.StatusOK || body != "presigned body" {
				t.Errorf("GET of the CLI's presigned URL: %d %q", code, body)
			}
			if code, _ := get(strings.Replace(u, "small.txt", "big.bin", 1)); code != http.StatusForbidden {
				t.Errorf("GET of another key with the same signature: %d, want 403", code)
			}
			var b3 struct{ URL string }
			boto3(t, id, &b3, "presign", bucket, "small.txt")
			if code, body := get(b3.URL); code != http.StatusOK || body != "presigned body" {
				t.Errorf("GET of boto3's SigV4 presigned URL: %d %q", code, body)
			}
		})

		t.Run("SigV2 and a slow clock are refused as AWS refuses them", func(t *testing.T) {
			var v2 struct{ URL string }
			boto3(t, id, &v2, "presign-default", bucket, "small.txt")
			if !strings.Contains(v2.URL, "AWSAccessKeyId=") {
				t.Fatalf("boto3's default presigned URL is not SigV2: %s", v2.URL)
			}
			resp, err := (&http.Client{Transport: transport(t, shared)}).Get(v2.URL)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "<Code>InvalidRequest</Code>") || !strings.Contains(string(body), "AWS4-HMAC-SHA256") {
				t.Errorf("GET of a SigV2 presigned URL: %d %s; want 400 InvalidRequest (use AWS4-HMAC-SHA256)", resp.StatusCode, body)
			}
			var skew struct{ S3, STS string }
			boto3(t, id, &skew, "skewed", bucket, "small.txt")
			// S3 says RequestTimeTooSkewed; STS, like AWS's, that the signature expired.
			if skew.S3 != "RequestTimeTooSkewed" || skew.STS != "SignatureDoesNotMatch" {
				t.Errorf("a clock 20 minutes slow: %+v, want S3 RequestTimeTooSkewed and STS SignatureDoesNotMatch", skew)
			}
		})

		t.Run("copy with the wrong expected source owner", func(t *testing.T) {
			awsFails(t, id, "AccessDenied", "s3api", "copy-object", "--bucket", bucket, "--key", "copy.txt", "--copy-source", bucket+"/small.txt",
				"--expected-source-bucket-owner", devID)
			awsOK(t, id, "s3api", "copy-object", "--bucket", bucket, "--key", "copy.txt", "--copy-source", bucket+"/small.txt",
				"--expected-source-bucket-owner", prodID)
		})

		t.Run("another account is refused", func(t *testing.T) {
			dev := orgAdmin(t, devID)
			user := identityOf(t, devUser(t, dev, uniq(t, "outsider"), ""))
			awsFails(t, user, "AccessDenied", "s3api", "get-object", "--bucket", bucket, "--key", "small.txt", filepath.Join(dir, "stolen"))
		})
	})
}

func TestConformanceUnsignedCalls(t *testing.T) {
	needRealClients(t)
	t.Parallel()
	bucket := uniq(t, "unsigned")
	must(orgAdmin(t, prodID).s3.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}))(t)
	for _, c := range []struct {
		code string
		args []string
	}{
		{"MissingAuthenticationToken", []string{"sts", "get-caller-identity"}},
		{"MissingAuthenticationToken", []string{"iam", "list-users"}},
		{"MissingAuthenticationTokenException", []string{"lambda", "list-functions"}},
		{"MissingAuthenticationTokenException", []string{"logs", "describe-log-groups"}},
		{"AccessDenied", []string{"s3api", "list-objects-v2", "--bucket", bucket}},
	} {
		awsFails(t, identity{}, c.code, append(c.args, "--no-sign-request")...)
	}
}

func TestConformanceLambda(t *testing.T) {
	needRealClients(t)
	t.Parallel()
	ctx := context.Background()
	prod := orgAdmin(t, prodID)
	id := identityOf(t, prod)
	role := uniq(t, "conformance-fn")
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	must(prod.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(trust)}))(t)
	must(prod.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(role),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")}))(t)
	zip := filepath.Join(t.TempDir(), "fn.zip")
	if err := os.WriteFile(zip, pkg, 0o600); err != nil { // the metadata processor
		t.Fatal(err)
	}
	fn := uniq(t, "conformance")
	var created struct {
		FunctionName, FunctionArn, CodeSha256, State string
		Architectures                                []string
	}
	awsJSON(t, id, &created, "lambda", "create-function", "--function-name", fn, "--runtime", "provided.al2023", "--handler", "bootstrap",
		"--architectures", hostArch, "--role", "arn:aws:iam::"+prodID+":role/"+role, "--zip-file", "fileb://"+zip,
		"--environment", "Variables={WRITER_ROLE_ARN=arn:aws:iam::"+repID+":role/none,REPORT_BUCKET=none}")
	wantARN := fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", shared.Region, prodID, fn)
	if created.FunctionArn != wantARN || created.CodeSha256 == "" {
		t.Errorf("create-function = %+v, want ARN %s", created, wantARN)
	}
	var got struct {
		Configuration struct{ FunctionArn, CodeSha256, State string }
	}
	awsJSON(t, id, &got, "lambda", "get-function", "--function-name", fn)
	if got.Configuration.FunctionArn != wantARN || got.Configuration.CodeSha256 != created.CodeSha256 {
		t.Errorf("get-function = %+v", got.Configuration)
	}

	// Invoked directly, sync and async, with no records: its runs and its own
	// output show in its log group.
	out := filepath.Join(t.TempDir(), "out.json")
	var inv struct {
		StatusCode    int
		FunctionError string
	}
	awsJSON(t, id, &inv, "lambda", "invoke", "--function-name", fn, "--payload", `{"Records":[]}`, "--cli-binary-format", "raw-in-base64-out", out)
	if payload, _ := os.ReadFile(out); inv.StatusCode != 200 || inv.FunctionError != "" || strings.TrimSpace(string(payload)) != "null" {
		t.Errorf("invoke = %+v with payload %q, want 200 and null", inv, payload)
	}
	awsJSON(t, id, &inv, "lambda", "invoke", "--function-name", fn, "--invocation-type", "Event", "--payload", `{"Records":[]}`,
		"--cli-binary-format", "raw-in-base64-out", out)
	if inv.StatusCode != 202 {
		t.Errorf("async invoke = %+v, want 202", inv)
	}
	var logs string
	for range 50 {
		if logs = awsOK(t, id, "logs", "tail", "/aws/lambda/"+fn); strings.Count(logs, "REPORT RequestId:") >= 2 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if strings.Count(logs, "START RequestId:") != 2 || strings.Count(logs, "REPORT RequestId:") != 2 || !strings.Contains(logs, `"msg":"init done"`) {
		t.Errorf("aws logs tail /aws/lambda/%s after two invocations:\n%s", fn, logs)
	}
	awsOK(t, id, "lambda", "delete-function", "--function-name", fn)
	awsFails(t, id, "ResourceNotFoundException", "lambda", "get-function", "--function-name", fn)
}
