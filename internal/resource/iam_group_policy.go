package resource

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/xacct/xacct/internal/iampolicy"
)

// InlinePolicyValue is an inline policy of an IAM group or role; its name is
// PARENT/POLICY.
type InlinePolicyValue struct {
	Parent string          `json:"parent"`
	Name   string          `json:"name"`
	Policy json.RawMessage `json:"policy"`
}

// inlinePolicyKind is the inline policies of one kind of IAM identity; the
// operations differ only in name between groups and roles.
type inlinePolicyKind struct {
	parent string // "IAM group" or "IAM role"
	kind   string // iam_group_policy or iam_role_policy
	// fromSnapshot returns the document from an account's snapshot:
	// found is false when the policy or its parent does not exist, read
	// true when the snapshot cannot tell and the policy must be read.
	fromSnapshot func(d *snapshotData, parent, name string) (doc string, found, read bool)
	get          func(ctx context.Context, c *Clients, parent, name string) (string, error)
	put          func(ctx context.Context, c *Clients, parent, name, doc string) error
	del          func(ctx context.Context, c *Clients, parent, name string) error
}

var _ Kind = inlinePolicyKind{}

func (inlinePolicyKind) Tagged() bool { return false }

func (k inlinePolicyKind) Read(ctx context.Context, c *Clients, name string) (Value, error) {
	parent, pol, err := splitName(name)
	if err != nil {
		return nil, err
	}
	d, err := snapshotOf(ctx, c, k.kind)
	if err != nil {
		return nil, err
	}
	if d != nil {
		raw, found, read := k.fromSnapshot(d, parent, pol)
		switch {
		case !read && !found:
			return nil, nil
		case !read:
			return inlineValue(parent, pol, raw, k.parent)
		}
	}
	raw, err := k.get(ctx, c, parent, pol)
	if isNotFound(err, "NoSuchEntity") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read inline policy %s of %s %s: %w", pol, k.parent, parent, err)
	}
	return inlineValue(parent, pol, raw, k.parent)
}

// inlineValue is the value of an inline policy whose document IAM returned
// as raw; what is "IAM group" or "IAM role".
func inlineValue(parent, pol, raw, what string) (Value, error) {
	doc, err := canonicalPolicy(raw, iampolicy.Identity)
	if err != nil {
		return nil, fmt.Errorf("inline policy %s of %s %s: %w", pol, what, parent, err)
	}
	return marshal(InlinePolicyValue{Parent: parent, Name: pol, Policy: doc}), nil
}

func (k inlinePolicyKind) Create(ctx context.Context, c *Clients, _ string, v Value) error {
	return k.write(ctx, c, v)
}

func (k inlinePolicyKind) Update(ctx context.Context, c *Clients, _ string, _, after Value) error {
	return k.write(ctx, c, after)
}

func (k inlinePolicyKind) write(ctx context.Context, c *Clients, v Value) error {
	var p InlinePolicyValue
	if err := unmarshal(v, &p); err != nil {
		return err
	}
	if err := k.put(ctx, c, p.Parent, p.Name, string(p.Policy)); err != nil {
		return fmt.Errorf("put inline policy %s of %s %s: %w", p.Name, k.parent, p.Parent, err)
	}
	return nil
}

func (k inlinePolicyKind) Delete(ctx context.Context, c *Clients, name string, _ Value) error {
	parent, pol, err := splitName(name)
	if err != nil {
		return err
	}
	if err := k.del(ctx, c, parent, pol); err != nil && !isNotFound(err, "NoSuchEntity") {
		return fmt.Errorf("delete inline policy %s of %s %s: %w", pol, k.parent, parent, err)
	}
	return nil
}

type groupPolicyAPI interface {
	GetGroupPolicy(context.Context, *iam.GetGroupPolicyInput, ...func(*iam.Options)) (*iam.GetGroupPolicyOutput, error)
	PutGroupPolicy(context.Context, *iam.PutGroupPolicyInput, ...func(*iam.Options)) (*iam.PutGroupPolicyOutput, error)
	DeleteGroupPolicy(context.Context, *iam.DeleteGroupPolicyInput, ...func(*iam.Options)) (*iam.DeleteGroupPolicyOutput, error)
}

var groupPolicyKind = inlinePolicyKind{
	parent: "IAM group",
	kind:   "iam_group_policy",
	fromSnapshot: func(d *snapshotData, group, name string) (string, bool, bool) {
		g := d.group(group)
		if g == nil {
			return "", false, false
		}
		doc, ok := inlineDoc(g.GroupPolicyList, name)
		return doc, ok, false
	},
	get: func(ctx context.Context, c *Clients, group, name string) (string, error) {
		out, err := c.IAM.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: aws.String(group), PolicyName: aws.String(name)})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.PolicyDocument), nil
	},
	put: func(ctx context.Context, c *Clients, group, name, doc string) error {
		_, err := c.IAM.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String(group), PolicyName: aws.String(name), PolicyDocument: aws.String(doc)})
		return err
	},
	del: func(ctx context.Context, c *Clients, group, name string) error {
		_, err := c.IAM.DeleteGroupPolicy(ctx, &iam.DeleteGroupPolicyInput{GroupName: aws.String(group), PolicyName: aws.String(name)})
		return err
	},
}
