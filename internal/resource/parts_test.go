package resource_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/xacct/xacct/internal/resource"
	"github.com/xacct/xacct/internal/resource/resourcetest"
)

const readOnly = "arn:aws:iam::aws:policy/ReadOnlyAccess"

// TestPartsMadeOutsideXacct: what someone added to a group or role by hand
// is found, and removing those parts lets the group and role be deleted.
func TestPartsMadeOutsideXacct(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, f := resourcetest.New(devAccount, region)
	f.AddUser("alice")
	f.AttachPolicy(readOnly)
	kinds := resource.AllKinds()
	if err := kinds["iam_group"].Create(ctx, c, "Developers", []byte(`{"name":"Developers","path":"/"}`)); err != nil {
		t.Fatal(err)
	}
	if err := kinds["iam_role"].Create(ctx, c, roleName, value(t, roleValue(t))); err != nil {
		t.Fatal(err)
	}
	for _, call := range []func() error{
		func() error {
			_, err := c.IAM.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("Developers"), UserName: aws.String("alice")})
			return err
		},
		func() error {
			_, err := c.IAM.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("Developers"), PolicyName: aws.String("extra"),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}`)})
			return err
		},
		func() error {
			return kinds["iam_group_policy_attachment"].Create(ctx, c, "Developers/"+readOnly, nil)
		},
		func() error {
			return kinds["iam_role_policy_attachment"].Create(ctx, c, roleName+"/"+readOnly, nil)
		},
	} {
		if err := call(); err != nil {
			t.Fatal(err)
		}
	}
	if err := kinds["iam_group"].Delete(ctx, c, "Developers", nil); err == nil {
		t.Fatal("a group with members and policies was deleted")
	}

	groupParts, err := kinds["iam_group"].(resource.PartsFinder).Parts(ctx, c, "Developers")
	if err != nil {
		t.Fatal(err)
	}
	roleParts, err := kinds["iam_role"].(resource.PartsFinder).Parts(ctx, c, roleName)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"iam_group_membership/Developers/alice",
		"iam_group_policy/Developers/extra",
		"iam_group_policy_attachment/Developers/" + readOnly,
		"iam_role_policy_attachment/" + roleName + "/" + readOnly,
	}
	var got []string
	for _, p := range append(groupParts, roleParts...) {
		got = append(got, p.Addr.Kind+"/"+p.Addr.Name)
		// Each part reads back as what Parts found: the planner compares.
		v, err := kinds[p.Addr.Kind].Read(ctx, c, p.Addr.Name)
		if err != nil || string(v) != string(p.Value) {
			t.Errorf("%s reads %s, %v; Parts said %s", p.Addr.Name, v, err, p.Value)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("parts = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("part %d = %s, want %s", i, got[i], want[i])
		}
	}
	for _, p := range append(groupParts, roleParts...) {
		if err := kinds[p.Addr.Kind].Delete(ctx, c, p.Addr.Name, p.Value); err != nil {
			t.Fatal(err)
		}
		if err := kinds[p.Addr.Kind].Delete(ctx, c, p.Addr.Name, p.Value); err != nil {
			t.Errorf("second delete of %s: %v", p.Addr.Name, err)
		}
	}
	if err := kinds["iam_group"].Delete(ctx, c, "Developers", nil); err != nil {
		t.Errorf("delete the emptied group: %v", err)
	}
	if err := kinds["iam_role"].Delete(ctx, c, roleName, nil); err != nil {
		t.Errorf("delete the emptied role: %v", err)
	}
	for _, op := range f.Ops() {
		if op == "DeleteUser" || op == "DeletePolicy" {
			t.Errorf("%s called: users and policies are never deleted", op)
		}
	}
	if parts, err := kinds["iam_group"].(resource.PartsFinder).Parts(ctx, c, "Developers"); err != nil || parts != nil {
		t.Errorf("parts of a deleted group: %v, %v", parts, err)
	}
	if parts, err := kinds["iam_role"].(resource.PartsFinder).Parts(ctx, c, roleName); err != nil || parts != nil {
		t.Errorf("parts of a deleted role: %v, %v", parts, err)
	}
}

func TestAttachmentKind(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, f := resourcetest.New(devAccount, region)
	f.AttachPolicy(readOnly)
	k := resource.AllKinds()["iam_group_policy_attachment"]
	if err := resource.AllKinds()["iam_group"].Create(ctx, c, "Testers", []byte(`{"name":"Testers","path":"/"}`)); err != nil {
		t.Fatal(err)
	}
	name := "Testers/" + readOnly
	if v, err := k.Read(ctx, c, name); err != nil || v != nil {
		t.Fatalf("Read before attaching = %s, %v", v, err)
	}
	if err := k.Create(ctx, c, name, nil); err != nil {
		t.Fatal(err)
	}
	wantValue(t, c, "iam_group_policy_attachment", name, []byte(`{"parent":"Testers","policy_arn":"`+readOnly+`"}`))
	if err := k.Update(ctx, c, name, nil, nil); err == nil {
		t.Error("an attachment was updated in place")
	}
	if err := k.Create(ctx, c, "Testers/arn:aws:iam::aws:policy/Nope", nil); err == nil {
		t.Error("a policy that does not exist was attached")
	}
	if v, err := k.Read(ctx, c, "Nobody/"+readOnly); err != nil || v != nil {
		t.Errorf("Read of an absent group's attachment = %s, %v", v, err)
	}
	if _, err := k.Read(ctx, c, "no-slash"); err == nil {
		t.Error("a name without PARENT/ARN was read")
	}
}
