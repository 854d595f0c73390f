package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestAttackVersionSubresources: a request on a version's tags or ACL
// (?tagging&versionId=, ?acl&versionId=) is authorized as the Version
// action AWS checks, so a Deny on s3:GetObjectVersionTagging or
// s3:PutObjectVersionTagging holds although s3:*ObjectTagging is allowed
// (the authorization table found it authorized as the plain action).
func TestAttackVersionSubresources(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	prod := orgAdmin(t, prodID)
	bucket := uniq(t, "vtag")
	must(prod.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}))(t)
	must(prod.s3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}))(t)
	put := must(prod.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: strings.NewReader("x"),
		Tagging: aws.String("class=secret")}))(t)
	policy := `{"Version":"2012-10-17","Statement":[` +
		`{"Effect":"Allow","Action":["s3:GetObjectTagging","s3:PutObjectTagging","s3:GetObjectVersionTagging","s3:PutObjectVersionTagging"],"Resource":"arn:aws:s3:::` + bucket + `/*"},` +
		`{"Effect":"Deny","Action":["s3:GetObjectVersionTagging","s3:PutObjectVersionTagging"],"Resource":"arn:aws:s3:::` + bucket + `/*"}]}`
	sess, _ := sessionWith(t, prodID, policy)
	// The plain actions are allowed.
	must(sess.s3.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("k")}))(t)
	// On a version: denied, read and write.
	_, err := sess.s3.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("k"), VersionId: put.VersionId})
	wantCode(t, err, "AccessDenied")
	_, err = sess.s3.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("k"), VersionId: put.VersionId,
		Tagging: &s3types.Tagging{TagSet: []s3types.Tag{{Key: aws.String("class"), Value: aws.String("public")}}}})
	wantCode(t, err, "AccessDenied")
	tags := must(prod.s3.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("k"), VersionId: put.VersionId}))(t)
	if len(tags.TagSet) != 1 || aws.ToString(tags.TagSet[0].Value) != "secret" {
		t.Errorf("the version's tags are %+v after a refused write", tags.TagSet)
	}
}
