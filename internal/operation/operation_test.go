package operation

import (
	"context"
	"debug/elf"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xacct/xacct/internal/plan"
	"github.com/xacct/xacct/internal/resource"
	"github.com/xacct/xacct/internal/resource/resourcetest"
	"github.com/xacct/xacct/internal/state"
	"github.com/xacct/xacct/lambda/artifact"
)

// lambdaPackage is a zip whose bootstrap has the ELF header of machine.
func lambdaPackage(t *testing.T, machine elf.Machine) []byte {
	t.Helper()
	hdr := elf.Header64{Machine: uint16(machine)}
	copy(hdr.Ident[:], elf.ELFMAG)
	var b strings.Builder
	if err := binary.Write(&b, binary.LittleEndian, hdr); err != nil {
		t.Fatal(err)
	}
	pkg, err := artifact.Zip([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return pkg
}

// world is one test's config file, package, state file and three fake
// accounts; sessions opened on it share them, as runs share AWS.
type world struct {
	t        *testing.T
	dir, cfg string
	fakes    map[string]*resourcetest.Fake
	clients  map[string]*resource.Clients
}

func newWorld(t *testing.T, extra string) *world {
	t.Helper()
	w := &world{t: t, dir: t.TempDir(), fakes: map[string]*resourcetest.Fake{}, clients: map[string]*resource.Clients{}}
	w.cfg = filepath.Join(w.dir, "xacct.yaml")
	w.writeConfig(extra)
	if err := os.WriteFile(filepath.Join(w.dir, "processor.zip"), lambdaPackage(t, elf.EM_AARCH64), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, id := range map[string]string{"development": "111111111111", "production": "222222222222", "reporting": "333333333333"} {
		w.clients[name], w.fakes[name] = resourcetest.New(id, "us-east-1")
	}
	return w
}

func (w *world) writeConfig(extra string) {
	w.t.Helper()
	yaml := fmt.Sprintf(`stack: acme-data
region: us-east-1
accounts:
  development: { id: "111111111111" }
  production: { id: "222222222222" }
  reporting: { id: "333333333333" }
production: { bucket: acme-data-prod, processor: { package: %q } }
reporting: { bucket: acme-data-reporting }
state: { path: %q }
%s`, filepath.Join(w.dir, "processor.zip"), filepath.Join(w.dir, "state.json"), extra)
	if err := os.WriteFile(w.cfg, []byte(yaml), 0o600); err != nil {
		w.t.Fatal(err)
	}
}

// open is Open with the world's fake accounts instead of signing in.
func (w *world) open(need Need, adopt bool) *Session {
	w.t.Helper()
	env := Env{Now: time.Now, Who: "test@host"}
	s, pkgs, err := load(env, Options{Config: w.cfg, Parallelism: 4, Adopt: adopt}, need)
	if err != nil {
		w.t.Fatal(err)
	}
	s.clients = map[string]*resource.Clients{}
	for k, c := range w.clients {
		cc := *c
		cc.Tags = map[string]string{resource.TagStack: "acme-data", resource.TagManagedBy: "xacct"}
		s.clients[k] = &cc
	}
	if s.st, err = state.Open(s.Config.State.Path, s.Config.Stack); err != nil {
		w.t.Fatal(err)
	}
	s.deploys(pkgs)
	return s
}

// savePlan plans on a new session and saves the plan as p.plan.
func (w *world) savePlan() (*Session, *plan.Plan, string) {
	w.t.Helper()
	s := w.open(NeedPackage, false)
	p, err := s.Plan(context.Background(), false)
	if err != nil {
		w.t.Fatal(err)
	}
	path := filepath.Join(w.dir, "p.plan")
	if err := s.SavePlan(path, p); err != nil {
		w.t.Fatal(err)
	}
	return s, p, path
}

// converge plans and applies, and returns the plan it applied.
func (w *world) converge(destroy bool) (*plan.Plan, Result) {
	w.t.Helper()
	need := NeedPackage
	if destroy {
		need = NeedState
	}
	s := w.open(need, false)
	ctx := context.Background()
	p, err := s.Plan(ctx, destroy)
	if err != nil {
		w.t.Fatal(err)
	}
	if err := s.CheckData(ctx, p, false); err != nil {
		w.t.Fatal(err)
	}
	res, err := s.Apply(ctx, p, false, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	return p, res
}

// TestOpenRefusesBadInputsBeforeAnyCall: what a user can get wrong in the
// config, the package or the flags is refused before a sign-in starts.
func TestOpenRefusesBadInputsBeforeAnyCall(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		pkg      func(t *testing.T) []byte // nil: no package file
		need     Need
		opts     func(o *Options)
		wantErr  string
		wantHint string
	}{
		{name: "no package", need: NeedPackage, wantErr: "processor.zip does not exist", wantHint: "build it in the repository: make lambda ARCH=arm64"},
		{name: "not a zip", pkg: func(*testing.T) []byte { return []byte("#!/bin/sh") }, need: NeedPackage, wantErr: "not a zip", wantHint: "rebuild it"},
		{name: "another architecture", pkg: func(t *testing.T) []byte { return lambdaPackage(t, elf.EM_X86_64) }, need: NeedPackage,
			wantErr: "holds a bootstrap for x86_64, but production.processor.architecture is arm64", wantHint: "rebuild it: make lambda ARCH=arm64"},
		{name: "parallelism", need: NeedNames, opts: func(o *Options) { o.Parallelism = 0 }, wantErr: "--parallelism must be at least 1"},
		{name: "config missing", need: NeedNames, opts: func(o *Options) { o.Config += ".missing" }, wantErr: "does not exist",
			wantHint: "pass the config with -c FILE (the local sandbox's: -c examples/sandbox.yaml)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, "")
			path := filepath.Join(w.dir, "processor.zip")
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			if tt.pkg != nil {
				if err := os.WriteFile(path, tt.pkg(t), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			o := Options{Config: w.cfg, Parallelism: 1}
			if tt.opts != nil {
				tt.opts(&o)
			}
			// Open's own checks: the sign-in (base credentials first) is
			// never started.
			var signIns atomic.Int32
			env := Env{AWS: func(context.Context, string) (aws.Config, error) {
				signIns.Add(1)
				return aws.Config{}, errors.New("no credentials in this test")
			}}
			_, err := Open(context.Background(), env, o, "plan", false, tt.need)
			if n := signIns.Load(); n != 0 {
				t.Errorf("Open started %d sign-ins before refusing its inputs", n)
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want %q", err, tt.wantErr)
			}
			var h *HintError
			if tt.wantHint != "" && (!errors.As(err, &h) || !strings.Contains(h.Hint, tt.wantHint)) {
				t.Errorf("hint = %+v, want %q", h, tt.wantHint)
			}
		})
	}
}

func TestOnlyPlanAndApplyNeedThePackage(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "")
	if err := os.Remove(filepath.Join(w.dir, "processor.zip")); err != nil {
		t.Fatal(err)
	}
	for _, need := range []Need{NeedNames, NeedState} {
		s, pkg, err := load(Env{}, Options{Config: w.cfg, Parallelism: 1}, need)
		if err != nil || pkg != nil {
			t.Fatalf("need %d: package %d bytes, err %v", need, len(pkg), err)
		}
		if need == NeedNames && len(s.desired) == 0 || need == NeedState && len(s.desired) != 0 {
			t.Errorf("need %d: %d desired resources", need, len(s.desired))
		}
	}
}

// TestPackageRebuiltAfterThePlan: a package rebuilt between the plan and
// its apply is not deployed (the plan showed the hash of other bytes), the
// error says so and what to run, and nothing at all is changed.
func TestPackageRebuiltAfterThePlan(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "")
	s := w.open(NeedPackage, false)
	ctx := context.Background()
	p, err := s.Plan(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	planned := map[string]int{}
	for account, f := range w.fakes {
		planned[account] = len(f.Calls())
	}
	// Another arm64 package: same architecture, other bytes.
	rebuilt := lambdaPackage(t, elf.EM_AARCH64)
	rebuilt = append(rebuilt[:len(rebuilt):len(rebuilt)], 0)
	if err := os.WriteFile(filepath.Join(w.dir, "processor.zip"), rebuilt, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = s.Apply(ctx, p, false, nil)
	if err == nil || !strings.Contains(err.Error(), "changed after the plan hashed it") {
		t.Fatalf("apply = %v, want the package refused as changed since the plan", err)
	}
	var h *HintError
	if !errors.As(err, &h) || !strings.Contains(h.Hint, "run xacct plan") {
		t.Errorf("hint = %+v, want one saying to plan again", h)
	}
	for account, f := range w.fakes {
		if ops := f.Ops()[planned[account]:]; len(ops) != 0 {
			t.Errorf("the apply called %v in %s before refusing the package", ops, account)
		}
	}
}

// TestApplyThenNothingToDo: every kind of the stack round-trips through the
// fakes (as AWS returns it: URL-encoded policies, reordered fields), so the
// plan right after an apply is empty; a diff there is a canonicalization bug.
func TestApplyThenNothingToDo(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "groups:\n  developers: { members: [alice] }\n  testers: {}\n")
	w.fakes["development"].AddUser("alice")
	p, res := w.converge(false)
	add, _, _ := p.Counts()
	if add != 31 || res.Added != 31 {
		t.Fatalf("first apply: plan adds %d, apply added %d; want 31", add, res.Added)
	}
	s := w.open(NeedPackage, false)
	again, err := s.Plan(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range again.Changes {
		t.Errorf("after apply: %c %s\n  before %s\n  after  %s", c.Action, c.Addr, c.Before, c.After)
	}
	m, err := s.Verify(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	if n := m.Mismatches(); n != 0 || len(m.Checks) == 0 {
		t.Errorf("verify after apply: %d of %d checks differ", n, len(m.Checks))
	}
	p, res = w.converge(true)
	if _, _, del := p.Counts(); del != 31 || res.Destroyed != 31 {
		t.Errorf("destroy: plan deletes %d, destroyed %d; want 31", del, res.Destroyed)
	}
	if st := w.open(NeedState, false).st.Snapshot(); len(st.Resources) != 0 {
		t.Errorf("state after destroy: %v", st.Addresses())
	}
}

func TestDataCheckRefusesToDeleteABucketWithObjects(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "")
	w.converge(false)
	if err := w.fakes["production"].PutObject("acme-data-prod", "report.csv"); err != nil {
		t.Fatal(err)
	}
	s := w.open(NeedState, false)
	p, err := s.Plan(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	err = s.CheckData(context.Background(), p, false)
	if err == nil || !strings.Contains(err.Error(), "bucket acme-data-prod holds objects") || strings.Contains(err.Error(), "acme-data-reporting") {
		t.Fatalf("data check = %v, want the production bucket refused alone", err)
	}
	if err := s.CheckData(context.Background(), p, true); err != nil {
		t.Errorf("with --force-delete-data: %v", err)
	}
}

// TestDestroyKeepsTheLogs: a log bucket that holds logs is kept with its
// policy and forgotten (every other resource is destroyed); with
// --force-delete-data it is emptied and deleted like the rest.
func TestDestroyKeepsTheLogs(t *testing.T) {
	t.Parallel()
	const logs = "acme-data-logs-333333333333"
	for _, force := range []bool{false, true} {
		t.Run(fmt.Sprintf("force=%t", force), func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, "")
			w.converge(false)
			if err := w.fakes["reporting"].PutObject(logs, "AWSLogs/222222222222/CloudTrail/us-east-1/2026/12/06/x.json.gz"); err != nil {
				t.Fatal(err)
			}
			s := w.open(NeedState, false)
			ctx := context.Background()
			p, err := s.Plan(ctx, true)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.KeepLogs(ctx, p, force); err != nil {
				t.Fatal(err)
			}
			if err := s.CheckData(ctx, p, force); err != nil {
				t.Fatalf("data check after KeepLogs: %v", err)
			}
			var kept []string
			for _, k := range p.Keep {
				kept = append(kept, k.Addr.String())
			}
			want := []string{"reporting/s3_bucket/" + logs, "reporting/s3_bucket_policy/" + logs}
			if force {
				want = nil
			}
			if !slices.Equal(kept, want) {
				t.Errorf("kept %v, want %v", kept, want)
			}
			res, err := s.Apply(ctx, p, force, nil)
			if err != nil {
				t.Fatal(err)
			}
			if st := w.open(NeedState, false).st.Snapshot(); len(st.Resources) != 0 {
				t.Errorf("state after destroy: %v", st.Addresses())
			}
			if n, _ := w.fakes["reporting"].ObjectCount(logs); !force && n != 1 || force && n != 0 {
				t.Errorf("destroyed %d; the log bucket holds %d objects", res.Destroyed, n)
			}
		})
	}
}

func TestSavedPlanIsRefusedWhenAnythingMoved(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		move    func(w *world, s *Session)
		wantErr string
	}{
		{name: "nothing moved"},
		{name: "config edited", move: func(w *world, _ *Session) { w.writeConfig("tags: { team: data }\n") },
			wantErr: "the config, the policy templates or the processor package changed"},
		{name: "package rebuilt", move: func(w *world, _ *Session) {
			pkg := append(lambdaPackage(w.t, elf.EM_AARCH64), 0)
			if err := os.WriteFile(filepath.Join(w.dir, "processor.zip"), pkg, 0o600); err != nil {
				w.t.Fatal(err)
			}
		}, wantErr: "the config, the policy templates or the processor package changed"},
		{name: "state moved on", move: func(w *world, s *Session) {
			if err := s.st.Put(context.Background(), "production/iam_role/other", state.Entry{Kind: "iam_role", Account: "production", Name: "other"}); err != nil {
				w.t.Fatal(err)
			}
		}, wantErr: "the state moved on (serial 1, the plan read 0)"},
		{name: "resource made since", move: func(w *world, _ *Session) {
			c := w.clients["reporting"]
			v := []byte(`{"name":"acme-data-reporting","encryption":"AES256","ownership":"BucketOwnerEnforced","public_access_block":{},"tags":{},"versioning":"Enabled"}`)
			if err := resource.AllKinds()["s3_bucket"].Create(context.Background(), c, "acme-data-reporting", v); err != nil {
				w.t.Fatal(err)
			}
		}, wantErr: "these resources changed since the plan read them: reporting/s3_bucket/acme-data-reporting"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, "")
			s, p, path := w.savePlan()
			if tt.move != nil {
				tt.move(w, s)
			}
			sp, err := ReadSaved(path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := w.open(NeedPackage, false).CheckSaved(context.Background(), sp)
			if tt.wantErr == "" {
				if err != nil || len(got.Changes) != len(p.Changes) {
					t.Fatalf("LoadSaved = %d changes, %v; want the saved %d", len(got.Changes), err, len(p.Changes))
				}
				return
			}
			var h *HintError
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "nothing was changed") ||
				!errors.As(err, &h) || h.Hint != "plan again: xacct plan --out "+path {
				t.Fatalf("LoadSaved error = %v, want %q with a hint to plan again", err, tt.wantErr)
			}
		})
	}
}

func TestSavedPlanOfAnotherStackIsRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "")
	s := w.open(NeedPackage, false)
	p, err := s.Plan(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(w.dir, "p.plan")
	s.Config.Stack = "other"
	if err := s.SavePlan(path, p); err != nil {
		t.Fatal(err)
	}
	sp, err := ReadSaved(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.open(NeedPackage, false).CheckSaved(context.Background(), sp)
	if err == nil || !strings.Contains(err.Error(), `it is for stack "other", the config is for "acme-data"`) {
		t.Fatalf("error = %v", err)
	}
	if err := (&Session{}).SavePlan(path, p); err == nil {
		t.Error("a session that computed no plan saved one")
	}
	if _, err := ReadSaved(path + ".missing"); err == nil || !strings.Contains(err.Error(), "read saved plan") {
		t.Errorf("a missing plan file: %v", err)
	}
}

func TestImport(t *testing.T) {
	t.Parallel()
	const bucket = "production/s3_bucket/acme-data-prod"
	tests := []struct {
		name, addr, id string
		setup          func(w *world, s *Session)
		wantErr        string
	}{
		{name: "existing bucket", addr: bucket, id: "acme-data-prod", setup: func(w *world, _ *Session) {
			v := []byte(`{"name":"acme-data-prod","encryption":"AES256","ownership":"BucketOwnerEnforced","public_access_block":{},"tags":{},"versioning":"Enabled"}`)
			if err := resource.AllKinds()["s3_bucket"].Create(context.Background(), w.clients["production"], "acme-data-prod", v); err != nil {
				w.t.Fatal(err)
			}
		}},
		{name: "not an address", addr: "acme-data-prod", id: "acme-data-prod", wantErr: "is not a resource address"},
		{name: "ID is not the name", addr: bucket, id: "other", wantErr: `ID "other" does not match the address's name "acme-data-prod"`},
		{name: "not in the config", addr: "production/s3_bucket/other", id: "other", wantErr: "is not a resource of this config"},
		{name: "absent", addr: bucket, id: "acme-data-prod", wantErr: "does not exist in the production account: nothing to import"},
		{name: "already in the state", addr: bucket, id: "acme-data-prod", setup: func(w *world, s *Session) {
			if err := s.st.Put(context.Background(), bucket, state.Entry{Kind: "s3_bucket", Account: "production", Name: "acme-data-prod"}); err != nil {
				w.t.Fatal(err)
			}
		}, wantErr: "is already in the state"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, "")
			s := w.open(NeedNames, false)
			if tt.setup != nil {
				tt.setup(w, s)
			}
			err := s.Import(context.Background(), tt.addr, tt.id)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			e, ok := w.open(NeedNames, false).st.Snapshot().Resources[tt.addr]
			if !ok || e.Pending || len(e.Value) == 0 {
				t.Errorf("state entry = %+v, want the bucket as read", e)
			}
		})
	}
}

func TestRenderedVerifyMatchesIntent(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "")
	cfg, m, err := Rendered(w.cfg, false)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Stack != "acme-data" || len(m.Checks) == 0 || m.Mismatches() != 0 {
		t.Errorf("rendered: stack %q, %d checks, %d mismatches", cfg.Stack, len(m.Checks), m.Mismatches())
	}
	if _, _, err := Rendered(w.cfg+".missing", false); err == nil {
		t.Error("a missing config verified")
	}
}

func TestLocalStateCommands(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "")
	w.converge(false)
	ctx := context.Background()
	env := Env{Now: time.Now, Who: "test@host"}
	v, err := ReadState(ctx, env, w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Entries) != 30 || v.Lineage == "" || v.Serial == 0 {
		t.Fatalf("state: %d entries, lineage %q, serial %d", len(v.Entries), v.Lineage, v.Serial)
	}
	for i := 1; i < len(v.Entries); i++ {
		if v.Entries[i-1].Address >= v.Entries[i].Address {
			t.Errorf("entries out of order: %s before %s", v.Entries[i-1].Address, v.Entries[i].Address)
		}
	}
	const role = "production/iam_role/acme-data-testers"
	e, err := ShowState(ctx, env, w.cfg, role)
	if err != nil || e.Kind != "iam_role" || e.Name != "acme-data-testers" || len(e.Value) == 0 {
		t.Fatalf("show %s = %+v, %v", role, e, err)
	}
	var h *HintError
	if _, err := ShowState(ctx, env, w.cfg, "production/iam_role/nope"); !errors.As(err, &h) || h.Hint != "xacct state list shows what is" {
		t.Errorf("show of an unknown address: %v", err)
	}
	if err := RemoveState(ctx, env, w.cfg, "nope"); err == nil || !strings.Contains(err.Error(), "is not a resource address") {
		t.Errorf("rm of a non-address: %v", err)
	}
	if err := RemoveState(ctx, env, w.cfg, role); err != nil {
		t.Fatal(err)
	}
	if _, err := ShowState(ctx, env, w.cfg, role); err == nil {
		t.Error("rm left the entry in the state")
	}
	if err := RemoveState(ctx, env, w.cfg, role); !errors.As(err, &h) {
		t.Errorf("second rm: %v", err)
	}
	// The role itself is untouched: only forgotten.
	if v, err := resource.AllKinds()["iam_role"].Read(ctx, w.clients["production"], "acme-data-testers"); err != nil || v == nil {
		t.Errorf("the role after state rm: %s, %v", v, err)
	}
}

func TestLockedStateIsRefusedAndForceUnlocked(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "")
	ctx := context.Background()
	env := Env{Now: time.Now, Who: "alice@laptop"}
	holder := w.open(NeedNames, false)
	if err := acquire(ctx, env, holder.st, "apply"); err != nil {
		t.Fatal(err)
	}
	err := RemoveState(ctx, env, w.cfg, "production/iam_role/r")
	if err == nil {
		t.Fatal("state rm of an absent entry on a locked state succeeded")
	}
	if err := holder.st.Put(ctx, "production/iam_role/r", state.Entry{Kind: "iam_role", Account: "production", Name: "r"}); err != nil {
		t.Fatal(err)
	}
	err = RemoveState(ctx, env, w.cfg, "production/iam_role/r")
	var h *HintError
	var le *state.LockedError
	if !errors.As(err, &le) || !errors.As(err, &h) || !strings.HasPrefix(h.Hint, "wait for it to finish; if that process is gone, run: xacct force-unlock "+le.Lock.ID) {
		t.Fatalf("rm on a locked state: %v", err)
	}
	if _, err := ForceUnlock(ctx, env, w.cfg, "wrong-id"); err == nil {
		t.Error("force-unlock with the wrong ID succeeded")
	}
	where, err := ForceUnlock(ctx, env, w.cfg, le.Lock.ID)
	if err != nil || where != filepath.Join(w.dir, "state.json") {
		t.Fatalf("force-unlock = %q, %v", where, err)
	}
	if err := RemoveState(ctx, env, w.cfg, "production/iam_role/r"); err != nil {
		t.Errorf("rm after force-unlock: %v", err)
	}
}

// TestEditedSavedPlanIsRefused: a saved plan is applied only as far as the
// config and the state vouch for it.
func TestEditedSavedPlanIsRefused(t *testing.T) {
	t.Parallel()
	const testersPolicy = "production/iam_role_policy/acme-data-testers/s3-access"
	tests := []struct {
		name    string
		edit    func(t *testing.T, s *plan.Saved)
		wantErr string
	}{
		{name: "a policy widened", edit: func(t *testing.T, s *plan.Saved) {
			for i, c := range s.Changes {
				if c.Address == testersPolicy {
					s.Changes[i].After = json.RawMessage(strings.Replace(string(c.After), `"s3:GetObject"`, `"s3:*"`, 1))
					return
				}
			}
			t.Fatal("no change to " + testersPolicy)
		}, wantErr: testersPolicy + ": its after is not the config's"},
		{name: "a foreign delete", edit: func(_ *testing.T, s *plan.Saved) {
			s.Changes = append(s.Changes, plan.JSONChange{Address: "production/iam_role/someone-elses", Account: "production", Kind: "iam_role",
				Name: "someone-elses", Action: "delete", Before: json.RawMessage(`{"name":"someone-elses"}`), After: json.RawMessage("null"), DependsOn: []string{}})
		}, wantErr: "production/iam_role/someone-elses: a delete of something the state does not hold"},
		{name: "a change left out", edit: func(_ *testing.T, s *plan.Saved) { s.Changes = s.Changes[1:] }, wantErr: "missing from the saved plan"},
		{name: "a create turned into an adopt", edit: func(_ *testing.T, s *plan.Saved) { s.Changes[0].Action = "adopt" }, wantErr: "adopt, but the config gives create"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, "")
			_, _, path := w.savePlan()
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var saved plan.Saved
			if err := json.Unmarshal(b, &saved); err != nil {
				t.Fatal(err)
			}
			if saved.Config != w.cfg {
				t.Errorf("the plan records config %q, want %q", saved.Config, w.cfg)
			}
			tt.edit(t, &saved)
			if b, err = json.Marshal(saved); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			sp, err := ReadSaved(path)
			if err != nil {
				t.Fatal(err)
			}
			later := w.open(NeedPackage, false)
			_, err = later.CheckSaved(context.Background(), sp)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "nothing was changed") {
				t.Fatalf("CheckSaved = %v, want %q", err, tt.wantErr)
			}
			if len(w.fakes["production"].Calls()) == 0 {
				return
			}
			for _, c := range w.fakes["production"].Ops() {
				if !strings.HasPrefix(c, "Get") && !strings.HasPrefix(c, "Head") && !strings.HasPrefix(c, "List") && !strings.HasPrefix(c, "Describe") {
					t.Errorf("a refused plan called %s", c)
				}
			}
		})
	}
}

// TestDestroyRemovesWhatWasAddedByHand: a member added and a policy
// attached outside xacct do not stop destroy half-way: the plan shows them,
// the destroy removes them first, and the user and the policy are kept.
func TestDestroyRemovesWhatWasAddedByHand(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "")
	w.converge(false)
	ctx := context.Background()
	dev := w.clients["development"]
	w.fakes["development"].AddUser("alice")
	w.fakes["development"].AttachPolicy("arn:aws:iam::aws:policy/ReadOnlyAccess")
	w.fakes["production"].AttachPolicy("arn:aws:iam::aws:policy/ReadOnlyAccess")
	if _, err := dev.IAM.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("Developers"), UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	if _, err := dev.IAM.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("Testers"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.clients["production"].IAM.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("acme-data-testers"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}); err != nil {
		t.Fatal(err)
	}
	p, res := w.converge(true)
	var outside []string
	for _, c := range p.Changes {
		if c.Outside {
			outside = append(outside, c.Addr.String())
		}
	}
	want := []string{
		"production/iam_role_policy_attachment/acme-data-testers/arn:aws:iam::aws:policy/ReadOnlyAccess",
		"development/iam_group_policy_attachment/Testers/arn:aws:iam::aws:policy/ReadOnlyAccess",
		"development/iam_group_membership/Developers/alice",
	}
	if strings.Join(outside, "\n") != strings.Join(want, "\n") {
		t.Errorf("parts made outside xacct:\n%s\nwant:\n%s", strings.Join(outside, "\n"), strings.Join(want, "\n"))
	}
	if res.Destroyed != 33 {
		t.Errorf("destroyed %d, want the 30 resources and the 3 parts", res.Destroyed)
	}
	for _, f := range w.fakes {
		for _, op := range f.Ops() {
			if op == "DeleteUser" || op == "DeletePolicy" {
				t.Errorf("%s: users and policies are never deleted", op)
			}
		}
	}
	// The user is still there: it can join a group again.
	if err := resource.AllKinds()["iam_group"].Create(ctx, dev, "Other", []byte(`{"name":"Other","path":"/"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := dev.IAM.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("Other"), UserName: aws.String("alice")}); err != nil {
		t.Errorf("alice after the destroy: %v", err)
	}
}

// TestSignInFailureIsSaidOnce: three accounts without credentials give one
// line and a hint, not the SDK's chain three times.
func TestSignInFailureIsSaidOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "")
	s, _, err := load(Env{}, Options{Config: w.cfg, Parallelism: 1}, NeedNames)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range s.Config.Accounts.All() {
		a.EndpointURL = "http://127.0.0.1:1"
	}
	env := Env{AWS: func(context.Context, string) (aws.Config, error) {
		return aws.Config{Credentials: aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{}, errors.New("failed to refresh cached credentials, no EC2 IMDS role found")
		}))}, nil
	}}
	_, _, _, err = connect(context.Background(), env, s.Config, 1)
	var h *HintError
	if !errors.As(err, &h) {
		t.Fatalf("connect = %v, want a HintError", err)
	}
	want := "cannot sign in to the development (111111111111), production (222222222222) and reporting (333333333333) accounts: no AWS credentials were found (environment, shared config and credentials files, SSO, instance role)"
	if h.Err.Error() != want || !strings.Contains(h.Hint, "aws sso login") || !strings.Contains(h.Hint, ".xacct/sandbox.env") {
		t.Errorf("error %q\nhint %q", h.Err, h.Hint)
	}
	if strings.Count(h.Detail, "no EC2 IMDS role found") != 3 {
		t.Errorf("detail does not keep each account's error:\n%s", h.Detail)
	}
}

// TestInterruptedCreateIsRecorded: a create whose process died after AWS
// made the resource leaves a pending entry; the next apply records it.
func TestInterruptedCreateIsRecorded(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "")
	w.converge(false)
	ctx := context.Background()
	const role = "production/iam_role/acme-data-testers"
	s := w.open(NeedPackage, false)
	if err := s.st.Put(ctx, role, state.Entry{Kind: "iam_role", Account: "production", Name: "acme-data-testers", Pending: true}); err != nil {
		t.Fatal(err)
	}
	p, res := w.converge(false)
	if !p.Empty() || len(p.Confirm) != 1 || p.Confirm[0].Addr.String() != role || res != (Result{}) {
		t.Fatalf("plan: %d changes, confirm %v; result %+v", len(p.Changes), p.Confirm, res)
	}
	e, err := ShowState(ctx, Env{}, w.cfg, role)
	if err != nil || e.Pending || len(e.Value) == 0 {
		t.Errorf("after apply: %+v, %v; want the role recorded", e, err)
	}
	if p, _ := w.converge(false); len(p.Confirm) != 0 {
		t.Errorf("confirmed again: %v", p.Confirm)
	}
}
