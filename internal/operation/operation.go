// Package operation owns the chain behind each command: open (config,
// processor package, desired resources, sign-in to the accounts, state and
// its lock), then plan, preflight, apply, apply a saved plan, destroy,
// import, verify, and the state commands. It returns plain data and calls
// back with events; it never prints, reads the environment or exits: that
// is internal/cli's job.
package operation

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/xacct/xacct/internal/apply"
	"github.com/xacct/xacct/internal/awsacct"
	"github.com/xacct/xacct/internal/config"
	"github.com/xacct/xacct/internal/resource"
	"github.com/xacct/xacct/internal/stack"
	"github.com/xacct/xacct/internal/state"
)

// BaseConfig returns the base AWS config for an account's profile (the
// CLI: the SDK's default chain; tests: the sandbox's credentials).
type BaseConfig = awsacct.BaseConfig

// Env is what operations take from the world outside.
type Env struct {
	// AWS loads the base credentials of an account's profile.
	AWS awsacct.BaseConfig
	Now func() time.Time
	// Who names this run in state locks (user@host).
	Who string
}

// Options are the inputs that the commands working on a stack share.
type Options struct {
	// Config is the config file's path.
	Config      string
	Parallelism int
	// Adopt takes over existing resources with the config's names instead
	// of refusing them (apply --adopt).
	Adopt bool
}

// HintError is an error with advice on what to do about it.
type HintError struct {
	Err  error
	Hint string
	// Detail is the underlying error in full (the SDK's chain), for
	// --debug; Err already says what matters.
	Detail string
}

func (e *HintError) Error() string { return e.Err.Error() }
func (e *HintError) Unwrap() error { return e.Err }

func withHint(err error, hint string) error { return &HintError{Err: err, Hint: hint} }

// Need says what of the desired resources an operation needs.
type Need int

// What operations need.
const (
	// NeedPackage: the desired resources with the processor's package
	// (plan, apply).
	NeedPackage Need = iota
	// NeedNames: the desired resources; the package's contents do not
	// matter (verify, import).
	NeedNames
	// NeedState: only the state (destroy).
	NeedState
)

// Event reports one change starting or finishing.
type Event = apply.Event

// Result counts what an apply or destroy did.
type Result = apply.Result

// Session is a loaded config, signed in to its accounts, with its state.
type Session struct {
	Config *config.Config
	env    Env
	opts   Options
	kinds  resource.Kinds
	// digest hashes the inputs of a plan: config file, templates, package.
	digest  string
	desired []resource.Resource
	st      state.Store
	// read is the state as the last plan read it (saved plans record it).
	read    *state.State
	clients map[string]*resource.Clients
	awsCfgs map[string]aws.Config
	// rates limit each account's requests to each service.
	rates  map[string]*awsacct.Rates
	locked bool
}

// Throttled returns how many requests AWS throttled in this session (the
// SDK retried them, and the session's rates slowed down).
func (s *Session) Throttled() int {
	n := 0
	for _, r := range s.rates {
		n += r.Throttled()
	}
	return n
}

// Open loads and checks everything that needs no AWS call, then signs in
// to the accounts, opens the state and, when lock is set, takes its lock.
// operation names the run in the lock. Reading and hashing the processor's
// package and building the desired resources from the config overlap the
// sign-in: what the user could have got wrong is checked before it.
func Open(ctx context.Context, env Env, opts Options, operation string, lock bool, need Need) (*Session, error) {
	s, err := check(env, opts, need)
	if err != nil {
		return nil, err
	}
	signCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	signedIn := make(chan error, 1)
	go func() {
		var err error
		s.clients, s.awsCfgs, s.rates, err = connect(signCtx, env, s.Config, opts.Parallelism)
		signedIn <- err
	}()
	pkgs, err := s.build(need)
	if err != nil {
		cancel()
		<-signedIn
		return nil, err
	}
	if err := <-signedIn; err != nil {
		return nil, err
	}
	if s.st, err = openState(ctx, s.Config, s.awsCfgs); err != nil {
		return nil, err
	}
	s.deploys(pkgs)
	if lock {
		if err := acquire(ctx, env, s.st, operation); err != nil {
			return nil, err
		}
		s.locked = true
	}
	return s, nil
}

// load reads and checks what needs no AWS call: the config, the
// processor's package (returned by its CodeSha256, nil when not needed)
// and the desired resources.
func load(env Env, opts Options, need Need) (*Session, map[string]resource.Package, error) {
	s, err := check(env, opts, need)
	if err != nil {
		return nil, nil, err
	}
	pkgs, err := s.build(need)
	if err != nil {
		return nil, nil, err
	}
	return s, pkgs, nil
}

// check loads the config and, when need is NeedPackage, checks the
// processor's package without reading all of it: the mistakes a user can
// make, found before any AWS call.
func check(env Env, opts Options, need Need) (*Session, error) {
	if opts.Parallelism < 1 {
		return nil, fmt.Errorf("--parallelism must be at least 1")
	}
	cfg, err := loadConfig(opts.Config)
	if err != nil {
		return nil, err
	}
	if need == NeedPackage {
		if err := checkPackage(cfg); err != nil {
			return nil, err
		}
	}
	return &Session{Config: cfg, env: env, opts: opts, kinds: resource.AllKinds()}, nil
}

// build hashes the processor's package when need is NeedPackage (returned
// by its CodeSha256, nil otherwise) and builds the desired resources and
// the digest of the plan's inputs.
func (s *Session) build(need Need) (map[string]resource.Package, error) {
	var pkgs map[string]resource.Package
	var codeSha string
	var err error
	switch need {
	case NeedPackage:
		var pkg resource.Package
		if codeSha, pkg, err = hashPackage(s.Config); err != nil {
			return nil, err
		}
		pkgs = map[string]resource.Package{codeSha: pkg}
		s.desired, err = stack.Build(s.Config, codeSha)
	case NeedNames:
		// Who may do what does not depend on the package's contents.
		s.desired, err = stack.Build(s.Config, "not-loaded")
	case NeedState:
	}
	if err != nil {
		return nil, err
	}
	s.digest = inputsDigest(s.Config, codeSha)
	return pkgs, nil
}

// deploys hands the processor's package to the production account's
// clients, which create or update the function with it.
func (s *Session) deploys(pkgs map[string]resource.Package) {
	if pkgs != nil {
		s.clients["production"].Packages = pkgs
	}
}

// Close releases the state lock, if this session holds it. It runs even
// after an interrupt, so it does not take the (cancelled) context, and it
// gives up after a while: a lock left behind is reported by the next run.
func (s *Session) Close() {
	if s.locked {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = s.st.Release(ctx)
	}
}

func acquire(ctx context.Context, env Env, st state.Store, operation string) error {
	err := st.Acquire(ctx, env.Who, operation, env.Now())
	var le *state.LockedError
	if errors.As(err, &le) {
		return withHint(err, "wait for it to finish; if that process is gone, run: xacct force-unlock "+le.Lock.ID)
	}
	return err
}

// accountsOf lists the config's accounts for signing in.
func accountsOf(cfg *config.Config) []awsacct.Account {
	var out []awsacct.Account
	for _, a := range cfg.Accounts.All() {
		out = append(out, account(*a))
	}
	return out
}

func account(a config.Account) awsacct.Account {
	return awsacct.Account{Name: a.Name, ID: a.ID, RoleARN: a.RoleARN, ExternalID: a.ExternalID, Profile: a.Profile, EndpointURL: a.EndpointURL}
}

// connect signs in to every account and builds each one's clients, whose
// requests to each service at most parallelism run at once, fewer while
// AWS throttles them (awsacct.Rates).
func connect(ctx context.Context, env Env, cfg *config.Config, parallelism int) (map[string]*resource.Clients, map[string]aws.Config, map[string]*awsacct.Rates, error) {
	cfgs, err := signIn(ctx, env, cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	now := env.Now
	if now == nil {
		now = time.Now
	}
	out := map[string]*resource.Clients{}
	rates := map[string]*awsacct.Rates{}
	tags := stack.Tags(cfg)
	for _, a := range cfg.Accounts.All() {
		rates[a.Name] = awsacct.NewRates(parallelism, now)
		c := cfgs[a.Name]
		rates[a.Name].Limit(&c)
		cfgs[a.Name] = c
		cl := resource.NewClients(a.ID, c)
		cl.Tags = tags
		out[a.Name] = cl
	}
	return out, cfgs, rates, nil
}

// loadConfig loads the config file, and says where to find one when there
// is none.
func loadConfig(path string) (*config.Config, error) {
	cfg, err := config.Load(path)
	if err != nil {
		if _, statErr := os.Stat(path); errors.Is(statErr, os.ErrNotExist) {
			return nil, withHint(err, "pass the config with -c FILE (the local sandbox's: -c examples/sandbox.yaml), or copy examples/aws.yaml to xacct.yaml and fill in your accounts")
		}
		return nil, err
	}
	return cfg, nil
}
