package verify

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestHandAddedMember: with members listed in the config, a user added to
// the group by hand reaches the data outside the intent (the finding
// names the user); with members omitted, any member is intended.
func TestHandAddedMember(t *testing.T) {
	t.Parallel()
	addCarl := func(inv *Inventory, a map[string]*Account) {
		a["development"].Users = append(a["development"].Users, User{Name: "carl", ARN: "arn:aws:iam::" + devID + ":user/carl", Groups: []string{"Developers"}})
	}
	const listed = "groups:\n  developers: { members: [alice] }\n  testers: {}\n"
	c, values := rendered(t, base+listed)
	inv := RenderedInventory(c, FromValues(values))
	for i := range inv.Accounts {
		if inv.Accounts[i].Key == "development" {
			addCarl(inv, map[string]*Account{"development": &inv.Accounts[i]})
		}
	}
	r := ComputeReach(c, inv, false)
	wantRoute(t, r, "user carl (development)", "user carl (development) -[sts:AssumeRole]-> role acme-data-developers (production) -[s3:PutObject]-> arn:aws:s3:::acme-data-prod/xacct-witness")
	for _, f := range r.Findings {
		if strings.Contains(f.Principal, "alice") {
			t.Errorf("a listed member is a finding: %s", f.Route())
		}
	}
	// Omitted: the default config lists no members, and carl is anyone's.
	_, r = plant(t, "", addCarl)
	for _, f := range r.Findings {
		t.Errorf("members omitted, yet a finding: %s", f.Route())
	}
}

// TestDeltaNamesMembers: the access delta of a plan that removes a member
// added by hand, or adds one the config lists, names the user.
func TestDeltaNamesMembers(t *testing.T) {
	t.Parallel()
	c, before := rendered(t, base+"groups:\n  developers: { members: [alice] }\n  testers: {}\n")
	_, after := rendered(t, base+"groups:\n  developers: { members: [alice, bob] }\n  testers: {}\n")
	withCarl := map[string]json.RawMessage{"development/iam_group_membership/Developers/carl": json.RawMessage(`{"group":"Developers","user":"carl"}`)}
	for k, v := range before {
		withCarl[k] = v
	}
	removes := describeChanges(Delta(c, withCarl, before))
	if want := "removes: user carl (development) via \"role acme-data-developers (production)\": s3:GetObject (Read), s3:PutObject (Write) on arn:aws:s3:::acme-data-prod/*\n"; removes != want {
		t.Errorf("removing a hand-added member:\n%s\nwant:\n%s", removes, want)
	}
	grants := describeChanges(Delta(c, before, after))
	if want := "grants: user bob (development) via \"role acme-data-developers (production)\": s3:GetObject (Read), s3:PutObject (Write) on arn:aws:s3:::acme-data-prod/*\n"; grants != want {
		t.Errorf("adding a listed member:\n%s\nwant:\n%s", grants, want)
	}
}
