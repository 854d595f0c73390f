package resource

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

type groupAPI interface {
	GetGroup(context.Context, *iam.GetGroupInput, ...func(*iam.Options)) (*iam.GetGroupOutput, error)
	CreateGroup(context.Context, *iam.CreateGroupInput, ...func(*iam.Options)) (*iam.CreateGroupOutput, error)
	DeleteGroup(context.Context, *iam.DeleteGroupInput, ...func(*iam.Options)) (*iam.DeleteGroupOutput, error)
}

// GroupValue is an IAM group. IAM groups carry no tags.
type GroupValue struct {
	Name string `json:"name"`
	Path string `json:"path"`
}

type groupKind struct{}

var _ Kind = groupKind{}

func (groupKind) Tagged() bool { return false }

func (groupKind) Read(ctx context.Context, c *Clients, name string) (Value, error) {
	d, err := snapshotOf(ctx, c, "iam_group")
	if err != nil {
		return nil, err
	}
	if d != nil {
		g := d.group(name)
		if g == nil {
			return nil, nil
		}
		return marshal(GroupValue{Name: aws.ToString(g.GroupName), Path: aws.ToString(g.Path)}), nil
	}
	out, err := c.IAM.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String(name)})
	if isNotFound(err, "NoSuchEntity") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read IAM group %s: %w", name, err)
	}
	return marshal(GroupValue{Name: aws.ToString(out.Group.GroupName), Path: aws.ToString(out.Group.Path)}), nil
}

func (groupKind) Create(ctx context.Context, c *Clients, name string, v Value) error {
	var g GroupValue
	if err := unmarshal(v, &g); err != nil {
		return err
	}
	if _, err := c.IAM.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(name), Path: aws.String(g.Path)}); err != nil {
		return fmt.Errorf("create IAM group %s: %w", name, err)
	}
	return nil
}

func (groupKind) Update(ctx context.Context, c *Clients, name string, before, after Value) error {
	return fmt.Errorf("IAM group %s: the path cannot change in place", name)
}

func (groupKind) Delete(ctx context.Context, c *Clients, name string, _ Value) error {
	_, err := c.IAM.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String(name)})
	if err != nil && !isNotFound(err, "NoSuchEntity") {
		return fmt.Errorf("delete IAM group %s: %w", name, err)
	}
	return nil
}
