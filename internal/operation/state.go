package operation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/xacct/xacct/internal/config"
	"github.com/xacct/xacct/internal/resource"
	"github.com/xacct/xacct/internal/stack"
	"github.com/xacct/xacct/internal/state"
)

// StateEntry is one resource as the state records it.
type StateEntry struct {
	Address string
	Account string
	Kind    string
	Name    string
	// Pending: the create was started and not confirmed.
	Pending bool
	Value   json.RawMessage
}

// StateView is the state's content.
type StateView struct {
	Lineage string
	Serial  int64
	// Entries in address order.
	Entries []StateEntry
}

// stateParallelism bounds the requests to each service of an account of
// the state commands, which take no --parallelism.
const stateParallelism = 10

// stateClient is the S3 client of the state backend: every request names
// the state account as the bucket's owner, so a bucket of that name that
// another account owns is never read as the state or written to.
func stateClient(cfg *config.Config, awsCfg aws.Config) state.S3API {
	owner := ""
	for _, a := range cfg.Accounts.All() {
		if a.Name == cfg.State.S3.Account {
			owner = a.ID
		}
	}
	return resource.NewS3Client(awsCfg, resource.ExpectOwner(owner))
}

// openState opens the configured state backend.
func openState(ctx context.Context, cfg *config.Config, awsCfgs map[string]aws.Config) (state.Store, error) {
	if cfg.State.Backend == "s3" {
		b := cfg.State.S3
		return state.OpenS3(ctx, stateClient(cfg, awsCfgs[b.Account]), b.Bucket, b.Key, cfg.Stack)
	}
	return state.Open(cfg.State.Path, cfg.Stack)
}

// stateOnly opens the config's state, signing in only when it is in S3.
func stateOnly(ctx context.Context, env Env, configFile string) (*config.Config, state.Store, error) {
	cfg, err := loadConfig(configFile)
	if err != nil {
		return nil, nil, err
	}
	if cfg.State.Backend == "local" {
		st, err := state.Open(cfg.State.Path, cfg.Stack)
		return cfg, st, err
	}
	_, awsCfgs, _, err := connect(ctx, env, cfg, stateParallelism)
	if err != nil {
		return nil, nil, err
	}
	st, err := openState(ctx, cfg, awsCfgs)
	return cfg, st, err
}

// ReadState returns what the config's state holds.
func ReadState(ctx context.Context, env Env, configFile string) (*StateView, error) {
	_, st, err := stateOnly(ctx, env, configFile)
	if err != nil {
		return nil, err
	}
	snap := st.Snapshot()
	v := &StateView{Lineage: snap.Lineage, Serial: snap.Serial, Entries: []StateEntry{}}
	for _, a := range snap.Addresses() {
		e := snap.Resources[a]
		v.Entries = append(v.Entries, StateEntry{Address: a, Account: e.Account, Kind: e.Kind, Name: e.Name, Pending: e.Pending, Value: e.Value})
	}
	return v, nil
}

// notInState is the error for an address the state does not hold.
func notInState(addr string) error {
	return withHint(fmt.Errorf("%s is not in the state", addr), "xacct state list shows what is")
}

// ShowState returns one resource of the state.
func ShowState(ctx context.Context, env Env, configFile, addr string) (StateEntry, error) {
	v, err := ReadState(ctx, env, configFile)
	if err != nil {
		return StateEntry{}, err
	}
	for _, e := range v.Entries {
		if e.Address == addr {
			return e, nil
		}
	}
	return StateEntry{}, notInState(addr)
}

// RemoveState forgets a resource without touching it, under the lock.
func RemoveState(ctx context.Context, env Env, configFile, addr string) error {
	if _, err := resource.ParseAddress(addr); err != nil {
		return err
	}
	_, st, err := stateOnly(ctx, env, configFile)
	if err != nil {
		return err
	}
	if _, ok := st.Snapshot().Resources[addr]; !ok {
		return notInState(addr)
	}
	if err := acquire(ctx, env, st, "state rm"); err != nil {
		return err
	}
	defer func() { _ = st.Release(context.WithoutCancel(ctx)) }()
	return st.Remove(ctx, addr)
}

// Bootstrapped is the S3 state bucket made ready.
type Bootstrapped struct{ Bucket, Account string }

// BootstrapState creates the S3 state bucket of the config (state.s3),
// hardened as the stack's buckets are, or brings an existing one of this
// stack to that; a bucket of that name that is not this stack's is refused.
func BootstrapState(ctx context.Context, env Env, configFile string) (*Bootstrapped, error) {
	cfg, err := loadConfig(configFile)
	if err != nil {
		return nil, err
	}
	if cfg.State.S3.Bucket == "" {
		return nil, withHint(errors.New("the config has no state.s3 block"), "add state: {backend: s3, s3: {account: development, bucket: …, key: …}}")
	}
	desired, err := stack.StateBucket(cfg)
	if err != nil {
		return nil, err
	}
	clients, _, _, err := connect(ctx, env, cfg, stateParallelism)
	if err != nil {
		return nil, err
	}
	kinds := resource.AllKinds()
	for _, r := range desired {
		k, c := kinds[r.Addr.Kind], clients[r.Addr.Account]
		cur, err := k.Read(ctx, c, r.Addr.Name)
		if err != nil {
			return nil, err
		}
		switch {
		case cur == nil:
			err = k.Create(ctx, c, r.Addr.Name, r.Desired)
		case k.Tagged() && resource.TagsOf(cur)[resource.TagStack] != cfg.Stack:
			return nil, fmt.Errorf("bucket %s exists and is not this stack's (no %s=%s tag); choose another state bucket", r.Addr.Name, resource.TagStack, cfg.Stack)
		default:
			// The policy is the bucket's own: once the bucket is this
			// stack's, so is its policy.
			err = k.Update(ctx, c, r.Addr.Name, cur, r.Desired)
		}
		if err != nil {
			return nil, err
		}
	}
	return &Bootstrapped{Bucket: cfg.State.S3.Bucket, Account: cfg.State.S3.Account}, nil
}

// Migrated is a state copied to the other backend.
type Migrated struct {
	Resources  int
	Lineage    string
	Serial     int64
	To         string
	ConfigFile string
}

// MigrateState copies the state from the other backend to the one named
// by to (s3 or local), keeping lineage and serial, with both locked. A
// non-empty state of another lineage at the target is never overwritten.
func MigrateState(ctx context.Context, env Env, configFile, to string) (*Migrated, error) {
	if to != "s3" && to != "local" {
		return nil, fmt.Errorf("--to %q: must be s3 or local", to)
	}
	cfg, err := loadConfig(configFile)
	if err != nil {
		return nil, err
	}
	if cfg.State.S3.Bucket == "" {
		return nil, withHint(errors.New("the config has no state.s3 block"), "add state.s3 {account, bucket, key} first")
	}
	_, awsCfgs, _, err := connect(ctx, env, cfg, stateParallelism)
	if err != nil {
		return nil, err
	}
	b := cfg.State.S3
	local, err := state.Open(cfg.State.Path, cfg.Stack)
	if err != nil {
		return nil, err
	}
	remote, err := state.OpenS3(ctx, stateClient(cfg, awsCfgs[b.Account]), b.Bucket, b.Key, cfg.Stack)
	if err != nil {
		return nil, err
	}
	var from, dst state.Store = remote, local
	if to == "s3" {
		from, dst = local, remote
	}
	for _, s := range []state.Store{from, dst} {
		if err := acquire(ctx, env, s, "state migrate"); err != nil {
			return nil, err
		}
		defer func() { _ = s.Release(context.WithoutCancel(ctx)) }()
	}
	src, cur := from.Snapshot(), dst.Snapshot()
	if len(src.Resources) == 0 {
		return nil, errors.New("the source state is empty: nothing to migrate")
	}
	if len(cur.Resources) > 0 && cur.Lineage != src.Lineage {
		return nil, fmt.Errorf("the %s state already holds %d resources of another lineage (%s); it is not overwritten", to, len(cur.Resources), cur.Lineage)
	}
	if err := dst.Replace(ctx, src); err != nil {
		return nil, err
	}
	return &Migrated{Resources: len(src.Resources), Lineage: src.Lineage, Serial: src.Serial, To: to, ConfigFile: cfg.File}, nil
}

// ForceUnlock removes the state lock with the given ID and returns where
// the state is.
func ForceUnlock(ctx context.Context, env Env, configFile, id string) (string, error) {
	cfg, err := loadConfig(configFile)
	if err != nil {
		return "", err
	}
	if cfg.State.Backend != "s3" {
		return cfg.State.Path, state.ForceUnlock(cfg.State.Path, id)
	}
	b := cfg.State.S3
	awsCfg, err := signIn(ctx, env, cfg)
	if err != nil {
		return "", err
	}
	return "s3://" + b.Bucket + "/" + b.Key, state.ForceUnlockS3(ctx, stateClient(cfg, awsCfg[b.Account]), b.Bucket, b.Key, id)
}
