package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xacct/xacct/internal/config"
	"github.com/xacct/xacct/internal/golden"
	"github.com/xacct/xacct/internal/operation"
	"github.com/xacct/xacct/internal/plan"
	"github.com/xacct/xacct/internal/resource"
	"github.com/xacct/xacct/internal/stack"
	"github.com/xacct/xacct/internal/state"
)

const viewCfgYAML = `stack: acme-data
region: us-east-1
accounts:
  development: { id: "111111111111" }
  production: { id: "222222222222" }
  reporting: { id: "333333333333" }
production: { bucket: acme-data-prod }
reporting: { bucket: acme-data-reporting }
`

func viewDesired(t *testing.T) []resource.Resource {
	t.Helper()
	c, err := config.Parse([]byte(viewCfgYAML), "xacct.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rs, err := stack.Build(c, "dGVzdA==")
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// absentKind is a kind of which nothing exists yet.
type absentKind struct{ resource.Kind }

func (absentKind) Read(context.Context, *resource.Clients, string) (resource.Value, error) {
	return nil, nil
}

// createAll is the plan for empty accounts.
func createAll(t *testing.T) *plan.Plan {
	t.Helper()
	rs := viewDesired(t)
	kinds := resource.Kinds{}
	for _, r := range rs {
		kinds[r.Addr.Kind] = absentKind{}
	}
	clients := map[string]*resource.Clients{"development": {}, "production": {}, "reporting": {}}
	p, err := plan.Compute(context.Background(), plan.Input{Stack: "acme-data", Desired: rs, State: &state.State{}, Kinds: kinds, Clients: clients, Parallelism: 4})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPlanTextCreateEverything(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := planText(&buf, createAll(t), false); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "plan", "create-all.txt"), buf.Bytes())
}

func TestPlanTextDriftAndDestroy(t *testing.T) {
	t.Parallel()
	var tester resource.Resource
	for _, r := range viewDesired(t) {
		if r.Addr.String() == "production/iam_role_policy/acme-data-testers/s3-access" {
			tester = r
		}
	}
	drifted := bytes.Replace(tester.Desired, []byte(`"s3:GetObject"`), []byte(`"s3:DeleteObject","s3:GetObject"`), 1)
	p := &plan.Plan{Changes: []plan.Change{
		{Addr: tester.Addr, Action: plan.Update, Before: drifted, After: tester.Desired},
		{Addr: resource.Address{Account: "production", Kind: "iam_role", Name: "old-role"}, Action: plan.Delete, Before: []byte(`{"name":"old-role"}`)},
	}}
	var buf bytes.Buffer
	if err := planText(&buf, p, false); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "plan", "drift.txt"), buf.Bytes())
	var colored bytes.Buffer
	_ = planText(&colored, p, true)
	if !strings.Contains(colored.String(), "\x1b[") {
		t.Error("no color on a terminal")
	}
	if strings.Contains(buf.String(), "\x1b[") {
		t.Error("color without a terminal")
	}
}

// TestPlanTextAccessDelta: a config change that gives the testers
// s3:DeleteObject plans with the delta line naming Testers members, the
// action and the bucket, and the statement diff shows just the added
// action; the JSON carries the delta.
func TestPlanTextAccessDelta(t *testing.T) {
	t.Parallel()
	c, err := config.Parse([]byte(viewCfgYAML+"groups:\n  developers: {}\n  testers: { actions: [s3:DeleteObject, s3:GetObject, s3:ListBucket] }\n"), "xacct.yaml")
	if err != nil {
		t.Fatal(err)
	}
	desired, err := stack.Build(c, "dGVzdA==")
	if err != nil {
		t.Fatal(err)
	}
	var before resource.Value
	for _, r := range viewDesired(t) {
		if r.Addr.String() == "production/iam_role_policy/acme-data-testers/s3-access" {
			before = r.Desired
		}
	}
	p := &plan.Plan{}
	for _, r := range desired {
		if r.Addr.String() == "production/iam_role_policy/acme-data-testers/s3-access" {
			p.Changes = append(p.Changes, plan.Change{Addr: r.Addr, Action: plan.Update, Before: before, After: r.Desired})
		}
	}
	p.Access = operation.AccessDelta(c, desired, p)
	var buf bytes.Buffer
	if err := planText(&buf, p, false); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "plan", "testers-delete.txt"), buf.Bytes())
	buf.Reset()
	if err := planJSON(&buf, p); err != nil {
		t.Fatal(err)
	}
	var out struct {
		AccessDelta []plan.AccessChange `json:"access_delta"`
	}
	if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.AccessDelta) == 0 || !out.AccessDelta[0].Grants || out.AccessDelta[0].Actions[0] != "s3:DeleteObject (Write)" {
		t.Errorf("plan --json access_delta = %+v", out.AccessDelta)
	}
}

func TestPlanTextNoChanges(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    *plan.Plan
		want string
	}{
		{"nothing", &plan.Plan{}, "No changes. Your infrastructure matches the configuration.\n"},
		{"gone resources are forgotten", &plan.Plan{Forget: []resource.Address{{Account: "production", Kind: "iam_role", Name: "r"}}},
			"No changes. Your infrastructure matches the configuration.\n\n1 resource(s) in the state no longer exist and will be forgotten by apply.\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			_ = planText(&buf, tt.p, false)
			if buf.String() != tt.want {
				t.Errorf("got %q, want %q", buf.String(), tt.want)
			}
		})
	}
}

func TestPlanTextAdopt(t *testing.T) {
	t.Parallel()
	p := &plan.Plan{Changes: []plan.Change{{Addr: resource.Address{Account: "production", Kind: "s3_bucket", Name: "b"}, Action: plan.Adopt,
		Before: []byte(`{"name":"b","versioning":"Suspended"}`), After: []byte(`{"name":"b","versioning":"Enabled"}`)}}}
	var buf bytes.Buffer
	_ = planText(&buf, p, false)
	for _, want := range []string{"<= adopt production/s3_bucket/b", `~ versioning = "Suspended" -> "Enabled"`, "Plan: 1 to adopt, 0 to add, 0 to change, 0 to destroy."} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("plan text lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestPlanJSONGolden(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := planJSON(&buf, createAll(t)); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "plan", "create-all.json"), buf.Bytes())
	var p jsonPlan
	dec := json.NewDecoder(&buf)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatal(err)
	}
	if p.FormatVersion != 1 || p.Summary.Add != len(p.Changes) || p.Changes[0].Action != "create" || string(p.Changes[0].Before) != "null" {
		t.Errorf("plan JSON = %+v", p)
	}
}

func TestPlanJSONCountsAdoptions(t *testing.T) {
	t.Parallel()
	p := &plan.Plan{Changes: []plan.Change{{Addr: resource.Address{Account: "production", Kind: "s3_bucket", Name: "b"}, Action: plan.Adopt,
		Before: []byte(`{"name":"b"}`), After: []byte(`{"name":"b"}`)}}}
	var buf bytes.Buffer
	if err := planJSON(&buf, p); err != nil {
		t.Fatal(err)
	}
	var got jsonPlan
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Summary.Adopt != 1 || got.Summary.Add != 0 || got.Changes[0].Action != "adopt" {
		t.Errorf("summary %+v, action %q", got.Summary, got.Changes[0].Action)
	}
}

func TestPlanTextNamesWhatWasAddedOutsideXacct(t *testing.T) {
	t.Parallel()
	p := &plan.Plan{Changes: []plan.Change{
		{Addr: resource.Address{Account: "development", Kind: "iam_group_membership", Name: "Developers/alice"}, Action: plan.Delete, Outside: true,
			Before: []byte(`{"group":"Developers","user":"alice"}`)},
		{Addr: resource.Address{Account: "development", Kind: "iam_group_policy_attachment", Name: "Developers/arn:aws:iam::aws:policy/ReadOnlyAccess"}, Action: plan.Delete, Outside: true,
			Before: []byte(`{"parent":"Developers","policy_arn":"arn:aws:iam::aws:policy/ReadOnlyAccess"}`)},
		{Addr: resource.Address{Account: "development", Kind: "iam_group", Name: "Developers"}, Action: plan.Delete, Before: []byte(`{"name":"Developers"}`)},
	}}
	var buf bytes.Buffer
	_ = planText(&buf, p, false)
	for _, want := range []string{
		"# development/iam_group_membership/Developers/alice will be removed (a member added outside xacct: the user is kept)",
		"# development/iam_group_policy_attachment/Developers/arn:aws:iam::aws:policy/ReadOnlyAccess will be removed (attached outside xacct: the policy is kept)",
		"# development/iam_group/Developers will be destroyed",
		"Plan: 0 to add, 0 to change, 3 to destroy.",
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("plan text lacks %q:\n%s", want, buf.String())
		}
	}
}
