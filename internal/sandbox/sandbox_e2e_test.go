package sandbox

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

const (
	devID  = "111111111111"
	prodID = "222222222222"
	repID  = "333333333333"
)

var (
	shared *Sandbox
	logs   = &logBuffer{}
)

// logBuffer collects the shared sandbox's log lines.
type logBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (l *logBuffer) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logBuffer) contains(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range l.lines {
		if strings.Contains(line, s) {
			return true
		}
	}
	return false
}

func TestMain(m *testing.M) {
	if IsChild(os.Args) {
		os.Exit(RunChild(os.Args, os.Stdin, os.Stdout))
	}
	if len(os.Args) > 1 && os.Args[1] == sandboxMainArg {
		os.Exit(sandboxMain())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	sb, err := Start(ctx, Options{
		Accounts: []Account{{Name: "development", ID: devID}, {Name: "production", ID: prodID}, {Name: "reporting", ID: repID}},
		Listen:   "127.0.0.1:0",
		Logf:     logs.logf,
	})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "start sandbox:", err)
		os.Exit(1)
	}
	shared = sb
	code := m.Run()
	sb.Close()
	os.Exit(code)
}

// client is a set of SDK clients signed with one credential.
type client struct {
	cfg aws.Config
	iam *iam.Client
	s3  *s3.Client
	sts *sts.Client
}

func httpClientFor(t testing.TB, sb *Sandbox) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(sb.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

func newClient(t testing.TB, sb *Sandbox, endpoint, key, secret, token string) *client {
	t.Helper()
	cfg := aws.Config{
		Region:      sb.Region,
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, token),
		HTTPClient:  httpClientFor(t, sb),
	}
	cfg.BaseEndpoint = aws.String(endpoint)
	return &client{
		cfg: cfg,
		iam: iam.NewFromConfig(cfg),
		s3:  s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }),
		sts: sts.NewFromConfig(cfg),
	}
}

func admin(t testing.TB) *client {
	return newClient(t, shared, shared.URL, shared.AdminKey, shared.AdminSecret, "")
}

// assume returns clients for a session of roleARN.
func (c *client) assume(t testing.TB, roleARN, session string) *client {
	t.Helper()
	out, err := c.sts.AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String(session)})
	if err != nil {
		t.Fatalf("assume %s: %v", roleARN, err)
	}
	cr := out.Credentials
	return newClient(t, shared, shared.URL, aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken))
}

// assumeIn is assume against another sandbox than the shared one.
func (c *client) assumeIn(t testing.TB, sb *Sandbox, roleARN string) *client {
	t.Helper()
	out, err := c.sts.AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("test")})
	if err != nil {
		t.Fatalf("assume %s: %v", roleARN, err)
	}
	cr := out.Credentials
	return newClient(t, sb, sb.URL, aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken))
}

func orgAdmin(t testing.TB, account string) *client {
	return admin(t).assume(t, "arn:aws:iam::"+account+":role/"+DefaultAdminRoleName, "test-admin")
}

// must(call())(t) fails the test when call returns an error.
func must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("request succeeded, want %s", code)
	}
	if got := errorCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}

// uniq gives each test its own names; bucket names are global.
func uniq(t testing.TB, prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano()%1e9)
}

// devUser creates a Development user (in the named group, if any) with an
// access key and returns its clients.
func devUser(t testing.TB, dev *client, name, group string) *client {
	t.Helper()
	ctx := context.Background()
	must(dev.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}))(t)
	if group != "" {
		must(dev.iam.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String(group), UserName: aws.String(name)}))(t)
	}
	key := must(dev.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)}))(t)
	return newClient(t, shared, shared.URL, aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), "")
}

func TestGetCallerIdentityIsTheTrueAccount(t *testing.T) {
	ctx := context.Background()
	out := must(admin(t).sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))(t)
	if aws.ToString(out.Account) != shared.ManagementAccount || !strings.HasSuffix(aws.ToString(out.Arn), ":user/"+adminUserName) {
		t.Errorf("admin identity = %s %s", aws.ToString(out.Account), aws.ToString(out.Arn))
	}
	prod := orgAdmin(t, prodID)
	out = must(prod.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))(t)
	want := "arn:aws:sts::" + prodID + ":assumed-role/" + DefaultAdminRoleName + "/test-admin"
	if aws.ToString(out.Account) != prodID || aws.ToString(out.Arn) != want {
		t.Errorf("org admin identity = %s %s, want %s %s", aws.ToString(out.Account), aws.ToString(out.Arn), prodID, want)
	}
}

func TestCrossAccountAssumeRoleAndS3(t *testing.T) {
	ctx := context.Background()
	dev, prod := orgAdmin(t, devID), orgAdmin(t, prodID)
	bucket := uniq(t, "prod-data")
	role := uniq(t, "readers")
	roleARN := "arn:aws:iam::" + prodID + ":role/" + role
	group := uniq(t, "Readers")

	// Production: a role the Development account's users may assume, which
	// may only read the bucket.
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + devID + `:root"},"Action":"sts:AssumeRole",
		"Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::` + devID + `:user/*"}}}]}`
	must(prod.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(trust)}))(t)
	must(prod.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String("read"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + bucket + `/*"}]}`)}))(t)
	must(prod.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}))(t)
	must(prod.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("a.txt"), Body: strings.NewReader("hello")}))(t)

	// Development: a group whose policy allows assuming that role.
	must(dev.iam.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(group)}))(t)
	must(dev.iam.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String(group), PolicyName: aws.String("assume"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"` + roleARN + `"}]}`)}))(t)
	member := devUser(t, dev, uniq(t, "alice"), group)
	outsider := devUser(t, dev, uniq(t, "mallory"), "")

	t.Run("a group member gets credentials", func(t *testing.T) {
		sess := member.assume(t, roleARN, "alice")
		got := must(sess.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("a.txt")}))(t)
		got.Body.Close()
		t.Run("and may read but not write", func(t *testing.T) {
			_, err := sess.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("b.txt"), Body: strings.NewReader("x")})
			wantCode(t, err, "AccessDenied")
		})
	})
	t.Run("a user outside the group is denied", func(t *testing.T) {
		_, err := outsider.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("mallory")})
		wantCode(t, err, "AccessDenied")
	})
	t.Run("a trust that does not name the caller's account denies", func(t *testing.T) {
		other := uniq(t, "repo-only")
		must(prod.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(other),
			AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + repID + `:root"},"Action":"sts:AssumeRole"}]}`)}))(t)
		must(dev.iam.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String(group), PolicyName: aws.String("assume-any"),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)}))(t)
		_, err := member.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + prodID + ":role/" + other), RoleSessionName: aws.String("alice")})
		wantCode(t, err, "AccessDenied")
	})
}
