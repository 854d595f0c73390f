package operation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/xacct/xacct/internal/awserr"
	"sync"
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
// for the config, with no AWS call: the intent checks, and who reaches the
// data among the principals the config makes (and an administrator of each
// account). strict counts administrators as findings.
func Rendered(configFile string, strict bool) (*config.Config, *verify.Matrix, error) {
	cfg, err := loadConfig(configFile)
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
	pol := verify.FromValues(values)
	m := verify.Compute(cfg, pol)
	m.Reach = verify.ComputeReach(cfg, verify.RenderedInventory(cfg, pol), strict)
	return cfg, m, nil
}

// policyKinds are the kinds whose values carry a policy document (a
// "policy" or "trust" field, verify.FromValues): verify reads only those,
// since buckets' settings, trails and the function say nothing of who
// reaches the data and each costs several calls.
var policyKinds = map[string]bool{"iam_role": true, "iam_role_policy": true, "iam_group_policy": true, "s3_bucket_policy": true}

// Verify reads the policies deployed for the config's resources and every
// principal of the three accounts, and returns the access matrix and who
// reaches the data. strict counts administrators as findings.
func (s *Session) Verify(ctx context.Context, strict bool) (*verify.Matrix, error) {
	var withPolicies []resource.Resource
	for _, r := range s.desired {
		if policyKinds[r.Addr.Kind] {
			withPolicies = append(withPolicies, r)
		}
	}
	values, err := plan.ReadAll(ctx, plan.Input{Desired: withPolicies, State: s.st.Snapshot(), Kinds: s.kinds, Clients: s.clients, Parallelism: s.opts.Parallelism})
	if err != nil {
		return nil, err
	}
	pol := verify.FromValues(values)
	inv := &verify.Inventory{BucketPolicies: pol.BucketPolicyDocs()}
	accts := s.Config.Accounts.All()
	read := make([]*verify.Account, len(accts))
	errs := make([]error, len(accts))
	var wg sync.WaitGroup
	for i, a := range accts {
		c := s.clients[a.Name]
		ia, ok := c.IAM.(verify.AuthorizationDetailsAPI)
		fa, ok2 := c.Lambda.(verify.FunctionsAPI)
		if !ok || !ok2 {
			return nil, fmt.Errorf("verify: the %s account's clients cannot list its principals", a.Name)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			read[i], _, errs[i] = verify.ReadAccount(ctx, a.Name, a.ID, ia, fa)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, a := range read {
		inv.Accounts = append(inv.Accounts, *a)
	}
	if inv.PublicAccess, err = s.readPublicAccess(ctx); err != nil {
		return nil, err
	}
	m := verify.Compute(s.Config, pol)
	m.Reach = verify.ComputeReach(s.Config, inv, strict)
	m.PublicAccess = verify.CheckPublicAccess(inv)
	return m, nil
}

// readPublicAccess is the Block Public Access of the stack's buckets: each
// bucket's own settings (one GetPublicAccessBlock each), and its account's
// where the bucket leaves one off. A bucket that does not exist yet is left
// out.
func (s *Session) readPublicAccess(ctx context.Context) (map[string]verify.BucketPublicAccess, error) {
	out := map[string]verify.BucketPublicAccess{}
	for _, r := range s.desired {
		if r.Addr.Kind != "s3_bucket" {
			continue
		}
		var a config.Account
		switch r.Addr.Account {
		case "production":
			a = s.Config.Accounts.Production
		case "reporting":
			a = s.Config.Accounts.Reporting
		default:
			continue
		}
		got, err := s.clients[a.Name].S3.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String(r.Addr.Name)})
		var pab verify.PublicAccessBlock
		switch {
		case awserr.Is(err, "NoSuchBucket"):
			continue
		case awserr.Is(err, "NoSuchPublicAccessBlockConfiguration"):
		case err != nil:
			return nil, fmt.Errorf("verify: read the Block Public Access of bucket %s: %w", r.Addr.Name, err)
		default:
			if c := got.PublicAccessBlockConfiguration; c != nil {
				pab = verify.PublicAccessBlock{BlockPublicAcls: aws.ToBool(c.BlockPublicAcls), IgnorePublicAcls: aws.ToBool(c.IgnorePublicAcls),
					BlockPublicPolicy: aws.ToBool(c.BlockPublicPolicy), RestrictPublicBuckets: aws.ToBool(c.RestrictPublicBuckets)}
			}
		}
		pa := verify.BucketPublicAccess{Account: a.ID, Bucket: &pab}
		if err := verify.ReadAccountPublicAccess(ctx, &pa, awsacct.S3Control(s.awsCfgs[a.Name])); err != nil {
			return nil, fmt.Errorf("verify: %w", err)
		}
		out[r.Addr.Name] = pa
	}
	return out, nil
}

// Live proves the matrix with real calls by probe users (see verify.Live),
// and the findings a group's new member reaches, reporting progress
// through logf.
func (s *Session) Live(ctx context.Context, wait time.Duration, findings []verify.Finding, logf func(format string, args ...any)) (*verify.LiveReport, error) {
	in := s.liveInput(ctx, wait, logf)
	in.Findings = findings
	return verify.Live(ctx, in)
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
