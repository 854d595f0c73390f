package operation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"

	"github.com/xacct/xacct/internal/audit"
	"github.com/xacct/xacct/internal/config"
	"github.com/xacct/xacct/internal/plan"
	"github.com/xacct/xacct/internal/resource"
	"github.com/xacct/xacct/internal/stack"
)

// AuditOptions are audit's inputs.
type AuditOptions struct {
	Since, Until time.Time
	// Filter's Bucket and Owned are filled here from the config: --key
	// is a prefix of the Production bucket's keys, --changes is about
	// what the stack owns.
	Filter   audit.Filter
	Raw      bool
	Parallel int
	Progress func(audit.Progress)
}

// errLogsOff is the error of audit on a stack without logs.
func errLogsOff(c *config.Config) error {
	return withHint(fmt.Errorf("the logs are off in %s (reporting.logs.enabled: false): there are no trails to read", c.File),
		"set reporting.logs.enabled: true (or remove it) and run xacct apply; the logs start from then")
}

// LogsOn returns an error that says what to do when the config has no logs.
func LogsOn(c *config.Config) error {
	if !c.Reporting.Logs.Enabled {
		return errLogsOff(c)
	}
	return nil
}

// LogsConfigured loads the config at path and says, before any sign-in,
// when its logs are off.
func LogsConfigured(path string) error {
	c, err := loadConfig(path)
	if err != nil {
		return err
	}
	return LogsOn(c)
}

// AuditPrincipals is what audit knows of the stack's principals.
func AuditPrincipals(c *config.Config) *audit.Principals {
	dev, prod, rep := c.Accounts.Development.ID, c.Accounts.Production.ID, c.Accounts.Reporting.ID
	role := func(account, name string) string { return "arn:aws:iam::" + account + ":role/" + name }
	p := &audit.Principals{
		Accounts:   map[string]string{dev: "development", prod: "production", rep: "reporting"},
		GroupRoles: map[string]string{},
		ServiceRoles: map[string]string{
			role(prod, stack.ProcessorRoleName(c)): "metadata processor, Lambda " + c.Production.Processor.FunctionName,
			role(rep, c.Reporting.WriterRoleName):  "metadata writer, assumed by the processor",
			role(prod, c.Production.BatchRoleName): "backfill jobs, S3 Batch Operations",
		},
	}
	for _, g := range c.Groups {
		p.GroupRoles[role(prod, g.RoleName)] = g.GroupName
	}
	return p
}

// owned is every resource the stack has: the config's and the state's.
func (s *Session) owned() []audit.Target {
	seen := map[audit.Target]bool{}
	var out []audit.Target
	add := func(a resource.Address) {
		t := audit.Target{Account: a.Account, Kind: a.Kind, Name: a.Name}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	for _, r := range s.desired {
		add(r.Addr)
	}
	if s.st != nil {
		for _, k := range s.st.Snapshot().Addresses() {
			if a, err := resource.ParseAddress(k); err == nil {
				add(a)
			}
		}
	}
	return out
}

func (s *Session) logsBucket() (audit.BucketAPI, error) {
	if err := LogsOn(s.Config); err != nil {
		return nil, err
	}
	api, ok := s.clients["reporting"].S3.(audit.BucketAPI)
	if !ok {
		return nil, errors.New("audit: the Reporting account's S3 client cannot read objects")
	}
	return api, nil
}

func (s *Session) auditOptions(o AuditOptions) audit.Options {
	c := s.Config
	f := o.Filter
	if f.KeyPrefix != "" {
		f.Bucket = c.Production.Bucket
	}
	if f.Changes {
		f.Owned = s.owned()
	}
	return audit.Options{
		Bucket: c.Reporting.Logs.Bucket, Accounts: []string{c.Accounts.Development.ID, c.Accounts.Production.ID, c.Accounts.Reporting.ID},
		Since: o.Since, Until: o.Until, Filter: f, Principals: AuditPrincipals(c), Parallel: o.Parallel, Raw: o.Raw, Progress: o.Progress, Now: s.now(),
	}
}

func (s *Session) now() func() time.Time {
	if s.env.Now != nil {
		return s.env.Now
	}
	return time.Now
}

// Audit reads the log files of the range from the log bucket and calls
// emit with each kept entry, in time order.
func (s *Session) Audit(ctx context.Context, o AuditOptions, emit func(audit.Entry) error) (*audit.Stats, error) {
	api, err := s.logsBucket()
	if err != nil {
		return nil, err
	}
	st, err := audit.Read(ctx, api, s.auditOptions(o), emit)
	return st, explainLogs(s.Config, err)
}

// FollowAudit reads the range, then keeps reading the files delivered
// since, until ctx ends.
func (s *Session) FollowAudit(ctx context.Context, o AuditOptions, emit func(audit.Entry) error) error {
	api, err := s.logsBucket()
	if err != nil {
		return err
	}
	return explainLogs(s.Config, audit.Follow(ctx, api, s.auditOptions(o), emit))
}

// ValidateLogs checks the digest chain of each of the stack's trails over
// the range, and every log file the digests list.
func (s *Session) ValidateLogs(ctx context.Context, since, until time.Time) (*audit.Validation, error) {
	api, err := s.logsBucket()
	if err != nil {
		return nil, err
	}
	c := s.Config
	keys := map[string]audit.KeysAPI{}
	var accounts []string
	for _, a := range c.Accounts.All() {
		accounts = append(accounts, a.ID)
		// ListPublicKeys answers in the trail's home region, with the
		// account's own credentials.
		keys[a.ID] = cloudtrail.NewFromConfig(s.awsCfgs[a.Name])
	}
	v, err := audit.Validate(ctx, api, audit.ValidateOptions{
		Bucket: c.Reporting.Logs.Bucket, Accounts: accounts, Keys: keys, Trail: c.Reporting.Logs.TrailName, HomeRegion: c.Region,
		Since: since, Until: until, Now: s.now(),
	})
	return v, explainLogs(c, err)
}

// explainLogs says what to do about a log bucket that is not there.
func explainLogs(c *config.Config, err error) error {
	if err == nil || !isNoSuchBucket(err) {
		return err
	}
	return withHint(fmt.Errorf("the log bucket %s does not exist in the Reporting account: %w", c.Reporting.Logs.Bucket, err),
		"run xacct apply to create the log bucket and the trails")
}

// AthenaSQL is --athena's output for the config at path: the table over
// the log bucket and the query of the filters. No AWS call.
func AthenaSQL(path string, o AuditOptions) (string, error) {
	c, err := loadConfig(path)
	if err != nil {
		return "", err
	}
	if err := LogsOn(c); err != nil {
		return "", err
	}
	f := o.Filter
	if f.KeyPrefix != "" {
		f.Bucket = c.Production.Bucket
	}
	if f.Changes {
		rs, err := stack.Build(c, "not-loaded")
		if err != nil {
			return "", err
		}
		for _, r := range rs {
			f.Owned = append(f.Owned, audit.Target{Account: r.Addr.Account, Kind: r.Addr.Kind, Name: r.Addr.Name})
		}
	}
	return audit.Athena(audit.AthenaOptions{
		Bucket: c.Reporting.Logs.Bucket, Table: athenaName(c.Stack), Accounts: []string{c.Accounts.Development.ID, c.Accounts.Production.ID, c.Accounts.Reporting.ID},
		Regions: athenaRegions(c.Region), Since: o.Since, Until: o.Until, Filter: f, Principals: AuditPrincipals(c),
	}), nil
}

func athenaName(stackName string) string {
	b := []byte(stackName + "_cloudtrail")
	for i, c := range b {
		if c == '-' {
			b[i] = '_'
		}
	}
	return string(b)
}

// athenaRegions are the regions the stack's trails write to: its own, and
// us-east-1 where IAM and STS events are recorded.
func athenaRegions(region string) []string {
	if region == "us-east-1" {
		return []string{region}
	}
	return []string{"us-east-1", region}
}

// driftAccountsRegions: IAM and STS events are recorded in us-east-1,
// the others in the stack's region.
func driftRegion(kind, region string) string {
	switch kind {
	case "iam_role", "iam_role_policy", "iam_role_policy_attachment", "iam_group", "iam_group_policy", "iam_group_policy_attachment", "iam_group_membership":
		return "us-east-1"
	}
	return region
}

// DriftWindow is how far back plan looks for who changed a resource.
const DriftWindow = 7 * 24 * time.Hour

// AttributeDrift fills p.DriftBy with who last changed each resource that
// changed outside xacct (an update whose actual value is not the one
// xacct applied), from the logs of the last DriftWindow, newest day first,
// within budget. It never fails: when the logs are off, unreadable or too
// slow, p.DriftNote says so in a line.
func (s *Session) AttributeDrift(ctx context.Context, p *plan.Plan, budget time.Duration) {
	snap := s.read
	if snap == nil {
		snap = s.st.Snapshot()
	}
	var drifted []plan.Change
	for _, c := range p.Changes {
		if c.Action != plan.Update {
			continue
		}
		e, ok := snap.Resources[c.Addr.String()]
		if !ok || e.Value == nil || sameJSON(e.Value, c.Before) {
			continue
		}
		drifted = append(drifted, c)
	}
	if len(drifted) == 0 {
		return
	}
	api, err := s.logsBucket()
	if err != nil {
		if s.Config.Reporting.Logs.Enabled {
			p.DriftNote = "who changed it is not known: " + err.Error()
		} else {
			p.DriftNote = "who changed it is not known: the logs are off (reporting.logs.enabled: false)"
		}
		return
	}
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	by, err := s.lastChanges(ctx, api, drifted)
	p.DriftBy = by
	switch {
	case ctx.Err() != nil:
		p.DriftNote = fmt.Sprintf("who changed it: the logs were not read within %s (xacct audit --changes reads them all)", budget)
	case err != nil:
		p.DriftNote = "who changed it is not known: the logs could not be read: " + err.Error()
	}
}

func sameJSON(a, b []byte) bool {
	var ca, cb bytes.Buffer
	if json.Compact(&ca, a) != nil || json.Compact(&cb, b) != nil {
		return bytes.Equal(a, b)
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}

// lastChanges finds the newest write event on each change's resource,
// a day at a time from now back DriftWindow, in the accounts and regions
// where its events are recorded.
func (s *Session) lastChanges(ctx context.Context, api audit.BucketAPI, changes []plan.Change) (map[resource.Address]plan.Attribution, error) {
	c := s.Config
	ids := map[string]string{"development": c.Accounts.Development.ID, "production": c.Accounts.Production.ID, "reporting": c.Accounts.Reporting.ID}
	want := map[audit.Target]resource.Address{}
	var accounts, regions []string
	for _, ch := range changes {
		want[audit.Target{Account: ch.Addr.Account, Kind: ch.Addr.Kind, Name: ch.Addr.Name}] = ch.Addr
		if id := ids[ch.Addr.Account]; !slices.Contains(accounts, id) {
			accounts = append(accounts, id)
		}
		if r := driftRegion(ch.Addr.Kind, c.Region); !slices.Contains(regions, r) {
			regions = append(regions, r)
		}
	}
	owned := make([]audit.Target, 0, len(want))
	for t := range want {
		owned = append(owned, t)
	}
	out := map[resource.Address]plan.Attribution{}
	now := s.now()()
	for back := time.Duration(0); back < DriftWindow && len(out) < len(want); back += 24 * time.Hour {
		until, since := now.Add(-back), now.Add(-back-24*time.Hour)
		o := audit.Options{Bucket: c.Reporting.Logs.Bucket, Accounts: accounts, Regions: regions, Since: since, Until: until,
			Filter: audit.Filter{Changes: true, Owned: owned}, Principals: AuditPrincipals(c), Now: s.now()}
		found := map[resource.Address]plan.Attribution{}
		_, err := audit.Read(ctx, api, o, func(e audit.Entry) error {
			for _, t := range e.Changed {
				if a, ok := want[t]; ok {
					found[a] = plan.Attribution{Who: e.Who.Path(), ARN: e.Who.ARN, Time: e.Time, Action: e.Action, EventID: e.EventID}
				}
			}
			return nil
		})
		// Newer days were read first: what they found stands.
		for a, at := range found {
			if _, ok := out[a]; !ok {
				out[a] = at
			}
		}
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// isNoSuchBucket tells S3's NoSuchBucket apart.
func isNoSuchBucket(err error) bool {
	var ae interface{ ErrorCode() string }
	return errors.As(err, &ae) && ae.ErrorCode() == "NoSuchBucket"
}
