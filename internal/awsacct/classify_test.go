package awsacct

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/smithy-go"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	api := func(code, op string) error {
		return fmt.Errorf("get identity: %w", &smithy.OperationError{ServiceID: "STS", OperationName: op, Err: &smithy.GenericAPIError{Code: code, Message: "m"}})
	}
	tests := []struct {
		name string
		err  error
		want Problem
	}{
		{"no credentials", errors.New("operation error STS: GetCallerIdentity, get identity: get credentials: failed to refresh cached credentials, no EC2 IMDS role found"), ProblemNoCredentials},
		{"SSO session expired", fmt.Errorf("get credentials: %w", &ssocreds.InvalidTokenError{Err: errors.New("expired")}), ProblemSSOExpired},
		{"expired token", api("ExpiredToken", "GetCallerIdentity"), ProblemExpired},
		{"unknown key", api("InvalidClientTokenId", "GetCallerIdentity"), ProblemInvalid},
		{"wrong secret", api("SignatureDoesNotMatch", "GetCallerIdentity"), ProblemInvalid},
		{"assume refused", api("AccessDenied", "AssumeRole"), ProblemAssumeDenied},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, ProblemUnreachable},
		{"no such host", fmt.Errorf("send: %w", &net.DNSError{Err: "no such host", Name: "sts.example"}), ProblemUnreachable},
		{"anything else", api("Throttling", "GetCallerIdentity"), ProblemOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := classify(tt.err); got != tt.want {
				t.Errorf("classify(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

// TestSignInProblemsOverTheWire: the SDK's real errors are told apart.
func TestSignInProblemsOverTheWire(t *testing.T) {
	t.Parallel()
	// A port nothing listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	tests := []struct {
		name  string
		creds aws.CredentialsProvider
		want  Problem
	}{
		{"no credentials", aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{}, errors.New("no EC2 IMDS role found")
		})), ProblemNoCredentials},
		{"endpoint down", credentials.NewStaticCredentialsProvider("AKIAEXAMPLE", "secret", ""), ProblemUnreachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base := func(context.Context, string) (aws.Config, error) {
				return aws.Config{Credentials: tt.creds, RetryMaxAttempts: 1}, nil
			}
			_, err := Connect(context.Background(), "us-east-1", []Account{{Name: "development", ID: "111111111111", EndpointURL: closed}}, base, "xacct-test")
			var se *SignInError
			if !errors.As(err, &se) || se.Problem != tt.want || se.Account != "development" || se.How != "the base credentials" {
				t.Fatalf("Connect = %v (%+v), want problem %d", err, se, tt.want)
			}
		})
	}
}

func TestRetriesUnlessConfigured(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		base     aws.Config
		mode     aws.RetryMode
		attempts int
	}{
		{"defaults", aws.Config{}, aws.RetryModeStandard, RetryMaxAttempts},
		{"the user's mode and attempts", aws.Config{RetryMode: aws.RetryModeAdaptive, RetryMaxAttempts: 3}, aws.RetryModeAdaptive, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := baseFor(context.Background(), "us-east-1", Account{Name: "development"}, func(context.Context, string) (aws.Config, error) { return tt.base, nil })
			if err != nil {
				t.Fatal(err)
			}
			if got.RetryMode != tt.mode || got.RetryMaxAttempts != tt.attempts {
				t.Errorf("retry mode %q, attempts %d; want %q, %d", got.RetryMode, got.RetryMaxAttempts, tt.mode, tt.attempts)
			}
		})
	}
}

// TestSignInRetriesThrottling: AWS throttling sign-in (AssumeRole and
// GetCallerIdentity) is retried like any call, not given up after two
// attempts; an endpoint that does not answer is still said at once (one
// attempt).
func TestSignInRetriesThrottling(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.sts.throttle = 3
	ctx := context.Background()
	if _, err := Connect(ctx, testRegion, e.at(prod), e.base, testSession); err != nil {
		t.Fatalf("sign-in throttled 3 times: %v", err)
	}
	if n := len(e.sts.calls); n != 4 {
		t.Errorf("%d STS calls, want 3 throttled and AssumeRole", n)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	dials := 0
	base := func(context.Context, string) (aws.Config, error) {
		return aws.Config{Credentials: credentials.NewStaticCredentialsProvider("AKIAEXAMPLE", "secret", ""),
			HTTPClient: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				dials++
				return http.DefaultTransport.RoundTrip(r)
			})}}, nil
	}
	_, err = Connect(ctx, "us-east-1", []Account{{Name: "development", ID: "111111111111", EndpointURL: closed}}, base, "xacct-test")
	var se *SignInError
	if !errors.As(err, &se) || se.Problem != ProblemUnreachable || dials != 1 {
		t.Errorf("endpoint down: %v after %d attempts, want unreachable after 1", err, dials)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
