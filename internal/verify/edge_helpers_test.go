package verify

import (
	"strings"
	"testing"
)

// edgeCase plants what an edge kind needs on the default deployment and
// wants the finding its path leads to, rendered, with a hop of the kind.
type edgeCase struct {
	name  string
	edit  func(inv *Inventory, a map[string]*Account)
	start string
	kind  string // the hop kind the route must take
	want  string
}

func runEdgeCases(t *testing.T, cases []edgeCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, r := plant(t, "", tt.edit)
			wantRoute(t, r, tt.start, tt.want)
			for _, f := range r.Findings {
				if f.Route() != tt.want {
					continue
				}
				for _, h := range f.Path {
					if h.Kind == tt.kind {
						return
					}
				}
				t.Errorf("route %q takes no %q hop: %+v", tt.want, tt.kind, f.Path)
			}
		})
	}
}

func user(acctID, name string, docs ...string) User {
	u := User{Name: name, ARN: "arn:aws:iam::" + acctID + ":user/" + name}
	for i, d := range docs {
		u.Policies = append(u.Policies, Doc{Name: "user " + name + " policy p" + strings.Repeat("'", i), Document: d})
	}
	return u
}
