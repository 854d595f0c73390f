package e2e

// GetAccountAuthorizationDetails driven by the AWS CLI v2 and by
// aws-sdk-go-v2's paginator (issues 13, 14): every entity, document,
// membership and attachment made in one account comes back, whatever the
// page size, and the filter and authorization hold.

import (
	"context"
	"encoding/json"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// authzWorld is what the test made, by name, and what it expects back.
type authzWorld struct {
	path        string
	users       map[string]authzExpect // user name -> expectations
	groups      map[string]authzExpect
	roles       map[string]authzExpect
	policies    map[string][]string // customer policy ARN -> documents, oldest version first
	awsAttached []string            // AWS-managed policy ARNs the test attached
}

type authzExpect struct {
	inline   map[string]string // policy name -> document
	attached []string          // policy ARNs, sorted
	members  []string          // a user's groups or a group's users, sorted
	boundary string
	tags     map[string]string
	trust    string
}

func authzDoc(action, resource string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"` + action + `","Resource":"` + resource + `"}]}`
}

// makeAuthzWorld creates, in the Development account, three users, two
// groups with members and inline policies, two roles with inline policies,
// customer and AWS-managed policies attached, boundaries and tags.
func makeAuthzWorld(t *testing.T, dev *client) authzWorld {
	t.Helper()
	ctx := context.Background()
	id := uniq(t, "authz")
	w := authzWorld{path: "/" + id + "/", users: map[string]authzExpect{}, groups: map[string]authzExpect{}, roles: map[string]authzExpect{}, policies: map[string][]string{}}
	name := func(s string) string { return id + "-" + s }
	// Spaces and pluses survive URL encoding only if it is RFC 3986's.
	docs := map[string]string{}
	for _, n := range []string{"alice", "readers", "writers", "fn", "cross-a", "cross-b", "cp1", "cp2", "bp"} {
		docs[n] = authzDoc("s3:GetObject", "arn:aws:s3:::"+id+"/"+n+" a+b/*")
	}
	createPolicy := func(n, doc string) string {
		p := must(dev.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(name(n)), Path: aws.String(w.path), PolicyDocument: aws.String(doc)}))(t)
		return aws.ToString(p.Policy.Arn)
	}
	cp := createPolicy("cp", docs["cp1"])
	must(dev.iam.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(cp), PolicyDocument: aws.String(docs["cp2"]), SetAsDefault: true}))(t)
	bp := createPolicy("bp", docs["bp"])
	w.policies[cp] = []string{docs["cp1"], docs["cp2"]}
	w.policies[bp] = []string{docs["bp"]}
	readOnly, basic := "arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
	w.awsAttached = []string{readOnly, basic}

	alice, bob, carol := name("alice"), name("bob"), name("carol")
	for _, u := range []string{alice, bob, carol} {
		in := &iam.CreateUserInput{UserName: aws.String(u), Path: aws.String(w.path)}
		if u == carol {
			in.Tags = []types.Tag{{Key: aws.String("team"), Value: aws.String("data eng")}}
		}
		must(dev.iam.CreateUser(ctx, in))(t)
	}
	must(dev.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(alice), PolicyName: aws.String("alice-inline"), PolicyDocument: aws.String(docs["alice"])}))(t)
	must(dev.iam.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(alice), PolicyArn: aws.String(cp)}))(t)
	must(dev.iam.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String(bob), PermissionsBoundary: aws.String(bp)}))(t)

	readers, writers := name("readers"), name("writers")
	for _, g := range []string{readers, writers} {
		must(dev.iam.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(g), Path: aws.String(w.path)}))(t)
	}
	for g, users := range map[string][]string{readers: {alice, bob}, writers: {carol}} {
		for _, u := range users {
			must(dev.iam.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String(g), UserName: aws.String(u)}))(t)
		}
	}
	must(dev.iam.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String(readers), PolicyName: aws.String("readers-inline"), PolicyDocument: aws.String(docs["readers"])}))(t)
	must(dev.iam.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String(writers), PolicyName: aws.String("writers-inline"), PolicyDocument: aws.String(docs["writers"])}))(t)
	must(dev.iam.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String(readers), PolicyArn: aws.String(readOnly)}))(t)

	fn, cross := name("fn"), name("cross")
	lambdaTrust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	crossTrust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + prodID + `:root"},"Action":"sts:AssumeRole"}]}`
	must(dev.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(fn), Path: aws.String(w.path), AssumeRolePolicyDocument: aws.String(lambdaTrust),
		Tags: []types.Tag{{Key: aws.String("owner"), Value: aws.String("a+b c")}}}))(t)
	must(dev.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(cross), Path: aws.String(w.path), AssumeRolePolicyDocument: aws.String(crossTrust),
		PermissionsBoundary: aws.String(bp)}))(t)
	must(dev.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(fn), PolicyName: aws.String("fn-inline"), PolicyDocument: aws.String(docs["fn"])}))(t)
	for _, n := range []string{"cross-a", "cross-b"} {
		must(dev.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(cross), PolicyName: aws.String(n), PolicyDocument: aws.String(docs[n])}))(t)
	}
	for _, arn := range []string{cp, basic} {
		must(dev.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(fn), PolicyArn: aws.String(arn)}))(t)
	}

	w.users[alice] = authzExpect{inline: map[string]string{"alice-inline": docs["alice"]}, attached: []string{cp}, members: []string{readers}}
	w.users[bob] = authzExpect{members: []string{readers}, boundary: bp}
	w.users[carol] = authzExpect{members: []string{writers}, tags: map[string]string{"team": "data eng"}}
	w.groups[readers] = authzExpect{inline: map[string]string{"readers-inline": docs["readers"]}, attached: []string{readOnly}, members: []string{alice, bob}}
	w.groups[writers] = authzExpect{inline: map[string]string{"writers-inline": docs["writers"]}, members: []string{carol}}
	w.roles[fn] = authzExpect{inline: map[string]string{"fn-inline": docs["fn"]}, attached: sorted(cp, basic), tags: map[string]string{"owner": "a+b c"}, trust: lambdaTrust}
	w.roles[cross] = authzExpect{inline: map[string]string{"cross-a": docs["cross-a"], "cross-b": docs["cross-b"]}, boundary: bp, trust: crossTrust}
	return w
}

func sorted(s ...string) []string { slices.Sort(s); return s }

// authzSeen is one entity as a client returned it, in the test's terms.
type authzSeen struct {
	kind, name string
	path       string
	e          authzExpect
	versions   []string // a policy's documents, oldest first
	defaultVer string
	attachCnt  int
	boundUses  int
}

// sameDoc tells whether a returned document is the one put: a string is
// URL-decoded (RFC 3986), a JSON object (the CLI decodes) taken as it is.
func sameDoc(got, want string) bool {
	if d, err := url.PathUnescape(got); err == nil && strings.HasPrefix(strings.TrimSpace(got), "%7B") {
		got = d
	}
	var g, w any
	if json.Unmarshal([]byte(got), &g) != nil || json.Unmarshal([]byte(want), &w) != nil {
		return false
	}
	return reflect.DeepEqual(g, w)
}

// checkAuthz compares what a client saw with the world, for the kinds it
// asked for, and wants nothing seen twice.
func checkAuthz(t *testing.T, client string, w authzWorld, seen []authzSeen, kinds ...string) {
	t.Helper()
	count := map[string]int{}
	got := map[string]authzSeen{}
	for _, s := range seen {
		count[s.kind+" "+s.name]++
		got[s.kind+" "+s.name] = s
	}
	for k, n := range count {
		if n > 1 {
			t.Errorf("%s: %s returned %d times", client, k, n)
		}
	}
	want := map[string]map[string]authzExpect{"user": w.users, "group": w.groups, "role": w.roles}
	for _, kind := range kinds {
		for name, e := range want[kind] {
			if kind == "group" && !slices.Contains(kinds, "user") {
				e.members = nil // known only from the users' GroupList
			}
			s, ok := got[kind+" "+name]
			if !ok {
				t.Errorf("%s: %s %s missing", client, kind, name)
				continue
			}
			if s.path != w.path || !slices.Equal(s.e.attached, e.attached) || !slices.Equal(s.e.members, e.members) || s.e.boundary != e.boundary ||
				len(s.e.tags) != len(e.tags) || !reflect.DeepEqual(s.e.tags, e.tags) && len(e.tags) > 0 {
				t.Errorf("%s: %s %s = %+v, want %+v", client, kind, name, s.e, e)
			}
			if len(s.e.inline) != len(e.inline) {
				t.Errorf("%s: %s %s inline policies %v, want %v", client, kind, name, s.e.inline, e.inline)
			}
			for pn, doc := range e.inline {
				if !sameDoc(s.e.inline[pn], doc) {
					t.Errorf("%s: %s %s policy %s = %s, want %s", client, kind, name, pn, s.e.inline[pn], doc)
				}
			}
			if kind == "role" && !sameDoc(s.e.trust, e.trust) {
				t.Errorf("%s: role %s trust %s, want %s", client, name, s.e.trust, e.trust)
			}
		}
		if kind != "LocalManagedPolicy" && kind != "AWSManagedPolicy" {
			continue
		}
		for _, s := range seen {
			if s.kind == "policy" && strings.HasPrefix(s.name, "arn:aws:iam::aws:") && s.attachCnt == 0 {
				t.Errorf("%s: AWS-managed %s listed with no attachment", client, s.name)
			}
		}
		if kind == "AWSManagedPolicy" {
			for _, arn := range w.awsAttached {
				if s, ok := got["policy "+arn]; !ok || len(s.versions) != 1 {
					t.Errorf("%s: attached AWS-managed policy %s = %+v (listed %v)", client, arn, s, ok)
				}
			}
			continue
		}
		for arn, docs := range w.policies {
			s, ok := got["policy "+arn]
			if !ok {
				t.Errorf("%s: policy %s missing", client, arn)
				continue
			}
			if len(s.versions) != len(docs) || s.defaultVer != "v"+string(rune('0'+len(docs))) {
				t.Errorf("%s: policy %s has %d versions, default %s; want %d, v%d", client, arn, len(s.versions), s.defaultVer, len(docs), len(docs))
				continue
			}
			for i, d := range docs {
				if !sameDoc(s.versions[i], d) {
					t.Errorf("%s: policy %s v%d = %s, want %s", client, arn, i+1, s.versions[i], d)
				}
			}
		}
	}
}

// sdkAuthz pages with aws-sdk-go-v2's paginator and returns what it saw
// under the world's path (and every AWS-managed policy), and how many pages.
func sdkAuthz(t *testing.T, c *client, w authzWorld, maxItems int32, filter ...types.EntityType) ([]authzSeen, int) {
	t.Helper()
	p := iam.NewGetAccountAuthorizationDetailsPaginator(c.iam, &iam.GetAccountAuthorizationDetailsInput{MaxItems: aws.Int32(maxItems), Filter: filter})
	var seen []authzSeen
	pages := 0
	inline := func(list []types.PolicyDetail) map[string]string {
		m := map[string]string{}
		for _, p := range list {
			m[aws.ToString(p.PolicyName)] = aws.ToString(p.PolicyDocument)
		}
		return m
	}
	attached := func(list []types.AttachedPolicy) []string {
		var out []string
		for _, a := range list {
			out = append(out, aws.ToString(a.PolicyArn))
		}
		return sorted(out...)
	}
	tags := func(list []types.Tag) map[string]string {
		m := map[string]string{}
		for _, x := range list {
			m[aws.ToString(x.Key)] = aws.ToString(x.Value)
		}
		return m
	}
	boundary := func(b *types.AttachedPermissionsBoundary) string {
		if b == nil {
			return ""
		}
		return aws.ToString(b.PermissionsBoundaryArn)
	}
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if n := len(out.UserDetailList) + len(out.GroupDetailList) + len(out.RoleDetailList) + len(out.Policies); out.IsTruncated && n != int(maxItems) {
			t.Fatalf("truncated page %d has %d entities, want %d", pages, n, maxItems)
		}
		for _, u := range out.UserDetailList {
			seen = append(seen, authzSeen{kind: "user", name: aws.ToString(u.UserName), path: aws.ToString(u.Path),
				e: authzExpect{inline: inline(u.UserPolicyList), attached: attached(u.AttachedManagedPolicies), members: sorted(u.GroupList...), boundary: boundary(u.PermissionsBoundary), tags: tags(u.Tags)}})
		}
		for _, g := range out.GroupDetailList {
			seen = append(seen, authzSeen{kind: "group", name: aws.ToString(g.GroupName), path: aws.ToString(g.Path),
				e: authzExpect{inline: inline(g.GroupPolicyList), attached: attached(g.AttachedManagedPolicies)}})
		}
		for _, r := range out.RoleDetailList {
			seen = append(seen, authzSeen{kind: "role", name: aws.ToString(r.RoleName), path: aws.ToString(r.Path),
				e: authzExpect{inline: inline(r.RolePolicyList), attached: attached(r.AttachedManagedPolicies), boundary: boundary(r.PermissionsBoundary), tags: tags(r.Tags),
					trust: aws.ToString(r.AssumeRolePolicyDocument)}})
		}
		for _, pol := range out.Policies {
			s := authzSeen{kind: "policy", name: aws.ToString(pol.Arn), path: aws.ToString(pol.Path), defaultVer: aws.ToString(pol.DefaultVersionId),
				attachCnt: int(aws.ToInt32(pol.AttachmentCount)), boundUses: int(aws.ToInt32(pol.PermissionsBoundaryUsageCount))}
			versions := slices.Clone(pol.PolicyVersionList)
			slices.SortFunc(versions, func(a, b types.PolicyVersion) int {
				return strings.Compare(aws.ToString(a.VersionId), aws.ToString(b.VersionId))
			})
			for _, v := range versions {
				s.versions = append(s.versions, aws.ToString(v.Document))
				if v.IsDefaultVersion != (aws.ToString(v.VersionId) == s.defaultVer) {
					t.Errorf("policy %s version %s: IsDefaultVersion %v, default %s", s.name, aws.ToString(v.VersionId), v.IsDefaultVersion, s.defaultVer)
				}
			}
			seen = append(seen, s)
		}
	}
	// Group members are known from the users' GroupList.
	members := map[string][]string{}
	for _, s := range seen {
		if s.kind == "user" {
			for _, g := range s.e.members {
				members[g] = append(members[g], s.name)
			}
		}
	}
	for i := range seen {
		if seen[i].kind == "group" {
			seen[i].e.members = sorted(members[seen[i].name]...)
		}
	}
	return onlyWorld(seen, w), pages
}

// onlyWorld keeps what the test made (other tests share the account) and
// every AWS-managed policy.
func onlyWorld(seen []authzSeen, w authzWorld) []authzSeen {
	return slices.DeleteFunc(seen, func(s authzSeen) bool {
		return s.path != w.path && !strings.HasPrefix(s.name, "arn:aws:iam::aws:")
	})
}

// names names what a client saw, but AWS-managed policies the test did not
// attach (another test may attach or detach them meanwhile).
func (w authzWorld) names(seen []authzSeen) []string {
	var out []string
	for _, s := range seen {
		if strings.HasPrefix(s.name, "arn:aws:iam::aws:") && !slices.Contains(w.awsAttached, s.name) {
			continue
		}
		out = append(out, s.kind+" "+s.name)
	}
	return sorted(out...)
}

func TestConformanceAuthzDetails(t *testing.T) {
	needRealClients(t)
	t.Parallel()
	dev := orgAdmin(t, devID)
	w := makeAuthzWorld(t, dev)
	all := []string{"user", "group", "role", "LocalManagedPolicy", "AWSManagedPolicy"}

	one, pages := sdkAuthz(t, dev, w, 1000)
	if pages != 1 {
		t.Errorf("MaxItems 1000: %d pages", pages)
	}
	checkAuthz(t, "SDK, one page", w, one, all...)
	for _, s := range one {
		if s.name == w.policyARN("bp") && s.boundUses != 2 {
			t.Errorf("boundary policy: PermissionsBoundaryUsageCount %d, want 2", s.boundUses)
		}
		if s.name == w.policyARN("cp") && s.attachCnt != 2 {
			t.Errorf("customer policy: AttachmentCount %d, want 2", s.attachCnt)
		}
	}
	byTwo, pages := sdkAuthz(t, dev, w, 2)
	checkAuthz(t, "SDK, pages of 2", w, byTwo, all...)
	if !slices.Equal(w.names(byTwo), w.names(one)) || pages < 6 {
		t.Errorf("pages of 2 (%d pages) gave %v, one page %v", pages, w.names(byTwo), w.names(one))
	}

	filters := []struct {
		filter []types.EntityType
		kinds  []string
	}{
		{[]types.EntityType{types.EntityTypeRole}, []string{"role"}},
		{[]types.EntityType{types.EntityTypeUser, types.EntityTypeGroup}, []string{"user", "group"}},
		{[]types.EntityType{types.EntityTypeLocalManagedPolicy}, []string{"LocalManagedPolicy"}},
		{[]types.EntityType{types.EntityTypeAWSManagedPolicy}, []string{"AWSManagedPolicy"}},
	}
	for _, f := range filters {
		seen, _ := sdkAuthz(t, dev, w, 3, f.filter...)
		checkAuthz(t, "SDK, filter", w, seen, f.kinds...)
		for _, s := range seen {
			kind := s.kind
			if kind == "policy" {
				kind = map[bool]string{true: "AWSManagedPolicy", false: "LocalManagedPolicy"}[strings.HasPrefix(s.name, "arn:aws:iam::aws:")]
			}
			if !slices.Contains(f.kinds, kind) {
				t.Errorf("filter %v returned %s %s", f.filter, s.kind, s.name)
			}
		}
	}
	_, err := dev.iam.GetAccountAuthorizationDetails(context.Background(), &iam.GetAccountAuthorizationDetailsInput{Filter: []types.EntityType{"Users"}})
	wantCode(t, err, "ValidationError")

	// The AWS CLI pages by itself (--page-size is IAM's MaxItems) and
	// decodes every document.
	cli := identityOf(t, dev)
	cliSeen := cliAuthz(t, cli, w, "--page-size", "3")
	checkAuthz(t, "CLI", w, cliSeen, all...)
	if !slices.Equal(w.names(cliSeen), w.names(one)) {
		t.Errorf("CLI gave %v, SDK %v", w.names(cliSeen), w.names(one))
	}
	roles := cliAuthz(t, cli, w, "--filter", "Role", "Group")
	checkAuthz(t, "CLI --filter Role Group", w, roles, "role", "group")
	for _, s := range roles {
		if s.kind != "role" && s.kind != "group" {
			t.Errorf("CLI --filter Role Group returned %s %s", s.kind, s.name)
		}
	}

	// Allowed by iam:GetAccountAuthorizationDetails on *, denied to a user
	// with no IAM permission.
	ctx := context.Background()
	auditor := uniq(t, "authz-auditor")
	must(dev.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(auditor)}))(t)
	must(dev.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(auditor), PolicyName: aws.String("audit"),
		PolicyDocument: aws.String(authzDoc("iam:GetAccountAuthorizationDetails", "*"))}))(t)
	if seen, _ := sdkAuthz(t, userKey(t, dev, auditor), w, 50); !slices.Equal(w.names(seen), w.names(one)) {
		t.Errorf("auditor saw %v, want %v", w.names(seen), w.names(one))
	}
	nobody := devUser(t, dev, uniq(t, "authz-nobody"), "")
	_, err = nobody.iam.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{})
	wantCode(t, err, "AccessDenied")
	awsFails(t, identityOf(t, nobody), "AccessDenied", "iam", "get-account-authorization-details")
}

func (w authzWorld) policyARN(n string) string {
	for arn := range w.policies {
		if strings.HasSuffix(arn, "-"+n) {
			return arn
		}
	}
	return ""
}

// cliVersion is a policy version as the CLI prints it.
type cliVersion struct {
	Document         json.RawMessage
	VersionId        string
	IsDefaultVersion bool
}

// cliAuthz runs `aws iam get-account-authorization-details` and returns what
// it saw, as sdkAuthz does.
func cliAuthz(t *testing.T, id identity, w authzWorld, args ...string) []authzSeen {
	t.Helper()
	type policy struct {
		PolicyName     string
		PolicyDocument json.RawMessage
	}
	type attached struct{ PolicyArn string }
	type boundary struct{ PermissionsBoundaryArn string }
	type tag struct{ Key, Value string }
	var out struct {
		UserDetailList []struct {
			UserName, Path          string
			UserPolicyList          []policy
			GroupList               []string
			AttachedManagedPolicies []attached
			PermissionsBoundary     *boundary
			Tags                    []tag
		}
		GroupDetailList []struct {
			GroupName, Path         string
			GroupPolicyList         []policy
			AttachedManagedPolicies []attached
		}
		RoleDetailList []struct {
			RoleName, Path           string
			AssumeRolePolicyDocument json.RawMessage
			RolePolicyList           []policy
			AttachedManagedPolicies  []attached
			PermissionsBoundary      *boundary
			Tags                     []tag
		}
		Policies []struct {
			Arn, Path, DefaultVersionId string
			AttachmentCount             int
			PolicyVersionList           []cliVersion
		}
		Marker string
	}
	awsJSON(t, id, &out, append([]string{"iam", "get-account-authorization-details"}, args...)...)
	if out.Marker != "" {
		t.Errorf("CLI stopped with a Marker: %s", out.Marker)
	}
	doc := func(raw json.RawMessage) string {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		return string(raw)
	}
	inline := func(list []policy) map[string]string {
		m := map[string]string{}
		for _, p := range list {
			m[p.PolicyName] = doc(p.PolicyDocument)
		}
		return m
	}
	arns := func(list []attached) []string {
		var s []string
		for _, a := range list {
			s = append(s, a.PolicyArn)
		}
		return sorted(s...)
	}
	tags := func(list []tag) map[string]string {
		m := map[string]string{}
		for _, x := range list {
			m[x.Key] = x.Value
		}
		return m
	}
	bound := func(b *boundary) string {
		if b == nil {
			return ""
		}
		return b.PermissionsBoundaryArn
	}
	var seen []authzSeen
	members := map[string][]string{}
	for _, u := range out.UserDetailList {
		seen = append(seen, authzSeen{kind: "user", name: u.UserName, path: u.Path, e: authzExpect{inline: inline(u.UserPolicyList),
			attached: arns(u.AttachedManagedPolicies), members: sorted(u.GroupList...), boundary: bound(u.PermissionsBoundary), tags: tags(u.Tags)}})
		for _, g := range u.GroupList {
			members[g] = append(members[g], u.UserName)
		}
	}
	for _, g := range out.GroupDetailList {
		seen = append(seen, authzSeen{kind: "group", name: g.GroupName, path: g.Path, e: authzExpect{inline: inline(g.GroupPolicyList),
			attached: arns(g.AttachedManagedPolicies), members: sorted(members[g.GroupName]...)}})
	}
	for _, r := range out.RoleDetailList {
		seen = append(seen, authzSeen{kind: "role", name: r.RoleName, path: r.Path, e: authzExpect{inline: inline(r.RolePolicyList),
			attached: arns(r.AttachedManagedPolicies), boundary: bound(r.PermissionsBoundary), tags: tags(r.Tags), trust: doc(r.AssumeRolePolicyDocument)}})
	}
	for _, p := range out.Policies {
		s := authzSeen{kind: "policy", name: p.Arn, path: p.Path, defaultVer: p.DefaultVersionId, attachCnt: p.AttachmentCount}
		slices.SortFunc(p.PolicyVersionList, func(a, b cliVersion) int { return strings.Compare(a.VersionId, b.VersionId) })
		for _, v := range p.PolicyVersionList {
			s.versions = append(s.versions, doc(v.Document))
		}
		seen = append(seen, s)
	}
	return onlyWorld(seen, w)
}
