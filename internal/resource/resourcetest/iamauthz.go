package resourcetest

import (
	"context"
	"maps"
	"slices"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// pageOf returns the bounds of one page of n items from marker (MaxItems,
// 100 by default, as IAM pages; at most PageMax), and the next page's marker, nil on the
// last.
func (f *Fake) pageOf(n int, marker *string, maxItems *int32) (start, end int, next *string) {
	start, _ = strconv.Atoi(aws.ToString(marker))
	start = min(start, n)
	size := 100
	if maxItems != nil {
		size = int(*maxItems)
	}
	if f.PageMax > 0 {
		size = min(size, f.PageMax)
	}
	end = min(start+size, n)
	if end < n {
		next = aws.String(strconv.Itoa(end))
	}
	return start, end, next
}

// GetAccountAuthorizationDetails lists the users (with the groups they
// belong to), groups and roles the filter asks for (all of them without
// one), with their inline policies URL-encoded and their attached policies,
// a page at a time: users first, then groups, then roles, each by name.
// Entities not yet visible (ReadLag) are left out.
func (x *IAM) GetAccountAuthorizationDetails(ctx context.Context, in *iam.GetAccountAuthorizationDetailsInput, _ ...func(*iam.Options)) (*iam.GetAccountAuthorizationDetailsOutput, error) {
	var out *iam.GetAccountAuthorizationDetailsOutput
	err := x.f.call(ctx, "IAM", "GetAccountAuthorizationDetails", in, func() error {
		want := func(t iamtypes.EntityType) bool { return len(in.Filter) == 0 || slices.Contains(in.Filter, t) }
		type item struct {
			typ  iamtypes.EntityType
			name string
		}
		var items []item
		if want(iamtypes.EntityTypeUser) {
			for _, u := range slices.Sorted(maps.Keys(x.f.users)) {
				items = append(items, item{iamtypes.EntityTypeUser, u})
			}
		}
		if want(iamtypes.EntityTypeGroup) {
			for _, g := range slices.Sorted(maps.Keys(x.f.groups)) {
				if x.f.groups[g].hidden == 0 {
					items = append(items, item{iamtypes.EntityTypeGroup, g})
				}
			}
		}
		if want(iamtypes.EntityTypeRole) {
			for _, r := range slices.Sorted(maps.Keys(x.f.roles)) {
				if x.f.roles[r].hidden == 0 {
					items = append(items, item{iamtypes.EntityTypeRole, r})
				}
			}
		}
		start, end, next := x.f.pageOf(len(items), in.Marker, in.MaxItems)
		out = &iam.GetAccountAuthorizationDetailsOutput{IsTruncated: next != nil, Marker: next}
		for _, it := range items[start:end] {
			switch it.typ {
			case iamtypes.EntityTypeUser:
				u := iamtypes.UserDetail{UserName: aws.String(it.name), Path: aws.String("/"), Arn: aws.String(x.f.iamARN("user", "/", it.name))}
				for _, g := range slices.Sorted(maps.Keys(x.f.groups)) {
					if x.f.groups[g].users[it.name] {
						u.GroupList = append(u.GroupList, g)
					}
				}
				out.UserDetailList = append(out.UserDetailList, u)
			case iamtypes.EntityTypeGroup:
				g := x.f.groups[it.name]
				out.GroupDetailList = append(out.GroupDetailList, iamtypes.GroupDetail{GroupName: aws.String(it.name), Path: aws.String(g.path),
					Arn: aws.String(x.f.iamARN("group", g.path, it.name)), GroupPolicyList: policyDetails(g.policies), AttachedManagedPolicies: attachedAll(g.attached)})
			case iamtypes.EntityTypeRole:
				r := x.f.roles[it.name]
				d := iamtypes.RoleDetail{RoleName: aws.String(it.name), Path: aws.String(r.path), Arn: aws.String(x.f.iamARN("role", r.path, it.name)),
					AssumeRolePolicyDocument: aws.String(encode(r.trust)), RolePolicyList: policyDetails(r.policies), AttachedManagedPolicies: attachedAll(r.attached)}
				for _, k := range slices.Sorted(maps.Keys(r.tags)) {
					d.Tags = append(d.Tags, iamtypes.Tag{Key: aws.String(k), Value: aws.String(r.tags[k])})
				}
				out.RoleDetailList = append(out.RoleDetailList, d)
			}
		}
		return nil
	})
	return out, err
}

func policyDetails(policies map[string]*document) []iamtypes.PolicyDetail {
	var out []iamtypes.PolicyDetail
	for _, n := range slices.Sorted(maps.Keys(policies)) {
		if p := policies[n]; p.hidden == 0 {
			out = append(out, iamtypes.PolicyDetail{PolicyName: aws.String(n), PolicyDocument: aws.String(encode(p.text))})
		}
	}
	return out
}

func attachedAll(arns map[string]bool) []iamtypes.AttachedPolicy {
	var out []iamtypes.AttachedPolicy
	var marker *string
	for {
		page, more, next := attachedPolicies(arns, marker)
		out = append(out, page...)
		if !more {
			return out
		}
		marker = next
	}
}

// ListRoles lists the roles, a page at a time, with their description and
// maximum session duration but, as IAM's listing, without their tags.
func (x *IAM) ListRoles(ctx context.Context, in *iam.ListRolesInput, _ ...func(*iam.Options)) (*iam.ListRolesOutput, error) {
	var out *iam.ListRolesOutput
	err := x.f.call(ctx, "IAM", "ListRoles", in, func() error {
		var names []string
		for _, n := range slices.Sorted(maps.Keys(x.f.roles)) {
			if x.f.roles[n].hidden == 0 {
				names = append(names, n)
			}
		}
		start, end, next := x.f.pageOf(len(names), in.Marker, in.MaxItems)
		out = &iam.ListRolesOutput{IsTruncated: next != nil, Marker: next}
		for _, n := range names[start:end] {
			r := x.f.roles[n]
			v := iamtypes.Role{RoleName: aws.String(n), Path: aws.String(r.path), Arn: aws.String(x.f.iamARN("role", r.path, n)),
				AssumeRolePolicyDocument: aws.String(encode(r.trust)), MaxSessionDuration: aws.Int32(r.maxSession)}
			if r.description != "" {
				v.Description = aws.String(r.description)
			}
			out.Roles = append(out.Roles, v)
		}
		return nil
	})
	return out, err
}

// ListUsers lists the users by name, a page at a time (PageMax applies).
func (x *IAM) ListUsers(ctx context.Context, in *iam.ListUsersInput, _ ...func(*iam.Options)) (*iam.ListUsersOutput, error) {
	var out *iam.ListUsersOutput
	err := x.f.call(ctx, "IAM", "ListUsers", in, func() error {
		users := slices.Sorted(maps.Keys(x.f.users))
		start, end, next := x.f.pageOf(len(users), in.Marker, in.MaxItems)
		out = &iam.ListUsersOutput{IsTruncated: next != nil, Marker: next}
		for _, u := range users[start:end] {
			out.Users = append(out.Users, iamtypes.User{UserName: aws.String(u), Path: aws.String("/"), Arn: aws.String(x.f.iamARN("user", "/", u))})
		}
		return nil
	})
	return out, err
}
