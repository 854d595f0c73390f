package plan

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xacct/xacct/internal/resource"
)

// TestPlanChecksUsersInOneRead: the members a plan adds must exist; those
// that do not are named (with a user whose name differs only in case), in
// one read of the account: the snapshot's pages when the plan reads enough
// IAM resources for one (no request of its own), else one ListUsers.
func TestPlanChecksUsersInOneRead(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		groups int
		// wantList says the check made its own ListUsers.
		wantList bool
	}{
		{"with the snapshot", 3, false},
		{"without", 1, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clients, f, desired, st := groupsAccount(t, tt.groups)
			f.AddUser("alice")
			f.AddUser("Bob")
			in := Input{Stack: stackName, Desired: desired, State: st, Kinds: resource.AllKinds(), Clients: clients,
				Users: map[string][]string{"development": {"alice", "bob", "carol"}}}
			_, err := Compute(context.Background(), in)
			var mu *MissingUsersError
			if !errors.As(err, &mu) {
				t.Fatalf("err = %v, want a MissingUsersError", err)
			}
			want := []MissingUser{{Name: "bob", Similar: "Bob"}, {Name: "carol"}}
			if d := cmp.Diff(want, mu.Missing); d != "" || mu.Account != "development" {
				t.Errorf("missing (-want +got):\n%s (account %s)", d, mu.Account)
			}
			ops := f.Ops()
			if got := slices.Contains(ops, "ListUsers"); got != tt.wantList || !tt.wantList && slices.Index(ops, "GetAccountAuthorizationDetails") < 0 {
				t.Errorf("ListUsers called: %v, want %v (ops %v)", got, tt.wantList, ops)
			}
			// Users that all exist: a plan, and a destroy never checks.
			in.Users = map[string][]string{"development": {"alice", "Bob"}}
			if _, err := Compute(context.Background(), in); err != nil {
				t.Errorf("with every user present: %v", err)
			}
			in.Users, in.Destroy = map[string][]string{"development": {"nobody"}}, true
			if _, err := Compute(context.Background(), in); err != nil {
				t.Errorf("destroy: %v", err)
			}
		})
	}
}
