package resource

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

type rolePolicyAPI interface {
	GetRolePolicy(context.Context, *iam.GetRolePolicyInput, ...func(*iam.Options)) (*iam.GetRolePolicyOutput, error)
	PutRolePolicy(context.Context, *iam.PutRolePolicyInput, ...func(*iam.Options)) (*iam.PutRolePolicyOutput, error)
	DeleteRolePolicy(context.Context, *iam.DeleteRolePolicyInput, ...func(*iam.Options)) (*iam.DeleteRolePolicyOutput, error)
}

// rolePolicyKind is an IAM role's inline policies (see inlinePolicyKind).
var rolePolicyKind = inlinePolicyKind{
	parent: "IAM role",
	kind:   "iam_role_policy",
	fromSnapshot: func(d *snapshotData, role, name string) (string, bool, bool) {
		r, _, ok := d.role(role)
		if !ok {
			return "", false, true
		}
		if r == nil {
			return "", false, false
		}
		doc, found := inlineDoc(r.RolePolicyList, name)
		return doc, found, false
	},
	get: func(ctx context.Context, c *Clients, role, name string) (string, error) {
		out, err := c.IAM.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(name)})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.PolicyDocument), nil
	},
	put: func(ctx context.Context, c *Clients, role, name, doc string) error {
		_, err := c.IAM.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(name), PolicyDocument: aws.String(doc)})
		return err
	},
	del: func(ctx context.Context, c *Clients, role, name string) error {
		_, err := c.IAM.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(name)})
		return err
	},
}
