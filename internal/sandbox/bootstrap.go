package sandbox

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/xacct/xacct/internal/awserr"
)

// adminUserName is the management account's administrator.
const adminUserName = "xacct-sandbox-admin"

// bootstrap makes the organization: an administrator with an access key in
// the management account, and in each member account its admin role with
// AdministratorAccess, trusting the management account. It is idempotent, so
// a sandbox restarted on the same data dir keeps its keys.
func (sb *Sandbox) bootstrap(ctx context.Context) error {
	mg := sb.accounts[sb.ManagementAccount]
	if _, err := mg.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(adminUserName)}); err != nil {
		if _, err := mg.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(adminUserName)}); err != nil {
			return fmt.Errorf("create %s: %w", adminUserName, err)
		}
	}
	var key *credential
	err := sb.st.update(func() error {
		as := sb.st.account(mg.id)
		as.UserPolicies[adminUserName] = map[string]string{"AdministratorAccess": adminPolicy}
		for _, c := range sb.st.Creds {
			if c.Principal.Kind == "user" && c.Principal.Account == mg.id && c.Principal.UserName == adminUserName {
				key = c
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if key == nil {
		out, err := mg.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(adminUserName)})
		if err != nil {
			return fmt.Errorf("create access key for %s: %w", adminUserName, err)
		}
		u, err := mg.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(adminUserName)})
		if err != nil {
			return err
		}
		key = &credential{
			AccessKey: aws.ToString(out.AccessKey.AccessKeyId),
			Secret:    aws.ToString(out.AccessKey.SecretAccessKey),
			Principal: principal{
				Account:  mg.id,
				ARN:      "arn:aws:iam::" + mg.id + ":user/" + adminUserName,
				Kind:     "user",
				UserName: adminUserName,
				UserID:   awsID(aws.ToString(u.User.UserId)),
			},
		}
		if err := sb.st.update(func() error { sb.st.Creds[key.AccessKey] = key; return nil }); err != nil {
			return err
		}
	}
	sb.AdminKey, sb.AdminSecret = key.AccessKey, key.Secret

	trust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":"sts:AssumeRole"}]}`, mg.id)
	for _, a := range sb.Accounts {
		b := sb.accounts[a.ID]
		if _, err := b.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(a.AdminRoleName)}); err != nil {
			if _, err := b.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(a.AdminRoleName), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
				return fmt.Errorf("create %s in %s account: %w", a.AdminRoleName, a.Name, err)
			}
		}
		// Organizations attaches the AWS-managed AdministratorAccess; a data
		// dir from before the sandbox knew it has an inline copy instead.
		if _, err := b.iam.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(a.AdminRoleName),
			PolicyName: aws.String("AdministratorAccess")}); err != nil && !awserr.Is(err, "NoSuchEntity") {
			return fmt.Errorf("old inline admin policy of %s in %s account: %w", a.AdminRoleName, a.Name, err)
		}
		err := sb.st.update(func() error {
			as := sb.st.account(a.ID)
			if !slices.Contains(as.RoleAttached[a.AdminRoleName], administratorAccessARN) {
				as.RoleAttached[a.AdminRoleName] = append(as.RoleAttached[a.AdminRoleName], administratorAccessARN)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("attach AdministratorAccess to %s in %s account: %w", a.AdminRoleName, a.Name, err)
		}
	}
	return nil
}

const administratorAccessARN = "arn:aws:iam::aws:policy/AdministratorAccess"
