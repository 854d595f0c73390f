package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestAttackTagOnCreate is issue 22's additional authorizations beyond
// iam:PassRole: a caller denied the tag action of a resource (iam:TagRole
// and the other IAM tag actions, logs:TagResource with logs:TagLogGroup,
// lambda:TagResource, s3:TagResource, s3:PutObjectTagging) must not tag it
// by creating it with tags, nor set an object's ACL or a bucket's Object
// Ownership it may not set (s3:PutObjectAcl, s3:PutBucketOwnershipControls).
// Each request is sent as the SDK sends it and refused with AWS's error
// naming the additional action, and nothing is created; the same requests
// without the parameter go through.
func TestAttackTagOnCreate(t *testing.T) {
	ctx := context.Background()
	prod := orgAdmin(t, prodID)
	bucket := uniq(t, "tagcreate")
	must(prod.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}))(t)
	must(prod.s3.PutObject(ctx, s3Put(bucket, "src", "data")))(t)
	exec := lambdaRoleFor(t, prod, "exec-tagcreate")
	logs := cloudwatchlogs.NewFromConfig(prod.cfg)
	lc := lambda.NewFromConfig(prod.cfg)

	sess, _ := sessionWith(t, prodID, `{"Version":"2012-10-17","Statement":[`+
		`{"Effect":"Allow","Action":"*","Resource":"*"},`+
		`{"Effect":"Deny","Action":["iam:TagRole","iam:TagUser","iam:TagPolicy","iam:TagInstanceProfile","logs:TagResource","logs:TagLogGroup",`+
		`"lambda:TagResource","s3:TagResource","s3:PutObjectTagging","s3:PutObjectAcl","s3:PutBucketOwnershipControls"],"Resource":"*"}]}`)
	slog := cloudwatchlogs.NewFromConfig(sess.cfg)
	slc := lambda.NewFromConfig(sess.cfg)

	tags := []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("a")}}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + prodID + `:root"},"Action":"sts:AssumeRole"}]}`
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	role, user, pol, profile := uniq(t, "tr"), uniq(t, "tu"), uniq(t, "tp"), uniq(t, "ti")
	group := "/tagcreate/" + uniq(t, "g")
	fn := uniq(t, "tf")
	newBucket, ownedBucket := uniq(t, "tagged-new"), uniq(t, "owned-new")
	fnInput := func(name string, tags map[string]string) *lambda.CreateFunctionInput {
		return &lambda.CreateFunctionInput{FunctionName: aws.String(name), Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
			Role: aws.String(exec), Code: &lambdatypes.FunctionCode{ZipFile: tinyZip(t)}, Tags: tags}
	}
	absent := func(what string, err error) func(t *testing.T) {
		return func(t *testing.T) {
			if err == nil {
				t.Errorf("%s was made", what)
			}
		}
	}
	objectAbsent := func(key string) func(t *testing.T) {
		return func(t *testing.T) {
			_, err := prod.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
			absent("the object "+key, err)(t)
		}
	}
	tests := []struct {
		name       string
		do         func() error
		code, want string // want: the additional action the refusal names; "" allowed
		sideEffect func(t *testing.T)
	}{
		{"CreateRole with Tags", func() error {
			_, err := sess.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(trust), Tags: tags})
			return err
		}, "AccessDenied", "iam:TagRole", func(t *testing.T) {
			_, err := prod.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role)})
			absent("the role", err)(t)
		}},
		{"CreateUser with Tags", func() error {
			_, err := sess.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user), Tags: tags})
			return err
		}, "AccessDenied", "iam:TagUser", func(t *testing.T) {
			_, err := prod.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(user)})
			absent("the user", err)(t)
		}},
		{"CreatePolicy with Tags", func() error {
			_, err := sess.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(pol), PolicyDocument: aws.String(doc), Tags: tags})
			return err
		}, "AccessDenied", "iam:TagPolicy", func(t *testing.T) {
			_, err := prod.iam.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::" + prodID + ":policy/" + pol)})
			absent("the policy", err)(t)
		}},
		{"CreateInstanceProfile with Tags", func() error {
			_, err := sess.iam.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String(profile), Tags: tags})
			return err
		}, "AccessDenied", "iam:TagInstanceProfile", func(t *testing.T) {
			_, err := prod.iam.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(profile)})
			absent("the instance profile", err)(t)
		}},
		{"CreateLogGroup with tags", func() error {
			_, err := slog.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group), Tags: map[string]string{"team": "a"}})
			return err
		}, "AccessDeniedException", "logs:TagResource", func(t *testing.T) {
			out := must(logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(group)}))(t)
			if len(out.LogGroups) != 0 {
				t.Error("the log group was made")
			}
		}},
		{"CreateFunction with Tags", func() error {
			_, err := slc.CreateFunction(ctx, fnInput(fn, map[string]string{"team": "a"}))
			return err
		}, "AccessDeniedException", "lambda:TagResource", func(t *testing.T) {
			_, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)})
			absent("the function", err)(t)
		}},
		{"CreateBucket with Tags", func() error {
			_, err := sess.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(newBucket),
				CreateBucketConfiguration: &s3types.CreateBucketConfiguration{Tags: []s3types.Tag{{Key: aws.String("team"), Value: aws.String("a")}}}})
			return err
		}, "AccessDenied", "s3:TagResource", func(t *testing.T) {
			_, err := prod.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(newBucket)})
			absent("the bucket", err)(t)
		}},
		{"CreateBucket with Object Ownership", func() error {
			_, err := sess.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(ownedBucket), ObjectOwnership: s3types.ObjectOwnershipBucketOwnerEnforced})
			return err
		}, "AccessDenied", "s3:PutBucketOwnershipControls", func(t *testing.T) {
			_, err := prod.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(ownedBucket)})
			absent("the bucket", err)(t)
		}},
		{"PutObject with x-amz-tagging", func() error {
			in := s3Put(bucket, "tagged", "data")
			in.Tagging = aws.String("team=a")
			_, err := sess.s3.PutObject(ctx, in)
			return err
		}, "AccessDenied", "s3:PutObjectTagging", objectAbsent("tagged")},
		{"PutObject with an ACL", func() error {
			in := s3Put(bucket, "acl", "data")
			in.ACL = s3types.ObjectCannedACLPublicRead
			_, err := sess.s3.PutObject(ctx, in)
			return err
		}, "AccessDenied", "s3:PutObjectAcl", objectAbsent("acl")},
		{"CreateMultipartUpload with x-amz-tagging", func() error {
			_, err := sess.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("mpu"), Tagging: aws.String("team=a")})
			return err
		}, "AccessDenied", "s3:PutObjectTagging", func(t *testing.T) {
			out := must(prod.s3.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)}))(t)
			if len(out.Uploads) != 0 {
				t.Errorf("%d uploads were started", len(out.Uploads))
			}
		}},
		{"CopyObject replacing the tags", func() error {
			_, err := sess.s3.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy"), CopySource: aws.String(bucket + "/src"),
				TaggingDirective: s3types.TaggingDirectiveReplace, Tagging: aws.String("team=a")})
			return err
		}, "AccessDenied", "s3:PutObjectTagging", objectAbsent("copy")},

		// The same requests without the parameter.
		{"CreateRole without tags", func() error {
			_, err := sess.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role + "-plain"), AssumeRolePolicyDocument: aws.String(trust)})
			return err
		}, "", "", nil},
		{"CreateLogGroup without tags", func() error {
			_, err := slog.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group + "-plain")})
			return err
		}, "", "", nil},
		{"CreateFunction without tags", func() error {
			_, err := slc.CreateFunction(ctx, fnInput(fn+"-plain", nil))
			return err
		}, "", "", nil},
		{"PutObject giving the bucket owner full control (s3:PutObject alone, as every log delivery)", func() error {
			in := s3Put(bucket, "owner-acl", "data")
			in.ACL = s3types.ObjectCannedACLBucketOwnerFullControl
			_, err := sess.s3.PutObject(ctx, in)
			return err
		}, "", "", nil},
		{"PutObject without tags", func() error {
			_, err := sess.s3.PutObject(ctx, s3Put(bucket, "plain", "data"))
			return err
		}, "", "", nil},
		{"CopyObject keeping the source's tags", func() error {
			_, err := sess.s3.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy-plain"), CopySource: aws.String(bucket + "/src")})
			return err
		}, "", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do()
			if tc.code == "" {
				must(0, err)(t)
				return
			}
			wantCode(t, err, tc.code)
			if !strings.Contains(err.Error(), "perform: "+tc.want+" on resource") || !strings.Contains(err.Error(), "explicit deny") {
				t.Errorf("the refusal does not name %s and why: %v", tc.want, err)
			}
			if tc.sideEffect != nil {
				tc.sideEffect(t)
			}
		})
	}
}
