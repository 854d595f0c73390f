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
