package e2e

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

// TestSessionTagsArePrincipalTags: the tags of a role session — session
// tags, the role's own tags, transitive tags along a role chain — are its
// aws:PrincipalTag/… in every later request, as AWS STS documents them.
func TestSessionTagsArePrincipalTags(t *testing.T) {
	ctx := context.Background()
	prod := orgAdmin(t, prodID)
	bucket := uniq(t, "tagged")
	must(prod.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}))(t)
	must(prod.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: nil}))(t)

	// Reading is allowed only to principals tagged team=data.
	readIfData := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + bucket +
		`/*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"data"}}}]}`
	trusting := func(principal string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + principal + `"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`
	}
	mgmtRoot := "arn:aws:iam::" + shared.ManagementAccount + ":root"
	newRole := func(prefix, trust, policy string, tags ...iamtypes.Tag) string {
		t.Helper()
		name := uniq(t, prefix)
		must(prod.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust), Tags: tags}))(t)
		must(prod.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("p"), PolicyDocument: aws.String(policy)}))(t)
		return "arn:aws:iam::" + prodID + ":role/" + name
	}
	tag := func(k, v string) ststypes.Tag { return ststypes.Tag{Key: aws.String(k), Value: aws.String(v)} }
	assume := func(c *client, in *sts.AssumeRoleInput) (*client, error) {
		t.Helper()
		in.RoleSessionName = aws.String("tags")
		out, err := c.sts.AssumeRole(ctx, in)
		if err != nil {
			return nil, err
		}
		cr := out.Credentials
		return newClient(t, c.sb, c.sb.URL, aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken)), nil
	}
	read := func(c *client) error {
		_, err := c.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
		return err
	}
	wantRead := func(what string, c *client, allowed bool) {
		t.Helper()
		err := read(c)
		if allowed && err != nil {
			t.Errorf("%s: GetObject: %v", what, err)
		}
		if !allowed && errorCode(err) != "AccessDenied" {
			t.Errorf("%s: GetObject error %v, want AccessDenied", what, err)
		}
	}

	reader := newRole("tags-reader", trusting(mgmtRoot), readIfData)
	wantRead("session tagged team=data", must(assume(admin(t), &sts.AssumeRoleInput{RoleArn: aws.String(reader), Tags: []ststypes.Tag{tag("team", "data")}}))(t), true)
	wantRead("session tagged Team=data (keys compare without case)", must(assume(admin(t), &sts.AssumeRoleInput{RoleArn: aws.String(reader), Tags: []ststypes.Tag{tag("Team", "data")}}))(t), true)
	wantRead("session without tags", must(assume(admin(t), &sts.AssumeRoleInput{RoleArn: aws.String(reader)}))(t), false)
	wantRead("session tagged team=ops", must(assume(admin(t), &sts.AssumeRoleInput{RoleArn: aws.String(reader), Tags: []ststypes.Tag{tag("team", "ops")}}))(t), false)

	// The role's own tags are principal tags of its sessions; a session tag
	// of the same key overrides them.
	tagged := newRole("tags-tagged", trusting(mgmtRoot), readIfData, iamtypes.Tag{Key: aws.String("team"), Value: aws.String("data")})
	wantRead("role tagged team=data", must(assume(admin(t), &sts.AssumeRoleInput{RoleArn: aws.String(tagged)}))(t), true)
	wantRead("role tagged team=data, session tagged team=ops", must(assume(admin(t), &sts.AssumeRoleInput{RoleArn: aws.String(tagged), Tags: []ststypes.Tag{tag("team", "ops")}}))(t), false)

	// Role chaining: a transitive tag of the first session is a principal
	// tag of the next and cannot be overridden there; a tag that is not
	// transitive stays behind.
	// The second role may assume itself again, to make a longer chain.
	second := newRole("tags-second", trusting("arn:aws:iam::"+prodID+":root"), `{"Version":"2012-10-17","Statement":[`+
		`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::`+bucket+`/*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"data"}}},`+
		`{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::`+prodID+`:role/tags-second-*"}]}`)
	first := newRole("tags-first", trusting(mgmtRoot), `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession"],"Resource":"`+second+`"}]}`)
	transitive := must(assume(admin(t), &sts.AssumeRoleInput{RoleArn: aws.String(first),
		Tags: []ststypes.Tag{tag("team", "data"), tag("project", "x")}, TransitiveTagKeys: []string{"team"}}))(t)
	wantRead("chained from a session with transitive team=data", must(assume(transitive, &sts.AssumeRoleInput{RoleArn: aws.String(second)}))(t), true)
	wantRead("chained twice (transitive tags persist)",
		must(assume(must(assume(transitive, &sts.AssumeRoleInput{RoleArn: aws.String(second)}))(t), &sts.AssumeRoleInput{RoleArn: aws.String(second)}))(t), true)
	_, err := assume(transitive, &sts.AssumeRoleInput{RoleArn: aws.String(second), Tags: []ststypes.Tag{tag("team", "ops")}})
	wantCode(t, err, "InvalidParameterValue")
	notTransitive := must(assume(admin(t), &sts.AssumeRoleInput{RoleArn: aws.String(first), Tags: []ststypes.Tag{tag("team", "data")}}))(t)
	wantRead("chained from a session whose team tag is not transitive", must(assume(notTransitive, &sts.AssumeRoleInput{RoleArn: aws.String(second)}))(t), false)

	// A transitive key must name a tag of the same request.
	_, err = assume(admin(t), &sts.AssumeRoleInput{RoleArn: aws.String(first), Tags: []ststypes.Tag{tag("team", "data")}, TransitiveTagKeys: []string{"project"}})
	wantCode(t, err, "ValidationError")
}
