package plan

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/xacct/xacct/internal/resource"
	"github.com/xacct/xacct/internal/state"
)

// partsKind is a fakeKind whose resources have parts, found in its world
// under parts[addr].
type partsKind struct {
	fakeKind
	parts map[string][]resource.Part
	err   error
}

func (k partsKind) Parts(_ context.Context, c *resource.Clients, name string) ([]resource.Part, error) {
	return k.parts[c.AccountID+"/"+k.name+"/"+name], k.err
}

func TestDeletesRemoveWhatWasAddedOutsideXacct(t *testing.T) {
	t.Parallel()
	w := newWorld(map[string]resource.Value{
		"development/iam_group/Developers":                 val("g"),
		"development/iam_group_policy/Developers/assume":   val("p"),
		"development/iam_group_membership/Developers/bob":  val("m-bob"),
		"development/iam_group_membership/Developers/carl": val("m-carl"),
	})
	kinds := fakeKinds(w)
	kinds["iam_group_membership"] = fakeKind{w: w, name: "iam_group_membership"}
	kinds["iam_group_policy_attachment"] = fakeKind{w: w, name: "iam_group_policy_attachment"}
	groups := partsKind{fakeKind: fakeKind{w: w, name: "iam_group"}, parts: map[string][]resource.Part{
		"development/iam_group/Developers": {
			// Added by xacct (in state): deleted as any resource, not as found.
			{Addr: resource.Address{Kind: "iam_group_membership", Name: "Developers/bob"}, Value: val("m-bob")},
			{Addr: resource.Address{Kind: "iam_group_policy", Name: "Developers/assume"}, Value: val("p")},
			// Added by hand.
			{Addr: resource.Address{Kind: "iam_group_membership", Name: "Developers/carl"}, Value: val("m-carl")},
			{Addr: resource.Address{Kind: "iam_group_policy_attachment", Name: "Developers/arn:aws:iam::aws:policy/ReadOnlyAccess"}, Value: val("a")},
		},
	}}
	kinds["iam_group"] = groups
	st := &state.State{Resources: map[string]*state.Entry{}}
	for _, a := range []string{"development/iam_group/Developers", "development/iam_group_policy/Developers/assume", "development/iam_group_membership/Developers/bob"} {
		x := addr(a)
		st.Resources[a] = &state.Entry{Account: x.Account, Kind: x.Kind, Name: x.Name}
	}
	in := Input{Stack: stackName, State: st, Kinds: kinds, Clients: fakeClients(), Parallelism: 2, Destroy: true}
	p, err := Compute(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	outside := map[string]bool{}
	for _, c := range p.Changes {
		got = append(got, string(c.Action)+" "+c.Addr.String())
		outside[c.Addr.String()] = c.Outside
	}
	want := []string{
		"- development/iam_group_policy_attachment/Developers/arn:aws:iam::aws:policy/ReadOnlyAccess",
		"- development/iam_group_policy/Developers/assume",
		"- development/iam_group_membership/Developers/carl",
		"- development/iam_group_membership/Developers/bob",
		"- development/iam_group/Developers",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for a, o := range outside {
		wantOutside := strings.Contains(a, "carl") || strings.Contains(a, "attachment")
		if o != wantOutside {
			t.Errorf("%s: outside = %v, want %v", a, o, wantOutside)
		}
	}
	// The group's delete waits for every part's.
	for _, c := range p.Changes {
		if c.Addr.Kind == "iam_group" && len(c.DependsOn) != 4 {
			t.Errorf("the group's delete depends on %v, want its four parts", c.DependsOn)
		}
	}

	// A part that cannot be read stops the plan, before any change.
	groups.err = errors.New("AccessDenied: iam:ListAttachedGroupPolicies")
	kinds["iam_group"] = groups
	if _, err := Compute(context.Background(), in); err == nil || !strings.Contains(err.Error(), "development/iam_group/Developers: AccessDenied") {
		t.Errorf("unreadable parts: %v", err)
	}
}

func TestSavedOutsideDeletesRoundTrip(t *testing.T) {
	t.Parallel()
	p := &Plan{Changes: []Change{
		{Addr: addr("development/iam_group_membership/Developers/carl"), Action: Delete, Before: val("m"), Outside: true},
		{Addr: addr("development/iam_group/Developers"), Action: Delete, Before: val("g")},
	}}
	p.Changes = order(p.Changes, true)
	path := t.TempDir() + "/p.plan"
	if err := Save(path, p, Provenance{Stack: stackName}); err != nil {
		t.Fatal(err)
	}
	_, back, err := Load(path, resource.Kinds{"iam_group": fakeKind{}, "iam_group_membership": fakeKind{}})
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Changes) != 2 || !back.Changes[0].Outside || back.Changes[1].Outside {
		t.Errorf("loaded %+v", back.Changes)
	}
}

// TestExclusiveMembersAreDrift: when the config lists a group's members,
// a member added by hand is drift: deleted (Outside, the user kept) by a
// plan that keeps the group; the config's members stay; without the list
// (Exclusive unset) any member is intended.
func TestExclusiveMembersAreDrift(t *testing.T) {
	t.Parallel()
	w := newWorld(map[string]resource.Value{
		"development/iam_group/Developers":                 val("g"),
		"development/iam_group_membership/Developers/bob":  val("m-bob"),
		"development/iam_group_membership/Developers/carl": val("m-carl"),
	})
	kinds := fakeKinds(w)
	kinds["iam_group_membership"] = fakeKind{w: w, name: "iam_group_membership"}
	kinds["iam_group"] = partsKind{fakeKind: fakeKind{w: w, name: "iam_group"}, parts: map[string][]resource.Part{
		"development/iam_group/Developers": {
			{Addr: resource.Address{Kind: "iam_group_membership", Name: "Developers/bob"}, Value: val("m-bob")},
			{Addr: resource.Address{Kind: "iam_group_membership", Name: "Developers/carl"}, Value: val("m-carl")},
			{Addr: resource.Address{Kind: "iam_group_policy_attachment", Name: "Developers/arn:aws:iam::aws:policy/ReadOnlyAccess"}, Value: val("a")},
		},
	}}
	st := &state.State{Resources: map[string]*state.Entry{}}
	for _, a := range []string{"development/iam_group/Developers", "development/iam_group_membership/Developers/bob"} {
		x := addr(a)
		st.Resources[a] = &state.Entry{Account: x.Account, Kind: x.Kind, Name: x.Name}
	}
	desired := []resource.Resource{desire("development/iam_group/Developers", val("g")), desire("development/iam_group_membership/Developers/bob", val("m-bob"))}
	for _, tt := range []struct {
		name      string
		exclusive map[resource.Address][]string
		want      []string
	}{
		{"members listed", map[resource.Address][]string{addr("development/iam_group/Developers"): {"iam_group_membership"}},
			[]string{"- development/iam_group_membership/Developers/carl (outside)"}},
		{"members omitted", nil, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := Input{Stack: stackName, Desired: desired, State: st, Kinds: kinds, Clients: fakeClients(), Parallelism: 2, Exclusive: tt.exclusive}
			p, err := Compute(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range p.Changes {
				s := string(c.Action) + " " + c.Addr.String()
				if c.Outside {
					s += " (outside)"
				}
				got = append(got, s)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
