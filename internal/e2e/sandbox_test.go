package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/xacct/xacct/internal/sandbox"
)

// adminUserName is the management administrator's user name, which the
// sandbox creates.
const adminUserName = "xacct-sandbox-admin"

func TestGetCallerIdentityIsTheTrueAccount(t *testing.T) {
	ctx := context.Background()
	out := must(admin(t).sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))(t)
	if aws.ToString(out.Account) != shared.ManagementAccount || !strings.HasSuffix(aws.ToString(out.Arn), ":user/"+adminUserName) {
		t.Errorf("admin identity = %s %s", aws.ToString(out.Account), aws.ToString(out.Arn))
	}
	prod := orgAdmin(t, prodID)
	out = must(prod.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))(t)
	want := "arn:aws:sts::" + prodID + ":assumed-role/" + sandbox.DefaultAdminRoleName + "/test-admin"
	if aws.ToString(out.Account) != prodID || aws.ToString(out.Arn) != want {
		t.Errorf("org admin identity = %s %s, want %s %s", aws.ToString(out.Account), aws.ToString(out.Arn), prodID, want)
	}
}

func TestCrossAccountAssumeRoleAndS3(t *testing.T) {
	ctx := context.Background()
	dev, prod := orgAdmin(t, devID), orgAdmin(t, prodID)
	bucket := uniq(t, "prod-data")
	role := uniq(t, "readers")
	roleARN := "arn:aws:iam::" + prodID + ":role/" + role
	group := uniq(t, "Readers")

	// Production: a role the Development account's users may assume, which
	// may only read the bucket.
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + devID + `:root"},"Action":"sts:AssumeRole",
		"Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::` + devID + `:user/*"}}}]}`
	must(prod.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(trust)}))(t)
	must(prod.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String("read"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + bucket + `/*"}]}`)}))(t)
	must(prod.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}))(t)
	must(prod.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("a.txt"), Body: strings.NewReader("hello")}))(t)

	// Development: a group whose policy allows assuming that role.
	must(dev.iam.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(group)}))(t)
	must(dev.iam.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String(group), PolicyName: aws.String("assume"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"` + roleARN + `"}]}`)}))(t)
	member := devUser(t, dev, uniq(t, "alice"), group)
	outsider := devUser(t, dev, uniq(t, "mallory"), "")

	t.Run("a group member gets credentials", func(t *testing.T) {
		sess := member.assume(t, roleARN, "alice")
		got := must(sess.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("a.txt")}))(t)
		got.Body.Close()
		t.Run("and may read but not write", func(t *testing.T) {
			_, err := sess.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("b.txt"), Body: strings.NewReader("x")})
			wantCode(t, err, "AccessDenied")
		})
	})
	t.Run("a user outside the group is denied", func(t *testing.T) {
		_, err := outsider.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("mallory")})
		wantCode(t, err, "AccessDenied")
	})
	t.Run("a trust that does not name the caller's account denies", func(t *testing.T) {
		other := uniq(t, "repo-only")
		must(prod.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(other),
			AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + repID + `:root"},"Action":"sts:AssumeRole"}]}`)}))(t)
		must(dev.iam.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String(group), PolicyName: aws.String("assume-any"),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)}))(t)
		_, err := member.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + prodID + ":role/" + other), RoleSessionName: aws.String("alice")})
		wantCode(t, err, "AccessDenied")
	})
}
