package plan

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xacct/xacct/internal/config"
	goldenfile "github.com/xacct/xacct/internal/golden"
	"github.com/xacct/xacct/internal/resource"
	"github.com/xacct/xacct/internal/stack"
)

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), got)
}

const cfgYAML = `stack: acme-data
region: us-east-1
accounts:
  development: { id: "111111111111" }
  production: { id: "222222222222" }
  reporting: { id: "333333333333" }
production: { bucket: acme-data-prod }
reporting: { bucket: acme-data-reporting }
`

func desired(t *testing.T) []resource.Resource {
	t.Helper()
	c, err := config.Parse([]byte(cfgYAML), "xacct.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rs, err := stack.Build(c, "dGVzdA==")
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// createAll is the plan for empty accounts.
func createAll(rs []resource.Resource) *Plan {
	var cs []Change
	for _, r := range rs {
		cs = append(cs, Change{Addr: r.Addr, Action: Create, After: r.Desired, DependsOn: deps(r)})
	}
	return &Plan{Changes: order(cs, false)}
}

func TestTextCreateEverything(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := Text(&buf, createAll(desired(t)), false); err != nil {
		t.Fatal(err)
	}
	golden(t, "create-all.txt", buf.Bytes())
}

func TestTextDriftAndDestroy(t *testing.T) {
	t.Parallel()
	rs := desired(t)
	var tester resource.Resource
	for _, r := range rs {
		if r.Addr.String() == "production/iam_role_policy/acme-data-testers/s3-access" {
			tester = r
		}
	}
	drifted := bytes.Replace(tester.Desired, []byte(`"s3:GetObject"`), []byte(`"s3:DeleteObject","s3:GetObject"`), 1)
	p := &Plan{Changes: []Change{
		{Addr: tester.Addr, Action: Update, Before: drifted, After: tester.Desired},
		{Addr: resource.Address{Account: "production", Kind: "iam_role", Name: "old-role"}, Action: Delete, Before: []byte(`{"name":"old-role"}`)},
	}}
	var buf bytes.Buffer
	if err := Text(&buf, p, false); err != nil {
		t.Fatal(err)
	}
	golden(t, "drift.txt", buf.Bytes())
	var colored bytes.Buffer
	_ = Text(&colored, p, true)
	if !strings.Contains(colored.String(), "\x1b[") {
		t.Error("no color on a terminal")
	}
	if strings.Contains(buf.String(), "\x1b[") {
		t.Error("color without a terminal")
	}
}

func TestTextNoChanges(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	_ = Text(&buf, &Plan{}, false)
	if buf.String() != "No changes. Your infrastructure matches the configuration.\n" {
		t.Errorf("got %q", buf.String())
	}
}

func TestOrderPutsPartsAfterTheirResourceAndDeletesBefore(t *testing.T) {
	t.Parallel()
	p := createAll(desired(t))
	pos := map[string]int{}
	for i, c := range p.Changes {
		pos[c.Addr.String()] = i
	}
	for _, c := range p.Changes {
		if parent, ok := resource.ParentOf(c.Addr); ok && pos[parent.String()] > pos[c.Addr.String()] {
			t.Errorf("%s comes before its parent %s", c.Addr, parent)
		}
	}
	var dels []Change
	for _, c := range p.Changes {
		dels = append(dels, Change{Addr: c.Addr, Action: Delete, Before: c.After})
	}
	ordered := order(dels, true)
	pos = map[string]int{}
	for i, c := range ordered {
		pos[c.Addr.String()] = i
	}
	for _, c := range ordered {
		if parent, ok := resource.ParentOf(c.Addr); ok && pos[parent.String()] < pos[c.Addr.String()] {
			t.Errorf("delete of %s comes before the delete of its part %s", parent, c.Addr)
		}
	}
	// Same inputs, same plan.
	again := createAll(desired(t))
	var a, b bytes.Buffer
	_ = Text(&a, p, false)
	_ = Text(&b, again, false)
	if a.String() != b.String() {
		t.Error("two plans of the same inputs differ")
	}
}

func TestJSONGolden(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := JSON(&buf, createAll(desired(t))); err != nil {
		t.Fatal(err)
	}
	golden(t, "create-all.json", buf.Bytes())
	var p JSONPlan
	dec := json.NewDecoder(&buf)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatal(err)
	}
	if p.FormatVersion != 1 || p.Summary.Add != len(p.Changes) || p.Changes[0].Action != "create" || string(p.Changes[0].Before) != "null" {
		t.Errorf("plan JSON = %+v", p)
	}
}
