// Package awsacct gives xacct one set of SDK clients per account: base
// credentials, then AssumeRole into the account's role through a credentials
// cache, then a guard that sts:GetCallerIdentity really answers with the
// account the config names, before anything else is called.
package awsacct

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/xacct/xacct/internal/config"
	"github.com/xacct/xacct/internal/resource"
)

// BaseConfig returns the base AWS config for an account (its profile, if
// any). The CLI loads it from the SDK's default chain; tests build it.
type BaseConfig func(ctx context.Context, profile string) (aws.Config, error)

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

// Connect builds every account's clients and checks each account's
// identity, concurrently. sessionName names xacct in CloudTrail.
func Connect(ctx context.Context, cfg *config.Config, base BaseConfig, sessionName string) (map[string]*resource.Clients, error) {
	accounts := cfg.Accounts.All()
	out := map[string]*resource.Clients{}
	errs := make([]error, len(accounts))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, a := range accounts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := connect(ctx, cfg, a, base, sessionName)
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

func connect(ctx context.Context, cfg *config.Config, a *config.Account, base BaseConfig, sessionName string) (*resource.Clients, error) {
	awsCfg, err := base(ctx, a.Profile)
	if err != nil {
		return nil, fmt.Errorf("%s account: load AWS credentials: %w", a.Name, err)
	}
	awsCfg = awsCfg.Copy()
	awsCfg.Region = cfg.Region
	if a.EndpointURL != "" {
		awsCfg.BaseEndpoint = aws.String(a.EndpointURL)
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
		return nil, fmt.Errorf("%s account %s: sign in with %s: %w", a.Name, a.ID, how, err)
	}
	if got := aws.ToString(id.Account); got != a.ID {
		return nil, &MismatchError{Account: a.Name, Want: a.ID, Got: got, Identity: aws.ToString(id.Arn)}
	}
	pathStyle := a.EndpointURL != "" || awsCfg.BaseEndpoint != nil
	return &resource.Clients{
		AccountID: a.ID,
		Region:    cfg.Region,
		IAM:       iam.NewFromConfig(awsCfg),
		S3: s3.NewFromConfig(awsCfg, func(o *s3.Options) {
			o.UsePathStyle = pathStyle
			// Objects written without a checksum are normal here; no log line.
			o.DisableLogOutputChecksumValidationSkipped = true
		}),
		Logs:   cloudwatchlogs.NewFromConfig(awsCfg),
		Lambda: lambda.NewFromConfig(awsCfg),
	}, nil
}

// UserConfig is the Development account's AWS config signed with other
// credentials (verify --live's probe users).
func UserConfig(ctx context.Context, cfg *config.Config, base BaseConfig, creds aws.CredentialsProvider) (aws.Config, error) {
	a := &cfg.Accounts.Development
	awsCfg, err := base(ctx, a.Profile)
	if err != nil {
		return aws.Config{}, err
	}
	awsCfg = awsCfg.Copy()
	awsCfg.Region = cfg.Region
	if a.EndpointURL != "" {
		awsCfg.BaseEndpoint = aws.String(a.EndpointURL)
	}
	awsCfg.Credentials = creds
	return awsCfg, nil
}
