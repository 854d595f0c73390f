package resource

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

type snapshotAPI interface {
	ListUsers(context.Context, *iam.ListUsersInput, ...func(*iam.Options)) (*iam.ListUsersOutput, error)
	GetAccountAuthorizationDetails(context.Context, *iam.GetAccountAuthorizationDetailsInput, ...func(*iam.Options)) (*iam.GetAccountAuthorizationDetailsOutput, error)
	ListRoles(context.Context, *iam.ListRolesInput, ...func(*iam.Options)) (*iam.ListRolesOutput, error)
}

// SnapshotMin is how many IAM reads of one account make a snapshot
// worth it: below, each resource is read on its own (a snapshot costs one
// or two requests, and lists every group or role of the account).
const SnapshotMin = 6

// IAMSnapshot is one account's IAM state read in one go, for a plan that
// reads many IAM resources: GetAccountAuthorizationDetails, filtered to the
// entity types the reads need, every page (groups with their inline and
// attached policies, users with the groups they belong to, roles with their
// trust, tags, inline and attached policies), and, for roles, ListRoles,
// whose roles carry the description and maximum session duration that the
// details lack. The kinds answer their reads from it when Clients.Snapshot
// holds one, with the very values a read of each resource gives.
//
// It is filled once, by the first read that needs it (the others wait);
// after that it never changes, so a resource created after it was read is
// not in it: it serves one plan's reads, never apply's.
type IAMSnapshot struct {
	groups, roles bool // which entity types it serves

	mu     sync.Mutex
	loaded bool
	// denied: the caller may not call GetAccountAuthorizationDetails; every
	// read goes to the resource itself.
	denied bool
	err    error
	data   *snapshotData
}

type snapshotData struct {
	groups map[string]*iamtypes.GroupDetail
	// members are each group's members, by group name.
	members map[string][]string
	// users are every user of the account (read with the groups).
	users []string
	roles map[string]*iamtypes.RoleDetail
	// listed are the roles as ListRoles gives them.
	listed map[string]*iamtypes.Role
}

// NewIAMSnapshot returns a snapshot for an account whose resources of
// these kinds (one entry per resource) a plan reads, or nil when too few
// of them are IAM resources for one to pay.
func NewIAMSnapshot(kinds []string) *IAMSnapshot {
	s := &IAMSnapshot{}
	n := 0
	for _, k := range kinds {
		switch parentKinds[k] {
		case "iam_group":
			s.groups = true
		case "iam_role":
			s.roles = true
		default:
			switch k {
			case "iam_group":
				s.groups = true
			case "iam_role":
				s.roles = true
			default:
				continue
			}
		}
		n++
	}
	if n < SnapshotMin {
		return nil
	}
	return s
}

// Serves reports whether reads of the kind are answered from the snapshot.
func (s *IAMSnapshot) Serves(kind string) bool {
	if s == nil {
		return false
	}
	switch kind {
	case "iam_group", "iam_group_policy", "iam_group_membership", "iam_group_policy_attachment":
		return s.groups
	case "iam_role", "iam_role_policy", "iam_role_policy_attachment":
		return s.roles
	}
	return false
}

// Load fills the snapshot, once; calls after the first return its result.
// A caller that may not read the account's authorization details is no
// error: the reads then go to each resource.
func (s *IAMSnapshot) Load(ctx context.Context, c *Clients) error {
	_, err := s.get(ctx, c)
	return err
}

// get returns the snapshot's data, nil when the reads must go to each
// resource.
func (s *IAMSnapshot) get(ctx context.Context, c *Clients) (*snapshotData, error) {
	if s == nil {
		return nil, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.loaded {
		s.data, s.err = s.read(ctx, c)
		if isNotFound(s.err, "AccessDenied", "AccessDeniedException") {
			s.denied, s.err = true, nil
		}
		s.loaded = true
	}
	if s.err != nil || s.denied {
		return nil, s.err
	}
	return s.data, nil
}

func (s *IAMSnapshot) read(ctx context.Context, c *Clients) (*snapshotData, error) {
	d := &snapshotData{groups: map[string]*iamtypes.GroupDetail{}, members: map[string][]string{},
		roles: map[string]*iamtypes.RoleDetail{}, listed: map[string]*iamtypes.Role{}}
	var filter []iamtypes.EntityType
	if s.groups {
		filter = append(filter, iamtypes.EntityTypeGroup, iamtypes.EntityTypeUser)
	}
	if s.roles {
		filter = append(filter, iamtypes.EntityTypeRole)
	}
	// ListRoles runs beside the details: neither waits for the other.
	var listErr error
	var wg sync.WaitGroup
	if s.roles {
		wg.Add(1)
		go func() {
			defer wg.Done()
			listErr = s.listRoles(ctx, c, d)
		}()
	}
	var marker *string
	for {
		out, err := c.IAM.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{Filter: filter, MaxItems: aws.Int32(1000), Marker: marker})
		if err != nil {
			wg.Wait()
			return nil, fmt.Errorf("read the IAM authorization details of account %s: %w", c.AccountID, err)
		}
		for i := range out.GroupDetailList {
			g := &out.GroupDetailList[i]
			d.groups[aws.ToString(g.GroupName)] = g
		}
		for _, u := range out.UserDetailList {
			d.users = append(d.users, aws.ToString(u.UserName))
			for _, g := range u.GroupList {
				d.members[g] = append(d.members[g], aws.ToString(u.UserName))
			}
		}
		for i := range out.RoleDetailList {
			r := &out.RoleDetailList[i]
			d.roles[aws.ToString(r.RoleName)] = r
		}
		if !out.IsTruncated || out.Marker == nil {
			break
		}
		marker = out.Marker
	}
	wg.Wait()
	if listErr != nil {
		return nil, fmt.Errorf("list the IAM roles of account %s: %w", c.AccountID, listErr)
	}
	return d, nil
}

func (s *IAMSnapshot) listRoles(ctx context.Context, c *Clients, d *snapshotData) error {
	var marker *string
	listed := map[string]*iamtypes.Role{}
	for {
		out, err := c.IAM.ListRoles(ctx, &iam.ListRolesInput{MaxItems: aws.Int32(1000), Marker: marker})
		if err != nil {
			return err
		}
		for i := range out.Roles {
			r := &out.Roles[i]
			listed[aws.ToString(r.RoleName)] = r
		}
		if !out.IsTruncated || out.Marker == nil {
			break
		}
		marker = out.Marker
	}
	d.listed = listed
	return nil
}

// lookup finds name in m as IAM does: names of users, groups and roles
// are unique whatever their case.
func lookup[T any](m map[string]*T, name string) *T {
	if v, ok := m[name]; ok {
		return v
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

// snapshotOf returns the clients' snapshot data when it serves kind, nil
// when the read must go to the resource.
func snapshotOf(ctx context.Context, c *Clients, kind string) (*snapshotData, error) {
	if !c.Snapshot.Serves(kind) {
		return nil, nil
	}
	return c.Snapshot.get(ctx, c)
}

// group returns a group's details, nil when it does not exist.
func (d *snapshotData) group(name string) *iamtypes.GroupDetail { return lookup(d.groups, name) }

// role returns a role's details and its ListRoles entry; ok is false when
// the two listings disagree (a role created or deleted between them), and
// the role must be read on its own.
func (d *snapshotData) role(name string) (detail *iamtypes.RoleDetail, listed *iamtypes.Role, ok bool) {
	detail, listed = lookup(d.roles, name), lookup(d.listed, name)
	return detail, listed, (detail == nil) == (listed == nil)
}

func inlineDoc(list []iamtypes.PolicyDetail, name string) (string, bool) {
	for _, p := range list {
		if aws.ToString(p.PolicyName) == name {
			return aws.ToString(p.PolicyDocument), true
		}
	}
	return "", false
}

func attachedARNs(list []iamtypes.AttachedPolicy) []string { return policyARNs(list) }

// WithSnapshot returns a copy of the clients whose IAM reads s answers.
func (c *Clients) WithSnapshot(s *IAMSnapshot) *Clients {
	cc := *c
	cc.Snapshot = s
	return &cc
}

// FindParts is pf.Parts, answered from the clients' snapshot when it holds
// the resource's kind (a group's members, inline and attached policies; a
// role's inline and attached policies), with the same parts.
func FindParts(ctx context.Context, pf PartsFinder, c *Clients, name string) ([]Part, error) {
	var kind string
	switch pf.(type) {
	case groupKind:
		kind = "iam_group"
	case roleKind:
		kind = "iam_role"
	default:
		return pf.Parts(ctx, c, name)
	}
	d, err := snapshotOf(ctx, c, kind)
	if err != nil {
		return nil, err
	}
	if d == nil {
		return pf.Parts(ctx, c, name)
	}
	var parts []Part
	var inline []iamtypes.PolicyDetail
	var attached []iamtypes.AttachedPolicy
	var policyKind, attachKind string
	if kind == "iam_group" {
		g := d.group(name)
		if g == nil {
			return nil, nil
		}
		for _, u := range d.members[aws.ToString(g.GroupName)] {
			parts = append(parts, Part{Addr: Address{Kind: "iam_group_membership", Name: name + "/" + u}, Value: marshal(MembershipValue{Group: name, User: u})})
		}
		inline, attached, policyKind, attachKind = g.GroupPolicyList, g.AttachedManagedPolicies, "iam_group_policy", "iam_group_policy_attachment"
	} else {
		r, _, ok := d.role(name)
		if !ok {
			return pf.Parts(ctx, c, name)
		}
		if r == nil {
			return nil, nil
		}
		inline, attached, policyKind, attachKind = r.RolePolicyList, r.AttachedManagedPolicies, "iam_role_policy", "iam_role_policy_attachment"
	}
	for _, p := range inline {
		pol := aws.ToString(p.PolicyName)
		v, err := inlineValue(name, pol, aws.ToString(p.PolicyDocument), parentWords[kind])
		if err != nil {
			return nil, err
		}
		parts = append(parts, Part{Addr: Address{Kind: policyKind, Name: name + "/" + pol}, Value: v})
	}
	for _, a := range attachedARNs(attached) {
		parts = append(parts, Part{Addr: Address{Kind: attachKind, Name: name + "/" + a}, Value: marshal(AttachmentValue{Parent: name, PolicyARN: a})})
	}
	return parts, nil
}

var parentWords = map[string]string{"iam_group": "IAM group", "iam_role": "IAM role"}

// UserNames lists the account's IAM users: from the snapshot when it has
// read them (with the groups: no request of its own), else with ListUsers,
// a thousand a page. A plan checks with it that the members it adds exist,
// before any change.
func UserNames(ctx context.Context, c *Clients) ([]string, error) {
	if c.Snapshot.Serves("iam_group") {
		d, err := c.Snapshot.get(ctx, c)
		if err != nil {
			return nil, err
		}
		if d != nil {
			return d.users, nil
		}
	}
	var names []string
	var marker *string
	for {
		out, err := c.IAM.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(1000), Marker: marker})
		if err != nil {
			return nil, fmt.Errorf("list the IAM users of account %s: %w", c.AccountID, err)
		}
		for _, u := range out.Users {
			names = append(names, aws.ToString(u.UserName))
		}
		if !out.IsTruncated || out.Marker == nil {
			return names, nil
		}
		marker = out.Marker
	}
}
