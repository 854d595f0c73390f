package e2e

import (
	"context"
	"io"
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
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestAttackTagConditions is issue 22's tag class: a Deny on
// aws:ResourceTag/env=prod, on aws:RequestTag/env=prod or on
// s3:LocationConstraint must apply, or it is full access. Each request is
// sent as the SDK sends it and refused with AWS's error, without its side
// effect; the tag key matches in any case (a resource tagged ENV=prod is
// denied by a policy on env); the untagged resources stay reachable.
func TestAttackTagConditions(t *testing.T) {
	ctx := context.Background()
	prod := orgAdmin(t, prodID)
	envProd := []iamtypes.Tag{{Key: aws.String("Env"), Value: aws.String("prod")}}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + prodID + `:root"},"Action":"sts:AssumeRole"}]}`
	newRole := func(prefix string, tags []iamtypes.Tag) string {
		name := uniq(t, prefix)
		must(prod.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust), Tags: tags}))(t)
		return name
	}
	tagged := newRole("tagged", envProd)
	cased := newRole("cased", []iamtypes.Tag{{Key: aws.String("ENV"), Value: aws.String("prod")}})
	plain := newRole("plain", nil)

	bucket, plainBucket := uniq(t, "tagged-bucket"), uniq(t, "plain-bucket")
	for _, b := range []string{bucket, plainBucket} {
		must(prod.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}))(t)
		must(prod.s3.PutObject(ctx, s3Put(b, "k", "data")))(t)
	}
	must(prod.s3.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String(bucket),
		Tagging: &s3types.Tagging{TagSet: []s3types.Tag{{Key: aws.String("Env"), Value: aws.String("prod")}}}}))(t)

	logs := cloudwatchlogs.NewFromConfig(prod.cfg)
	group, plainGroup := "/tagged/"+uniq(t, "g"), "/plain/"+uniq(t, "g")
	must(logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group), Tags: map[string]string{"Env": "prod"}}))(t)
	must(logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(plainGroup)}))(t)

	lc := lambda.NewFromConfig(prod.cfg)
	exec := lambdaRoleFor(t, prod, "exec-tags")
	fn, plainFn := uniq(t, "tagged-fn"), uniq(t, "plain-fn")
	for _, f := range []string{fn, plainFn} {
		in := &lambda.CreateFunctionInput{FunctionName: aws.String(f), Runtime: lambdatypes.RuntimeProvidedal2023,
			Handler: aws.String("bootstrap"), Role: aws.String(exec), Code: &lambdatypes.FunctionCode{ZipFile: tinyZip(t)}}
		if f == fn {
			in.Tags = map[string]string{"Env": "prod"}
		}
		must(lc.CreateFunction(ctx, in))(t)
	}
	fnARN := "arn:aws:lambda:" + shared.Region + ":" + prodID + ":function:" + fn
	plainFnARN := "arn:aws:lambda:" + shared.Region + ":" + prodID + ":function:" + plainFn

	sess, _ := sessionWith(t, prodID, `{"Version":"2012-10-17","Statement":[`+
		`{"Effect":"Allow","Action":"*","Resource":"*"},`+
		`{"Effect":"Deny","Action":["iam:*","sts:AssumeRole","s3:*","logs:*","lambda:*"],"Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/env":"prod"}}},`+
		`{"Effect":"Deny","Action":["iam:*","logs:*","lambda:*"],"Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/env":"prod"}}},`+
		`{"Effect":"Deny","Action":"iam:*","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":"owner"}}},`+
		`{"Effect":"Deny","Action":"s3:CreateBucket","Resource":"*","Condition":{"StringEquals":{"s3:LocationConstraint":"eu-west-1"}}}]}`)
	slog := cloudwatchlogs.NewFromConfig(sess.cfg)
	slc := lambda.NewFromConfig(sess.cfg)

	roleTags := func(t *testing.T, name string) int {
		return len(must(prod.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)}))(t).Role.Tags)
	}
	tests := []struct {
		name       string
		do         func() error
		code       string // "" allowed
		sideEffect func(t *testing.T)
	}{
		// Resource tags.
		{"GetRole of a role tagged Env=prod", func() error {
			_, err := sess.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(tagged)})
			return err
		}, "AccessDenied", nil},
		{"GetRole of a role tagged ENV=prod", func() error {
			_, err := sess.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(cased)})
			return err
		}, "AccessDenied", nil},
		{"GetRole of an untagged role", func() error {
			_, err := sess.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(plain)})
			return err
		}, "", nil},
		{"PutRolePolicy on a tagged role", func() error {
			_, err := sess.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(tagged), PolicyName: aws.String("admin"),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)})
			return err
		}, "AccessDenied", func(t *testing.T) {
			if _, err := prod.iam.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(tagged), PolicyName: aws.String("admin")}); err == nil {
				t.Error("the policy was put")
			}
		}},
		{"AssumeRole of a tagged role", func() error {
			_, err := sess.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + prodID + ":role/" + tagged), RoleSessionName: aws.String("probe")})
			return err
		}, "AccessDenied", nil},
		{"GetObject in a tagged bucket", func() error {
			out, err := sess.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
			if err == nil {
				b, _ := io.ReadAll(out.Body)
				out.Body.Close()
				return leak(string(b), nil)
			}
			return err
		}, "AccessDenied", nil},
		{"DeleteBucketTagging of a tagged bucket", func() error {
			_, err := sess.s3.DeleteBucketTagging(ctx, &s3.DeleteBucketTaggingInput{Bucket: aws.String(bucket)})
			return err
		}, "AccessDenied", func(t *testing.T) {
			out := must(prod.s3.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(bucket)}))(t)
			if len(out.TagSet) != 1 {
				t.Errorf("the bucket's tags are now %d", len(out.TagSet))
			}
		}},
		{"GetObject in an untagged bucket", func() error {
			_, err := sess.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(plainBucket), Key: aws.String("k")})
			return err
		}, "", nil},
		{"PutRetentionPolicy on a tagged log group", func() error {
			_, err := slog.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String(group), RetentionInDays: aws.Int32(1)})
			return err
		}, "AccessDeniedException", nil},
		{"UntagResource lifting a log group's tag", func() error {
			_, err := slog.UntagResource(ctx, &cloudwatchlogs.UntagResourceInput{ResourceArn: aws.String("arn:aws:logs:" + shared.Region + ":" + prodID + ":log-group:" + group), TagKeys: []string{"Env"}})
			return err
		}, "AccessDeniedException", func(t *testing.T) {
			out := must(logs.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:logs:" + shared.Region + ":" + prodID + ":log-group:" + group)}))(t)
			if out.Tags["Env"] != "prod" {
				t.Errorf("the group's tags are now %v", out.Tags)
			}
		}},
		{"PutRetentionPolicy on an untagged log group", func() error {
			_, err := slog.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String(plainGroup), RetentionInDays: aws.Int32(1)})
			return err
		}, "", nil},
		{"GetFunction of a tagged function", func() error {
			_, err := slc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)})
			return err
		}, "AccessDeniedException", nil},
		{"UntagResource lifting a function's tag", func() error {
			_, err := slc.UntagResource(ctx, &lambda.UntagResourceInput{Resource: aws.String(fnARN), TagKeys: []string{"Env"}})
			return err
		}, "AccessDeniedException", func(t *testing.T) {
			out := must(lc.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(fnARN)}))(t)
			if out.Tags["Env"] != "prod" {
				t.Errorf("the function's tags are now %v", out.Tags)
			}
		}},
		{"GetFunction of an untagged function", func() error {
			_, err := slc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(plainFn)})
			return err
		}, "", nil},

		// Request tags.
		{"TagRole Env=prod", func() error {
			_, err := sess.iam.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String(plain), Tags: envProd})
			return err
		}, "AccessDenied", func(t *testing.T) {
			if n := roleTags(t, plain); n != 0 {
				t.Errorf("the role has %d tags", n)
			}
		}},
		{"TagRole env=prod in another case", func() error {
			_, err := sess.iam.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String(plain), Tags: []iamtypes.Tag{{Key: aws.String("eNV"), Value: aws.String("prod")}}})
			return err
		}, "AccessDenied", nil},
		{"TagRole with the key owner", func() error {
			_, err := sess.iam.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String(plain), Tags: []iamtypes.Tag{{Key: aws.String("owner"), Value: aws.String("me")}}})
			return err
		}, "AccessDenied", nil},
		{"CreateRole tagged on create", func() error {
			_, err := sess.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(plain + "-new"), AssumeRolePolicyDocument: aws.String(trust), Tags: envProd})
			return err
		}, "AccessDenied", func(t *testing.T) {
			if _, err := prod.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(plain + "-new")}); err == nil {
				t.Error("the role was made")
			}
		}},
		{"TagRole of another tag", func() error {
			_, err := sess.iam.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String(plain), Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("a")}}})
			return err
		}, "", nil},
		{"CreateLogGroup tagged on create", func() error {
			_, err := slog.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(plainGroup + "-new"), Tags: map[string]string{"ENV": "prod"}})
			return err
		}, "AccessDeniedException", nil},
		{"TagResource of a log group Env=prod", func() error {
			_, err := slog.TagResource(ctx, &cloudwatchlogs.TagResourceInput{ResourceArn: aws.String("arn:aws:logs:" + shared.Region + ":" + prodID + ":log-group:" + plainGroup),
				Tags: map[string]string{"Env": "prod"}})
			return err
		}, "AccessDeniedException", nil},
		{"TagResource of a function Env=prod", func() error {
			_, err := slc.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(plainFnARN), Tags: map[string]string{"Env": "prod"}})
			return err
		}, "AccessDeniedException", func(t *testing.T) {
			out := must(lc.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(plainFnARN)}))(t)
			if len(out.Tags) != 0 {
				t.Errorf("the function's tags are now %v", out.Tags)
			}
		}},

		// The body of CreateBucket.
		{"CreateBucket in eu-west-1", func() error {
			_, err := sess.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket + "-eu"),
				CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraintEuWest1}})
			return err
		}, "AccessDenied", func(t *testing.T) {
			if _, err := prod.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket + "-eu")}); err == nil {
				t.Error("the bucket was made")
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do()
			if tc.code == "" {
				must(0, err)(t)
				return
			}
			wantCode(t, err, tc.code)
			if !strings.Contains(err.Error(), "explicit deny") {
				t.Errorf("the refusal does not say why: %v", err)
			}
			if tc.sideEffect != nil {
				tc.sideEffect(t)
			}
		})
	}
}
