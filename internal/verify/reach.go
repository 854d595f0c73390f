package verify

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/xacct/xacct/internal/config"
	"github.com/xacct/xacct/internal/iampolicy"
	"github.com/xacct/xacct/internal/stack"
)

// Hop is one step of a path to the data: how a principal became the next.
type Hop struct {
	// Kind is "assume" (sts:AssumeRole, trust and identity allow),
	// "function" (may change a function's code or configuration, so acts
	// as its execution role), "pass-role" (may create a function with the
	// role), "key" (may create an access key of a user), "join" (may add
	// itself to a group), "trust" (may rewrite a role's trust policy),
	// "self-grant" (may write its own permissions), "grant" (assumes a role
	// whose permissions it may write), "boundary" (may drop its permissions
	// boundary), "delegation" (a principal created later in an account a
	// policy delegates to takes it), "version" (may set a stored version
	// of a managed policy as the default). Each kind's home is
	// edge_<kind>.go.
	Kind string `json:"kind"`
	// To is the principal (or the function, group, user) the hop goes to,
	// as an ARN; Label names what the path holds after it, in words.
	To         string   `json:"to"`
	Label      string   `json:"label"`
	Action     string   `json:"action"`
	Statements []string `json:"statements,omitempty"`
}

// Route renders the path in words: the start, each hop with the action
// that allows it, the request.
func (f Finding) Route() string {
	var b strings.Builder
	b.WriteString(f.Principal)
	for _, h := range f.Path {
		fmt.Fprintf(&b, " -[%s]-> %s", h.Action, h.Label)
	}
	fmt.Fprintf(&b, " -[%s]-> %s", f.Action, f.Resource)
	return b.String()
}

// Finding is one principal reaching one action on a protected resource,
// with the path that gets it there.
type Finding struct {
	// Principal is where the path starts: a user, a function (the Lambda
	// service running it), an account outside the three, or anonymous.
	Principal string `json:"principal"`
	// As is the session the request is made with (the principal itself
	// when the path has no hop).
	As          string `json:"as"`
	Path        []Hop  `json:"path,omitempty"`
	Action      string `json:"action"`
	AccessLevel string `json:"access_level"`
	Resource    string `json:"resource"`
	// Bucket is the protected bucket the resource is in; "" for the
	// stack's own groups, roles and function (an action that can change
	// who reaches the data).
	Bucket     string   `json:"bucket"`
	Statements []string `json:"statements,omitempty"`
}

// Reach is the exhaustive answer to "who can reach the data": every
// principal of the three accounts (and any account or caller outside them)
// that reaches an action on a protected bucket, classified.
type Reach struct {
	// Findings reach an action the config does not intend.
	Findings []Finding `json:"findings"`
	// Administrators are principals with full access to an account reaching
	// that account's own buckets (not findings unless strict).
	Administrators []Finding `json:"administrators"`
	// Acknowledged are findings the config's verify.allow lists.
	Acknowledged []Finding `json:"acknowledged"`
	// Principals counts the principals whose paths were walked, Requests
	// the requests decided.
	Principals int `json:"principals"`
	Requests   int `json:"requests"`
}

// node is a principal at some point of a path.
type node struct {
	label    string // in words, for output
	start    string // the path's start, in words
	startARN string // the start's ARN ("" for synthetic starts)
	arn      string // the caller as requests name it
	account  string // its account ID
	identity []iampolicy.NamedPolicy
	boundary *iampolicy.NamedPolicy
	mfa      bool
	path     []Hop
	// role is the role of a session (its name), "" for a user; roleARN its
	// ARN with its path.
	role, roleARN string
	// group is, for a synthetic member, the group it stands for; groups
	// are a user's groups.
	groups []string
	// service is set for the Lambda service running a function.
	function string
	// variant tells apart the same principal holding different versions
	// of a managed policy (edge_version.go); "" otherwise.
	variant string
	// delegation is set on the start of a delegation (edge_delegation.go):
	// its only edge is the delegation.
	delegation *delegation
	// escalated is set once a hop made the principal more than it was.
	escalated bool
	// adminOf are the accounts (of the three) the path has held full
	// access in without escalating — its start was an administrator there,
	// or it assumed an administrator role (from outside the three, only the
	// organization's role) — with the path length where it did.
	adminOf map[string]int
}

type reachWorld struct {
	org     map[string]bool // see orgAccounts
	trusted map[string]bool // role ARN|service -> the service may assume it
	decided map[string]iampolicy.Result
	// versions caches storedVersions.
	versions map[string][]Doc
	// personalDocs caches personal by canonical document.
	personalDocs map[*iampolicy.Policy]personalBy
	// canonicalDocs caches canonical.
	canonicalDocs map[*iampolicy.Policy]string
	cfg           *config.Config
	targets       []target // the stack's principals and function
	inv           *Inventory
	accounts      map[string]*Account // by ID
	keyOf         map[string]string   // account ID -> key
	parsed        map[string]*iampolicy.Policy
	requests      int
}

func (w *reachWorld) policy(doc string, kind iampolicy.Kind) *iampolicy.Policy {
	k := fmt.Sprint(int(kind)) + doc
	if p, ok := w.parsed[k]; ok {
		return p
	}
	p, err := iampolicy.Parse([]byte(doc), kind)
	if err != nil {
		p = nil
	}
	w.parsed[k] = p
	return p
}

func (w *reachWorld) named(docs []Doc, kind iampolicy.Kind) []iampolicy.NamedPolicy {
	var out []iampolicy.NamedPolicy
	for _, d := range docs {
		if p := w.policy(d.Document, kind); p != nil {
			out = append(out, iampolicy.NamedPolicy{Name: d.Name, Policy: p})
		}
	}
	return out
}

func (w *reachWorld) boundaryOf(d *Doc) *iampolicy.NamedPolicy {
	if d == nil {
		return nil
	}
	p := w.policy(d.Document, iampolicy.Boundary)
	if p == nil {
		// A boundary that cannot be read allows nothing.
		p = iampolicy.MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`, iampolicy.Boundary)
	}
	return &iampolicy.NamedPolicy{Name: d.Name, Policy: p}
}

// decide evaluates one request by an actor.
func (w *reachWorld) decide(a *node, action, resource, resourceAccount string, rp *iampolicy.NamedPolicy, extra map[string][]string) iampolicy.Result {
	w.requests++
	// The same principal (same caller, policies and context) is met on
	// many starts' paths: each request is decided once.
	var k strings.Builder
	fmt.Fprintf(&k, "%s|%s|%v|%s|%s|%s|%s|", a.arn, a.roleARN, a.mfa, a.function, action, resource, resourceAccount)
	for _, p := range a.identity {
		k.WriteString(p.Name)
		k.WriteByte(0)
	}
	if a.boundary != nil {
		k.WriteString("|b:" + a.boundary.Name)
	}
	if rp != nil {
		k.WriteString("|r:" + rp.Name)
	}
	for _, ek := range slices.Sorted(maps.Keys(extra)) {
		fmt.Fprintf(&k, "|%s=%v", ek, extra[ek])
	}
	key := k.String()
	if res, ok := w.decided[key]; ok {
		return res
	}
	res := w.evaluate(a, action, resource, resourceAccount, rp, extra)
	w.decided[key] = res
	return res
}

func (w *reachWorld) evaluate(a *node, action, resource, resourceAccount string, rp *iampolicy.NamedPolicy, extra map[string][]string) iampolicy.Result {
	// What the walk knows of the request; any other key a condition
	// names may take whatever value lets a caller in (Possible).
	ctx := map[string][]string{"aws:SecureTransport": {"true"}}
	if a.mfa {
		ctx["aws:MultiFactorAuthPresent"] = []string{"true"}
		ctx["aws:MultiFactorAuthAge"] = []string{"0"}
	} else {
		// Known absent: a service's session or outside caller without it.
		ctx["aws:MultiFactorAuthPresent"] = nil
		ctx["aws:MultiFactorAuthAge"] = nil
	}
	if a.function != "" {
		ctx["aws:SourceAccount"] = []string{a.account}
	}
	if a.roleARN != "" {
		// A session's aws:PrincipalArn is its role's ARN, path included.
		ctx["aws:PrincipalArn"] = []string{a.roleARN}
	}
	for k, v := range extra {
		ctx[k] = v
	}
	req := &iampolicy.Request{Principal: a.arn, Action: action, Resource: resource, ResourceAccount: resourceAccount,
		Context: ctx, IdentityPolicies: a.identity, ResourcePolicy: rp, PermissionsBoundary: a.boundary, Possible: true}
	if a.arn == "*" {
		req.PrincipalAccount = ""
	}
	res, err := iampolicy.Evaluate(req)
	if err != nil {
		return iampolicy.Result{Decision: iampolicy.ImplicitDeny, Detail: err.Error()}
	}
	return res
}

func statements(r iampolicy.Result) []string {
	var out []string
	for _, x := range r.Reasons {
		st := fmt.Sprintf("%s statement %s", x.Policy, x.Statement)
		if len(x.Assumed) > 0 {
			st += " (for a caller that meets its condition on " + strings.Join(x.Assumed, ", ") + ")"
		}
		out = append(out, st)
	}
	return out
}

// ComputeReach walks every principal of the inventory to the config's
// buckets. strict lists administrators as findings.
func ComputeReach(cfg *config.Config, inv *Inventory, strict bool) *Reach {
	w := newReachWorld(cfg, inv)
	r := &Reach{}
	seen := map[string]bool{} // finding keys, for duplicates reached by several paths
	r.Principals = w.each(func(a *node, x reached) {
		f := Finding{Principal: a.start, As: a.label, Path: a.path, Action: x.action, AccessLevel: accessLevel(x.action),
			Resource: x.resource, Bucket: x.bucket, Statements: x.statements}
		if w.intended(a, x) {
			return
		}
		if a.delegation != nil && x.bucketAccount == a.account {
			// In its own account, the principal a delegation's account
			// creates is its administrators' to make: listed with them.
			return
		}
		k := f.Principal + "|" + f.As + "|" + f.Action + "|" + f.Resource
		if seen[k] {
			return
		}
		seen[k] = true
		switch {
		case !strict && len(a.adminOf) > 0 && (hasKey(a.adminOf, x.bucketAccount) || w.intendedFor(a, x)):
			// An administrator's reach is listed where it became
			// one, not again along every role of its account.
			if at, ok := a.adminOf[x.bucketAccount]; !ok || at == len(a.path) {
				r.Administrators = append(r.Administrators, f)
			}
		case w.acknowledged(a):
			r.Acknowledged = append(r.Acknowledged, f)
		default:
			r.Findings = append(r.Findings, f)
		}
	})
	r.Requests = w.requests
	for _, l := range [][]Finding{r.Findings, r.Administrators, r.Acknowledged} {
		sort.SliceStable(l, func(i, j int) bool {
			if l[i].Principal != l[j].Principal {
				return l[i].Principal < l[j].Principal
			}
			if l[i].Bucket != l[j].Bucket {
				return l[i].Bucket < l[j].Bucket
			}
			if l[i].Action != l[j].Action {
				return l[i].Action < l[j].Action
			}
			return l[i].Resource < l[j].Resource
		})
	}
	return r
}

func newReachWorld(cfg *config.Config, inv *Inventory) *reachWorld {
	w := &reachWorld{cfg: cfg, inv: inv, accounts: map[string]*Account{}, keyOf: map[string]string{}, parsed: map[string]*iampolicy.Policy{}, trusted: map[string]bool{}, decided: map[string]iampolicy.Result{}, personalDocs: map[*iampolicy.Policy]personalBy{}, canonicalDocs: map[*iampolicy.Policy]string{}}
	for i := range inv.Accounts {
		a := &inv.Accounts[i]
		w.accounts[a.ID] = a
		w.keyOf[a.ID] = a.Key
	}
	return w
}

// each walks every start to every principal it can become and calls fn
// for every request it is allowed on the protected buckets and the
// stack's principals; it returns how many starts it walked.
func (w *reachWorld) each(fn func(a *node, x reached)) int {
	starts := w.starts()
	buckets := w.protected()
	w.targets = w.stackTargets()
	// results caches the decisions of principals that are the same to
	// every resource policy: same identity, boundary, account and MFA.
	results := map[string][]reached{}
	for _, s := range starts {
		for _, a := range w.walk(s) {
			key := w.signature(a, buckets)
			rs, ok := results[key]
			if !ok {
				rs = append(w.resources(a, buckets), w.escalations(a)...)
				results[key] = rs
			}
			for _, x := range rs {
				fn(a, x)
			}
		}
	}
	return len(starts)
}

// bucket is a protected bucket: its account, policy and witness keys.
type bucket struct {
	name, account string
	policy        *iampolicy.NamedPolicy
	keys          []string
	vars          []string // key patterns with policy variables (principalKeys)
	prefix        string   // the writer's prefix in Reporting, "" otherwise
}

func (w *reachWorld) protected() []bucket {
	out := w.protectedPolicies()
	for i := range out {
		b := &out[i]
		b.keys, b.vars = w.witnesses(b.name, b.prefix)
	}
	return out
}

// protectedPolicies are the protected buckets with their policies, without
// their witness keys.
func (w *reachWorld) protectedPolicies() []bucket {
	prod := bucket{name: w.cfg.Production.Bucket, account: w.cfg.Accounts.Production.ID}
	rep := bucket{name: w.cfg.Reporting.Bucket, account: w.cfg.Accounts.Reporting.ID, prefix: w.cfg.Reporting.Prefix}
	// The failed events hold Production's keys and who wrote them.
	failures := bucket{name: w.cfg.Production.Processor.FailureBucket, account: w.cfg.Accounts.Production.ID}
	out := []bucket{prod, rep, failures}
	// The logs say who read and changed the rest: who may read them learns
	// it, who may overwrite or delete them hides it.
	if l := w.cfg.Reporting.Logs; l.Enabled {
		out = append(out, bucket{name: l.Bucket, account: w.cfg.Accounts.Reporting.ID})
	}
	for i := range out {
		b := &out[i]
		if doc, ok := w.inv.BucketPolicies[b.name]; ok {
			if p := w.policy(doc, iampolicy.Resource); p != nil {
				b.policy = &iampolicy.NamedPolicy{Name: "bucket policy of " + b.name, Policy: p}
			}
		}
	}
	return out
}

// witnesses are the object keys a check uses for a bucket: one inside the
// prefix, one outside it, a sibling sharing the prefix's characters, and
// one for every pattern any policy of the inventory writes for the bucket
// (a bucket pattern with wildcards included), with its wildcards filled,
// so that a widened pattern always has a key only it matches. Patterns
// with policy variables (${aws:username}) are kept apart in vars: each
// principal gets its own keys from them (principalKeys).
func (w *reachWorld) witnesses(name, prefix string) (keys []string, vars []string) {
	set := map[string]bool{"xacct-witness": true}
	if prefix != "" {
		set[prefix+"xacct-witness.json"] = true
		set["xacct-outside-the-prefix"] = true
		set[strings.TrimSuffix(prefix, "/")+"-sibling/xacct-witness"] = true
	}
	varSet := map[string]bool{}
	add := func(doc string, kind iampolicy.Kind) {
		for _, pat := range bucketPatterns(w.policy(doc, kind), name) {
			if strings.Contains(pat, "${") {
				varSet[pat] = true
				continue
			}
			if k := fillWildcards(pat); k != "" {
				set[k] = true
			}
		}
	}
	for _, a := range w.inv.Accounts {
		for _, u := range a.Users {
			for _, d := range u.Policies {
				add(d.Document, iampolicy.Identity)
			}
		}
		for _, g := range a.Groups {
			for _, d := range g.Policies {
				add(d.Document, iampolicy.Identity)
			}
		}
		for _, r := range a.Roles {
			for _, d := range r.Policies {
				add(d.Document, iampolicy.Identity)
			}
		}
	}
	if doc, ok := w.inv.BucketPolicies[name]; ok {
		add(doc, iampolicy.Resource)
	}
	return slices.Sorted(maps.Keys(set)), slices.Sorted(maps.Keys(varSet))
}

func fillWildcards(pat string) string {
	return strings.NewReplacer("*", "xacct-any", "?", "x").Replace(pat)
}

// principalKeys are a principal's own witness keys from patterns with
// policy variables: ${aws:username} its user name, ${aws:PrincipalAccount}
// its account, any other variable filled as a wildcard.
func principalKeys(a *node, vars []string) []string {
	var out []string
	user := ""
	if a.role == "" && a.function == "" {
		if _, name, ok := strings.Cut(a.arn, ":user/"); ok {
			user = name[strings.LastIndexByte(name, '/')+1:]
		}
	}
	for _, pat := range vars {
		k := varRE.ReplaceAllStringFunc(pat, func(v string) string {
			switch strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(v, "${"), "}")) {
			case "aws:username":
				if user != "" {
					return user
				}
			case "aws:principalaccount":
				return a.account
			}
			return "xacct-any"
		})
		out = append(out, fillWildcards(k))
	}
	return out
}

var varRE = regexp.MustCompile(`\$\{[^}]*\}`)

// bucketPatterns are the key patterns a policy writes for the bucket:
// each Resource or NotResource arn:aws:s3:::BUCKET/KEY whose bucket part
// (wildcards and all) matches it.
func bucketPatterns(p *iampolicy.Policy, bucket string) []string {
	if p == nil {
		return nil
	}
	var out []string
	for _, st := range p.Statements {
		for _, res := range append(slices.Clone(st.Resource), st.NotResource...) {
			rest, ok := strings.CutPrefix(res, "arn:aws:s3:::")
			if !ok {
				continue
			}
			b, key, ok := strings.Cut(rest, "/")
			if ok && globMatch(b, bucket) {
				out = append(out, key)
			}
		}
	}
	return out
}

// globMatch matches s against a pattern whose * matches any characters and
// ? one, as in a policy's resource.
func globMatch(pattern, s string) bool {
	var b strings.Builder
	b.WriteString("^")
	for _, r := range pattern {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	ok, err := regexp.MatchString(b.String(), s)
	return err == nil && ok
}

// reached is one allowed request on a protected bucket.
type reached struct {
	action, resource, bucket, bucketAccount, key string
	statements                                   []string
}

// resources decides every S3 action of the table on each protected bucket
// (bucket actions on the bucket, object actions on each witness key).
func (w *reachWorld) resources(a *node, buckets []bucket) []reached {
	var out []reached
	for _, b := range buckets {
		for _, act := range config.S3Actions() {
			// No Allow of the caller's policies or the bucket's covers the
			// action: no request for it is allowed, on any key (most
			// principals of a large account hold nothing of S3).
			if !a.may(act) && (b.policy == nil || !iampolicy.MayAllow([]iampolicy.NamedPolicy{*b.policy}, act)) {
				continue
			}
			lvl, _ := config.S3ActionLevel(act)
			var targets []string
			switch lvl {
			case config.ActionBucket:
				targets = []string{""}
			case config.ActionObject:
				targets = append(slices.Clone(b.keys), principalKeys(a, b.vars)...)
			default:
				continue
			}
			for _, key := range targets {
				arn := "arn:aws:s3:::" + b.name
				if lvl == config.ActionObject {
					arn += "/" + key
				}
				res := w.decide(a, act, arn, b.account, b.policy, nil)
				if res.Decision == iampolicy.Allowed {
					out = append(out, reached{action: act, resource: arn, bucket: b.name, bucketAccount: b.account, key: key, statements: statements(res)})
				}
			}
		}
	}
	return out
}

// target is one of the stack's own principals or its function: whoever
// may change it (a policy, a membership, a trust, a key, the code) can
// change who reaches the data.
type target struct {
	kind, arn, account string
	policy             *iampolicy.NamedPolicy // a function's resource policy
}

// stackTargets are the stack's groups, roles and function, as the
// inventory knows them (or as the config names them).
func (w *reachWorld) stackTargets() []target {
	var out []target
	find := func(account, kind, name string) string {
		a := w.accounts[account]
		if a != nil {
			switch kind {
			case config.TargetGroup:
				for _, g := range a.Groups {
					if g.Name == name {
						return g.ARN
					}
				}
			case config.TargetRole:
				for _, r := range a.Roles {
					if r.Name == name {
						return r.ARN
					}
				}
			}
		}
		return fmt.Sprintf("arn:aws:iam::%s:%s/%s", account, kind, name)
	}
	dev, prod, rep := w.cfg.Accounts.Development.ID, w.cfg.Accounts.Production.ID, w.cfg.Accounts.Reporting.ID
	for _, g := range w.cfg.Groups {
		out = append(out, target{kind: config.TargetGroup, arn: find(dev, config.TargetGroup, g.GroupName), account: dev})
		out = append(out, target{kind: config.TargetRole, arn: find(prod, config.TargetRole, g.RoleName), account: prod})
	}
	out = append(out, target{kind: config.TargetRole, arn: find(prod, config.TargetRole, stack.ProcessorRoleName(w.cfg)), account: prod})
	out = append(out, target{kind: config.TargetRole, arn: find(rep, config.TargetRole, w.cfg.Reporting.WriterRoleName), account: rep})
	fn := target{kind: config.TargetFunction, account: prod,
		arn: fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", w.cfg.Region, prod, w.cfg.Production.Processor.FunctionName)}
	if a := w.accounts[prod]; a != nil {
		for _, f := range a.Functions {
			if f.Name == w.cfg.Production.Processor.FunctionName && f.Policy != "" {
				if p := w.policy(f.Policy, iampolicy.Resource); p != nil {
					fn.policy = &iampolicy.NamedPolicy{Name: "policy of function " + f.Name, Policy: p}
				}
			}
		}
	}
	out = append(out, fn)
	if l := w.cfg.Reporting.Logs; l.Enabled {
		for _, a := range w.cfg.Accounts.All() {
			out = append(out, target{kind: config.TargetTrail, account: a.ID, arn: stack.TrailARN(w.cfg, a.ID)})
		}
	}
	return out
}

// escalations decides every action that can change who reaches the data
// (config.EscalationActions) on each of the stack's principals and its
// function; bucket and object actions are among the S3 actions.
func (w *reachWorld) escalations(a *node) []reached {
	var out []reached
	for _, ea := range config.EscalationActions() {
		for _, t := range w.targets {
			if t.kind != ea.Target || !a.may(ea.Action) && (t.policy == nil || !iampolicy.MayAllow([]iampolicy.NamedPolicy{*t.policy}, ea.Action)) {
				continue
			}
			var extra map[string][]string
			if ea.Action == "iam:PassRole" {
				extra = map[string][]string{"iam:PassedToService": {"lambda.amazonaws.com"}}
			}
			res := w.decide(a, ea.Action, t.arn, t.account, t.policy, extra)
			if res.Decision == iampolicy.Allowed {
				out = append(out, reached{action: ea.Action, resource: t.arn, bucketAccount: t.account, statements: statements(res)})
			}
		}
	}
	return out
}

// signature names the actors whose resource decisions are the same: same
// identity, boundary, account and MFA, and a caller no bucket policy names.
func (w *reachWorld) signature(a *node, buckets []bucket) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s|%v|%s|", a.account, a.mfa, a.function)
	for _, p := range a.identity {
		h.Write([]byte(w.canonical(p.Policy)))
		h.Write([]byte{0})
	}
	if a.boundary != nil {
		h.Write([]byte(w.canonical(a.boundary.Policy)))
	}
	// A principal is decided alone when a policy may depend on who it is
	// (aws:username, ${aws:username}, its tags…) or a resource policy names
	// it or its role; otherwise principals with the same policies share
	// (the many users who hold the same, or nothing). A fixed condition on
	// aws:PrincipalArn (the Reporting bucket's "deny all but the writer")
	// splits them only by whether it holds for their ARN.
	pa, paKnown := principalArnOf(a)
	personal := false
	byARN := func(p *iampolicy.Policy) {
		pb := w.personal(p)
		personal = personal || pb.all || (len(pb.arnConds) > 0 && !paKnown)
		for _, c := range pb.arnConds {
			fmt.Fprintf(h, "|%v", c.Holds(pa))
		}
	}
	for _, b := range buckets {
		if b.policy != nil {
			byARN(b.policy.Policy)
		}
	}
	for _, t := range w.targets {
		if t.policy != nil {
			byARN(t.policy.Policy)
		}
	}
	for _, p := range a.identity {
		byARN(p.Policy)
	}
	if a.boundary != nil {
		byARN(a.boundary.Policy)
	}
	if personal {
		fmt.Fprintf(h, "|%s|%s|%s", a.arn, a.roleARN, strings.Join(a.groups, ","))
	}
	named := func(p *iampolicy.NamedPolicy) bool {
		if p == nil {
			return false
		}
		doc := w.canonical(p.Policy)
		return a.arn == "*" || strings.Contains(doc, a.arn) || (a.roleARN != "" && strings.Contains(doc, a.roleARN))
	}
	for _, b := range buckets {
		if named(b.policy) {
			fmt.Fprintf(h, "|%s", a.arn)
		}
	}
	for _, t := range w.targets {
		if named(t.policy) {
			fmt.Fprintf(h, "|%s", a.arn)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// personalRE finds what makes a policy's answer depend on who asks: a
// policy variable, or a condition on a key that names the caller
// (aws:PrincipalArn apart: personalBy).
var personalRE = regexp.MustCompile(`(?i)\$\{|aws:username|aws:userid|aws:principal(tag|type|isawsservice)|aws:sourceidentity|aws:federatedprovider`)

// personalBy is how a policy's answer may depend on who asks: in any way
// (all), or only through its fixed conditions on aws:PrincipalArn.
type personalBy struct {
	all      bool
	arnConds []*iampolicy.Condition
}

// canonical is a policy's canonical document, worked out once.
func (w *reachWorld) canonical(p *iampolicy.Policy) string {
	doc, ok := w.canonicalDocs[p]
	if !ok {
		doc = string(iampolicy.Canonical(p))
		w.canonicalDocs[p] = doc
	}
	return doc
}

// personal says how a policy's answer may depend on who asks (beyond the
// policy being its own).
func (w *reachWorld) personal(p *iampolicy.Policy) personalBy {
	if v, ok := w.personalDocs[p]; ok {
		return v
	}
	doc := w.canonical(p)
	v := personalBy{all: personalRE.MatchString(doc)}
	if !v.all {
		for i := range p.Statements {
			for j := range p.Statements[i].Conditions {
				if c := &p.Statements[i].Conditions[j]; strings.EqualFold(c.Key, "aws:PrincipalArn") {
					v.arnConds = append(v.arnConds, c)
				}
			}
		}
		// The key named elsewhere than a condition (no such place is
		// known): decided alone.
		v.all = len(v.arnConds) == 0 && strings.Contains(strings.ToLower(doc), "aws:principalarn")
	}
	w.personalDocs[p] = v
	return v
}

// principalArnOf is the value of aws:PrincipalArn the walk's evaluate
// gives a's requests (nil: absent, as for a service or an anonymous
// caller); known is false when it cannot tell.
func principalArnOf(a *node) (values []string, known bool) {
	switch {
	case a.roleARN != "":
		return []string{a.roleARN}, true
	case strings.HasPrefix(a.arn, "arn:aws:iam::"):
		return []string{a.arn}, true
	case strings.HasPrefix(a.arn, "arn:"):
		return nil, false
	}
	return nil, true
}

// starts are the principals paths begin at: every user (signed in with
// MFA, the most it can be), a new member of every group, the Lambda
// service running every function, an administrator of every account
// outside the three that a trust or bucket policy names (and of one that
// none names), and anonymous callers.
func (w *reachWorld) starts() []*node {
	var out []*node
	admin := []iampolicy.NamedPolicy{{Name: "AdministratorAccess", Policy: iampolicy.MustParse(adminDoc, iampolicy.Identity)}}
	for _, acct := range w.inv.Accounts {
		groups := map[string]*Group{}
		for i := range acct.Groups {
			groups[acct.Groups[i].Name] = &acct.Groups[i]
		}
		for _, u := range acct.Users {
			ids := w.named(u.Policies, iampolicy.Identity)
			for _, g := range u.Groups {
				if gr := groups[g]; gr != nil {
					ids = append(ids, w.named(gr.Policies, iampolicy.Identity)...)
				}
			}
			label := fmt.Sprintf("user %s (%s)", u.Name, acct.Key)
			n := &node{label: label, start: label, startARN: u.ARN, arn: u.ARN, account: acct.ID, identity: ids,
				boundary: w.boundaryOf(u.Boundary), mfa: true, groups: u.Groups}
			if w.administrator(n) {
				n.adminOf = map[string]int{acct.ID: 0}
			}
			out = append(out, n)
		}
		for _, g := range acct.Groups {
			label := fmt.Sprintf("a new member of %s (%s)", g.Name, acct.Key)
			arn := fmt.Sprintf("arn:aws:iam::%s:user/xacct-verify-member-of-%s", acct.ID, g.Name)
			out = append(out, &node{label: label, start: label, arn: arn, account: acct.ID, identity: w.named(g.Policies, iampolicy.Identity),
				mfa: true, groups: []string{g.Name}})
		}
		for _, fn := range acct.Functions {
			role := w.role(fn.Role)
			if role == nil {
				continue
			}
			label := fmt.Sprintf("function %s (%s)", fn.Name, acct.Key)
			a := w.session(&node{label: label, start: label, startARN: fn.ARN, account: acct.ID}, role, "lambda")
			a.function = fn.Name
			a.path = nil
			a.label = fmt.Sprintf("function %s as role %s", fn.Name, role.Name)
			out = append(out, a)
		}
	}
	for _, id := range w.outsideAccounts() {
		label := "administrator of account " + id + " (outside the three)"
		if id == outsideAccount {
			label = "administrator of any other account"
		}
		out = append(out, &node{label: label, start: label, arn: "arn:aws:iam::" + id + ":user/admin", account: id, identity: admin, mfa: true})
	}
	// A user or role of an outside account that a policy names by ARN:
	// its own account's policies are unknown, so it may do anything there.
	for _, arn := range w.outsidePrincipals() {
		id := accountOfARN(arn)
		n := &node{arn: arn, account: id, identity: admin, mfa: true}
		if _, rest, ok := strings.Cut(arn, ":role/"); ok {
			name := rest[strings.LastIndexByte(rest, '/')+1:]
			n.arn = fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/verify", id, name)
			n.role, n.roleARN = name, arn
			n.label = fmt.Sprintf("role %s of account %s (outside the three)", name, id)
		} else {
			n.label = fmt.Sprintf("%s of account %s (outside the three)", arn[strings.Index(arn, ":user/")+1:], id)
		}
		n.start = n.label
		out = append(out, n)
	}
	out = append(out, w.delegationStarts()...)
	out = append(out, &node{label: "anonymous", start: "anonymous", arn: "*"})
	return out
}

// outsidePrincipals are the users and roles of accounts outside the three
// that a trust, bucket or function policy names by ARN (no wildcards).
func (w *reachWorld) outsidePrincipals() []string {
	set := map[string]bool{}
	scan := func(p *iampolicy.Policy) {
		if p == nil {
			return
		}
		for _, st := range p.Statements {
			if st.Principal == nil {
				continue
			}
			for _, v := range st.Principal.Entries["AWS"] {
				if strings.ContainsAny(v, "*?") || !(strings.Contains(v, ":user/") || strings.Contains(v, ":role/")) {
					continue
				}
				if _, ours := w.accounts[accountOfARN(v)]; !ours && accountOfARN(v) != "" {
					set[v] = true
				}
			}
		}
	}
	for _, a := range w.inv.Accounts {
		for _, r := range a.Roles {
			scan(w.policy(r.Trust, iampolicy.Trust))
		}
		for _, f := range a.Functions {
			if f.Policy != "" {
				scan(w.policy(f.Policy, iampolicy.Resource))
			}
		}
	}
	for _, doc := range w.inv.BucketPolicies {
		scan(w.policy(doc, iampolicy.Resource))
	}
	return slices.Sorted(maps.Keys(set))
}

// accountRE finds account IDs in a policy document.
var accountRE = regexp.MustCompile(`\b([0-9]{12})\b`)

const adminDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

// outsideAccounts are the accounts outside the three that any trust or
// bucket policy of the inventory names, plus one that none names.
func (w *reachWorld) outsideAccounts() []string {
	ids := map[string]bool{outsideAccount: true}
	scan := func(doc string) {
		for _, m := range accountRE.FindAllStringSubmatch(doc, -1) {
			if _, ours := w.accounts[m[1]]; !ours {
				ids[m[1]] = true
			}
		}
	}
	for _, a := range w.inv.Accounts {
		for _, r := range a.Roles {
			scan(r.Trust)
		}
		for _, f := range a.Functions {
			scan(f.Policy)
		}
	}
	for _, doc := range w.inv.BucketPolicies {
		scan(doc)
	}
	out := make([]string, 0, len(ids))
	for id := range ids {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// role finds a role of the inventory by ARN.
func (w *reachWorld) role(arn string) *roleRef {
	acctID := accountOfARN(arn)
	a := w.accounts[acctID]
	if a == nil {
		return nil
	}
	name := roleNameOf(arn)
	for i := range a.Roles {
		if a.Roles[i].Name == name {
			return &roleRef{Role: &a.Roles[i], account: acctID}
		}
	}
	return nil
}

type roleRef struct {
	*Role
	account string
}

func accountOfARN(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}

// session is the actor a holds after becoming role r.
func (w *reachWorld) session(a *node, r *roleRef, session string) *node {
	n := &node{
		label: fmt.Sprintf("role %s (%s)", r.Name, w.keyOf[r.account]), start: a.start, startARN: a.startARN,
		arn:     fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", r.account, r.Name, session),
		account: r.account, identity: w.named(r.Policies, iampolicy.Identity), boundary: w.boundaryOf(r.Boundary),
		mfa: a.mfa, role: r.Name, roleARN: r.ARN, path: slices.Clone(a.path), escalated: a.escalated, adminOf: maps.Clone(a.adminOf),
	}
	// Full access in the role's account counts as an administrator's only
	// from within that account (a user taking its account's admin role),
	// or on the organization's path in: its role there, taken from an
	// account outside the three that the organization's role trusts in
	// each of them. Anyone else who becomes an administrator of an account
	// — a user of another account through a role made by hand — is a
	// finding.
	_, inside := w.accounts[a.account]
	orgPath := !inside && r.Name == w.orgRoleName(r.account) && w.orgAccounts()[a.account]
	if !a.escalated && (orgPath || a.account == r.account) && !hasKey(n.adminOf, r.account) && w.administrator(n) {
		if n.adminOf == nil {
			n.adminOf = map[string]int{}
		}
		n.adminOf[r.account] = len(a.path) + 1
	}
	return n
}

// orgAccounts are the accounts outside the three that each account's
// organization role trusts, as AWS Organizations makes it (one management
// account trusted by every member's role); an account only one of them
// trusts is not the organization's.
func (w *reachWorld) orgAccounts() map[string]bool {
	if w.org != nil {
		return w.org
	}
	var common map[string]bool
	for _, acct := range w.inv.Accounts {
		ids := map[string]bool{}
		for _, r := range acct.Roles {
			if r.Name != w.orgRoleName(acct.ID) {
				continue
			}
			for _, m := range accountRE.FindAllStringSubmatch(r.Trust, -1) {
				if _, ours := w.accounts[m[1]]; !ours {
					ids[m[1]] = true
				}
			}
		}
		if common == nil {
			common = ids
			continue
		}
		for id := range common {
			if !ids[id] {
				delete(common, id)
			}
		}
	}
	if common == nil {
		common = map[string]bool{}
	}
	w.org = common
	return w.org
}

// orgRoleName is the role the organization's management account reaches
// an account through: the config's role_arn, or AWS Organizations'
// default.
func (w *reachWorld) orgRoleName(account string) string {
	for _, a := range w.cfg.Accounts.All() {
		if a.ID == account && a.RoleName() != "" {
			return a.RoleName()
		}
	}
	return "OrganizationAccountAccessRole"
}

// maxDepth bounds a path. AWS bounds role chaining by session length (an
// hour), not by depth, and the walk visits each principal once per start,
// so this only stops a pathological inventory from running long.
const maxDepth = 64

// walk returns the actor and every principal it can become, each with its
// path, breadth first, each principal once.
func (w *reachWorld) walk(start *node) []*node {
	out := []*node{start}
	visited := map[string]bool{start.arn + "|" + strings.Join(start.groups, ",") + fmt.Sprint(start.escalated) + start.variant: true}
	queue := []*node{start}
	for len(queue) > 0 {
		a := queue[0]
		queue = queue[1:]
		if len(a.path) >= maxDepth {
			continue
		}
		for _, next := range w.edges(a) {
			k := next.arn + "|" + strings.Join(next.groups, ",") + fmt.Sprint(next.escalated) + next.variant
			if visited[k] {
				continue
			}
			visited[k] = true
			out = append(out, next)
			queue = append(queue, next)
		}
	}
	return out
}

// may reports whether the principal's identity policies could allow the
// action on anything: IAM actions have no resource policy, so a principal
// none of whose policies covers one cannot take that edge.
func (a *node) may(action string) bool { return iampolicy.MayAllow(a.identity, action) }

// edgeFrom is the principal an edge starts at, with what every kind of
// edge needs to know about it.
type edgeFrom struct {
	w *reachWorld
	a *node
	// admin: an administrator of its account (by its start, its role, or
	// by writing its own policies) gains nothing there by escalating: only
	// its paths into other accounts are walked. selfAdmin: it may write
	// its own permissions (edge_selfgrant.go), so every other escalation
	// in its account is the administrator's to take.
	admin, selfAdmin bool
	// assume caches whether a's identity may allow sts:AssumeRole: 0 not
	// yet known, 1 it may, 2 it may not (mayAssume).
	assume int8
}

// hop records the step from e.a to next.
func (e *edgeFrom) hop(next *node, kind, to, action string, res iampolicy.Result) *node {
	next.path = append(slices.Clone(e.a.path), Hop{Kind: kind, To: to, Label: next.label, Action: action, Statements: statements(res)})
	return next
}

// accountEdge is one kind of edge into the principals of one account: the
// principals e.a becomes through it. Each kind lives in its own file
// (edge_<kind>.go) with its test beside it.
type accountEdge func(e *edgeFrom, acct *Account) []*node

// accountEdges are the kinds of edge, in the order the walk tries them
// (the order decides which of two equal paths is reported).
var accountEdges = []accountEdge{
	roleEdges,     // edge_assume.go, edge_trust.go, edge_passrole.go
	functionEdges, // edge_function.go
	keyEdges,      // edge_key.go
	boundaryEdges, // edge_boundary.go
	joinEdges,     // edge_join.go
	versionEdges,  // edge_version.go
}

// edges are the principals a can become in one hop.
func (w *reachWorld) edges(a *node) []*node {
	if a.arn == "*" {
		return nil
	}
	e := &edgeFrom{w: w, a: a}
	if a.delegation != nil {
		return delegationEdges(e)
	}
	e.admin = hasKey(a.adminOf, a.account) || w.administrator(a)
	var out []*node
	if !e.admin {
		out = append(out, selfGrantEdges(e)...)
	}
	for i := range w.inv.Accounts {
		acct := &w.inv.Accounts[i]
		if e.selfAdmin && acct.ID == a.account {
			continue
		}
		if e.admin && acct.ID == a.account {
			out = append(out, adminTrustEdges(e, acct)...)
			continue
		}
		for _, kind := range accountEdges {
			out = append(out, kind(e, acct)...)
		}
	}
	return out
}

// adminPolicy is AdministratorAccess, parsed once.
var adminPolicy = iampolicy.MustParse(adminDoc, iampolicy.Identity)

// intendedFor reports whether the session the request is made with is
// meant to have this access, whoever reached it: a group's role with the
// group's actions, the processor's role reading objects, the writer role
// (reached from the processor's role) writing under the prefix.
func (w *reachWorld) intendedFor(a *node, x reached) bool {
	switch {
	case x.bucket == w.cfg.Production.Bucket && a.account == w.cfg.Accounts.Production.ID:
		for _, g := range w.cfg.Groups {
			if a.role == g.RoleName {
				return slices.Contains(g.Actions, x.action)
			}
		}
		if a.role == stack.ProcessorRoleName(w.cfg) {
			return x.action == "s3:GetObject" || x.action == "s3:GetObjectVersion"
		}
	case x.bucket == w.cfg.Reporting.Bucket && a.account == w.cfg.Accounts.Reporting.ID && a.role == w.cfg.Reporting.WriterRoleName:
		n := len(a.path)
		return n > 0 && a.path[n-1].Kind == "assume" && x.action == "s3:PutObject" && strings.HasPrefix(x.key, w.cfg.Reporting.Prefix)
	case x.bucket == w.cfg.Production.Processor.FailureBucket && a.account == w.cfg.Accounts.Production.ID:
		switch a.role {
		case stack.ProcessorRoleName(w.cfg):
			// Lambda keeps the function's failed events as its role.
			return x.action == "s3:ListBucket" || x.action == "s3:PutObject" && strings.HasPrefix(x.key, "aws/lambda/async/"+w.cfg.Production.Processor.FunctionName+"/")
		case w.cfg.Production.BatchRoleName:
			// A backfill job reads its manifest.
			return (x.action == "s3:GetObject" || x.action == "s3:GetObjectVersion") && strings.HasPrefix(x.key, stack.ManifestPrefix)
		}
	case x.bucket == w.cfg.Reporting.Bucket && a.account == w.cfg.Accounts.Production.ID && a.role == w.cfg.Production.BatchRoleName:
		// The backfill job (S3 Batch Operations) writes its reports.
		return x.action == "s3:PutObject" && strings.HasPrefix(x.key, w.cfg.Reporting.BatchReportsPrefix)
	}
	return false
}

// intended reports whether the config means this access: what the
// session is meant to have (intendedFor), reached the way the config means
// — a member of the group (a user in it, or a new member) through the
// group's role, the processor run by Lambda, the writer through the
// processor — without escalating.
func (w *reachWorld) intended(a *node, x reached) bool {
	if a.escalated || !w.intendedFor(a, x) {
		return false
	}
	fn := w.cfg.Production.Processor.FunctionName
	switch a.role {
	case stack.ProcessorRoleName(w.cfg):
		return a.function == fn && len(a.path) == 0
	case w.cfg.Reporting.WriterRoleName:
		return len(a.path) == 1 && strings.HasPrefix(a.start, "function "+fn+" ")
	}
	for _, g := range w.cfg.Groups {
		if a.role == g.RoleName {
			return len(a.path) == 1 && a.path[0].Kind == "assume" && w.memberOf(a, w.cfg.Accounts.Development.ID, g.GroupName) && listedMember(a, g)
		}
	}
	return false
}

// memberOf reports whether the path starts at a Development user in the
// group (or a new member of it).
func (w *reachWorld) memberOf(a *node, devID, group string) bool {
	if a.startARN == "" {
		return a.start == fmt.Sprintf("a new member of %s (%s)", group, w.keyOf[devID])
	}
	if accountOfARN(a.startARN) != devID {
		return false
	}
	for _, acct := range w.inv.Accounts {
		for _, u := range acct.Users {
			if u.ARN == a.startARN {
				return slices.Contains(u.Groups, group)
			}
		}
	}
	return false
}

// listedMember reports whether the path's start is a member the config
// means: any member when the config does not list the group's members,
// else one it lists (a new member stands for those).
func listedMember(a *node, g config.Group) bool {
	if !g.ExclusiveMembers() || a.startARN == "" {
		return true
	}
	_, name, _ := strings.Cut(a.startARN, ":user/")
	name = name[strings.LastIndexByte(name, '/')+1:]
	return slices.Contains(g.Members, name)
}

// administrator reports whether the principal holds full access in its
// own account: its identity alone allows writing IAM policies and bucket
// policies there.
func (w *reachWorld) administrator(a *node) bool {
	probe := &node{arn: a.arn, account: a.account, identity: a.identity, boundary: a.boundary, mfa: a.mfa}
	for _, req := range [][2]string{
		{"iam:PutRolePolicy", fmt.Sprintf("arn:aws:iam::%s:role/xacct-admin-probe", a.account)},
		{"s3:PutBucketPolicy", "arn:aws:s3:::xacct-admin-probe"},
	} {
		// No resource policy is in play: only an identity policy allows.
		if !a.may(req[0]) || w.decide(probe, req[0], req[1], a.account, nil, nil).Decision != iampolicy.Allowed {
			return false
		}
	}
	return true
}

// acknowledged reports whether the config's verify.allow lists the path's
// start or the session it reaches with.
func (w *reachWorld) acknowledged(a *node) bool {
	for _, p := range w.cfg.Verify.Allow {
		for _, arn := range []string{a.startARN, a.arn, roleARNOfSession(a)} {
			if arn != "" && matchARN(p.Principal, arn) {
				return true
			}
		}
	}
	return false
}

func roleARNOfSession(a *node) string { return a.roleARN }

// matchARN matches an ARN against a pattern with * and ? wildcards.
func matchARN(pattern, arn string) bool {
	ok, err := path.Match(strings.ReplaceAll(pattern, "/", "\x00"), strings.ReplaceAll(arn, "/", "\x00"))
	return err == nil && ok
}

func hasKey(m map[string]int, k string) bool {
	_, ok := m[k]
	return ok
}
