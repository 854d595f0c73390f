package verify

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/xacct/xacct/internal/config"
)

// AccessChange is a principal gaining or losing actions on a resource
// between two sets of policies (a plan's before and after).
type AccessChange struct {
	Grants    bool
	Principal string
	Via       string // the session it holds, "" when itself
	Actions   []string
	Resource  string
}

// Delta is who gains and who loses access to the stack's data (and the
// actions that can change it) from the policies before to those after,
// like Access Analyzer's CheckNoNewAccess, offline: the same walk as
// verify over the principals the documents make. The stand-in
// administrators of each account are left out (they reach everything
// either way, and what they gain through the group roles, the members
// gain too).
func Delta(cfg *config.Config, before, after map[string]json.RawMessage) []AccessChange {
	b, a := reachedSet(cfg, FromValues(before)), reachedSet(cfg, FromValues(after))
	type group struct {
		grants              bool
		principal, via, res string
		actions             []string
	}
	groups := map[string]*group{}
	add := func(grants bool, k access) {
		key := fmt.Sprintf("%v|%s|%s|%s", grants, k.principal, k.via, k.resource)
		g := groups[key]
		if g == nil {
			g = &group{grants: grants, principal: k.principal, via: k.via, res: k.resource}
			groups[key] = g
		}
		if !slices.Contains(g.actions, k.action) {
			g.actions = append(g.actions, k.action)
		}
	}
	for k := range a {
		if !b[k] {
			add(true, k)
		}
	}
	for k := range b {
		if !a[k] {
			add(false, k)
		}
	}
	var out []AccessChange
	for _, key := range slices.Sorted(maps.Keys(groups)) {
		g := groups[key]
		sort.Strings(g.actions)
		acts := make([]string, len(g.actions))
		for i, x := range g.actions {
			acts[i] = fmt.Sprintf("%s (%s)", x, accessLevel(x))
		}
		out = append(out, AccessChange{Grants: g.grants, Principal: g.principal, Via: g.via, Actions: acts, Resource: g.res})
	}
	// Grants first, as a reviewer reads them.
	sort.SliceStable(out, func(i, j int) bool { return out[i].Grants && !out[j].Grants })
	return out
}

// access is one allowed request, its resource written as a pattern
// (witness keys shown as *).
type access struct{ principal, via, action, resource string }

func reachedSet(cfg *config.Config, pol Policies) map[access]bool {
	w := newReachWorld(cfg, RenderedInventory(cfg, pol))
	out := map[access]bool{}
	w.each(func(a *node, x reached) {
		if strings.Contains(a.start, standInAdministrator) {
			return
		}
		via := ""
		if len(a.path) > 0 {
			via = a.label
		}
		out[access{principal: a.start, via: via, action: x.action, resource: pattern(x)}] = true
	})
	return out
}

// pattern writes a request's resource as a reader knows it: the witness
// keys that stand for any key as *.
func pattern(x reached) string {
	if x.key == "" {
		return x.resource
	}
	k := x.key
	k = strings.ReplaceAll(k, "xacct-witness.json", "*")
	k = strings.ReplaceAll(k, "xacct-witness", "*")
	k = strings.ReplaceAll(k, "xacct-any", "*")
	return "arn:aws:s3:::" + x.bucket + "/" + k
}
