package apply

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/xacct/xacct/internal/plan"
	"github.com/xacct/xacct/internal/resource"
	"github.com/xacct/xacct/internal/state"
)

const stackName = "acme"

// world is what exists in the fake accounts, by address, and what was done
// to it. Its hooks are set before a run and only read during it.
type world struct {
	mu       sync.Mutex
	vals     map[string]resource.Value
	objects  map[string]int // what each bucket holds
	calls    map[string]int // by "op address"
	made     map[string]int // creates that took effect, by address
	journal  []string       // calls and store writes, in order
	seq      int
	started  map[string]int // first call on an address, by seq
	ended    map[string]int // last call on an address, by seq
	inFlight int
	peak     int

	// before runs at the start of every write call, outside the lock; an
	// error fails the call before it takes effect.
	before func(op, addr string) error
	// after runs once a call took effect; an error mimics a crash: done in
	// AWS, but not seen to finish.
	after func(op, addr string) error
	// countErr fails Count.
	countErr error
	emptyErr error
}

func newWorld(vals map[string]resource.Value) *world {
	if vals == nil {
		vals = map[string]resource.Value{}
	}
	return &world{vals: vals, objects: map[string]int{}, calls: map[string]int{}, made: map[string]int{}, started: map[string]int{}, ended: map[string]int{}}
}

func (w *world) note(s string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.journal = append(w.journal, s)
}

func (w *world) snapshot() map[string]resource.Value {
	w.mu.Lock()
	defer w.mu.Unlock()
	return maps.Clone(w.vals)
}

func (w *world) callCount(op, a string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.calls[op+" "+a]
}

func (w *world) totalCalls() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, c := range w.calls {
		n += c
	}
	return n
}

// do makes one write call: effect runs under the lock.
func (w *world) do(op, a string, effect func() error) error {
	w.mu.Lock()
	w.calls[op+" "+a]++
	w.seq++
	if _, ok := w.started[a]; !ok {
		w.started[a] = w.seq
	}
	w.inFlight++
	w.peak = max(w.peak, w.inFlight)
	w.journal = append(w.journal, op+" "+a)
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		w.inFlight--
		w.seq++
		w.ended[a] = w.seq
		w.mu.Unlock()
	}()
	if w.before != nil {
		if err := w.before(op, a); err != nil {
			return err
		}
	}
	w.mu.Lock()
	err := effect()
	w.mu.Unlock()
	if err != nil {
		return err
	}
	if w.after != nil {
		return w.after(op, a)
	}
	return nil
}

// fakeKind keeps one kind of resource in a world, keyed by the clients'
// AccountID, which the tests set to the account's name. Like AWS, it
// refuses to create what exists and to change what does not.
type fakeKind struct {
	w      *world
	name   string
	tagged bool
}

var _ resource.Kind = fakeKind{}

func (k fakeKind) addr(c *resource.Clients, name string) string {
	return c.AccountID + "/" + k.name + "/" + name
}

func (k fakeKind) Tagged() bool { return k.tagged }

func (k fakeKind) Read(_ context.Context, c *resource.Clients, name string) (resource.Value, error) {
	k.w.mu.Lock()
	defer k.w.mu.Unlock()
	return k.w.vals[k.addr(c, name)], nil
}

func (k fakeKind) Create(_ context.Context, c *resource.Clients, name string, v resource.Value) error {
	a := k.addr(c, name)
	return k.w.do("create", a, func() error {
		if k.w.vals[a] != nil {
			return errors.New("EntityAlreadyExists")
		}
		k.w.vals[a] = v
		k.w.made[a]++
		return nil
	})
}

func (k fakeKind) Update(_ context.Context, c *resource.Clients, name string, _, after resource.Value) error {
	a := k.addr(c, name)
	return k.w.do("update", a, func() error {
		if k.w.vals[a] == nil {
			return errors.New("NoSuchEntity")
		}
		k.w.vals[a] = after
		return nil
	})
}

func (k fakeKind) Delete(_ context.Context, c *resource.Clients, name string, _ resource.Value) error {
	a := k.addr(c, name)
	return k.w.do("delete", a, func() error {
		if k.w.vals[a] == nil {
			return errors.New("NoSuchEntity")
		}
		delete(k.w.vals, a)
		return nil
	})
}

// bucketKind holds data.
type bucketKind struct{ fakeKind }

var _ resource.DataHolder = bucketKind{}

func (k bucketKind) Count(_ context.Context, c *resource.Clients, name string, limit int) (int, error) {
	a := k.addr(c, name)
	k.w.mu.Lock()
	defer k.w.mu.Unlock()
	k.w.calls["count "+a]++
	if k.w.countErr != nil {
		return 0, k.w.countErr
	}
	return min(k.w.objects[a], limit), nil
}

func (k bucketKind) Empty(_ context.Context, c *resource.Clients, name string) error {
	a := k.addr(c, name)
	return k.w.do("empty", a, func() error {
		if k.w.emptyErr != nil {
			return k.w.emptyErr
		}
		k.w.objects[a] = 0
		return nil
	})
}

// fakeKinds are real kind names, so that resource.ParentOf knows the parts.
func fakeKinds(w *world) resource.Kinds {
	return resource.Kinds{
		"iam_role":         fakeKind{w: w, name: "iam_role", tagged: true},
		"iam_role_policy":  fakeKind{w: w, name: "iam_role_policy"},
		"iam_group":        fakeKind{w: w, name: "iam_group"},
		"iam_group_policy": fakeKind{w: w, name: "iam_group_policy"},
		"s3_bucket":        bucketKind{fakeKind{w: w, name: "s3_bucket", tagged: true}},
	}
}

func fakeClients() map[string]*resource.Clients {
	out := map[string]*resource.Clients{}
	for _, a := range []string{"development", "production", "reporting"} {
		out[a] = &resource.Clients{AccountID: a}
	}
	return out
}

// memStore is a state in memory that notes its writes in the world's
// journal.
type memStore struct {
	w       *world
	mu      sync.Mutex
	entries map[string]state.Entry
	putErr  error
}

var _ Store = (*memStore)(nil)

func newStore(w *world, addrs ...string) *memStore {
	s := &memStore{w: w, entries: map[string]state.Entry{}}
	for _, a := range addrs {
		ad := addr(a)
		s.entries[a] = state.Entry{Kind: ad.Kind, Account: ad.Account, Name: ad.Name, Value: w.vals[a]}
	}
	return s
}

func (s *memStore) Put(_ context.Context, a string, e state.Entry) error {
	if s.putErr != nil {
		return s.putErr
	}
	s.mu.Lock()
	s.entries[a] = e
	s.mu.Unlock()
	what := "done"
	if e.Pending {
		what = "pending"
	}
	s.w.note("put " + what + " " + a)
	return nil
}

func (s *memStore) Remove(_ context.Context, a string) error {
	s.mu.Lock()
	delete(s.entries, a)
	s.mu.Unlock()
	s.w.note("remove " + a)
	return nil
}

func (s *memStore) entry(a string) (state.Entry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[a]
	return e, ok
}

func (s *memStore) addresses() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.entries))
}

func (s *memStore) state() *state.State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &state.State{Version: state.Version, Stack: stackName, Resources: map[string]*state.Entry{}}
	for a, e := range s.entries {
		st.Resources[a] = &e
	}
	return st
}

func addr(s string) resource.Address {
	a, err := resource.ParseAddress(s)
	if err != nil {
		panic(err)
	}
	return a
}

func val(v string) resource.Value {
	b, _ := json.Marshal(map[string]any{"v": v, "tags": map[string]string{resource.TagStack: stackName}})
	return b
}

func create(a string, v resource.Value, deps ...string) plan.Change {
	c := plan.Change{Addr: addr(a), Action: plan.Create, After: v}
	for _, d := range deps {
		c.DependsOn = append(c.DependsOn, addr(d))
	}
	return c
}

func update(a string, before, after resource.Value) plan.Change {
	return plan.Change{Addr: addr(a), Action: plan.Update, Before: before, After: after}
}

func adopt(a string, before, after resource.Value) plan.Change {
	return plan.Change{Addr: addr(a), Action: plan.Adopt, Before: before, After: after}
}

func del(a string, before resource.Value, deps ...string) plan.Change {
	c := plan.Change{Addr: addr(a), Action: plan.Delete, Before: before}
	for _, d := range deps {
		c.DependsOn = append(c.DependsOn, addr(d))
	}
	return c
}

// opts are quick to retry.
func opts(w *world, parallelism int) Options {
	return Options{Kinds: fakeKinds(w), Parallelism: parallelism, RetryFor: time.Second, RetryBase: time.Millisecond}
}

func TestRunDoesEveryChangeAfterItsDependencies(t *testing.T) {
	t.Parallel()
	w := newWorld(map[string]resource.Value{
		"development/iam_group/u":        val("old"),
		"reporting/iam_group/x":          val("x"),
		"reporting/iam_group_policy/x/p": val("p"),
		"reporting/iam_group_policy/x/q": val("q"),
	})
	st := newStore(w, "development/iam_group/u", "reporting/iam_group/x", "reporting/iam_group_policy/x/p",
		"reporting/iam_group_policy/x/q", "production/iam_role/forgotten")
	p := &plan.Plan{
		Changes: []plan.Change{
			create("production/iam_role/a", val("a")),
			create("production/iam_role/b", val("b"), "production/iam_role/a"),
			create("production/iam_role/c", val("c"), "production/iam_role/a"),
			create("production/iam_role/d", val("d"), "production/iam_role/b", "production/iam_role/c", "production/iam_role/not-in-plan"),
			create("development/iam_group/e", val("e")),
			update("development/iam_group/u", val("old"), val("new")),
			del("reporting/iam_group_policy/x/q", val("q")),
			del("reporting/iam_group_policy/x/p", val("p")),
			del("reporting/iam_group/x", val("x"), "reporting/iam_group_policy/x/q", "reporting/iam_group_policy/x/p"),
		},
		Forget: []resource.Address{addr("production/iam_role/forgotten")},
	}
	// Slow calls, so that a change started too early overlaps what it waits for.
	w.before = func(string, string) error { time.Sleep(time.Millisecond); return nil }
	res, err := Run(context.Background(), p, fakeClients(), st, opts(w, 4))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range p.Changes {
		for _, d := range c.DependsOn {
			if _, inPlan := w.ended[d.String()]; !inPlan {
				continue
			}
			if w.started[c.Addr.String()] < w.ended[d.String()] {
				t.Errorf("%s started before %s finished", c.Addr, d)
			}
		}
	}
	if w.peak < 2 {
		t.Errorf("at most %d changes at once; independent changes should run in parallel", w.peak)
	}
	wantWorld := map[string]resource.Value{
		"production/iam_role/a": val("a"), "production/iam_role/b": val("b"), "production/iam_role/c": val("c"),
		"production/iam_role/d": val("d"), "development/iam_group/e": val("e"), "development/iam_group/u": val("new"),
	}
	if d := cmp.Diff(wantWorld, w.snapshot()); d != "" {
		t.Errorf("world (-want +got):\n%s", d)
	}
	wantState := slices.Sorted(maps.Keys(wantWorld))
	if d := cmp.Diff(wantState, st.addresses()); d != "" {
		t.Errorf("state (-want +got):\n%s", d)
	}
	if want := (Result{Added: 5, Changed: 1, Destroyed: 3}); res != want {
		t.Errorf("result %+v, want %+v", res, want)
	}
}

// gate lets calls wait until n of them are in flight at once (or a second
// passed, when the bound is never reached).
type gate struct {
	mu      sync.Mutex
	arrived int
	n       int
	full    chan struct{}
	once    sync.Once
}

func newGate(n int) *gate { return &gate{n: n, full: make(chan struct{})} }

// wait returns the caller's arrival rank, from 0.
func (g *gate) wait() int {
	g.mu.Lock()
	rank := g.arrived
	g.arrived++
	if g.arrived >= g.n {
		g.once.Do(func() { close(g.full) })
	}
	g.mu.Unlock()
	select {
	case <-g.full:
		// Stay a moment, so that calls past the bound overlap this one.
		time.Sleep(time.Millisecond)
	case <-time.After(time.Second):
		g.once.Do(func() { close(g.full) })
	}
	return rank
}

func independent(n int) *plan.Plan {
	p := &plan.Plan{}
	for i := range n {
		p.Changes = append(p.Changes, create(fmt.Sprintf("production/iam_role/r%02d", i), val("r")))
	}
	return p
}

func TestRunBoundsParallelism(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		parallelism int
		want        int
	}{
		{"one at a time", 1, 1},
		{"three", 3, 3},
		{"default ten", 0, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(nil)
			g := newGate(tt.want)
			w.before = func(string, string) error { g.wait(); return nil }
			res, err := Run(context.Background(), independent(25), fakeClients(), newStore(w), opts(w, tt.parallelism))
			if err != nil {
				t.Fatal(err)
			}
			if res.Added != 25 {
				t.Errorf("added %d, want 25", res.Added)
			}
			if w.peak != tt.want {
				t.Errorf("at most %d changes at once, want %d", w.peak, tt.want)
			}
		})
	}
}

// TestRunBoundsEachAccountAndService: the bound is per service of each
// account, so that one account's or service's changes do not wait for
// another's.
func TestRunBoundsEachAccountAndService(t *testing.T) {
	t.Parallel()
	w := newWorld(nil)
	g := newGate(9)
	w.before = func(string, string) error { g.wait(); return nil }
	p := independent(15)
	for i := range 15 {
		p.Changes = append(p.Changes, create(fmt.Sprintf("development/iam_group/g%02d", i), val("g")),
			create(fmt.Sprintf("production/s3_bucket/b%02d", i), val("b")))
	}
	res, err := Run(context.Background(), p, fakeClients(), newStore(w), opts(w, 3))
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != 45 {
		t.Errorf("added %d, want 45", res.Added)
	}
	if w.peak != 9 {
		t.Errorf("at most %d changes at once, want 3 in each of production's IAM and S3 and development's IAM", w.peak)
	}
}

// TestRunStartsLongestChainsFirst: a free slot goes to the change that
// the most changes wait for, then to the first in the plan, so that a
// chain is not stuck behind changes nothing waits for.
func TestRunStartsLongestChainsFirst(t *testing.T) {
	t.Parallel()
	w := newWorld(nil)
	var mu sync.Mutex
	var started []string
	w.before = func(_, a string) error {
		mu.Lock()
		started = append(started, strings.TrimPrefix(a, "production/iam_role/"))
		mu.Unlock()
		return nil
	}
	p := &plan.Plan{Changes: []plan.Change{
		create("production/iam_role/x1", val("x")),
		create("production/iam_role/x2", val("x")),
		create("production/iam_role/a", val("a")),
		create("production/iam_role/b", val("b"), "production/iam_role/a"),
		create("production/iam_role/c", val("c"), "production/iam_role/b"),
	}}
	if _, err := Run(context.Background(), p, fakeClients(), newStore(w), opts(w, 1)); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(started, " "), "a b x1 x2 c"; got != want {
		t.Errorf("started %s, want %s", got, want)
	}
}

func TestRunStopsStartingChangesAfterAFailure(t *testing.T) {
	t.Parallel()
	w := newWorld(nil)
	g := newGate(3)
	var failing string
	w.before = func(_, a string) error {
		if g.wait() == 0 {
			failing = a
			// Let the changes that wait for a slot get there.
			time.Sleep(3 * time.Millisecond)
			return errors.New("AccessDenied: not authorized")
		}
		return nil
	}
	// The two others finish only once Run has the failure (it records it
	// right after reporting it): their slots are free after it.
	reported := make(chan struct{})
	w.after = func(string, string) error {
		<-reported
		time.Sleep(time.Millisecond)
		return nil
	}
	o := opts(w, 3)
	o.OnEvent = func(e Event) {
		if e.Done && e.Err != nil {
			close(reported)
		}
	}
	st := newStore(w)
	res, err := Run(context.Background(), independent(8), fakeClients(), st, o)
	if err == nil {
		t.Fatal("no error")
	}
	if !strings.Contains(err.Error(), failing+": AccessDenied") || strings.Count(err.Error(), "\n") != 0 {
		t.Errorf("error %q, want only the failure of %s", err, failing)
	}
	if n := w.totalCalls(); n != 3 {
		t.Errorf("%d changes started, want the 3 in flight when one failed", n)
	}
	// The two in flight finished and were recorded.
	if res.Added != 2 {
		t.Errorf("added %d, want 2", res.Added)
	}
	var done, pending int
	for _, a := range st.addresses() {
		if e, _ := st.entry(a); e.Pending {
			pending++
		} else {
			done++
		}
	}
	if done != 2 || pending != 1 {
		t.Errorf("state holds %d done and %d pending, want 2 and 1", done, pending)
	}
}

func TestRunSkipsTheDependentsOfAFailure(t *testing.T) {
	t.Parallel()
	w := newWorld(nil)
	w.before = func(_, a string) error {
		if a == "production/iam_role/a" {
			return errors.New("AccessDenied")
		}
		return nil
	}
	p := &plan.Plan{Changes: []plan.Change{
		create("production/iam_role/a", val("a")),
		create("production/iam_role/b", val("b"), "production/iam_role/a"),
		create("production/iam_role/c", val("c"), "production/iam_role/b"),
	}}
	_, err := Run(context.Background(), p, fakeClients(), newStore(w), opts(w, 4))
	if err == nil || !strings.Contains(err.Error(), "production/iam_role/a: AccessDenied") {
		t.Fatalf("error %v, want the failure of a", err)
	}
	if n := w.totalCalls(); n != 1 {
		t.Errorf("%d calls; the dependents of a failed change must not start", n)
	}
}

func TestRunRecordsACreateBeforeMakingIt(t *testing.T) {
	t.Parallel()
	const a = "production/iam_role/app"
	tests := []struct {
		name        string
		fail        error
		putErr      error
		wantJournal []string
		wantEntry   *state.Entry
	}{
		{
			name:        "success",
			wantJournal: []string{"put pending " + a, "create " + a, "put done " + a},
			wantEntry:   &state.Entry{Kind: "iam_role", Account: "production", Name: "app", Value: val("app")},
		},
		{
			name:        "a failed create stays pending, so that the next run knows it is its own",
			fail:        errors.New("LimitExceeded"),
			wantJournal: []string{"put pending " + a, "create " + a},
			wantEntry:   &state.Entry{Kind: "iam_role", Account: "production", Name: "app", Pending: true},
		},
		{
			name:   "nothing is created that cannot be recorded",
			putErr: errors.New("state bucket unreachable"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(nil)
			st := newStore(w)
			st.putErr = tt.putErr
			var atCall *state.Entry
			w.before = func(string, string) error {
				if e, ok := st.entry(a); ok {
					atCall = &e
				}
				return tt.fail
			}
			_, err := Run(context.Background(), &plan.Plan{Changes: []plan.Change{create(a, val("app"))}}, fakeClients(), st, opts(w, 1))
			if wantErr := tt.fail != nil || tt.putErr != nil; (err != nil) != wantErr {
				t.Fatalf("error %v, want an error: %v", err, wantErr)
			}
			if d := cmp.Diff(tt.wantJournal, w.journal, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("journal (-want +got):\n%s", d)
			}
			if tt.wantJournal != nil && (atCall == nil || !atCall.Pending || atCall.Value != nil) {
				t.Errorf("entry while creating %+v, want a pending one", atCall)
			}
			var got *state.Entry
			if e, ok := st.entry(a); ok {
				got = &e
			}
			if d := cmp.Diff(tt.wantEntry, got); d != "" {
				t.Errorf("entry (-want +got):\n%s", d)
			}
		})
	}
}

func TestRunRecordsEachAction(t *testing.T) {
	t.Parallel()
	const a = "development/iam_group/g"
	entry := func(v resource.Value) *state.Entry {
		return &state.Entry{Kind: "iam_group", Account: "development", Name: "g", Value: v}
	}
	tests := []struct {
		name      string
		world     resource.Value
		inState   bool
		plan      *plan.Plan
		failCall  error
		want      Result
		wantWorld resource.Value
		wantEntry *state.Entry
		wantCalls []string
	}{
		{
			name: "create", plan: &plan.Plan{Changes: []plan.Change{create(a, val("g"))}},
			want: Result{Added: 1}, wantWorld: val("g"), wantEntry: entry(val("g")), wantCalls: []string{"create"},
		},
		{
			name: "update", world: val("old"), inState: true, plan: &plan.Plan{Changes: []plan.Change{update(a, val("old"), val("new"))}},
			want: Result{Changed: 1}, wantWorld: val("new"), wantEntry: entry(val("new")), wantCalls: []string{"update"},
		},
		{
			name: "adopt", world: val("theirs"), plan: &plan.Plan{Changes: []plan.Change{adopt(a, val("theirs"), val("mine"))}},
			want: Result{Adopted: 1}, wantWorld: val("mine"), wantEntry: entry(val("mine")), wantCalls: []string{"update"},
		},
		{
			name: "adopt as it is", world: val("same"), plan: &plan.Plan{Changes: []plan.Change{adopt(a, val("same"), val("same"))}},
			want: Result{Adopted: 1}, wantWorld: val("same"), wantEntry: entry(val("same")),
		},
		{
			name: "an adopted resource is owned even when its update fails", world: val("theirs"),
			plan:      &plan.Plan{Changes: []plan.Change{adopt(a, val("theirs"), val("mine"))}},
			failCall:  errors.New("MalformedPolicyDocument"),
			wantWorld: val("theirs"), wantEntry: entry(val("theirs")), wantCalls: []string{"update"},
		},
		{
			name: "delete", world: val("g"), inState: true, plan: &plan.Plan{Changes: []plan.Change{del(a, val("g"))}},
			want: Result{Destroyed: 1}, wantCalls: []string{"delete"},
		},
		{
			name: "a failed delete stays in state", world: val("g"), inState: true, plan: &plan.Plan{Changes: []plan.Change{del(a, val("g"))}},
			failCall: errors.New("DeleteConflict"), wantWorld: val("g"), wantEntry: entry(val("g")), wantCalls: []string{"delete"},
		},
		{
			name: "forget", inState: true, plan: &plan.Plan{Forget: []resource.Address{addr(a)}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(nil)
			if tt.world != nil {
				w.vals[a] = tt.world
			}
			st := newStore(w)
			if tt.inState {
				st = newStore(w, a)
			}
			var atUpdate *state.Entry
			w.before = func(op, _ string) error {
				if op == "update" {
					if e, ok := st.entry(a); ok {
						atUpdate = &e
					}
				}
				return tt.failCall
			}
			res, err := Run(context.Background(), tt.plan, fakeClients(), st, opts(w, 2))
			if (err != nil) != (tt.failCall != nil) {
				t.Fatalf("error %v, want %v", err, tt.failCall)
			}
			if err != nil && !errors.Is(err, tt.failCall) {
				t.Errorf("error %v does not wrap %v", err, tt.failCall)
			}
			if res != tt.want {
				t.Errorf("result %+v, want %+v", res, tt.want)
			}
			if d := cmp.Diff(tt.wantWorld, w.snapshot()[a]); d != "" {
				t.Errorf("world (-want +got):\n%s", d)
			}
			var got *state.Entry
			if e, ok := st.entry(a); ok {
				got = &e
			}
			if d := cmp.Diff(tt.wantEntry, got); d != "" {
				t.Errorf("entry (-want +got):\n%s", d)
			}
			var calls []string
			for _, op := range []string{"create", "update", "delete"} {
				for range w.callCount(op, a) {
					calls = append(calls, op)
				}
			}
			if d := cmp.Diff(tt.wantCalls, calls, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("calls (-want +got):\n%s", d)
			}
			// An adoption is recorded, with what exists, before it is changed.
			if tt.plan.Changes != nil && tt.plan.Changes[0].Action == plan.Adopt && calls != nil {
				if atUpdate == nil || string(atUpdate.Value) != string(tt.world) {
					t.Errorf("entry at update %+v, want one holding the value adopted", atUpdate)
				}
			}
		})
	}
}

func TestRunRetriesPropagationErrors(t *testing.T) {
	t.Parallel()
	const a = "production/iam_role/app"
	tests := []struct {
		name      string
		change    plan.Change
		errs      []error // returned by successive calls, then nil
		wantCalls int
		wantErr   string
	}{
		{
			name: "a role Lambda cannot assume yet", change: create(a, val("new")),
			errs: []error{errors.New("InvalidParameterValueException: The role defined for the function cannot be assumed by Lambda."),
				errors.New("InvalidParameterValueException: The role defined for the function cannot be assumed by Lambda.")},
			wantCalls: 3,
		},
		{
			name: "a principal not visible yet", change: update(a, val("old"), val("new")),
			errs: []error{errors.New("MalformedPolicyDocument: Invalid principal in policy")}, wantCalls: 2,
		},
		{
			name: "access denied is not retried", change: update(a, val("old"), val("new")),
			errs: []error{errors.New("AccessDenied: not authorized")}, wantCalls: 1, wantErr: a + ": AccessDenied",
		},
		{
			name: "other errors are not retried", change: del(a, val("old")),
			errs: []error{errors.New("DeleteConflict"), errors.New("DeleteConflict")}, wantCalls: 1, wantErr: a + ": DeleteConflict",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(nil)
			if tt.change.Action != plan.Create {
				w.vals[a] = val("old")
			}
			var mu sync.Mutex
			calls := 0
			w.before = func(string, string) error {
				mu.Lock()
				defer mu.Unlock()
				calls++
				if calls <= len(tt.errs) {
					return tt.errs[calls-1]
				}
				return nil
			}
			_, err := Run(context.Background(), &plan.Plan{Changes: []plan.Change{tt.change}}, fakeClients(), newStore(w, a), opts(w, 1))
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("error %v, want %q", err, tt.wantErr)
			}
			if calls != tt.wantCalls {
				t.Errorf("%d calls, want %d", calls, tt.wantCalls)
			}
		})
	}
}

// clock is a Now that moves 10ms each time it is read.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(10 * time.Millisecond)
	return c.now
}

func TestRunRetriesWithinRetryFor(t *testing.T) {
	t.Parallel()
	w := newWorld(nil)
	w.before = func(string, string) error { return errors.New("Invalid principal in policy") }
	o := opts(w, 1)
	o.RetryFor, o.Now = 100*time.Millisecond, (&clock{now: time.Unix(0, 0)}).Now
	start := time.Now()
	_, err := Run(context.Background(), &plan.Plan{Changes: []plan.Change{create("production/iam_role/app", val("app"))}}, fakeClients(), newStore(w), o)
	if err == nil || !strings.Contains(err.Error(), "Invalid principal in policy") {
		t.Errorf("error %v, want the last propagation error", err)
	}
	// Each try reads the clock once: 10 tries fit in 100ms.
	if n := w.callCount("create", "production/iam_role/app"); n < 2 || n > 10 {
		t.Errorf("%d tries within RetryFor of 100ms on a clock that moves 10ms a read", n)
	}
	if time.Since(start) > time.Second {
		t.Errorf("retried for %v", time.Since(start))
	}
}

func TestRunConvergesAfterAnInterruption(t *testing.T) {
	t.Parallel()
	desired := []resource.Resource{
		{Addr: addr("production/iam_role/a"), Desired: val("a")},
		{Addr: addr("production/iam_role/b"), Desired: val("b"), DependsOn: []resource.Address{addr("production/iam_role/a")}},
		{Addr: addr("production/iam_role/c"), Desired: val("c"), DependsOn: []resource.Address{addr("production/iam_role/a")}},
		{Addr: addr("production/iam_role_policy/c/p"), Desired: val("p")},
		{Addr: addr("production/iam_role/d"), Desired: val("d"), DependsOn: []resource.Address{addr("production/iam_role/c")}},
		{Addr: addr("development/iam_group/e"), Desired: val("e")},
		{Addr: addr("development/iam_group/u"), Desired: val("new")},
	}
	const c = "production/iam_role/c"
	tests := []struct {
		name   string
		before func(cancel func()) func(op, a string) error
		after  func(op, a string) error
	}{
		{
			name: "a create fails",
			before: func(func()) func(string, string) error {
				return func(op, a string) error {
					if a == c {
						return errors.New("ServiceFailure")
					}
					return nil
				}
			},
		},
		{
			name: "the process dies once a create took effect",
			after: func(op, a string) error {
				if a == c {
					return errors.New("connection reset")
				}
				return nil
			},
		},
		{
			name: "interrupted",
			before: func(cancel func()) func(string, string) error {
				return func(op, a string) error {
					if a == c {
						cancel()
					}
					return nil
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(map[string]resource.Value{"development/iam_group/u": val("old"), "reporting/iam_group/gone": val("x")})
			st := newStore(w, "development/iam_group/u", "reporting/iam_group/gone")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.before != nil {
				w.before = tt.before(cancel)
			}
			w.after = tt.after
			compute := func() *plan.Plan {
				t.Helper()
				p, err := plan.Compute(context.Background(), plan.Input{Stack: stackName, Desired: desired, State: st.state(),
					Kinds: fakeKinds(w), Clients: fakeClients(), Parallelism: 3})
				if err != nil {
					t.Fatal(err)
				}
				return p
			}
			if _, err := Run(ctx, compute(), fakeClients(), st, opts(w, 2)); err == nil {
				t.Fatal("the interrupted run reports no error")
			}
			if w.callCount("create", "production/iam_role/d") != 0 {
				t.Fatal("d was created before c")
			}
			w.before, w.after = nil, nil
			if _, err := Run(context.Background(), compute(), fakeClients(), st, opts(w, 2)); err != nil {
				t.Fatalf("the second run: %v", err)
			}
			wantWorld := map[string]resource.Value{}
			var wantState []string
			for _, r := range desired {
				wantWorld[r.Addr.String()] = r.Desired
				wantState = append(wantState, r.Addr.String())
				if n := w.made[r.Addr.String()]; r.Addr.String() != "development/iam_group/u" && n != 1 {
					t.Errorf("%s created %d times", r.Addr, n)
				}
			}
			if d := cmp.Diff(wantWorld, w.snapshot()); d != "" {
				t.Errorf("world (-want +got):\n%s", d)
			}
			slices.Sort(wantState)
			if d := cmp.Diff(wantState, st.addresses()); d != "" {
				t.Errorf("state (-want +got):\n%s", d)
			}
			if p := compute(); !p.Empty() || len(p.Forget) > 0 {
				t.Errorf("a third plan is not empty: %+v", p)
			}
		})
	}
}

func TestRunRefusesToDeleteData(t *testing.T) {
	t.Parallel()
	const b = "reporting/s3_bucket/data"
	tests := []struct {
		name        string
		objects     int
		force       bool
		countErr    error
		emptyErr    error
		wantErr     string
		wantDeleted bool
		wantEmptied bool
	}{
		{name: "an empty bucket is deleted", wantDeleted: true},
		{name: "a bucket holding data is refused", objects: 3, wantErr: "bucket data holds objects"},
		{name: "forced, it is emptied and deleted", objects: 3, force: true, wantDeleted: true, wantEmptied: true},
		{name: "a failed count deletes nothing", objects: 3, force: true, countErr: errors.New("AccessDenied"), wantErr: "AccessDenied"},
		{name: "a failed emptying deletes nothing", objects: 3, force: true, emptyErr: errors.New("SlowDown"), wantErr: "SlowDown", wantEmptied: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(map[string]resource.Value{b: val("b")})
			w.objects[b], w.countErr, w.emptyErr = tt.objects, tt.countErr, tt.emptyErr
			st := newStore(w, b)
			o := opts(w, 1)
			o.ForceDeleteData = tt.force
			_, err := Run(context.Background(), &plan.Plan{Changes: []plan.Change{del(b, val("b"))}}, fakeClients(), st, o)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
			if tt.objects > 0 && !tt.force {
				var de *DataError
				if !errors.As(err, &de) || de.Addr != addr(b) || !strings.Contains(err.Error(), "--force-delete-data") {
					t.Errorf("error %v, want a DataError on %s that says how to force it", err, b)
				}
			}
			_, exists := w.snapshot()[b]
			_, inState := st.entry(b)
			if exists == tt.wantDeleted || inState == tt.wantDeleted {
				t.Errorf("bucket exists %v, in state %v; want deleted %v", exists, inState, tt.wantDeleted)
			}
			if emptied := w.callCount("empty", b) > 0; emptied != tt.wantEmptied {
				t.Errorf("emptied %v, want %v", emptied, tt.wantEmptied)
			}
			if tt.wantEmptied && tt.wantDeleted && !slices.Equal(w.journal[:2], []string{"empty " + b, "delete " + b}) {
				t.Errorf("journal %q, want the bucket emptied, then deleted", w.journal)
			}
		})
	}
}

func TestCheckData(t *testing.T) {
	t.Parallel()
	w := newWorld(nil)
	w.objects["reporting/s3_bucket/full"] = 10
	w.objects["production/s3_bucket/also-full"] = 1
	w.objects["production/s3_bucket/created"] = 5
	p := &plan.Plan{Changes: []plan.Change{
		create("production/s3_bucket/created", val("c")),
		del("development/iam_group/g", val("g")),
		del("production/s3_bucket/empty", val("e")),
		del("reporting/s3_bucket/full", val("f")),
		del("production/s3_bucket/also-full", val("a")),
	}}
	err := CheckData(context.Background(), p, fakeKinds(w), fakeClients(), false)
	if err == nil {
		t.Fatal("no error")
	}
	for _, s := range []string{"bucket full holds objects", "bucket also-full holds objects"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not say %q", err, s)
		}
	}
	if strings.Contains(err.Error(), "bucket empty ") || strings.Contains(err.Error(), "bucket created ") {
		t.Errorf("error %q names a bucket that is not deleted holding data", err)
	}
	var de *DataError
	if !errors.As(err, &de) {
		t.Errorf("error %v holds no DataError", err)
	}
	if n := w.callCount("count", "production/s3_bucket/created"); n != 0 {
		t.Errorf("a bucket to create was counted %d times", n)
	}
	if n := w.totalCalls() - w.callCount("count", "production/s3_bucket/empty") - w.callCount("count", "reporting/s3_bucket/full") -
		w.callCount("count", "production/s3_bucket/also-full"); n != 0 {
		t.Errorf("checking made %d other calls", n)
	}

	forced := newWorld(nil)
	forced.objects["reporting/s3_bucket/full"] = 10
	if err := CheckData(context.Background(), p, fakeKinds(forced), fakeClients(), true); err != nil || forced.totalCalls() != 0 {
		t.Errorf("forced: error %v after %d calls, want nil after none", err, forced.totalCalls())
	}

	failing := newWorld(nil)
	failing.countErr = errors.New("AccessDenied")
	if err := CheckData(context.Background(), p, fakeKinds(failing), fakeClients(), false); !errors.Is(err, failing.countErr) {
		t.Errorf("error %v, want the failed count", err)
	}

	// A kind is never handed nil clients.
	elsewhere := &plan.Plan{Changes: []plan.Change{del("staging/s3_bucket/full", val("f"))}}
	if err := CheckData(context.Background(), elsewhere, fakeKinds(newWorld(nil)), fakeClients(), false); err == nil ||
		!strings.Contains(err.Error(), "staging/s3_bucket/full: unknown account") {
		t.Errorf("error %v, want the unknown account named", err)
	}
}

func TestRunStopsWhenCancelled(t *testing.T) {
	t.Parallel()
	t.Run("before it starts", func(t *testing.T) {
		t.Parallel()
		w := newWorld(nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		res, err := Run(ctx, independent(3), fakeClients(), newStore(w), opts(w, 2))
		if !errors.Is(err, context.Canceled) || res != (Result{}) || w.totalCalls() != 0 {
			t.Errorf("result %+v, error %v after %d calls; want the context error and nothing done", res, err, w.totalCalls())
		}
	})
	t.Run("midway", func(t *testing.T) {
		t.Parallel()
		w := newWorld(nil)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var first string
		w.before = func(_, a string) error {
			first = a
			// Let the changes that wait for a slot get there.
			time.Sleep(3 * time.Millisecond)
			cancel()
			return nil
		}
		st := newStore(w)
		res, err := Run(ctx, independent(5), fakeClients(), st, opts(w, 1))
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error %v, want the context error", err)
		}
		if n := w.totalCalls(); n != 1 {
			t.Errorf("%d changes started, want only the one in flight when cancelled", n)
		}
		// What was done while being interrupted is recorded.
		if e, ok := st.entry(first); !ok || e.Pending || res.Added != 1 {
			t.Errorf("entry of %s %+v (in state %v), added %d; want it recorded as done", first, e, ok, res.Added)
		}
	})
	t.Run("while retrying", func(t *testing.T) {
		t.Parallel()
		w := newWorld(nil)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		w.before = func(string, string) error {
			cancel()
			return errors.New("Invalid principal in policy")
		}
		o := opts(w, 1)
		o.RetryBase = time.Minute
		start := time.Now()
		_, err := Run(ctx, independent(1), fakeClients(), newStore(w), o)
		if err == nil || time.Since(start) > time.Second {
			t.Errorf("error %v after %v, want an error at once", err, time.Since(start))
		}
		if n := w.totalCalls(); n != 1 {
			t.Errorf("%d tries after the cancel", n)
		}
	})
}

func TestRunUnknownKindOrAccount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		addr string
	}{
		{"kind", "production/lambda_layer/x"},
		{"account", "staging/iam_role/x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(nil)
			st := newStore(w)
			_, err := Run(context.Background(), &plan.Plan{Changes: []plan.Change{create(tt.addr, val("x"))}}, fakeClients(), st, opts(w, 1))
			if err == nil || !strings.Contains(err.Error(), tt.addr+": unknown kind or account") {
				t.Errorf("error %v, want the address and unknown kind or account", err)
			}
			if len(st.addresses()) != 0 {
				t.Errorf("state %v, want nothing recorded", st.addresses())
			}
		})
	}
}

func TestRunEvents(t *testing.T) {
	t.Parallel()
	w := newWorld(nil)
	w.before = func(_, a string) error {
		if a == "production/iam_role/r01" {
			return errors.New("AccessDenied")
		}
		return nil
	}
	var events []Event
	o := opts(w, 1)
	o.Now = (&clock{}).Now
	o.OnEvent = func(e Event) { events = append(events, e) }
	p := independent(2)
	p.Changes[1].DependsOn = []resource.Address{p.Changes[0].Addr}
	_, _ = Run(context.Background(), p, fakeClients(), newStore(w), o)
	var got []string
	for _, e := range events {
		s := e.Change.Addr.Name
		if e.Done {
			s += fmt.Sprintf(" done, error %v", e.Err)
			// Timed on the injected clock.
			if e.Elapsed <= 0 || e.Elapsed%(10*time.Millisecond) != 0 {
				t.Errorf("%s took %v, not a time of the injected clock", s, e.Elapsed)
			}
		}
		got = append(got, s)
	}
	want := []string{"r00", "r00 done, error <nil>", "r01", "r01 done, error AccessDenied"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("events (-want +got):\n%s", d)
	}
}
