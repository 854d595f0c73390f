package e2e

import (
	"context"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/xacct/xacct/internal/resource"
	"github.com/xacct/xacct/internal/state"
)

// TestSnapshotReadsMatchEachRead: on the sandbox, every IAM resource of a
// deployed stack, after hand edits of everything a value holds (a role's
// description, session length, tags and trust; inline policies; a member;
// attached policies), reads the same from one GetAccountAuthorizationDetails
// (and ListRoles) as from its own Get calls, byte for byte.
func TestSnapshotReadsMatchEachRead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, "")
	e.mustRun("apply", "--auto-approve")
	defer e.run("destroy", "--auto-approve", "--force-delete-data")
	c := e.loadConfig()
	dev, prod := orgAdmin(t, devID), orgAdmin(t, prodID)
	role := c.Groups[0].RoleName
	group := c.Groups[0].GroupName
	user := e.stack + "-alice"
	for _, call := range []func() error{
		func() error {
			_, err := prod.iam.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String(role), Description: aws.String("edited by hand"), MaxSessionDuration: aws.Int32(7200)})
			return err
		},
		func() error {
			_, err := prod.iam.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String(role), Tags: []iamtypes.Tag{{Key: aws.String("owner"), Value: aws.String("a b+c")}}})
			return err
		},
		func() error {
			_, err := prod.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String("extra"),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*","Condition":{"StringLike":{"s3:prefix":"a b+c/*"}}}}`)})
			return err
		},
		func() error {
			_, err := prod.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(role), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")})
			return err
		},
		func() error {
			_, err := dev.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user)})
			return err
		},
		func() error {
			_, err := dev.iam.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String(group), UserName: aws.String(user)})
			return err
		},
		func() error {
			_, err := dev.iam.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String(group), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")})
			return err
		},
	} {
		if err := call(); err != nil {
			t.Fatal(err)
		}
	}
	defer func() {
		_, _ = dev.iam.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String(group), UserName: aws.String(user)})
		_, _ = dev.iam.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(user)})
	}()

	st, err := state.Open(c.State.Path, c.Stack)
	if err != nil {
		t.Fatal(err)
	}
	addrs := map[string][]resource.Address{}
	for _, k := range st.Snapshot().Addresses() {
		a, err := resource.ParseAddress(k)
		if err != nil {
			t.Fatal(err)
		}
		addrs[a.Account] = append(addrs[a.Account], a)
	}
	// The hand-made parts, read as their kinds (not in the state).
	addrs["development"] = append(addrs["development"],
		resource.Address{Account: "development", Kind: "iam_group_membership", Name: group + "/" + user},
		resource.Address{Account: "development", Kind: "iam_group_policy_attachment", Name: group + "/arn:aws:iam::aws:policy/ReadOnlyAccess"})
	addrs["production"] = append(addrs["production"],
		resource.Address{Account: "production", Kind: "iam_role_policy", Name: role + "/extra"},
		resource.Address{Account: "production", Kind: "iam_role_policy_attachment", Name: role + "/arn:aws:iam::aws:policy/ReadOnlyAccess"})
	kinds := resource.AllKinds()
	for account, id := range map[string]string{"development": devID, "production": prodID, "reporting": repID} {
		cfg := orgAdmin(t, id).cfg
		calls := &counting{next: cfg.HTTPClient.(*http.Client).Transport}
		cfg.HTTPClient = &http.Client{Transport: calls}
		cl := resource.NewClients(id, cfg)
		var iamKinds []string
		for _, a := range addrs[account] {
			iamKinds = append(iamKinds, a.Kind)
		}
		// Enough reads for a snapshot, whatever the account holds.
		for len(iamKinds) < resource.SnapshotMin {
			iamKinds = append(iamKinds, "iam_role")
		}
		sc := cl.WithSnapshot(resource.NewIAMSnapshot(append(iamKinds, "iam_group")))
		each := map[resource.Address]resource.Value{}
		for _, a := range addrs[account] {
			if !sc.Snapshot.Serves(a.Kind) {
				continue
			}
			v, err := kinds[a.Kind].Read(ctx, cl, a.Name)
			if err != nil {
				t.Fatalf("%s: %v", a, err)
			}
			if v == nil {
				t.Errorf("%s is absent", a)
			}
			each[a] = v
		}
		before := calls.n.Load()
		for a, want := range each {
			got, err := kinds[a.Kind].Read(ctx, sc, a.Name)
			if err != nil {
				t.Fatalf("%s from the snapshot: %v", a, err)
			}
			if string(got) != string(want) {
				t.Errorf("%s from the snapshot\n  %s\nread on its own\n  %s", a, got, want)
			}
		}
		// One page of details and one of ListRoles, not a read each.
		if n := calls.n.Load() - before; n > 2 {
			t.Errorf("%s: %d requests for %d reads from the snapshot, want at most 2", account, n, len(each))
		}
	}
}
