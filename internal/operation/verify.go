package operation

import (
	"context"
	"encoding/json"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/xacct/xacct/internal/awsacct"
	"github.com/xacct/xacct/internal/config"
	"github.com/xacct/xacct/internal/plan"
	"github.com/xacct/xacct/internal/resource"
	"github.com/xacct/xacct/internal/stack"
	"github.com/xacct/xacct/internal/verify"
	"github.com/xacct/xacct/lambda/processor"
)

// Rendered returns the access matrix of the policies the templates render
// for the config, with no AWS call.
func Rendered(configFile string) (*config.Config, *verify.Matrix, error) {
	cfg, err := config.Load(configFile)
	if err != nil {
		return nil, nil, err
	}
	// The package's hash does not change who may do what.
	desired, err := stack.Build(cfg, "rendered")
	if err != nil {
		return nil, nil, err
	}
	values := map[string]json.RawMessage{}
	for _, r := range desired {
		values[r.Addr.String()] = r.Desired
	}
	return cfg, verify.Compute(cfg, verify.FromValues(values)), nil
}

// Verify reads the policies deployed for the config's resources and
// returns their access matrix.
func (s *Session) Verify(ctx context.Context) (*verify.Matrix, error) {
	values, err := plan.ReadAll(ctx, plan.Input{Desired: s.desired, State: s.st.Snapshot(), Kinds: s.kinds, Clients: s.clients, Parallelism: s.opts.Parallelism})
	if err != nil {
		return nil, err
	}
	return verify.Compute(s.Config, verify.FromValues(values)), nil
}

// Live proves the matrix with real calls by probe users (see verify.Live),
// reporting progress through logf.
func (s *Session) Live(ctx context.Context, wait time.Duration, logf func(format string, args ...any)) (*verify.LiveReport, error) {
	return verify.Live(ctx, s.liveInput(ctx, wait, logf))
}

// CleanupProbes deletes what a killed verify --live left behind.
func (s *Session) CleanupProbes(ctx context.Context) (*verify.CleanupReport, error) {
	return verify.Cleanup(ctx, s.liveInput(ctx, 0, nil))
}

func (s *Session) liveInput(ctx context.Context, wait time.Duration, logf func(format string, args ...any)) verify.LiveInput {
	cfg := s.Config
	dev := account(cfg.Accounts.Development)
	return verify.LiveInput{
		Cfg:        cfg,
		Wait:       wait,
		IAM:        iam.NewFromConfig(s.awsCfgs[dev.Name]),
		Production: resource.NewS3Client(s.awsCfgs["production"]),
		Reporting:  resource.NewS3Client(s.awsCfgs["reporting"]),
		RecordKey:  processor.RecordKey,
		UserConfig: func(creds aws.CredentialsProvider) (aws.Config, error) {
			return awsacct.UserConfig(ctx, cfg.Region, dev, s.env.AWS, creds)
		},
		Logf: logf,
	}
}
