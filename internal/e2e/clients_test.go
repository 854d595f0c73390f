package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/xacct/xacct/internal/sandbox"
)

// client is a set of SDK clients of one sandbox, signed with one credential.
type client struct {
	sb  *sandbox.Sandbox
	cfg aws.Config
	iam *iam.Client
	s3  *s3.Client
	sts *sts.Client
}

// transport trusts the CA of sb's gateway.
func transport(t testing.TB, sb *sandbox.Sandbox) *http.Transport {
	t.Helper()
	pem, err := os.ReadFile(sb.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	// Idle connections kept for the next run of the same stack: with
	// http.Transport's default of two a host, a new TLS handshake for
	// nearly every request was 40% of a no-op plan's CPU in the suite.
	return &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, MaxIdleConnsPerHost: 64}
}

// sdkTransport is transport speaking HTTP/2 where the server does, as the
// SDK's default transport (and so xacct's) does: the SDK clients of the
// tests and xacct run in-process use it; raw requests that test HTTP/1.1
// framing (chunked bodies, 100-continue) use transport.
func sdkTransport(t testing.TB, sb *sandbox.Sandbox) *http.Transport {
	t.Helper()
	tr := transport(t, sb)
	tr.ForceAttemptHTTP2 = true
	return tr
}

func newClient(t testing.TB, sb *sandbox.Sandbox, endpoint, key, secret, token string) *client {
	t.Helper()
	cfg := aws.Config{
		Region:      sb.Region,
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, token),
		HTTPClient:  &http.Client{Transport: sdkTransport(t, sb)},
	}
	cfg.BaseEndpoint = aws.String(endpoint)
	return clientOf(sb, cfg)
}

// newClientWith is c with another HTTP client.
func newClientWith(t testing.TB, sb *sandbox.Sandbox, c *client, hc *http.Client) *client {
	t.Helper()
	cfg := c.cfg.Copy()
	cfg.HTTPClient = hc
	return clientOf(sb, cfg)
}

func clientOf(sb *sandbox.Sandbox, cfg aws.Config) *client {
	return &client{
		sb:  sb,
		cfg: cfg,
		iam: iam.NewFromConfig(cfg),
		s3:  s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }),
		sts: sts.NewFromConfig(cfg),
	}
}

// adminOf is sb's management administrator.
func adminOf(t testing.TB, sb *sandbox.Sandbox) *client {
	return newClient(t, sb, sb.URL, sb.AdminKey, sb.AdminSecret, "")
}

// admin is the shared sandbox's management administrator.
func admin(t testing.TB) *client {
	return adminOf(t, shared)
}

// assume returns clients for a session of roleARN, in the same sandbox.
func (c *client) assume(t testing.TB, roleARN, session string) *client {
	t.Helper()
	out, err := c.sts.AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String(session)})
	if err != nil {
		t.Fatalf("assume %s: %v", roleARN, err)
	}
	cr := out.Credentials
	return newClient(t, c.sb, c.sb.URL, aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken))
}

// orgAdmin is an account's administrator in the shared sandbox: a session of
// its OrganizationAccountAccessRole.
func orgAdmin(t testing.TB, account string) *client {
	return orgAdminOn(t, shared, account)
}

// orgAdminOn is an account's administrator in sb.
func orgAdminOn(t testing.TB, sb *sandbox.Sandbox, account string) *client {
	return adminOf(t, sb).assume(t, "arn:aws:iam::"+account+":role/"+sandbox.DefaultAdminRoleName, "test-admin")
}

// lambdaClients are Lambda and CloudWatch Logs clients of the Production
// administrator.
func lambdaClients(t testing.TB) (*lambda.Client, *cloudwatchlogs.Client) {
	t.Helper()
	cfg := orgAdmin(t, prodID).cfg
	return lambda.NewFromConfig(cfg), cloudwatchlogs.NewFromConfig(cfg)
}

// userKey returns clients signed with a new access key of the Development
// user name.
func userKey(t testing.TB, dev *client, name string) *client {
	t.Helper()
	key := must(dev.iam.CreateAccessKey(context.Background(), &iam.CreateAccessKeyInput{UserName: aws.String(name)}))(t)
	return newClient(t, dev.sb, dev.sb.URL, aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), "")
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
	return userKey(t, dev, name)
}

// userSession returns S3 clients of an existing Development user (signed
// with a new access key) after assuming roleARN.
func userSession(t testing.TB, user, roleARN string) *s3.Client {
	t.Helper()
	return userKey(t, orgAdmin(t, devID), user).assume(t, roleARN, user).s3
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
