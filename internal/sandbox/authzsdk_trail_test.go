package sandbox

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

// The STS and CloudTrail cases of TestAuthzFromSDKRequests.

func stsSDKCases(c *sts.Client, acct, other string) []sdkAuthzCase {
	s := aws.String
	role, otherRole := "arn:aws:iam::"+acct+":role/team/r", "arn:aws:iam::"+other+":role/r"
	noTags := []string{"aws:RequestTag/${TagKey}", "aws:TagKeys", "sts:TransitiveTagKeys", "sts:SourceIdentity"}
	return []sdkAuthzCase{
		{action: "sts:AssumeRole", resources: []string{role}, absent: noTags,
			keys: map[string]string{"sts:RoleSessionName": "xacct-apply", "sts:ExternalId": "ext"},
			do: func(ctx context.Context) error {
				_, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: s(role), RoleSessionName: s("xacct-apply"), ExternalId: s("ext")})
				return err
			}},
		{action: "sts:AssumeRole", name: "another account's role", resources: []string{otherRole}, absent: append(noTags, "sts:ExternalId"),
			keys: map[string]string{"sts:RoleSessionName": "xacct-apply"},
			do: func(ctx context.Context) error {
				_, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: s(otherRole), RoleSessionName: s("xacct-apply")})
				return err
			}},
		{action: "sts:AssumeRole", name: "with a source identity and session tags",
			actions:   []string{"sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"},
			resources: []string{role, role, role}, absent: []string{"sts:ExternalId"},
			keys: map[string]string{"sts:RoleSessionName": "xacct-apply", "sts:SourceIdentity": "alice",
				"aws:RequestTag/Env": "prod", "aws:TagKeys": "Env", "sts:TransitiveTagKeys": "Env"},
			do: func(ctx context.Context) error {
				_, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: s(role), RoleSessionName: s("xacct-apply"), SourceIdentity: s("alice"),
					Tags: []ststypes.Tag{{Key: s("Env"), Value: s("prod")}, {Key: s("team"), Value: s("a")}}, TransitiveTagKeys: []string{"Env"}})
				return err
			}},
	}
}

func cloudTrailSDKCases(c *cloudtrail.Client, acct, other string) []sdkAuthzCase {
	s := aws.String
	trail := "arn:aws:cloudtrail:us-east-1:" + acct + ":trail/mytrail"
	tags := []cttypes.Tag{{Key: s("Env"), Value: s("prod")}}
	tagKeys := map[string]string{"aws:RequestTag/Env": "prod", "aws:TagKeys": "Env"}
	one := func(action, name, resource string, do func(ctx context.Context) error) sdkAuthzCase {
		return sdkAuthzCase{action: action, name: name, resources: []string{resource}, do: do}
	}
	return []sdkAuthzCase{
		{action: "cloudtrail:CreateTrail", resources: []string{trail}, keys: tagKeys, do: func(ctx context.Context) error {
			_, err := c.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: s("mytrail"), S3BucketName: s("b"), TagsList: tags})
			return err
		}},
		{action: "cloudtrail:CreateTrail", name: "without tags", resources: []string{trail}, absent: []string{"aws:RequestTag/${TagKey}", "aws:TagKeys"},
			do: func(ctx context.Context) error {
				_, err := c.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: s("mytrail"), S3BucketName: s("b")})
				return err
			}},
		one("cloudtrail:UpdateTrail", "", trail, func(ctx context.Context) error {
			_, err := c.UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{Name: s("mytrail"), S3KeyPrefix: s("p")})
			return err
		}),
		one("cloudtrail:UpdateTrail", "by ARN", trail, func(ctx context.Context) error {
			_, err := c.UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{Name: s(trail), S3KeyPrefix: s("p")})
			return err
		}),
		one("cloudtrail:GetTrail", "", trail, func(ctx context.Context) error {
			_, err := c.GetTrail(ctx, &cloudtrail.GetTrailInput{Name: s("mytrail")})
			return err
		}),
		one("cloudtrail:GetTrail", "by ARN", trail, func(ctx context.Context) error {
			_, err := c.GetTrail(ctx, &cloudtrail.GetTrailInput{Name: s(trail)})
			return err
		}),
		// Not the caller's: TrailNotFound, with no IAM decision on it (nor
		// on the caller's own trail of that name).
		{action: "cloudtrail:GetTrail", name: "another account's", refused: "TrailNotFoundException", do: func(ctx context.Context) error {
			_, err := c.GetTrail(ctx, &cloudtrail.GetTrailInput{Name: s("arn:aws:cloudtrail:us-east-1:" + other + ":trail/mytrail")})
			return err
		}},
		{action: "cloudtrail:ListTags", name: "another account's", refused: "ResourceNotFoundException", do: func(ctx context.Context) error {
			_, err := c.ListTags(ctx, &cloudtrail.ListTagsInput{ResourceIdList: []string{trail, "arn:aws:cloudtrail:us-east-1:" + other + ":trail/mytrail"}})
			return err
		}},
		one("cloudtrail:GetTrail", "another region's", "arn:aws:cloudtrail:eu-west-1:"+acct+":trail/mytrail", func(ctx context.Context) error {
			_, err := c.GetTrail(ctx, &cloudtrail.GetTrailInput{Name: s("arn:aws:cloudtrail:eu-west-1:" + acct + ":trail/mytrail")})
			return err
		}),
		one("cloudtrail:DescribeTrails", "", "*", func(ctx context.Context) error {
			_, err := c.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{TrailNameList: []string{"mytrail", trail}})
			return err
		}),
		one("cloudtrail:ListTrails", "", "*", func(ctx context.Context) error {
			_, err := c.ListTrails(ctx, &cloudtrail.ListTrailsInput{})
			return err
		}),
		one("cloudtrail:DeleteTrail", "", trail, func(ctx context.Context) error {
			_, err := c.DeleteTrail(ctx, &cloudtrail.DeleteTrailInput{Name: s("mytrail")})
			return err
		}),
		one("cloudtrail:StartLogging", "", trail, func(ctx context.Context) error {
			_, err := c.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: s("mytrail")})
			return err
		}),
		one("cloudtrail:StopLogging", "", trail, func(ctx context.Context) error {
			_, err := c.StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: s(trail)})
			return err
		}),
		one("cloudtrail:GetTrailStatus", "", trail, func(ctx context.Context) error {
			_, err := c.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: s("mytrail")})
			return err
		}),
		one("cloudtrail:PutEventSelectors", "", trail, func(ctx context.Context) error {
			_, err := c.PutEventSelectors(ctx, &cloudtrail.PutEventSelectorsInput{TrailName: s("mytrail"),
				EventSelectors: []cttypes.EventSelector{{ReadWriteType: cttypes.ReadWriteTypeAll, IncludeManagementEvents: aws.Bool(true)}}})
			return err
		}),
		one("cloudtrail:GetEventSelectors", "", trail, func(ctx context.Context) error {
			_, err := c.GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: s(trail)})
			return err
		}),
		{action: "cloudtrail:AddTags", resources: []string{trail}, keys: tagKeys, do: func(ctx context.Context) error {
			_, err := c.AddTags(ctx, &cloudtrail.AddTagsInput{ResourceId: s(trail), TagsList: tags})
			return err
		}},
		{action: "cloudtrail:RemoveTags", resources: []string{trail}, keys: map[string]string{"aws:TagKeys": "Env"}, do: func(ctx context.Context) error {
			_, err := c.RemoveTags(ctx, &cloudtrail.RemoveTagsInput{ResourceId: s(trail), TagsList: []cttypes.Tag{{Key: s("Env")}}})
			return err
		}},
		{action: "cloudtrail:ListTags", resources: []string{trail, "arn:aws:cloudtrail:us-east-1:" + acct + ":trail/ourtrail"}, do: func(ctx context.Context) error {
			_, err := c.ListTags(ctx, &cloudtrail.ListTagsInput{ResourceIdList: []string{trail, "arn:aws:cloudtrail:us-east-1:" + acct + ":trail/ourtrail"}})
			return err
		}},
		one("cloudtrail:ListPublicKeys", "", "*", func(ctx context.Context) error {
			_, err := c.ListPublicKeys(ctx, &cloudtrail.ListPublicKeysInput{})
			return err
		}),
	}
}
