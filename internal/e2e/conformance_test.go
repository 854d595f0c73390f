package e2e

// The conformance suite: the sandbox driven by independent AWS clients, the
// AWS CLI v2 and boto3 from Debian's packages (awscli, python3-boto3), each
// check with the outcome AWS gives. CI installs them (.ci/run) and these
// tests fail there without them; elsewhere they skip and say how to install.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"hash/crc64"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

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

// awsFails runs the AWS CLI, wants it to fail with the AWS error code and
// returns what it printed on stderr.
func awsFails(t *testing.T, id identity, code string, args ...string) string {
	t.Helper()
	_, stderr, err := awsRun(t, id, args...)
	if err == nil {
		t.Fatalf("aws %s succeeded, want %s", strings.Join(args, " "), code)
	}
	if !strings.Contains(stderr, "("+code+")") {
		t.Fatalf("aws %s: %v, want %s:\n%s", strings.Join(args, " "), err, code, stderr)
	}
	return stderr
}

// boto3 runs testdata/conformance/boto3_client.py with Debian's Python and
// decodes its JSON.
func boto3(t *testing.T, id identity, v any, args ...string) {
	t.Helper()
	boto3With(t, python3, id, v, args...)
}

// boto3With runs testdata/conformance/boto3_client.py with the Python
// interpreter py (see boto3Pythons) and decodes its JSON.
func boto3With(t *testing.T, py string, id identity, v any, args ...string) {
	t.Helper()
	cmd := exec.Command(py, append([]string{filepath.Join("testdata", "conformance", "boto3_client.py")}, args...)...)
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

// pythonOnPath is the interpreter of the python3 first on this process's
// PATH (the image's pyenv: its shim would not survive the clients' empty
// environment, so the interpreter is taken from sys.executable) and the
// version of module, which it imports.
func pythonOnPath(module string) (py, version string, err error) {
	path, err := exec.LookPath("python3")
	if err != nil {
		return "", "", err
	}
	out, err := exec.Command(path, "-c", "import sys, "+module+"; print(sys.executable); print("+module+".__version__)").Output()
	if err != nil {
		return "", "", fmt.Errorf("%s cannot import %s: %w", path, module, err)
	}
	f := strings.Fields(string(out))
	if len(f) != 2 {
		return "", "", fmt.Errorf("%s printed %q", path, out)
	}
	return f[0], f[1], nil
}

// boto3Python is a Python interpreter with boto3, named for its boto3.
type boto3Python struct{ name, py string }

// boto3Pythons are the two boto3 installs a user may have: Debian's (1.26,
// which needs its endpoint given) and the one of the python3 on PATH (here
// pyenv's 1.43, which reads AWS_ENDPOINT_URL and sends CRC checksums by
// default). In CI both must be there; elsewhere Debian's alone will do.
func boto3Pythons(t *testing.T) []boto3Python {
	t.Helper()
	debian := boto3Python{"Debian's boto3", python3}
	py, version, err := pythonOnPath("boto3")
	if err == nil && py == python3 {
		err = errors.New("it is Debian's")
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("no second boto3 on PATH (the image's pyenv, pip install boto3): %v", err)
		}
		t.Logf("only Debian's boto3: the python3 on PATH has no other (%v)", err)
		return []boto3Python{debian}
	}
	return []boto3Python{debian, {"boto3 " + version, py}}
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

// awsVersionID is the shape of S3's version IDs: opaque, 32 URL-safe characters.
var awsVersionID = regexp.MustCompile(`^[A-Za-z0-9._-]{32}$`)

// canonicalID is the shape of an S3 canonical user ID.
var canonicalID = regexp.MustCompile(`^[0-9a-f]{64}$`)

type s3Version struct {
	Key, VersionId, ETag string
	IsLatest             bool
	Owner                struct{ ID string }
}

type s3Versions struct {
	Versions, DeleteMarkers []s3Version
}

func TestConformanceS3Versioning(t *testing.T) {
	needRealClients(t)
	t.Parallel()
	prod := orgAdmin(t, prodID)
	id := identityOf(t, prod)
	bucket := uniq(t, "versioned")
	awsOK(t, id, "s3", "mb", "s3://"+bucket)
	dir := t.TempDir()
	file := func(body string) string {
		t.Helper()
		f, err := os.CreateTemp(dir, "body")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteString(body); err != nil {
			t.Fatal(err)
		}
		return f.Name()
	}
	var put struct{ VersionId, ETag string }
	awsJSON(t, id, &put, "s3api", "put-object", "--bucket", bucket, "--key", "before.txt", "--body", file("before"))
	if put.VersionId != "" {
		t.Errorf("put-object on an unversioned bucket: VersionId %q, want none", put.VersionId)
	}
	awsOK(t, id, "s3api", "put-bucket-versioning", "--bucket", bucket, "--versioning-configuration", "Status=Enabled")

	var head struct {
		VersionId     string
		ContentLength int
		DeleteMarker  bool
	}
	awsJSON(t, id, &head, "s3api", "head-object", "--bucket", bucket, "--key", "before.txt")
	if head.VersionId != "null" {
		t.Errorf("head-object of an object written before versioning: VersionId %q, want \"null\"", head.VersionId)
	}
	var one, two struct{ VersionId string }
	awsJSON(t, id, &one, "s3api", "put-object", "--bucket", bucket, "--key", "doc.txt", "--body", file("one"))
	awsJSON(t, id, &two, "s3api", "put-object", "--bucket", bucket, "--key", "doc.txt", "--body", file("two!"))
	awsOK(t, id, "s3api", "put-object", "--bucket", bucket, "--key", "before.txt", "--body", file("after"))
	for _, v := range []string{one.VersionId, two.VersionId} {
		if !awsVersionID.MatchString(v) {
			t.Errorf("version ID %q is not AWS-shaped", v)
		}
	}
	if one.VersionId == two.VersionId {
		t.Fatalf("two puts gave the same version %q", one.VersionId)
	}
	awsJSON(t, id, &head, "s3api", "head-object", "--bucket", bucket, "--key", "doc.txt")
	if head.VersionId != two.VersionId || head.ContentLength != 4 {
		t.Errorf("head-object: %+v, want version %s of 4 bytes", head, two.VersionId)
	}

	var del struct {
		DeleteMarker bool
		VersionId    string
	}
	awsJSON(t, id, &del, "s3api", "delete-object", "--bucket", bucket, "--key", "doc.txt")
	if !del.DeleteMarker || !awsVersionID.MatchString(del.VersionId) {
		t.Errorf("delete-object on a versioned bucket: %+v, want a delete marker with a version ID", del)
	}
	awsFails(t, id, "404", "s3api", "head-object", "--bucket", bucket, "--key", "doc.txt")
	awsFails(t, id, "NoSuchKey", "s3api", "get-object", "--bucket", bucket, "--key", "doc.txt", filepath.Join(dir, "gone"))
	var listed struct{ Contents []struct{ Key string } }
	awsJSON(t, id, &listed, "s3api", "list-objects-v2", "--bucket", bucket)
	if len(listed.Contents) != 1 || listed.Contents[0].Key != "before.txt" {
		t.Errorf("list-objects-v2 behind a delete marker: %+v, want before.txt only", listed.Contents)
	}

	var vs s3Versions
	awsJSON(t, id, &vs, "s3api", "list-object-versions", "--bucket", bucket)
	var docs, befores []s3Version
	for _, v := range vs.Versions {
		if !canonicalID.MatchString(v.Owner.ID) {
			t.Errorf("version owner %q is not a canonical ID", v.Owner.ID)
		}
		switch v.Key {
		case "doc.txt":
			docs = append(docs, v)
		case "before.txt":
			befores = append(befores, v)
		}
	}
	if len(docs) != 2 || docs[0].VersionId != two.VersionId || docs[1].VersionId != one.VersionId || docs[0].IsLatest || docs[1].IsLatest {
		t.Errorf("doc.txt versions: %+v, want %s then %s, neither latest", docs, two.VersionId, one.VersionId)
	}
	if len(befores) != 2 || !befores[0].IsLatest || befores[1].VersionId != "null" {
		t.Errorf("before.txt versions: %+v, want a new latest version and the null one kept", befores)
	}
	if len(vs.DeleteMarkers) != 1 || vs.DeleteMarkers[0].VersionId != del.VersionId || !vs.DeleteMarkers[0].IsLatest || vs.DeleteMarkers[0].Key != "doc.txt" {
		t.Errorf("delete markers: %+v, want doc.txt's %s, latest", vs.DeleteMarkers, del.VersionId)
	}

	var page struct {
		IsTruncated                        bool
		NextKeyMarker, NextVersionIdMarker string
		Versions                           []s3Version
	}
	awsJSON(t, id, &page, "s3api", "list-object-versions", "--bucket", bucket, "--max-keys", "2", "--no-paginate")
	if !page.IsTruncated || page.NextKeyMarker == "" || page.NextVersionIdMarker == "" {
		t.Errorf("a page of 2 of 5 versions: %+v, want truncated with markers", page)
	}

	down := filepath.Join(dir, "down")
	awsOK(t, id, "s3", "sync", "s3://"+bucket, down)
	if got, err := os.ReadFile(filepath.Join(down, "before.txt")); err != nil || string(got) != "after" {
		t.Errorf("sync down: before.txt %q, %v", got, err)
	}
	if _, err := os.Stat(filepath.Join(down, "doc.txt")); err == nil {
		t.Error("sync down fetched doc.txt, which a delete marker hides")
	}

	out := filepath.Join(dir, "v1")
	awsJSON(t, id, &head, "s3api", "get-object", "--bucket", bucket, "--key", "doc.txt", "--version-id", one.VersionId, out)
	if got, _ := os.ReadFile(out); string(got) != "one" || head.VersionId != one.VersionId {
		t.Errorf("get-object of version %s: %q, %+v", one.VersionId, got, head)
	}
	awsJSON(t, id, &head, "s3api", "head-object", "--bucket", bucket, "--key", "before.txt", "--version-id", "null")
	if head.VersionId != "null" || head.ContentLength != len("before") {
		t.Errorf("head-object of the null version: %+v", head)
	}
	awsFails(t, id, "InvalidArgument", "s3api", "get-object", "--bucket", bucket, "--key", "doc.txt", "--version-id", "v1", out)

	// A user who may get objects but not their versions.
	name := uniq(t, "reader")
	must(prod.iam.CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String(name)}))(t)
	must(prod.iam.PutUserPolicy(context.Background(), &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("get"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + bucket + `/*"}]}`)}))(t)
	reader := identityOf(t, userKey(t, prod, name))
	awsOK(t, reader, "s3api", "get-object", "--bucket", bucket, "--key", "before.txt", filepath.Join(dir, "r1"))
	awsFails(t, reader, "AccessDenied", "s3api", "get-object", "--bucket", bucket, "--key", "doc.txt", "--version-id", one.VersionId, filepath.Join(dir, "r2"))
	awsFails(t, reader, "AccessDenied", "s3api", "list-object-versions", "--bucket", bucket)

	awsJSON(t, id, &del, "s3api", "delete-object", "--bucket", bucket, "--key", "doc.txt", "--version-id", vs.DeleteMarkers[0].VersionId)
	if !del.DeleteMarker || del.VersionId != vs.DeleteMarkers[0].VersionId {
		t.Errorf("delete-object of the delete marker: %+v", del)
	}
	awsJSON(t, id, &head, "s3api", "head-object", "--bucket", bucket, "--key", "doc.txt")
	if head.VersionId != two.VersionId {
		t.Errorf("after the delete marker went: head-object %+v, want version %s back", head, two.VersionId)
	}
	awsOK(t, id, "s3api", "delete-object", "--bucket", bucket, "--key", "doc.txt", "--version-id", two.VersionId)
	awsJSON(t, id, &head, "s3api", "head-object", "--bucket", bucket, "--key", "doc.txt")
	if head.VersionId != one.VersionId || head.ContentLength != 3 {
		t.Errorf("after deleting the latest version: head-object %+v, want %s", head, one.VersionId)
	}

	var cp struct{ VersionId, CopySourceVersionId string }
	awsJSON(t, id, &cp, "s3api", "copy-object", "--bucket", bucket, "--key", "copied.txt", "--copy-source", bucket+"/doc.txt?versionId="+one.VersionId)
	if !awsVersionID.MatchString(cp.VersionId) || cp.CopySourceVersionId != one.VersionId {
		t.Errorf("copy-object of a version: %+v, want a new version ID and source version %s", cp, one.VersionId)
	}
	awsJSON(t, id, &head, "s3api", "head-object", "--bucket", bucket, "--key", "copied.txt")
	if head.VersionId != cp.VersionId {
		t.Errorf("head-object of the copy: version %s, copy-object said %s", head.VersionId, cp.VersionId)
	}
}

func TestConformanceS3Checksums(t *testing.T) {
	needRealClients(t)
	t.Parallel()
	prod := orgAdmin(t, prodID)
	id := identityOf(t, prod)
	bucket := uniq(t, "checksums")
	awsOK(t, id, "s3", "mb", "s3://"+bucket)
	body := filepath.Join(t.TempDir(), "sum.txt")
	if err := os.WriteFile(body, []byte("sum me"), 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("sum me"))
	want := base64.StdEncoding.EncodeToString(sum[:])

	var put struct{ ChecksumSHA256 string }
	awsJSON(t, id, &put, "s3api", "put-object", "--bucket", bucket, "--key", "sum.txt", "--body", body, "--checksum-algorithm", "SHA256")
	if put.ChecksumSHA256 != want {
		t.Errorf("put-object --checksum-algorithm SHA256: ChecksumSHA256 %q, want %q", put.ChecksumSHA256, want)
	}
	var head struct{ ChecksumSHA256 string }
	awsJSON(t, id, &head, "s3api", "head-object", "--bucket", bucket, "--key", "sum.txt", "--checksum-mode", "ENABLED")
	if head.ChecksumSHA256 != want {
		t.Errorf("head-object --checksum-mode ENABLED: ChecksumSHA256 %q, want %q", head.ChecksumSHA256, want)
	}
	head.ChecksumSHA256 = ""
	awsJSON(t, id, &head, "s3api", "head-object", "--bucket", bucket, "--key", "sum.txt")
	if head.ChecksumSHA256 != "" {
		t.Errorf("head-object without checksum mode returned ChecksumSHA256 %q", head.ChecksumSHA256)
	}
	// Without a checksum, S3 computes a CRC64NVME.
	awsOK(t, id, "s3api", "put-object", "--bucket", bucket, "--key", "plain.txt", "--body", body)
	plain := must(prod.s3.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("plain.txt"), ChecksumMode: s3types.ChecksumModeEnabled}))(t)
	var nvme [8]byte
	binary.BigEndian.PutUint64(nvme[:], crc64.Checksum([]byte("sum me"), crc64.MakeTable(0x9a6c9329ac4bc9b5)))
	if got := aws.ToString(plain.ChecksumCRC64NVME); got != base64.StdEncoding.EncodeToString(nvme[:]) {
		t.Errorf("an upload without a checksum: ChecksumCRC64NVME %q, want S3's default", got)
	}
	var attrs struct {
		ETag       string
		ObjectSize int
		Checksum   struct{ ChecksumSHA256 string }
	}
	awsJSON(t, id, &attrs, "s3api", "get-object-attributes", "--bucket", bucket, "--key", "sum.txt", "--object-attributes", "ETag", "Checksum", "ObjectSize")
	if attrs.ObjectSize != len("sum me") || attrs.Checksum.ChecksumSHA256 != want || attrs.ETag == "" || strings.Contains(attrs.ETag, `"`) {
		t.Errorf("get-object-attributes: %+v", attrs)
	}

	var b3 struct {
		Put, Head, Get, Body string
		Metadata             map[string]string
		Attributes           struct {
			ETag         string
			Checksum     map[string]string
			ObjectSize   int
			StorageClass string
			ObjectParts  any
		}
	}
	boto3(t, id, &b3, "checksums", bucket, "crc.txt")
	crc := crc32.ChecksumIEEE([]byte("checksummed body"))
	wantCRC := base64.StdEncoding.EncodeToString([]byte{byte(crc >> 24), byte(crc >> 16), byte(crc >> 8), byte(crc)})
	if b3.Put != wantCRC || b3.Head != wantCRC || b3.Get != wantCRC || b3.Body != "checksummed body" {
		t.Errorf("boto3 CRC32 (streaming trailer): put %q head %q get %q body %q; want %q", b3.Put, b3.Head, b3.Get, b3.Body, wantCRC)
	}
	if !maps.Equal(b3.Metadata, map[string]string{"foo": "bar", "mixed-case": "Value"}) {
		t.Errorf("user metadata came back as %v, want lower-case keys", b3.Metadata)
	}
	a := b3.Attributes
	if a.Checksum["ChecksumCRC32"] != wantCRC || a.ObjectSize != len("checksummed body") || a.StorageClass != "STANDARD" || a.ObjectParts != nil || a.ETag == "" {
		t.Errorf("boto3 get_object_attributes: %+v", a)
	}
}

func TestConformanceS3Owners(t *testing.T) {
	needRealClients(t)
	t.Parallel()
	prod := orgAdmin(t, prodID)
	id := identityOf(t, prod)
	bucket := uniq(t, "owners")
	awsOK(t, id, "s3", "mb", "s3://"+bucket)
	awsOK(t, id, "s3api", "put-object", "--bucket", bucket, "--key", "k")
	var buckets struct{ Owner struct{ ID string } }
	awsJSON(t, id, &buckets, "s3api", "list-buckets")
	var objs struct {
		Contents []struct{ Owner struct{ ID string } }
	}
	awsJSON(t, id, &objs, "s3api", "list-objects-v2", "--bucket", bucket, "--fetch-owner")
	var acl struct{ Owner struct{ ID string } }
	awsJSON(t, id, &acl, "s3api", "get-bucket-acl", "--bucket", bucket)
	if !canonicalID.MatchString(buckets.Owner.ID) || len(objs.Contents) != 1 || objs.Contents[0].Owner.ID != buckets.Owner.ID || acl.Owner.ID != buckets.Owner.ID {
		t.Errorf("owners: list-buckets %q, list-objects-v2 --fetch-owner %+v, get-bucket-acl %q; want one canonical ID", buckets.Owner.ID, objs.Contents, acl.Owner.ID)
	}
	var other struct{ Owner struct{ ID string } }
	awsJSON(t, identityOf(t, orgAdmin(t, devID)), &other, "s3api", "list-buckets")
	if other.Owner.ID == buckets.Owner.ID || !canonicalID.MatchString(other.Owner.ID) {
		t.Errorf("Development's canonical ID %q, Production's %q: want two different canonical IDs", other.Owner.ID, buckets.Owner.ID)
	}
}

// signedS3 sends an S3 request signed for the credentials, with
// x-amz-content-sha256 set to payload, and returns the response with its
// body read.
func signedS3(t *testing.T, cr aws.Credentials, method, path string, header map[string]string, payload string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, shared.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(body))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	req.Header.Set("X-Amz-Content-Sha256", payload)
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err := signer.SignHTTP(context.Background(), cr, req, payload, "s3", shared.Region, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Transport: transport(t, shared)}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// TestConformanceS3SignedTrailer uploads with
// STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER (chunk and trailer signatures
// chained from the request's, a trailing CRC32C): the checksum is kept and
// returned. It also reads a delete marker's headers as S3 sends them.
func TestConformanceS3SignedTrailer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	prod := orgAdmin(t, prodID)
	bucket := uniq(t, "trailer")
	must(prod.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}))(t)
	cr := must(prod.cfg.Credentials.Retrieve(ctx))(t)
	data := []byte("signed trailer body")
	sum := crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli))
	crc := base64.StdEncoding.EncodeToString([]byte{byte(sum >> 24), byte(sum >> 16), byte(sum >> 8), byte(sum)})
	mac := func(key []byte, s string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(s))
		return m.Sum(nil)
	}
	hexSHA := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	const mode = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	chunks := [][]byte{data, nil}
	trailer := "x-amz-checksum-crc32c:" + crc
	length := 0
	for _, c := range chunks {
		length += len(strconv.FormatInt(int64(len(c)), 16)) + len(";chunk-signature=") + 64 + 2 + len(c)
	}
	length += 2 + len(trailer) + 2 + len("x-amz-trailer-signature:") + 64 + 2 + 2
	at := time.Now().UTC()
	req, _ := http.NewRequest(http.MethodPut, shared.URL+"/"+bucket+"/trailer.txt", nil)
	req.ContentLength = int64(length)
	req.Header.Set("Content-Encoding", "aws-chunked")
	req.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(len(data)))
	req.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32c")
	req.Header.Set("X-Amz-Content-Sha256", mode)
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err := signer.SignHTTP(ctx, cr, req, mode, "s3", shared.Region, at); err != nil {
		t.Fatal(err)
	}
	auth := req.Header.Get("Authorization")
	prev := auth[strings.Index(auth, "Signature=")+len("Signature="):]
	date, stamp := at.Format("20060102"), at.Format("20060102T150405Z")
	scope := date + "/" + shared.Region + "/s3/aws4_request"
	k := mac([]byte("AWS4"+cr.SecretAccessKey), date)
	for _, s := range []string{shared.Region, "s3", "aws4_request"} {
		k = mac(k, s)
	}
	var body bytes.Buffer
	for _, c := range chunks {
		sig := hex.EncodeToString(mac(k, "AWS4-HMAC-SHA256-PAYLOAD\n"+stamp+"\n"+scope+"\n"+prev+"\n"+hexSHA(nil)+"\n"+hexSHA(c)))
		fmt.Fprintf(&body, "%x;chunk-signature=%s\r\n", len(c), sig)
		if len(c) > 0 {
			fmt.Fprintf(&body, "%s\r\n", c)
		}
		prev = sig
	}
	tsig := hex.EncodeToString(mac(k, "AWS4-HMAC-SHA256-TRAILER\n"+stamp+"\n"+scope+"\n"+prev+"\n"+hexSHA([]byte(trailer+"\n"))))
	fmt.Fprintf(&body, "%s\r\nx-amz-trailer-signature:%s\r\n\r\n", trailer, tsig)
	if body.Len() != length {
		t.Fatalf("built %d bytes, declared %d", body.Len(), length)
	}
	req.Body = io.NopCloser(&body)
	resp, err := (&http.Client{Transport: transport(t, shared)}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Amz-Checksum-Crc32c") != crc {
		t.Fatalf("signed trailer upload: %d, x-amz-checksum-crc32c %q (want %q)\n%s", resp.StatusCode, resp.Header.Get("X-Amz-Checksum-Crc32c"), crc, msg)
	}
	head := must(prod.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("trailer.txt"), ChecksumMode: "ENABLED"}))(t)
	if aws.ToString(head.ChecksumCRC32C) != crc || aws.ToInt64(head.ContentLength) != int64(len(data)) {
		t.Errorf("head-object: checksum %q, %d bytes; want %q, %d", aws.ToString(head.ChecksumCRC32C), aws.ToInt64(head.ContentLength), crc, len(data))
	}

	// A delete marker as the wire shows it.
	must(prod.s3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}))(t)
	del := must(prod.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("trailer.txt")}))(t)
	marker := aws.ToString(del.VersionId)
	r, _ := signedS3(t, cr, http.MethodHead, "/"+bucket+"/trailer.txt", nil, emptySHA, nil)
	if r.StatusCode != http.StatusNotFound || r.Header.Get("X-Amz-Delete-Marker") != "true" || r.Header.Get("X-Amz-Version-Id") != marker {
		t.Errorf("HEAD behind a delete marker: %d, x-amz-delete-marker %q, x-amz-version-id %q; want 404, true, %s",
			r.StatusCode, r.Header.Get("X-Amz-Delete-Marker"), r.Header.Get("X-Amz-Version-Id"), marker)
	}
	r, b := signedS3(t, cr, http.MethodGet, "/"+bucket+"/trailer.txt?versionId="+marker, nil, emptySHA, nil)
	if r.StatusCode != http.StatusMethodNotAllowed || r.Header.Get("X-Amz-Delete-Marker") != "true" || !strings.Contains(string(b), "MethodNotAllowed") {
		t.Errorf("GET of the delete marker's version: %d %s, x-amz-delete-marker %q; want 405 MethodNotAllowed", r.StatusCode, b, r.Header.Get("X-Amz-Delete-Marker"))
	}
}

// emptySHA is the hex SHA-256 of an empty body.
const emptySHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// TestConformanceS3VersionsSurviveRestart starts a sandbox of its own on a
// data dir: version IDs, delete markers, null versions and stored checksums
// are the same after a restart.
func TestConformanceS3VersionsSurviveRestart(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	opts := sandbox.Options{Accounts: threeAccounts(), Listen: "127.0.0.1:0", DataDir: t.TempDir()}
	sb, err := startSandbox(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	prodOf := func(sb *sandbox.Sandbox) *client {
		return adminOf(t, sb).assume(t, "arn:aws:iam::"+prodID+":role/"+sandbox.DefaultAdminRoleName, "test")
	}
	prod := prodOf(sb)
	b := aws.String("kept-versions")
	must(prod.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}))(t)
	must(prod.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("old"), Body: strings.NewReader("old")}))(t)
	must(prod.s3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: b,
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}))(t)
	must(prod.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("old"), Body: strings.NewReader("new")}))(t)
	must(prod.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("sum"), Body: strings.NewReader("sum"), ChecksumAlgorithm: s3types.ChecksumAlgorithmSha256}))(t)
	must(prod.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: aws.String("sum")}))(t)
	versions := func(prod *client) string {
		t.Helper()
		out := must(prod.s3.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: b}))(t)
		var s []string
		for _, v := range out.Versions {
			s = append(s, fmt.Sprintf("%s@%s latest=%v", aws.ToString(v.Key), aws.ToString(v.VersionId), aws.ToBool(v.IsLatest)))
		}
		for _, m := range out.DeleteMarkers {
			s = append(s, fmt.Sprintf("marker %s@%s latest=%v", aws.ToString(m.Key), aws.ToString(m.VersionId), aws.ToBool(m.IsLatest)))
		}
		return strings.Join(s, "\n")
	}
	before := versions(prod)
	sb.Close()

	sb, err = startSandbox(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	prod = prodOf(sb)
	if after := versions(prod); after != before || strings.Count(after, "\n") != 3 || !strings.Contains(after, "old@null latest=false") {
		t.Errorf("versions after a restart:\n%s\nbefore:\n%s", after, before)
	}
	if _, err := prod.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("sum")}); err == nil {
		t.Error("the delete marker no longer hides sum after a restart")
	}
	out := must(prod.s3.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: b, Prefix: aws.String("sum")}))(t)
	head := must(prod.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("sum"), VersionId: out.Versions[0].VersionId, ChecksumMode: s3types.ChecksumModeEnabled}))(t)
	sum := sha256.Sum256([]byte("sum"))
	if aws.ToString(head.ChecksumSHA256) != base64.StdEncoding.EncodeToString(sum[:]) {
		t.Errorf("checksum after a restart: %q", aws.ToString(head.ChecksumSHA256))
	}
	old := must(prod.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("old"), VersionId: aws.String("null")}))(t)
	body, _ := io.ReadAll(old.Body)
	old.Body.Close()
	if string(body) != "old" || aws.ToString(old.VersionId) != "null" {
		t.Errorf("the null version after a restart: %q, version %q", body, aws.ToString(old.VersionId))
	}
}
