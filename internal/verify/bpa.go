package verify

// Block Public Access in verify: which of the stack buckets' public grants
// (iampolicy.Statement.IsPublic, the definition the sandbox enforces) BPA
// blocks, and whether BPA is on at all. xacct turns on the four settings of
// both buckets; a setting off at bucket level that the account's settings
// do not cover is a finding (plan shows it as drift of the bucket's
// public_access_block), because the next public policy or ACL would then
// reach anyone.

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"

	"github.com/xacct/xacct/internal/awserr"
	"github.com/xacct/xacct/internal/iampolicy"
)

// PublicAccessBlock is one level's four Block Public Access settings.
type PublicAccessBlock struct {
	BlockPublicAcls       bool `json:"block_public_acls"`
	IgnorePublicAcls      bool `json:"ignore_public_acls"`
	BlockPublicPolicy     bool `json:"block_public_policy"`
	RestrictPublicBuckets bool `json:"restrict_public_buckets"`
}

// or is the most restrictive combination of two levels, which S3 applies;
// nil is no setting.
func (p *PublicAccessBlock) or(q *PublicAccessBlock) PublicAccessBlock {
	var a, b PublicAccessBlock
	if p != nil {
		a = *p
	}
	if q != nil {
		b = *q
	}
	return PublicAccessBlock{a.BlockPublicAcls || b.BlockPublicAcls, a.IgnorePublicAcls || b.IgnorePublicAcls,
		a.BlockPublicPolicy || b.BlockPublicPolicy, a.RestrictPublicBuckets || b.RestrictPublicBuckets}
}

// off names the settings that are false.
func (p PublicAccessBlock) off() []string {
	var out []string
	for _, s := range []struct {
		name string
		on   bool
	}{{"BlockPublicAcls", p.BlockPublicAcls}, {"IgnorePublicAcls", p.IgnorePublicAcls}, {"BlockPublicPolicy", p.BlockPublicPolicy}, {"RestrictPublicBuckets", p.RestrictPublicBuckets}} {
		if !s.on {
			out = append(out, s.name)
		}
	}
	return out
}

// BucketPublicAccess is what applies to one stack bucket: its own settings
// and its owner account's (nil: none put).
type BucketPublicAccess struct {
	Account string             `json:"account"` // the owner's ID
	Bucket  *PublicAccessBlock `json:"bucket"`
	// AccountLevel is read only when Bucket leaves a setting off (nil then
	// too when the account has none).
	AccountLevel *PublicAccessBlock `json:"account_level"`
	// Missing: the bucket does not exist (not applied yet), nothing to judge.
	Missing bool `json:"missing,omitempty"`
}

// BucketPublicAccessAPI reads a bucket's Block Public Access; *s3.Client
// satisfies it.
type BucketPublicAccessAPI interface {
	GetPublicAccessBlock(context.Context, *s3.GetPublicAccessBlockInput, ...func(*s3.Options)) (*s3.GetPublicAccessBlockOutput, error)
}

// AccountPublicAccessAPI reads an account's Block Public Access; an S3
// Control client (awsacct.S3Control) satisfies it.
type AccountPublicAccessAPI interface {
	GetPublicAccessBlock(context.Context, *s3control.GetPublicAccessBlockInput, ...func(*s3control.Options)) (*s3control.GetPublicAccessBlockOutput, error)
}

// ReadPublicAccess reads the settings that apply to bucket, owned by
// account: the bucket's, then the account's (ReadAccountPublicAccess).
func ReadPublicAccess(ctx context.Context, bucket, account string, b BucketPublicAccessAPI, a AccountPublicAccessAPI) (BucketPublicAccess, error) {
	out := BucketPublicAccess{Account: account}
	bo, err := b.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String(bucket)})
	switch {
	case err == nil && bo.PublicAccessBlockConfiguration != nil:
		c := bo.PublicAccessBlockConfiguration
		out.Bucket = &PublicAccessBlock{aws.ToBool(c.BlockPublicAcls), aws.ToBool(c.IgnorePublicAcls), aws.ToBool(c.BlockPublicPolicy), aws.ToBool(c.RestrictPublicBuckets)}
	case err == nil, awserr.Is(err, "NoSuchPublicAccessBlockConfiguration"):
	case awserr.Is(err, "NoSuchBucket"):
		out.Missing = true
		return out, nil
	default:
		return out, fmt.Errorf("read the public access block of bucket %s: %w", bucket, err)
	}
	return out, ReadAccountPublicAccess(ctx, &out, a)
}

// ReadAccountPublicAccess completes pa, whose bucket-level settings are
// known (from ReadPublicAccess, or the bucket's value a plan read), with
// its account's. The account's settings only matter for a setting the
// bucket leaves off, so with all four on at bucket level (xacct's) there is
// no call.
func ReadAccountPublicAccess(ctx context.Context, pa *BucketPublicAccess, a AccountPublicAccessAPI) error {
	if pa.Missing || pa.Bucket != nil && len(pa.Bucket.off()) == 0 {
		return nil
	}
	account := pa.Account
	ao, err := a.GetPublicAccessBlock(ctx, &s3control.GetPublicAccessBlockInput{AccountId: aws.String(account)})
	switch {
	case err == nil && ao.PublicAccessBlockConfiguration != nil:
		c := ao.PublicAccessBlockConfiguration
		pa.AccountLevel = &PublicAccessBlock{aws.ToBool(c.BlockPublicAcls), aws.ToBool(c.IgnorePublicAcls), aws.ToBool(c.BlockPublicPolicy), aws.ToBool(c.RestrictPublicBuckets)}
	case err == nil, awserr.Is(err, "NoSuchPublicAccessBlockConfiguration"):
	default:
		return fmt.Errorf("read the public access block of account %s: %w", account, err)
	}
	return nil
}

// PublicAccessReport is what Block Public Access does for the stack's
// buckets.
type PublicAccessReport struct {
	// Findings: a setting off (bucket level, not covered by the account's),
	// or a public grant that BPA does not block.
	Findings []string `json:"findings"`
	// Blocked are the public grants BPA blocks.
	Blocked []string `json:"blocked"`
}

// CheckPublicAccess judges the stack buckets' policies (inv.BucketPolicies)
// against the Block Public Access that applies to each (inv.PublicAccess).
// A bucket verify could not read the settings of is not judged.
func CheckPublicAccess(inv *Inventory) *PublicAccessReport {
	r := &PublicAccessReport{Findings: []string{}, Blocked: []string{}}
	buckets := make([]string, 0, len(inv.PublicAccess))
	for b := range inv.PublicAccess {
		buckets = append(buckets, b)
	}
	sort.Strings(buckets)
	for _, bucket := range buckets {
		pa := inv.PublicAccess[bucket]
		if pa.Missing {
			continue
		}
		eff := pa.Bucket.or(pa.AccountLevel)
		if off := eff.off(); len(off) > 0 {
			r.Findings = append(r.Findings, fmt.Sprintf("bucket %s: Block Public Access is off (%s false at bucket level, and account %s's settings do not cover it): a public policy or ACL would reach anyone",
				bucket, strings.Join(off, ", "), pa.Account))
		}
		doc, ok := inv.BucketPolicies[bucket]
		if !ok {
			continue
		}
		p, err := iampolicy.Parse([]byte(doc), iampolicy.Resource)
		if err != nil {
			continue // the walk reports a policy it cannot read
		}
		for _, s := range p.PublicStatements() {
			grant := fmt.Sprintf("bucket %s: policy statement %s grants %s to anyone (public access)", bucket, s.Label(), strings.Join(actionsOf(s), ", "))
			if eff.RestrictPublicBuckets {
				r.Blocked = append(r.Blocked, grant+": blocked by Block Public Access (RestrictPublicBuckets)")
				continue
			}
			r.Findings = append(r.Findings, grant+": not blocked, RestrictPublicBuckets is off")
		}
	}
	return r
}

func actionsOf(s *iampolicy.Statement) []string {
	if s.Action != nil {
		return s.Action
	}
	return []string{"every action but " + strings.Join(s.NotAction, ", ")}
}
