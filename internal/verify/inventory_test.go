package verify

import (
	"context"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// fakeDetails is one page of GetAccountAuthorizationDetails.
type fakeDetails struct {
	out *iam.GetAccountAuthorizationDetailsOutput
}

var _ AuthorizationDetailsAPI = fakeDetails{}

func (f fakeDetails) GetAccountAuthorizationDetails(context.Context, *iam.GetAccountAuthorizationDetailsInput, ...func(*iam.Options)) (*iam.GetAccountAuthorizationDetailsOutput, error) {
	return f.out, nil
}

// TestReadAccountKeepsStoredVersions: a managed policy's default version
// is the document, its other stored versions are kept beside it.
func TestReadAccountKeepsStoredVersions(t *testing.T) {
	t.Parallel()
	const arn = "arn:aws:iam::" + prodID + ":policy/reader"
	v1, v2 := allow("s3:ListAllMyBuckets", "*"), allow("s3:GetObject", "*")
	out := &iam.GetAccountAuthorizationDetailsOutput{
		UserDetailList: []iamtypes.UserDetail{{UserName: aws.String("vic"), Arn: aws.String("arn:aws:iam::" + prodID + ":user/vic"),
			AttachedManagedPolicies: []iamtypes.AttachedPolicy{{PolicyArn: aws.String(arn)}}}},
		Policies: []iamtypes.ManagedPolicyDetail{{Arn: aws.String(arn), PolicyVersionList: []iamtypes.PolicyVersion{
			{VersionId: aws.String("v2"), Document: aws.String(url.PathEscape(v2))},
			{VersionId: aws.String("v1"), Document: aws.String(url.PathEscape(v1)), IsDefaultVersion: true},
		}}},
	}
	acct, _, err := ReadAccount(context.Background(), "production", prodID, fakeDetails{out}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := acct.Users[0].Policies
	if len(p) != 1 || p[0].Document != v1 || len(p[0].Versions) != 1 || p[0].Versions[0].Name != "v2" || p[0].Versions[0].Document != v2 {
		t.Errorf("policies: %+v", p)
	}
}
