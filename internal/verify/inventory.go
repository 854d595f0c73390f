package verify

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/xacct/xacct/internal/awserr"
	"github.com/xacct/xacct/internal/config"
	"github.com/xacct/xacct/internal/iampolicy"
	"github.com/xacct/xacct/internal/stack"
)

// Inventory is every principal of the three accounts and the resource
// policies that decide who reaches the stack's data: what the exhaustive
// analysis (Reach) walks.
type Inventory struct {
	Accounts []Account `json:"accounts"`
	// BucketPolicies are the stack's buckets' policies, by bucket name
	// (absent: none).
	BucketPolicies map[string]string `json:"bucket_policies"`
	// PublicAccess is the Block Public Access of the stack's buckets, by
	// bucket name (bpa.go); nil when not read.
	PublicAccess map[string]BucketPublicAccess `json:"public_access,omitempty"`
}

// Account is the IAM principals and Lambda functions of one account.
type Account struct {
	Key       string     `json:"key"` // development, production, reporting
	ID        string     `json:"id"`
	Users     []User     `json:"users"`
	Groups    []Group    `json:"groups"`
	Roles     []Role     `json:"roles"`
	Functions []Function `json:"functions"`
}

// Doc is a named policy document (JSON, decoded).
type Doc struct {
	Name     string `json:"name"`
	Document string `json:"document"`
	// Versions are, for a customer managed policy, its stored versions
	// other than the default (Name is the version ID): whoever may set
	// one as the default holds what it grants (edge_version.go).
	Versions []Doc `json:"versions,omitempty"`
}

// User is an IAM user: its own policies (inline, then attached), its
// groups, and its permissions boundary.
type User struct {
	Name     string   `json:"name"`
	ARN      string   `json:"arn"`
	Policies []Doc    `json:"policies"`
	Groups   []string `json:"groups"`
	Boundary *Doc     `json:"boundary,omitempty"`
}

// Group is an IAM group and its policies (inline, then attached).
type Group struct {
	Name     string `json:"name"`
	ARN      string `json:"arn"`
	Policies []Doc  `json:"policies"`
}

// Role is an IAM role: its trust policy, its policies, its boundary.
type Role struct {
	Name     string `json:"name"`
	ARN      string `json:"arn"`
	Trust    string `json:"trust"`
	Policies []Doc  `json:"policies"`
	Boundary *Doc   `json:"boundary,omitempty"`
}

// Function is a Lambda function: whoever may change its code or
// configuration acts as its execution role.
type Function struct {
	Name   string `json:"name"`
	ARN    string `json:"arn"`
	Role   string `json:"role"`
	Policy string `json:"policy,omitempty"` // its resource policy
}

// AuthorizationDetailsAPI reads an account's IAM in a handful of pages.
type AuthorizationDetailsAPI interface {
	GetAccountAuthorizationDetails(context.Context, *iam.GetAccountAuthorizationDetailsInput, ...func(*iam.Options)) (*iam.GetAccountAuthorizationDetailsOutput, error)
}

// FunctionsAPI lists an account's functions and their resource policies.
type FunctionsAPI interface {
	ListFunctions(context.Context, *lambda.ListFunctionsInput, ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error)
	GetPolicy(context.Context, *lambda.GetPolicyInput, ...func(*lambda.Options)) (*lambda.GetPolicyOutput, error)
}

// ReadAccount reads every user, group and role of an account with their
// policies (GetAccountAuthorizationDetails, all pages) and its functions
// with their resource policies; calls counts the AWS calls made.
func ReadAccount(ctx context.Context, key, id string, ia AuthorizationDetailsAPI, fa FunctionsAPI) (*Account, int, error) {
	acct := &Account{Key: key, ID: id}
	managed := map[string]string{} // ARN -> default version's document
	stored := map[string][]Doc{}   // ARN -> its other versions
	var users []iamtypes.UserDetail
	var groups []iamtypes.GroupDetail
	var roles []iamtypes.RoleDetail
	calls := 0
	var marker *string
	for {
		out, err := ia.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{
			Filter:   []iamtypes.EntityType{iamtypes.EntityTypeUser, iamtypes.EntityTypeGroup, iamtypes.EntityTypeRole, iamtypes.EntityTypeLocalManagedPolicy, iamtypes.EntityTypeAWSManagedPolicy},
			MaxItems: aws.Int32(1000), Marker: marker,
		})
		calls++
		if err != nil {
			return nil, calls, fmt.Errorf("read the IAM of the %s account: %w", key, err)
		}
		users = append(users, out.UserDetailList...)
		groups = append(groups, out.GroupDetailList...)
		roles = append(roles, out.RoleDetailList...)
		for _, p := range out.Policies {
			for _, v := range p.PolicyVersionList {
				if v.IsDefaultVersion {
					managed[aws.ToString(p.Arn)] = decode(aws.ToString(v.Document))
				} else {
					stored[aws.ToString(p.Arn)] = append(stored[aws.ToString(p.Arn)], Doc{Name: aws.ToString(v.VersionId), Document: decode(aws.ToString(v.Document))})
				}
			}
		}
		if !out.IsTruncated || out.Marker == nil {
			break
		}
		marker = out.Marker
	}
	attached := func(list []iamtypes.AttachedPolicy) []Doc {
		var out []Doc
		for _, a := range list {
			arn := aws.ToString(a.PolicyArn)
			if doc, ok := managed[arn]; ok {
				vs := slices.Clone(stored[arn])
				sort.Slice(vs, func(i, j int) bool { return vs[i].Name < vs[j].Name })
				out = append(out, Doc{Name: "managed policy " + arn, Document: doc, Versions: vs})
			}
		}
		return out
	}
	boundary := func(b *iamtypes.AttachedPermissionsBoundary) *Doc {
		if b == nil || b.PermissionsBoundaryArn == nil {
			return nil
		}
		arn := aws.ToString(b.PermissionsBoundaryArn)
		return &Doc{Name: "permissions boundary " + arn, Document: managed[arn]}
	}
	for _, u := range users {
		user := User{Name: aws.ToString(u.UserName), ARN: aws.ToString(u.Arn), Groups: u.GroupList, Boundary: boundary(u.PermissionsBoundary)}
		for _, p := range u.UserPolicyList {
			user.Policies = append(user.Policies, Doc{Name: "user " + user.Name + " policy " + aws.ToString(p.PolicyName), Document: decode(aws.ToString(p.PolicyDocument))})
		}
		user.Policies = append(user.Policies, attached(u.AttachedManagedPolicies)...)
		acct.Users = append(acct.Users, user)
	}
	for _, g := range groups {
		group := Group{Name: aws.ToString(g.GroupName), ARN: aws.ToString(g.Arn)}
		for _, p := range g.GroupPolicyList {
			group.Policies = append(group.Policies, Doc{Name: "group " + group.Name + " policy " + aws.ToString(p.PolicyName), Document: decode(aws.ToString(p.PolicyDocument))})
		}
		group.Policies = append(group.Policies, attached(g.AttachedManagedPolicies)...)
		acct.Groups = append(acct.Groups, group)
	}
	for _, r := range roles {
		role := Role{Name: aws.ToString(r.RoleName), ARN: aws.ToString(r.Arn), Trust: decode(aws.ToString(r.AssumeRolePolicyDocument)), Boundary: boundary(r.PermissionsBoundary)}
		for _, p := range r.RolePolicyList {
			role.Policies = append(role.Policies, Doc{Name: "role " + role.Name + " policy " + aws.ToString(p.PolicyName), Document: decode(aws.ToString(p.PolicyDocument))})
		}
		role.Policies = append(role.Policies, attached(r.AttachedManagedPolicies)...)
		acct.Roles = append(acct.Roles, role)
	}
	if fa != nil {
		var fmarker *string
		for {
			out, err := fa.ListFunctions(ctx, &lambda.ListFunctionsInput{Marker: fmarker})
			calls++
			if err != nil {
				return nil, calls, fmt.Errorf("list the functions of the %s account: %w", key, err)
			}
			for _, f := range out.Functions {
				fn := Function{Name: aws.ToString(f.FunctionName), ARN: aws.ToString(f.FunctionArn), Role: aws.ToString(f.Role)}
				pol, err := fa.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: f.FunctionName})
				calls++
				switch {
				case err == nil:
					fn.Policy = aws.ToString(pol.Policy)
				case awserr.Is(err, "ResourceNotFoundException"):
				default:
					return nil, calls, fmt.Errorf("read the policy of function %s: %w", fn.Name, err)
				}
				acct.Functions = append(acct.Functions, fn)
			}
			if aws.ToString(out.NextMarker) == "" {
				break
			}
			fmarker = out.NextMarker
		}
	}
	acct.sort()
	return acct, calls, nil
}

// decode is a policy document as IAM returns it, URL-decoded.
func decode(doc string) string {
	if d, err := url.PathUnescape(doc); err == nil {
		return d
	}
	if d, err := iampolicy.DecodeDocument(doc); err == nil {
		return d
	}
	return doc
}

func (a *Account) sort() {
	sort.Slice(a.Users, func(i, j int) bool { return a.Users[i].Name < a.Users[j].Name })
	sort.Slice(a.Groups, func(i, j int) bool { return a.Groups[i].Name < a.Groups[j].Name })
	sort.Slice(a.Roles, func(i, j int) bool { return a.Roles[i].Name < a.Roles[j].Name })
	sort.Slice(a.Functions, func(i, j int) bool { return a.Functions[i].Name < a.Functions[j].Name })
}

// roleNameOf is the name in a role ARN (its path dropped).
func roleNameOf(arn string) string {
	_, rest, ok := strings.Cut(arn, ":role/")
	if !ok {
		return ""
	}
	if i := strings.LastIndexByte(rest, '/'); i >= 0 {
		rest = rest[i+1:]
	}
	return rest
}

// docsUnder are the documents of the resources under account/kind/parent/,
// in address order, named as the inventory names inline policies.
func (p Policies) docsUnder(account, kind, parent, owner string) []Doc {
	prefix := account + "/" + kind + "/" + parent + "/"
	var addrs []string
	for k := range p {
		if strings.HasPrefix(k, prefix) && strings.HasSuffix(k, "#policy") {
			addrs = append(addrs, strings.TrimSuffix(k, "#policy"))
		}
	}
	sort.Strings(addrs)
	var out []Doc
	for _, a := range addrs {
		out = append(out, Doc{Name: owner + " policy " + strings.TrimPrefix(a, prefix), Document: string(p[a+"#policy"])})
	}
	return out
}

// BucketPolicyDocs are the bucket policies among the documents, by bucket.
func (p Policies) BucketPolicyDocs() map[string]string {
	out := map[string]string{}
	for k, doc := range p {
		for _, acct := range []string{"production", "reporting", "development"} {
			if b, ok := strings.CutPrefix(k, acct+"/s3_bucket_policy/"); ok && strings.HasSuffix(b, "#policy") {
				out[strings.TrimSuffix(b, "#policy")] = string(doc)
			}
		}
	}
	return out
}

// standInAdministrator names the user RenderedInventory stands in each
// account for its administrators.
const standInAdministrator = "xacct-verify-administrator"

// RenderedInventory is the inventory the documents make, with no AWS
// call: the groups and roles that have documents (and the members of its
// groups the values hold, with no policies of their own), the processor,
// the bucket policies, and in each account an administrator
// (AdministratorAccess), as every account has.
func RenderedInventory(cfg *config.Config, pol Policies) *Inventory {
	accts := map[string]*Account{}
	inv := &Inventory{BucketPolicies: pol.BucketPolicyDocs()}
	for _, a := range cfg.Accounts.All() {
		inv.Accounts = append(inv.Accounts, Account{Key: a.Name, ID: a.ID})
	}
	for i := range inv.Accounts {
		a := &inv.Accounts[i]
		accts[a.Key] = a
		a.Users = append(a.Users, User{Name: standInAdministrator, ARN: fmt.Sprintf("arn:aws:iam::%s:user/%s", a.ID, standInAdministrator),
			Policies: []Doc{{Name: "managed policy arn:aws:iam::aws:policy/AdministratorAccess", Document: adminDoc}}})
	}
	// Groups and roles: every one the documents name.
	groups, roles := map[string]map[string]bool{}, map[string]map[string]bool{}
	for k := range pol {
		addr, field, _ := strings.Cut(k, "#")
		parts := strings.SplitN(addr, "/", 4)
		if len(parts) < 3 || accts[parts[0]] == nil {
			continue
		}
		switch {
		case parts[1] == "iam_group_policy" && len(parts) == 4:
			if groups[parts[0]] == nil {
				groups[parts[0]] = map[string]bool{}
			}
			groups[parts[0]][parts[2]] = true
		case parts[1] == "iam_role" && field == "trust":
			if roles[parts[0]] == nil {
				roles[parts[0]] = map[string]bool{}
			}
			roles[parts[0]][parts[2]] = true
		}
	}
	for _, g := range cfg.Groups {
		if groups["development"] == nil {
			groups["development"] = map[string]bool{}
		}
		groups["development"][g.GroupName] = true
	}
	// Members: those the values hold (the config's, and any added by
	// hand that a plan removes).
	members := map[string][]string{}
	for k := range pol {
		if rest, ok := strings.CutPrefix(k, "development/iam_group_membership/"); ok && strings.HasSuffix(rest, "#member") {
			if g, u, ok := strings.Cut(strings.TrimSuffix(rest, "#member"), "/"); ok {
				members[u] = append(members[u], g)
			}
		}
	}
	for _, gs := range members {
		sort.Strings(gs)
	}
	for key, names := range groups {
		a := accts[key]
		for _, name := range slices.Sorted(maps.Keys(names)) {
			a.Groups = append(a.Groups, Group{Name: name, ARN: fmt.Sprintf("arn:aws:iam::%s:group/%s", a.ID, name),
				Policies: pol.docsUnder(key, "iam_group_policy", name, "group "+name)})
		}
	}
	dev := accts["development"]
	for _, m := range slices.Sorted(maps.Keys(members)) {
		dev.Users = append(dev.Users, User{Name: m, ARN: fmt.Sprintf("arn:aws:iam::%s:user/%s", dev.ID, m), Groups: members[m]})
	}
	for key, names := range roles {
		a := accts[key]
		for _, name := range slices.Sorted(maps.Keys(names)) {
			a.Roles = append(a.Roles, Role{Name: name, ARN: fmt.Sprintf("arn:aws:iam::%s:role/%s", a.ID, name), Trust: string(pol[key+"/iam_role/"+name+"#trust"]),
				Policies: pol.docsUnder(key, "iam_role_policy", name, "role "+name)})
		}
	}
	prod := accts["production"]
	fn := cfg.Production.Processor.FunctionName
	proc := stack.ProcessorRoleName(cfg)
	prod.Functions = append(prod.Functions, Function{Name: fn, ARN: fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", cfg.Region, prod.ID, fn),
		Role: fmt.Sprintf("arn:aws:iam::%s:role/%s", prod.ID, proc)})
	for i := range inv.Accounts {
		inv.Accounts[i].sort()
	}
	return inv
}
