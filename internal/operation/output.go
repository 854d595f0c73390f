package operation

import (
	"fmt"
	"slices"
	"strings"

	"github.com/xacct/xacct/internal/config"
	"github.com/xacct/xacct/internal/stack"
)

// Validated is what Validate checked.
type Validated struct {
	Config *config.Config
	// Resources is how many resources the config gives.
	Resources int
	// CodeSha256 is the processor package's hash, as Lambda reports it.
	CodeSha256 string
}

// Validate checks, with no AWS call and nothing read but local files, what
// a plan would check before its first call: the config, the policy
// templates rendered with it and the processor's package.
func Validate(opts Options) (*Validated, error) {
	if opts.Parallelism < 1 {
		opts.Parallelism = 1
	}
	s, pkgs, err := load(Env{}, opts, NeedPackage)
	if err != nil {
		return nil, err
	}
	v := &Validated{Config: s.Config, Resources: len(s.desired)}
	for sha := range pkgs {
		v.CodeSha256 = sha
	}
	return v, nil
}

// Output is one value a user passes on (a role ARN for a member, a bucket
// name for a pipeline), computed from the config alone: every name xacct
// deploys derives from it.
type Output struct {
	Name        string
	Description string
	// Value is the output's value, or Map when it has one per group or
	// account.
	Value string
	Map   map[string]string
}

// Outputs lists the stack's outputs, by name.
func Outputs(cfg *config.Config) []Output {
	prod, rep := cfg.Accounts.Production.ID, cfg.Accounts.Reporting.ID
	groupNames, roleARNs := map[string]string{}, map[string]string{}
	for _, g := range cfg.Groups {
		groupNames[g.Key] = g.GroupName
		roleARNs[g.Key] = roleARN(prod, g.RoleName)
	}
	out := []Output{
		{Name: "account_ids", Description: "the three accounts", Map: map[string]string{
			"development": cfg.Accounts.Development.ID, "production": prod, "reporting": rep}},
		{Name: "backfill_role_arn", Description: "the role S3 Batch Operations assumes for a repair", Value: roleARN(prod, cfg.Production.BatchRoleName)},
		{Name: "failure_bucket", Description: "where the processor's failed events wait", Value: cfg.Production.Processor.FailureBucket},
		{Name: "group_names", Description: "each group's IAM group in the Development account", Map: groupNames},
		{Name: "group_role_arns", Description: "the Production role each group's members assume", Map: roleARNs},
		{Name: "processor_function_arn", Description: "the metadata processor", Value: stack.FunctionARN(cfg)},
		{Name: "processor_role_arn", Description: "the processor's execution role", Value: roleARN(prod, stack.ProcessorRoleName(cfg))},
		{Name: "production_bucket", Description: "the primary bucket", Value: cfg.Production.Bucket},
		{Name: "region", Description: "the stack's region", Value: cfg.Region},
		{Name: "reporting_bucket", Description: "the metadata records' bucket", Value: cfg.Reporting.Bucket},
		{Name: "reporting_prefix", Description: "where the records are in the Reporting bucket", Value: cfg.Reporting.Prefix},
		{Name: "writer_role_arn", Description: "the role the processor writes records as", Value: roleARN(rep, cfg.Reporting.WriterRoleName)},
	}
	if l := cfg.Reporting.Logs; l.Enabled {
		trails := map[string]string{}
		for _, a := range cfg.Accounts.All() {
			trails[a.Name] = stack.TrailARN(cfg, a.ID)
		}
		out = append(out,
			Output{Name: "log_bucket", Description: "the CloudTrail logs of the three accounts", Value: l.Bucket},
			Output{Name: "trail_arns", Description: "each account's trail", Map: trails})
	}
	slices.SortFunc(out, func(a, b Output) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func roleARN(account, name string) string {
	return fmt.Sprintf("arn:aws:iam::%s:role/%s", account, name)
}

// MemberProfile is what a member of a group needs in an AWS CLI profile
// to act through the group's role.
type MemberProfile struct {
	Stack string
	// Bucket is the Production bucket the role reaches.
	Bucket string
	Group  config.Group
	// User is the member's IAM user name: the role's trust requires the
	// session to be named after it (sts:RoleSessionName = ${aws:username}).
	User    string
	RoleARN string
	// MFASerial is the ARN of the member's MFA device by the usual name
	// (the user's); "" when the group does not require MFA.
	MFASerial string
	Region    string
	// EndpointURL is the Production account's endpoint ("" on AWS): the
	// local sandbox's gateway.
	EndpointURL string
}

// MemberProfiles gives the profile of user in the group with the key (or
// IAM group name) group; without user, one for each member the config
// lists.
func MemberProfiles(cfg *config.Config, group, user string) ([]MemberProfile, error) {
	g, err := findGroup(cfg, group)
	if err != nil {
		return nil, err
	}
	users := g.Members
	if user != "" {
		users = []string{user}
	}
	if len(users) == 0 {
		return nil, withHint(fmt.Errorf("groups.%s lists no members in %s", g.Key, cfg.File),
			"name the member: --user NAME (the IAM user name: the role's trust requires the session to be named after it)")
	}
	var out []MemberProfile
	for _, u := range users {
		p := MemberProfile{Stack: cfg.Stack, Bucket: cfg.Production.Bucket, Group: *g, User: u, RoleARN: roleARN(cfg.Accounts.Production.ID, g.RoleName), Region: cfg.Region,
			EndpointURL: cfg.Accounts.Production.EndpointURL}
		if g.RequireMFA {
			p.MFASerial = fmt.Sprintf("arn:aws:iam::%s:mfa/%s", cfg.Accounts.Development.ID, u)
		}
		out = append(out, p)
	}
	return out, nil
}

// findGroup finds a group by its key, or by its IAM group name (IAM
// compares names without case).
func findGroup(cfg *config.Config, group string) (*config.Group, error) {
	var keys []string
	for i, g := range cfg.Groups {
		if g.Key == group || strings.EqualFold(g.GroupName, group) {
			return &cfg.Groups[i], nil
		}
		keys = append(keys, g.Key)
	}
	return nil, fmt.Errorf("%s has no group %q (its groups: %s)", cfg.File, group, strings.Join(keys, ", "))
}
