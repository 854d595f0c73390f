package resource

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// PartsFinder is a kind whose resources can carry parts that someone made
// outside xacct — a member added to a group by hand, a policy attached by
// hand, a permission granted on a function — that AWS refuses to delete the
// resource with (DeleteConflict) or would delete with it unseen. The planner
// reads them before it deletes the resource, shows them, and removes them
// first: the part (the membership, the attachment, the permission), never
// the user or the policy itself.
type PartsFinder interface {
	// Parts returns every part the resource has in AWS, as addresses of
	// the kinds that remove them, with their values.
	Parts(ctx context.Context, c *Clients, name string) ([]Part, error)
}

// Part is one part of a resource found in AWS. Its address names no
// account: a part is in its resource's.
type Part struct {
	Addr  Address
	Value Value
}

type partsAPI interface {
	ListGroupPolicies(context.Context, *iam.ListGroupPoliciesInput, ...func(*iam.Options)) (*iam.ListGroupPoliciesOutput, error)
	ListAttachedGroupPolicies(context.Context, *iam.ListAttachedGroupPoliciesInput, ...func(*iam.Options)) (*iam.ListAttachedGroupPoliciesOutput, error)
	AttachGroupPolicy(context.Context, *iam.AttachGroupPolicyInput, ...func(*iam.Options)) (*iam.AttachGroupPolicyOutput, error)
	DetachGroupPolicy(context.Context, *iam.DetachGroupPolicyInput, ...func(*iam.Options)) (*iam.DetachGroupPolicyOutput, error)
	ListRolePolicies(context.Context, *iam.ListRolePoliciesInput, ...func(*iam.Options)) (*iam.ListRolePoliciesOutput, error)
	ListAttachedRolePolicies(context.Context, *iam.ListAttachedRolePoliciesInput, ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error)
	AttachRolePolicy(context.Context, *iam.AttachRolePolicyInput, ...func(*iam.Options)) (*iam.AttachRolePolicyOutput, error)
	DetachRolePolicy(context.Context, *iam.DetachRolePolicyInput, ...func(*iam.Options)) (*iam.DetachRolePolicyOutput, error)
}

// AttachmentValue is a managed policy attached to an IAM group or role; its
// name is PARENT/POLICY_ARN.
type AttachmentValue struct {
	Parent    string `json:"parent"`
	PolicyARN string `json:"policy_arn"`
}

// attachmentKind is the managed-policy attachments of one kind of IAM
// identity (groups or roles).
type attachmentKind struct {
	parent string // "IAM group" or "IAM role"
	kind   string // iam_group_policy_attachment or iam_role_policy_attachment
	// fromSnapshot returns the ARNs attached to parent from an account's
	// snapshot: exists is false when parent does not exist, read true when
	// the snapshot cannot tell and the attachments must be listed.
	fromSnapshot func(d *snapshotData, parent string) (arns []string, exists, read bool)
	list         func(ctx context.Context, c *Clients, parent string) ([]string, error)
	attach       func(ctx context.Context, c *Clients, parent, arn string) error
	detach       func(ctx context.Context, c *Clients, parent, arn string) error
}

var (
	_ Kind        = attachmentKind{}
	_ PartsFinder = groupKind{}
	_ PartsFinder = roleKind{}
	_ PartsFinder = functionKind{}
)

func (attachmentKind) Tagged() bool { return false }

func (k attachmentKind) Read(ctx context.Context, c *Clients, name string) (Value, error) {
	parent, arn, err := splitName(name)
	if err != nil {
		return nil, err
	}
	d, err := snapshotOf(ctx, c, k.kind)
	if err != nil {
		return nil, err
	}
	var arns []string
	exists, read := true, true
	if d != nil {
		arns, exists, read = k.fromSnapshot(d, parent)
	}
	if !exists {
		return nil, nil
	}
	if read {
		arns, err = k.list(ctx, c, parent)
		if isNotFound(err, "NoSuchEntity") {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read the policies attached to %s %s: %w", k.parent, parent, err)
		}
	}
	for _, a := range arns {
		if a == arn {
			return marshal(AttachmentValue{Parent: parent, PolicyARN: arn}), nil
		}
	}
	return nil, nil
}

func (k attachmentKind) Create(ctx context.Context, c *Clients, name string, _ Value) error {
	parent, arn, err := splitName(name)
	if err != nil {
		return err
	}
	if err := k.attach(ctx, c, parent, arn); err != nil {
		return fmt.Errorf("attach %s to %s %s: %w", arn, k.parent, parent, err)
	}
	return nil
}

func (k attachmentKind) Update(_ context.Context, _ *Clients, name string, _, _ Value) error {
	return fmt.Errorf("policy attachment %s: nothing to change in place", name)
}

func (k attachmentKind) Delete(ctx context.Context, c *Clients, name string, _ Value) error {
	parent, arn, err := splitName(name)
	if err != nil {
		return err
	}
	if err := k.detach(ctx, c, parent, arn); err != nil && !isNotFound(err, "NoSuchEntity") {
		return fmt.Errorf("detach %s from %s %s: %w", arn, k.parent, parent, err)
	}
	return nil
}

var groupAttachmentKind = attachmentKind{
	parent: "IAM group",
	kind:   "iam_group_policy_attachment",
	fromSnapshot: func(d *snapshotData, group string) ([]string, bool, bool) {
		g := d.group(group)
		if g == nil {
			return nil, false, false
		}
		return attachedARNs(g.AttachedManagedPolicies), true, false
	},
	list: func(ctx context.Context, c *Clients, group string) ([]string, error) {
		return listNames(func(m *string) ([]string, *string, bool, error) {
			out, err := c.IAM.ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String(group), Marker: m})
			if err != nil {
				return nil, nil, false, err
			}
			return policyARNs(out.AttachedPolicies), out.Marker, out.IsTruncated, nil
		})
	},
	attach: func(ctx context.Context, c *Clients, group, arn string) error {
		_, err := c.IAM.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String(group), PolicyArn: aws.String(arn)})
		return err
	},
	detach: func(ctx context.Context, c *Clients, group, arn string) error {
		_, err := c.IAM.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: aws.String(group), PolicyArn: aws.String(arn)})
		return err
	},
}

var roleAttachmentKind = attachmentKind{
	parent: "IAM role",
	kind:   "iam_role_policy_attachment",
	fromSnapshot: func(d *snapshotData, role string) ([]string, bool, bool) {
		r, _, ok := d.role(role)
		if !ok {
			return nil, true, true
		}
		if r == nil {
			return nil, false, false
		}
		return attachedARNs(r.AttachedManagedPolicies), true, false
	},
	list: func(ctx context.Context, c *Clients, role string) ([]string, error) {
		return listNames(func(m *string) ([]string, *string, bool, error) {
			out, err := c.IAM.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role), Marker: m})
			if err != nil {
				return nil, nil, false, err
			}
			return policyARNs(out.AttachedPolicies), out.Marker, out.IsTruncated, nil
		})
	},
	attach: func(ctx context.Context, c *Clients, role, arn string) error {
		_, err := c.IAM.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(role), PolicyArn: aws.String(arn)})
		return err
	},
	detach: func(ctx context.Context, c *Clients, role, arn string) error {
		_, err := c.IAM.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(role), PolicyArn: aws.String(arn)})
		return err
	},
}

// Parts of a group: its members, inline policies and attached policies.
func (groupKind) Parts(ctx context.Context, c *Clients, name string) ([]Part, error) {
	var parts []Part
	var marker *string
	for {
		out, err := c.IAM.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String(name), Marker: marker})
		if isNotFound(err, "NoSuchEntity") {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read members of IAM group %s: %w", name, err)
		}
		for _, u := range out.Users {
			user := aws.ToString(u.UserName)
			parts = append(parts, Part{Addr: Address{Kind: "iam_group_membership", Name: name + "/" + user}, Value: marshal(MembershipValue{Group: name, User: user})})
		}
		if !out.IsTruncated || out.Marker == nil {
			break
		}
		marker = out.Marker
	}
	inline, err := listNames(func(m *string) ([]string, *string, bool, error) {
		out, err := c.IAM.ListGroupPolicies(ctx, &iam.ListGroupPoliciesInput{GroupName: aws.String(name), Marker: m})
		if err != nil {
			return nil, nil, false, err
		}
		return out.PolicyNames, out.Marker, out.IsTruncated, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list inline policies of IAM group %s: %w", name, err)
	}
	for _, p := range inline {
		v, err := groupPolicyKind.Read(ctx, c, name+"/"+p)
		if err != nil {
			return nil, err
		}
		parts = append(parts, Part{Addr: Address{Kind: "iam_group_policy", Name: name + "/" + p}, Value: v})
	}
	arns, err := groupAttachmentKind.list(ctx, c, name)
	if err != nil {
		return nil, fmt.Errorf("list the policies attached to IAM group %s: %w", name, err)
	}
	for _, a := range arns {
		parts = append(parts, Part{Addr: Address{Kind: "iam_group_policy_attachment", Name: name + "/" + a}, Value: marshal(AttachmentValue{Parent: name, PolicyARN: a})})
	}
	return parts, nil
}

// Parts of a role: its inline and attached policies.
func (roleKind) Parts(ctx context.Context, c *Clients, name string) ([]Part, error) {
	inline, err := listNames(func(m *string) ([]string, *string, bool, error) {
		out, err := c.IAM.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String(name), Marker: m})
		if err != nil {
			return nil, nil, false, err
		}
		return out.PolicyNames, out.Marker, out.IsTruncated, nil
	})
	if isNotFound(err, "NoSuchEntity") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list inline policies of IAM role %s: %w", name, err)
	}
	var parts []Part
	for _, p := range inline {
		v, err := rolePolicyKind.Read(ctx, c, name+"/"+p)
		if err != nil {
			return nil, err
		}
		parts = append(parts, Part{Addr: Address{Kind: "iam_role_policy", Name: name + "/" + p}, Value: v})
	}
	arns, err := roleAttachmentKind.list(ctx, c, name)
	if isNotFound(err, "NoSuchEntity") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list the policies attached to IAM role %s: %w", name, err)
	}
	for _, a := range arns {
		parts = append(parts, Part{Addr: Address{Kind: "iam_role_policy_attachment", Name: name + "/" + a}, Value: marshal(AttachmentValue{Parent: name, PolicyARN: a})})
	}
	return parts, nil
}

// listNames pages through an IAM listing of names.
func listNames(page func(marker *string) (names []string, next *string, truncated bool, err error)) ([]string, error) {
	var all []string
	var marker *string
	for {
		names, next, truncated, err := page(marker)
		if err != nil {
			return nil, err
		}
		all = append(all, names...)
		if !truncated || next == nil {
			return all, nil
		}
		marker = next
	}
}

func policyARNs(ps []iamtypes.AttachedPolicy) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = aws.ToString(p.PolicyArn)
	}
	return out
}
