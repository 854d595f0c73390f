package resource_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/xacct/xacct/internal/resource"
	"github.com/xacct/xacct/internal/resource/resourcetest"
)

// TestReservedTagsAreLeftAlone: a role made by CloudFormation carries
// aws:… tags that nobody may remove; xacct neither shows them as drift
// nor tries to remove them.
func TestReservedTagsAreLeftAlone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, f := resourcetest.New(prodAccount, region)
	want := roleValue(t)
	if err := kindOf(t, "iam_role").Create(ctx, c, roleName, value(t, want)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.IAM.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String(roleName),
		Tags: []iamtypes.Tag{{Key: aws.String("aws:cloudformation:stack-name"), Value: aws.String("legacy")}}}); err != nil {
		t.Fatal(err)
	}
	wantValue(t, c, "iam_role", roleName, value(t, want))
	before := len(f.Ops())
	got, err := kindOf(t, "iam_role").Read(ctx, c, roleName)
	if err != nil {
		t.Fatal(err)
	}
	if err := kindOf(t, "iam_role").Update(ctx, c, roleName, got, value(t, want)); err != nil {
		t.Fatal(err)
	}
	for _, op := range f.Ops()[before:] {
		if op == "UntagRole" {
			t.Error("UntagRole called for a reserved tag")
		}
	}
}

// stuckS3 lists objects that its deletes do not remove.
type stuckS3 struct{ resource.S3API }

func (stuckS3) DeleteObject(context.Context, *s3.DeleteObjectInput, ...func(*s3.Options)) (*s3.DeleteObjectOutput, error) {
	return &s3.DeleteObjectOutput{}, nil
}

func TestBucketEmptyStopsWhenDeletesDoNotTake(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, f := resourcetest.New(prodAccount, region)
	if err := kindOf(t, "s3_bucket").Create(ctx, c, bucketName, value(t, bucketValue())); err != nil {
		t.Fatal(err)
	}
	if err := f.PutObject(bucketName, "a.txt"); err != nil {
		t.Fatal(err)
	}
	c.S3 = stuckS3{c.S3}
	err := kindOf(t, "s3_bucket").(resource.DataHolder).Empty(ctx, c, bucketName)
	if err == nil || !strings.Contains(err.Error(), "1 objects are still listed after they were deleted") {
		t.Fatalf("Empty = %v, want it to give up", err)
	}
}

// endlessPages says every page of members is truncated, with no marker.
type endlessPages struct {
	resource.IAMAPI
	calls int
}

func (e *endlessPages) GetGroup(context.Context, *iam.GetGroupInput, ...func(*iam.Options)) (*iam.GetGroupOutput, error) {
	e.calls++
	return &iam.GetGroupOutput{Group: &iamtypes.Group{GroupName: aws.String("Developers")}, IsTruncated: true}, nil
}

func TestMembershipReadStopsWithoutAMarker(t *testing.T) {
	t.Parallel()
	c, _ := resourcetest.New(devAccount, region)
	pages := &endlessPages{IAMAPI: c.IAM}
	c.IAM = pages
	v, err := kindOf(t, "iam_group_membership").Read(context.Background(), c, "Developers/alice")
	if err != nil || v != nil || pages.calls != 1 {
		t.Errorf("Read = %s, %v after %d calls; want absent after one", v, err, pages.calls)
	}
}
