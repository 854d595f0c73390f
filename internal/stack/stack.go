// Package stack turns a config into the desired resources: every name
// derived from the config, every policy rendered from policies/, every
// taggable resource tagged, and the dependencies AWS forces between them.
package stack

import (
	"encoding/json"
	"fmt"

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
)

// ProcessorRoleName is the execution role of the metadata processor.
func ProcessorRoleName(c *config.Config) string { return c.Production.Processor.FunctionName }

// Build returns the desired resources of c, sorted by address.
func Build(c *config.Config) ([]resource.Resource, error) {
	b := &builder{cfg: c}
	b.build()
	if b.err != nil {
		return nil, b.err
	}
	return b.out, nil
}

type builder struct {
	cfg *config.Config
	out []resource.Resource
	err error
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
	t := map[string]string{resource.TagStack: b.cfg.Stack, resource.TagManagedBy: "xacct"}
	for k, v := range b.cfg.Tags {
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

func (b *builder) rolePolicy(account, role, name string, doc []byte, dep resource.Address) {
	b.add(account, "iam_role_policy", role+"/"+name, mustMarshal(resource.InlinePolicyValue{Parent: role, Name: name, Policy: doc}), dep)
}

func (b *builder) bucket(account, name string) {
	bk := b.add(account, "s3_bucket", name, mustMarshal(resource.BucketValue{
		Name:              name,
		Encryption:        "AES256",
		Ownership:         "BucketOwnerEnforced",
		PublicAccessBlock: resource.PublicAccessBlock{BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true},
		Tags:              b.tags(),
		Versioning:        "Enabled",
	}))
	b.add(account, "s3_bucket_policy", name, mustMarshal(resource.BucketPolicyValue{
		Bucket: name, Policy: b.render("tls-only-bucket.json.tmpl", policies.Bucket{Bucket: name}),
	}), bk)
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
	b.bucket("production", c.Production.Bucket)
	b.bucket("reporting", c.Reporting.Bucket)

	proc := ProcessorRoleName(c)
	procRole := b.role("production", proc, "Execution role of the metadata processor (xacct stack "+c.Stack+")",
		b.render("processor-trust.json.tmpl", policies.ProcessorTrust{ProductionAccount: prod}))
	b.rolePolicy("production", proc, ProcessorPolicyName, b.render("processor-permissions.json.tmpl", policies.ProcessorPermissions{
		Region: c.Region, ProductionAccount: prod, LogGroup: "/aws/lambda/" + c.Production.Processor.FunctionName,
		Bucket: c.Production.Bucket, WriterRoleARN: roleARN(rep, c.Reporting.WriterRoleName),
	}), procRole)
	writer := b.role("reporting", c.Reporting.WriterRoleName, "Writes metadata records for the processor in account "+prod+" (xacct stack "+c.Stack+")",
		b.render("writer-trust.json.tmpl", policies.WriterTrust{ProductionAccount: prod, ProcessorRoleARN: roleARN(prod, proc)}))
	b.rolePolicy("reporting", c.Reporting.WriterRoleName, WriterPolicyName,
		b.render("writer-permissions.json.tmpl", policies.WriterPermissions{Bucket: c.Reporting.Bucket, Prefix: c.Reporting.Prefix}), writer)
}

func mustMarshal(v any) resource.Value {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
