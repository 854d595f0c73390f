package operation

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/xacct/xacct/internal/apply"
	"github.com/xacct/xacct/internal/config"
	"github.com/xacct/xacct/internal/plan"
	"github.com/xacct/xacct/internal/resource"
	"github.com/xacct/xacct/lambda/artifact"
	"github.com/xacct/xacct/policies"
)

// Plan reads every resource of the config and of the state and returns
// the changes that converge one on the other (destroy: the deletion of
// everything in the state).
func (s *Session) Plan(ctx context.Context, destroy bool) (*plan.Plan, error) {
	s.read = s.st.Snapshot()
	return plan.Compute(ctx, plan.Input{
		Stack: s.Config.Stack, Desired: s.desired, State: s.read, Kinds: s.kinds, Clients: s.clients,
		Parallelism: s.opts.Parallelism, Destroy: destroy, Adopt: s.opts.Adopt,
	})
}

// SavePlan writes p, computed by Plan, to path with what it was computed
// from, for a later ApplySaved.
func (s *Session) SavePlan(path string, p *plan.Plan) error {
	if s.read == nil {
		return errors.New("save the plan: no plan was computed")
	}
	if err := plan.Save(path, p, s.Config.Stack, s.digest, s.read.Lineage, s.read.Serial); err != nil {
		return fmt.Errorf("save the plan: %w", err)
	}
	return nil
}

// CheckData refuses, before anything is changed, a plan that deletes a
// bucket holding objects, unless force is set.
func (s *Session) CheckData(ctx context.Context, p *plan.Plan, force bool) error {
	return apply.CheckData(ctx, p, s.kinds, s.clients, force)
}

// Apply runs p, calling on as each change starts and finishes (serialized).
func (s *Session) Apply(ctx context.Context, p *plan.Plan, force bool, on func(Event)) (Result, error) {
	return apply.Run(ctx, p, s.clients, s.st, apply.Options{
		Kinds: s.kinds, Parallelism: s.opts.Parallelism, ForceDeleteData: force, Now: s.env.Now, OnEvent: on,
	})
}

// SavedPlan is a saved plan as read from its file.
type SavedPlan struct {
	Path  string
	Plan  *plan.Plan
	saved *plan.Saved
}

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
// resource it changes still as it was read. A plan that no longer applies
// is refused with nothing changed.
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
	current, err := plan.ReadChanges(ctx, p, s.kinds, s.clients, s.opts.Parallelism)
	if err != nil {
		return nil, err
	}
	var moved []string
	for _, c := range p.Changes {
		if !bytes.Equal(current[c.Addr.String()], c.Before) {
			moved = append(moved, c.Addr.String())
		}
	}
	if len(moved) > 0 {
		return nil, stale("these resources changed since the plan read them: " + strings.Join(moved, ", "))
	}
	return p, nil
}

// loadPackage reads the processor's package and checks it is a Lambda
// package for the configured architecture.
func loadPackage(cfg *config.Config) ([]byte, error) {
	p := cfg.Production.Processor
	arch := p.Architecture
	pkg, err := os.ReadFile(p.Package)
	if errors.Is(err, os.ErrNotExist) {
		return nil, withHint(fmt.Errorf("the metadata processor's package %s does not exist", p.Package), "build it: make lambda ARCH="+arch)
	}
	if err != nil {
		return nil, fmt.Errorf("read the metadata processor's package: %w", err)
	}
	got, err := artifact.Architecture(pkg)
	if err != nil {
		return nil, withHint(fmt.Errorf("%s: %w", p.Package, err), "rebuild it: make lambda ARCH="+arch)
	}
	if got != arch {
		return nil, withHint(fmt.Errorf("%s holds a bootstrap for %s, but production.processor.architecture is %s", p.Package, got, arch),
			"rebuild it: make lambda ARCH="+arch)
	}
	return pkg, nil
}

// inputsDigest hashes what a plan is computed from: the config file as
// written, the policy templates and the processor package.
func inputsDigest(cfg *config.Config, codeSha string) string {
	h := sha256.New()
	h.Write(cfg.Raw)
	fmt.Fprintf(h, "\x00%s\x00%s", policies.Digest(), codeSha)
	return hex.EncodeToString(h.Sum(nil))
}
