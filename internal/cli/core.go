package cli

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"os/user"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/spf13/cobra"

	"github.com/xacct/xacct/internal/apply"
	"github.com/xacct/xacct/internal/awsacct"
	"github.com/xacct/xacct/internal/config"
	"github.com/xacct/xacct/internal/plan"
	"github.com/xacct/xacct/internal/resource"
	"github.com/xacct/xacct/internal/stack"
	"github.com/xacct/xacct/internal/state"
	"github.com/xacct/xacct/lambda/artifact"
	"github.com/xacct/xacct/policies"
)

// exitError ends a command with an exit code and nothing printed.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// defaultAWSConfig loads the base credentials from the SDK's default chain
// (environment, shared config and credentials files, SSO, instance roles).
func defaultAWSConfig(ctx context.Context, profile string) (aws.Config, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(profile))
	}
	return awsconfig.LoadDefaultConfig(ctx, opts...)
}

func whoAmI() string {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, _ := os.Hostname()
	return name + "@" + host
}

// coreOptions are the inputs plan, apply and destroy share.
type coreOptions struct {
	// Adopt takes over existing resources with the config's names.
	Adopt bool
	// JSON prints machine-readable output only (apply, destroy: one event
	// per line).
	JSON        bool
	IO          *IOStreams
	AWS         awsacct.BaseConfig
	Now         func() time.Time
	Config      string
	Parallelism int
	NoColor     bool
}

func (o *coreOptions) flags(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&o.Config, "config", "c", config.DefaultFile, "the config `file`")
	cmd.Flags().IntVar(&o.Parallelism, "parallelism", 10, "how many AWS operations may run at once")
}

func (o *coreOptions) color() bool { return o.IO.IsTTY && !o.NoColor }

// session is a loaded config with its state and accounts.
type session struct {
	// digest hashes the inputs of a plan: config file, templates, package.
	digest  string
	cfg     *config.Config
	desired []resource.Resource
	st      state.Store
	clients map[string]*resource.Clients
	awsCfgs map[string]aws.Config
}

// open loads and checks everything before any AWS call, then takes the
// state lock (for operations that change things) and signs in to the
// accounts.
// What a command needs of the desired resources.
type need int

const (
	needPackage need = iota // plan, apply: the desired resources, with the processor's package
	needNames               // verify, import: the desired resources; the package does not matter
	needNothing             // destroy: only the state
)

func open(ctx context.Context, o *coreOptions, operation string, lock bool, needs need) (*session, error) {
	if o.Parallelism < 1 {
		return nil, fmt.Errorf("--parallelism must be at least 1")
	}
	cfg, err := config.Load(o.Config)
	if err != nil {
		return nil, err
	}
	var desired []resource.Resource
	var pkg []byte
	var codeSha string
	switch needs {
	case needPackage:
		if pkg, err = loadPackage(cfg); err != nil {
			return nil, err
		}
		codeSha = artifact.CodeSha256(pkg)
		desired, err = stack.Build(cfg, codeSha)
	case needNames:
		// Who may do what does not depend on the package's contents.
		desired, err = stack.Build(cfg, "not-loaded")
	case needNothing:
	}
	if err != nil {
		return nil, err
	}
	s := &session{cfg: cfg, desired: desired, digest: inputsDigest(cfg, codeSha)}
	s.clients, s.awsCfgs, err = connectAll(ctx, cfg, o.AWS)
	if err != nil {
		var me *awsacct.MismatchError
		if errors.As(err, &me) {
			return nil, &hintError{err: err, hint: "check accounts." + me.Account + ".id and the credentials or role_arn used for it"}
		}
		return nil, err
	}
	for _, c := range s.clients {
		c.Tags = stack.Tags(cfg)
	}
	if pkg != nil {
		s.clients["production"].Packages = map[string][]byte{codeSha: pkg}
	}
	if s.st, err = openState(ctx, cfg, s.clients); err != nil {
		return nil, err
	}
	if lock {
		if err := s.st.Acquire(ctx, whoAmI(), operation, o.Now()); err != nil {
			var le *state.LockedError
			if errors.As(err, &le) {
				return nil, &hintError{err: err, hint: "wait for it to finish; if that process is gone, run: xacct force-unlock " + le.Lock.ID}
			}
			return nil, err
		}
	}
	return s, nil
}

func (s *session) close() { _ = s.st.Release(context.Background()) }

func (s *session) plan(ctx context.Context, o *coreOptions, destroy bool) (*plan.Plan, error) {
	return plan.Compute(ctx, plan.Input{
		Stack: s.cfg.Stack, Desired: s.desired, State: s.st.Snapshot(), Kinds: resource.AllKinds(), Clients: s.clients,
		Parallelism: o.Parallelism, Destroy: destroy, Adopt: o.Adopt,
	})
}

func signalContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
}

// confirm asks for "yes" on a terminal; without one it refuses.
func confirm(o *coreOptions, question string) error {
	if !o.IO.IsTTY {
		return &hintError{err: errors.New("no terminal to confirm on"), hint: "review the plan, then pass --auto-approve"}
	}
	fmt.Fprintf(o.IO.Out, "\n%s\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ", question)
	line, _ := bufio.NewReader(o.IO.In).ReadString('\n')
	if strings.TrimSpace(line) != "yes" {
		return errors.New("cancelled: nothing was changed")
	}
	return nil
}

var verbs = map[plan.Action][3]string{
	plan.Create: {"Creating...", "Creation complete", "Creation failed"},
	plan.Update: {"Modifying...", "Modifications complete", "Modification failed"},
	plan.Delete: {"Destroying...", "Destruction complete", "Destruction failed"},
	plan.Adopt:  {"Adopting...", "Adoption complete", "Adoption failed"},
}

// run applies a plan, printing a line per change.
func runPlan(ctx context.Context, o *coreOptions, s *session, p *plan.Plan, force bool) (apply.Result, error) {
	return apply.Run(ctx, p, s.clients, s.st, apply.Options{
		Kinds:           resource.AllKinds(),
		Parallelism:     o.Parallelism,
		ForceDeleteData: force,
		Now:             o.Now,
		OnEvent: func(e apply.Event) {
			v := verbs[e.Change.Action]
			switch {
			case !e.Done:
				fmt.Fprintf(o.IO.Out, "%s: %s\n", e.Change.Addr, v[0])
			case e.Err != nil:
				fmt.Fprintf(o.IO.Out, "%s: %s after %s\n", e.Change.Addr, v[2], e.Elapsed.Round(100*time.Millisecond))
			default:
				fmt.Fprintf(o.IO.Out, "%s: %s after %s\n", e.Change.Addr, v[1], e.Elapsed.Round(100*time.Millisecond))
			}
		},
	})
}

func newCmdPlan(f *Factory) *cobra.Command {
	o := &coreOptions{IO: f.IO, AWS: f.AWS, Now: f.Now, NoColor: f.NoColor}
	var detailed, asJSON bool
	var out string
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show what apply would change",
		Long: `Read every resource of the config and of the state, in all three accounts, and
show what apply would create, change and destroy. Reading is all it does.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := signalContext(cmd.Context())
			defer cancel()
			s, err := open(ctx, o, "plan", false, needPackage)
			if err != nil {
				return err
			}
			defer s.close()
			snap := s.st.Snapshot()
			p, err := s.plan(ctx, o, false)
			if err != nil {
				return err
			}
			if out != "" {
				if err := plan.Save(out, p, s.cfg.Stack, s.digest, snap.Lineage, snap.Serial); err != nil {
					return fmt.Errorf("save the plan: %w", err)
				}
				if !asJSON {
					defer fmt.Fprintf(o.IO.Out, "\nSaved the plan to %s. To apply exactly these changes: xacct apply %s\n", out, out)
				}
			}
			if asJSON {
				err = plan.JSON(o.IO.Out, p)
			} else {
				err = plan.Text(o.IO.Out, p, o.color())
			}
			if err != nil {
				return err
			}
			if detailed && !p.Empty() {
				return &exitError{code: ExitChanges}
			}
			return nil
		},
	}
	o.flags(cmd)
	cmd.Flags().BoolVar(&detailed, "detailed-exitcode", false, "exit 0 when there are no changes, 2 when there are, 1 on error")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the plan as JSON (format_version 1)")
	cmd.Flags().StringVar(&out, "out", "", "save the plan to `FILE` for a later xacct apply FILE")
	return cmd
}

func newCmdApply(f *Factory) *cobra.Command {
	o := &coreOptions{IO: f.IO, AWS: f.AWS, Now: f.Now, NoColor: f.NoColor}
	var auto bool
	cmd := &cobra.Command{
		Use:   "apply [PLAN_FILE]",
		Short: "Create or update the resources to match the config",
		Long: `Plan, show the plan, ask for 'yes' (or --auto-approve), then make the changes:
independent ones in parallel, in the order AWS requires, the state saved after
each. An interrupted apply resumes where it stopped when run again.

With PLAN_FILE (from xacct plan --out), apply exactly that plan, without asking,
and refuse if the config, templates or processor package changed, the state
moved on, or any resource is no longer what the plan read.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				return applySaved(cmd.Context(), o, args[0])
			}
			return converge(cmd.Context(), o, "apply", auto, false, false)
		},
	}
	o.flags(cmd)
	cmd.Flags().BoolVar(&auto, "auto-approve", false, "apply without asking for confirmation")
	cmd.Flags().BoolVar(&o.Adopt, "adopt", false, "take over existing resources that have the config's names (shown as <= adopt), instead of refusing them")
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print one JSON event per line (needs --auto-approve)")
	return cmd
}

func newCmdDestroy(f *Factory) *cobra.Command {
	o := &coreOptions{IO: f.IO, AWS: f.AWS, Now: f.Now, NoColor: f.NoColor}
	var auto, force bool
	cmd := &cobra.Command{
		Use:   "destroy",
		Short: "Delete everything xacct created",
		Long: `Plan the deletion of every resource in the state (and nothing else), in reverse
dependency order, ask for 'yes' (or --auto-approve), and delete. A bucket that
holds objects is refused unless --force-delete-data, which empties it first.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return converge(cmd.Context(), o, "destroy", auto, true, force)
		},
	}
	o.flags(cmd)
	cmd.Flags().BoolVar(&auto, "auto-approve", false, "destroy without asking for confirmation")
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print one JSON event per line (needs --auto-approve)")
	cmd.Flags().BoolVar(&force, "force-delete-data", false, "empty buckets that hold objects, then delete them")
	return cmd
}

func converge(ctx context.Context, o *coreOptions, operation string, auto, destroy, force bool) error {
	ctx, cancel := signalContext(ctx)
	defer cancel()
	needs := needPackage
	if destroy {
		needs = needNothing
	}
	s, err := open(ctx, o, operation, true, needs)
	if err != nil {
		return err
	}
	defer s.close()
	p, err := s.plan(ctx, o, destroy)
	if err != nil {
		return err
	}
	if err := apply.CheckData(ctx, p, resource.AllKinds(), s.clients, force); err != nil {
		return err
	}
	if o.JSON {
		if !auto {
			return &hintError{err: fmt.Errorf("--json needs --auto-approve: there is no prompt in JSON mode"), hint: "review the plan with xacct plan --json first"}
		}
		return convergeJSON(ctx, o, s, p, force)
	}
	if err := plan.Text(o.IO.Out, p, o.color()); err != nil {
		return err
	}
	if !p.Empty() && !auto {
		q := "Do you want to perform these actions?"
		if destroy {
			q = "Do you really want to destroy all resources of stack " + s.cfg.Stack + "?"
		}
		if err := confirm(o, q); err != nil {
			return err
		}
	}
	if !p.Empty() {
		fmt.Fprintln(o.IO.Out)
	}
	res, err := runPlan(ctx, o, s, p, force)
	if err != nil {
		return fmt.Errorf("%s stopped: %w", operation, err)
	}
	word := "Apply"
	if destroy {
		word = "Destroy"
	}
	adopted := ""
	if res.Adopted > 0 {
		adopted = fmt.Sprintf("%d adopted, ", res.Adopted)
	}
	fmt.Fprintf(o.IO.Out, "\n%s complete! Resources: %s%d added, %d changed, %d destroyed.\n", word, adopted, res.Added, res.Changed, res.Destroyed)
	return nil
}

func newCmdForceUnlock(f *Factory) *cobra.Command {
	o := &coreOptions{IO: f.IO, AWS: f.AWS, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "force-unlock LOCK_ID",
		Short: "Remove a state lock left by a run that is gone",
		Long: `Remove the state lock with the given ID. Only do this when the process that
holds it is gone: two runs applying at once can leave resources behind.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Load(o.Config)
			if err != nil {
				return err
			}
			where := cfg.State.Path
			if cfg.State.Backend == "s3" {
				clients, err := connect(cmd.Context(), cfg, o.AWS)
				if err != nil {
					return err
				}
				b := cfg.State.S3
				where = "s3://" + b.Bucket + "/" + b.Key
				err = state.ForceUnlockS3(cmd.Context(), clients[b.Account].S3.(*s3.Client), b.Bucket, b.Key, args[0])
				if err != nil {
					return err
				}
			} else if err := state.ForceUnlock(cfg.State.Path, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(f.IO.Out, "The state %s is unlocked.\n", where)
			return nil
		},
	}
	cmd.Flags().StringVarP(&o.Config, "config", "c", config.DefaultFile, "the config `file`")
	return cmd
}

// loadPackage reads the processor's package and checks it is a Lambda
// package for the configured architecture.
func loadPackage(cfg *config.Config) ([]byte, error) {
	p := cfg.Production.Processor
	arch := p.Architecture
	pkg, err := os.ReadFile(p.Package)
	if errors.Is(err, os.ErrNotExist) {
		return nil, &hintError{err: fmt.Errorf("the metadata processor's package %s does not exist", p.Package),
			hint: "build it: make lambda ARCH=" + arch}
	}
	if err != nil {
		return nil, fmt.Errorf("read the metadata processor's package: %w", err)
	}
	got, err := artifact.Architecture(pkg)
	if err != nil {
		return nil, &hintError{err: fmt.Errorf("%s: %w", p.Package, err), hint: "rebuild it: make lambda ARCH=" + arch}
	}
	if got != arch {
		return nil, &hintError{err: fmt.Errorf("%s holds a bootstrap for %s, but production.processor.architecture is %s", p.Package, got, arch),
			hint: "rebuild it: make lambda ARCH=" + arch}
	}
	return pkg, nil
}

// event is one line of apply --json.
type event struct {
	FormatVersion int    `json:"format_version"`
	Type          string `json:"type"` // change_started, change_finished, change_failed, summary
	Address       string `json:"address,omitempty"`
	Action        string `json:"action,omitempty"`
	ElapsedMS     *int64 `json:"elapsed_ms,omitempty"`
	Error         string `json:"error,omitempty"`
	Added         *int   `json:"added,omitempty"`
	Changed       *int   `json:"changed,omitempty"`
	Destroyed     *int   `json:"destroyed,omitempty"`
}

func convergeJSON(ctx context.Context, o *coreOptions, s *session, p *plan.Plan, force bool) error {
	enc := json.NewEncoder(o.IO.Out)
	res, err := apply.Run(ctx, p, s.clients, s.st, apply.Options{
		Kinds: resource.AllKinds(), Parallelism: o.Parallelism, ForceDeleteData: force, Now: o.Now,
		OnEvent: func(e apply.Event) {
			ev := event{FormatVersion: 1, Type: "change_started", Address: e.Change.Addr.String(), Action: plan.ActionName(e.Change.Action)}
			if e.Done {
				ms := e.Elapsed.Milliseconds()
				ev.ElapsedMS, ev.Type = &ms, "change_finished"
				if e.Err != nil {
					ev.Type, ev.Error = "change_failed", e.Err.Error()
				}
			}
			_ = enc.Encode(ev)
		},
	})
	_ = enc.Encode(event{FormatVersion: 1, Type: "summary", Added: &res.Added, Changed: &res.Changed, Destroyed: &res.Destroyed})
	return err
}

// applySaved applies a saved plan after checking nothing moved since.
func applySaved(ctx context.Context, o *coreOptions, path string) error {
	ctx, cancel := signalContext(ctx)
	defer cancel()
	saved, p, err := plan.Load(path, resource.AllKinds())
	if err != nil {
		return err
	}
	s, err := open(ctx, o, "apply", true, needPackage)
	if err != nil {
		return err
	}
	defer s.close()
	stale := func(why string) error {
		return &hintError{err: fmt.Errorf("the saved plan %s no longer applies: %s; nothing was changed", path, why), hint: "plan again: xacct plan --out " + path}
	}
	snap := s.st.Snapshot()
	switch {
	case saved.Stack != s.cfg.Stack:
		return stale(fmt.Sprintf("it is for stack %q, the config is for %q", saved.Stack, s.cfg.Stack))
	case saved.InputsDigest != s.digest:
		return stale("the config, the policy templates or the processor package changed")
	case saved.StateLineage != snap.Lineage || saved.StateSerial != snap.Serial:
		return stale(fmt.Sprintf("the state moved on (serial %d, the plan read %d)", snap.Serial, saved.StateSerial))
	}
	current, err := plan.ReadChanges(ctx, p, resource.AllKinds(), s.clients, o.Parallelism)
	if err != nil {
		return err
	}
	var moved []string
	for _, c := range p.Changes {
		if !bytes.Equal(current[c.Addr.String()], c.Before) {
			moved = append(moved, c.Addr.String())
		}
	}
	if len(moved) > 0 {
		return stale("these resources changed since the plan read them: " + strings.Join(moved, ", "))
	}
	if o.JSON {
		return convergeJSON(ctx, o, s, p, false)
	}
	if err := plan.Text(o.IO.Out, p, o.color()); err != nil {
		return err
	}
	fmt.Fprintln(o.IO.Out)
	res, err := runPlan(ctx, o, s, p, false)
	if err != nil {
		return fmt.Errorf("apply stopped: %w", err)
	}
	fmt.Fprintf(o.IO.Out, "\nApply complete! Resources: %d added, %d changed, %d destroyed.\n", res.Added, res.Changed, res.Destroyed)
	return nil
}

func newCmdShow(f *Factory) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show PLAN_FILE",
		Short: "Print a saved plan",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, p, err := plan.Load(args[0], resource.AllKinds())
			if err != nil {
				return err
			}
			if asJSON {
				return plan.JSON(f.IO.Out, p)
			}
			return plan.Text(f.IO.Out, p, f.IO.IsTTY && !f.NoColor)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the plan as JSON")
	return cmd
}

// openState opens the configured state backend.
func openState(ctx context.Context, cfg *config.Config, clients map[string]*resource.Clients) (state.Store, error) {
	if cfg.State.Backend == "s3" {
		b := cfg.State.S3
		return state.OpenS3(ctx, clients[b.Account].S3.(*s3.Client), b.Bucket, b.Key, cfg.Stack)
	}
	return state.Open(cfg.State.Path, cfg.Stack)
}

// inputsDigest hashes what a plan is computed from: the config file as
// written, the policy templates and the processor package.
func inputsDigest(cfg *config.Config, codeSha string) string {
	h := sha256.New()
	h.Write(cfg.Raw)
	fmt.Fprintf(h, "\x00%s\x00%s", policies.Digest(), codeSha)
	return hex.EncodeToString(h.Sum(nil))
}

// accountsOf lists the config's accounts for signing in.
func accountsOf(cfg *config.Config) []awsacct.Account {
	var out []awsacct.Account
	for _, a := range cfg.Accounts.All() {
		out = append(out, awsacct.Account{Name: a.Name, ID: a.ID, RoleARN: a.RoleARN, ExternalID: a.ExternalID, Profile: a.Profile, EndpointURL: a.EndpointURL})
	}
	return out
}

// connect signs in to every account and builds its clients.
func connect(ctx context.Context, cfg *config.Config, base awsacct.BaseConfig) (map[string]*resource.Clients, error) {
	c, _, err := connectAll(ctx, cfg, base)
	return c, err
}

func connectAll(ctx context.Context, cfg *config.Config, base awsacct.BaseConfig) (map[string]*resource.Clients, map[string]aws.Config, error) {
	cfgs, err := awsacct.Connect(ctx, cfg.Region, accountsOf(cfg), base, "xacct-"+cfg.Stack)
	if err != nil {
		return nil, nil, err
	}
	out := map[string]*resource.Clients{}
	for _, a := range cfg.Accounts.All() {
		out[a.Name] = resource.NewClients(a.ID, cfgs[a.Name])
	}
	return out, cfgs, nil
}
