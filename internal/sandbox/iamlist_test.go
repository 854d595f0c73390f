package sandbox

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/xacct/xacct/internal/iampolicy"
)

func TestPageByNameVisitsEveryItemOnceInOrder(t *testing.T) {
	t.Parallel()
	var names []string
	for i := range 26 {
		names = append(names, fmt.Sprintf("user-%c", 'z'-i))
	}
	names = append(names, "Admin", "admin2")
	for _, max := range []int{1, 5, 7, 27, 28, 100} {
		t.Run(fmt.Sprint(max), func(t *testing.T) {
			t.Parallel()
			var got []string
			marker, pages := "", 0
			for {
				form := url.Values{"MaxItems": {fmt.Sprint(max)}}
				if marker != "" {
					form.Set("Marker", marker)
				}
				page, next, err := pageByName(names, func(s string) string { return s }, form)
				if err != nil {
					t.Fatal(err)
				}
				pages++
				if next != "" && len(page) != max {
					t.Fatalf("truncated page of %d items, want %d", len(page), max)
				}
				got = append(got, page...)
				if next == "" {
					break
				}
				marker = next
			}
			want := slices.Clone(names)
			slices.SortFunc(want, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
			if !slices.Equal(got, want) {
				t.Fatalf("pages gave %v, want %v", got, want)
			}
			if wantPages := (len(names) + max - 1) / max; pages != wantPages {
				t.Errorf("%d pages, want %d", pages, wantPages)
			}
		})
	}
}

func TestPageByNameMarkerOfADeletedItem(t *testing.T) {
	t.Parallel()
	all := []string{"a", "b", "c", "d"}
	_, marker, err := pageByName(all, func(s string) string { return s }, url.Values{"MaxItems": {"2"}})
	if err != nil || marker == "" {
		t.Fatalf("first page: marker %q, %v", marker, err)
	}
	// "b", the last item of the first page, is deleted before the next call.
	page, next, err := pageByName([]string{"a", "c", "d"}, func(s string) string { return s }, url.Values{"MaxItems": {"2"}, "Marker": {marker}})
	if err != nil || next != "" || !slices.Equal(page, []string{"c", "d"}) {
		t.Fatalf("second page %v, next %q, %v; want [c d]", page, next, err)
	}
}

func TestPageByNameRefusesBadParameters(t *testing.T) {
	t.Parallel()
	for _, form := range []url.Values{
		{"MaxItems": {"0"}}, {"MaxItems": {"1001"}}, {"MaxItems": {"x"}}, {"Marker": {"!!"}},
	} {
		if _, _, err := pageByName([]string{"a"}, func(s string) string { return s }, form); err == nil {
			t.Errorf("%v: no error", form)
		} else if _, ok := err.(iamPageError); !ok {
			t.Errorf("%v: %T, want a ValidationError", form, err)
		}
	}
}

func TestValidateIAM(t *testing.T) {
	t.Parallel()
	long := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		name   string
		action string
		form   url.Values
		want   string // "" valid, else a piece of the message
	}{
		{"user ok", "CreateUser", url.Values{"UserName": {"alice+ops=1,x.y@z_w-v"}}, ""},
		{"user 64", "CreateUser", url.Values{"UserName": {long(64)}}, ""},
		{"user 65", "CreateUser", url.Values{"UserName": {long(65)}}, "less than or equal to 64"},
		{"existing user 128", "GetUser", url.Values{"UserName": {long(128)}}, ""},
		{"existing user 129", "GetUser", url.Values{"UserName": {long(129)}}, "less than or equal to 128"},
		{"user slash", "CreateUser", url.Values{"UserName": {"a/b"}}, "regular expression pattern"},
		{"user dots", "GetUser", url.Values{"UserName": {"../x"}}, "regular expression pattern"},
		{"user empty", "CreateUser", url.Values{"UserName": {""}}, "greater than or equal to 1"},
		{"role 64", "CreateRole", url.Values{"RoleName": {long(64)}}, ""},
		{"role 65", "CreateRole", url.Values{"RoleName": {long(65)}}, "at 'roleName'"},
		{"role space", "CreateRole", url.Values{"RoleName": {"a b"}}, "regular expression pattern"},
		{"group 128", "CreateGroup", url.Values{"GroupName": {long(128)}}, ""},
		{"group 129", "CreateGroup", url.Values{"GroupName": {long(129)}}, "at 'groupName'"},
		{"policy 128", "PutRolePolicy", url.Values{"RoleName": {"r"}, "PolicyName": {long(128)}}, ""},
		{"policy 129", "CreatePolicy", url.Values{"PolicyName": {long(129)}}, "at 'policyName'"},
		{"policy colon", "PutRolePolicy", url.Values{"RoleName": {"r"}, "PolicyName": {"a:b"}}, "regular expression pattern"},
		{"path root", "CreateRole", url.Values{"RoleName": {"r"}, "Path": {"/"}}, ""},
		{"path nested", "CreateRole", url.Values{"RoleName": {"r"}, "Path": {"/a/b/"}}, ""},
		{"path no slash", "CreateRole", url.Values{"RoleName": {"r"}, "Path": {"a/"}}, "at 'path'"},
		{"path no trailing", "CreateUser", url.Values{"UserName": {"u"}, "Path": {"/a"}}, "at 'path'"},
		{"path space", "CreateUser", url.Values{"UserName": {"u"}, "Path": {"/a b/"}}, "at 'path'"},
		{"prefix", "ListUsers", url.Values{"PathPrefix": {"/a"}}, ""},
		{"prefix bad", "ListUsers", url.Values{"PathPrefix": {"a"}}, "at 'pathPrefix'"},
		{"absent", "ListUsers", url.Values{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := validateIAM(tt.action, tt.form)
			switch {
			case tt.want == "" && got != "":
				t.Errorf("refused: %s", got)
			case tt.want != "" && !strings.Contains(got, tt.want):
				t.Errorf("got %q, want a message with %q", got, tt.want)
			}
		})
	}
}

func TestAWSID(t *testing.T) {
	t.Parallel()
	re := regexp.MustCompile(`^AIDA[A-Z0-9]{17}$`)
	got := awsID("AIDA057D6006-9B13-431")
	if !re.MatchString(got) {
		t.Errorf("awsID = %q, want AIDA and 17 upper-case letters and digits", got)
	}
	if again := awsID("AIDA057D6006-9B13-431"); again != got {
		t.Errorf("not stable: %q then %q", got, again)
	}
	if awsID(got) != got {
		t.Errorf("an AWS-shaped ID changed")
	}
	body := []byte("<UserId>AIDA057D6006-9B13-431</UserId><RoleId>AROA157D6006-9B13-431</RoleId>")
	if out := string(rewriteIDs(body)); strings.Contains(out, "-") || !strings.Contains(out, "<UserId>"+got+"</UserId>") {
		t.Errorf("rewriteIDs = %s", out)
	}
}

func TestAWSManagedPoliciesParse(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, m := range awsManagedPolicies {
		if _, err := iampolicy.Parse([]byte(m.Doc), iampolicy.Identity); err != nil {
			t.Errorf("%s: %v", m.Name, err)
		}
		if seen[m.arn()] {
			t.Errorf("%s twice", m.arn())
		}
		seen[m.arn()] = true
		if got, ok := awsManagedByARN(m.arn()); !ok || got.Name != m.Name {
			t.Errorf("awsManagedByARN(%s) = %v, %v", m.arn(), got.Name, ok)
		}
	}
	for _, arn := range []string{
		"arn:aws:iam::aws:policy/AdministratorAccess", "arn:aws:iam::aws:policy/PowerUserAccess", "arn:aws:iam::aws:policy/ReadOnlyAccess",
		"arn:aws:iam::aws:policy/IAMFullAccess", "arn:aws:iam::aws:policy/IAMReadOnlyAccess", "arn:aws:iam::aws:policy/AmazonS3FullAccess",
		"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
		"arn:aws:iam::aws:policy/AWSLambda_FullAccess", "arn:aws:iam::aws:policy/CloudWatchLogsFullAccess",
	} {
		if !seen[arn] {
			t.Errorf("%s missing", arn)
		}
	}
	if policyPath("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole") != "/service-role/" || policyPath("arn:aws:iam::1:policy/x") != "/" {
		t.Errorf("policyPath")
	}
}

func TestIAMResourceUsesTheEntitysPath(t *testing.T) {
	t.Parallel()
	paths := map[string]string{"role/ops": "/team/", "user/ann": "/people/", "group/Devs": "/eng/", "instance-profile/web": "/team/"}
	pathOf := func(kind, name string) (string, bool) { p, ok := paths[kind+"/"+name]; return p, ok }
	tests := []struct {
		form url.Values
		want string
	}{
		{url.Values{"Action": {"GetRole"}, "RoleName": {"ops"}}, "arn:aws:iam::1:role/team/ops"},
		{url.Values{"Action": {"CreateRole"}, "RoleName": {"new"}, "Path": {"/x/"}}, "arn:aws:iam::1:role/x/new"},
		{url.Values{"Action": {"GetRole"}, "RoleName": {"gone"}}, "arn:aws:iam::1:role/gone"},
		{url.Values{"Action": {"AttachRolePolicy"}, "RoleName": {"ops"}, "PolicyArn": {"arn:aws:iam::aws:policy/ReadOnlyAccess"}}, "arn:aws:iam::1:role/team/ops"},
		{url.Values{"Action": {"DeleteUser"}, "UserName": {"ann"}}, "arn:aws:iam::1:user/people/ann"},
		{url.Values{"Action": {"AddUserToGroup"}, "UserName": {"ann"}, "GroupName": {"Devs"}}, "arn:aws:iam::1:group/eng/Devs"},
		{url.Values{"Action": {"GetPolicy"}, "PolicyArn": {"arn:aws:iam::1:policy/p"}}, "arn:aws:iam::1:policy/p"},
		{url.Values{"Action": {"GetInstanceProfile"}, "InstanceProfileName": {"web"}}, "arn:aws:iam::1:instance-profile/team/web"},
		{url.Values{"Action": {"AddRoleToInstanceProfile"}, "InstanceProfileName": {"web"}, "RoleName": {"ops"}}, "arn:aws:iam::1:instance-profile/team/web"},
		{url.Values{"Action": {"CreateInstanceProfile"}, "InstanceProfileName": {"new"}, "Path": {"/x/"}}, "arn:aws:iam::1:instance-profile/x/new"},
		{url.Values{"Action": {"ListRoles"}}, "*"},
	}
	for _, tt := range tests {
		if got := iamResource("1", tt.form, pathOf); got != tt.want {
			t.Errorf("%v: %s, want %s", tt.form, got, tt.want)
		}
	}
}
