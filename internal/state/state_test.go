package state

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSaveAfterEveryChangeAndReopen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), ".xacct", "s.state.json")
	l, err := Open(path, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Put(context.Background(), "production/iam_role/r", Entry{Kind: "iam_role", Account: "production", Name: "r", Value: []byte(`{"name":"r"}`)}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v, want 0600", fi.Mode().Perm())
	}
	again, err := Open(path, "acme")
	if err != nil {
		t.Fatal(err)
	}
	s := again.Snapshot()
	if s.Serial != 1 || s.Lineage != l.Snapshot().Lineage || string(s.Resources["production/iam_role/r"].Value) != `{"name":"r"}` {
		t.Errorf("reopened state = %+v", s)
	}
	if err := again.Remove(context.Background(), "production/iam_role/r"); err != nil {
		t.Fatal(err)
	}
	if s := again.Snapshot(); s.Serial != 2 || len(s.Resources) != 0 {
		t.Errorf("after remove: %+v", s)
	}
	if _, err := Open(path, "other"); err == nil || !strings.Contains(err.Error(), `belongs to stack "acme"`) {
		t.Errorf("opening another stack's state: %v", err)
	}
}

func TestLock(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "s.state.json")
	a, _ := Open(path, "acme")
	b, _ := Open(path, "acme")
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	if err := a.Acquire(context.Background(), "alice@laptop", "apply", now); err != nil {
		t.Fatal(err)
	}
	err := b.Acquire(context.Background(), "bob@ci", "apply", now)
	var le *LockedError
	if !errors.As(err, &le) || le.Lock.Who != "alice@laptop" || le.Lock.Operation != "apply" {
		t.Fatalf("second acquire: %v", err)
	}
	if !strings.Contains(err.Error(), "locked by alice@laptop") || !strings.Contains(err.Error(), le.Lock.ID) {
		t.Errorf("message %q names neither holder nor lock ID", err)
	}
	if err := ForceUnlock(path, "wrong"); err == nil {
		t.Error("force-unlock with a wrong ID succeeded")
	}
	if err := ForceUnlock(path, le.Lock.ID); err != nil {
		t.Fatal(err)
	}
	if err := b.Acquire(context.Background(), "bob@ci", "apply", now); err != nil {
		t.Fatalf("acquire after force-unlock: %v", err)
	}
	// a no longer holds the lock: its release must not remove b's.
	if err := a.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + ".lock"); err != nil {
		t.Errorf("a released b's lock: %v", err)
	}
	if err := b.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + ".lock"); !os.IsNotExist(err) {
		t.Errorf("lock file remains after release: %v", err)
	}
}

// TestFailedWriteChangesNothing: the serial and the resources change only
// once the new state is on disk, and no temporary file is left behind.
func TestFailedWriteChangesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	l, err := Open(path, "acme-data")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Put(ctx, "production/iam_role/a", Entry{Kind: "iam_role", Account: "production", Name: "a"}); err != nil {
		t.Fatal(err)
	}
	// A directory where the state file is makes the rename fail.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, write := range []func() error{
		func() error {
			return l.Put(ctx, "production/iam_role/b", Entry{Kind: "iam_role", Account: "production", Name: "b"})
		},
		func() error { return l.Remove(ctx, "production/iam_role/a") },
		func() error { return l.Replace(ctx, &State{Stack: "acme-data", Lineage: "x", Serial: 9}) },
	} {
		if err := write(); err == nil || !strings.Contains(err.Error(), "save state "+path) {
			t.Fatalf("write over a directory: %v", err)
		}
		snap := l.Snapshot()
		if snap.Serial != 1 || len(snap.Resources) != 1 || snap.Resources["production/iam_role/a"] == nil {
			t.Fatalf("after a failed write: serial %d, resources %v", snap.Serial, snap.Addresses())
		}
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := l.Put(ctx, "production/iam_role/b", Entry{Kind: "iam_role", Account: "production", Name: "b"}); err != nil {
		t.Fatal(err)
	}
	again, err := Open(path, "acme-data")
	if err != nil {
		t.Fatal(err)
	}
	if snap := again.Snapshot(); snap.Serial != 2 || len(snap.Resources) != 2 {
		t.Errorf("on disk: serial %d, resources %v; want serial 2 with a and b", snap.Serial, snap.Addresses())
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*.tmp-*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
