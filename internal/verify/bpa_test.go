package verify

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	s3ctypes "github.com/aws/aws-sdk-go-v2/service/s3control/types"
	"github.com/aws/smithy-go"
)

// fakeBucketBPA answers GetPublicAccessBlock with conf or err.
type fakeBucketBPA struct {
	BucketPublicAccessAPI
	conf *s3types.PublicAccessBlockConfiguration
	err  error
}

func (f fakeBucketBPA) GetPublicAccessBlock(context.Context, *s3.GetPublicAccessBlockInput, ...func(*s3.Options)) (*s3.GetPublicAccessBlockOutput, error) {
	return &s3.GetPublicAccessBlockOutput{PublicAccessBlockConfiguration: f.conf}, f.err
}

type fakeAccountBPA struct {
	AccountPublicAccessAPI
	conf *s3ctypes.PublicAccessBlockConfiguration
	err  error
}

func (f fakeAccountBPA) GetPublicAccessBlock(_ context.Context, _ *s3control.GetPublicAccessBlockInput, _ ...func(*s3control.Options)) (*s3control.GetPublicAccessBlockOutput, error) {
	return &s3control.GetPublicAccessBlockOutput{PublicAccessBlockConfiguration: f.conf}, f.err
}

var (
	_ BucketPublicAccessAPI  = fakeBucketBPA{}
	_ AccountPublicAccessAPI = fakeAccountBPA{}
)

func apiError(code string) error { return &smithy.GenericAPIError{Code: code, Message: code} }

func TestReadPublicAccess(t *testing.T) {
	t.Parallel()
	all := &PublicAccessBlock{true, true, true, true}
	for _, c := range []struct {
		name    string
		bucket  fakeBucketBPA
		account fakeAccountBPA
		want    BucketPublicAccess
		wantErr string
	}{
		// All four on at bucket level: the account's cannot add anything,
		// and is not read (its fake would refuse).
		{"bucket all on", fakeBucketBPA{conf: &s3types.PublicAccessBlockConfiguration{BlockPublicAcls: aws.Bool(true), IgnorePublicAcls: aws.Bool(true), BlockPublicPolicy: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true)}},
			fakeAccountBPA{err: apiError("AccessDenied")},
			BucketPublicAccess{Account: "222222222222", Bucket: all}, ""},
		{"bucket leaves one off: both levels", fakeBucketBPA{conf: &s3types.PublicAccessBlockConfiguration{BlockPublicAcls: aws.Bool(true), IgnorePublicAcls: aws.Bool(true), BlockPublicPolicy: aws.Bool(false), RestrictPublicBuckets: aws.Bool(true)}},
			fakeAccountBPA{conf: &s3ctypes.PublicAccessBlockConfiguration{BlockPublicPolicy: aws.Bool(true)}},
			BucketPublicAccess{Account: "222222222222", Bucket: &PublicAccessBlock{true, true, false, true}, AccountLevel: &PublicAccessBlock{BlockPublicPolicy: true}}, ""},
		{"neither", fakeBucketBPA{err: apiError("NoSuchPublicAccessBlockConfiguration")}, fakeAccountBPA{err: apiError("NoSuchPublicAccessBlockConfiguration")},
			BucketPublicAccess{Account: "222222222222"}, ""},
		{"no bucket", fakeBucketBPA{err: apiError("NoSuchBucket")}, fakeAccountBPA{},
			BucketPublicAccess{Account: "222222222222", Missing: true}, ""},
		{"bucket refused", fakeBucketBPA{err: apiError("AccessDenied")}, fakeAccountBPA{}, BucketPublicAccess{}, "bucket b: api error AccessDenied"},
		{"account refused", fakeBucketBPA{}, fakeAccountBPA{err: apiError("AccessDenied")}, BucketPublicAccess{}, "account 222222222222: api error AccessDenied"},
	} {
		got, err := ReadPublicAccess(context.Background(), "b", "222222222222", c.bucket, c.account)
		switch {
		case c.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s: error %v, want one with %q", c.name, err, c.wantErr)
			}
		case err != nil:
			t.Errorf("%s: %v", c.name, err)
		case got.Account != c.want.Account || got.Missing != c.want.Missing || !samePAB(got.Bucket, c.want.Bucket) || !samePAB(got.AccountLevel, c.want.AccountLevel):
			t.Errorf("%s: got %+v (bucket %v, account %v), want %+v", c.name, got, got.Bucket, got.AccountLevel, c.want)
		}
	}
}

func samePAB(a, b *PublicAccessBlock) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

func TestCheckPublicAccess(t *testing.T) {
	t.Parallel()
	const (
		tlsOnly = `{"Version":"2012-10-17","Statement":[{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`
		public  = `{"Version":"2012-10-17","Statement":[{"Sid":"Anyone","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`
		org     = `{"Version":"2012-10-17","Statement":[{"Sid":"Org","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-1"}}}]}`
	)
	all := &PublicAccessBlock{true, true, true, true}
	noRestrict := &PublicAccessBlock{true, true, true, false}
	for _, c := range []struct {
		name     string
		policy   string
		pa       BucketPublicAccess
		findings []string // substrings, one per finding
		blocked  []string
	}{
		{"the stack's own: all on, TLS deny", tlsOnly, BucketPublicAccess{Account: "2", Bucket: all}, nil, nil},
		{"public grant, blocked", public, BucketPublicAccess{Account: "2", Bucket: all}, nil, []string{"statement Anyone grants s3:GetObject to anyone (public access): blocked by Block Public Access"}},
		{"RestrictPublicBuckets off, account covers it", public, BucketPublicAccess{Account: "2", Bucket: noRestrict, AccountLevel: &PublicAccessBlock{RestrictPublicBuckets: true}},
			nil, []string{"blocked by Block Public Access"}},
		{"RestrictPublicBuckets off, public grant", public, BucketPublicAccess{Account: "2", Bucket: noRestrict},
			[]string{"Block Public Access is off (RestrictPublicBuckets false", "statement Anyone grants s3:GetObject to anyone (public access): not blocked"}, nil},
		{"no settings, org-limited grant", org, BucketPublicAccess{Account: "2"},
			[]string{"off (BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets false at bucket level, and account 2's"}, nil},
		{"bucket not there", public, BucketPublicAccess{Account: "2", Missing: true}, nil, nil},
	} {
		inv := &Inventory{BucketPolicies: map[string]string{"b": c.policy}, PublicAccess: map[string]BucketPublicAccess{"b": c.pa}}
		r := CheckPublicAccess(inv)
		check := func(what string, got, want []string) {
			if len(got) != len(want) || !slices.EqualFunc(got, want, func(g, w string) bool { return strings.Contains(g, w) }) {
				t.Errorf("%s: %s = %q, want %d containing %q", c.name, what, got, len(want), want)
			}
		}
		check("findings", r.Findings, c.findings)
		check("blocked", r.Blocked, c.blocked)
	}
}
