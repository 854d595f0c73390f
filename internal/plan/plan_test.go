package plan

import (
	"reflect"
	"testing"

	"github.com/xacct/xacct/internal/config"
	"github.com/xacct/xacct/internal/resource"
	"github.com/xacct/xacct/internal/stack"
)

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
	if again := createAll(desired(t)); !reflect.DeepEqual(p, again) {
		t.Error("two plans of the same inputs differ")
	}
}
