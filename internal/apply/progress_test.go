package apply

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/xacct/xacct/internal/plan"
	"github.com/xacct/xacct/internal/resource"
	"github.com/xacct/xacct/internal/state"
)

// slowKind creates after failing with a propagation error a few times.
type slowKind struct {
	resource.Kind
	fails int
	mu    sync.Mutex
}

func (k *slowKind) Create(context.Context, *resource.Clients, string, resource.Value) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.fails > 0 {
		k.fails--
		return errors.New("InvalidParameterValueException: The role defined for the function cannot be assumed by Lambda.")
	}
	return nil
}

// nullStore keeps nothing.
type nullStore struct{}

func (nullStore) Put(context.Context, string, state.Entry) error { return nil }
func (nullStore) Remove(context.Context, string) error           { return nil }

// TestLongWaitsAreReported: a change that takes a while is reported as
// still running, with what it waits for, and never after it is done.
func TestLongWaitsAreReported(t *testing.T) {
	t.Parallel()
	fn := resource.Address{Account: "production", Kind: "lambda_function", Name: "f"}
	p := &plan.Plan{Changes: []plan.Change{{Addr: fn, Action: plan.Create, After: []byte(`{}`)}}}
	var mu sync.Mutex
	var events []Event
	_, err := Run(context.Background(), p, map[string]*resource.Clients{"production": {}}, nullStore{}, Options{
		Kinds: resource.Kinds{"lambda_function": &slowKind{fails: 3}}, RetryBase: 20 * time.Millisecond, RetryFor: time.Minute,
		ProgressEvery: 10 * time.Millisecond,
		OnEvent: func(e Event) {
			mu.Lock()
			defer mu.Unlock()
			events = append(events, e)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) < 3 || events[0].Still || events[0].Done || !events[len(events)-1].Done {
		t.Fatalf("events: %+v", events)
	}
	still, waiting := 0, 0
	for _, e := range events[1 : len(events)-1] {
		if !e.Still || e.Done {
			t.Errorf("between start and done: %+v", e)
		}
		still++
		if e.Waiting == "IAM to propagate" {
			waiting++
		}
	}
	if still == 0 || waiting == 0 {
		t.Errorf("%d still-running events, %d waiting for IAM, want some of each: %+v", still, waiting, events)
	}
}
