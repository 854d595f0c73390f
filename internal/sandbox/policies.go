package sandbox

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/xacct/xacct/internal/awserr"
	"github.com/xacct/xacct/internal/iampolicy"
)

// identityPolicies returns the principal's identity-based policies: a user's
// inline and attached managed policies and its groups'; a role session's
// role inline and attached managed policies (customer and AWS-managed).
func (g *gateway) identityPolicies(ctx context.Context, p *principal) ([]iampolicy.NamedPolicy, error) {
	return iamCached(g.cache, g.cache.ident, p.Account, p.Account+"|"+p.ARN, func() ([]iampolicy.NamedPolicy, error) {
		return g.readIdentityPolicies(ctx, p)
	})
}

func (g *gateway) readIdentityPolicies(ctx context.Context, p *principal) ([]iampolicy.NamedPolicy, error) {
	var docs []namedDoc
	switch p.Kind {
	case "user":
		g.st.view(func() {
			as := g.st.account(p.Account)
			for _, name := range slices.Sorted(maps.Keys(as.UserPolicies[p.UserName])) {
				docs = append(docs, namedDoc{"user policy " + name, as.UserPolicies[p.UserName][name]})
			}
			for _, arn := range as.UserAttached[p.UserName] {
				if d, ok := as.managedDoc(arn); ok {
					docs = append(docs, namedDoc{"managed policy " + arn, d})
				}
			}
			for _, gr := range as.groupsOf(p.UserName) {
				for _, name := range slices.Sorted(maps.Keys(gr.Policies)) {
					docs = append(docs, namedDoc{"group " + gr.Name + " policy " + name, gr.Policies[name]})
				}
				for _, arn := range gr.Attached {
					if d, ok := as.managedDoc(arn); ok {
						docs = append(docs, namedDoc{"group " + gr.Name + " managed policy " + arn, d})
					}
				}
			}
		})
	case "session":
		b := g.sb.accounts[p.Account]
		if b == nil {
			return nil, fmt.Errorf("no account %s", p.Account)
		}
		role, err := g.rolePolicies(ctx, b, p.RoleName)
		if err != nil {
			return nil, err
		}
		docs = role
	}
	var out []iampolicy.NamedPolicy
	for _, d := range docs {
		pol, err := iampolicy.ParseEncoded(d.doc, iampolicy.Identity)
		if err != nil {
			// A policy IAM accepted but the engine cannot read grants
			// nothing; say so rather than guess.
			continue
		}
		out = append(out, iampolicy.NamedPolicy{Name: d.name, Policy: pol})
	}
	return out, nil
}

type namedDoc struct{ name, doc string }

// rolePolicies returns a role's inline and attached policies, read from
// kumo once per IAM generation of its account: every session's
// authorization and every GetAccountAuthorizationDetails page needs them.
func (g *gateway) rolePolicies(ctx context.Context, b *backend, role string) ([]namedDoc, error) {
	return iamCached(g.cache, g.cache.roles, b.id, b.id+"|"+role, func() ([]namedDoc, error) {
		return g.readRolePolicies(ctx, b, role)
	})
}

func (g *gateway) readRolePolicies(ctx context.Context, b *backend, role string) ([]namedDoc, error) {
	var docs []namedDoc
	names, err := b.iam.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String(role)})
	if err != nil {
		if awserr.Is(err, "NoSuchEntity") {
			return nil, nil
		}
		return nil, fmt.Errorf("list role policies of %s: %w", role, err)
	}
	sort.Strings(names.PolicyNames)
	for _, n := range names.PolicyNames {
		out, err := b.iam.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(n)})
		if err != nil {
			return nil, fmt.Errorf("get role policy %s of %s: %w", n, role, err)
		}
		docs = append(docs, namedDoc{"role policy " + n, aws.ToString(out.PolicyDocument)})
	}
	att, err := b.iam.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role)})
	if err != nil && !awserr.Is(err, "NoSuchEntity") {
		// Never a partial answer: the caller caches it (a request whose
		// client went away mid-way cancels this call, and the role's
		// sessions were then denied everything its attached policies
		// allow until the next IAM write).
		return nil, fmt.Errorf("list attached policies of %s: %w", role, err)
	}
	if err == nil {
		arns := make([]string, 0, len(att.AttachedPolicies))
		for _, ap := range att.AttachedPolicies {
			arns = append(arns, realIAMARN(b.id, aws.ToString(ap.PolicyArn)))
		}
		// kumo keeps the customer policies attached to the role, the
		// gateway the AWS-managed ones.
		g.st.view(func() { arns = append(arns, g.st.account(b.id).RoleAttached[role]...) })
		for _, arn := range arns {
			var doc string
			var ok bool
			g.st.view(func() { doc, ok = g.st.account(b.id).managedDoc(arn) })
			if ok {
				docs = append(docs, namedDoc{"managed policy " + arn, doc})
			}
		}
	}
	return docs, nil
}

// adminPolicy is AdministratorAccess.
const adminPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

// bucketPolicy returns the bucket's policy, nil when it has none.
func (g *gateway) bucketPolicy(ctx context.Context, bucket string, b *backend) (*iampolicy.NamedPolicy, error) {
	g.cache.mu.Lock()
	if g.cache.hasBP[bucket] {
		np := g.cache.buckets[bucket]
		g.cache.mu.Unlock()
		return np, nil
	}
	gen := g.cache.bgen[bucket]
	g.cache.mu.Unlock()
	out, err := b.s3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
	var np *iampolicy.NamedPolicy
	switch {
	case err == nil:
		pol, perr := iampolicy.Parse([]byte(aws.ToString(out.Policy)), iampolicy.Resource)
		if perr != nil {
			return nil, fmt.Errorf("bucket policy of %s: %w", bucket, perr)
		}
		np = &iampolicy.NamedPolicy{Name: "bucket policy", Policy: pol}
	case awserr.Is(err, "NoSuchBucketPolicy"), awserr.Is(err, "NoSuchBucket"):
	default:
		return nil, fmt.Errorf("read bucket policy of %s: %w", bucket, err)
	}
	g.cache.storeBucket(bucket, gen, func() {
		g.cache.buckets[bucket] = np
		g.cache.hasBP[bucket] = true
	})
	return np, nil
}
