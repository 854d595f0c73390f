// Package plan compares the desired resources with what really exists and
// orders the changes that converge one on the other. Computing a plan only
// reads; the same inputs give the same plan, byte for byte.
package plan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/xacct/xacct/internal/resource"
	"github.com/xacct/xacct/internal/state"
)

// Action is what a change does.
type Action rune

// The actions.
const (
	NoOp   Action = 0
	Create Action = '+'
	Update Action = '~'
	Delete Action = '-'
	// Adopt takes over an existing resource (apply --adopt): recorded in
	// the state and brought to the desired value in place.
	Adopt Action = '<'
)

// Change is one resource's change.
//
//	Action  Before             After
//	Create  nil                desired value
//	Update  actual value       desired value
//	Delete  actual value       nil
//	Adopt   actual value       desired value
type Change struct {
	Addr   resource.Address
	Action Action
	Before resource.Value
	After  resource.Value
	// DependsOn are the changes that must finish first.
	DependsOn []resource.Address
	// Outside marks the delete of a part someone made outside xacct (a
	// member added by hand, a policy attached by hand) that its resource
	// cannot be deleted with: only the part goes, never the user or the
	// policy itself.
	Outside bool
}

// Plan is an ordered list of changes (no-ops left out), the state entries
// whose resources are already gone, which applying forgets, and the
// entries whose creation was interrupted but whose resources exist as
// desired, which applying records.
type Plan struct {
	Changes []Change
	Forget  []resource.Address
	// Keep are resources the plan would have deleted that stay in AWS
	// and leave the state (a log bucket that holds logs: the record of
	// what happened outlives the stack).
	Keep []Kept
	// Confirm are no-op changes (Before = After = the value read) of state
	// entries still marked pending.
	Confirm []Change
	// Access is who gains or loses access to the data by the changes,
	// evaluated offline on the policies before and after (filled by the
	// caller that can evaluate them; not part of a saved plan's trust).
	Access []AccessChange `json:",omitempty"`
	// DriftBy says who made the updates of resources changed outside
	// xacct, when the logs hold it; DriftNote says in a line why it is
	// not known when the logs could not be read. Neither is part of a
	// saved plan.
	DriftBy   map[resource.Address]Attribution `json:"-"`
	DriftNote string                           `json:"-"`
}

// Attribution is who made a change, read from the trails' logs.
type Attribution struct {
	Who     string    `json:"who"`
	ARN     string    `json:"arn,omitempty"`
	Time    time.Time `json:"time"`
	Action  string    `json:"action"`
	EventID string    `json:"event_id"`
}

// Kept is a resource a plan keeps instead of deleting, and why.
type Kept struct {
	Addr   resource.Address
	Reason string
}

// AccessChange is a principal gaining (Grants) or losing actions on a
// resource, through a path (Via: the session it holds, "" for itself).
type AccessChange struct {
	Grants    bool     `json:"grants"`
	Principal string   `json:"principal"`
	Via       string   `json:"via,omitempty"`
	Actions   []string `json:"actions"`
	Resource  string   `json:"resource"`
}

// Counts returns how many resources the plan adds, changes and destroys.
func (p *Plan) Counts() (add, change, destroy int) {
	for _, c := range p.Changes {
		switch c.Action {
		case Create:
			add++
		case Update:
			change++
		case Delete:
			destroy++
		case Adopt, NoOp:
		}
	}
	return
}

// Adopted counts the resources the plan takes over.
func (p *Plan) Adopted() int {
	n := 0
	for _, c := range p.Changes {
		if c.Action == Adopt {
			n++
		}
	}
	return n
}

// Empty reports whether applying the plan would change nothing in AWS.
func (p *Plan) Empty() bool { return len(p.Changes) == 0 }

// KeepChange takes the deletion of addr out of the plan: the resource stays
// and apply forgets it. It reports whether the plan deleted addr.
func (p *Plan) KeepChange(addr resource.Address, reason string) bool {
	for i, c := range p.Changes {
		if c.Addr != addr || c.Action != Delete {
			continue
		}
		p.Changes = slices.Delete(p.Changes, i, i+1)
		for j := range p.Changes {
			p.Changes[j].DependsOn = slices.DeleteFunc(slices.Clone(p.Changes[j].DependsOn), func(a resource.Address) bool { return a == addr })
		}
		p.Keep = append(p.Keep, Kept{Addr: addr, Reason: reason})
		return true
	}
	return false
}

// Input is what a plan is computed from.
type Input struct {
	Stack   string
	Desired []resource.Resource
	State   *state.State
	// Kinds reads each kind of resource.
	Kinds resource.Kinds
	// Clients by account name (development, production, reporting).
	Clients     map[string]*resource.Clients
	Parallelism int
	// Destroy plans the deletion of everything the state holds.
	Destroy bool
	// Adopt takes over existing resources with the config's names that
	// xacct does not own, instead of refusing them.
	Adopt bool
	// Users are the IAM users that must exist, by account (the members
	// the plan adds to groups: xacct never creates users). Checked with
	// one listing per account, before any change is planned.
	Users map[string][]string
	// Exclusive are resources whose parts of the kinds given are exactly
	// the desired ones (a group whose config lists its members): any other
	// such part is drift, deleted (Outside) like a part of a resource
	// being deleted.
	Exclusive map[resource.Address][]string
}

// MissingUsersError is the users a plan needs that do not exist.
type MissingUsersError struct {
	Account   string // the account's name
	AccountID string
	Missing   []MissingUser
}

// MissingUser is a user that does not exist, and one that does whose name
// differs only in case (IAM user names are unique without case, but the
// membership names the user as written).
type MissingUser struct {
	Name    string
	Similar string
}

func (e *MissingUsersError) Error() string {
	names := make([]string, len(e.Missing))
	for i, m := range e.Missing {
		names[i] = m.Name
	}
	return fmt.Sprintf("these users do not exist in the %s account %s: %s", e.Account, e.AccountID, strings.Join(names, ", "))
}

// checkUsers returns a *MissingUsersError for the users of in.Users that
// do not exist.
func checkUsers(ctx context.Context, in Input) error {
	var errs []error
	for _, account := range slices.Sorted(maps.Keys(in.Users)) {
		want := in.Users[account]
		c := in.Clients[account]
		if len(want) == 0 || c == nil {
			continue
		}
		have, err := resource.UserNames(ctx, c)
		if err != nil {
			return err
		}
		exact, folded := map[string]bool{}, map[string]string{}
		for _, u := range have {
			exact[u], folded[strings.ToLower(u)] = true, u
		}
		e := &MissingUsersError{Account: account, AccountID: c.AccountID}
		for _, u := range want {
			if !exact[u] {
				e.Missing = append(e.Missing, MissingUser{Name: u, Similar: folded[strings.ToLower(u)]})
			}
		}
		if len(e.Missing) > 0 {
			errs = append(errs, e)
		}
	}
	return errors.Join(errs...)
}

// OwnershipError is a resource that exists in AWS but that xacct does not
// own: not in state and not tagged for this stack.
type OwnershipError struct {
	Addr  resource.Address
	Stack string
	// Tagged says whether the kind carries tags (then tagging it adopts it).
	Tagged bool
}

func (e *OwnershipError) Error() string {
	msg := fmt.Sprintf("%s already exists and xacct does not manage it (it is not in this stack's state", e.Addr)
	if e.Tagged {
		return msg + fmt.Sprintf(" and not tagged %s=%s); xacct will not take it over silently. To adopt it as it is, tag it %s=%s "+
			"and run plan again, or take it over with xacct apply --adopt (the plan shows what would change on it); otherwise delete or rename it, or choose another name in the config",
			resource.TagStack, e.Stack, resource.TagStack, e.Stack)
	}
	return msg + "); this kind of resource carries no tags, so xacct cannot tell it was meant for this stack and will not take it over silently: " +
		"take it over with xacct apply --adopt, delete or rename it, or choose another name in the config"
}

// Compute reads every resource of desired ∪ state (concurrently) and returns
// the changes.
func Compute(ctx context.Context, in Input) (*Plan, error) {
	desired := map[string]resource.Resource{}
	if !in.Destroy {
		for _, r := range in.Desired {
			desired[r.Addr.String()] = r
		}
	}
	addrs := map[string]resource.Address{}
	for k, r := range desired {
		addrs[k] = r.Addr
	}
	for k, e := range in.State.Resources {
		addrs[k] = resource.Address{Account: e.Account, Kind: e.Kind, Name: e.Name}
	}
	// One snapshot per account serves the reads below and the parts of
	// what is deleted.
	in.Clients = snapshotClients(in.Clients, addrs)
	actual, err := readAll(ctx, in, addrs)
	if err != nil {
		return nil, err
	}
	// After the reads: the snapshot they loaded lists the users too.
	if !in.Destroy {
		if err := checkUsers(ctx, in); err != nil {
			return nil, err
		}
	}

	p := &Plan{}
	var errs []error
	var creates, deletes []Change
	for _, k := range slices.Sorted(maps.Keys(addrs)) {
		a := addrs[k]
		r, want := desired[k]
		_, inState := in.State.Resources[k]
		before := actual[k]
		switch {
		case want && before == nil:
			creates = append(creates, Change{Addr: a, Action: Create, After: r.Desired, DependsOn: deps(r)})
		case want:
			if !inState && !owned(in, a, before) {
				if in.Adopt {
					creates = append(creates, Change{Addr: a, Action: Adopt, Before: before, After: r.Desired, DependsOn: deps(r)})
					continue
				}
				errs = append(errs, &OwnershipError{Addr: a, Stack: in.Stack, Tagged: in.Kinds[a.Kind].Tagged()})
				continue
			}
			if !bytes.Equal(before, r.Desired) {
				creates = append(creates, Change{Addr: a, Action: Update, Before: before, After: r.Desired, DependsOn: deps(r)})
			} else if e := in.State.Resources[k]; inState && e.Pending {
				p.Confirm = append(p.Confirm, Change{Addr: a, Before: before, After: before})
			}
		case before != nil:
			deletes = append(deletes, Change{Addr: a, Action: Delete, Before: before})
		default:
			p.Forget = append(p.Forget, a)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	found, err := outsideParts(ctx, in, deletes, addrs)
	if err != nil {
		return nil, err
	}
	deletes = append(deletes, found...)
	if !in.Destroy {
		drift, err := exclusiveParts(ctx, in, actual, addrs)
		if err != nil {
			return nil, err
		}
		deletes = append(deletes, drift...)
	}
	if p.Changes, err = orderAll(creates, deletes); err != nil {
		return nil, err
	}
	return p, nil
}

// orderAll orders the creates, then the deletes. order leaves out the changes
// on a dependency cycle, which can never be applied: an error, not a plan
// that silently lacks them.
func orderAll(creates, deletes []Change) ([]Change, error) {
	out := append(order(creates, false), order(deletes, true)...)
	if len(out) == len(creates)+len(deletes) {
		return out, nil
	}
	placed := map[resource.Address]bool{}
	for _, c := range out {
		placed[c.Addr] = true
	}
	var stuck []string
	for _, c := range slices.Concat(creates, deletes) {
		if !placed[c.Addr] {
			stuck = append(stuck, c.Addr.String())
		}
	}
	sort.Strings(stuck)
	return nil, fmt.Errorf("dependency cycle among %s", strings.Join(stuck, ", "))
}

// outsideParts reads, for every resource about to be deleted, the parts
// AWS would refuse its deletion over (resource.PartsFinder) that neither
// the config nor the state knows, and returns their deletes, so that an
// obstacle xacct can read is dealt with before the first change rather than
// half-way.
func outsideParts(ctx context.Context, in Input, deletes []Change, known map[string]resource.Address) ([]Change, error) {
	n := in.Parallelism
	if n <= 0 {
		n = 10
	}
	found := make([][]Change, len(deletes))
	errs := make([]error, len(deletes))
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for i, d := range deletes {
		pf, ok := in.Kinds[d.Addr.Kind].(resource.PartsFinder)
		if !ok {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := in.Clients[d.Addr.Account]
			if c.Snapshot.Serves(d.Addr.Kind) {
				_ = c.Snapshot.Load(ctx, c)
			}
			sem <- struct{}{}
			defer func() { <-sem }()
			found[i], errs[i] = partsOf(ctx, in, pf, c, d, known)
		}()
	}
	wg.Wait()
	return slices.Concat(found...), errors.Join(errs...)
}

// exclusiveParts reads the parts of every existing in.Exclusive resource
// and returns the deletes of those of its exclusive kinds that the config
// does not make (a member added to the group by hand).
func exclusiveParts(ctx context.Context, in Input, actual map[string]resource.Value, known map[string]resource.Address) ([]Change, error) {
	var out []Change
	var errs []error
	for _, a := range slices.SortedFunc(maps.Keys(in.Exclusive), func(x, y resource.Address) int { return strings.Compare(x.String(), y.String()) }) {
		pf, ok := in.Kinds[a.Kind].(resource.PartsFinder)
		if !ok || actual[a.String()] == nil {
			continue
		}
		parts, err := resource.FindParts(ctx, pf, in.Clients[a.Account], a.Name)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", a, err))
			continue
		}
		for _, part := range parts {
			pa := part.Addr
			pa.Account = a.Account
			if _, ok := known[pa.String()]; ok || !slices.Contains(in.Exclusive[a], pa.Kind) {
				continue
			}
			out = append(out, Change{Addr: pa, Action: Delete, Before: part.Value, Outside: true})
		}
	}
	return out, errors.Join(errs...)
}

// partsOf returns the deletes of the parts of d that neither the config nor
// the state knows.
func partsOf(ctx context.Context, in Input, pf resource.PartsFinder, c *resource.Clients, d Change, known map[string]resource.Address) ([]Change, error) {
	parts, err := resource.FindParts(ctx, pf, c, d.Addr.Name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.Addr, err)
	}
	var out []Change
	var errs []error
	for _, part := range parts {
		a := part.Addr
		a.Account = d.Addr.Account
		if _, ok := known[a.String()]; ok {
			continue
		}
		if _, ok := in.Kinds[a.Kind]; !ok {
			errs = append(errs, fmt.Errorf("%s: part %s of an unknown kind", d.Addr, a))
			continue
		}
		out = append(out, Change{Addr: a, Action: Delete, Before: part.Value, Outside: true})
	}
	return out, errors.Join(errs...)
}

// owned reports whether an existing resource that is not in state is this
// stack's anyway: tagged for it, or (for kinds without tags) a part of a
// resource that is in state.
func owned(in Input, a resource.Address, v resource.Value) bool {
	if in.Kinds[a.Kind].Tagged() {
		return resource.TagsOf(v)[resource.TagStack] == in.Stack
	}
	if parent, ok := resource.ParentOf(a); ok {
		_, inState := in.State.Resources[parent.String()]
		return inState
	}
	return false
}

func deps(r resource.Resource) []resource.Address {
	out := append([]resource.Address(nil), r.DependsOn...)
	if p, ok := resource.ParentOf(r.Addr); ok {
		found := false
		for _, d := range out {
			found = found || d == p
		}
		if !found {
			out = append(out, p)
		}
	}
	return out
}

// readAll reads the resources, each account's with bounded parallelism
// (the accounts' reads overlap). An account that holds enough IAM
// resources to read gets one resource.IAMSnapshot for all of them, read
// while the other resources are, instead of one request per resource.
func readAll(ctx context.Context, in Input, addrs map[string]resource.Address) (map[string]resource.Value, error) {
	n := in.Parallelism
	if n <= 0 {
		n = 10
	}
	clients := snapshotClients(in.Clients, addrs)
	sems := map[string]chan struct{}{}
	var mu sync.Mutex
	out := map[string]resource.Value{}
	var errs []error
	var wg sync.WaitGroup
	for _, k := range slices.Sorted(maps.Keys(addrs)) {
		a := addrs[k]
		kind, ok := in.Kinds[a.Kind]
		c := clients[a.Account]
		if !ok || c == nil {
			// Reads started above append to errs too.
			mu.Lock()
			errs = append(errs, fmt.Errorf("%s: unknown resource kind or account", a))
			mu.Unlock()
			continue
		}
		sem := sems[a.Account]
		if sem == nil {
			sem = make(chan struct{}, n)
			sems[a.Account] = sem
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if c.Snapshot.Serves(a.Kind) {
				// Waits for the account's snapshot without taking a
				// slot: its reads then make no request. Its error, if
				// any, is the read's.
				_ = c.Snapshot.Load(ctx, c)
			}
			sem <- struct{}{}
			defer func() { <-sem }()
			v, err := kind.Read(ctx, c, a.Name)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", a, err))
				return
			}
			out[k] = v
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// snapshotClients returns the clients by account, each account that reads
// enough IAM resources with a new snapshot (a copy: apply's reads, after
// its own changes, go to each resource).
func snapshotClients(clients map[string]*resource.Clients, addrs map[string]resource.Address) map[string]*resource.Clients {
	kinds := map[string][]string{}
	for _, a := range addrs {
		kinds[a.Account] = append(kinds[a.Account], a.Kind)
	}
	out := map[string]*resource.Clients{}
	for name, c := range clients {
		out[name] = c
		if c == nil || c.IAM == nil || c.Snapshot != nil {
			continue
		}
		if s := resource.NewIAMSnapshot(kinds[name]); s != nil {
			out[name] = c.WithSnapshot(s)
		}
	}
	return out
}

// order sorts changes so that each comes after what it depends on (ties by
// address); reversed for deletes, so that a resource goes after its parts.
func order(changes []Change, reverse bool) []Change {
	byAddr := map[resource.Address]int{}
	for i, c := range changes {
		byAddr[c.Addr] = i
	}
	// Deletes carry no desired dependencies: use parents.
	depsOf := func(c Change) []resource.Address {
		if c.Action == Delete {
			if p, ok := resource.ParentOf(c.Addr); ok {
				return []resource.Address{p}
			}
			return nil
		}
		return c.DependsOn
	}
	indeg := make([]int, len(changes))
	children := make([][]int, len(changes))
	for i, c := range changes {
		for _, d := range depsOf(c) {
			if j, ok := byAddr[d]; ok {
				indeg[i]++
				children[j] = append(children[j], i)
			}
		}
	}
	var ready []int
	for i := range changes {
		if indeg[i] == 0 {
			ready = append(ready, i)
		}
	}
	var out []Change
	for len(ready) > 0 {
		sort.Slice(ready, func(a, b int) bool { return changes[ready[a]].Addr.String() < changes[ready[b]].Addr.String() })
		i := ready[0]
		ready = ready[1:]
		out = append(out, changes[i])
		for _, ch := range children[i] {
			if indeg[ch]--; indeg[ch] == 0 {
				ready = append(ready, ch)
			}
		}
	}
	if reverse {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
		// A delete waits for the deletes of its parts.
		for i := range out {
			out[i].DependsOn = nil
		}
		for i := range out {
			if p, ok := resource.ParentOf(out[i].Addr); ok {
				for j := range out {
					if out[j].Addr == p {
						out[j].DependsOn = append(out[j].DependsOn, out[i].Addr)
					}
				}
			}
		}
	}
	return out
}

// ReadAll reads the actual value of every resource of in.Desired (absent
// ones are left out), for callers that need what is deployed rather than a
// plan (verify).
func ReadAll(ctx context.Context, in Input) (map[string]resource.Value, error) {
	addrs := map[string]resource.Address{}
	for _, r := range in.Desired {
		addrs[r.Addr.String()] = r.Addr
	}
	vals, err := readAll(ctx, in, addrs)
	if err != nil {
		return nil, err
	}
	for k, v := range vals {
		if v == nil {
			delete(vals, k)
		}
	}
	return vals, nil
}

// ReadChanges reads the current value of every resource a plan changes,
// for checking a saved plan against what exists now.
func ReadChanges(ctx context.Context, p *Plan, kinds resource.Kinds, clients map[string]*resource.Clients, parallelism int) (map[string]resource.Value, error) {
	addrs := map[string]resource.Address{}
	for _, c := range p.Changes {
		addrs[c.Addr.String()] = c.Addr
	}
	return readAll(ctx, Input{Kinds: kinds, Clients: clients, Parallelism: parallelism}, addrs)
}
