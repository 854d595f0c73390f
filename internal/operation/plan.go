package operation

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/xacct/xacct/internal/apply"
	"github.com/xacct/xacct/internal/config"
	"github.com/xacct/xacct/internal/plan"
	"github.com/xacct/xacct/internal/resource"
	"github.com/xacct/xacct/internal/stack"
	"github.com/xacct/xacct/internal/state"
	"github.com/xacct/xacct/internal/verify"
	"github.com/xacct/xacct/lambda/artifact"
	"github.com/xacct/xacct/policies"
)

// Plan reads every resource of the config and of the state and returns
// the changes that converge one on the other (destroy: the deletion of
// everything in the state).
func (s *Session) Plan(ctx context.Context, destroy bool) (*plan.Plan, error) {
	s.read = s.st.Snapshot()
	var members []string
	exclusive := map[resource.Address][]string{}
	for _, g := range s.Config.Groups {
		members = append(members, g.Members...)
		if g.ExclusiveMembers() {
			// The config's members are the group's: anyone else in it is
			// drift, removed on apply (the user is kept).
			exclusive[resource.Address{Account: "development", Kind: "iam_group", Name: g.GroupName}] = []string{"iam_group_membership"}
		}
	}
	p, err := plan.Compute(ctx, plan.Input{
		Stack: s.Config.Stack, Desired: s.desired, State: s.read, Kinds: s.kinds, Clients: s.clients,
		Parallelism: s.opts.Parallelism, Destroy: destroy, Adopt: s.opts.Adopt,
		Users: map[string][]string{"development": members}, Exclusive: exclusive,
	})
	if err != nil {
		return nil, s.explainPlanError(ctx, err)
	}
	p.Access = AccessDelta(s.Config, s.desired, p)
	return p, nil
}

// AccessDelta is who gains or loses access by the plan's changes: the
// policies of the desired resources, with each change's before (and
// after) in place, evaluated by verify on both sides, offline.
func AccessDelta(cfg *config.Config, desired []resource.Resource, p *plan.Plan) []plan.AccessChange {
	before, after := map[string]json.RawMessage{}, map[string]json.RawMessage{}
	for _, r := range desired {
		before[r.Addr.String()], after[r.Addr.String()] = r.Desired, r.Desired
	}
	touched := false
	for _, c := range p.Changes {
		a := c.Addr.String()
		for _, side := range []struct {
			m map[string]json.RawMessage
			v resource.Value
		}{{before, c.Before}, {after, c.After}} {
			if side.v == nil {
				delete(side.m, a)
			} else {
				side.m[a] = json.RawMessage(side.v)
			}
		}
		touched = true
	}
	if !touched {
		return nil
	}
	var out []plan.AccessChange
	for _, d := range verify.Delta(cfg, before, after) {
		out = append(out, plan.AccessChange{Grants: d.Grants, Principal: d.Principal, Via: d.Via, Actions: d.Actions, Resource: d.Resource})
	}
	return out
}

// SavePlan writes p, computed by Plan, to path with what it was computed
// from (the config file's absolute path among it), for a later CheckSaved.
func (s *Session) SavePlan(path string, p *plan.Plan) error {
	if s.read == nil {
		return errors.New("save the plan: no plan was computed")
	}
	cfgPath, err := filepath.Abs(s.Config.File)
	if err != nil {
		return fmt.Errorf("save the plan: %w", err)
	}
	from := plan.Provenance{Stack: s.Config.Stack, Config: cfgPath, InputsDigest: s.digest, StateLineage: s.read.Lineage, StateSerial: s.read.Serial}
	if err := plan.Save(path, p, from); err != nil {
		return fmt.Errorf("save the plan: %w", err)
	}
	return nil
}

// KeepLogs keeps, unless force, each log bucket the plan would delete
// while it holds log files, and its policy: they leave the state and stay
// in AWS, because the record of what happened must outlive the stack it
// recorded (destroy --force-delete-data deletes them).
func (s *Session) KeepLogs(ctx context.Context, p *plan.Plan, force bool) error {
	if force {
		return nil
	}
	dh, ok := s.kinds["s3_bucket"].(resource.DataHolder)
	if !ok {
		return nil
	}
	for _, c := range slices.Clone(p.Changes) {
		if c.Action != plan.Delete || c.Addr.Kind != "s3_bucket" || resource.TagsOf(c.Before)[stack.RoleTag] != stack.RoleLogs {
			continue
		}
		n, err := dh.Count(ctx, s.clients[c.Addr.Account], c.Addr.Name, 1)
		if err != nil {
			return err
		}
		if n == 0 {
			continue
		}
		p.KeepChange(c.Addr, "the log bucket holds log files (--force-delete-data deletes them)")
		p.KeepChange(resource.Address{Account: c.Addr.Account, Kind: "s3_bucket_policy", Name: c.Addr.Name}, "the policy of the kept log bucket, which keeps it TLS-only")
	}
	return nil
}

// CheckData refuses, before anything is changed, a plan that deletes a
// bucket holding objects, unless force is set.
func (s *Session) CheckData(ctx context.Context, p *plan.Plan, force bool) error {
	return apply.CheckData(ctx, p, s.kinds, s.clients, force)
}

// AdoptedData returns the Production bucket's name when p adopts it and it
// already holds objects: their metadata records were never written (the
// processor records what happens after it is deployed).
func (s *Session) AdoptedData(ctx context.Context, p *plan.Plan) (string, error) {
	for _, c := range p.Changes {
		if c.Action != plan.Adopt || c.Addr.Kind != "s3_bucket" || c.Addr.Name != s.Config.Production.Bucket {
			continue
		}
		dh, ok := s.kinds[c.Addr.Kind].(resource.DataHolder)
		if !ok {
			return "", nil
		}
		n, err := dh.Count(ctx, s.clients[c.Addr.Account], c.Addr.Name, 1)
		if err != nil || n == 0 {
			return "", err
		}
		return c.Addr.Name, nil
	}
	return "", nil
}

// Apply runs p, calling on as each change starts and finishes (serialized).
func (s *Session) Apply(ctx context.Context, p *plan.Plan, force bool, on func(Event)) (Result, error) {
	if err := s.packageUnchanged(p); err != nil {
		return Result{}, err
	}
	return apply.Run(ctx, p, s.clients, s.st, apply.Options{
		Kinds: s.kinds, Parallelism: s.opts.Parallelism, ForceDeleteData: force, Now: s.env.Now, OnEvent: on,
	})
}

// packageUnchanged reads the processor's package before the first change
// of a plan that deploys it, so that a package rebuilt since the plan
// hashed it stops the apply before anything is changed, not when the
// function's turn comes. The function's create or update reads it again.
func (s *Session) packageUnchanged(p *plan.Plan) error {
	for _, c := range p.Changes {
		if c.Addr.Kind != "lambda_function" || c.After == nil {
			continue
		}
		var f resource.FunctionValue
		if err := json.Unmarshal(c.After, &f); err != nil {
			return fmt.Errorf("%s: %w", c.Addr, err)
		}
		if load, ok := s.clients["production"].Packages[f.CodeSha256]; ok {
			if _, err := load(); err != nil {
				return err
			}
		}
	}
	return nil
}

// SavedPlan is a saved plan as read from its file.
type SavedPlan struct {
	Path  string
	Plan  *plan.Plan
	saved *plan.Saved
}

// Config is the config file the plan was made from ("" for a plan saved
// before xacct recorded it).
func (sp *SavedPlan) Config() string { return sp.saved.Config }

// ReadSaved reads a saved plan file, before anything else is opened.
func ReadSaved(path string) (*SavedPlan, error) {
	saved, p, err := plan.Load(path, resource.AllKinds())
	if err != nil {
		return nil, err
	}
	return &SavedPlan{Path: path, Plan: p, saved: saved}, nil
}

// CheckSaved checks that a saved plan still applies: same stack, same
// config, templates and package, the state not moved on, and every
// resource it changes still as it was read. Then, since the file may have
// been edited, it trusts none of it: it plans again and refuses unless the
// saved changes are exactly the ones the config and the state give now
// (every after the desired value, every delete of something the state
// owns), and returns the plan it computed. A plan that no longer applies is
// refused with nothing changed.
func (s *Session) CheckSaved(ctx context.Context, sp *SavedPlan) (*plan.Plan, error) {
	path, saved, p := sp.Path, sp.saved, sp.Plan
	stale := func(why string) error {
		return withHint(fmt.Errorf("the saved plan %s no longer applies: %s; nothing was changed", path, why), "plan again: xacct plan --out "+path)
	}
	snap := s.st.Snapshot()
	switch {
	case saved.Stack != s.Config.Stack:
		return nil, stale(fmt.Sprintf("it is for stack %q, the config is for %q", saved.Stack, s.Config.Stack))
	case saved.InputsDigest != s.digest:
		return nil, stale("the config, the policy templates or the processor package changed")
	case saved.StateLineage != snap.Lineage || saved.StateSerial != snap.Serial:
		return nil, stale(fmt.Sprintf("the state moved on (serial %d, the plan read %d)", snap.Serial, saved.StateSerial))
	}
	// What the file claims, checked against the config and the state
	// before anything is read.
	if bad := unvouched(p, s.desired, snap); len(bad) > 0 {
		return nil, edited(path, bad)
	}
	// One round of reads: the plan computed now read every resource, so
	// its befores tell what moved since the saved plan read them (a saved
	// change the fresh plan no longer has, having passed the check above,
	// is one the world has since made).
	fresh, err := s.Plan(ctx, false)
	if err != nil {
		// The world may have moved so that no plan can be made (a
		// resource someone made since): say that, when it is so.
		current, rerr := plan.ReadChanges(ctx, p, s.kinds, s.clients, s.opts.Parallelism)
		if rerr == nil {
			if m := movedSince(p, current); len(m) > 0 {
				return nil, stale("these resources changed since the plan read them: " + strings.Join(m, ", "))
			}
		}
		return nil, err
	}
	now := map[string]resource.Value{}
	for _, c := range fresh.Changes {
		now[c.Addr.String()] = c.Before
	}
	if m := movedSince(p, now); len(m) > 0 {
		return nil, stale("these resources changed since the plan read them: " + strings.Join(m, ", "))
	}
	if diff := differences(p, fresh); len(diff) > 0 {
		return nil, edited(path, diff)
	}
	return fresh, nil
}

// movedSince lists the saved changes whose resource is not as the saved
// plan read it, by the values read now.
func movedSince(p *plan.Plan, now map[string]resource.Value) []string {
	var out []string
	for _, c := range p.Changes {
		v, ok := now[c.Addr.String()]
		if !ok || !bytes.Equal(v, c.Before) {
			out = append(out, c.Addr.String())
		}
	}
	return out
}

func edited(path string, why []string) error {
	return withHint(fmt.Errorf("the saved plan %s is not what its config and the state give (was the file edited?): %s; nothing was changed",
		path, strings.Join(why, "; ")), "plan again: xacct plan --out "+path)
}

// unvouched lists the saved changes that neither the config nor the state
// vouch for: an after that is not the desired value, a delete of something
// the state does not hold.
func unvouched(saved *plan.Plan, desired []resource.Resource, st *state.State) []string {
	want := map[string]resource.Value{}
	for _, r := range desired {
		want[r.Addr.String()] = r.Desired
	}
	var out []string
	for _, c := range saved.Changes {
		k := c.Addr.String()
		if c.Action == plan.Delete {
			// A part made outside xacct is not in the state: the plan
			// computed now must find it (see differences).
			if _, ok := st.Resources[k]; !ok && !c.Outside {
				out = append(out, k+": a delete of something the state does not hold")
			}
			continue
		}
		if v, ok := want[k]; !ok || !bytes.Equal(v, c.After) {
			out = append(out, k+": its after is not the config's")
		}
	}
	return out
}

// differences lists how a saved plan differs from the plan computed now.
func differences(saved, now *plan.Plan) []string {
	want := map[string]plan.Change{}
	for _, c := range now.Changes {
		want[c.Addr.String()] = c
	}
	var out []string
	for _, c := range saved.Changes {
		k := c.Addr.String()
		w, ok := want[k]
		delete(want, k)
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s: %s is not a change the config gives", k, plan.ActionName(c.Action)))
		case w.Action != c.Action:
			out = append(out, fmt.Sprintf("%s: %s, but the config gives %s", k, plan.ActionName(c.Action), plan.ActionName(w.Action)))
		case !bytes.Equal(w.After, c.After):
			out = append(out, k+": its after is not the config's")
		case w.Outside != c.Outside:
			out = append(out, k+": not a part made outside xacct")
		}
	}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		out = append(out, k+": missing from the saved plan")
	}
	if !slices.Equal(addresses(saved.Forget), addresses(now.Forget)) {
		out = append(out, "the entries to forget are not the ones the state gives")
	}
	return out
}

func addresses(as []resource.Address) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.String()
	}
	slices.Sort(out)
	return out
}

// checkPackage checks, without reading all of it, that the processor's
// package exists and is a Lambda package for the configured architecture.
func checkPackage(cfg *config.Config) error {
	p := cfg.Production.Processor
	f, err := os.Open(p.Package)
	if errors.Is(err, os.ErrNotExist) {
		where := ""
		if !filepath.IsAbs(p.Package) {
			if abs, aerr := filepath.Abs(p.Package); aerr == nil {
				where = " (relative to the current directory: " + abs + ")"
			}
		}
		return withHint(fmt.Errorf("the metadata processor's package %s does not exist%s", p.Package, where),
			"build it in the repository: make lambda ARCH="+p.Architecture+"; run xacct from there, or set production.processor.package to the package's path")
	}
	if err != nil {
		return fmt.Errorf("read the metadata processor's package: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("read the metadata processor's package: %w", err)
	}
	return packageArchitecture(cfg, f, st.Size())
}

// hashPackage hashes the processor's package as it reads it: a plan needs
// its CodeSha256, not its bytes (reading 4 MB into memory took longer than
// hashing them). The package it returns reads the bytes again when a
// deployment needs them, and refuses them if they no longer have that hash
// or are no longer for the configured architecture.
func hashPackage(cfg *config.Config) (string, resource.Package, error) {
	path := cfg.Production.Processor.Package
	f, err := os.Open(path)
	if err != nil {
		return "", nil, fmt.Errorf("read the metadata processor's package: %w", err)
	}
	defer f.Close()
	codeSha, err := artifact.ReadCodeSha256(f)
	if err != nil {
		return "", nil, fmt.Errorf("read the metadata processor's package: %w", err)
	}
	return codeSha, func() ([]byte, error) {
		pkg, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read the metadata processor's package: %w", err)
		}
		if now := artifact.CodeSha256(pkg); now != codeSha {
			return nil, withHint(fmt.Errorf("the metadata processor's package %s changed after the plan hashed it (CodeSha256 %s, now %s): nothing was deployed from it", path, codeSha, now),
				"run xacct plan (or apply) again to see and deploy the package as it is now")
		}
		if err := packageArchitecture(cfg, bytes.NewReader(pkg), int64(len(pkg))); err != nil {
			return nil, err
		}
		return pkg, nil
	}, nil
}

func packageArchitecture(cfg *config.Config, pkg io.ReaderAt, size int64) error {
	p := cfg.Production.Processor
	got, err := artifact.Architecture(pkg, size)
	if err != nil {
		return withHint(fmt.Errorf("%s: %w", p.Package, err), "rebuild it: make lambda ARCH="+p.Architecture)
	}
	if got != p.Architecture {
		return withHint(fmt.Errorf("%s holds a bootstrap for %s, but production.processor.architecture is %s", p.Package, got, p.Architecture),
			"rebuild it: make lambda ARCH="+p.Architecture)
	}
	return nil
}

// inputsDigest hashes what a plan is computed from: the config file as
// written, the policy templates and the processor package.
func inputsDigest(cfg *config.Config, codeSha string) string {
	h := sha256.New()
	h.Write(cfg.Raw)
	fmt.Fprintf(h, "\x00%s\x00%s", policies.Digest(), codeSha)
	return hex.EncodeToString(h.Sum(nil))
}

// BucketData is what a bucket that a destroy empties holds.
type BucketData struct {
	Addr  resource.Address
	Usage BucketUsage
}

// BucketUsage counts a bucket's objects, versions and bytes.
type BucketUsage = resource.BucketUsage

// UsageLimit is where DataToDelete stops counting a bucket's entries.
const UsageLimit = resource.UsageLimit

// DataToDelete counts, when force empties buckets (destroy
// --force-delete-data), what each bucket p deletes holds, so that the
// question is asked knowing it; the log bucket is among them when force
// did not keep it. Counting stops at resource.UsageLimit entries a bucket.
func (s *Session) DataToDelete(ctx context.Context, p *plan.Plan, force bool) ([]BucketData, error) {
	if !force {
		return nil, nil
	}
	var out []BucketData
	for _, c := range p.Changes {
		if c.Action != plan.Delete || c.Addr.Kind != "s3_bucket" {
			continue
		}
		u, err := resource.Usage(ctx, s.clients[c.Addr.Account], c.Addr.Name, resource.UsageLimit)
		if err != nil {
			return nil, err
		}
		out = append(out, BucketData{Addr: c.Addr, Usage: u})
	}
	return out, nil
}
