package e2e

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// TestAttackAuthzContext is issue 22's class of a resource or condition
// key the gateway got wrong, found by TestAuthzFromSDKRequests, each sent
// as the SDK sends it:
//   - an instance profile with a path is authorized on its ARN with that
//     path, so a Deny on instance-profile/team/* refuses every request on
//     it (it was authorized on path /);
//   - iam:PermissionsBoundary is the boundary the role acted on has: AWS's
//     documented guard, a Deny of DeleteRolePermissionsBoundary and
//     PutRolePolicy where it is the protected boundary, keeps the boundary
//     (the key was left out, so the boundary came off);
//   - ListMFADevices without UserName and DescribeLogGroups by
//     logGroupIdentifiers are answered (both were a 500).
func TestAttackAuthzContext(t *testing.T) {
	ctx := context.Background()
	prod := orgAdmin(t, prodID)
	profile, rootProfile := uniq(t, "ip-team"), uniq(t, "ip-root")
	must(prod.iam.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String(profile), Path: aws.String("/team/")}))(t)
	must(prod.iam.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String(rootProfile)}))(t)

	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	protected := must(prod.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(uniq(t, "protected-boundary")), PolicyDocument: aws.String(doc)}))(t)
	other := must(prod.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(uniq(t, "other-boundary")), PolicyDocument: aws.String(doc)}))(t)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + prodID + `:root"},"Action":"sts:AssumeRole"}]}`
	bounded, free := uniq(t, "bounded"), uniq(t, "bounded-other")
	must(prod.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(bounded), AssumeRolePolicyDocument: aws.String(trust), PermissionsBoundary: protected.Policy.Arn}))(t)
	must(prod.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(free), AssumeRolePolicyDocument: aws.String(trust), PermissionsBoundary: other.Policy.Arn}))(t)

	sess, _ := sessionWith(t, prodID, `{"Version":"2012-10-17","Statement":[`+
		`{"Effect":"Allow","Action":"*","Resource":"*"},`+
		`{"Effect":"Deny","Action":"iam:*","Resource":"arn:aws:iam::`+prodID+`:instance-profile/team/*"},`+
		`{"Effect":"Deny","Action":["iam:DeleteRolePermissionsBoundary","iam:PutRolePolicy"],"Resource":"*",`+
		`"Condition":{"StringEquals":{"iam:PermissionsBoundary":"`+aws.ToString(protected.Policy.Arn)+`"}}}]}`)

	refused := []struct {
		name string
		do   func() error
	}{
		{"GetInstanceProfile of instance-profile/team/", func() error {
			_, err := sess.iam.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(profile)})
			return err
		}},
		{"AddRoleToInstanceProfile of instance-profile/team/", func() error {
			_, err := sess.iam.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String(profile), RoleName: aws.String(free)})
			return err
		}},
		{"DeleteInstanceProfile of instance-profile/team/", func() error {
			_, err := sess.iam.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String(profile)})
			return err
		}},
		{"DeleteRolePermissionsBoundary of the protected boundary", func() error {
			_, err := sess.iam.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String(bounded)})
			return err
		}},
		{"PutRolePolicy on a role with the protected boundary", func() error {
			_, err := sess.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(bounded), PolicyName: aws.String("escalate"),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)})
			return err
		}},
	}
	for _, tc := range refused {
		t.Run("refused/"+tc.name, func(t *testing.T) {
			wantCode(t, tc.do(), "AccessDenied")
		})
	}
	t.Run("the boundary stays", func(t *testing.T) {
		r := must(prod.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(bounded)}))(t)
		if r.Role.PermissionsBoundary == nil || aws.ToString(r.Role.PermissionsBoundary.PermissionsBoundaryArn) != aws.ToString(protected.Policy.Arn) {
			t.Errorf("boundary %+v, want %s", r.Role.PermissionsBoundary, aws.ToString(protected.Policy.Arn))
		}
		if _, err := prod.iam.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(bounded), PolicyName: aws.String("escalate")}); err == nil {
			t.Error("the inline policy was put")
		}
	})

	allowed := []struct {
		name string
		do   func() error
	}{
		{"GetInstanceProfile at /", func() error {
			_, err := sess.iam.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(rootProfile)})
			return err
		}},
		{"DeleteRolePermissionsBoundary of another boundary", func() error {
			_, err := sess.iam.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String(free)})
			return err
		}},
		{"ListMFADevices without UserName", func() error {
			dev := orgAdmin(t, devID)
			name := uniq(t, "mfa-lister")
			u := devUser(t, dev, name, "")
			// Allowed on its own user only: the request is authorized there.
			must(dev.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("own-mfa"), PolicyDocument: aws.String(
				`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListMFADevices","Resource":"arn:aws:iam::` + devID + `:user/` + name + `"}]}`)}))(t)
			_, err := u.iam.ListMFADevices(ctx, &iam.ListMFADevicesInput{})
			return err
		}},
		{"DescribeLogGroups by logGroupIdentifiers", func() error {
			_, err := cloudwatchlogs.NewFromConfig(sess.cfg).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{
				LogGroupIdentifiers: []string{"arn:aws:logs:us-east-1:" + prodID + ":log-group:/nothing/here"}})
			return err
		}},
	}
	for _, tc := range allowed {
		t.Run("allowed/"+tc.name, func(t *testing.T) {
			if err := tc.do(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
