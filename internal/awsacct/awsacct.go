// Package awsacct signs xacct in to each account: base credentials, then
// AssumeRole into the account's role through a credentials cache, then a
// guard that sts:GetCallerIdentity really answers with the account the
// config names, before anything else is called.
package awsacct

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// BaseConfig returns the base AWS config for an account (its profile, if
// any). The CLI loads it from the SDK's default chain; tests build it.
type BaseConfig func(ctx context.Context, profile string) (aws.Config, error)

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

// Connect signs in to every account and checks each account's identity,
// concurrently, and returns each account's SDK config by name. sessionName
// names xacct in CloudTrail.
func Connect(ctx context.Context, region string, accounts []Account, base BaseConfig, sessionName string) (map[string]aws.Config, error) {
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
		stsClient := sts.NewFromConfig(awsCfg)
		awsCfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, a.RoleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = sessionName
			if a.ExternalID != "" {
				o.ExternalID = aws.String(a.ExternalID)
			}
		}))
	}
	id, err := sts.NewFromConfig(awsCfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		how := "the base credentials"
		if a.RoleARN != "" {
			how = "role " + a.RoleARN
		}
		return aws.Config{}, fmt.Errorf("%s account %s: sign in with %s: %w", a.Name, a.ID, how, err)
	}
	if got := aws.ToString(id.Account); got != a.ID {
		return aws.Config{}, &MismatchError{Account: a.Name, Want: a.ID, Got: got, Identity: aws.ToString(id.Arn)}
	}
	return awsCfg, nil
}

// baseFor is the account's base config in the region, at its endpoint.
func baseFor(ctx context.Context, region string, a Account, base BaseConfig) (aws.Config, error) {
	awsCfg, err := base(ctx, a.Profile)
	if err != nil {
		return aws.Config{}, err
	}
	awsCfg = awsCfg.Copy()
	awsCfg.Region = region
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
