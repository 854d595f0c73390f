package plan

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/google/go-cmp/cmp"

	"github.com/xacct/xacct/internal/resource"
	"github.com/xacct/xacct/internal/resource/resourcetest"
	"github.com/xacct/xacct/internal/state"
)

// groupsAccount is a development account with n groups, each with an
// inline policy, all in the state; desired are their values as each
// resource reads.
func groupsAccount(t *testing.T, n int) (map[string]*resource.Clients, *resourcetest.Fake, []resource.Resource, *state.State) {
	t.Helper()
	ctx := context.Background()
	c, f := resourcetest.New("development", "us-east-1")
	kinds := resource.AllKinds()
	st := &state.State{Version: state.Version, Stack: stackName, Resources: map[string]*state.Entry{}}
	var desired []resource.Resource
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::222222222222:role/r"}]}`
	for i := range n {
		g := fmt.Sprintf("G%02d", i)
		if err := kinds["iam_group"].Create(ctx, c, g, []byte(`{"name":"`+g+`","path":"/"}`)); err != nil {
			t.Fatal(err)
		}
		if _, err := c.IAM.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String(g), PolicyName: aws.String("assume"), PolicyDocument: aws.String(doc)}); err != nil {
			t.Fatal(err)
		}
		for _, a := range []resource.Address{{Account: "development", Kind: "iam_group", Name: g}, {Account: "development", Kind: "iam_group_policy", Name: g + "/assume"}} {
			v, err := kinds[a.Kind].Read(ctx, c, a.Name)
			if err != nil {
				t.Fatal(err)
			}
			desired = append(desired, resource.Resource{Addr: a, Desired: v})
			st.Resources[a.String()] = &state.Entry{Kind: a.Kind, Account: a.Account, Name: a.Name, Value: v}
		}
	}
	return map[string]*resource.Clients{"development": c}, f, desired, st
}

// TestPlanReadsManyGroupsAtOnce: a plan of fifty groups reads them with the
// pages of one GetAccountAuthorizationDetails, finds nothing to do, and a
// destroy plan of them (with a member and a policy added by hand) is the
// one that reading each resource gives.
func TestPlanReadsManyGroupsAtOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name    string
		groups  int
		wantOps []string
	}{
		{name: "two groups: each read", groups: 2, wantOps: []string{"GetGroup", "GetGroupPolicy"}},
		{name: "fifty groups: one snapshot", groups: 50, wantOps: []string{"GetAccountAuthorizationDetails"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clients, f, desired, st := groupsAccount(t, tt.groups)
			in := Input{Stack: stackName, Desired: desired, State: st, Kinds: resource.AllKinds(), Clients: clients, Parallelism: 4}
			n := len(f.Calls())
			p, err := Compute(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			if !p.Empty() {
				t.Errorf("plan of what exists as desired: %+v", p.Changes)
			}
			ops := f.Ops()[n:]
			slices.Sort(ops)
			if got := slices.Compact(ops); !slices.Equal(got, tt.wantOps) {
				t.Errorf("the plan called %q, want only %q", got, tt.wantOps)
			}

			// Parts made by hand, then a destroy plan: from the snapshot
			// and with the snapshot refused, the same changes.
			f.AddUser("alice")
			if _, err := clients["development"].IAM.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("G01"), UserName: aws.String("alice")}); err != nil {
				t.Fatal(err)
			}
			in.Destroy = true
			batched, err := Compute(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			f.FailNext("GetAccountAuthorizationDetails", resourcetest.APIError("AccessDenied", "denied"))
			each, err := Compute(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(each, batched); d != "" {
				t.Errorf("destroy plan from the snapshot differs from reading each resource (-each +snapshot):\n%s", d)
			}
			if _, _, destroy := batched.Counts(); destroy != 2*tt.groups+1 {
				t.Errorf("destroy plan deletes %d, want %d (the groups, their policies and the member added by hand)", destroy, 2*tt.groups+1)
			}
		})
	}
}
