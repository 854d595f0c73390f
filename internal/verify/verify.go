// Package verify proves the access matrix: the access the config means
// (intent), the access the policies grant (effective, computed with the
// policy engine by following each chain: a Development user, its group's
// policy, the role's trust, the role's policy, the bucket policy), and,
// live, the access real calls get.
package verify

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/xacct/xacct/internal/config"
	"github.com/xacct/xacct/internal/iampolicy"
	"github.com/xacct/xacct/internal/stack"
)

// Actions every principal is checked for.
var Actions = []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket", "s3:PutBucketPolicy", "sts:AssumeRole"}

// Check is one cell of the matrix.
type Check struct {
	Principal string `json:"principal"` // who, in words: "Developers (via acme-data-developers)"
	Action    string `json:"action"`
	Resource  string `json:"resource"`
	Intended  bool   `json:"intended"`
	// Effective is what the policies grant; Reasons the statements that
	// decided it (for the last step of the chain that decided).
	Effective bool     `json:"effective"`
	Decision  string   `json:"decision"`
	Reasons   []string `json:"reasons,omitempty"`
	TLS       bool     `json:"tls"`
}

// OK reports whether the effective access is the intended one.
func (c Check) OK() bool { return c.Intended == c.Effective }

// Matrix is every check, in a fixed order.
type Matrix struct {
	Checks []Check `json:"checks"`
	// Evaluated counts the requests decided beyond the checks shown: every
	// S3 action xacct knows for every principal and bucket; those that
	// differ from the intent are among the checks.
	Evaluated int `json:"evaluated"`
	// Reach is who reaches the data among every principal (nil when not
	// computed).
	Reach *Reach `json:"-"`
	// PublicAccess is what Block Public Access does for the stack's buckets
	// (bpa.go; nil when not read).
	PublicAccess *PublicAccessReport `json:"-"`
}

// Mismatches counts the checks whose effective access is not the intent,
// and the findings of the reach analysis.
func (m *Matrix) Mismatches() int {
	n := 0
	for _, c := range m.Checks {
		if !c.OK() {
			n++
		}
	}
	if m.Reach != nil {
		n += len(m.Reach.Findings)
	}
	if m.PublicAccess != nil {
		n += len(m.PublicAccess.Findings)
	}
	return n
}

// Policies are the deployed (or rendered) documents verify reads, by
// resource address.
type Policies map[string]json.RawMessage

// FromValues extracts the policy documents of resource values, and the
// group memberships (addr#member), which say who holds a group's policies.
func FromValues(values map[string]json.RawMessage) Policies {
	out := Policies{}
	for addr, v := range values {
		if strings.Contains(addr, "/iam_group_membership/") {
			if len(v) > 0 && string(v) != "null" {
				out[addr+"#member"] = v
			}
			continue
		}
		var f map[string]json.RawMessage
		if json.Unmarshal(v, &f) != nil {
			continue
		}
		for _, field := range []string{"policy", "trust"} {
			if doc, ok := f[field]; ok {
				out[addr+"#"+field] = doc
			}
		}
	}
	return out
}

// world is what a chain is evaluated against.
type world struct {
	cfg *config.Config
	pol Policies
}

func (w *world) doc(addr, field string, kind iampolicy.Kind) *iampolicy.NamedPolicy {
	raw, ok := w.pol[addr+"#"+field]
	if !ok {
		return nil
	}
	p, err := iampolicy.Parse(raw, kind)
	if err != nil {
		return nil
	}
	return &iampolicy.NamedPolicy{Name: addr, Policy: p}
}

func roleAddr(account, role string) string { return account + "/iam_role/" + role }

// inlinePolicies are the inline policies of a role or group (the
// documents under account/kind/parent/), sorted by address.
func (w *world) inlinePolicies(account, kind, parent string) []iampolicy.NamedPolicy {
	prefix := account + "/" + kind + "/" + parent + "/"
	var addrs []string
	for k := range w.pol {
		if strings.HasPrefix(k, prefix) && strings.HasSuffix(k, "#policy") {
			addrs = append(addrs, strings.TrimSuffix(k, "#policy"))
		}
	}
	sort.Strings(addrs)
	var out []iampolicy.NamedPolicy
	for _, a := range addrs {
		if np := w.doc(a, "policy", iampolicy.Identity); np != nil {
			out = append(out, *np)
		}
	}
	return out
}

func (w *world) rolePolicies(account, role string) []iampolicy.NamedPolicy {
	return w.inlinePolicies(account, "iam_role_policy", role)
}

func (w *world) groupPolicies(group string) []iampolicy.NamedPolicy {
	return w.inlinePolicies("development", "iam_group_policy", group)
}

func reasons(r iampolicy.Result) []string {
	var out []string
	for _, x := range r.Reasons {
		out = append(out, fmt.Sprintf("%s statement %s (%s)", x.Policy, x.Statement, x.Effect))
	}
	if r.Decision == iampolicy.ImplicitDeny && r.Detail != "" {
		out = append(out, r.Detail)
	}
	return out
}

// actor is a principal at the end of its chain: how it got its session (if
// it had to assume a role) and what it holds.
type actor struct {
	label    string
	arn      string
	account  string
	identity []iampolicy.NamedPolicy
	assumed  *iampolicy.Result // the AssumeRole that gave it its session; nil: none needed
}

// request decides one request for an actor.
func (w *world) request(a actor, action, resourceARN, resourceAccount string, rp *iampolicy.NamedPolicy, tls bool) iampolicy.Result {
	if a.assumed != nil && a.assumed.Decision != iampolicy.Allowed {
		return *a.assumed
	}
	res, err := iampolicy.Evaluate(&iampolicy.Request{
		Principal: a.arn, Action: action, Resource: resourceARN, ResourceAccount: resourceAccount,
		Context:          map[string][]string{"aws:SecureTransport": {fmt.Sprint(tls)}},
		IdentityPolicies: a.identity, ResourcePolicy: rp,
	})
	if err != nil {
		return iampolicy.Result{Decision: iampolicy.ImplicitDeny, Detail: err.Error()}
	}
	return res
}

// assume decides sts:AssumeRole of role (account/name) by a principal,
// signed in with MFA or not.
func (w *world) assume(principalARN string, identity []iampolicy.NamedPolicy, account, roleName string, mfa bool) iampolicy.Result {
	roleARN := fmt.Sprintf("arn:aws:iam::%s:role/%s", w.id(account), roleName)
	trust := w.doc(roleAddr(account, roleName), "trust", iampolicy.Trust)
	if trust == nil {
		return iampolicy.Result{Decision: iampolicy.ImplicitDeny, Detail: "role " + roleARN + " is not deployed"}
	}
	ctx := map[string][]string{"aws:SecureTransport": {"true"}, "aws:MultiFactorAuthPresent": {fmt.Sprint(mfa)}}
	// A user names the session after himself, as the group roles' trust
	// requires (sts:RoleSessionName = ${aws:username}).
	if _, user, ok := strings.Cut(principalARN, ":user/"); ok {
		ctx["sts:RoleSessionName"] = []string{user[strings.LastIndex(user, "/")+1:]}
	}
	res, err := iampolicy.Evaluate(&iampolicy.Request{
		Principal: principalARN, Action: "sts:AssumeRole", Resource: roleARN, IdentityPolicies: identity, ResourcePolicy: trust,
		Context: ctx,
	})
	if err != nil {
		return iampolicy.Result{Decision: iampolicy.ImplicitDeny, Detail: err.Error()}
	}
	return res
}

func (w *world) id(account string) string {
	switch account {
	case "development":
		return w.cfg.Accounts.Development.ID
	case "production":
		return w.cfg.Accounts.Production.ID
	case "reporting":
		return w.cfg.Accounts.Reporting.ID
	}
	return account
}

// outsideAccount stands for every account outside the three.
const outsideAccount = "999988887777"

// Compute builds the matrix: intent from the config, effective from the
// policies.
func Compute(cfg *config.Config, pol Policies) *Matrix {
	w := &world{cfg: cfg, pol: pol}
	dev, prod, rep := cfg.Accounts.Development.ID, cfg.Accounts.Production.ID, cfg.Accounts.Reporting.ID
	prodBucket, repBucket := cfg.Production.Bucket, cfg.Reporting.Bucket
	prodBP := w.doc("production/s3_bucket_policy/"+prodBucket, "policy", iampolicy.Resource)
	repBP := w.doc("reporting/s3_bucket_policy/"+repBucket, "policy", iampolicy.Resource)
	m := &Matrix{}
	add := func(a actor, action, resourceARN, resourceAccount string, rp *iampolicy.NamedPolicy, tls, intended bool) {
		res := w.request(a, action, resourceARN, resourceAccount, rp, tls)
		m.Checks = append(m.Checks, Check{Principal: a.label, Action: action, Resource: resourceARN, Intended: intended,
			Effective: res.Decision == iampolicy.Allowed, Decision: string(res.Decision), Reasons: reasons(res), TLS: tls})
	}
	// s3 checks one actor against one bucket: object actions on objects
	// (under prefix), bucket actions on the bucket. The sample of Actions
	// is always shown, and so is every action of shown (a group's own,
	// on its session); every other S3 action is evaluated too and shown
	// only where it differs from the intent.
	var shown map[string]bool
	s3 := func(a actor, bucket, prefix, account string, bp *iampolicy.NamedPolicy, allowed map[string]bool) {
		arn := func(act string) string {
			if lvl, _ := config.S3ActionLevel(act); lvl == config.ActionBucket {
				return "arn:aws:s3:::" + bucket
			}
			return "arn:aws:s3:::" + bucket + "/" + prefix + "*"
		}
		for _, act := range Actions {
			if act != "sts:AssumeRole" {
				add(a, act, arn(act), account, bp, true, allowed[act])
			}
		}
		for _, act := range config.S3BucketOrObjectActions() {
			if slices.Contains(Actions, act) {
				continue
			}
			m.Evaluated++
			res := w.request(a, act, arn(act), account, bp, true)
			if effective := res.Decision == iampolicy.Allowed; effective != allowed[act] || shown[act] {
				m.Checks = append(m.Checks, Check{Principal: a.label, Action: act, Resource: arn(act), Intended: allowed[act],
					Effective: effective, Decision: string(res.Decision), Reasons: reasons(res), TLS: true})
			}
		}
	}
	roles := map[string]string{} // role name -> account, for AssumeRole rows
	for _, g := range cfg.Groups {
		roles[g.RoleName] = "production"
	}
	roles[cfg.Reporting.WriterRoleName] = "reporting"
	roleNames := make([]string, 0, len(roles))
	for r := range roles {
		roleNames = append(roleNames, r)
	}
	sort.Strings(roleNames)

	// Development users, one per group, through their role; where the
	// group requires MFA, signed in with it (the path) and without it
	// (which must not reach the role).
	for _, g := range cfg.Groups {
		userARN := fmt.Sprintf("arn:aws:iam::%s:user/verify-%s", dev, g.Key)
		ids := w.groupPolicies(g.GroupName)
		label := g.GroupName + " member"
		if g.RequireMFA {
			noMFA := g.GroupName + " member without MFA"
			for _, r := range roleNames {
				res := w.assume(userARN, ids, roles[r], r, false)
				m.Checks = append(m.Checks, Check{Principal: noMFA, Action: "sts:AssumeRole", Resource: fmt.Sprintf("arn:aws:iam::%s:role/%s", w.id(roles[r]), r),
					Effective: res.Decision == iampolicy.Allowed, Decision: string(res.Decision), Reasons: reasons(res), TLS: true})
			}
			label = g.GroupName + " member with MFA"
		}
		for _, r := range roleNames {
			res := w.assume(userARN, ids, roles[r], r, true)
			m.Checks = append(m.Checks, Check{Principal: label, Action: "sts:AssumeRole", Resource: fmt.Sprintf("arn:aws:iam::%s:role/%s", w.id(roles[r]), r),
				Intended: r == g.RoleName, Effective: res.Decision == iampolicy.Allowed, Decision: string(res.Decision), Reasons: reasons(res), TLS: true})
		}
		ar := w.assume(userARN, ids, "production", g.RoleName, true)
		sess := actor{label: label + " via " + g.RoleName, arn: fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/verify", prod, g.RoleName),
			account: prod, identity: w.rolePolicies("production", g.RoleName), assumed: &ar}
		allowed := map[string]bool{}
		for _, a := range g.Actions {
			allowed[a] = true
		}
		shown = allowed
		s3(sess, prodBucket, "", prod, prodBP, allowed)
		shown = nil
		add(sess, "s3:PutObject", "arn:aws:s3:::"+prodBucket+"/*", prod, prodBP, false, false) // never without TLS
		s3(sess, repBucket, "", rep, repBP, nil)
	}
	// A Development user in no group.
	out := actor{label: "Development user in no group", arn: fmt.Sprintf("arn:aws:iam::%s:user/verify-nobody", dev), account: dev}
	for _, r := range roleNames {
		res := w.assume(out.arn, nil, roles[r], r, true)
		m.Checks = append(m.Checks, Check{Principal: out.label, Action: "sts:AssumeRole", Resource: fmt.Sprintf("arn:aws:iam::%s:role/%s", w.id(roles[r]), r),
			Effective: res.Decision == iampolicy.Allowed, Decision: string(res.Decision), Reasons: reasons(res), TLS: true})
	}
	// The processor and the writer role it assumes.
	proc := stack.ProcessorRoleName(cfg)
	procActor := actor{label: "metadata processor (" + proc + ")", arn: fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", prod, proc, cfg.Production.Processor.FunctionName),
		account: prod, identity: w.rolePolicies("production", proc)}
	// DESIGN: the processor reads objects and their versions, nothing else.
	s3(procActor, prodBucket, "", prod, prodBP, map[string]bool{"s3:GetObject": true, "s3:GetObjectVersion": true})
	s3(procActor, repBucket, "", rep, repBP, nil)
	wr := w.assume(procActor.arn, procActor.identity, "reporting", cfg.Reporting.WriterRoleName, false)
	m.Checks = append(m.Checks, Check{Principal: procActor.label, Action: "sts:AssumeRole", Resource: fmt.Sprintf("arn:aws:iam::%s:role/%s", rep, cfg.Reporting.WriterRoleName),
		Intended: true, Effective: wr.Decision == iampolicy.Allowed, Decision: string(wr.Decision), Reasons: reasons(wr), TLS: true})
	writer := actor{label: "metadata writer (" + cfg.Reporting.WriterRoleName + ") via the processor", arn: fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/metadata-processor", rep, cfg.Reporting.WriterRoleName),
		account: rep, identity: w.rolePolicies("reporting", cfg.Reporting.WriterRoleName), assumed: &wr}
	s3(writer, repBucket, cfg.Reporting.Prefix, rep, repBP, map[string]bool{"s3:PutObject": true})
	add(writer, "s3:PutObject", "arn:aws:s3:::"+repBucket+"/outside-the-prefix", rep, repBP, true, false)
	s3(writer, prodBucket, "", prod, prodBP, nil)
	// The processor keeps the events it failed in its failure bucket.
	failBucket := cfg.Production.Processor.FailureBucket
	failBP := w.doc("production/s3_bucket_policy/"+failBucket, "policy", iampolicy.Resource)
	add(procActor, "s3:PutObject", "arn:aws:s3:::"+failBucket+"/aws/lambda/async/"+cfg.Production.Processor.FunctionName+"/failed-event", prod, failBP, true, true)
	add(procActor, "s3:ListBucket", "arn:aws:s3:::"+failBucket, prod, failBP, true, true)
	add(procActor, "s3:GetObject", "arn:aws:s3:::"+failBucket+"/aws/lambda/async/"+cfg.Production.Processor.FunctionName+"/failed-event", prod, failBP, true, false)
	// The backfill job's role (assumed by S3 Batch Operations) writes job
	// reports in Reporting and nothing else there or in Production.
	batchRole := cfg.Production.BatchRoleName
	batch := actor{label: "backfill job (" + batchRole + ")", arn: fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/s3-batch-operations", prod, batchRole),
		account: prod, identity: w.rolePolicies("production", batchRole)}
	s3(batch, repBucket, cfg.Reporting.BatchReportsPrefix, rep, repBP, map[string]bool{"s3:PutObject": true})
	add(batch, "s3:PutObject", "arn:aws:s3:::"+repBucket+"/"+cfg.Reporting.Prefix+"forged-record.json", rep, repBP, true, false)
	s3(batch, prodBucket, "", prod, prodBP, nil)
	// Nobody outside the three accounts, and nobody anonymous.
	adminPolicy := iampolicy.MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, iampolicy.Identity)
	ext := actor{label: "administrator of another account", arn: "arn:aws:iam::" + outsideAccount + ":user/admin", account: outsideAccount,
		identity: []iampolicy.NamedPolicy{{Name: "AdministratorAccess", Policy: adminPolicy}}}
	for _, r := range roleNames {
		res := w.assume(ext.arn, ext.identity, roles[r], r, true)
		m.Checks = append(m.Checks, Check{Principal: ext.label, Action: "sts:AssumeRole", Resource: fmt.Sprintf("arn:aws:iam::%s:role/%s", w.id(roles[r]), r),
			Effective: res.Decision == iampolicy.Allowed, Decision: string(res.Decision), Reasons: reasons(res), TLS: true})
	}
	s3(ext, prodBucket, "", prod, prodBP, nil)
	s3(ext, repBucket, "", rep, repBP, nil)
	// The administrators of the three accounts reach no other account's
	// bucket (an account-wide grant in a bucket policy would let them):
	// evaluated for every S3 action, shown only where they differ.
	quiet := func(a actor, bucket, account string, bp *iampolicy.NamedPolicy) {
		for _, act := range config.S3BucketOrObjectActions() {
			arn := "arn:aws:s3:::" + bucket + "/*"
			if lvl, _ := config.S3ActionLevel(act); lvl == config.ActionBucket {
				arn = "arn:aws:s3:::" + bucket
			}
			m.Evaluated++
			if res := w.request(a, act, arn, account, bp, true); res.Decision == iampolicy.Allowed {
				m.Checks = append(m.Checks, Check{Principal: a.label, Action: act, Resource: arn, Effective: true,
					Decision: string(res.Decision), Reasons: reasons(res), TLS: true})
			}
		}
	}
	admin := func(account, id string) actor {
		return actor{label: "administrator of the " + account + " account", arn: "arn:aws:iam::" + id + ":user/admin", account: id,
			identity: []iampolicy.NamedPolicy{{Name: "AdministratorAccess", Policy: adminPolicy}}}
	}
	quiet(admin("Development", dev), prodBucket, prod, prodBP)
	quiet(admin("Development", dev), repBucket, rep, repBP)
	quiet(admin("Reporting", rep), prodBucket, prod, prodBP)
	quiet(admin("Production", prod), repBucket, rep, repBP)
	anon := actor{label: "anonymous", arn: "*"}
	s3(anon, prodBucket, "", prod, prodBP, nil)
	s3(anon, repBucket, "", rep, repBP, nil)
	if cfg.Reporting.Logs.Enabled {
		w.logChecks(m, s3, quiet, admin, ext, anon)
	}
	return m
}

// logChecks checks the log bucket: CloudTrail delivers there as the
// stack's trails only, each under its own account's prefix (never as
// another account's trail: a confused deputy), and nobody else of the
// matrix reads or writes it.
func (w *world) logChecks(m *Matrix, s3 func(actor, string, string, string, *iampolicy.NamedPolicy, map[string]bool),
	quiet func(actor, string, string, *iampolicy.NamedPolicy), admin func(string, string) actor, others ...actor) {
	cfg := w.cfg
	dev, prod, rep := cfg.Accounts.Development.ID, cfg.Accounts.Production.ID, cfg.Accounts.Reporting.ID
	bucket := cfg.Reporting.Logs.Bucket
	bp := w.doc("reporting/s3_bucket_policy/"+bucket, "policy", iampolicy.Resource)
	trail := func(label, action, key, sourceARN, sourceAccount string, intended bool) {
		resource := "arn:aws:s3:::" + bucket
		if key != "" {
			resource += "/" + key
		}
		req := &iampolicy.Request{Principal: "cloudtrail.amazonaws.com", Action: action, Resource: resource, ResourceAccount: rep, ResourcePolicy: bp,
			Context: map[string][]string{"aws:SecureTransport": {"true"}, "aws:SourceArn": {sourceARN}, "aws:SourceAccount": {sourceAccount},
				"s3:x-amz-acl": {"bucket-owner-full-control"}}}
		res, err := iampolicy.Evaluate(req)
		if err != nil {
			res = iampolicy.Result{Decision: iampolicy.ImplicitDeny, Detail: err.Error()}
		}
		m.Checks = append(m.Checks, Check{Principal: label, Action: action, Resource: resource, Intended: intended,
			Effective: res.Decision == iampolicy.Allowed, Decision: string(res.Decision), Reasons: reasons(res), TLS: true})
	}
	logKey := func(account string) string {
		return "AWSLogs/" + account + "/CloudTrail/" + cfg.Region + "/2026/01/01/" + account + "_CloudTrail_" + cfg.Region + "_20260101T0000Z_x.json.gz"
	}
	for _, a := range cfg.Accounts.All() {
		label := "CloudTrail as trail " + cfg.Reporting.Logs.TrailName + " (" + a.Name + ")"
		arn := stack.TrailARN(cfg, a.ID)
		trail(label, "s3:GetBucketAcl", "", arn, a.ID, true)
		trail(label, "s3:PutObject", logKey(a.ID), arn, a.ID, true)
	}
	trail("CloudTrail as trail "+cfg.Reporting.Logs.TrailName+" (production)", "s3:PutObject", logKey(dev), stack.TrailARN(cfg, prod), prod, false)
	other := "arn:aws:cloudtrail:" + cfg.Region + ":" + outsideAccount + ":trail/" + cfg.Reporting.Logs.TrailName
	trail("CloudTrail as a trail of another account", "s3:GetBucketAcl", "", other, outsideAccount, false)
	trail("CloudTrail as a trail of another account", "s3:PutObject", logKey(outsideAccount), other, outsideAccount, false)
	trail("CloudTrail as a trail of another account", "s3:PutObject", logKey(rep), other, outsideAccount, false)
	for _, a := range others {
		s3(a, bucket, "", rep, bp, nil)
	}
	quiet(admin("Development", dev), bucket, rep, bp)
	quiet(admin("Production", prod), bucket, rep, bp)
}
