package resource_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/xacct/xacct/internal/resource"
	"github.com/xacct/xacct/internal/resource/resourcetest"
)

// snapshotAccount is an account with groups and roles of every shape the
// kinds read: members, inline policies whose documents need encoding,
// attached policies, a role with a description and a longer session, one
// with neither, and enough groups for the listings to take several pages.
func snapshotAccount(t *testing.T) (*resource.Clients, *resourcetest.Fake) {
	t.Helper()
	ctx := context.Background()
	c, f := resourcetest.New(prodAccount, region)
	f.AddUser("alice")
	f.AddUser("bob")
	f.AttachPolicy(readOnly)
	kinds := resource.AllKinds()
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"*","Condition":{"StringLike":{"s3:prefix":"a b+c/*"}}}]}`
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := range 12 {
		must(kinds["iam_group"].Create(ctx, c, fmt.Sprintf("Team%02d", i), []byte(`{"name":"x","path":"/teams/"}`)))
	}
	must(kinds["iam_group"].Create(ctx, c, groupName, []byte(`{"name":"Developers","path":"/"}`)))
	must(kinds["iam_group_membership"].Create(ctx, c, groupName+"/alice", nil))
	_, err := c.IAM.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String(groupName), PolicyName: aws.String("assume"), PolicyDocument: aws.String(doc)})
	must(err)
	must(kinds["iam_group_policy_attachment"].Create(ctx, c, groupName+"/"+readOnly, nil))

	r := roleValue(t)
	r.MaxSessionDuration = 7200
	must(kinds["iam_role"].Create(ctx, c, roleName, value(t, r)))
	plain := roleValue(t)
	plain.Name, plain.Description, plain.Tags = "plain", "", map[string]string{"aws:cloudformation:stack-name": "x", "team": "data"}
	must(kinds["iam_role"].Create(ctx, c, "plain", value(t, plain)))
	_, err = c.IAM.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(roleName), PolicyName: aws.String("access"), PolicyDocument: aws.String(doc)})
	must(err)
	must(kinds["iam_role_policy_attachment"].Create(ctx, c, roleName+"/"+readOnly, nil))
	for i := range 8 {
		must(kinds["iam_role"].Create(ctx, c, fmt.Sprintf("extra-%d", i), value(t, plain)))
	}
	f.PageMax = 5
	return c, f
}

// snapshotReads are reads of present and absent resources of every IAM
// kind.
var snapshotReads = []struct{ kind, name string }{
	{"iam_group", groupName},
	{"iam_group", "Team03"},
	{"iam_group", "Nobody"},
	{"iam_group_policy", groupName + "/assume"},
	{"iam_group_policy", groupName + "/other"},
	{"iam_group_policy", "Nobody/assume"},
	{"iam_group_membership", groupName + "/alice"},
	{"iam_group_membership", groupName + "/bob"},
	{"iam_group_membership", "Nobody/alice"},
	{"iam_group_policy_attachment", groupName + "/" + readOnly},
	{"iam_group_policy_attachment", "Team01/" + readOnly},
	{"iam_group_policy_attachment", "Nobody/" + readOnly},
	{"iam_role", roleName},
	{"iam_role", "plain"},
	{"iam_role", "extra-7"},
	{"iam_role", "nobody"},
	{"iam_role_policy", roleName + "/access"},
	{"iam_role_policy", "plain/access"},
	{"iam_role_policy", "nobody/access"},
	{"iam_role_policy_attachment", roleName + "/" + readOnly},
	{"iam_role_policy_attachment", "plain/" + readOnly},
	{"iam_role_policy_attachment", "nobody/" + readOnly},
}

func snapshotKinds() []string {
	var kinds []string
	for _, r := range snapshotReads {
		kinds = append(kinds, r.kind)
	}
	return kinds
}

// TestSnapshotReadsEqualReads: every IAM kind reads, from an account's
// snapshot, byte for byte what it reads from the resource itself, present
// or absent; the snapshot costs the pages of GetAccountAuthorizationDetails
// and ListRoles, and nothing else.
func TestSnapshotReadsEqualReads(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, f := snapshotAccount(t)
	kinds := resource.AllKinds()
	s := resource.NewIAMSnapshot(snapshotKinds())
	if s == nil {
		t.Fatal("no snapshot for many IAM reads")
	}
	sc := c.WithSnapshot(s)
	n := len(f.Calls())
	got := map[string]resource.Value{}
	for _, r := range snapshotReads {
		v, err := kinds[r.kind].Read(ctx, sc, r.name)
		if err != nil {
			t.Fatalf("%s %s from the snapshot: %v", r.kind, r.name, err)
		}
		got[r.kind+" "+r.name] = v
	}
	ops := opsSince(f, n)
	slices.Sort(ops)
	ops = slices.Compact(ops)
	wantOps(t, "the snapshot's reads", ops, []string{"GetAccountAuthorizationDetails", "ListRoles"})
	pages := 0
	for _, call := range f.Calls()[n:] {
		if in, ok := call.Input.(*iam.GetAccountAuthorizationDetailsInput); ok {
			pages++
			if pages > 1 && in.Marker == nil {
				t.Errorf("page %d of the details asked without a marker", pages)
			}
			if fmt.Sprint(in.Filter) != "[Group User Role]" {
				t.Errorf("details filtered %v, want groups, users and roles", in.Filter)
			}
		}
	}
	if pages < 2 {
		t.Errorf("the details took %d pages, want several (PageMax 5)", pages)
	}
	for _, r := range snapshotReads {
		t.Run(r.kind+" "+r.name, func(t *testing.T) {
			want, err := kinds[r.kind].Read(ctx, c, r.name)
			if err != nil {
				t.Fatal(err)
			}
			if g := got[r.kind+" "+r.name]; string(g) != string(want) {
				t.Errorf("from the snapshot\n  %s\nread on its own\n  %s", g, want)
			}
		})
	}
}

// TestSnapshotParts: the parts of a group or role found from the snapshot
// are the ones Parts finds, with no request beyond the snapshot's.
func TestSnapshotParts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, f := snapshotAccount(t)
	kinds := resource.AllKinds()
	sc := c.WithSnapshot(resource.NewIAMSnapshot(snapshotKinds()))
	if err := sc.Snapshot.Load(ctx, sc); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ kind, name string }{
		{"iam_group", groupName}, {"iam_group", "Team02"}, {"iam_group", "Nobody"},
		{"iam_role", roleName}, {"iam_role", "plain"}, {"iam_role", "nobody"},
	}
	for _, tt := range tests {
		t.Run(tt.kind+" "+tt.name, func(t *testing.T) {
			pf := kinds[tt.kind].(resource.PartsFinder)
			n := len(f.Calls())
			got, err := resource.FindParts(ctx, pf, sc, tt.name)
			if err != nil {
				t.Fatal(err)
			}
			wantOps(t, "FindParts", opsSince(f, n), nil)
			want, err := pf.Parts(ctx, c, tt.name)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := partsString(got), partsString(want); g != w {
				t.Errorf("from the snapshot\n%s\nParts\n%s", g, w)
			}
		})
	}
}

func partsString(parts []resource.Part) string {
	var lines []string
	for _, p := range parts {
		lines = append(lines, p.Addr.String()+" "+string(p.Value))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// TestSnapshotDenied: without the right to read the account's
// authorization details, the reads go to each resource, and give the same
// values.
func TestSnapshotDenied(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, f := snapshotAccount(t)
	f.FailNext("GetAccountAuthorizationDetails", resourcetest.APIError("AccessDenied", "not authorized to perform iam:GetAccountAuthorizationDetails"))
	sc := c.WithSnapshot(resource.NewIAMSnapshot(snapshotKinds()))
	for _, r := range snapshotReads {
		got, err := kindOf(t, r.kind).Read(ctx, sc, r.name)
		if err != nil {
			t.Fatalf("%s %s: %v", r.kind, r.name, err)
		}
		if want := read(t, c, r.kind, r.name); string(got) != string(want) {
			t.Errorf("%s %s: %s, want %s", r.kind, r.name, got, want)
		}
	}
}

// TestSnapshotError: another error reading the snapshot is every read's
// error, and the snapshot is read once.
func TestSnapshotError(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, f := snapshotAccount(t)
	f.FailNext("ListRoles", resourcetest.APIError("ServiceFailure", "try again"))
	sc := c.WithSnapshot(resource.NewIAMSnapshot(snapshotKinds()))
	n := len(f.Calls())
	for _, kind := range []string{"iam_role", "iam_group"} {
		if _, err := kindOf(t, kind).Read(ctx, sc, "x"); err == nil || !strings.Contains(err.Error(), "ServiceFailure") {
			t.Errorf("%s read = %v, want the snapshot's error", kind, err)
		}
	}
	if got := strings.Count(strings.Join(opsSince(f, n), " "), "ListRoles"); got != 1 {
		t.Errorf("ListRoles called %d times, want once", got)
	}
}

// TestNewIAMSnapshot: a snapshot only for enough IAM reads, serving only
// the kinds it reads.
func TestNewIAMSnapshot(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		kinds      []string
		want       bool
		serves     []string
		servesNone []string
	}{
		{name: "none", kinds: nil},
		{name: "a few IAM", kinds: []string{"iam_group", "iam_group_policy", "iam_role", "iam_role_policy", "s3_bucket", "s3_bucket_policy", "lambda_function"}},
		{name: "groups", kinds: slices.Repeat([]string{"iam_group", "iam_group_policy", "iam_group_membership"}, 2), want: true,
			serves: []string{"iam_group", "iam_group_policy", "iam_group_membership", "iam_group_policy_attachment"}, servesNone: []string{"iam_role", "iam_role_policy", "s3_bucket"}},
		{name: "roles", kinds: slices.Repeat([]string{"iam_role", "iam_role_policy"}, 3), want: true,
			serves: []string{"iam_role", "iam_role_policy", "iam_role_policy_attachment"}, servesNone: []string{"iam_group", "lambda_function"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := resource.NewIAMSnapshot(tt.kinds)
			if (s != nil) != tt.want {
				t.Fatalf("NewIAMSnapshot(%v) = %v, want a snapshot: %v", tt.kinds, s, tt.want)
			}
			for _, k := range tt.serves {
				if !s.Serves(k) {
					t.Errorf("does not serve %s", k)
				}
			}
			for _, k := range tt.servesNone {
				if s.Serves(k) {
					t.Errorf("serves %s", k)
				}
			}
		})
	}
}
