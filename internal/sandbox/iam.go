package sandbox

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/xacct/xacct/internal/iampolicy"
)

const iamNS = "https://iam.amazonaws.com/doc/2010-05-08/"

// iamResource is the ARN an IAM action acts on, as far as its parameters
// say. pathOf finds the path of an existing user, role, group or instance
// profile, so that a policy naming a path (role/team/*) matches it whatever
// the action.
func iamResource(account string, form url.Values, pathOf func(kind, name string) (string, bool)) string {
	base := "arn:aws:iam::" + account + ":"
	arn := func(kind, name string) string {
		path, ok := pathOf(kind, name)
		if !ok {
			if path = form.Get("Path"); path == "" {
				path = "/"
			}
		}
		return base + kind + path + name
	}
	switch {
	case form.Get("PolicyArn") != "" && form.Get("GroupName") == "" && form.Get("UserName") == "" && form.Get("RoleName") == "":
		// GetPolicy, DeletePolicy...: the policy; attaching one acts on
		// the user, group or role it is attached to.
		return form.Get("PolicyArn")
	case form.Get("InstanceProfileName") != "":
		// Add/RemoveRoleToInstanceProfile act on the profile, not the role.
		return arn("instance-profile", form.Get("InstanceProfileName"))
	case strings.HasPrefix(form.Get("OpenIDConnectProviderArn"), base+"oidc-provider/"):
		return form.Get("OpenIDConnectProviderArn")
	case form.Get("Action") == "CreateOpenIDConnectProvider" && form.Get("Url") != "":
		// The provider it makes: named by its URL without the scheme.
		u := form.Get("Url")
		if i := strings.Index(u, "://"); i >= 0 {
			u = u[i+3:]
		}
		return base + "oidc-provider/" + u
	case form.Get("GroupName") != "":
		// AddUserToGroup and RemoveUserFromGroup act on the group.
		return arn("group", form.Get("GroupName"))
	case form.Get("UserName") != "":
		return arn("user", form.Get("UserName"))
	case form.Get("RoleName") != "":
		return arn("role", form.Get("RoleName"))
	case form.Get("VirtualMFADeviceName") != "":
		// CreateVirtualMFADevice: the device it makes.
		path := form.Get("Path")
		if path == "" {
			path = "/"
		}
		return base + "mfa" + path + form.Get("VirtualMFADeviceName")
	case strings.HasPrefix(form.Get("SerialNumber"), base+"mfa/"):
		// DeleteVirtualMFADevice: the device, named by its serial (its
		// ARN); with a UserName (Enable, Deactivate) the user, above.
		return form.Get("SerialNumber")
	case form.Get("PolicyName") != "" && form.Get("Action") == "CreatePolicy":
		path := form.Get("Path")
		if path == "" {
			path = "/"
		}
		return base + "policy" + path + form.Get("PolicyName")
	}
	return "*"
}

// entityPath is the path of an existing user, role, group or instance
// profile of the account.
func (g *gateway) entityPath(ctx context.Context, account, kind, name string) (string, bool) {
	b := g.sb.accounts[account]
	switch kind {
	case "instance-profile":
		if ip, err := b.iam.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(name)}); err == nil {
			return aws.ToString(ip.InstanceProfile.Path), true
		}
	case "user":
		if u, err := b.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(name)}); err == nil {
			return aws.ToString(u.User.Path), true
		}
	case "role":
		if r, err := b.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)}); err == nil {
			return aws.ToString(r.Role.Path), true
		}
	case "group":
		var path string
		g.st.view(func() {
			if gr := g.st.account(account).Groups[name]; gr != nil {
				path = gr.Path
			}
		})
		return path, path != ""
	}
	return "", false
}

// iamLookup reads what an IAM request's authorization needs of the
// entities it names, as they stand: the path of an existing user, role,
// group or instance profile, and the permissions boundary of a user or
// role ("" when it has none).
type iamLookup struct {
	path     func(kind, name string) (string, bool)
	boundary func(kind, name string) string
}

// iamAuthzRequest is what an IAM request is authorized as: its action, the
// resource its parameters name (with the entity's stored path) and its
// IAM condition keys.
func iamAuthzRequest(account, action string, form url.Values, look iamLookup) authzRequest {
	return authzRequest{action: "iam:" + action, resource: iamResource(account, form, look.path), context: iamConditionKeys(action, form, look.boundary)}
}

// iamConditionKeys are the IAM-specific condition keys of a request:
// iam:PolicyARN where a managed policy is attached or detached;
// iam:PermissionsBoundary, the boundary a request sets, else (for the
// actions the reference gives the key) the one the role or user it acts on
// has: AWS's own example denies DeleteRolePermissionsBoundary on the
// condition that the boundary is the protected one.
func iamConditionKeys(action string, form url.Values, boundaryOf func(kind, name string) string) map[string][]string {
	keys := map[string][]string{}
	if arn := form.Get("PolicyArn"); arn != "" && (strings.HasPrefix(action, "Attach") || strings.HasPrefix(action, "Detach")) {
		keys["iam:PolicyARN"] = []string{arn}
	}
	if arn := form.Get("PermissionsBoundary"); arn != "" {
		keys["iam:PermissionsBoundary"] = []string{arn}
		return keys
	}
	if ra := authzReference()["iam:"+action]; ra == nil || !slices.Contains(ra.keys, "iam:PermissionsBoundary") {
		return keys
	}
	var arn string
	switch {
	case form.Get("RoleName") != "":
		arn = boundaryOf("role", form.Get("RoleName"))
	case form.Get("UserName") != "":
		arn = boundaryOf("user", form.Get("UserName"))
	}
	if arn != "" {
		keys["iam:PermissionsBoundary"] = []string{arn}
	}
	return keys
}

// iamImplicitUser sets UserName to the caller's own user for the actions
// that act on it when UserName is left out (IAM infers it from the
// credentials), so that they are authorized on that user. It reports
// whether it set it.
func iamImplicitUser(action string, form url.Values, p *principal) (bool, *apiError) {
	switch action {
	case "GetUser", "CreateAccessKey", "ListAccessKeys", "DeleteAccessKey", "ListMFADevices":
	default:
		return false, nil
	}
	if form.Get("UserName") != "" {
		return false, nil
	}
	if p.Kind != "user" {
		return false, &apiError{http.StatusBadRequest, "ValidationError", "Must specify userName when calling with non-User credentials"}
	}
	form.Set("UserName", p.UserName)
	return true, nil
}

func (g *gateway) serveIAM(c *call) {
	form, err := url.ParseQuery(string(c.body))
	if err != nil {
		g.fail(c, http.StatusBadRequest, "MalformedQueryString", err.Error())
		return
	}
	p := c.principal()
	action := form.Get("Action")
	if p.Kind == "user" && c.cred.Token != "" && !p.MFA {
		// AWS refuses IAM calls made with GetSessionToken credentials
		// unless they were obtained with MFA.
		g.fail(c, http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid")
		return
	}
	if set, e := iamImplicitUser(action, form, p); e != nil {
		g.failWith(c, e)
		return
	} else if set {
		// kumo (and serveMFA) are told too: they do not infer the user
		// from the request.
		c.body = []byte(form.Encode())
	}
	if msg := validateIAM(action, form); msg != "" {
		g.fail(c, http.StatusBadRequest, "ValidationError", msg)
		return
	}
	ar := iamAuthzRequest(p.Account, action, form, iamLookup{
		path:     func(kind, name string) (string, bool) { return g.entityPath(c.r.Context(), p.Account, kind, name) },
		boundary: func(kind, name string) string { return g.boundaryOf(p.Account, kind+"/"+name) },
	})
	resource := ar.resource
	res, err := g.authorize(c.r.Context(), c, ar)
	if err != nil {
		g.fail(c, http.StatusInternalServerError, "ServiceFailure", err.Error())
		return
	}
	if res.Decision != iampolicy.Allowed {
		g.deny(c, "iam:"+action, resource, res)
		return
	}
	if !strings.HasPrefix(action, "Get") && !strings.HasPrefix(action, "List") {
		defer g.cache.bumpIAM(p.Account)
		defer afterSuccess(c, func() { g.prop.touch(p.Account, changedEntities(action, form)...) })()
	}
	if g.serveIAMLocal(c, p.Account, action, form) || g.serveIAMList(c, p.Account, action, form) || g.serveManagedPolicy(c, p.Account, action, form) ||
		g.servePolicyVersions(c, p.Account, action, form) || g.serveMFA(c, p.Account, action, form) {
		return
	}
	b := g.sb.accounts[p.Account]
	switch action {
	case "DeleteRole":
		if msg := g.roleDeleteConflict(c.r.Context(), p.Account, form.Get("RoleName")); msg != "" {
			g.fail(c, http.StatusConflict, "DeleteConflict", msg)
			return
		}
	case "DeletePolicy":
		var n int
		g.st.view(func() { n = g.st.account(p.Account).localAttachments(form.Get("PolicyArn")) })
		if n > 0 {
			g.fail(c, http.StatusConflict, "DeleteConflict", "Cannot delete a policy attached to entities.")
			return
		}
		if g.policyVersionCount(p.Account, form.Get("PolicyArn")) > 1 {
			g.fail(c, http.StatusConflict, "DeleteConflict", "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
			return
		}
	case "DeleteUser":
		if msg := g.userDeleteConflict(p.Account, form.Get("UserName")); msg != "" {
			g.fail(c, http.StatusConflict, "DeleteConflict", msg)
			return
		}
	case "CreatePolicy":
		if _, err := iampolicy.ParseEncoded(form.Get("PolicyDocument"), iampolicy.Identity); err != nil {
			g.fail(c, http.StatusBadRequest, "MalformedPolicyDocument", err.Error())
			return
		}
	case "PutRolePolicy":
		if _, err := iampolicy.ParseEncoded(form.Get("PolicyDocument"), iampolicy.Identity); err != nil {
			g.fail(c, http.StatusBadRequest, "MalformedPolicyDocument", err.Error())
			return
		}
	case "CreateRole", "UpdateAssumeRolePolicy":
		doc := form.Get("AssumeRolePolicyDocument")
		if action == "UpdateAssumeRolePolicy" {
			doc = form.Get("PolicyDocument")
		}
		if _, err := iampolicy.ParseEncoded(doc, iampolicy.Trust); err != nil {
			g.fail(c, http.StatusBadRequest, "MalformedPolicyDocument", err.Error())
			return
		}
	}
	if action == "CreateAccessKey" && g.accessKeysOf(p.Account, form.Get("UserName")) >= 2 {
		g.fail(c, http.StatusConflict, "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2")
		return
	}
	if action == "CreateUser" || action == "CreateRole" {
		if msg := g.nameTaken(c.r.Context(), p.Account, action, form); msg != "" {
			g.fail(c, http.StatusConflict, "EntityAlreadyExists", msg)
			return
		}
	}
	if arn := form.Get("PermissionsBoundary"); arn != "" && (action == "CreateRole" || action == "CreateUser") {
		var ok bool
		g.st.view(func() { _, ok = g.st.account(p.Account).managedDoc(arn) })
		if !ok {
			g.fail(c, http.StatusNotFound, "NoSuchEntity", fmt.Sprintf("Scope ARN: %s does not exist or is not attachable.", arn))
			return
		}
	}
	status, body, h, err := g.proxy(c, b, rewriteIAM)
	if err != nil {
		g.fail(c, http.StatusInternalServerError, "InternalError", "sandbox: "+b.name+" account: "+err.Error())
		return
	}
	if status/100 == 2 {
		// kumo knows nothing of permissions boundaries: add the role's or
		// the user's.
		var elem, boundary string
		switch action {
		case "GetRole", "GetUser":
			elem = strings.TrimPrefix(action, "Get")
			boundary = g.boundaryOf(p.Account, strings.ToLower(elem)+"/"+form.Get(elem+"Name"))
		case "CreateRole", "CreateUser":
			elem, boundary = strings.TrimPrefix(action, "Create"), form.Get("PermissionsBoundary")
		}
		if boundary != "" {
			body = bytes.Replace(body, []byte("</"+elem+">"), []byte("<PermissionsBoundary><PermissionsBoundaryType>PermissionsBoundaryPolicy</PermissionsBoundaryType><PermissionsBoundaryArn>"+
				xmlEscape(boundary)+"</PermissionsBoundaryArn></PermissionsBoundary></"+elem+">"), 1)
		}
	}
	// kumo's unique IDs are UUID pieces; callers see AWS-shaped ones.
	body = rewriteIDs(body)
	g.relay(c, status, body, h)
	if status/100 != 2 {
		return
	}
	switch action {
	case "CreateRole":
		if arn := form.Get("PermissionsBoundary"); arn != "" {
			_ = g.st.update(func() error { g.st.account(p.Account).Boundaries["role/"+form.Get("RoleName")] = arn; return nil })
		}
	case "CreateUser":
		if arn := form.Get("PermissionsBoundary"); arn != "" {
			_ = g.st.update(func() error { g.st.account(p.Account).Boundaries["user/"+form.Get("UserName")] = arn; return nil })
		}
	case "DeleteRole", "DeleteUser":
		kind := map[string]string{"DeleteRole": "role/" + form.Get("RoleName"), "DeleteUser": "user/" + form.Get("UserName")}[action]
		_ = g.st.update(func() error {
			delete(g.st.account(p.Account).Boundaries, kind)
			if action == "DeleteUser" {
				// The user's temporary credentials (GetSessionToken) go with it.
				for id, cr := range g.st.Creds {
					if cr.Principal.Kind == "user" && cr.Principal.Account == p.Account && cr.Principal.UserName == form.Get("UserName") {
						delete(g.st.Creds, id)
					}
				}
			}
			return nil
		})
	case "CreateAccessKey":
		g.learnAccessKey(c, b, body)
	case "DeleteAccessKey":
		_ = g.st.update(func() error { delete(g.st.Creds, form.Get("AccessKeyId")); return nil })
	case "CreatePolicy":
		var out struct {
			Arn string `xml:"CreatePolicyResult>Policy>Arn"`
		}
		if xml.Unmarshal(body, &out) == nil && out.Arn != "" {
			_ = g.st.update(func() error { g.st.account(p.Account).Managed[out.Arn] = form.Get("PolicyDocument"); return nil })
		}
	case "DeletePolicy":
		_ = g.st.update(func() error {
			as := g.st.account(p.Account)
			delete(as.Managed, form.Get("PolicyArn"))
			delete(as.PolicyVersions, form.Get("PolicyArn"))
			return nil
		})
	}
}

// learnAccessKey registers a key kumo just created, so that requests signed
// with it are accepted.
func (g *gateway) learnAccessKey(c *call, b *backend, body []byte) {
	var out struct {
		UserName string `xml:"CreateAccessKeyResult>AccessKey>UserName"`
		ID       string `xml:"CreateAccessKeyResult>AccessKey>AccessKeyId"`
		Secret   string `xml:"CreateAccessKeyResult>AccessKey>SecretAccessKey"`
	}
	if err := xml.Unmarshal(body, &out); err != nil || out.ID == "" {
		g.sb.logf("sandbox: could not read CreateAccessKey response: %v", err)
		return
	}
	u, err := b.iam.GetUser(c.r.Context(), &iam.GetUserInput{UserName: aws.String(out.UserName)})
	if err != nil {
		g.sb.logf("sandbox: user %s of a new access key: %v", out.UserName, err)
		return
	}
	_ = g.st.update(func() error {
		g.st.Creds[out.ID] = &credential{AccessKey: out.ID, Secret: out.Secret, Principal: principal{
			Account:  b.id,
			ARN:      strings.ReplaceAll(aws.ToString(u.User.Arn), kumoIAMAccount, b.id),
			Kind:     "user",
			UserName: out.UserName,
			UserID:   awsID(aws.ToString(u.User.UserId)),
		}}
		return nil
	})
}

// accessKeysOf counts a user's access keys (IAM allows two).
func (g *gateway) accessKeysOf(account, user string) int {
	n := 0
	g.st.view(func() {
		for _, cr := range g.st.Creds {
			if cr.Principal.Kind == "user" && cr.Principal.Account == account && cr.Principal.UserName == user && cr.Token == "" {
				n++
			}
		}
	})
	return n
}

func (g *gateway) userDeleteConflict(account, user string) string {
	var msg string
	g.st.view(func() {
		as := g.st.account(account)
		switch {
		case len(as.groupsOf(user)) > 0:
			msg = "Cannot delete entity, must remove users from group first."
		case len(as.UserPolicies[user]) > 0 || len(as.UserAttached[user]) > 0:
			msg = "Cannot delete entity, must delete policies first."
		default:
			for _, cr := range g.st.Creds {
				if cr.Principal.Kind == "user" && cr.Principal.Account == account && cr.Principal.UserName == user && cr.Token == "" {
					msg = "Cannot delete entity, must delete access keys first."
				}
			}
		}
	})
	return msg
}

type xmlGroup struct {
	Path       string `xml:"Path"`
	GroupName  string `xml:"GroupName"`
	GroupID    string `xml:"GroupId"`
	Arn        string `xml:"Arn"`
	CreateDate string `xml:"CreateDate"`
}

func groupXML(account string, gr *group) xmlGroup {
	return xmlGroup{Path: gr.Path, GroupName: gr.Name, GroupID: gr.ID, Arn: "arn:aws:iam::" + account + ":group" + gr.Path + gr.Name,
		CreateDate: gr.Created.UTC().Format(time.RFC3339)}
}

func marshalXML(v any) string {
	b, _ := xml.Marshal(v)
	return string(b)
}

// serveIAMLocal answers the IAM actions kumo lacks (groups, user inline
// policies). It reports whether it handled the action.
func (g *gateway) serveIAMLocal(c *call, account, action string, form url.Values) bool {
	b := g.sb.accounts[account]
	groupName, userName, policyName := form.Get("GroupName"), form.Get("UserName"), form.Get("PolicyName")
	notFound := func(what, name string) {
		g.fail(c, http.StatusNotFound, "NoSuchEntity", fmt.Sprintf("The %s with name %s cannot be found.", what, name))
	}
	userExists := func() bool {
		_, err := b.iam.GetUser(c.r.Context(), &iam.GetUserInput{UserName: aws.String(userName)})
		if err != nil {
			notFound("user", userName)
			return false
		}
		return true
	}
	ok := func(result string) { writeQuery(c, iamNS, action, result) }
	checkDoc := func() bool {
		if _, err := iampolicy.ParseEncoded(form.Get("PolicyDocument"), iampolicy.Identity); err != nil {
			g.fail(c, http.StatusBadRequest, "MalformedPolicyDocument", err.Error())
			return false
		}
		return true
	}
	switch action {
	case "CreateGroup":
		if !iamNameRE.MatchString(groupName) {
			g.fail(c, http.StatusBadRequest, "ValidationError", "GroupName must match [\\w+=,.@-]{1,128}")
			return true
		}
		path := form.Get("Path")
		if path == "" {
			path = "/"
		}
		var gr *group
		err := g.st.update(func() error {
			as := g.st.account(account)
			for n := range as.Groups {
				if strings.EqualFold(n, groupName) { // IAM names ignore case
					return fmt.Errorf("exists")
				}
			}
			gr = &group{Name: groupName, Path: path, ID: "AGPA" + b32.EncodeToString(randomBytes(10)), Created: time.Now().UTC().Truncate(time.Second), Policies: map[string]string{}}
			as.Groups[groupName] = gr
			return nil
		})
		if err != nil {
			g.fail(c, http.StatusConflict, "EntityAlreadyExists", fmt.Sprintf("Group with name %s already exists.", groupName))
			return true
		}
		ok("<Group>" + inner(marshalXML(groupXML(account, gr))) + "</Group>")
	case "GetGroup":
		var gr *group
		g.st.view(func() {
			if x := g.st.account(account).Groups[groupName]; x != nil {
				cp := *x
				cp.Members = append([]string(nil), x.Members...)
				gr = &cp
			}
		})
		if gr == nil {
			notFound("group", groupName)
			return true
		}
		members, marker, err := pageByName(gr.Members, func(m string) string { return m }, form)
		if err != nil {
			g.fail(c, http.StatusBadRequest, "ValidationError", err.Error())
			return true
		}
		var users strings.Builder
		for _, m := range members {
			u, err := b.iam.GetUser(c.r.Context(), &iam.GetUserInput{UserName: aws.String(m)})
			if err != nil {
				continue
			}
			users.WriteString(fmt.Sprintf("<member><Path>%s</Path><UserName>%s</UserName><UserId>%s</UserId><Arn>%s</Arn><CreateDate>%s</CreateDate></member>",
				xmlEscape(aws.ToString(u.User.Path)), xmlEscape(m), xmlEscape(awsID(aws.ToString(u.User.UserId))),
				xmlEscape(strings.ReplaceAll(aws.ToString(u.User.Arn), kumoIAMAccount, account)), aws.ToTime(u.User.CreateDate).UTC().Format(time.RFC3339)))
		}
		ok("<Group>" + inner(marshalXML(groupXML(account, gr))) + "</Group><Users>" + users.String() + "</Users>" + listResult(marker))
	case "ListGroupsForUser":
		if !userExists() {
			return true
		}
		var list []xmlGroup
		g.st.view(func() {
			for _, gr := range g.st.account(account).groupsOf(userName) {
				list = append(list, groupXML(account, gr))
			}
		})
		page, marker, err := pageByName(list, func(x xmlGroup) string { return x.GroupName }, form)
		if err != nil {
			g.fail(c, http.StatusBadRequest, "ValidationError", err.Error())
			return true
		}
		var members strings.Builder
		for _, x := range page {
			members.WriteString("<member>" + inner(marshalXML(x)) + "</member>")
		}
		ok("<Groups>" + members.String() + "</Groups>" + listResult(marker))
	case "DeleteGroup":
		err := g.st.update(func() error {
			as := g.st.account(account)
			gr := as.Groups[groupName]
			switch {
			case gr == nil:
				return errNotFound
			case len(gr.Members) > 0:
				return awsMessage("Cannot delete entity, must remove users from group first.")
			case len(gr.Policies) > 0 || len(gr.Attached) > 0:
				return awsMessage("Cannot delete entity, must delete policies first.")
			}
			delete(as.Groups, groupName)
			return nil
		})
		switch {
		case err == errNotFound:
			notFound("group", groupName)
		case err != nil:
			g.fail(c, http.StatusConflict, "DeleteConflict", err.Error())
		default:
			ok("")
		}
	case "PutGroupPolicy", "PutUserPolicy":
		if !checkDoc() {
			return true
		}
		if action == "PutUserPolicy" && !userExists() {
			return true
		}
		doc, _ := iampolicy.DecodeDocument(form.Get("PolicyDocument"))
		err := g.st.update(func() error {
			as := g.st.account(account)
			if action == "PutUserPolicy" {
				if as.UserPolicies[userName] == nil {
					as.UserPolicies[userName] = map[string]string{}
				}
				as.UserPolicies[userName][policyName] = doc
				return nil
			}
			gr := as.Groups[groupName]
			if gr == nil {
				return errNotFound
			}
			gr.Policies[policyName] = doc
			return nil
		})
		if err == errNotFound {
			notFound("group", groupName)
			return true
		}
		ok("")
	case "GetGroupPolicy", "GetUserPolicy", "DeleteGroupPolicy", "DeleteUserPolicy", "ListGroupPolicies", "ListUserPolicies":
		isUser := strings.Contains(action, "User")
		if isUser && !userExists() {
			return true
		}
		var policies map[string]string
		var found bool
		err := g.st.update(func() error {
			as := g.st.account(account)
			if isUser {
				policies, found = as.UserPolicies[userName], true
			} else if gr := as.Groups[groupName]; gr != nil {
				policies, found = gr.Policies, true
			}
			if found && strings.HasPrefix(action, "Delete") {
				if _, ok := policies[policyName]; !ok {
					return errNotFound
				}
				delete(policies, policyName)
			}
			return nil
		})
		if !found {
			notFound("group", groupName)
			return true
		}
		if err == errNotFound {
			notFound("policy", policyName)
			return true
		}
		owner := "<GroupName>" + xmlEscape(groupName) + "</GroupName>"
		if isUser {
			owner = "<UserName>" + xmlEscape(userName) + "</UserName>"
		}
		switch {
		case strings.HasPrefix(action, "Delete"):
			ok("")
		case strings.HasPrefix(action, "List"):
			var all []string
			g.st.view(func() { all = slices.Collect(maps.Keys(policies)) })
			page, marker, err := pageByName(all, func(n string) string { return n }, form)
			if err != nil {
				g.fail(c, http.StatusBadRequest, "ValidationError", err.Error())
				return true
			}
			var names strings.Builder
			for _, n := range page {
				names.WriteString("<member>" + xmlEscape(n) + "</member>")
			}
			ok("<PolicyNames>" + names.String() + "</PolicyNames>" + listResult(marker))
		default:
			var doc string
			var has bool
			g.st.view(func() { doc, has = policies[policyName] })
			if !has {
				notFound("policy", policyName)
				return true
			}
			ok(owner + "<PolicyName>" + xmlEscape(policyName) + "</PolicyName><PolicyDocument>" + xmlEscape(encodeDocument(doc)) + "</PolicyDocument>")
		}
	case "AttachGroupPolicy", "DetachGroupPolicy", "AttachUserPolicy", "DetachUserPolicy":
		isUser := strings.Contains(action, "User")
		if isUser && !userExists() {
			return true
		}
		arn := form.Get("PolicyArn")
		err := g.st.update(func() error {
			as := g.st.account(account)
			if _, ok := as.managedDoc(arn); !ok {
				return fmt.Errorf("policy")
			}
			var list *[]string
			if isUser {
				l := as.UserAttached[userName]
				list = &l
				defer func() { as.UserAttached[userName] = *list }()
			} else {
				gr := as.Groups[groupName]
				if gr == nil {
					return errNotFound
				}
				list = &gr.Attached
			}
			kept := []string{}
			found := false
			for _, a := range *list {
				if a == arn {
					found = true
					continue
				}
				kept = append(kept, a)
			}
			if strings.HasPrefix(action, "Attach") {
				kept = append(kept, arn)
			} else if !found {
				return fmt.Errorf("attachment")
			}
			*list = kept
			return nil
		})
		switch {
		case err == errNotFound:
			notFound("group", groupName)
		case err != nil && err.Error() == "policy":
			g.fail(c, http.StatusNotFound, "NoSuchEntity", fmt.Sprintf("Policy %s does not exist or is not attachable.", arn))
		case err != nil:
			g.fail(c, http.StatusNotFound, "NoSuchEntity", fmt.Sprintf("Policy %s was not found.", arn))
		default:
			ok("")
		}
	case "ListAttachedGroupPolicies", "ListAttachedUserPolicies":
		isUser := strings.Contains(action, "User")
		if isUser && !userExists() {
			return true
		}
		var arns []string
		found := true
		g.st.view(func() {
			as := g.st.account(account)
			if isUser {
				arns = as.UserAttached[userName]
			} else if gr := as.Groups[groupName]; gr != nil {
				arns = gr.Attached
			} else {
				found = false
			}
		})
		if !found {
			notFound("group", groupName)
			return true
		}
		policyName := func(arn string) string { return arn[strings.LastIndexByte(arn, '/')+1:] }
		arns = slices.DeleteFunc(slices.Clone(arns), func(a string) bool { return !strings.HasPrefix(policyPath(a), pathPrefix(form)) })
		page, marker, err := pageByName(arns, policyName, form)
		if err != nil {
			g.fail(c, http.StatusBadRequest, "ValidationError", err.Error())
			return true
		}
		var members strings.Builder
		for _, a := range page {
			members.WriteString("<member><PolicyName>" + xmlEscape(policyName(a)) + "</PolicyName><PolicyArn>" + xmlEscape(a) + "</PolicyArn></member>")
		}
		ok("<AttachedPolicies>" + members.String() + "</AttachedPolicies>" + listResult(marker))
	case "PutRolePermissionsBoundary", "DeleteRolePermissionsBoundary", "PutUserPermissionsBoundary", "DeleteUserPermissionsBoundary":
		key := "role/" + form.Get("RoleName")
		if strings.Contains(action, "User") {
			if !userExists() {
				return true
			}
			key = "user/" + userName
		} else if _, err := b.iam.GetRole(c.r.Context(), &iam.GetRoleInput{RoleName: aws.String(form.Get("RoleName"))}); err != nil {
			notFound("role", form.Get("RoleName"))
			return true
		}
		arn := form.Get("PermissionsBoundary")
		err := g.st.update(func() error {
			as := g.st.account(account)
			if strings.HasPrefix(action, "Delete") {
				delete(as.Boundaries, key)
				return nil
			}
			if _, ok := as.managedDoc(arn); !ok {
				return errNotFound
			}
			as.Boundaries[key] = arn
			return nil
		})
		if err != nil {
			g.fail(c, http.StatusNotFound, "NoSuchEntity", fmt.Sprintf("Policy %s does not exist or is not attachable.", arn))
			return true
		}
		ok("")
	case "AddUserToGroup", "RemoveUserFromGroup":
		if !userExists() {
			return true
		}
		err := g.st.update(func() error {
			gr := g.st.account(account).Groups[groupName]
			if gr == nil {
				return errNotFound
			}
			var kept []string
			for _, m := range gr.Members {
				if m != userName {
					kept = append(kept, m)
				}
			}
			if action == "AddUserToGroup" {
				kept = append(kept, userName)
			}
			gr.Members = kept
			return nil
		})
		if err == errNotFound {
			notFound("group", groupName)
			return true
		}
		ok("")
	default:
		return false
	}
	return true
}

var errNotFound = fmt.Errorf("not found")

// awsMessage is an error whose text is AWS's own message, sent to the caller
// as it is.
type awsMessage string

func (m awsMessage) Error() string { return string(m) }

func pathPrefix(form url.Values) string {
	if p := form.Get("PathPrefix"); p != "" {
		return p
	}
	return "/"
}

// inner strips the outer element of a marshalled struct.
func inner(s string) string {
	i := strings.IndexByte(s, '>')
	j := strings.LastIndexByte(s, '<')
	if i < 0 || j <= i {
		return s
	}
	return s[i+1 : j]
}

// boundaryOf is the policy ARN of an identity's permissions boundary ("" for
// none); key is "role/NAME" or "user/NAME".
func (g *gateway) boundaryOf(account, key string) string {
	var arn string
	g.st.view(func() { arn = g.st.account(account).Boundaries[key] })
	return arn
}
