package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// TestDestroyWithMembersAndPoliciesAddedByHand: real groups get members an
// administrator added, policies someone attached, a function a permission
// someone granted and an event source mapping. destroy shows them, removes them first and finishes; the
// user and the policy are kept.
func TestDestroyWithMembersAndPoliciesAddedByHand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, "")
	e.mustRun("apply", "--auto-approve")
	dev, prod := orgAdmin(t, devID), orgAdmin(t, prodID)
	user := e.stack + "-alice"
	must(dev.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user)}))(t)
	must(dev.iam.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String(e.stack + "-Developers"), UserName: aws.String(user)}))(t)
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}`
	devPol := must(dev.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(e.stack + "-extra"), PolicyDocument: aws.String(doc)}))(t)
	must(dev.iam.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String(e.stack + "-Testers"), PolicyArn: devPol.Policy.Arn}))(t)
	prodPol := must(prod.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(e.stack + "-extra"), PolicyDocument: aws.String(doc)}))(t)
	must(prod.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(e.stack + "-testers"), PolicyArn: prodPol.Policy.Arn}))(t)

	fn := e.stack + "-metadata-processor"
	lc, _ := lambdaClients(t)
	must(lc.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String(fn), StatementId: aws.String("by-hand"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("events.amazonaws.com"), SourceAccount: aws.String(prodID)}))(t)
	esm := must(lc.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String(fn),
		EventSourceArn: aws.String("arn:aws:sqs:" + shared.Region + ":" + prodID + ":" + e.stack + "-queue")}))(t)

	out := e.mustRun("plan", "--detailed-exitcode")
	if !strings.Contains(out, "No changes.") {
		t.Errorf("the hand-made parts of a kept group show in a plan:\n%s", out)
	}
	out = e.mustRun("destroy", "--auto-approve")
	for _, want := range []string{
		"development/iam_group_membership/" + e.stack + "-Developers/" + user + " will be removed (a member added outside xacct: the user is kept)",
		"development/iam_group_policy_attachment/" + e.stack + "-Testers/" + aws.ToString(devPol.Policy.Arn) + " will be removed (attached outside xacct: the policy is kept)",
		"production/iam_role_policy_attachment/" + e.stack + "-testers/" + aws.ToString(prodPol.Policy.Arn) + " will be removed",
		"production/lambda_permission/" + fn + "/by-hand will be removed (a permission added outside xacct)",
		"production/lambda_event_source_mapping/" + fn + "/" + aws.ToString(esm.UUID) + " will be removed (a mapping created outside xacct: its event source is kept)",
		"Destroy complete! Resources: 0 added, 0 changed, 30 destroyed.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("destroy output lacks %q:\n%s", want, out)
		}
	}
	if _, err := dev.iam.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String(e.stack + "-Developers")}); errorCode(err) != "NoSuchEntity" {
		t.Errorf("the group after destroy: %v", err)
	}
	if _, err := dev.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(user)}); err != nil {
		t.Errorf("the user added by hand was deleted: %v", err)
	}
	for _, p := range []struct {
		c   *client
		arn *string
	}{{dev, devPol.Policy.Arn}, {prod, prodPol.Policy.Arn}} {
		if _, err := p.c.iam.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: p.arn}); err != nil {
			t.Errorf("the policy attached by hand was deleted: %v", err)
		}
	}
	if _, err := lc.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: esm.UUID}); errorCode(err) != "ResourceNotFoundException" {
		t.Errorf("the mapping to the destroyed function: %v", err)
	}
	if out := e.mustRun("state", "list"); !strings.HasPrefix(out, "The state holds no resources") {
		t.Errorf("state after destroy:\n%s", out)
	}
}
