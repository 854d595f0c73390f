// Package state owns what xacct knows it manages: a JSON state file with a
// lineage and a serial, saved after every change, and a lock that keeps two
// runs apart.
package state

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// Version is the state file format.
const Version = 1

// Entry is one resource xacct manages.
type Entry struct {
	Kind    string          `json:"kind"`
	Account string          `json:"account"`
	Name    string          `json:"name"`
	Value   json.RawMessage `json:"value,omitempty"`
	// Pending marks a resource whose creation started but was not seen to
	// finish: it is xacct's even if the run died before recording it.
	Pending bool `json:"pending,omitempty"`
}

// State is the state file's content.
type State struct {
	Version   int               `json:"version"`
	Lineage   string            `json:"lineage"`
	Serial    int64             `json:"serial"`
	Stack     string            `json:"stack"`
	Resources map[string]*Entry `json:"resources"` // by address
}

// Addresses lists the resources, sorted.
func (s *State) Addresses() []string {
	out := make([]string, 0, len(s.Resources))
	for a := range s.Resources {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// Local is a state file on disk. Its methods are safe for concurrent use.
type Local struct {
	path string
	mu   sync.Mutex
	st   *State
	lock *Lock
}

// Open reads the state file at path, or starts an empty state for stack.
// A state of another stack is an error.
func Open(path, stack string) (*Local, error) {
	l := &Local{path: path}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		// A lineage is born with the first write: until then there is no
		// state, and a saved plan made now still matches.
		l.st = &State{Version: Version, Stack: stack, Resources: map[string]*Entry{}}
		return l, nil
	case err != nil:
		return nil, fmt.Errorf("read state %s: %w", path, err)
	}
	st, err := decode(b, path, stack)
	if err != nil {
		return nil, err
	}
	l.st = st
	return l, nil
}

// decode parses a state document of stack.
func decode(b []byte, where, stack string) (*State, error) {
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("state %s is not a valid state file: %w", where, err)
	}
	if st.Version != Version {
		return nil, fmt.Errorf("state %s has format version %d; this xacct reads version %d", where, st.Version, Version)
	}
	if st.Stack != stack {
		return nil, fmt.Errorf("state %s belongs to stack %q, not %q", where, st.Stack, stack)
	}
	if st.Resources == nil {
		st.Resources = map[string]*Entry{}
	}
	// The file is indented for people; values compare as compact JSON.
	for addr, e := range st.Resources {
		if len(e.Value) == 0 {
			continue
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, e.Value); err != nil {
			return nil, fmt.Errorf("state %s: %s: %w", where, addr, err)
		}
		e.Value = buf.Bytes()
	}
	return &st, nil
}

// Snapshot returns a copy of the state.
func (l *Local) Snapshot() *State {
	l.mu.Lock()
	defer l.mu.Unlock()
	return copyState(l.st)
}

func copyState(st *State) *State {
	cp := *st
	cp.Resources = make(map[string]*Entry, len(st.Resources))
	for k, v := range st.Resources {
		e := *v
		cp.Resources[k] = &e
	}
	return &cp
}

// Replace overwrites the whole state (state migrate), keeping lineage and
// serial of st.
func (l *Local) Replace(_ context.Context, st *State) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.updateLocked(func(next *State) {
		*next = *copyState(st)
		next.Serial-- // the write counts one up again: st's serial is kept
	})
}

// Put records a resource and saves.
func (l *Local) Put(_ context.Context, addr string, e Entry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.updateLocked(func(next *State) { next.Resources[addr] = &e })
}

// Remove forgets a resource and saves.
func (l *Local) Remove(_ context.Context, addr string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.st.Resources[addr]; !ok {
		return nil
	}
	return l.updateLocked(func(next *State) { delete(next.Resources, addr) })
}

// updateLocked applies change to a copy of the state, with the next serial,
// writes it, and only once it is on disk makes it the state: a failed write
// leaves the state as it was, in memory and on disk.
func (l *Local) updateLocked(change func(*State)) error {
	next := copyState(l.st)
	change(next)
	if next.Lineage == "" {
		next.Lineage = newID()
	}
	next.Serial++
	b, err := json.MarshalIndent(next, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(l.path, append(b, '\n')); err != nil {
		return fmt.Errorf("save state %s: %w", l.path, err)
	}
	l.st = next
	return nil
}

// writeFileAtomic replaces path with data (mode 0600) so that a crash at any
// point leaves either the old file or the new one, whole: a temporary file in
// the same directory, synced, renamed over path, and the directory synced.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op once renamed
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Lock is who holds a state's lock.
type Lock struct {
	ID        string    `json:"id"`
	Who       string    `json:"who"`
	PID       int       `json:"pid"`
	Operation string    `json:"operation"`
	Created   time.Time `json:"created"`
}

// LockedError says the state is held by someone else.
type LockedError struct {
	Path string
	Lock Lock
	Age  time.Duration // how old the lock is, when known
}

func (e *LockedError) Error() string {
	age := ""
	if e.Age > 0 {
		age = fmt.Sprintf(", %s ago", e.Age)
	}
	return fmt.Sprintf("state %s is locked by %s (pid %d, %s, since %s%s, lock ID %s)", e.Path, e.Lock.Who, e.Lock.PID, e.Lock.Operation,
		e.Lock.Created.Format(time.RFC3339), age, e.Lock.ID)
}

func (l *Local) lockPath() string { return l.path + ".lock" }

// Acquire takes the lock for an operation, or fails at once naming the
// holder.
func (l *Local) Acquire(_ context.Context, who, operation string, now time.Time) error {
	if err := os.MkdirAll(filepath.Dir(l.path), 0o700); err != nil {
		return fmt.Errorf("lock state: %w", err)
	}
	lk := Lock{ID: newID(), Who: who, PID: os.Getpid(), Operation: operation, Created: now.UTC()}
	b, _ := json.Marshal(lk)
	f, err := os.OpenFile(l.lockPath(), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		held, rerr := os.ReadFile(l.lockPath())
		var other Lock
		if rerr != nil || json.Unmarshal(held, &other) != nil {
			return fmt.Errorf("state %s is locked (unreadable lock file %s)", l.path, l.lockPath())
		}
		return &LockedError{Path: l.path, Lock: other}
	}
	if err != nil {
		return fmt.Errorf("lock state: %w", err)
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		return fmt.Errorf("lock state: %w", err)
	}
	l.lock = &lk
	return nil
}

// Release gives the lock back if this process holds it.
func (l *Local) Release(context.Context) error {
	if l.lock == nil {
		return nil
	}
	held, err := os.ReadFile(l.lockPath())
	if err == nil {
		var cur Lock
		if json.Unmarshal(held, &cur) == nil && cur.ID == l.lock.ID {
			err = os.Remove(l.lockPath())
		}
	}
	l.lock = nil
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// ForceUnlock removes the lock whose ID is id.
func ForceUnlock(path, id string) error {
	held, err := os.ReadFile(path + ".lock")
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("state %s is not locked", path)
	}
	if err != nil {
		return err
	}
	var cur Lock
	if err := json.Unmarshal(held, &cur); err != nil {
		return fmt.Errorf("lock file %s.lock is unreadable: %w", path, err)
	}
	if cur.ID != id {
		return fmt.Errorf("the lock on %s has ID %s, not %s (held by %s, pid %d)", path, cur.ID, id, cur.Who, cur.PID)
	}
	return os.Remove(path + ".lock")
}

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
