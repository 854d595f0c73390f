package e2e

import (
	"archive/zip"
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// The second attacker review's classes 1, 2 and 4 (issue 22): requests an
// attacker sends with the SDK, each refused with AWS's error and without
// its side effect, and the allowed variants that must keep working.

// tinyZip is a function package Lambda accepts; it is never run here.
func tinyZip(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w := must(zw.Create("bootstrap"))(t)
	_, _ = w.Write([]byte("#!/bin/sh\n"))
	must(0, zw.Close())(t)
	return buf.Bytes()
}

// lambdaRoleFor creates a Production role Lambda may assume.
func lambdaRoleFor(t *testing.T, prod *client, prefix string) string {
	t.Helper()
	name := uniq(t, prefix)
	must(prod.iam.CreateRole(context.Background(), &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}))(t)
	return "arn:aws:iam::" + prodID + ":role/" + name
}

// TestAttackUpdateFunctionConfigurationNeedsPassRole (class 1): a caller
// who may update a function's configuration but not pass the new role
// cannot swap the function's execution role for an administrator's.
func TestAttackUpdateFunctionConfigurationNeedsPassRole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	prod := orgAdmin(t, prodID)
	execRole := lambdaRoleFor(t, prod, "exec-swap")
	adminRole := lambdaRoleFor(t, prod, "admin-swap")
	must(prod.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(adminRole[strings.LastIndexByte(adminRole, '/')+1:]),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}))(t)
	fn := uniq(t, "swap")
	fnARN := "arn:aws:lambda:" + shared.Region + ":" + prodID + ":function:" + fn
	lc := lambda.NewFromConfig(prod.cfg)
	must(lc.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(fn), Runtime: lambdatypes.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Role: aws.String(execRole), Code: &lambdatypes.FunctionCode{ZipFile: tinyZip(t)}}))(t)
	role := func() string {
		t.Helper()
		return aws.ToString(must(lc.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(fn)}))(t).Role)
	}

	user := uniq(t, "swapper")
	must(prod.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user)}))(t)
	must(prod.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String("configure"), PolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["lambda:UpdateFunctionConfiguration","lambda:GetFunctionConfiguration"],"Resource":"` + fnARN + `"}]}`)}))(t)
	attacker := lambda.NewFromConfig(userKey(t, prod, user).cfg)
	swap := func() error {
		_, err := attacker.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(fn), Role: aws.String(adminRole)})
		return err
	}
	refused := func(t *testing.T) {
		t.Helper()
		err := swap()
		wantCode(t, err, "AccessDeniedException")
		if !strings.Contains(err.Error(), "iam:PassRole") || !strings.Contains(err.Error(), adminRole) {
			t.Errorf("error %v does not name iam:PassRole on %s", err, adminRole)
		}
		if got := role(); got != execRole {
			t.Fatalf("the role was swapped: %s", got)
		}
	}
	passRole := func(cond string) {
		must(prod.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String("pass"), PolicyDocument: aws.String(
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"` + adminRole + `","Condition":` + cond + `}]}`)}))(t)
	}

	t.Run("no PassRole", refused)
	// Other settings without a Role need no PassRole.
	t.Run("no role in the request", func(t *testing.T) {
		must(attacker.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(fn), Description: aws.String("harmless")}))(t)
	})
	passRole(`{"StringEquals":{"iam:PassedToService":"ec2.amazonaws.com"}}`)
	t.Run("PassRole to another service", refused)
	passRole(`{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"},"ArnEquals":{"iam:AssociatedResourceArn":"` + fnARN + `-other"}}`)
	t.Run("PassRole for another function", refused)
	passRole(`{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"},"ArnEquals":{"iam:AssociatedResourceArn":"` + fnARN + `"}}`)
	t.Run("PassRole for this function to Lambda", func(t *testing.T) {
		must(0, swap())(t)
		if got := role(); got != adminRole {
			t.Fatalf("role %s, want %s", got, adminRole)
		}
	})
}
