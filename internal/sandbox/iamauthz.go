package sandbox

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/xacct/xacct/internal/iampolicy"
)

// authzFilters are the values IAM accepts in Filter.member.N.
var authzFilters = []string{"User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"}

// authzFilter reads Filter.member.N: the entity types asked for, every type
// when there are none.
func authzFilter(form url.Values) (map[string]bool, error) {
	want := map[string]bool{}
	for k, vs := range form {
		if !strings.HasPrefix(k, "Filter.member.") {
			continue
		}
		for _, v := range vs {
			if !slices.Contains(authzFilters, v) {
				return nil, iamPageError(fmt.Sprintf("1 validation error detected: Value '[%s]' at 'filter' failed to satisfy constraint: "+
					"Member must satisfy constraint: [Member must satisfy enum value set: [%s]]", v, strings.Join(authzFilters, ", ")))
			}
			want[v] = true
		}
	}
	if len(want) == 0 {
		for _, f := range authzFilters {
			want[f] = true
		}
	}
	return want, nil
}

// authzItem is one entity of GetAccountAuthorizationDetails' listing;
// exactly one of its pointers is set. The four kinds are paged together as
// one listing: users, then groups, then roles, then managed policies, each
// by name (policies by ARN, as a customer policy may share an AWS-managed
// one's name); MaxItems counts entities of every kind.
type authzItem struct {
	user   *types.User
	group  *group
	role   *types.Role
	policy *policyEntry
}

// key orders the listing and makes its markers.
func (it authzItem) key() string {
	switch {
	case it.user != nil:
		return "1" + aws.ToString(it.user.UserName)
	case it.group != nil:
		return "2" + it.group.Name
	case it.role != nil:
		return "3" + aws.ToString(it.role.RoleName)
	default:
		return "4" + it.policy.arn
	}
}

// pageAuthz returns one page of the listing and the next page's marker.
func pageAuthz(items []authzItem, form url.Values) ([]authzItem, string, error) {
	return pageByName(items, authzItem.key, form)
}

// authzItems gathers the entities the filter asks for, from kumo (users,
// roles, customer managed policies) and the gateway's state (groups,
// AWS-managed policies' attachments).
func (g *gateway) authzItems(ctx context.Context, account string, want map[string]bool) ([]authzItem, error) {
	b := g.sb.accounts[account]
	var items []authzItem
	if want["User"] {
		out, err := b.iam.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(kumoListAll)})
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		for i := range out.Users {
			items = append(items, authzItem{user: &out.Users[i]})
		}
	}
	if want["Group"] {
		g.st.view(func() {
			for _, gr := range g.st.account(account).Groups {
				cp := *gr
				cp.Policies, cp.Members, cp.Attached = maps.Clone(gr.Policies), slices.Clone(gr.Members), slices.Clone(gr.Attached)
				items = append(items, authzItem{group: &cp})
			}
		})
	}
	if want["Role"] {
		out, err := b.iam.ListRoles(ctx, &iam.ListRolesInput{MaxItems: aws.Int32(kumoListAll)})
		if err != nil {
			return nil, fmt.Errorf("list roles: %w", err)
		}
		for i := range out.Roles {
			items = append(items, authzItem{role: &out.Roles[i]})
		}
	}
	scope := ""
	switch {
	case want["LocalManagedPolicy"] && want["AWSManagedPolicy"]:
		scope = "All"
	case want["LocalManagedPolicy"]:
		scope = "Local"
	case want["AWSManagedPolicy"]:
		scope = "AWS"
	}
	if scope != "" {
		entries, err := g.policyEntries(ctx, account, url.Values{"Scope": {scope}})
		if err != nil {
			return nil, fmt.Errorf("list policies: %w", err)
		}
		for i := range entries {
			// AWS-managed policies are listed where the account uses them.
			if isAWSManagedARN(entries[i].arn) && entries[i].attachments == 0 {
				continue
			}
			items = append(items, authzItem{policy: &entries[i]})
		}
	}
	return items, nil
}

// serveAuthzDetails answers GetAccountAuthorizationDetails.
func (g *gateway) serveAuthzDetails(c *call, account string, form url.Values) {
	ctx := c.r.Context()
	want, err := authzFilter(form)
	if err != nil {
		g.fail(c, http.StatusBadRequest, "ValidationError", err.Error())
		return
	}
	items, err := g.authzItems(ctx, account, want)
	if err != nil {
		g.fail(c, http.StatusInternalServerError, "ServiceFailure", err.Error())
		return
	}
	page, marker, err := pageAuthz(items, form)
	if err != nil {
		g.fail(c, http.StatusBadRequest, "ValidationError", err.Error())
		return
	}
	// A role's details take a few calls to kumo: the page's roles are read
	// at once, as AWS answers a page in about the time of one call.
	roles := make([]string, len(page))
	roleErrs := make([]error, len(page))
	var wg sync.WaitGroup
	slots := make(chan struct{}, 8)
	for i, it := range page {
		if it.role == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			roles[i], roleErrs[i] = g.roleDetail(ctx, account, it.role)
		}()
	}
	wg.Wait()
	if err := errors.Join(roleErrs...); err != nil {
		g.fail(c, http.StatusInternalServerError, "ServiceFailure", err.Error())
		return
	}
	var d authzDetails
	for i, it := range page {
		switch {
		case it.user != nil:
			d.users = append(d.users, g.userDetail(account, it.user))
		case it.group != nil:
			d.groups = append(d.groups, groupDetailXML(account, it.group))
		case it.role != nil:
			d.roles = append(d.roles, roles[i])
		default:
			d.policies = append(d.policies, g.policyDetail(account, it.policy))
		}
	}
	writeQuery(c, iamNS, "GetAccountAuthorizationDetails", d.xml(marker))
}

// authzDetails are the rendered members of one page's four lists.
type authzDetails struct{ users, groups, roles, policies []string }

func (d authzDetails) xml(marker string) string {
	var s strings.Builder
	list := func(name string, members []string) {
		s.WriteString("<" + name + ">")
		for _, m := range members {
			s.WriteString("<member>" + m + "</member>")
		}
		s.WriteString("</" + name + ">")
	}
	list("UserDetailList", d.users)
	list("GroupDetailList", d.groups)
	list("RoleDetailList", d.roles)
	list("Policies", d.policies)
	s.WriteString(listResult(marker))
	return s.String()
}

// encodeDocument is a policy document as IAM returns it: URL-encoded as RFC
// 3986 says (a space is %20, not +), so that any decoder gives it back.
func encodeDocument(doc string) string {
	if d, err := iampolicy.DecodeDocument(doc); err == nil {
		doc = d
	}
	return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
}

// inlineXML renders inline policies (name -> document) in name order.
func inlineXML(policies map[string]string) string {
	var s strings.Builder
	for _, n := range slices.Sorted(maps.Keys(policies)) {
		s.WriteString("<member>" + xmlElem("PolicyName", n) + xmlElem("PolicyDocument", encodeDocument(policies[n])) + "</member>")
	}
	return s.String()
}

// attachedXML renders attached managed policies by ARN.
func attachedXML(arns []string) string {
	var s strings.Builder
	for _, a := range arns {
		s.WriteString("<member>" + xmlElem("PolicyName", a[strings.LastIndexByte(a, '/')+1:]) + xmlElem("PolicyArn", a) + "</member>")
	}
	return s.String()
}

func boundaryXML(arn string) string {
	if arn == "" {
		return ""
	}
	return "<PermissionsBoundary>" + xmlElem("PermissionsBoundaryType", string(types.PermissionsBoundaryAttachmentTypePolicy)) + xmlElem("PermissionsBoundaryArn", arn) + "</PermissionsBoundary>"
}

func tagsXML(tags []types.Tag) string {
	var s strings.Builder
	for _, t := range tags {
		s.WriteString("<member>" + xmlElem("Key", aws.ToString(t.Key)) + xmlElem("Value", aws.ToString(t.Value)) + "</member>")
	}
	return s.String()
}

// userDetail is a user with its inline policies, groups, attached
// policies and boundary, all kept by the gateway.
func (g *gateway) userDetail(account string, u *types.User) string {
	name := aws.ToString(u.UserName)
	var inline map[string]string
	var groups, attached []string
	var boundary string
	g.st.view(func() {
		as := g.st.account(account)
		inline = maps.Clone(as.UserPolicies[name])
		for _, gr := range as.groupsOf(name) {
			groups = append(groups, gr.Name)
		}
		attached = slices.Clone(as.UserAttached[name])
		boundary = as.Boundaries["user/"+name]
	})
	return userDetailXML(account, u, inline, groups, attached, boundary)
}

func userDetailXML(account string, u *types.User, inline map[string]string, groups, attached []string, boundary string) string {
	var groupList strings.Builder
	for _, gr := range groups {
		groupList.WriteString("<member>" + xmlEscape(gr) + "</member>")
	}
	return xmlElem("Path", aws.ToString(u.Path)) + xmlElem("UserName", aws.ToString(u.UserName)) + xmlElem("UserId", awsID(aws.ToString(u.UserId))) +
		xmlElem("Arn", realIAMARN(account, aws.ToString(u.Arn))) + xmlElem("CreateDate", xmlTime(u.CreateDate)) +
		"<UserPolicyList>" + inlineXML(inline) + "</UserPolicyList><GroupList>" + groupList.String() + "</GroupList>" +
		"<AttachedManagedPolicies>" + attachedXML(attached) + "</AttachedManagedPolicies>" + boundaryXML(boundary) +
		"<Tags>" + tagsXML(u.Tags) + "</Tags>"
}

func groupDetailXML(account string, gr *group) string {
	return inner(marshalXML(groupXML(account, gr))) + "<GroupPolicyList>" + inlineXML(gr.Policies) + "</GroupPolicyList>" +
		"<AttachedManagedPolicies>" + attachedXML(gr.Attached) + "</AttachedManagedPolicies>"
}

// roleDetail is a role with its inline and attached policies (kumo's, and
// the gateway's AWS-managed attachments, as rolePolicies reads them) and
// boundary.
func (g *gateway) roleDetail(ctx context.Context, account string, r *types.Role) (string, error) {
	name := aws.ToString(r.RoleName)
	docs, err := g.rolePolicies(ctx, g.sb.accounts[account], name)
	if err != nil {
		return "", err
	}
	inline := map[string]string{}
	var attached []string
	for _, d := range docs {
		if n, ok := strings.CutPrefix(d.name, "role policy "); ok {
			inline[n] = d.doc
		} else if arn, ok := strings.CutPrefix(d.name, "managed policy "); ok && !slices.Contains(attached, arn) {
			attached = append(attached, arn)
		}
	}
	return roleDetailXML(account, r, inline, attached, g.boundaryOf(account, "role/"+name)), nil
}

func roleDetailXML(account string, r *types.Role, inline map[string]string, attached []string, boundary string) string {
	return xmlElem("Path", aws.ToString(r.Path)) + xmlElem("RoleName", aws.ToString(r.RoleName)) + xmlElem("RoleId", awsID(aws.ToString(r.RoleId))) +
		xmlElem("Arn", realIAMARN(account, aws.ToString(r.Arn))) + xmlElem("CreateDate", xmlTime(r.CreateDate)) +
		xmlElem("AssumeRolePolicyDocument", encodeDocument(aws.ToString(r.AssumeRolePolicyDocument))) +
		"<InstanceProfileList></InstanceProfileList><RolePolicyList>" + inlineXML(inline) + "</RolePolicyList>" +
		"<AttachedManagedPolicies>" + attachedXML(attached) + "</AttachedManagedPolicies>" + boundaryXML(boundary) +
		"<Tags>" + tagsXML(r.Tags) + "</Tags><RoleLastUsed></RoleLastUsed>"
}

// authzVersion is one version of a managed policy.
type authzVersion struct {
	id, doc string
	created time.Time
}

// policyDetail is a managed policy with every version of it and how many
// identities have it as their boundary.
func (g *gateway) policyDetail(account string, p *policyEntry) string {
	versions := []authzVersion{{id: p.version, doc: p.doc, created: p.created}}
	boundaries := 0
	g.st.view(func() {
		as := g.st.account(account)
		if pv := as.PolicyVersions[p.arn]; pv != nil {
			versions = versions[:0]
			for id, doc := range pv.Docs {
				versions = append(versions, authzVersion{id: id, doc: doc, created: pv.Created[id]})
			}
		}
		for _, arn := range as.Boundaries {
			if arn == p.arn {
				boundaries++
			}
		}
	})
	// Newest first, as IAM lists versions.
	slices.SortFunc(versions, func(a, b authzVersion) int { return versionNumber(b.id) - versionNumber(a.id) })
	return policyDetailXML(p, boundaries, versions)
}

func policyDetailXML(p *policyEntry, boundaries int, versions []authzVersion) string {
	s := xmlElem("PolicyName", p.name) + xmlElem("PolicyId", p.id) + xmlElem("Arn", p.arn) + xmlElem("Path", p.path) +
		xmlElem("DefaultVersionId", p.version) + xmlElem("AttachmentCount", strconv.Itoa(p.attachments)) +
		xmlElem("PermissionsBoundaryUsageCount", strconv.Itoa(boundaries)) + xmlElem("IsAttachable", "true")
	if p.description != "" {
		s += xmlElem("Description", p.description)
	}
	s += xmlElem("CreateDate", p.created.UTC().Format(time.RFC3339)) + xmlElem("UpdateDate", p.updated.UTC().Format(time.RFC3339)) + "<PolicyVersionList>"
	for _, v := range versions {
		s += "<member>" + xmlElem("Document", encodeDocument(v.doc)) + xmlElem("VersionId", v.id) +
			xmlElem("IsDefaultVersion", strconv.FormatBool(v.id == p.version)) + xmlElem("CreateDate", v.created.UTC().Format(time.RFC3339)) + "</member>"
	}
	return s + "</PolicyVersionList>"
}
