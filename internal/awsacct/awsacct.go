// Package awsacct signs xacct in to each account: base credentials, then
// AssumeRole into the account's role through a credentials cache, then a
// guard that the session is in the account the config names (AssumeRole's
// own answer, or sts:GetCallerIdentity for base credentials), before
// anything else is called.
package awsacct

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/xacct/xacct/internal/awserr"
)

// BaseConfig returns the base AWS config for an account (its profile, if
// any). The CLI loads it from the SDK's default chain; tests build it.
type BaseConfig func(ctx context.Context, profile string) (aws.Config, error)

// RetryMaxAttempts bounds the SDK's attempts of one call (standard retry
// mode) when the base config sets none.
const RetryMaxAttempts = 8

// Account is one account to sign in to.
type Account struct {
	Name string // development, production, reporting
	ID   string // the 12-digit account ID the credentials must belong to
	// RoleARN, if set, is assumed from the base credentials.
	RoleARN    string
	ExternalID string
	// Profile names the shared-config profile of the base credentials.
	Profile string
	// EndpointURL, if set, is used for every service (the local sandbox).
	EndpointURL string
}

// MismatchError is an account whose credentials belong to another account.
type MismatchError struct {
	Account  string // development, production, reporting
	Want     string
	Got      string
	Identity string
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("the %s account is %s in the config, but its credentials are for account %s (%s); nothing was changed",
		e.Account, e.Want, e.Got, e.Identity)
}

// Problem is why signing in failed, in the terms a person can act on.
type Problem int

// The problems signing in can have.
const (
	// ProblemOther is anything not below; the error says what.
	ProblemOther Problem = iota
	// ProblemNoCredentials: the SDK's chain found no credentials at all.
	ProblemNoCredentials
	// ProblemSSOExpired: the SSO session must be renewed (aws sso login).
	ProblemSSOExpired
	// ProblemExpired: the credentials or session token have expired.
	ProblemExpired
	// ProblemInvalid: AWS does not know the access key, or the secret is
	// wrong.
	ProblemInvalid
	// ProblemUnreachable: the endpoint does not answer.
	ProblemUnreachable
	// ProblemAssumeDenied: the base credentials may not assume the role.
	ProblemAssumeDenied
)

// SignInError is an account whose sign-in failed.
type SignInError struct {
	Account, ID string
	// How is what signing in used: "the base credentials" or "role ARN".
	How     string
	Problem Problem
	Err     error
}

func (e *SignInError) Error() string {
	return fmt.Sprintf("%s account %s: sign in with %s: %v", e.Account, e.ID, e.How, e.Err)
}

func (e *SignInError) Unwrap() error { return e.Err }

// classify tells why a sign-in failed.
func classify(err error) Problem {
	var sso *ssocreds.InvalidTokenError
	var op *net.OpError
	var dns *net.DNSError
	switch code := awserr.Code(err); {
	case errors.As(err, &sso):
		return ProblemSSOExpired
	case code == "ExpiredToken" || code == "ExpiredTokenException" || code == "RequestExpired":
		return ProblemExpired
	case code == "InvalidClientTokenId" || code == "SignatureDoesNotMatch" || code == "UnrecognizedClientException" || code == "MissingAuthenticationToken":
		return ProblemInvalid
	case code == "AccessDenied" && strings.Contains(err.Error(), "AssumeRole"):
		return ProblemAssumeDenied
	case errors.As(err, &dns) || errors.As(err, &op):
		return ProblemUnreachable
	case strings.Contains(err.Error(), "get credentials:"):
		// The SDK's chain found nothing: no keys in the environment, no
		// profile, no SSO, no instance role.
		return ProblemNoCredentials
	}
	return ProblemOther
}

// Connect signs in to every account and checks each account's identity,
// concurrently, and returns each account's SDK config by name. sessionName
// names xacct in CloudTrail.
func Connect(ctx context.Context, region string, accounts []Account, base BaseConfig, sessionName string) (map[string]aws.Config, error) {
	base = onePerProfile(base)
	out := map[string]aws.Config{}
	errs := make([]error, len(accounts))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, a := range accounts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := connect(ctx, region, a, base, sessionName)
			if err != nil {
				errs[i] = err
				return
			}
			mu.Lock()
			out[a.Name] = c
			mu.Unlock()
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

func connect(ctx context.Context, region string, a Account, base BaseConfig, sessionName string) (aws.Config, error) {
	awsCfg, err := baseFor(ctx, region, a, base)
	if err != nil {
		return aws.Config{}, fmt.Errorf("%s account: load AWS credentials: %w", a.Name, err)
	}
	if a.RoleARN != "" {
		stsClient := sts.NewFromConfig(awsCfg, func(o *sts.Options) { o.Retryer = signInRetryer() })
		awsCfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, a.RoleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = sessionName
			if a.ExternalID != "" {
				o.ExternalID = aws.String(a.ExternalID)
			}
		}))
		// AssumeRole's answer names the session's account (its
		// AssumedRoleUser), so the guard needs no second round trip: one
		// fewer for every command, in every account.
		cr, err := awsCfg.Credentials.Retrieve(ctx)
		if err != nil {
			return aws.Config{}, &SignInError{Account: a.Name, ID: a.ID, How: "role " + a.RoleARN, Problem: classify(err), Err: err}
		}
		if cr.AccountID != "" {
			if cr.AccountID != a.ID {
				return aws.Config{}, &MismatchError{Account: a.Name, Want: a.ID, Got: cr.AccountID, Identity: "a session of role " + a.RoleARN}
			}
			return awsCfg, nil
		}
	}
	id, err := sts.NewFromConfig(awsCfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}, func(o *sts.Options) { o.Retryer = signInRetryer() })
	if err != nil {
		how := "the base credentials"
		if a.RoleARN != "" {
			how = "role " + a.RoleARN
		}
		return aws.Config{}, &SignInError{Account: a.Name, ID: a.ID, How: how, Problem: classify(err), Err: err}
	}
	if got := aws.ToString(id.Account); got != a.ID {
		return aws.Config{}, &MismatchError{Account: a.Name, Want: a.ID, Got: got, Identity: aws.ToString(id.Arn)}
	}
	return awsCfg, nil
}

// onePerProfile loads each profile's base config once, however many
// accounts (or goroutines) ask for it: the accounts that share a profile
// share its credentials, resolved once, and its HTTP client, whose
// connections then carry every account's requests to an endpoint (one TLS
// handshake per endpoint instead of one per account, and the shared
// config files and CA bundle read once). Each caller gets a copy whose
// APIOptions it may append to without touching the others'.
func onePerProfile(load BaseConfig) BaseConfig {
	type loaded struct {
		cfg  aws.Config
		err  error
		done chan struct{}
	}
	var mu sync.Mutex
	byProfile := map[string]*loaded{}
	return func(ctx context.Context, profile string) (aws.Config, error) {
		mu.Lock()
		l, ok := byProfile[profile]
		if !ok {
			l = &loaded{done: make(chan struct{})}
			byProfile[profile] = l
		}
		mu.Unlock()
		if !ok {
			l.cfg, l.err = load(ctx, profile)
			l.cfg.HTTPClient = roomForAccounts(l.cfg.HTTPClient)
			close(l.done)
		}
		select {
		case <-l.done:
		case <-ctx.Done():
			return aws.Config{}, ctx.Err()
		}
		c := l.cfg.Copy()
		c.APIOptions = slices.Clip(c.APIOptions)
		return c, l.err
	}
}

// sharedIdlePerHost is how many idle connections to one host the HTTP
// client that accounts share keeps: every account's requests to a service
// at once (--parallelism each), so that a burst's connections are kept for
// the next instead of closed and dialled again (the SDK's default keeps 10,
// enough for one account).
const sharedIdlePerHost = 256

// roomForAccounts gives the SDK's own HTTP client room for the idle
// connections of several accounts; a client the user's config set is
// theirs, and left alone.
func roomForAccounts(c aws.HTTPClient) aws.HTTPClient {
	bc, ok := c.(*awshttp.BuildableClient)
	if !ok {
		return c
	}
	return bc.WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConns = max(t.MaxIdleConns, sharedIdlePerHost)
		t.MaxIdleConnsPerHost = max(t.MaxIdleConnsPerHost, sharedIdlePerHost)
	})
}

// baseFor is the account's base config in the region, at its endpoint.
func baseFor(ctx context.Context, region string, a Account, base BaseConfig) (aws.Config, error) {
	awsCfg, err := base(ctx, a.Profile)
	if err != nil {
		return aws.Config{}, err
	}
	awsCfg = awsCfg.Copy()
	awsCfg.Region = region
	// Throttling and 5xx are AWS's weather: retry them, backing off as
	// the service asks, unless the user's config says otherwise. Standard
	// mode, not adaptive: the adaptive mode's rate, one per client, falls
	// to a fraction of a request per second on the first throttle and
	// climbs back over minutes (a fifty-group apply under 30% throttling
	// took 85 s with it); how fast to send is Rates' job, per account and
	// service.
	if awsCfg.Retryer == nil && awsCfg.RetryMode == "" {
		awsCfg.RetryMode = aws.RetryModeStandard
	}
	if awsCfg.Retryer == nil && awsCfg.RetryMaxAttempts == 0 {
		awsCfg.RetryMaxAttempts = RetryMaxAttempts
	}
	if a.EndpointURL != "" {
		awsCfg.BaseEndpoint = aws.String(a.EndpointURL)
	}
	return awsCfg, nil
}

// UserConfig is an account's SDK config signed with other credentials
// (verify --live's probe users).
func UserConfig(ctx context.Context, region string, a Account, base BaseConfig, creds aws.CredentialsProvider) (aws.Config, error) {
	awsCfg, err := baseFor(ctx, region, a, base)
	if err != nil {
		return aws.Config{}, err
	}
	awsCfg.Credentials = creds
	return awsCfg, nil
}

// signInRetryer retries sign-in as AWS asks (throttling, 5xx: up to
// RetryMaxAttempts) but not a connection that cannot be made, so that an
// endpoint that does not answer is said at once. (Two attempts at most, as
// before, gave up on two throttles in a row: the chaos test found it.)
func signInRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = RetryMaxAttempts
		o.Retryables = append([]retry.IsErrorRetryable{retry.IsErrorRetryableFunc(func(err error) aws.Ternary {
			var op *net.OpError
			if errors.As(err, &op) && op.Op == "dial" {
				return aws.FalseTernary
			}
			return aws.UnknownTernary
		})}, o.Retryables...)
	})
}
