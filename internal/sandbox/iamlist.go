package sandbox

import (
	"context"
	"encoding/base64"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// kumo cuts its IAM listings at MaxItems in map order, with no marker. The
// gateway asks it for everything and pages itself, in name order.
const kumoListAll = 1000000

// iamPageError is a paging parameter IAM refuses (ValidationError).
type iamPageError string

func (e iamPageError) Error() string { return string(e) }

// pageByName returns one page of items ordered by name (case-insensitively,
// as IAM names are unique regardless of case): the items after the form's
// Marker, at most MaxItems (default 100, 1 to 1000), and the marker of the
// next page ("" on the last one).
func pageByName[T any](items []T, name func(T) string, form url.Values) ([]T, string, error) {
	maxItems := 100
	if s := form.Get("MaxItems"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			return nil, "", iamPageError(fmt.Sprintf("1 validation error detected: Value '%s' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000", s))
		}
		maxItems = n
	}
	key := func(s string) string { return strings.ToLower(s) + "\x00" + s }
	sorted := slices.Clone(items)
	slices.SortStableFunc(sorted, func(a, b T) int { return strings.Compare(key(name(a)), key(name(b))) })
	start := 0
	if m := form.Get("Marker"); m != "" {
		after, err := base64.RawURLEncoding.DecodeString(m)
		if err != nil || len(after) == 0 {
			return nil, "", iamPageError("Invalid Marker.")
		}
		start, _ = slices.BinarySearchFunc(sorted, key(string(after)), func(x T, k string) int {
			if c := strings.Compare(key(name(x)), k); c != 0 {
				return c
			}
			return -1 // the marker's own item is on the page before
		})
	}
	rest := sorted[start:]
	if len(rest) <= maxItems {
		return rest, "", nil
	}
	page := rest[:maxItems]
	return page, base64.RawURLEncoding.EncodeToString([]byte(name(page[len(page)-1]))), nil
}

// listResult is the tail of a paged IAM listing.
func listResult(marker string) string {
	if marker == "" {
		return "<IsTruncated>false</IsTruncated>"
	}
	return "<IsTruncated>true</IsTruncated><Marker>" + xmlEscape(marker) + "</Marker>"
}

func xmlTime(t *time.Time) string { return aws.ToTime(t).UTC().Format(time.RFC3339) }

func xmlElem(name, value string) string {
	return "<" + name + ">" + xmlEscape(value) + "</" + name + ">"
}

// serveIAMList answers ListUsers, ListRoles, ListPolicies, ListGroups,
// ListRolePolicies, ListAccessKeys and GetAccountAuthorizationDetails
// (iamauthz.go) with IAM's paging. It reports whether it handled the action.
func (g *gateway) serveIAMList(c *call, account, action string, form url.Values) bool {
	if action == "GetAccountAuthorizationDetails" {
		g.serveAuthzDetails(c, account, form)
		return true
	}
	ctx := c.r.Context()
	b := g.sb.accounts[account]
	prefix := pathPrefix(form)
	var members []string
	var marker string
	var err error
	elemName := strings.TrimPrefix(action, "List") // the list's element
	switch action {
	case "ListUsers":
		var out *iam.ListUsersOutput
		if out, err = b.iam.ListUsers(ctx, &iam.ListUsersInput{PathPrefix: aws.String(prefix), MaxItems: aws.Int32(kumoListAll)}); err != nil {
			break
		}
		var page []types.User
		page, marker, err = pageByName(out.Users, func(u types.User) string { return aws.ToString(u.UserName) }, form)
		for _, u := range page {
			members = append(members, xmlElem("Path", aws.ToString(u.Path))+xmlElem("UserName", aws.ToString(u.UserName))+
				xmlElem("UserId", awsID(aws.ToString(u.UserId)))+xmlElem("Arn", realIAMARN(account, aws.ToString(u.Arn)))+
				xmlElem("CreateDate", xmlTime(u.CreateDate)))
		}
	case "ListRoles":
		var out *iam.ListRolesOutput
		if out, err = b.iam.ListRoles(ctx, &iam.ListRolesInput{PathPrefix: aws.String(prefix), MaxItems: aws.Int32(kumoListAll)}); err != nil {
			break
		}
		var page []types.Role
		page, marker, err = pageByName(out.Roles, func(r types.Role) string { return aws.ToString(r.RoleName) }, form)
		for _, r := range page {
			m := xmlElem("Path", aws.ToString(r.Path)) + xmlElem("RoleName", aws.ToString(r.RoleName)) +
				xmlElem("RoleId", awsID(aws.ToString(r.RoleId))) + xmlElem("Arn", realIAMARN(account, aws.ToString(r.Arn))) +
				xmlElem("CreateDate", xmlTime(r.CreateDate)) + xmlElem("AssumeRolePolicyDocument", aws.ToString(r.AssumeRolePolicyDocument))
			if r.Description != nil {
				m += xmlElem("Description", *r.Description)
			}
			if r.MaxSessionDuration != nil {
				m += xmlElem("MaxSessionDuration", strconv.Itoa(int(*r.MaxSessionDuration)))
			}
			members = append(members, m)
		}
	case "ListPolicies":
		var all []policyEntry
		if all, err = g.policyEntries(ctx, account, form); err != nil {
			break
		}
		var page []policyEntry
		page, marker, err = pageByName(all, func(p policyEntry) string { return p.name }, form)
		for _, p := range page {
			members = append(members, p.xml(false))
		}
	case "ListRolePolicies":
		var out *iam.ListRolePoliciesOutput
		if out, err = b.iam.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String(form.Get("RoleName"))}); err != nil {
			g.fail(c, http.StatusNotFound, "NoSuchEntity", fmt.Sprintf("The role with name %s cannot be found.", form.Get("RoleName")))
			return true
		}
		var page []string
		page, marker, err = pageByName(out.PolicyNames, func(n string) string { return n }, form)
		members = append(members, page...)
		elemName = "PolicyNames"
	case "ListAccessKeys":
		var out *iam.ListAccessKeysOutput
		if out, err = b.iam.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(form.Get("UserName")), MaxItems: aws.Int32(kumoListAll)}); err != nil {
			g.fail(c, http.StatusNotFound, "NoSuchEntity", fmt.Sprintf("The user with name %s cannot be found.", form.Get("UserName")))
			return true
		}
		var page []types.AccessKeyMetadata
		page, marker, err = pageByName(out.AccessKeyMetadata, func(k types.AccessKeyMetadata) string { return aws.ToString(k.AccessKeyId) }, form)
		for _, k := range page {
			status := string(k.Status)
			if status == "" {
				status = "Active"
			}
			members = append(members, xmlElem("UserName", aws.ToString(k.UserName))+xmlElem("AccessKeyId", aws.ToString(k.AccessKeyId))+
				xmlElem("Status", status)+xmlElem("CreateDate", xmlTime(k.CreateDate)))
		}
		elemName = "AccessKeyMetadata"
	case "ListGroups":
		var all []*group
		g.st.view(func() {
			for _, gr := range g.st.account(account).Groups {
				if strings.HasPrefix(gr.Path, prefix) {
					cp := *gr
					all = append(all, &cp)
				}
			}
		})
		var page []*group
		page, marker, err = pageByName(all, func(gr *group) string { return gr.Name }, form)
		for _, gr := range page {
			members = append(members, inner(marshalXML(groupXML(account, gr))))
		}
	default:
		return false
	}
	if err != nil {
		if pe, ok := err.(iamPageError); ok {
			g.fail(c, http.StatusBadRequest, "ValidationError", string(pe))
		} else {
			g.fail(c, http.StatusInternalServerError, "ServiceFailure", err.Error())
		}
		return true
	}
	var body strings.Builder
	body.WriteString("<" + elemName + ">")
	for _, m := range members {
		if elemName == "PolicyNames" {
			m = xmlEscape(m)
		}
		body.WriteString("<member>" + m + "</member>")
	}
	body.WriteString("</" + elemName + ">" + listResult(marker))
	writeQuery(c, iamNS, action, body.String())
	return true
}

// realIAMARN puts the account's ID into an ARN kumo wrote.
func realIAMARN(account, arn string) string {
	return strings.Replace(arn, "arn:aws:iam::"+kumoIAMAccount+":", "arn:aws:iam::"+account+":", 1)
}

// policyEntry is a managed policy as ListPolicies and GetPolicy show it.
type policyEntry struct {
	name, id, arn, path, version, description string
	attachments                               int
	created, updated                          time.Time
	doc                                       string // JSON
}

func (p policyEntry) xml(withDescription bool) string {
	s := xmlElem("PolicyName", p.name) + xmlElem("PolicyId", p.id) + xmlElem("Arn", p.arn) + xmlElem("Path", p.path) +
		xmlElem("DefaultVersionId", p.version) + xmlElem("AttachmentCount", strconv.Itoa(p.attachments)) +
		xmlElem("PermissionsBoundaryUsageCount", "0") + xmlElem("IsAttachable", "true")
	if withDescription && p.description != "" {
		s += xmlElem("Description", p.description)
	}
	return s + xmlElem("CreateDate", p.created.UTC().Format(time.RFC3339)) + xmlElem("UpdateDate", p.updated.UTC().Format(time.RFC3339))
}

// localAttachments counts where the gateway's own state attaches a policy
// (users, groups, and roles for AWS-managed policies); the caller holds mu.
func (a *accountState) localAttachments(arn string) int {
	n := 0
	for _, list := range a.UserAttached {
		n += count(list, arn)
	}
	for _, list := range a.RoleAttached {
		n += count(list, arn)
	}
	for _, gr := range a.Groups {
		n += count(gr.Attached, arn)
	}
	return n
}

func count(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

// policyEntries lists the managed policies ListPolicies shows for the form's
// Scope (All, AWS, Local), PathPrefix and OnlyAttached.
func (g *gateway) policyEntries(ctx context.Context, account string, form url.Values) ([]policyEntry, error) {
	scope := form.Get("Scope")
	if scope == "" {
		scope = "All"
	}
	if scope != "All" && scope != "AWS" && scope != "Local" {
		return nil, iamPageError(fmt.Sprintf("1 validation error detected: Value '%s' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]", scope))
	}
	prefix := pathPrefix(form)
	onlyAttached := form.Get("OnlyAttached") == "true"
	var out []policyEntry
	if scope != "AWS" {
		b := g.sb.accounts[account]
		res, err := b.iam.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal, PathPrefix: aws.String(prefix), MaxItems: aws.Int32(kumoListAll)})
		if err != nil {
			return nil, err
		}
		for _, p := range res.Policies {
			if isAWSManagedARN(realIAMARN(account, aws.ToString(p.Arn))) {
				continue
			}
			out = append(out, g.customerEntry(account, &p))
		}
	}
	if scope != "Local" {
		for _, m := range awsManagedPolicies {
			if !strings.HasPrefix(m.Path, prefix) {
				continue
			}
			out = append(out, g.awsManagedEntry(account, m))
		}
	}
	if onlyAttached {
		out = slices.DeleteFunc(out, func(e policyEntry) bool { return e.attachments == 0 })
	}
	return out, nil
}

// customerEntry is a customer managed policy kumo keeps, with what the
// gateway adds: attachments to users and groups, and the default version.
func (g *gateway) customerEntry(account string, p *types.Policy) policyEntry {
	arn := realIAMARN(account, aws.ToString(p.Arn))
	e := policyEntry{name: aws.ToString(p.PolicyName), id: awsID(aws.ToString(p.PolicyId)), arn: arn, path: aws.ToString(p.Path),
		version: g.defaultVersionOf(account, arn), description: aws.ToString(p.Description), attachments: int(aws.ToInt32(p.AttachmentCount)),
		created: aws.ToTime(p.CreateDate), updated: aws.ToTime(p.UpdateDate)}
	g.st.view(func() {
		as := g.st.account(account)
		e.attachments += as.localAttachments(arn)
		e.doc = as.Managed[arn]
	})
	return e
}

func (g *gateway) awsManagedEntry(account string, m awsManaged) policyEntry {
	e := policyEntry{name: m.Name, id: awsManagedID(m), arn: m.arn(), path: m.Path, version: m.Version, description: m.Description,
		created: awsManagedCreated, updated: awsManagedCreated, doc: m.Doc}
	g.st.view(func() { e.attachments = g.st.account(account).localAttachments(m.arn()) })
	return e
}

// serveManagedPolicy answers what kumo cannot about managed policies:
// GetPolicy with the gateway's versions and attachments, attaching
// AWS-managed policies to roles, and ListAttachedRolePolicies with both
// kinds. It reports whether it handled the action.
func (g *gateway) serveManagedPolicy(c *call, account, action string, form url.Values) bool {
	ctx := c.r.Context()
	b := g.sb.accounts[account]
	arn := form.Get("PolicyArn")
	roleName := form.Get("RoleName")
	ok := func(result string) { writeQuery(c, iamNS, action, result) }
	noPolicy := func() {
		g.fail(c, http.StatusNotFound, "NoSuchEntity", fmt.Sprintf("Policy %s does not exist or is not attachable.", arn))
	}
	roleExists := func() bool {
		if _, err := b.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(roleName)}); err != nil {
			g.fail(c, http.StatusNotFound, "NoSuchEntity", fmt.Sprintf("The role with name %s cannot be found.", roleName))
			return false
		}
		return true
	}
	switch action {
	case "GetPolicy":
		m, found := awsManagedByARN(arn)
		switch {
		case found:
			ok("<Policy>" + g.awsManagedEntry(account, m).xml(true) + "</Policy>")
		case isAWSManagedARN(arn):
			g.fail(c, http.StatusNotFound, "NoSuchEntity", fmt.Sprintf("Policy %s was not found.", arn))
		default:
			p, err := b.iam.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(strings.Replace(arn, ":"+account+":", ":"+kumoIAMAccount+":", 1))})
			if err != nil {
				g.fail(c, http.StatusNotFound, "NoSuchEntity", fmt.Sprintf("Policy %s was not found.", arn))
				return true
			}
			e := g.customerEntry(account, p.Policy)
			ok("<Policy>" + e.xml(true) + "</Policy>")
		}
	case "ListEntitiesForPolicy":
		g.listEntitiesForPolicy(c, account, form)
	case "AttachRolePolicy", "DetachRolePolicy":
		if !isAWSManagedARN(arn) {
			return false
		}
		if !roleExists() {
			return true
		}
		if _, found := awsManagedByARN(arn); !found {
			noPolicy()
			return true
		}
		err := g.st.update(func() error {
			as := g.st.account(account)
			list := as.RoleAttached[roleName]
			had := slices.Contains(list, arn)
			list = slices.DeleteFunc(slices.Clone(list), func(x string) bool { return x == arn })
			if action == "AttachRolePolicy" {
				list = append(list, arn)
			} else if !had {
				return errNotFound
			}
			if len(list) == 0 {
				delete(as.RoleAttached, roleName)
			} else {
				as.RoleAttached[roleName] = list
			}
			return nil
		})
		if err != nil {
			g.fail(c, http.StatusNotFound, "NoSuchEntity", fmt.Sprintf("Policy %s was not found.", arn))
			return true
		}
		ok("")
	case "ListAttachedRolePolicies":
		res, err := b.iam.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(roleName)})
		if err != nil {
			g.fail(c, http.StatusNotFound, "NoSuchEntity", fmt.Sprintf("The role with name %s cannot be found.", roleName))
			return true
		}
		attached := map[string]string{} // ARN -> name
		for _, ap := range res.AttachedPolicies {
			attached[realIAMARN(account, aws.ToString(ap.PolicyArn))] = aws.ToString(ap.PolicyName)
		}
		g.st.view(func() {
			for _, a := range g.st.account(account).RoleAttached[roleName] {
				attached[a] = a[strings.LastIndexByte(a, '/')+1:]
			}
		})
		type ap struct{ name, arn string }
		var all []ap
		for _, a := range slices.Sorted(maps.Keys(attached)) {
			if strings.HasPrefix(policyPath(a), pathPrefix(form)) {
				all = append(all, ap{attached[a], a})
			}
		}
		page, marker, err := pageByName(all, func(x ap) string { return x.name }, form)
		if err != nil {
			g.fail(c, http.StatusBadRequest, "ValidationError", err.Error())
			return true
		}
		var members strings.Builder
		for _, x := range page {
			members.WriteString("<member>" + xmlElem("PolicyName", x.name) + xmlElem("PolicyArn", x.arn) + "</member>")
		}
		ok("<AttachedPolicies>" + members.String() + "</AttachedPolicies>" + listResult(marker))
	default:
		return false
	}
	return true
}

// policyPath is the path of a managed policy ARN ("/" or "/service-role/").
func policyPath(arn string) string {
	i := strings.Index(arn, ":policy/")
	j := strings.LastIndexByte(arn, '/')
	if i < 0 || j < i+7 {
		return "/"
	}
	return arn[i+7 : j+1]
}

// roleDeleteConflict is AWS's DeleteConflict message for a role that still
// has policies or instance profiles ("" when it may be deleted, or when it
// does not exist: kumo then answers NoSuchEntity).
func (g *gateway) roleDeleteConflict(ctx context.Context, account, role string) string {
	b := g.sb.accounts[account]
	inline, err := b.iam.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String(role)})
	if err != nil {
		return ""
	}
	if len(inline.PolicyNames) > 0 {
		return "Cannot delete entity, must delete policies first."
	}
	var local int
	g.st.view(func() { local = len(g.st.account(account).RoleAttached[role]) })
	if att, err := b.iam.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role)}); local > 0 || (err == nil && len(att.AttachedPolicies) > 0) {
		return "Cannot delete entity, must detach all policies first."
	}
	if ip, err := b.iam.ListInstanceProfilesForRole(ctx, &iam.ListInstanceProfilesForRoleInput{RoleName: aws.String(role)}); err == nil && len(ip.InstanceProfiles) > 0 {
		return "Cannot delete entity, must remove roles from instance profile first."
	}
	return ""
}

// nameTaken is IAM's EntityAlreadyExists message when a user or role of the
// same name in another case exists (IAM names ignore case; kumo's do not).
func (g *gateway) nameTaken(ctx context.Context, account, action string, form url.Values) string {
	b := g.sb.accounts[account]
	if action == "CreateUser" {
		name := form.Get("UserName")
		out, err := b.iam.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(kumoListAll)})
		if err == nil && slices.ContainsFunc(out.Users, func(u types.User) bool { return strings.EqualFold(aws.ToString(u.UserName), name) }) {
			return fmt.Sprintf("User with name %s already exists.", name)
		}
		return ""
	}
	name := form.Get("RoleName")
	out, err := b.iam.ListRoles(ctx, &iam.ListRolesInput{MaxItems: aws.Int32(kumoListAll)})
	if err == nil && slices.ContainsFunc(out.Roles, func(r types.Role) bool { return strings.EqualFold(aws.ToString(r.RoleName), name) }) {
		return fmt.Sprintf("Role with name %s already exists.", name)
	}
	return ""
}

// policyEntity is a user, group or role a managed policy is attached to.
type policyEntity struct{ kind, name, id, path string }

// listEntitiesForPolicy answers ListEntitiesForPolicy: the users and groups
// the gateway attached the policy to, and the roles (kumo's attachments of
// customer policies, the gateway's of AWS-managed ones).
func (g *gateway) listEntitiesForPolicy(c *call, account string, form url.Values) {
	ctx := c.r.Context()
	b := g.sb.accounts[account]
	arn := form.Get("PolicyArn")
	var exists bool
	g.st.view(func() { _, exists = g.st.account(account).managedDoc(arn) })
	if !exists {
		g.fail(c, http.StatusNotFound, "NoSuchEntity", fmt.Sprintf("Policy %s was not found.", arn))
		return
	}
	var all []policyEntity
	var users []string
	g.st.view(func() {
		as := g.st.account(account)
		for name, gr := range as.Groups {
			if slices.Contains(gr.Attached, arn) {
				all = append(all, policyEntity{"Group", name, gr.ID, gr.Path})
			}
		}
		for name, list := range as.UserAttached {
			if slices.Contains(list, arn) {
				users = append(users, name)
			}
		}
	})
	for _, name := range users {
		if u, err := b.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(name)}); err == nil {
			all = append(all, policyEntity{"User", name, awsID(aws.ToString(u.User.UserId)), aws.ToString(u.User.Path)})
		}
	}
	roles, err := b.iam.ListRoles(ctx, &iam.ListRolesInput{MaxItems: aws.Int32(kumoListAll)})
	if err != nil {
		g.fail(c, http.StatusInternalServerError, "ServiceFailure", err.Error())
		return
	}
	for _, r := range roles.Roles {
		name := aws.ToString(r.RoleName)
		var attached bool
		g.st.view(func() { attached = slices.Contains(g.st.account(account).RoleAttached[name], arn) })
		if !attached && !isAWSManagedARN(arn) {
			if att, err := b.iam.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: r.RoleName}); err == nil {
				attached = slices.ContainsFunc(att.AttachedPolicies, func(ap types.AttachedPolicy) bool { return realIAMARN(account, aws.ToString(ap.PolicyArn)) == arn })
			}
		}
		if attached {
			all = append(all, policyEntity{"Role", name, awsID(aws.ToString(r.RoleId)), aws.ToString(r.Path)})
		}
	}
	filter := form.Get("EntityFilter")
	all = slices.DeleteFunc(all, func(e policyEntity) bool {
		return (filter != "" && filter != e.kind) || !strings.HasPrefix(e.path, pathPrefix(form))
	})
	// One listing, paged: groups, then users, then roles, each by name.
	order := map[string]string{"Group": "1", "User": "2", "Role": "3"}
	page, marker, err := pageByName(all, func(e policyEntity) string { return order[e.kind] + e.name }, form)
	if err != nil {
		g.fail(c, http.StatusBadRequest, "ValidationError", err.Error())
		return
	}
	lists := map[string]*strings.Builder{"Group": {}, "User": {}, "Role": {}}
	for _, e := range page {
		lists[e.kind].WriteString("<member>" + xmlElem(e.kind+"Name", e.name) + xmlElem(e.kind+"Id", e.id) + "</member>")
	}
	writeQuery(c, iamNS, "ListEntitiesForPolicy", "<PolicyGroups>"+lists["Group"].String()+"</PolicyGroups><PolicyUsers>"+lists["User"].String()+
		"</PolicyUsers><PolicyRoles>"+lists["Role"].String()+"</PolicyRoles>"+listResult(marker))
}
