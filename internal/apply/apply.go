// Package apply runs a plan: each change once all it depends on is done,
// independent changes in parallel (bounded), the propagation errors AWS is
// known for retried with bounded backoff, and the state saved after every
// change, so that an interrupted apply resumes where it stopped.
package apply

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xacct/xacct/internal/plan"
	"github.com/xacct/xacct/internal/resource"
	"github.com/xacct/xacct/internal/state"
)

// Event reports one change starting or ending.
type Event struct {
	Change plan.Change
	Done   bool
	// Still marks a change still running after a while (every
	// Options.ProgressEvery), so that a long wait is not silent.
	Still bool
	// Waiting says what a running change waits for ("IAM to propagate"),
	// when apply knows.
	Waiting string
	Err     error
	Elapsed time.Duration
}

// Store is where apply records what it did.
type Store interface {
	Put(ctx context.Context, addr string, e state.Entry) error
	Remove(ctx context.Context, addr string) error
}

// Options tune a run.
type Options struct {
	// Kinds carry out each kind of change.
	Kinds       resource.Kinds
	Parallelism int
	// ForceDeleteData empties buckets before deleting them.
	ForceDeleteData bool
	// OnEvent is called, serialized, as changes start and finish.
	OnEvent func(Event)
	// RetryFor bounds the retries of propagation errors (default 2 minutes);
	// RetryBase is the first backoff (default 1 second).
	RetryFor  time.Duration
	RetryBase time.Duration
	Now       func() time.Time
	// ProgressEvery is how often a running change is reported as still
	// running (default 10 seconds).
	ProgressEvery time.Duration
	// onWait is told when a change backs off on a propagation error.
	onWait func()
}

// Result counts what was done.
type Result struct {
	Added, Changed, Destroyed, Adopted int
	// Throttled is how many requests AWS throttled (and the SDK retried)
	// in the session; Run leaves it to the caller, which limits the
	// requests.
	Throttled int
}

// Run applies the plan, at most opts.Parallelism changes to one service
// of one account at once. It stops starting new changes at the first error, waits for those
// in flight, and returns every error.
func Run(ctx context.Context, p *plan.Plan, clients map[string]*resource.Clients, st Store, opts Options) (Result, error) {
	if opts.Parallelism <= 0 {
		opts.Parallelism = 10
	}
	if opts.RetryFor == 0 {
		opts.RetryFor = 2 * time.Minute
	}
	if opts.RetryBase == 0 {
		opts.RetryBase = time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ProgressEvery <= 0 {
		opts.ProgressEvery = 10 * time.Second
	}
	for _, a := range p.Forget {
		if err := st.Remove(ctx, a.String()); err != nil {
			return Result{}, err
		}
	}
	for _, k := range p.Keep {
		if err := st.Remove(ctx, k.Addr.String()); err != nil {
			return Result{}, err
		}
	}
	for _, c := range p.Confirm {
		e := state.Entry{Kind: c.Addr.Kind, Account: c.Addr.Account, Name: c.Addr.Name, Value: c.After}
		if err := st.Put(ctx, c.Addr.String(), e); err != nil {
			return Result{}, err
		}
	}
	var (
		mu     sync.Mutex
		res    Result
		errs   []error
		failed bool
		// Each service of each account has its own slots: a change
		// never waits for another account's or service's (AWS limits
		// each on its own).
		sched  = newSchedule(p.Changes, opts.Parallelism, slotsOf)
		wg     sync.WaitGroup
		emitMu sync.Mutex
		emit   = func(e Event) {
			if opts.OnEvent != nil {
				emitMu.Lock()
				opts.OnEvent(e)
				emitMu.Unlock()
			}
		}
	)
	for i, c := range p.Changes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sched.acquire(i)
			defer sched.finish(i)
			// Checked once a slot is ours: a failure or an interrupt while
			// waiting for it stops this change too.
			mu.Lock()
			stop := failed
			mu.Unlock()
			if stop || ctx.Err() != nil {
				return
			}
			start := opts.Now()
			emit(Event{Change: c})
			var waiting atomic.Bool
			o := opts
			o.onWait = func() { waiting.Store(true) }
			finished, stopped := make(chan struct{}), make(chan struct{})
			go func() {
				defer close(stopped)
				t := time.NewTicker(opts.ProgressEvery)
				defer t.Stop()
				for {
					select {
					case <-finished:
						return
					case <-t.C:
						e := Event{Change: c, Still: true, Elapsed: opts.Now().Sub(start)}
						if waiting.Load() {
							e.Waiting = "IAM to propagate"
						}
						emit(e)
					}
				}
			}()
			err := applyOne(ctx, c, clients[c.Addr.Account], st, o)
			close(finished)
			<-stopped // no "still running" after "done"
			emit(Event{Change: c, Done: true, Err: err, Elapsed: opts.Now().Sub(start)})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed = true
				errs = append(errs, fmt.Errorf("%s: %w", c.Addr, err))
				return
			}
			switch c.Action {
			case plan.Create:
				res.Added++
			case plan.Update:
				res.Changed++
			case plan.Adopt:
				res.Adopted++
			case plan.Delete:
				res.Destroyed++
			case plan.NoOp:
			}
		}()
	}
	sched.start()
	wg.Wait()
	if err := ctx.Err(); err != nil && len(errs) == 0 {
		errs = append(errs, err)
	}
	return res, errors.Join(errs...)
}

// slotsOf names the slots a change takes: its account's, for its service.
func slotsOf(a resource.Address) string { return a.Account + "/" + resource.ServiceOf(a.Kind) }

func applyOne(ctx context.Context, c plan.Change, cl *resource.Clients, st Store, opts Options) error {
	kind, ok := opts.Kinds[c.Addr.Kind]
	if !ok || cl == nil {
		return fmt.Errorf("unknown kind or account")
	}
	entry := state.Entry{Kind: c.Addr.Kind, Account: c.Addr.Account, Name: c.Addr.Name}
	addr := c.Addr.String()
	// What was done is recorded even when the run is being interrupted.
	sctx := context.WithoutCancel(ctx)
	switch c.Action {
	case plan.Create:
		// Recorded before the call: if this process dies mid-call, the next
		// run knows the resource is its own.
		entry.Pending = true
		if err := st.Put(sctx, addr, entry); err != nil {
			return err
		}
		if err := retry(ctx, opts, func() error { return kind.Create(ctx, cl, c.Addr.Name, c.After) }); err != nil {
			return err
		}
		entry.Pending, entry.Value = false, c.After
		return st.Put(sctx, addr, entry)
	case plan.Update, plan.Adopt:
		if c.Action == plan.Adopt {
			// Owned from now on, even if the update below fails.
			entry.Value = c.Before
			if err := st.Put(sctx, addr, entry); err != nil {
				return err
			}
		}
		if !bytes.Equal(c.Before, c.After) {
			if err := retry(ctx, opts, func() error { return kind.Update(ctx, cl, c.Addr.Name, c.Before, c.After) }); err != nil {
				return err
			}
		}
		entry.Value = c.After
		return st.Put(sctx, addr, entry)
	case plan.Delete:
		if dh, ok := kind.(resource.DataHolder); ok {
			n, err := dh.Count(ctx, cl, c.Addr.Name, 1)
			if err != nil {
				return err
			}
			if n > 0 && !opts.ForceDeleteData {
				return &DataError{Addr: c.Addr}
			}
			if n > 0 {
				if err := dh.Empty(ctx, cl, c.Addr.Name); err != nil {
					return err
				}
			}
		}
		if err := retry(ctx, opts, func() error { return kind.Delete(ctx, cl, c.Addr.Name, c.Before) }); err != nil {
			return err
		}
		return st.Remove(sctx, addr)
	case plan.NoOp:
	}
	return nil
}

// DataError is a bucket destroy refused because the bucket holds objects.
type DataError struct{ Addr resource.Address }

func (e *DataError) Error() string {
	return fmt.Sprintf("bucket %s holds objects (or object versions); xacct will not delete data unless asked: empty it, or run destroy with --force-delete-data", e.Addr.Name)
}

// propagation are the errors AWS returns while a change made a moment ago is
// not yet visible everywhere (IAM is eventually consistent).
var propagation = []string{
	"cannot be assumed by Lambda",
	"Invalid principal in policy",
	"Unable to validate the following destination configurations",
	"The role defined for the function cannot be assumed",
}

func isPropagation(err error) bool {
	msg := err.Error()
	for _, p := range propagation {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

// retry runs fn again on propagation errors, with doubling backoff, for at
// most opts.RetryFor; any other error is returned at once.
func retry(ctx context.Context, opts Options, fn func() error) error {
	deadline := opts.Now().Add(opts.RetryFor)
	wait := opts.RetryBase
	for {
		err := fn()
		if err == nil || !isPropagation(err) || opts.Now().Add(wait).After(deadline) {
			return err
		}
		if opts.onWait != nil {
			opts.onWait()
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return err
		}
		wait = min(wait*2, 20*time.Second)
	}
}

// CheckData refuses, before anything is changed, a plan that would delete a
// bucket holding objects, unless force is set.
func CheckData(ctx context.Context, p *plan.Plan, kinds resource.Kinds, clients map[string]*resource.Clients, force bool) error {
	if force {
		return nil
	}
	var errs []error
	for _, c := range p.Changes {
		if c.Action != plan.Delete {
			continue
		}
		dh, ok := kinds[c.Addr.Kind].(resource.DataHolder)
		if !ok {
			continue
		}
		cl := clients[c.Addr.Account]
		if cl == nil {
			return fmt.Errorf("%s: unknown account", c.Addr)
		}
		n, err := dh.Count(ctx, cl, c.Addr.Name, 1)
		if err != nil {
			return err
		}
		if n > 0 {
			errs = append(errs, &DataError{Addr: c.Addr})
		}
	}
	return errors.Join(errs...)
}
