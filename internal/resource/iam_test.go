package resource_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/xacct/xacct/internal/iampolicy"
	"github.com/xacct/xacct/internal/resource"
	"github.com/xacct/xacct/internal/resource/resourcetest"
	"github.com/xacct/xacct/policies"
)

func TestGroupPathCannotChange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, f := resourcetest.New(devAccount, region)
	k := kindOf(t, "iam_group")
	before := value(t, resource.GroupValue{Name: groupName, Path: "/"})
	if err := k.Create(ctx, c, groupName, before); err != nil {
		t.Fatal(err)
	}
	n := len(f.Calls())
	err := k.Update(ctx, c, groupName, before, value(t, resource.GroupValue{Name: groupName, Path: "/teams/"}))
	if err == nil || !strings.Contains(err.Error(), groupName) {
		t.Fatalf("Update = %v, want an error naming the group", err)
	}
	wantOps(t, "Update", opsSince(f, n), nil)
	wantValue(t, c, "iam_group", groupName, before)
}

// TestRoleUpdate changes one thing about a role at a time: each takes its
// own call and no other, and the role reads back as changed.
func TestRoleUpdate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		change  func(*resource.RoleValue)
		wantOps []string
		wantErr bool
	}{
		{name: "tag value", change: func(r *resource.RoleValue) { r.Tags = withTags(r.Tags, map[string]string{"team": "platform"}) }, wantOps: []string{"TagRole"}},
		{name: "tag added", change: func(r *resource.RoleValue) { r.Tags = withTags(r.Tags, map[string]string{"cost-center": "42"}) }, wantOps: []string{"TagRole"}},
		{name: "tag removed", change: func(r *resource.RoleValue) { r.Tags = withTags(r.Tags, nil, "team") }, wantOps: []string{"UntagRole"}},
		{name: "trust policy", change: func(r *resource.RoleValue) {
			r.Trust = render(t, "group-role-trust.json.tmpl", policies.GroupRoleTrust{DevelopmentAccount: devAccount, RequireMFA: true})
		}, wantOps: []string{"UpdateAssumeRolePolicy"}},
		{name: "description", change: func(r *resource.RoleValue) { r.Description = "Assumed by developers" }, wantOps: []string{"UpdateRole"}},
		{name: "maximum session", change: func(r *resource.RoleValue) { r.MaxSessionDuration = 7200 }, wantOps: []string{"UpdateRole"}},
		{name: "path", change: func(r *resource.RoleValue) { r.Path = "/xacct/" }, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			c, f := resourcetest.New(prodAccount, region)
			k := kindOf(t, "iam_role")
			r := roleValue(t)
			before := value(t, r)
			if err := k.Create(ctx, c, roleName, before); err != nil {
				t.Fatal(err)
			}
			tt.change(&r)
			after := value(t, r)
			n := len(f.Calls())
			err := k.Update(ctx, c, roleName, before, after)
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), roleName) {
					t.Fatalf("Update = %v, want an error naming the role", err)
				}
				wantOps(t, "Update", opsSince(f, n), nil)
				wantValue(t, c, "iam_role", roleName, before)
				return
			}
			if err != nil {
				t.Fatalf("Update: %v", err)
			}
			wantOps(t, "Update", opsSince(f, n), tt.wantOps)
			wantValue(t, c, "iam_role", roleName, after)
		})
	}
}

// TestPoliciesReadCanonical writes each kind's policy the way a person (or
// the console) might, differently from the canonical form, and wants Read
// to give the canonical value stack builds, so that no diff appears.
func TestPoliciesReadCanonical(t *testing.T) {
	t.Parallel()
	// The same identity policy as group-role-permissions renders, with
	// single strings, other orders and whitespace.
	identity := fmt.Sprintf(`{"Statement": [
	  {"Effect": "Allow", "Resource": "arn:aws:s3:::%[1]s", "Action": "s3:ListBucket", "Sid": "BucketAccess"},
	  {"Sid": "ObjectAccess", "Action": ["s3:PutObject", "s3:GetObject"], "Resource": "arn:aws:s3:::%[1]s/*", "Effect": "Allow"}],
	  "Version": "2012-10-17"}`, bucketName)
	trust := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole",
	  "Condition":{"StringEquals":{"aws:SourceAccount":"` + prodAccount + `"}}}}`
	bucketPolicy := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Sid":"DenyInsecureTransport","Principal":{"AWS":"*"},"Action":"s3:*",
	  "Resource":["arn:aws:s3:::` + bucketName + `/*","arn:aws:s3:::` + bucketName + `"],"Condition":{"Bool":{"aws:SecureTransport":false}}}]}`
	canonical := func(doc string, kind iampolicy.Kind) []byte {
		return resource.PolicyValue(iampolicy.MustParse(doc, kind))
	}

	tests := []struct {
		name, kind, res string
		write           func(context.Context, *resource.Clients) error
		want            any
	}{
		{
			name: "group inline policy", kind: "iam_group_policy", res: groupName + "/objects",
			write: func(ctx context.Context, c *resource.Clients) error {
				if _, err := c.IAM.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(groupName)}); err != nil {
					return err
				}
				_, err := c.IAM.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String(groupName), PolicyName: aws.String("objects"), PolicyDocument: aws.String(identity)})
				return err
			},
			want: resource.InlinePolicyValue{Parent: groupName, Name: "objects", Policy: canonical(identity, iampolicy.Identity)},
		},
		{
			name: "role inline policy", kind: "iam_role_policy", res: roleName + "/s3-access",
			write: func(ctx context.Context, c *resource.Clients) error {
				if _, err := c.IAM.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(roleName), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
					return err
				}
				_, err := c.IAM.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(roleName), PolicyName: aws.String("s3-access"), PolicyDocument: aws.String(identity)})
				return err
			},
			want: resource.InlinePolicyValue{Parent: roleName, Name: "s3-access",
				Policy: render(t, "group-role-permissions.json.tmpl", policies.GroupRolePermissions{Bucket: bucketName, ObjectActions: []string{"s3:GetObject", "s3:PutObject"}, BucketActions: []string{"s3:ListBucket"}})},
		},
		{
			name: "role trust policy", kind: "iam_role", res: roleName,
			write: func(ctx context.Context, c *resource.Clients) error {
				_, err := c.IAM.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(roleName), AssumeRolePolicyDocument: aws.String(trust)})
				return err
			},
			want: resource.RoleValue{Name: roleName, Path: "/", MaxSessionDuration: 3600, Trust: canonical(trust, iampolicy.Trust), Tags: map[string]string{}},
		},
		{
			name: "bucket policy", kind: "s3_bucket_policy", res: bucketName,
			write: func(ctx context.Context, c *resource.Clients) error {
				if _, err := c.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucketName), CreateBucketConfiguration: locationIn(region)}); err != nil {
					return err
				}
				_, err := c.S3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucketName), Policy: aws.String(bucketPolicy)})
				return err
			},
			want: resource.BucketPolicyValue{Bucket: bucketName, Policy: render(t, "tls-only-bucket.json.tmpl", policies.Bucket{Bucket: bucketName})},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := resourcetest.New(prodAccount, region)
			if err := tt.write(context.Background(), c); err != nil {
				t.Fatal(err)
			}
			wantValue(t, c, tt.kind, tt.res, value(t, tt.want))
		})
	}
}

// TestMembershipOfLargeGroup reads a membership that IAM lists on the
// second page of the group's members.
func TestMembershipOfLargeGroup(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, f := resourcetest.New(devAccount, region)
	if err := kindOf(t, "iam_group").Create(ctx, c, groupName, value(t, resource.GroupValue{Name: groupName, Path: "/"})); err != nil {
		t.Fatal(err)
	}
	k := kindOf(t, "iam_group_membership")
	for i := range 150 {
		user := fmt.Sprintf("user%03d", i)
		f.AddUser(user)
		if err := k.Create(ctx, c, groupName+"/"+user, nil); err != nil {
			t.Fatal(err)
		}
	}
	wantValue(t, c, "iam_group_membership", groupName+"/user149", value(t, resource.MembershipValue{Group: groupName, User: "user149"}))
}
