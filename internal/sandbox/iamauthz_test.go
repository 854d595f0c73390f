package sandbox

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

const authzTestAccount = "111111111111"

// authzFixture is a small account: two users, two groups, two roles and
// three managed policies, one customer policy sharing an AWS-managed one's
// name.
func authzFixture() []authzItem {
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	user := func(name string) authzItem {
		return authzItem{user: &types.User{UserName: aws.String(name), Path: aws.String("/t/"), UserId: aws.String("AIDA" + strings.ToUpper(name)),
			Arn: aws.String("arn:aws:iam::" + kumoIAMAccount + ":user/t/" + name), CreateDate: &created,
			Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a b+c")}}}}
	}
	role := func(name string) authzItem {
		return authzItem{role: &types.Role{RoleName: aws.String(name), Path: aws.String("/"), RoleId: aws.String("AROA" + strings.ToUpper(name)),
			Arn: aws.String("arn:aws:iam::" + kumoIAMAccount + ":role/" + name), CreateDate: &created,
			AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}}
	}
	grp := func(name string, members ...string) authzItem {
		return authzItem{group: &group{Name: name, Path: "/", ID: "AGPA" + strings.ToUpper(name), Created: created, Members: members,
			Policies: map[string]string{"inline": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::a b/*"}]}`},
			Attached: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}}}
	}
	pol := func(arn string) authzItem {
		name := arn[strings.LastIndexByte(arn, '/')+1:]
		return authzItem{policy: &policyEntry{name: name, id: "ANPA" + strings.ToUpper(name), arn: arn, path: policyPath(arn), version: "v1",
			attachments: 1, created: created, updated: created, doc: adminPolicy}}
	}
	return []authzItem{
		role("writer"), user("bob"), pol("arn:aws:iam::aws:policy/ReadOnlyAccess"), grp("readers", "alice", "bob"),
		user("alice"), pol("arn:aws:iam::" + authzTestAccount + ":policy/ReadOnlyAccess"), role("Reader"), grp("admins"),
		pol("arn:aws:iam::" + authzTestAccount + ":policy/t/boundary"),
	}
}

// renderAuthz renders a page as serveAuthzDetails does, with the fixture's
// inline policies (one per user) in place of the gateway's state.
func renderAuthz(page []authzItem) authzDetails {
	var d authzDetails
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringLike":{"aws:userid":"a+b %"}}}]}`
	for _, it := range page {
		switch {
		case it.user != nil:
			d.users = append(d.users, userDetailXML(authzTestAccount, it.user, map[string]string{"own": doc}, []string{"readers"},
				[]string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}, "arn:aws:iam::"+authzTestAccount+":policy/t/boundary"))
		case it.group != nil:
			d.groups = append(d.groups, groupDetailXML(authzTestAccount, it.group))
		case it.role != nil:
			d.roles = append(d.roles, roleDetailXML(authzTestAccount, it.role, map[string]string{"b": doc, "a": adminPolicy}, nil, ""))
		default:
			d.policies = append(d.policies, policyDetailXML(it.policy, 0, []authzVersion{{id: "v2", doc: doc, created: it.policy.created}, {id: "v1", doc: adminPolicy}}))
		}
	}
	return d
}

// authzServer answers GetAccountAuthorizationDetails over the fixture, so
// that the SDK's own parser and paginator read the gateway's XML.
func authzServer(t *testing.T) *iam.Client {
	t.Helper()
	items := authzFixture()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		want, err := authzFilter(r.PostForm)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var kept []authzItem
		for _, it := range items {
			kind := map[bool]string{true: "LocalManagedPolicy", false: "AWSManagedPolicy"}[it.policy == nil || !isAWSManagedARN(it.policy.arn)]
			switch {
			case it.user != nil:
				kind = "User"
			case it.group != nil:
				kind = "Group"
			case it.role != nil:
				kind = "Role"
			}
			if want[kind] {
				kept = append(kept, it)
			}
		}
		page, marker, err := pageAuthz(kept, r.PostForm)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		writeQuery(&call{w: w, reqID: "test"}, iamNS, "GetAccountAuthorizationDetails", renderAuthz(page).xml(marker))
	}))
	t.Cleanup(srv.Close)
	return iam.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")})
}

// authzNames pages through the listing and names each entity it returns,
// by kind, in the order returned.
func authzNames(t *testing.T, c *iam.Client, maxItems int32, filter ...types.EntityType) (names []string, pages int) {
	t.Helper()
	p := iam.NewGetAccountAuthorizationDetailsPaginator(c, &iam.GetAccountAuthorizationDetailsInput{MaxItems: aws.Int32(maxItems), Filter: filter})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		pages++
		n := len(out.UserDetailList) + len(out.GroupDetailList) + len(out.RoleDetailList) + len(out.Policies)
		if out.IsTruncated && n != int(maxItems) {
			t.Fatalf("truncated page of %d entities, want %d", n, maxItems)
		}
		for _, u := range out.UserDetailList {
			names = append(names, "user "+aws.ToString(u.UserName))
		}
		for _, g := range out.GroupDetailList {
			names = append(names, "group "+aws.ToString(g.GroupName))
		}
		for _, r := range out.RoleDetailList {
			names = append(names, "role "+aws.ToString(r.RoleName))
		}
		for _, pol := range out.Policies {
			names = append(names, "policy "+aws.ToString(pol.Arn))
		}
	}
	return names, pages
}

func TestAuthzPagingGivesEachEntityOnce(t *testing.T) {
	t.Parallel()
	c := authzServer(t)
	want := []string{
		"user alice", "user bob", "group admins", "group readers", "role Reader", "role writer",
		"policy arn:aws:iam::111111111111:policy/ReadOnlyAccess", "policy arn:aws:iam::111111111111:policy/t/boundary",
		"policy arn:aws:iam::aws:policy/ReadOnlyAccess",
	}
	for maxItems := int32(1); maxItems <= 10; maxItems++ {
		t.Run(fmt.Sprint(maxItems), func(t *testing.T) {
			t.Parallel()
			got, pages := authzNames(t, c, maxItems)
			if !slices.Equal(got, want) {
				t.Errorf("pages gave\n%v\nwant\n%v", got, want)
			}
			if wantPages := (len(want) + int(maxItems) - 1) / int(maxItems); pages != wantPages {
				t.Errorf("%d pages, want %d", pages, wantPages)
			}
		})
	}
}

func TestAuthzFilter(t *testing.T) {
	t.Parallel()
	c := authzServer(t)
	tests := []struct {
		name   string
		filter []types.EntityType
		want   []string
	}{
		{"roles", []types.EntityType{types.EntityTypeRole}, []string{"role Reader", "role writer"}},
		{"users and groups", []types.EntityType{types.EntityTypeGroup, types.EntityTypeUser}, []string{"user alice", "user bob", "group admins", "group readers"}},
		{"customer policies", []types.EntityType{types.EntityTypeLocalManagedPolicy},
			[]string{"policy arn:aws:iam::111111111111:policy/ReadOnlyAccess", "policy arn:aws:iam::111111111111:policy/t/boundary"}},
		{"AWS policies", []types.EntityType{types.EntityTypeAWSManagedPolicy}, []string{"policy arn:aws:iam::aws:policy/ReadOnlyAccess"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got, _ := authzNames(t, c, 2, tt.filter...); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAuthzFilterRefusesUnknownTypes(t *testing.T) {
	t.Parallel()
	for _, form := range []url.Values{{"Filter.member.1": {"Users"}}, {"Filter.member.1": {"Role"}, "Filter.member.2": {""}}} {
		if _, err := authzFilter(form); err == nil {
			t.Errorf("%v: no error", form)
		} else if _, ok := err.(iamPageError); !ok || !strings.Contains(err.Error(), "at 'filter'") {
			t.Errorf("%v: %T %v, want a ValidationError at 'filter'", form, err, err)
		}
	}
	if got, err := authzFilter(url.Values{"MaxItems": {"3"}}); err != nil || len(got) != len(authzFilters) {
		t.Errorf("no filter: %v, %v; want every type", got, err)
	}
}

// The SDK reads every field, and each policy document decodes (RFC 3986:
// a space is %20, a plus %2B) to the one stored.
func TestAuthzXMLAsTheSDKReadsIt(t *testing.T) {
	t.Parallel()
	c := authzServer(t)
	out, err := c.GetAccountAuthorizationDetails(context.Background(), &iam.GetAccountAuthorizationDetailsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if out.IsTruncated || aws.ToString(out.Marker) != "" {
		t.Errorf("one page of 9 entities: IsTruncated %v, Marker %q", out.IsTruncated, aws.ToString(out.Marker))
	}
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringLike":{"aws:userid":"a+b %"}}}]}`
	decode := func(s *string) string {
		t.Helper()
		d, err := url.PathUnescape(aws.ToString(s))
		if err != nil {
			t.Fatalf("document %q: %v", aws.ToString(s), err)
		}
		return d
	}

	u := out.UserDetailList[0]
	if aws.ToString(u.Arn) != "arn:aws:iam::111111111111:user/t/alice" || aws.ToString(u.Path) != "/t/" || u.CreateDate == nil {
		t.Errorf("user %+v", u)
	}
	if len(u.UserPolicyList) != 1 || aws.ToString(u.UserPolicyList[0].PolicyName) != "own" || decode(u.UserPolicyList[0].PolicyDocument) != doc {
		t.Errorf("user policies %+v", u.UserPolicyList)
	}
	if !slices.Equal(u.GroupList, []string{"readers"}) || len(u.AttachedManagedPolicies) != 1 ||
		aws.ToString(u.AttachedManagedPolicies[0].PolicyName) != "ReadOnlyAccess" {
		t.Errorf("user groups %v, attached %+v", u.GroupList, u.AttachedManagedPolicies)
	}
	if u.PermissionsBoundary == nil || aws.ToString(u.PermissionsBoundary.PermissionsBoundaryArn) != "arn:aws:iam::111111111111:policy/t/boundary" ||
		u.PermissionsBoundary.PermissionsBoundaryType != types.PermissionsBoundaryAttachmentTypePolicy {
		t.Errorf("user boundary %+v", u.PermissionsBoundary)
	}
	if len(u.Tags) != 1 || aws.ToString(u.Tags[0].Value) != "a b+c" {
		t.Errorf("user tags %+v", u.Tags)
	}

	g := out.GroupDetailList[1]
	if aws.ToString(g.GroupName) != "readers" || aws.ToString(g.GroupId) != "AGPAREADERS" || aws.ToString(g.Arn) != "arn:aws:iam::111111111111:group/readers" ||
		len(g.GroupPolicyList) != 1 || !strings.Contains(decode(g.GroupPolicyList[0].PolicyDocument), `arn:aws:s3:::a b/*`) ||
		len(g.AttachedManagedPolicies) != 1 || aws.ToString(g.AttachedManagedPolicies[0].PolicyArn) != "arn:aws:iam::aws:policy/ReadOnlyAccess" {
		t.Errorf("group %+v", g)
	}

	r := out.RoleDetailList[1]
	if aws.ToString(r.RoleName) != "writer" || !strings.Contains(decode(r.AssumeRolePolicyDocument), `"Service":"lambda.amazonaws.com"`) ||
		len(r.RolePolicyList) != 2 || aws.ToString(r.RolePolicyList[0].PolicyName) != "a" || decode(r.RolePolicyList[1].PolicyDocument) != doc ||
		len(r.AttachedManagedPolicies) != 0 || r.PermissionsBoundary != nil || len(r.InstanceProfileList) != 0 {
		t.Errorf("role %+v", r)
	}

	p := out.Policies[0]
	if aws.ToString(p.PolicyName) != "ReadOnlyAccess" || aws.ToString(p.DefaultVersionId) != "v1" || aws.ToInt32(p.AttachmentCount) != 1 || !p.IsAttachable ||
		len(p.PolicyVersionList) != 2 || aws.ToString(p.PolicyVersionList[0].VersionId) != "v2" || p.PolicyVersionList[0].IsDefaultVersion ||
		decode(p.PolicyVersionList[0].Document) != doc || !p.PolicyVersionList[1].IsDefaultVersion || decode(p.PolicyVersionList[1].Document) != adminPolicy {
		t.Errorf("policy %+v", p)
	}
}

func TestEncodeDocumentIsRFC3986(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{`{"a":"b c"}`, "%7B%22a%22%3A%22b%20c%22%7D"},
		{`{"a":"+~_.-"}`, "%7B%22a%22%3A%22%2B~_.-%22%7D"},
		{"%7B%22a%22%3A1%7D", "%7B%22a%22%3A1%7D"}, // stored encoded: decoded once, not twice
		{"", ""},
	}
	for _, tt := range tests {
		if got := encodeDocument(tt.in); got != tt.want {
			t.Errorf("encodeDocument(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
