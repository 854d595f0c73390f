package plan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/xacct/xacct/internal/resource"
	"github.com/xacct/xacct/internal/state"
)

const stackName = "acme"

// world is what exists in the fake accounts: canonical values by address.
type world struct {
	mu      sync.Mutex
	vals    map[string]resource.Value
	readErr map[string]error
	reads   map[string]int
	// onRead, when set, runs at the start of every read, outside the lock.
	onRead func(addr string)
}

func newWorld(vals map[string]resource.Value) *world {
	if vals == nil {
		vals = map[string]resource.Value{}
	}
	return &world{vals: vals, readErr: map[string]error{}, reads: map[string]int{}}
}

// fakeKind reads one kind of resource from a world. It embeds resource.Kind
// so that a write, which computing a plan must never make, panics.
type fakeKind struct {
	resource.Kind
	w      *world
	name   string
	tagged bool
}

var _ resource.Kind = fakeKind{}

func (k fakeKind) Tagged() bool { return k.tagged }

// Read keys the world by the clients' AccountID, which the tests set to the
// account's name.
func (k fakeKind) Read(_ context.Context, c *resource.Clients, name string) (resource.Value, error) {
	a := c.AccountID + "/" + k.name + "/" + name
	if k.w.onRead != nil {
		k.w.onRead(a)
	}
	k.w.mu.Lock()
	defer k.w.mu.Unlock()
	k.w.reads[a]++
	if err := k.w.readErr[a]; err != nil {
		return nil, err
	}
	return k.w.vals[a], nil
}

// fakeKinds are real kind names (so that resource.ParentOf knows the parts)
// on fake implementations: roles and buckets carry tags, groups and inline
// policies do not.
func fakeKinds(w *world) resource.Kinds {
	return resource.Kinds{
		"iam_role":         fakeKind{w: w, name: "iam_role", tagged: true},
		"iam_role_policy":  fakeKind{w: w, name: "iam_role_policy"},
		"iam_group":        fakeKind{w: w, name: "iam_group"},
		"iam_group_policy": fakeKind{w: w, name: "iam_group_policy"},
		"s3_bucket":        fakeKind{w: w, name: "s3_bucket", tagged: true},
	}
}

func fakeClients() map[string]*resource.Clients {
	out := map[string]*resource.Clients{}
	for _, a := range []string{"development", "production", "reporting"} {
		out[a] = &resource.Clients{AccountID: a}
	}
	return out
}

func addr(s string) resource.Address {
	a, err := resource.ParseAddress(s)
	if err != nil {
		panic(err)
	}
	return a
}

func addrs(ss ...string) []resource.Address {
	var out []resource.Address
	for _, s := range ss {
		out = append(out, addr(s))
	}
	return out
}

// val is a canonical value; tags, when given, are key, value pairs.
func val(v string, tags ...string) resource.Value {
	x := struct {
		V    string            `json:"v"`
		Tags map[string]string `json:"tags,omitempty"`
	}{V: v}
	if len(tags) > 0 {
		x.Tags = map[string]string{}
		for i := 0; i+1 < len(tags); i += 2 {
			x.Tags[tags[i]] = tags[i+1]
		}
	}
	b, _ := json.Marshal(x)
	return b
}

// mine is a value tagged for this stack.
func mine(v string) resource.Value { return val(v, resource.TagStack, stackName) }

func desire(a string, v resource.Value, dependsOn ...string) resource.Resource {
	return resource.Resource{Addr: addr(a), Desired: v, DependsOn: addrs(dependsOn...)}
}

func stateOf(as ...string) *state.State {
	st := &state.State{Version: state.Version, Stack: stackName, Resources: map[string]*state.Entry{}}
	for _, s := range as {
		a := addr(s)
		st.Resources[s] = &state.Entry{Kind: a.Kind, Account: a.Account, Name: a.Name}
	}
	return st
}

func input(w *world, st *state.State, desired ...resource.Resource) Input {
	return Input{Stack: stackName, Desired: desired, State: st, Kinds: fakeKinds(w), Clients: fakeClients(), Parallelism: 4}
}

var cmpPlan = cmpopts.EquateEmpty()

func TestComputeActions(t *testing.T) {
	t.Parallel()
	const (
		role   = "production/iam_role/app"
		role2  = "production/iam_role/app2"
		policy = "production/iam_role_policy/app/s3"
		group  = "development/iam_group/devs"
		gpol   = "development/iam_group_policy/devs/assume"
	)
	tests := []struct {
		name    string
		world   map[string]resource.Value
		state   []string
		desired []resource.Resource
		adopt   bool
		destroy bool
		want    *Plan
	}{
		{
			name:    "absent is created",
			desired: []resource.Resource{desire(role, mine("a"))},
			want:    &Plan{Changes: []Change{{Addr: addr(role), Action: Create, After: mine("a")}}},
		},
		{
			name:    "absent though in state is created again",
			state:   []string{role},
			desired: []resource.Resource{desire(role, mine("a"))},
			want:    &Plan{Changes: []Change{{Addr: addr(role), Action: Create, After: mine("a")}}},
		},
		{
			name:    "different value in state is updated",
			world:   map[string]resource.Value{role: mine("old")},
			state:   []string{role},
			desired: []resource.Resource{desire(role, mine("new"))},
			want:    &Plan{Changes: []Change{{Addr: addr(role), Action: Update, Before: mine("old"), After: mine("new")}}},
		},
		{
			name:    "equal bytes are no change",
			world:   map[string]resource.Value{role: mine("a"), group: val("g")},
			state:   []string{role, group},
			desired: []resource.Resource{desire(role, mine("a")), desire(group, val("g"))},
			want:    &Plan{},
		},
		{
			name:  "in state and not desired is deleted",
			world: map[string]resource.Value{role: mine("a")},
			state: []string{role},
			want:  &Plan{Changes: []Change{{Addr: addr(role), Action: Delete, Before: mine("a")}}},
		},
		{
			name:  "in state, not desired and already gone is forgotten",
			state: []string{role},
			want:  &Plan{Forget: addrs(role)},
		},
		{
			name:    "tagged for this stack but not in state is owned",
			world:   map[string]resource.Value{role: mine("old")},
			desired: []resource.Resource{desire(role, mine("new"))},
			want:    &Plan{Changes: []Change{{Addr: addr(role), Action: Update, Before: mine("old"), After: mine("new")}}},
		},
		{
			name:    "part of a resource in state is owned",
			world:   map[string]resource.Value{group: val("g"), gpol: val("old")},
			state:   []string{group},
			desired: []resource.Resource{desire(group, val("g")), desire(gpol, val("new"))},
			want: &Plan{Changes: []Change{
				{Addr: addr(gpol), Action: Update, Before: val("old"), After: val("new"), DependsOn: addrs(group)},
			}},
		},
		{
			name:    "untagged and not owned is adopted with --adopt",
			world:   map[string]resource.Value{group: val("theirs")},
			desired: []resource.Resource{desire(group, val("g"))},
			adopt:   true,
			want:    &Plan{Changes: []Change{{Addr: addr(group), Action: Adopt, Before: val("theirs"), After: val("g")}}},
		},
		{
			name:    "tagged for another stack is adopted with --adopt, even when equal",
			world:   map[string]resource.Value{role: val("a", resource.TagStack, "other")},
			desired: []resource.Resource{desire(role, val("a", resource.TagStack, "other"))},
			adopt:   true,
			want: &Plan{Changes: []Change{{Addr: addr(role), Action: Adopt,
				Before: val("a", resource.TagStack, "other"), After: val("a", resource.TagStack, "other")}}},
		},
		{
			name:    "--adopt leaves what xacct owns alone",
			world:   map[string]resource.Value{role: mine("a")},
			state:   []string{role},
			desired: []resource.Resource{desire(role, mine("a"))},
			adopt:   true,
			want:    &Plan{},
		},
		{
			name:    "a rename creates the new name and deletes the old",
			world:   map[string]resource.Value{role: mine("a")},
			state:   []string{role},
			desired: []resource.Resource{desire(role2, mine("a"))},
			want: &Plan{Changes: []Change{
				{Addr: addr(role2), Action: Create, After: mine("a")},
				{Addr: addr(role), Action: Delete, Before: mine("a")},
			}},
		},
		{
			name:    "destroy deletes everything in state and nothing else",
			world:   map[string]resource.Value{role: mine("a"), policy: val("p"), role2: mine("not ours"), group: val("g")},
			state:   []string{role, policy, gpol},
			desired: []resource.Resource{desire(role, mine("a")), desire(policy, val("p")), desire(role2, mine("x")), desire(group, val("g"))},
			destroy: true,
			want: &Plan{
				Changes: []Change{
					{Addr: addr(policy), Action: Delete, Before: val("p")},
					{Addr: addr(role), Action: Delete, Before: mine("a"), DependsOn: addrs(policy)},
				},
				Forget: addrs(gpol),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(tt.world)
			in := input(w, stateOf(tt.state...), tt.desired...)
			in.Adopt, in.Destroy = tt.adopt, tt.destroy
			got, err := Compute(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got, cmpPlan); d != "" {
				t.Errorf("plan (-want +got):\n%s", d)
			}
		})
	}
}

func TestComputeDestroyReadsOnlyTheState(t *testing.T) {
	t.Parallel()
	w := newWorld(map[string]resource.Value{"production/iam_role/a": mine("a"), "production/iam_role/b": mine("b")})
	in := input(w, stateOf("production/iam_role/a"), desire("production/iam_role/a", mine("a")), desire("production/iam_role/b", mine("b")))
	in.Destroy = true
	if _, err := Compute(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if n := w.reads["production/iam_role/b"]; n != 0 {
		t.Errorf("destroy read a resource outside the state %d times", n)
	}
}

func TestComputeRefusesWhatItDoesNotOwn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		world   map[string]resource.Value
		state   []string
		desired []resource.Resource
		tagged  bool
		advice  []string
	}{
		{
			name:    "tagged kind without the stack tag",
			world:   map[string]resource.Value{"production/iam_role/app": val("a")},
			desired: []resource.Resource{desire("production/iam_role/app", mine("a"))},
			tagged:  true,
			advice:  []string{"production/iam_role/app already exists", "not tagged xacct:stack=acme", "tag it xacct:stack=acme", "xacct apply --adopt", "choose another name"},
		},
		{
			name:    "tagged kind tagged for another stack",
			world:   map[string]resource.Value{"production/s3_bucket/data": val("a", resource.TagStack, "other")},
			desired: []resource.Resource{desire("production/s3_bucket/data", mine("a"))},
			tagged:  true,
			advice:  []string{"production/s3_bucket/data already exists", "tag it xacct:stack=acme", "xacct apply --adopt"},
		},
		{
			name:    "untagged kind",
			world:   map[string]resource.Value{"development/iam_group/devs": val("g")},
			desired: []resource.Resource{desire("development/iam_group/devs", val("g"))},
			advice:  []string{"development/iam_group/devs already exists", "carries no tags", "xacct apply --adopt", "delete or rename it"},
		},
		{
			name:    "untagged part whose parent is not in state",
			world:   map[string]resource.Value{"production/iam_role/app": mine("a"), "production/iam_role_policy/app/s3": val("p")},
			desired: []resource.Resource{desire("production/iam_role/app", mine("a")), desire("production/iam_role_policy/app/s3", val("p"))},
			advice:  []string{"production/iam_role_policy/app/s3 already exists", "carries no tags", "xacct apply --adopt"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := Compute(context.Background(), input(newWorld(tt.world), stateOf(tt.state...), tt.desired...))
			if err == nil {
				t.Fatalf("no error; plan %+v", p)
			}
			var oe *OwnershipError
			if !errors.As(err, &oe) {
				t.Fatalf("error %v is no OwnershipError", err)
			}
			if oe.Tagged != tt.tagged || oe.Stack != stackName {
				t.Errorf("OwnershipError %+v, want Tagged %v", oe, tt.tagged)
			}
			for _, s := range tt.advice {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}
}

func TestComputeReportsEveryOwnershipError(t *testing.T) {
	t.Parallel()
	w := newWorld(map[string]resource.Value{
		"production/iam_role/b":     val("b"),
		"development/iam_group/a":   val("a"),
		"reporting/s3_bucket/c":     val("c"),
		"production/iam_role/owned": mine("x"),
	})
	_, err := Compute(context.Background(), input(w, stateOf(),
		desire("reporting/s3_bucket/c", mine("c")), desire("production/iam_role/b", mine("b")),
		desire("development/iam_group/a", val("a")), desire("production/iam_role/owned", mine("x"))))
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	last := -1
	for _, a := range []string{"development/iam_group/a", "production/iam_role/b", "reporting/s3_bucket/c"} {
		i := strings.Index(msg, a+" already exists")
		if i < 0 {
			t.Errorf("error does not name %s: %s", a, msg)
			continue
		}
		if i < last {
			t.Errorf("%s is reported out of address order", a)
		}
		last = i
	}
	if strings.Contains(msg, "production/iam_role/owned") {
		t.Errorf("a resource tagged for this stack is refused: %s", msg)
	}
}

func changeLine(c Change) string {
	var deps []string
	for _, d := range c.DependsOn {
		deps = append(deps, d.String())
	}
	s := fmt.Sprintf("%c %s", c.Action, c.Addr)
	if len(deps) > 0 {
		s += " after " + strings.Join(deps, ",")
	}
	return s
}

func lines(p *Plan) []string {
	var out []string
	for _, c := range p.Changes {
		out = append(out, changeLine(c))
	}
	return out
}

func TestComputeOrder(t *testing.T) {
	t.Parallel()
	w := newWorld(map[string]resource.Value{
		"production/iam_group/old":          val("o"),
		"production/iam_group_policy/old/p": val("p"),
		"production/iam_group_policy/old/q": val("q"),
		"development/iam_role/gone":         mine("g"),
	})
	st := stateOf("production/iam_group/old", "production/iam_group_policy/old/p", "production/iam_group_policy/old/q", "development/iam_role/gone")
	in := input(w, st,
		desire("production/iam_role_policy/zeta/inline", val("i")),
		desire("production/iam_role/zeta", mine("z")),
		// Sorts first by address, but depends on zeta.
		desire("development/iam_group/alpha", val("a"), "production/iam_role/zeta"),
		// Names its parent itself: not listed twice.
		desire("development/iam_group_policy/beta/p", val("b"), "development/iam_group/beta"),
		desire("development/iam_group/beta", val("b")),
		// Depends on something that is already as desired: no wait.
		desire("reporting/s3_bucket/data", mine("d"), "reporting/s3_bucket/ready"),
		desire("reporting/s3_bucket/ready", mine("r")),
	)
	w.vals["reporting/s3_bucket/ready"] = mine("r")
	p, err := Compute(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	wantLines := []string{
		"+ development/iam_group/beta",
		"+ development/iam_group_policy/beta/p after development/iam_group/beta",
		"+ production/iam_role/zeta",
		"+ development/iam_group/alpha after production/iam_role/zeta",
		"+ production/iam_role_policy/zeta/inline after production/iam_role/zeta",
		"+ reporting/s3_bucket/data after reporting/s3_bucket/ready",
		"- production/iam_group_policy/old/q",
		"- production/iam_group_policy/old/p",
		"- production/iam_group/old after production/iam_group_policy/old/q,production/iam_group_policy/old/p",
		"- development/iam_role/gone",
	}
	if d := cmp.Diff(wantLines, lines(p)); d != "" {
		t.Errorf("order (-want +got):\n%s", d)
	}
}

func TestComputeIsDeterministic(t *testing.T) {
	t.Parallel()
	vals := map[string]resource.Value{}
	var desired []resource.Resource
	var inState []string
	for i := range 12 {
		role := fmt.Sprintf("production/iam_role/r%02d", i)
		pol := fmt.Sprintf("production/iam_role_policy/r%02d/p", i)
		group := fmt.Sprintf("development/iam_group/g%02d", i)
		old := fmt.Sprintf("reporting/iam_group/old%02d", i)
		desired = append(desired, desire(role, mine("r")), desire(pol, val("p")), desire(group, val("g"), role))
		if i%2 == 0 {
			vals[role], vals[pol] = mine("before"), val("before")
			inState = append(inState, role)
		}
		vals[old] = val("o")
		inState = append(inState, old, fmt.Sprintf("reporting/iam_group/forgotten%02d", i))
	}
	compute := func() string {
		p, err := Compute(context.Background(), input(newWorld(vals), stateOf(inState...), desired...))
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	first := compute()
	for range 30 {
		if got := compute(); got != first {
			t.Fatalf("two plans of the same inputs differ:\n%s\n%s", first, got)
		}
	}
}

func TestComputeReadErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		desired []resource.Resource
		fail    map[string]error
		want    []string // in this order
	}{
		{
			name: "every failed read is reported, sorted",
			desired: []resource.Resource{
				desire("reporting/s3_bucket/c", mine("c")), desire("development/iam_group/a", val("a")),
				desire("production/iam_role/ok", mine("ok")), desire("production/iam_role/b", mine("b")),
			},
			fail: map[string]error{
				"reporting/s3_bucket/c":   errors.New("throttled"),
				"development/iam_group/a": errors.New("AccessDenied"),
				"production/iam_role/b":   errors.New("timeout"),
			},
			want: []string{"development/iam_group/a: AccessDenied", "production/iam_role/b: timeout", "reporting/s3_bucket/c: throttled"},
		},
		{
			name:    "unknown kind",
			desired: []resource.Resource{desire("production/lambda_layer/x", val("x"))},
			want:    []string{"production/lambda_layer/x: unknown resource kind or account"},
		},
		{
			name:    "unknown account",
			desired: []resource.Resource{desire("staging/iam_role/x", mine("x"))},
			want:    []string{"staging/iam_role/x: unknown resource kind or account"},
		},
		{
			name: "unknown kind after a failed read",
			desired: []resource.Resource{
				desire("development/iam_group/a", val("a")), desire("production/lambda_layer/x", val("x")),
				desire("development/iam_group/b", val("b")),
			},
			fail: map[string]error{"development/iam_group/a": errors.New("AccessDenied"), "development/iam_group/b": errors.New("AccessDenied")},
			want: []string{"development/iam_group/a: AccessDenied", "development/iam_group/b: AccessDenied", "production/lambda_layer/x: unknown resource kind or account"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(nil)
			for a, err := range tt.fail {
				w.readErr[a] = err
			}
			p, err := Compute(context.Background(), input(w, stateOf(), tt.desired...))
			if err == nil || p != nil {
				t.Fatalf("plan %v, error %v", p, err)
			}
			if got := strings.Split(err.Error(), "\n"); !cmp.Equal(got, tt.want) {
				t.Errorf("errors (-want +got):\n%s", cmp.Diff(tt.want, got))
			}
			for a, e := range tt.fail {
				if !errors.Is(err, e) {
					t.Errorf("the error of %s is not wrapped", a)
				}
			}
		})
	}
}

// peak counts reads in flight. Each read waits until limit reads are in
// flight at once (or a second passed), so that a bound that is not reached
// shows too.
type peak struct {
	mu       sync.Mutex
	inFlight int
	max      int
	limit    int
	full     chan struct{}
	once     sync.Once
}

func newPeak(limit int) *peak { return &peak{limit: limit, full: make(chan struct{})} }

func (p *peak) enter() {
	p.mu.Lock()
	p.inFlight++
	p.max = max(p.max, p.inFlight)
	if p.inFlight >= p.limit {
		p.once.Do(func() { close(p.full) })
	}
	p.mu.Unlock()
	select {
	case <-p.full:
		// Stay a moment, so that reads past the bound overlap this one.
		time.Sleep(time.Millisecond)
	case <-time.After(time.Second):
		// The bound is never reached: let the others go, and max tells.
		p.once.Do(func() { close(p.full) })
	}
	p.mu.Lock()
	p.inFlight--
	p.mu.Unlock()
}

func TestComputeReadsInParallelWithinBound(t *testing.T) {
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
			pk := newPeak(tt.want)
			w.onRead = func(string) { pk.enter() }
			var desired []resource.Resource
			for i := range 25 {
				desired = append(desired, desire(fmt.Sprintf("production/iam_role/r%02d", i), mine("r")))
			}
			in := input(w, stateOf(), desired...)
			in.Parallelism = tt.parallelism
			p, err := Compute(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Changes) != 25 {
				t.Errorf("%d changes, want 25", len(p.Changes))
			}
			if pk.max != tt.want {
				t.Errorf("at most %d reads at once, want %d", pk.max, tt.want)
			}
		})
	}
}

func TestReadAll(t *testing.T) {
	t.Parallel()
	w := newWorld(map[string]resource.Value{
		"production/iam_role/a":     mine("a"),
		"development/iam_group/g":   val("g"),
		"production/iam_role/state": mine("s"),
	})
	in := input(w, stateOf("production/iam_role/state"),
		desire("production/iam_role/a", mine("other")), desire("development/iam_group/g", val("g")), desire("production/iam_role/absent", mine("x")))
	got, err := ReadAll(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	wantVals := map[string]resource.Value{"production/iam_role/a": mine("a"), "development/iam_group/g": val("g")}
	if d := cmp.Diff(wantVals, got); d != "" {
		t.Errorf("values (-want +got):\n%s", d)
	}

	w.readErr["production/iam_role/absent"] = errors.New("AccessDenied")
	if _, err := ReadAll(context.Background(), in); err == nil || !strings.Contains(err.Error(), "production/iam_role/absent: AccessDenied") {
		t.Errorf("error %v, want the failed read", err)
	}
}

func TestReadChanges(t *testing.T) {
	t.Parallel()
	w := newWorld(map[string]resource.Value{
		"production/iam_role/a":   mine("moved"),
		"development/iam_group/g": val("g"),
		"production/iam_role/b":   mine("not in the plan"),
	})
	p := &Plan{
		Changes: []Change{
			{Addr: addr("production/iam_role/a"), Action: Update, Before: mine("a"), After: mine("new")},
			{Addr: addr("production/iam_role/created"), Action: Create, After: mine("c")},
			{Addr: addr("development/iam_group/g"), Action: Delete, Before: val("g")},
		},
		Forget: addrs("production/iam_role/f"),
	}
	got, err := ReadChanges(context.Background(), p, fakeKinds(w), fakeClients(), 2)
	if err != nil {
		t.Fatal(err)
	}
	wantVals := map[string]resource.Value{
		"production/iam_role/a":       mine("moved"),
		"production/iam_role/created": nil,
		"development/iam_group/g":     val("g"),
	}
	if d := cmp.Diff(wantVals, got); d != "" {
		t.Errorf("values (-want +got):\n%s", d)
	}
	if _, err := ReadChanges(context.Background(), p, fakeKinds(w), map[string]*resource.Clients{}, 2); err == nil {
		t.Error("no error without the accounts' clients")
	}
}

func TestCounts(t *testing.T) {
	t.Parallel()
	p := &Plan{Changes: []Change{
		{Action: Create}, {Action: Create}, {Action: Update}, {Action: Adopt}, {Action: Delete}, {Action: Delete}, {Action: Delete},
	}}
	add, change, destroy := p.Counts()
	if add != 2 || change != 1 || destroy != 3 || p.Adopted() != 1 || p.Empty() {
		t.Errorf("counts %d %d %d adopted %d empty %v", add, change, destroy, p.Adopted(), p.Empty())
	}
	if !(&Plan{Forget: addrs("production/iam_role/a")}).Empty() {
		t.Error("a plan that only forgets is not empty")
	}
}

// A change on a dependency cycle can never be applied; leaving it out of
// the plan would report success while the config is not applied.
func TestComputeRefusesADependencyCycle(t *testing.T) {
	t.Parallel()
	in := input(newWorld(nil), stateOf(),
		desire("production/iam_role/a", mine("a"), "production/iam_role/b"),
		desire("production/iam_role/b", mine("b"), "production/iam_role/a"),
		desire("production/iam_role/c", mine("c")),
	)
	p, err := Compute(context.Background(), in)
	if err == nil {
		t.Fatalf("no error; plan %q", lines(p))
	}
	for _, s := range []string{"dependency cycle", "production/iam_role/a", "production/iam_role/b"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not say %q", err, s)
		}
	}
	if strings.Contains(err.Error(), "production/iam_role/c") {
		t.Errorf("error %q names a change outside the cycle", err)
	}
}
