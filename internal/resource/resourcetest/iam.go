package resourcetest

import (
	"context"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/xacct/xacct/internal/resource"
)

// IAM is the fake's IAM.
type IAM struct {
	resource.IAMAPI
	f *Fake
}

var _ resource.IAMAPI = (*IAM)(nil)

type group struct {
	path     string
	users    map[string]bool
	policies map[string]*document
	attached map[string]bool // managed policy ARNs
	hidden   int
}

type role struct {
	path, trust, description string
	maxSession               int32
	tags                     map[string]string
	policies                 map[string]*document
	attached                 map[string]bool // managed policy ARNs
	hidden                   int
}

type document struct {
	text   string
	hidden int
}

// AddUser creates an IAM user (xacct adds users to groups but never creates
// them). It is not recorded as a call.
func (f *Fake) AddUser(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users[name] = true
}

// encode URL-encodes a policy document as IAM returns it (RFC 3986).
func encode(doc string) string { return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20") }

func pathOr(p *string) string {
	if p == nil {
		return "/"
	}
	return *p
}

func (f *Fake) iamARN(typ, path, name string) string {
	return "arn:aws:iam::" + f.accountID + ":" + typ + path + name
}

func noSuchEntity(what, name string) error {
	return apiErr("NoSuchEntity", "The %s with name %s cannot be found.", what, name)
}

func (x *IAM) getGroup(name string) (*group, error) {
	g := x.f.groups[name]
	if g == nil {
		return nil, noSuchEntity("group", name)
	}
	return g, nil
}

func (x *IAM) getRole(name string) (*role, error) {
	r := x.f.roles[name]
	if r == nil {
		return nil, noSuchEntity("role", name)
	}
	return r, nil
}

// GetGroup returns the group and a page of its members (100 unless
// MaxItems says otherwise).
func (x *IAM) GetGroup(ctx context.Context, in *iam.GetGroupInput, _ ...func(*iam.Options)) (*iam.GetGroupOutput, error) {
	var out *iam.GetGroupOutput
	err := x.f.call(ctx, "IAM", "GetGroup", in, func() error {
		name := aws.ToString(in.GroupName)
		g := x.f.groups[name]
		if g == nil || !visible(&g.hidden) {
			return noSuchEntity("group", name)
		}
		users := slices.Sorted(maps.Keys(g.users))
		start, _ := strconv.Atoi(aws.ToString(in.Marker))
		end := min(start+int(aws.ToInt32(in.MaxItems)), len(users))
		if in.MaxItems == nil {
			end = min(start+100, len(users))
		}
		out = &iam.GetGroupOutput{Group: &iamtypes.Group{GroupName: aws.String(name), Path: aws.String(g.path), Arn: aws.String(x.f.iamARN("group", g.path, name))}}
		for _, u := range users[start:end] {
			out.Users = append(out.Users, iamtypes.User{UserName: aws.String(u), Path: aws.String("/"), Arn: aws.String(x.f.iamARN("user", "/", u))})
		}
		if end < len(users) {
			out.IsTruncated, out.Marker = true, aws.String(strconv.Itoa(end))
		}
		return nil
	})
	return out, err
}

// CreateGroup creates a group.
func (x *IAM) CreateGroup(ctx context.Context, in *iam.CreateGroupInput, _ ...func(*iam.Options)) (*iam.CreateGroupOutput, error) {
	var out *iam.CreateGroupOutput
	err := x.f.call(ctx, "IAM", "CreateGroup", in, func() error {
		name := aws.ToString(in.GroupName)
		if x.f.groups[name] != nil {
			return apiErr("EntityAlreadyExists", "Group with name %s already exists.", name)
		}
		g := &group{path: pathOr(in.Path), users: map[string]bool{}, policies: map[string]*document{}, attached: map[string]bool{}, hidden: x.f.ReadLag}
		x.f.groups[name] = g
		out = &iam.CreateGroupOutput{Group: &iamtypes.Group{GroupName: aws.String(name), Path: aws.String(g.path)}}
		return nil
	})
	return out, err
}

// DeleteGroup deletes a group that has no members and no inline or
// attached policies.
func (x *IAM) DeleteGroup(ctx context.Context, in *iam.DeleteGroupInput, _ ...func(*iam.Options)) (*iam.DeleteGroupOutput, error) {
	err := x.f.call(ctx, "IAM", "DeleteGroup", in, func() error {
		name := aws.ToString(in.GroupName)
		g, err := x.getGroup(name)
		switch {
		case err != nil:
			return err
		case len(g.users) > 0:
			return apiErr("DeleteConflict", "Cannot delete entity, must remove users from group first.")
		case len(g.policies) > 0:
			return apiErr("DeleteConflict", "Cannot delete entity, must delete policies first.")
		case len(g.attached) > 0:
			return apiErr("DeleteConflict", "Cannot delete entity, must detach all policies first.")
		}
		delete(x.f.groups, name)
		return nil
	})
	return ok(&iam.DeleteGroupOutput{}, err)
}

// AddUserToGroup adds an existing user to a group.
func (x *IAM) AddUserToGroup(ctx context.Context, in *iam.AddUserToGroupInput, _ ...func(*iam.Options)) (*iam.AddUserToGroupOutput, error) {
	err := x.f.call(ctx, "IAM", "AddUserToGroup", in, func() error {
		g, err := x.getGroup(aws.ToString(in.GroupName))
		if err != nil {
			return err
		}
		user := aws.ToString(in.UserName)
		if !x.f.users[user] {
			return noSuchEntity("user", user)
		}
		g.users[user] = true
		return nil
	})
	return ok(&iam.AddUserToGroupOutput{}, err)
}

// RemoveUserFromGroup removes a user from a group.
func (x *IAM) RemoveUserFromGroup(ctx context.Context, in *iam.RemoveUserFromGroupInput, _ ...func(*iam.Options)) (*iam.RemoveUserFromGroupOutput, error) {
	err := x.f.call(ctx, "IAM", "RemoveUserFromGroup", in, func() error {
		g, err := x.getGroup(aws.ToString(in.GroupName))
		if err != nil {
			return err
		}
		user := aws.ToString(in.UserName)
		if !x.f.users[user] {
			return noSuchEntity("user", user)
		}
		delete(g.users, user)
		return nil
	})
	return ok(&iam.RemoveUserFromGroupOutput{}, err)
}

// getPolicy, putPolicy and deletePolicy serve the inline policies of groups
// and roles alike.
func (x *IAM) getPolicy(policies map[string]*document, what, name string) (*string, error) {
	d := policies[name]
	if d == nil || !visible(&d.hidden) {
		return nil, noSuchEntity(what+" policy", name)
	}
	return aws.String(encode(d.text)), nil
}

func (x *IAM) putPolicy(policies map[string]*document, name string, doc *string) {
	if d := policies[name]; d != nil {
		d.text = aws.ToString(doc)
		return
	}
	policies[name] = &document{text: aws.ToString(doc), hidden: x.f.ReadLag}
}

func deletePolicy(policies map[string]*document, what, name string) error {
	if policies[name] == nil {
		return noSuchEntity(what+" policy", name)
	}
	delete(policies, name)
	return nil
}

// GetGroupPolicy returns an inline policy of a group, URL-encoded.
func (x *IAM) GetGroupPolicy(ctx context.Context, in *iam.GetGroupPolicyInput, _ ...func(*iam.Options)) (*iam.GetGroupPolicyOutput, error) {
	var out *iam.GetGroupPolicyOutput
	err := x.f.call(ctx, "IAM", "GetGroupPolicy", in, func() error {
		g, err := x.getGroup(aws.ToString(in.GroupName))
		if err != nil {
			return err
		}
		doc, err := x.getPolicy(g.policies, "group", aws.ToString(in.PolicyName))
		if err != nil {
			return err
		}
		out = &iam.GetGroupPolicyOutput{GroupName: in.GroupName, PolicyName: in.PolicyName, PolicyDocument: doc}
		return nil
	})
	return out, err
}

// PutGroupPolicy creates or replaces an inline policy of a group.
func (x *IAM) PutGroupPolicy(ctx context.Context, in *iam.PutGroupPolicyInput, _ ...func(*iam.Options)) (*iam.PutGroupPolicyOutput, error) {
	err := x.f.call(ctx, "IAM", "PutGroupPolicy", in, func() error {
		g, err := x.getGroup(aws.ToString(in.GroupName))
		if err != nil {
			return err
		}
		x.putPolicy(g.policies, aws.ToString(in.PolicyName), in.PolicyDocument)
		return nil
	})
	return ok(&iam.PutGroupPolicyOutput{}, err)
}

// DeleteGroupPolicy deletes an inline policy of a group.
func (x *IAM) DeleteGroupPolicy(ctx context.Context, in *iam.DeleteGroupPolicyInput, _ ...func(*iam.Options)) (*iam.DeleteGroupPolicyOutput, error) {
	err := x.f.call(ctx, "IAM", "DeleteGroupPolicy", in, func() error {
		g, err := x.getGroup(aws.ToString(in.GroupName))
		if err != nil {
			return err
		}
		return deletePolicy(g.policies, "group", aws.ToString(in.PolicyName))
	})
	return ok(&iam.DeleteGroupPolicyOutput{}, err)
}

// GetRole returns a role, its trust policy URL-encoded.
func (x *IAM) GetRole(ctx context.Context, in *iam.GetRoleInput, _ ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	var out *iam.GetRoleOutput
	err := x.f.call(ctx, "IAM", "GetRole", in, func() error {
		name := aws.ToString(in.RoleName)
		r := x.f.roles[name]
		if r == nil || !visible(&r.hidden) {
			return noSuchEntity("role", name)
		}
		v := &iamtypes.Role{RoleName: aws.String(name), Path: aws.String(r.path), Arn: aws.String(x.f.iamARN("role", r.path, name)),
			AssumeRolePolicyDocument: aws.String(encode(r.trust)), MaxSessionDuration: aws.Int32(r.maxSession)}
		if r.description != "" {
			v.Description = aws.String(r.description)
		}
		for _, k := range slices.Sorted(maps.Keys(r.tags)) {
			v.Tags = append(v.Tags, iamtypes.Tag{Key: aws.String(k), Value: aws.String(r.tags[k])})
		}
		out = &iam.GetRoleOutput{Role: v}
		return nil
	})
	return out, err
}

// CreateRole creates a role; MaxSessionDuration defaults to an hour.
func (x *IAM) CreateRole(ctx context.Context, in *iam.CreateRoleInput, _ ...func(*iam.Options)) (*iam.CreateRoleOutput, error) {
	var out *iam.CreateRoleOutput
	err := x.f.call(ctx, "IAM", "CreateRole", in, func() error {
		name := aws.ToString(in.RoleName)
		if x.f.roles[name] != nil {
			return apiErr("EntityAlreadyExists", "Role with name %s already exists.", name)
		}
		r := &role{path: pathOr(in.Path), trust: aws.ToString(in.AssumeRolePolicyDocument), description: aws.ToString(in.Description),
			maxSession: 3600, tags: map[string]string{}, policies: map[string]*document{}, hidden: x.f.ReadLag}
		if in.MaxSessionDuration != nil {
			r.maxSession = *in.MaxSessionDuration
		}
		for _, t := range in.Tags {
			r.tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
		x.f.roles[name] = r
		out = &iam.CreateRoleOutput{Role: &iamtypes.Role{RoleName: aws.String(name), Path: aws.String(r.path)}}
		return nil
	})
	return out, err
}

// UpdateAssumeRolePolicy replaces a role's trust policy.
func (x *IAM) UpdateAssumeRolePolicy(ctx context.Context, in *iam.UpdateAssumeRolePolicyInput, _ ...func(*iam.Options)) (*iam.UpdateAssumeRolePolicyOutput, error) {
	err := x.f.call(ctx, "IAM", "UpdateAssumeRolePolicy", in, func() error {
		r, err := x.getRole(aws.ToString(in.RoleName))
		if err != nil {
			return err
		}
		r.trust = aws.ToString(in.PolicyDocument)
		return nil
	})
	return ok(&iam.UpdateAssumeRolePolicyOutput{}, err)
}

// UpdateRole sets the description and maximum session duration given.
func (x *IAM) UpdateRole(ctx context.Context, in *iam.UpdateRoleInput, _ ...func(*iam.Options)) (*iam.UpdateRoleOutput, error) {
	err := x.f.call(ctx, "IAM", "UpdateRole", in, func() error {
		r, err := x.getRole(aws.ToString(in.RoleName))
		if err != nil {
			return err
		}
		if in.Description != nil {
			r.description = *in.Description
		}
		if in.MaxSessionDuration != nil {
			r.maxSession = *in.MaxSessionDuration
		}
		return nil
	})
	return ok(&iam.UpdateRoleOutput{}, err)
}

// TagRole adds or overwrites tags of a role.
func (x *IAM) TagRole(ctx context.Context, in *iam.TagRoleInput, _ ...func(*iam.Options)) (*iam.TagRoleOutput, error) {
	err := x.f.call(ctx, "IAM", "TagRole", in, func() error {
		r, err := x.getRole(aws.ToString(in.RoleName))
		if err != nil {
			return err
		}
		for _, t := range in.Tags {
			r.tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
		return nil
	})
	return ok(&iam.TagRoleOutput{}, err)
}

// UntagRole removes tags of a role.
func (x *IAM) UntagRole(ctx context.Context, in *iam.UntagRoleInput, _ ...func(*iam.Options)) (*iam.UntagRoleOutput, error) {
	err := x.f.call(ctx, "IAM", "UntagRole", in, func() error {
		r, err := x.getRole(aws.ToString(in.RoleName))
		if err != nil {
			return err
		}
		for _, k := range in.TagKeys {
			delete(r.tags, k)
		}
		return nil
	})
	return ok(&iam.UntagRoleOutput{}, err)
}

// DeleteRole deletes a role that has no inline or attached policies.
func (x *IAM) DeleteRole(ctx context.Context, in *iam.DeleteRoleInput, _ ...func(*iam.Options)) (*iam.DeleteRoleOutput, error) {
	err := x.f.call(ctx, "IAM", "DeleteRole", in, func() error {
		name := aws.ToString(in.RoleName)
		r, err := x.getRole(name)
		if err != nil {
			return err
		}
		if len(r.policies) > 0 {
			return apiErr("DeleteConflict", "Cannot delete entity, must delete policies first.")
		}
		if len(r.attached) > 0 {
			return apiErr("DeleteConflict", "Cannot delete entity, must detach all policies first.")
		}
		delete(x.f.roles, name)
		return nil
	})
	return ok(&iam.DeleteRoleOutput{}, err)
}

// GetRolePolicy returns an inline policy of a role, URL-encoded.
func (x *IAM) GetRolePolicy(ctx context.Context, in *iam.GetRolePolicyInput, _ ...func(*iam.Options)) (*iam.GetRolePolicyOutput, error) {
	var out *iam.GetRolePolicyOutput
	err := x.f.call(ctx, "IAM", "GetRolePolicy", in, func() error {
		r, err := x.getRole(aws.ToString(in.RoleName))
		if err != nil {
			return err
		}
		doc, err := x.getPolicy(r.policies, "role", aws.ToString(in.PolicyName))
		if err != nil {
			return err
		}
		out = &iam.GetRolePolicyOutput{RoleName: in.RoleName, PolicyName: in.PolicyName, PolicyDocument: doc}
		return nil
	})
	return out, err
}

// PutRolePolicy creates or replaces an inline policy of a role.
func (x *IAM) PutRolePolicy(ctx context.Context, in *iam.PutRolePolicyInput, _ ...func(*iam.Options)) (*iam.PutRolePolicyOutput, error) {
	err := x.f.call(ctx, "IAM", "PutRolePolicy", in, func() error {
		r, err := x.getRole(aws.ToString(in.RoleName))
		if err != nil {
			return err
		}
		x.putPolicy(r.policies, aws.ToString(in.PolicyName), in.PolicyDocument)
		return nil
	})
	return ok(&iam.PutRolePolicyOutput{}, err)
}

// DeleteRolePolicy deletes an inline policy of a role.
func (x *IAM) DeleteRolePolicy(ctx context.Context, in *iam.DeleteRolePolicyInput, _ ...func(*iam.Options)) (*iam.DeleteRolePolicyOutput, error) {
	err := x.f.call(ctx, "IAM", "DeleteRolePolicy", in, func() error {
		r, err := x.getRole(aws.ToString(in.RoleName))
		if err != nil {
			return err
		}
		return deletePolicy(r.policies, "role", aws.ToString(in.PolicyName))
	})
	return ok(&iam.DeleteRolePolicyOutput{}, err)
}

// page returns one page (100 names) of sorted names, whether more follow,
// and the marker of the next page.
func page(all []string, marker *string) ([]string, bool, *string) {
	start, _ := strconv.Atoi(aws.ToString(marker))
	start = min(start, len(all))
	end := min(start+100, len(all))
	if end < len(all) {
		return all[start:end], true, aws.String(strconv.Itoa(end))
	}
	return all[start:end], false, nil
}

func attachedPolicies(arns map[string]bool, marker *string) ([]iamtypes.AttachedPolicy, bool, *string) {
	names, more, next := page(slices.Sorted(maps.Keys(arns)), marker)
	var out []iamtypes.AttachedPolicy
	for _, a := range names {
		name := a[strings.LastIndex(a, "/")+1:]
		out = append(out, iamtypes.AttachedPolicy{PolicyArn: aws.String(a), PolicyName: aws.String(name)})
	}
	return out, more, next
}

// AttachPolicy makes the managed policy arn attachable (xacct never
// creates managed policies). It is not recorded as a call.
func (f *Fake) AttachPolicy(arn string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.policies[arn] = true
}

func (x *IAM) managed(arn string) error {
	if !x.f.policies[arn] {
		return apiErr("NoSuchEntity", "Policy %s does not exist or is not attachable.", arn)
	}
	return nil
}

// ListGroupPolicies lists a group's inline policy names.
func (x *IAM) ListGroupPolicies(ctx context.Context, in *iam.ListGroupPoliciesInput, _ ...func(*iam.Options)) (*iam.ListGroupPoliciesOutput, error) {
	var out *iam.ListGroupPoliciesOutput
	err := x.f.call(ctx, "IAM", "ListGroupPolicies", in, func() error {
		g, err := x.getGroup(aws.ToString(in.GroupName))
		if err != nil {
			return err
		}
		names, more, next := page(slices.Sorted(maps.Keys(g.policies)), in.Marker)
		out = &iam.ListGroupPoliciesOutput{PolicyNames: names, IsTruncated: more, Marker: next}
		return nil
	})
	return out, err
}

// ListRolePolicies lists a role's inline policy names.
func (x *IAM) ListRolePolicies(ctx context.Context, in *iam.ListRolePoliciesInput, _ ...func(*iam.Options)) (*iam.ListRolePoliciesOutput, error) {
	var out *iam.ListRolePoliciesOutput
	err := x.f.call(ctx, "IAM", "ListRolePolicies", in, func() error {
		r, err := x.getRole(aws.ToString(in.RoleName))
		if err != nil {
			return err
		}
		names, more, next := page(slices.Sorted(maps.Keys(r.policies)), in.Marker)
		out = &iam.ListRolePoliciesOutput{PolicyNames: names, IsTruncated: more, Marker: next}
		return nil
	})
	return out, err
}

// ListAttachedGroupPolicies lists the managed policies attached to a group.
func (x *IAM) ListAttachedGroupPolicies(ctx context.Context, in *iam.ListAttachedGroupPoliciesInput, _ ...func(*iam.Options)) (*iam.ListAttachedGroupPoliciesOutput, error) {
	var out *iam.ListAttachedGroupPoliciesOutput
	err := x.f.call(ctx, "IAM", "ListAttachedGroupPolicies", in, func() error {
		g, err := x.getGroup(aws.ToString(in.GroupName))
		if err != nil {
			return err
		}
		ps, more, next := attachedPolicies(g.attached, in.Marker)
		out = &iam.ListAttachedGroupPoliciesOutput{AttachedPolicies: ps, IsTruncated: more, Marker: next}
		return nil
	})
	return out, err
}

// ListAttachedRolePolicies lists the managed policies attached to a role.
func (x *IAM) ListAttachedRolePolicies(ctx context.Context, in *iam.ListAttachedRolePoliciesInput, _ ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error) {
	var out *iam.ListAttachedRolePoliciesOutput
	err := x.f.call(ctx, "IAM", "ListAttachedRolePolicies", in, func() error {
		r, err := x.getRole(aws.ToString(in.RoleName))
		if err != nil {
			return err
		}
		ps, more, next := attachedPolicies(r.attached, in.Marker)
		out = &iam.ListAttachedRolePoliciesOutput{AttachedPolicies: ps, IsTruncated: more, Marker: next}
		return nil
	})
	return out, err
}

// AttachGroupPolicy attaches a managed policy to a group.
func (x *IAM) AttachGroupPolicy(ctx context.Context, in *iam.AttachGroupPolicyInput, _ ...func(*iam.Options)) (*iam.AttachGroupPolicyOutput, error) {
	err := x.f.call(ctx, "IAM", "AttachGroupPolicy", in, func() error {
		g, err := x.getGroup(aws.ToString(in.GroupName))
		if err != nil {
			return err
		}
		if err := x.managed(aws.ToString(in.PolicyArn)); err != nil {
			return err
		}
		g.attached[aws.ToString(in.PolicyArn)] = true
		return nil
	})
	return ok(&iam.AttachGroupPolicyOutput{}, err)
}

// DetachGroupPolicy detaches a managed policy from a group.
func (x *IAM) DetachGroupPolicy(ctx context.Context, in *iam.DetachGroupPolicyInput, _ ...func(*iam.Options)) (*iam.DetachGroupPolicyOutput, error) {
	err := x.f.call(ctx, "IAM", "DetachGroupPolicy", in, func() error {
		g, err := x.getGroup(aws.ToString(in.GroupName))
		if err != nil {
			return err
		}
		arn := aws.ToString(in.PolicyArn)
		if !g.attached[arn] {
			return apiErr("NoSuchEntity", "Policy %s was not found.", arn)
		}
		delete(g.attached, arn)
		return nil
	})
	return ok(&iam.DetachGroupPolicyOutput{}, err)
}

// AttachRolePolicy attaches a managed policy to a role.
func (x *IAM) AttachRolePolicy(ctx context.Context, in *iam.AttachRolePolicyInput, _ ...func(*iam.Options)) (*iam.AttachRolePolicyOutput, error) {
	err := x.f.call(ctx, "IAM", "AttachRolePolicy", in, func() error {
		r, err := x.getRole(aws.ToString(in.RoleName))
		if err != nil {
			return err
		}
		if err := x.managed(aws.ToString(in.PolicyArn)); err != nil {
			return err
		}
		if r.attached == nil {
			r.attached = map[string]bool{}
		}
		r.attached[aws.ToString(in.PolicyArn)] = true
		return nil
	})
	return ok(&iam.AttachRolePolicyOutput{}, err)
}

// DetachRolePolicy detaches a managed policy from a role.
func (x *IAM) DetachRolePolicy(ctx context.Context, in *iam.DetachRolePolicyInput, _ ...func(*iam.Options)) (*iam.DetachRolePolicyOutput, error) {
	err := x.f.call(ctx, "IAM", "DetachRolePolicy", in, func() error {
		r, err := x.getRole(aws.ToString(in.RoleName))
		if err != nil {
			return err
		}
		arn := aws.ToString(in.PolicyArn)
		if !r.attached[arn] {
			return apiErr("NoSuchEntity", "Policy %s was not found.", arn)
		}
		delete(r.attached, arn)
		return nil
	})
	return ok(&iam.DetachRolePolicyOutput{}, err)
}
