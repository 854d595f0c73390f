package plan

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xacct/xacct/internal/resource"
)

// mixedPlan computes a plan with every action, dependencies, parts and a
// forgotten entry.
func mixedPlan(t *testing.T) *Plan {
	t.Helper()
	w := newWorld(map[string]resource.Value{
		"production/iam_role/app":             mine("old"),
		"development/iam_group/theirs":        val("t"),
		"reporting/iam_group/old":             val("o"),
		"reporting/iam_group_policy/old/p":    val("p"),
		"production/iam_role_policy/app/s3":   val("s3"),
		"production/iam_role_policy/app/gone": val("g"),
	})
	st := stateOf("production/iam_role/app", "reporting/iam_group/old", "reporting/iam_group_policy/old/p",
		"production/iam_role_policy/app/gone", "development/iam_group/forgotten")
	in := input(w, st,
		desire("production/iam_role/app", mine("new")),
		desire("production/iam_role_policy/app/s3", val("s3 new")),
		desire("development/iam_group/theirs", val("mine now")),
		desire("development/iam_group_policy/new/p", val("np")),
		desire("development/iam_group/new", val("n"), "production/iam_role/app"),
	)
	in.Adopt = true
	p, err := Compute(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSaveLoadRoundTrip(t *testing.T) {
	t.Parallel()
	p := mixedPlan(t)
	actions := map[Action]int{}
	for _, c := range p.Changes {
		actions[c.Action]++
	}
	if actions[Create] == 0 || actions[Update] == 0 || actions[Delete] == 0 || actions[Adopt] == 0 || len(p.Forget) == 0 {
		t.Fatalf("the plan to save lacks an action: %v, forget %v", actions, p.Forget)
	}
	path := filepath.Join(t.TempDir(), "plan.json")
	if err := Save(path, p, Provenance{Stack: stackName, Config: "/work/xacct.yaml", InputsDigest: "sha256:inputs", StateLineage: "lineage-1", StateSerial: 7}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("saved plan has mode %v; it holds policies and must be 0600", fi.Mode().Perm())
	}
	saved, got, err := Load(path, fakeKinds(newWorld(nil)))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(p, got, cmpPlan); d != "" {
		t.Errorf("loaded plan (-saved +loaded):\n%s", d)
	}
	if saved.FormatVersion != SavedVersion || saved.Stack != stackName || saved.InputsDigest != "sha256:inputs" ||
		saved.StateLineage != "lineage-1" || saved.StateSerial != 7 || saved.Config != "/work/xacct.yaml" {
		t.Errorf("provenance %d %q %q %q %d not kept", saved.FormatVersion, saved.Stack, saved.InputsDigest, saved.StateLineage, saved.StateSerial)
	}
}

func TestSaveLoadEmptyPlan(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "plan.json")
	if err := Save(path, &Plan{}, Provenance{Stack: stackName, InputsDigest: "d"}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), `"changes": []`) || !strings.Contains(string(b), `"forget": []`) {
		t.Errorf("an empty plan is not saved with empty lists:\n%s", b)
	}
	_, got, err := Load(path, fakeKinds(newWorld(nil)))
	if err != nil {
		t.Fatal(err)
	}
	if !got.Empty() || len(got.Forget) != 0 {
		t.Errorf("loaded %+v, want an empty plan", got)
	}
}

func TestLoadRestoresOrderAndCompactsValues(t *testing.T) {
	t.Parallel()
	// Written by hand, out of order, indented, without the deletes'
	// dependencies: Load orders it and derives those from the parts.
	doc := `{
  "format_version": 1,
  "stack": "acme",
  "changes": [
    {"address": "production/iam_group/old", "action": "delete", "before": {"v": "o"}, "after": null, "depends_on": []},
    {"address": "development/iam_group/b", "action": "create", "before": null,
     "after": {
        "v": "b"
     }, "depends_on": ["production/iam_role/a"]},
    {"address": "production/iam_group_policy/old/p", "action": "delete", "before": {"v": "p"}, "after": null, "depends_on": []},
    {"address": "production/iam_role/a", "action": "create", "before": null, "after": {"v": "a"}, "depends_on": []}
  ],
  "forget": ["reporting/iam_role/f"]
}`
	path := filepath.Join(t.TempDir(), "plan.json")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	_, p, err := Load(path, fakeKinds(newWorld(nil)))
	if err != nil {
		t.Fatal(err)
	}
	wantLines := []string{
		"+ production/iam_role/a",
		"+ development/iam_group/b after production/iam_role/a",
		"- production/iam_group_policy/old/p",
		"- production/iam_group/old after production/iam_group_policy/old/p",
	}
	if d := cmp.Diff(wantLines, lines(p)); d != "" {
		t.Errorf("order (-want +got):\n%s", d)
	}
	if got := string(p.Changes[1].After); got != `{"v":"b"}` {
		t.Errorf("value loaded as %q, want compact JSON", got)
	}
	if p.Changes[0].Before != nil {
		t.Errorf("null before loaded as %q, want nil", p.Changes[0].Before)
	}
	if d := cmp.Diff(addrs("reporting/iam_role/f"), p.Forget); d != "" {
		t.Errorf("forget (-want +got):\n%s", d)
	}
}

func TestLoadRefuses(t *testing.T) {
	t.Parallel()
	change := func(address, action string, dependsOn string) string {
		return `{"format_version": 1, "stack": "acme", "changes": [{"address": "` + address + `", "action": "` + action +
			`", "before": null, "after": {"v": 1}, "depends_on": [` + dependsOn + `]}], "forget": []}`
	}
	tests := []struct {
		name string
		doc  string // "" for no file at all
		want string
	}{
		{"no file", "", "read saved plan"},
		{"not JSON", "plan: yes\n", "is not a saved xacct plan"},
		{"another format version", `{"format_version": 2, "changes": []}`, "has plan format 2; this xacct reads 1"},
		{"no format version", `{"changes": []}`, "has plan format 0"},
		{"unknown kind", change("production/lambda_layer/x", "create", ""), "unknown resource kind lambda_layer"},
		{"unknown action", change("production/iam_role/x", "replace", ""), `production/iam_role/x: unknown action "replace"`},
		{"no-op action", change("production/iam_role/x", "no-op", ""), `unknown action "no-op"`},
		{"bad address", change("iam_role", "create", ""), `"iam_role" is not a resource address`},
		{"bad dependency", change("production/iam_role/x", "create", `"nowhere"`), `"nowhere" is not a resource address`},
		{"bad forget", `{"format_version": 1, "changes": [], "forget": ["x/y"]}`, `"x/y" is not a resource address`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "plan.json")
			if tt.doc != "" {
				if err := os.WriteFile(path, []byte(tt.doc), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			s, p, err := Load(path, fakeKinds(newWorld(nil)))
			if err == nil || s != nil || p != nil {
				t.Fatalf("Load = %v, %v, %v; want an error", s, p, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

func TestLoadRefusesADependencyCycle(t *testing.T) {
	t.Parallel()
	doc := `{"format_version": 1, "changes": [
  {"address": "production/iam_role/a", "action": "create", "after": {"v": "a"}, "depends_on": ["production/iam_role/b"]},
  {"address": "production/iam_role/b", "action": "create", "after": {"v": "b"}, "depends_on": ["production/iam_role/a"]}
], "forget": []}`
	path := filepath.Join(t.TempDir(), "plan.json")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	_, p, err := Load(path, fakeKinds(newWorld(nil)))
	if err == nil || !strings.Contains(err.Error(), "dependency cycle") {
		t.Fatalf("Load = %v, %v; want a dependency cycle error", p, err)
	}
}
