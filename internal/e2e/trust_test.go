package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// TestNotPrincipalIsRefusedInATrustPolicy: IAM refuses NotPrincipal in a
// role trust policy (the IAM User Guide, "AWS JSON policy elements:
// NotPrincipal", key points), on CreateRole and UpdateAssumeRolePolicy.
func TestNotPrincipalIsRefusedInATrustPolicy(t *testing.T) {
	ctx := context.Background()
	prod := orgAdmin(t, prodID)
	name := "np-" + newEnv(t, "").stack
	notPrincipal := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}]}`
	_, err := prod.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(notPrincipal)})
	if errorCode(err) != "MalformedPolicyDocument" || !strings.Contains(err.Error(), "NotPrincipal") {
		t.Fatalf("CreateRole with NotPrincipal: %v", err)
	}
	if _, err := prod.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)}); errorCode(err) != "NoSuchEntity" {
		t.Fatalf("the refused role exists: %v", err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}]}`
	must(prod.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)}))(t)
	defer func() { _, _ = prod.iam.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(name)}) }()
	_, err = prod.iam.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(name), PolicyDocument: aws.String(notPrincipal)})
	if errorCode(err) != "MalformedPolicyDocument" {
		t.Fatalf("UpdateAssumeRolePolicy with NotPrincipal: %v", err)
	}
	got := must(prod.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)}))(t)
	if strings.Contains(aws.ToString(got.Role.AssumeRolePolicyDocument), "NotPrincipal") {
		t.Errorf("the trust policy was replaced: %s", aws.ToString(got.Role.AssumeRolePolicyDocument))
	}
}
