package resource

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

type membershipAPI interface {
	GetGroup(context.Context, *iam.GetGroupInput, ...func(*iam.Options)) (*iam.GetGroupOutput, error)
	AddUserToGroup(context.Context, *iam.AddUserToGroupInput, ...func(*iam.Options)) (*iam.AddUserToGroupOutput, error)
	RemoveUserFromGroup(context.Context, *iam.RemoveUserFromGroupInput, ...func(*iam.Options)) (*iam.RemoveUserFromGroupOutput, error)
}

// MembershipValue is an existing IAM user's membership of a group; its name
// is GROUP/USER. xacct never creates or deletes the user itself.
type MembershipValue struct {
	Group string `json:"group"`
	User  string `json:"user"`
}

type membershipKind struct{}

var _ Kind = membershipKind{}

func (membershipKind) Tagged() bool { return false }

func (membershipKind) Read(ctx context.Context, c *Clients, name string) (Value, error) {
	group, user, err := splitName(name)
	if err != nil {
		return nil, err
	}
	d, err := snapshotOf(ctx, c, "iam_group_membership")
	if err != nil {
		return nil, err
	}
	if d != nil {
		g := d.group(group)
		if g == nil {
			return nil, nil
		}
		for _, u := range d.members[aws.ToString(g.GroupName)] {
			if u == user {
				return marshal(MembershipValue{Group: group, User: user}), nil
			}
		}
		return nil, nil
	}
	// IAM lists a group's members a page at a time.
	var marker *string
	for {
		out, err := c.IAM.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String(group), Marker: marker})
		if isNotFound(err, "NoSuchEntity") {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read members of IAM group %s: %w", group, err)
		}
		for _, u := range out.Users {
			if aws.ToString(u.UserName) == user {
				return marshal(MembershipValue{Group: group, User: user}), nil
			}
		}
		if !out.IsTruncated || out.Marker == nil {
			return nil, nil
		}
		marker = out.Marker
	}
}

func (membershipKind) Create(ctx context.Context, c *Clients, name string, _ Value) error {
	group, user, err := splitName(name)
	if err != nil {
		return err
	}
	_, err = c.IAM.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String(group), UserName: aws.String(user)})
	if isNotFound(err, "NoSuchEntity") {
		return fmt.Errorf("add %s to IAM group %s: the user does not exist (xacct adds existing users; create the user first): %w", user, group, err)
	}
	if err != nil {
		return fmt.Errorf("add %s to IAM group %s: %w", user, group, err)
	}
	return nil
}

func (membershipKind) Update(context.Context, *Clients, string, Value, Value) error { return nil }

func (membershipKind) Delete(ctx context.Context, c *Clients, name string, _ Value) error {
	group, user, err := splitName(name)
	if err != nil {
		return err
	}
	_, err = c.IAM.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String(group), UserName: aws.String(user)})
	if err != nil && !isNotFound(err, "NoSuchEntity") {
		return fmt.Errorf("remove %s from IAM group %s: %w", user, group, err)
	}
	return nil
}
