// Package stack turns a config into the desired resources: every name
// derived from the config, every policy rendered from policies/, every
// taggable resource tagged, and the dependencies AWS forces between them.
package stack

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"github.com/xacct/xacct/internal/config"
	"github.com/xacct/xacct/internal/resource"
	"github.com/xacct/xacct/policies"
)

// Policy names of the inline policies xacct writes.
const (
	GroupPolicyName     = "assume-production-role"
	RolePolicyName      = "s3-access"
	ProcessorPolicyName = "metadata-processor"
	WriterPolicyName    = "write-metadata"
	BatchPolicyName     = "backfill-job"
)

// ManifestPrefix is where xacct reconcile puts the manifests of backfill
// jobs, in the processor's failure bucket (failed events are under aws/).
const ManifestPrefix = "xacct-manifests/"

// ProcessorRoleName is the execution role of the metadata processor.
func ProcessorRoleName(c *config.Config) string { return c.Production.Processor.FunctionName }

// PermissionID is the statement of the processor's policy that lets S3
// invoke it.
const PermissionID = "AllowProductionBucket"

// Build returns the desired resources of c. codeSha256 is the processor
// package's CodeSha256 (see lambda/artifact).
func Build(c *config.Config, codeSha256 string) ([]resource.Resource, error) {
	if codeSha256 == "" {
		return nil, fmt.Errorf("the metadata processor's package is needed to plan")
	}
	b := &builder{cfg: c, codeSha256: codeSha256}
	b.build()
	if b.err != nil {
		return nil, b.err
	}
	return b.out, nil
}

// StateBucket returns the S3 state backend's bucket (state.s3 of c),
// hardened as the stack's buckets are and tagged xacct:role=state, and its
// TLS-only policy.
func StateBucket(c *config.Config) ([]resource.Resource, error) {
	s := c.State.S3
	if s.Bucket == "" {
		return nil, fmt.Errorf("the config has no state.s3 block")
	}
	b := &builder{cfg: c, extraTags: map[string]string{RoleTag: "state"}}
	b.bucket(s.Account, s.Bucket, bucketOptions{})
	if b.err != nil {
		return nil, b.err
	}
	return b.out, nil
}

type builder struct {
	cfg        *config.Config
	codeSha256 string
	// extraTags are added to Tags(cfg) on everything built.
	extraTags map[string]string
	out       []resource.Resource
	err       error
}

func (b *builder) add(account, kind, name string, v resource.Value, deps ...resource.Address) resource.Address {
	a := resource.Address{Account: account, Kind: kind, Name: name}
	b.out = append(b.out, resource.Resource{Addr: a, Desired: v, DependsOn: deps})
	return a
}

func (b *builder) render(tmpl string, data any) []byte {
	p, err := policies.Render(tmpl, data)
	if err != nil && b.err == nil {
		b.err = err
	}
	if err != nil {
		return []byte("{}")
	}
	return resource.PolicyValue(p)
}

func (b *builder) tags() map[string]string {
	t := Tags(b.cfg)
	for k, v := range b.extraTags {
		t[k] = v
	}
	return t
}

// Tags are the tags every taggable resource of the stack carries: the
// config's, plus xacct:stack and managed-by.
func Tags(c *config.Config) map[string]string {
	t := map[string]string{resource.TagStack: c.Stack, resource.TagManagedBy: "xacct"}
	for k, v := range c.Tags {
		t[k] = v
	}
	return t
}

func roleARN(account, name string) string {
	return fmt.Sprintf("arn:aws:iam::%s:role/%s", account, name)
}

func (b *builder) role(account, name, description string, trust []byte) resource.Address {
	return b.add(account, "iam_role", name, mustMarshal(resource.RoleValue{
		Name: name, Path: "/", Description: description, MaxSessionDuration: 3600, Trust: trust, Tags: b.tags(),
	}))
}

func (b *builder) rolePolicy(account, role, name string, doc []byte, dep resource.Address) resource.Address {
	return b.add(account, "iam_role_policy", role+"/"+name, mustMarshal(resource.InlinePolicyValue{Parent: role, Name: name, Policy: doc}), dep)
}

// bucketOptions are what differs between the stack's buckets.
type bucketOptions struct {
	expirationDays int32
	// reportWriter may write job reports under reportPrefix (its ARN);
	// policyDeps are what its policy names.
	reportWriter, reportPrefix string
	// onlyWriter alone may put objects under onlyPrefix.
	onlyWriter, onlyPrefix string
	policyDeps             []resource.Address
	// noncurrentDays: how long a replaced or deleted object stays
	// recoverable, with expirationDays.
	noncurrentDays int32
	// trails may deliver to the bucket (a log bucket).
	trails []policies.TrailSource
	// role, when set, is the bucket's xacct:role tag (RoleLogs).
	role string
}

// RoleTag is the tag that says what a bucket is for, where it matters
// beyond the stack: RoleLogs marks the log bucket, which destroy keeps
// while it holds logs.
const (
	RoleTag  = "xacct:role"
	RoleLogs = "logs"
)

func (b *builder) bucket(account, name string, o bucketOptions) resource.Address {
	tags := b.tags()
	if o.role != "" {
		tags[RoleTag] = o.role
	}
	bk := b.add(account, "s3_bucket", name, mustMarshal(resource.BucketValue{
		Name:              name,
		Encryption:        "AES256",
		Ownership:         "BucketOwnerEnforced",
		PublicAccessBlock: resource.PublicAccessBlock{BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true},
		Tags:              tags,
		Versioning:        "Enabled",
		ExpirationDays:    o.expirationDays,
		NoncurrentDays:    o.noncurrentDays,
	}))
	b.add(account, "s3_bucket_policy", name, mustMarshal(resource.BucketPolicyValue{
		Bucket: name, Policy: b.render("tls-only-bucket.json.tmpl", policies.Bucket{Bucket: name, ReportWriterARN: o.reportWriter, ReportPrefix: o.reportPrefix,
			OnlyWriterARN: o.onlyWriter, OnlyWriterPrefix: o.onlyPrefix, CloudTrail: o.trails}),
	}), append([]resource.Address{bk}, o.policyDeps...)...)
	return bk
}

func (b *builder) build() {
	c := b.cfg
	dev, prod, rep := c.Accounts.Development.ID, c.Accounts.Production.ID, c.Accounts.Reporting.ID
	for _, g := range c.Groups {
		var objects, buckets []string
		for _, a := range g.Actions {
			if lvl, _ := config.S3ActionLevel(a); lvl == config.ActionObject {
				objects = append(objects, a)
			} else {
				buckets = append(buckets, a)
			}
		}
		role := b.role("production", g.RoleName, fmt.Sprintf("Assumed by the %s group of account %s (xacct stack %s)", g.GroupName, dev, c.Stack),
			b.render("group-role-trust.json.tmpl", policies.GroupRoleTrust{DevelopmentAccount: dev, RequireMFA: g.RequireMFA}))
		b.rolePolicy("production", g.RoleName, RolePolicyName,
			b.render("group-role-permissions.json.tmpl", policies.GroupRolePermissions{Bucket: c.Production.Bucket, ObjectActions: objects, BucketActions: buckets}), role)
		grp := b.add("development", "iam_group", g.GroupName, mustMarshal(resource.GroupValue{Name: g.GroupName, Path: "/"}))
		b.add("development", "iam_group_policy", g.GroupName+"/"+GroupPolicyName, mustMarshal(resource.InlinePolicyValue{
			Parent: g.GroupName, Name: GroupPolicyName,
			Policy: b.render("group-assume-role.json.tmpl", policies.GroupAssumeRole{RoleARN: roleARN(prod, g.RoleName)}),
		}), grp)
		for _, m := range g.Members {
			b.add("development", "iam_group_membership", g.GroupName+"/"+m, mustMarshal(resource.MembershipValue{Group: g.GroupName, User: m}), grp)
		}
	}
	b.bucket("production", c.Production.Bucket, bucketOptions{})
	// Only Lambda, as the processor's role, writes failed events; only the
	// writer role writes records.
	failures := b.bucket("production", c.Production.Processor.FailureBucket, bucketOptions{expirationDays: int32(c.Production.Processor.FailureRetentionDays),
		noncurrentDays: 1, onlyWriter: roleARN(prod, ProcessorRoleName(c)), onlyPrefix: "aws/lambda/async/"})

	// The backfill job's role (S3 Batch Operations) and the Reporting
	// bucket, whose policy lets it write job reports.
	fnARN := FunctionARN(c)
	batch := b.role("production", c.Production.BatchRoleName, "Runs the metadata processor over backfill manifests for S3 Batch Operations (xacct stack "+c.Stack+")",
		b.render("batch-trust.json.tmpl", policies.BatchTrust{ProductionAccount: prod}))
	b.rolePolicy("production", c.Production.BatchRoleName, BatchPolicyName, b.render("batch-permissions.json.tmpl", policies.BatchPermissions{
		FunctionARN: fnARN, ManifestBucket: c.Production.Processor.FailureBucket, ManifestPrefix: ManifestPrefix,
		ReportBucket: c.Reporting.Bucket, ReportPrefix: c.Reporting.BatchReportsPrefix,
	}), batch)
	b.bucket("reporting", c.Reporting.Bucket, bucketOptions{reportWriter: roleARN(prod, c.Production.BatchRoleName),
		reportPrefix: c.Reporting.BatchReportsPrefix, onlyWriter: roleARN(rep, c.Reporting.WriterRoleName), onlyPrefix: c.Reporting.Prefix,
		policyDeps: []resource.Address{batch}})

	proc := ProcessorRoleName(c)
	procRole := b.role("production", proc, "Execution role of the metadata processor (xacct stack "+c.Stack+")",
		b.render("processor-trust.json.tmpl", policies.ProcessorTrust{ProductionAccount: prod}))
	procPolicy := b.rolePolicy("production", proc, ProcessorPolicyName, b.render("processor-permissions.json.tmpl", policies.ProcessorPermissions{
		Region: c.Region, ProductionAccount: prod, LogGroup: "/aws/lambda/" + c.Production.Processor.FunctionName,
		Bucket: c.Production.Bucket, WriterRoleARN: roleARN(rep, c.Reporting.WriterRoleName),
		FailureBucket: c.Production.Processor.FailureBucket, FunctionName: c.Production.Processor.FunctionName,
	}), procRole)
	writer := b.role("reporting", c.Reporting.WriterRoleName, "Writes metadata records for the processor in account "+prod+" (xacct stack "+c.Stack+")",
		b.render("writer-trust.json.tmpl", policies.WriterTrust{ProductionAccount: prod, ProcessorRoleARN: roleARN(prod, proc)}))
	writerPolicy := b.rolePolicy("reporting", c.Reporting.WriterRoleName, WriterPolicyName,
		b.render("writer-permissions.json.tmpl", policies.WriterPermissions{Bucket: c.Reporting.Bucket, Prefix: c.Reporting.Prefix}), writer)
	b.processor(failures, procRole, procPolicy, writerPolicy)
	if c.Reporting.Logs.Enabled {
		b.logs()
	}
}

// TrailARN is the ARN of the stack's trail in an account.
func TrailARN(c *config.Config, accountID string) string {
	return fmt.Sprintf("arn:aws:cloudtrail:%s:%s:trail/%s", c.Region, accountID, c.Reporting.Logs.TrailName)
}

// logs builds the log archive: the log bucket in Reporting, which only the
// stack's trails may deliver to, and one trail in each account — multi-region,
// with IAM's and STS's global events and signed digests — and, in
// Production, the Production bucket's object-level requests as data events.
func (b *builder) logs() {
	c := b.cfg
	l := c.Reporting.Logs
	var sources []policies.TrailSource
	for _, a := range c.Accounts.All() {
		sources = append(sources, policies.TrailSource{Account: a.ID, TrailARN: TrailARN(c, a.ID)})
	}
	// A replaced or deleted log file stays recoverable as a noncurrent
	// version for the whole retention.
	b.bucket("reporting", l.Bucket, bucketOptions{expirationDays: int32(l.RetentionDays), noncurrentDays: int32(l.RetentionDays), trails: sources, role: RoleLogs})
	policy := resource.Address{Account: "reporting", Kind: "s3_bucket_policy", Name: l.Bucket}
	for _, a := range c.Accounts.All() {
		b.add(a.Name, "cloudtrail_trail", l.TrailName, mustMarshal(resource.CanonicalTrail(resource.TrailValue{
			Bucket: l.Bucket, MultiRegion: true, GlobalServiceEvents: true, LogFileValidation: true, Logging: true,
			Selectors: TrailSelectors(c, a.Name), Tags: b.tags(),
		})), policy)
	}
}

// TrailSelectors are the advanced event selectors of the stack's trail in
// an account: every management event, and in Production the Production
// bucket's object-level requests (all, or writes only) unless
// reporting.logs.data_events is none.
func TrailSelectors(c *config.Config, account string) []resource.TrailSelector {
	out := []resource.TrailSelector{{Name: "Management events", Fields: []resource.TrailField{{Field: "eventCategory", Equals: []string{"Management"}}}}}
	de := c.Reporting.Logs.DataEvents
	if account != "production" || de == config.DataEventsNone {
		return out
	}
	data := resource.TrailSelector{Name: "Production bucket objects", Fields: []resource.TrailField{
		{Field: "eventCategory", Equals: []string{"Data"}},
		{Field: "resources.type", Equals: []string{"AWS::S3::Object"}},
		{Field: "resources.ARN", StartsWith: []string{"arn:aws:s3:::" + c.Production.Bucket + "/"}},
	}}
	if de == config.DataEventsWriteOnly {
		data.Fields = append(data.Fields, resource.TrailField{Field: "readOnly", Equals: []string{"false"}})
	}
	return append(out, data)
}

// FunctionARN is the metadata processor's ARN.
func FunctionARN(c *config.Config) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", c.Region, c.Accounts.Production.ID, c.Production.Processor.FunctionName)
}

// processor adds the Lambda: its log group, the function, the permission
// for S3 (with both AWS:SourceArn and AWS:SourceAccount), the asynchronous
// invocation settings (failed events kept in failures) and the bucket
// notification, in the order AWS needs.
func (b *builder) processor(failures resource.Address, deps ...resource.Address) {
	c := b.cfg
	p := c.Production.Processor
	prod, rep := c.Accounts.Production.ID, c.Accounts.Reporting.ID
	logs := b.add("production", "logs_log_group", "/aws/lambda/"+p.FunctionName, mustMarshal(resource.LogGroupValue{
		Name: "/aws/lambda/" + p.FunctionName, RetentionDays: int32(p.LogRetentionDays)}))
	fn := b.add("production", "lambda_function", p.FunctionName, mustMarshal(resource.FunctionValue{
		Name: p.FunctionName, Architecture: p.Architecture, CodeSha256: b.codeSha256,
		Environment: map[string]string{
			"WRITER_ROLE_ARN":     roleARN(rep, c.Reporting.WriterRoleName),
			"REPORT_BUCKET":       c.Reporting.Bucket,
			"REPORT_PREFIX":       c.Reporting.Prefix,
			"REPORT_BUCKET_OWNER": rep,
			"SOURCE_BUCKET_OWNER": prod,
			"SOURCE_BUCKET":       c.Production.Bucket,
		},
		Handler: "bootstrap", MemoryMB: int32(p.MemoryMB), Role: roleARN(prod, ProcessorRoleName(c)), Runtime: "provided.al2023",
		Tags: b.tags(), TimeoutS: int32(p.TimeoutS),
	}), append(deps, logs)...)
	fnARN := FunctionARN(c)
	perm := b.add("production", "lambda_permission", p.FunctionName+"/"+PermissionID, mustMarshal(resource.PermissionValue{
		Function: p.FunctionName, StatementID: PermissionID, Action: "lambda:InvokeFunction", Principal: "s3.amazonaws.com",
		SourceArn: "arn:aws:s3:::" + c.Production.Bucket, SourceAccount: prod}), fn)
	b.add("production", "lambda_invoke_config", p.FunctionName, mustMarshal(resource.InvokeConfigValue{
		Function: p.FunctionName, MaxRetryAttempts: 2, MaxEventAgeSeconds: 6 * 3600, OnFailure: "arn:aws:s3:::" + p.FailureBucket}), slices.Concat(deps, []resource.Address{fn, failures})...)
	events := append([]string(nil), p.Events...)
	sort.Strings(events)
	b.add("production", "s3_bucket_notification", c.Production.Bucket, mustMarshal(resource.NotificationValue{
		Bucket: c.Production.Bucket,
		Lambda: []resource.LambdaNotification{{ID: "metadata-processor", FunctionArn: fnARN, Events: events, Prefix: p.FilterPrefix, Suffix: p.FilterSuffix}},
	}), perm, fn)
}

func mustMarshal(v any) resource.Value {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
