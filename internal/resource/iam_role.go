package resource

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/xacct/xacct/internal/iampolicy"
)

type roleAPI interface {
	GetRole(context.Context, *iam.GetRoleInput, ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	CreateRole(context.Context, *iam.CreateRoleInput, ...func(*iam.Options)) (*iam.CreateRoleOutput, error)
	UpdateAssumeRolePolicy(context.Context, *iam.UpdateAssumeRolePolicyInput, ...func(*iam.Options)) (*iam.UpdateAssumeRolePolicyOutput, error)
	UpdateRole(context.Context, *iam.UpdateRoleInput, ...func(*iam.Options)) (*iam.UpdateRoleOutput, error)
	TagRole(context.Context, *iam.TagRoleInput, ...func(*iam.Options)) (*iam.TagRoleOutput, error)
	UntagRole(context.Context, *iam.UntagRoleInput, ...func(*iam.Options)) (*iam.UntagRoleOutput, error)
	DeleteRole(context.Context, *iam.DeleteRoleInput, ...func(*iam.Options)) (*iam.DeleteRoleOutput, error)
}

// RoleValue is an IAM role.
type RoleValue struct {
	Name               string            `json:"name"`
	Path               string            `json:"path"`
	Description        string            `json:"description"`
	MaxSessionDuration int32             `json:"max_session_duration"`
	Trust              json.RawMessage   `json:"trust"`
	Tags               map[string]string `json:"tags"`
}

type roleKind struct{}

var _ Kind = roleKind{}

func (roleKind) Tagged() bool { return true }

func (roleKind) Read(ctx context.Context, c *Clients, name string) (Value, error) {
	d, err := snapshotOf(ctx, c, "iam_role")
	if err != nil {
		return nil, err
	}
	if d != nil {
		if detail, listed, ok := d.role(name); ok {
			if detail == nil {
				return nil, nil
			}
			// The details hold the trust and the tags; ListRoles the
			// description and the maximum session duration.
			return roleValue(name, &iamtypes.Role{RoleName: detail.RoleName, Path: detail.Path, AssumeRolePolicyDocument: detail.AssumeRolePolicyDocument,
				Tags: detail.Tags, Description: listed.Description, MaxSessionDuration: listed.MaxSessionDuration})
		}
	}
	out, err := c.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if isNotFound(err, "NoSuchEntity") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read IAM role %s: %w", name, err)
	}
	return roleValue(name, out.Role)
}

// roleValue is the value of a role as IAM describes it.
func roleValue(name string, r *iamtypes.Role) (Value, error) {
	trust, err := canonicalPolicy(aws.ToString(r.AssumeRolePolicyDocument), iampolicy.Trust)
	if err != nil {
		return nil, fmt.Errorf("trust policy of IAM role %s: %w", name, err)
	}
	tags := map[string]string{}
	for _, t := range r.Tags {
		if !reservedTag(aws.ToString(t.Key)) {
			tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
	}
	max := aws.ToInt32(r.MaxSessionDuration)
	if max == 0 {
		max = 3600
	}
	return marshal(RoleValue{Name: aws.ToString(r.RoleName), Path: aws.ToString(r.Path), Description: aws.ToString(r.Description),
		MaxSessionDuration: max, Trust: trust, Tags: tags}), nil
}

func iamTags(m map[string]string) []iamtypes.Tag {
	var out []iamtypes.Tag
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, iamtypes.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

func (roleKind) Create(ctx context.Context, c *Clients, name string, v Value) error {
	var r RoleValue
	if err := unmarshal(v, &r); err != nil {
		return err
	}
	in := &iam.CreateRoleInput{RoleName: aws.String(name), Path: aws.String(r.Path), AssumeRolePolicyDocument: aws.String(string(r.Trust)),
		MaxSessionDuration: aws.Int32(r.MaxSessionDuration), Tags: iamTags(r.Tags)}
	if r.Description != "" {
		in.Description = aws.String(r.Description)
	}
	if _, err := c.IAM.CreateRole(ctx, in); err != nil {
		return fmt.Errorf("create IAM role %s: %w", name, err)
	}
	return nil
}

func (roleKind) Update(ctx context.Context, c *Clients, name string, before, after Value) error {
	var b, a RoleValue
	if err := unmarshal(before, &b); err != nil {
		return err
	}
	if err := unmarshal(after, &a); err != nil {
		return err
	}
	if a.Path != b.Path {
		return fmt.Errorf("IAM role %s: the path cannot change in place", name)
	}
	if !bytes.Equal(a.Trust, b.Trust) {
		if _, err := c.IAM.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(name), PolicyDocument: aws.String(string(a.Trust))}); err != nil {
			return fmt.Errorf("update trust policy of %s: %w", name, err)
		}
	}
	if a.Description != b.Description || a.MaxSessionDuration != b.MaxSessionDuration {
		if _, err := c.IAM.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String(name), Description: aws.String(a.Description), MaxSessionDuration: aws.Int32(a.MaxSessionDuration)}); err != nil {
			return fmt.Errorf("update IAM role %s: %w", name, err)
		}
	}
	changed, removed := tagChanges(b.Tags, a.Tags)
	if len(changed) > 0 {
		if _, err := c.IAM.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String(name), Tags: iamTags(changed)}); err != nil {
			return fmt.Errorf("tag IAM role %s: %w", name, err)
		}
	}
	if len(removed) > 0 {
		if _, err := c.IAM.UntagRole(ctx, &iam.UntagRoleInput{RoleName: aws.String(name), TagKeys: removed}); err != nil {
			return fmt.Errorf("untag IAM role %s: %w", name, err)
		}
	}
	return nil
}

// tagChanges returns the tags to set and the keys to remove to go from
// before to after (tagging only adds or overwrites).
func tagChanges(before, after map[string]string) (map[string]string, []string) {
	changed := map[string]string{}
	for k, v := range after {
		if bv, ok := before[k]; !ok || bv != v {
			changed[k] = v
		}
	}
	var removed []string
	for _, k := range slices.Sorted(maps.Keys(before)) {
		if _, ok := after[k]; !ok {
			removed = append(removed, k)
		}
	}
	return changed, removed
}

func (roleKind) Delete(ctx context.Context, c *Clients, name string, _ Value) error {
	_, err := c.IAM.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(name)})
	if err != nil && !isNotFound(err, "NoSuchEntity") {
		return fmt.Errorf("delete IAM role %s: %w", name, err)
	}
	return nil
}
