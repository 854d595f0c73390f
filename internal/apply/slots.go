package apply

import (
	"slices"
	"sync"

	"github.com/xacct/xacct/internal/plan"
	"github.com/xacct/xacct/internal/resource"
)

// slots are how many changes to one service of one account may run at
// once. A free slot goes to the waiting change that most changes wait for
// (the longest chain after it), then to the first in the plan: a function
// that four changes wait for does not queue behind fifty roles that none
// do. No slot is handed out before open, so that the changes ready at the
// start are ranked together.
type slots struct {
	mu      sync.Mutex
	free    int
	opened  bool
	waiting []*slotWaiter
}

type slotWaiter struct {
	height, order int
	ready         chan struct{}
}

func newSlots(n int) *slots { return &slots{free: n} }

// wait queues a change of the given height (1 for a change nothing waits
// for) and plan order; the channel is closed when a slot is its own.
func (s *slots) wait(height, order int) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := &slotWaiter{height: height, order: order, ready: make(chan struct{})}
	s.waiting = append(s.waiting, w)
	s.dispatch()
	return w.ready
}

// open starts handing out slots.
func (s *slots) open() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opened = true
	s.dispatch()
}

// release gives a slot back.
func (s *slots) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.free++
	s.dispatch()
}

func (s *slots) dispatch() {
	for s.opened && s.free > 0 && len(s.waiting) > 0 {
		best := 0
		for i, w := range s.waiting {
			b := s.waiting[best]
			if w.height > b.height || (w.height == b.height && w.order < b.order) {
				best = i
			}
		}
		w := s.waiting[best]
		s.waiting = append(s.waiting[:best], s.waiting[best+1:]...)
		s.free--
		close(w.ready)
	}
}

// schedule starts each change of a plan once what it depends on in the
// plan is done and a slot of its service and account is free.
type schedule struct {
	pools     []*slots // each change's
	height    []int
	waiters   [][]int // the changes that wait for each
	mu        sync.Mutex
	remaining []int // how many of its dependencies each change waits for
	queued    []chan struct{}
	ticket    []<-chan struct{}
	all       []*slots
}

// newSchedule schedules changes with slotsOf naming each one's slots, of
// n each.
func newSchedule(changes []plan.Change, n int, slotsOf func(resource.Address) string) *schedule {
	s := &schedule{pools: make([]*slots, len(changes)), remaining: make([]int, len(changes)),
		queued: make([]chan struct{}, len(changes)), ticket: make([]<-chan struct{}, len(changes))}
	byName := map[string]*slots{}
	for i, c := range changes {
		k := slotsOf(c.Addr)
		if byName[k] == nil {
			byName[k] = newSlots(n)
			s.all = append(s.all, byName[k])
		}
		s.pools[i] = byName[k]
		s.queued[i] = make(chan struct{})
	}
	s.waiters = dependents(changes)
	for _, ws := range s.waiters {
		for _, w := range ws {
			s.remaining[w]++
		}
	}
	s.height = heights(s.waiters)
	return s
}

// start queues the changes that wait for nothing, all at once so that
// they are ranked together, then hands out the slots.
func (s *schedule) start() {
	s.mu.Lock()
	for i := range s.pools {
		if s.remaining[i] == 0 {
			s.queue(i)
		}
	}
	s.mu.Unlock()
	for _, p := range s.all {
		p.open()
	}
}

func (s *schedule) queue(i int) {
	s.ticket[i] = s.pools[i].wait(s.height[i], i)
	close(s.queued[i])
}

// acquire waits until change i may run.
func (s *schedule) acquire(i int) {
	<-s.queued[i]
	<-s.ticket[i]
}

// finish ends change i (done, failed or skipped): the changes waiting for
// it queue before its slot is free, so that they take it first if they
// rank first.
func (s *schedule) finish(i int) {
	s.mu.Lock()
	for _, w := range s.waiters[i] {
		if s.remaining[w]--; s.remaining[w] == 0 {
			s.queue(w)
		}
	}
	s.mu.Unlock()
	s.pools[i].release()
}

// dependents returns, for each change, the changes in the plan that
// depend on it (each once).
func dependents(changes []plan.Change) [][]int {
	idx := map[resource.Address]int{}
	for i, c := range changes {
		idx[c.Addr] = i
	}
	out := make([][]int, len(changes))
	for i, c := range changes {
		for _, d := range c.DependsOn {
			if j, ok := idx[d]; ok && !slices.Contains(out[j], i) {
				out[j] = append(out[j], i)
			}
		}
	}
	return out
}

// heights returns, for each change, the length of the longest chain of
// changes that starts with it and follows what waits for what (1 for a
// change nothing waits for).
func heights(waiters [][]int) []int {
	h := make([]int, len(waiters))
	var visit func(i int) int
	visit = func(i int) int {
		if h[i] > 0 {
			return h[i]
		}
		h[i] = 1 // a cycle (never planned) ends here
		best := 0
		for _, w := range waiters[i] {
			best = max(best, visit(w))
		}
		h[i] = 1 + best
		return h[i]
	}
	for i := range waiters {
		visit(i)
	}
	return h
}
