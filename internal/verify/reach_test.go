package verify

import (
	"fmt"
	"strings"
	"testing"

	"github.com/xacct/xacct/internal/config"
)

const (
	devID  = "111111111111"
	prodID = "222222222222"
	repID  = "333333333333"
)

func allow(action, resource string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":%q,"Resource":%q}]}`, action, resource)
}

func trusts(principal string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":%q},"Action":"sts:AssumeRole"}]}`, principal)
}

// plant renders the default config's inventory and lets a case add what
// someone made by hand.
func plant(t *testing.T, extra string, edit func(inv *Inventory, acct map[string]*Account)) (*config.Config, *Reach) {
	t.Helper()
	c, values := rendered(t, base+extra)
	inv := RenderedInventory(c, FromValues(values))
	acct := map[string]*Account{}
	for i := range inv.Accounts {
		acct[inv.Accounts[i].Key] = &inv.Accounts[i]
	}
	edit(inv, acct)
	return c, ComputeReach(c, inv, false)
}

// routes are the findings' paths, one line each, for the start given.
func routes(r *Reach, start string) []string {
	var out []string
	for _, f := range r.Findings {
		if f.Principal == start {
			out = append(out, f.Route())
		}
	}
	return out
}

func wantRoute(t *testing.T, r *Reach, start, route string) {
	t.Helper()
	got := routes(r, start)
	for _, g := range got {
		if g == route {
			return
		}
	}
	t.Errorf("no finding %q\nfindings of %s:\n  %s", route, start, strings.Join(got, "\n  "))
}

// TestReachDefaultIsClean: the config's own deployment reaches nothing
// outside the intent; each account's administrator reaches its own
// buckets (listed apart), Development's acts through the group roles and
// Production's through the processor's role, as the pattern means.
func TestReachDefaultIsClean(t *testing.T) {
	t.Parallel()
	_, r := plant(t, "", func(*Inventory, map[string]*Account) {})
	for _, f := range r.Findings {
		t.Errorf("finding in the default deployment: %s", f.Route())
	}
	starts := map[string]bool{}
	for _, f := range r.Administrators {
		starts[f.Principal+" as "+f.As] = true
	}
	for _, want := range []string{
		"user xacct-verify-administrator (production) as user xacct-verify-administrator (production)",
		"user xacct-verify-administrator (reporting) as user xacct-verify-administrator (reporting)",
		"user xacct-verify-administrator (development) as role acme-data-developers (production)",
		"user xacct-verify-administrator (production) as role acme-data-metadata-writer (reporting)",
	} {
		if !starts[want] {
			t.Errorf("administrators lack %q: %v", want, starts)
		}
	}
}

// TestReachEdges: one plant per kind of edge, each found with its path.
func TestReachEdges(t *testing.T) {
	t.Parallel()
	prodObj := "arn:aws:s3:::acme-data-prod/xacct-witness"
	tests := []struct {
		name        string
		edit        func(inv *Inventory, a map[string]*Account)
		start, want string
	}{
		{
			name: "membership: a user may add itself to Developers",
			edit: func(inv *Inventory, a map[string]*Account) {
				a["development"].Users = append(a["development"].Users, User{Name: "mallory", ARN: "arn:aws:iam::" + devID + ":user/mallory",
					Policies: []Doc{{Name: "user mallory policy join", Document: allow("iam:AddUserToGroup", "arn:aws:iam::"+devID+":group/Developers")}}})
			},
			start: "user mallory (development)",
			want:  "user mallory (development) -[iam:AddUserToGroup]-> user mallory (development) in group Developers -[sts:AssumeRole]-> role acme-data-developers (production) -[s3:PutObject]-> " + prodObj,
		},
		{
			name: "role chain of depth 3",
			edit: func(inv *Inventory, a map[string]*Account) {
				a["development"].Users = append(a["development"].Users, User{Name: "carol", ARN: "arn:aws:iam::" + devID + ":user/carol",
					Policies: []Doc{{Name: "user carol policy hop", Document: allow("sts:AssumeRole", "arn:aws:iam::"+prodID+":role/hop-1")}}})
				a["production"].Roles = append(a["production"].Roles,
					Role{Name: "hop-1", ARN: "arn:aws:iam::" + prodID + ":role/hop-1", Trust: trusts("arn:aws:iam::" + devID + ":user/carol"),
						Policies: []Doc{{Name: "role hop-1 policy p", Document: allow("sts:AssumeRole", "*")}}},
					Role{Name: "hop-2", ARN: "arn:aws:iam::" + prodID + ":role/hop-2", Trust: trusts("arn:aws:iam::" + prodID + ":role/hop-1"),
						Policies: []Doc{{Name: "role hop-2 policy p", Document: allow("sts:AssumeRole", "*")}}})
				a["reporting"].Roles = append(a["reporting"].Roles,
					Role{Name: "hop-3", ARN: "arn:aws:iam::" + repID + ":role/hop-3", Trust: trusts("arn:aws:iam::" + prodID + ":role/hop-2"),
						Policies: []Doc{{Name: "role hop-3 policy p", Document: allow("s3:GetObject", "arn:aws:s3:::acme-data-reporting/*")}}})
			},
			start: "user carol (development)",
			want:  "user carol (development) -[sts:AssumeRole]-> role hop-1 (production) -[sts:AssumeRole]-> role hop-2 (production) -[sts:AssumeRole]-> role hop-3 (reporting) -[s3:GetObject]-> arn:aws:s3:::acme-data-reporting/metadata/xacct-witness.json",
		},
		{
			name: "code update: whoever may replace the processor's code acts as its role",
			edit: func(inv *Inventory, a map[string]*Account) {
				a["production"].Users = append(a["production"].Users, User{Name: "dave", ARN: "arn:aws:iam::" + prodID + ":user/dave",
					Policies: []Doc{{Name: "user dave policy deploy", Document: allow("lambda:UpdateFunctionCode", "arn:aws:lambda:us-east-1:"+prodID+":function:acme-data-metadata-processor")}}})
			},
			start: "user dave (production)",
			want:  "user dave (production) -[lambda:UpdateFunctionCode]-> role acme-data-metadata-processor (production) -[sts:AssumeRole]-> role acme-data-metadata-writer (reporting) -[s3:PutObject]-> arn:aws:s3:::acme-data-reporting/metadata/xacct-witness.json",
		},
		{
			name: "the processor's role may replace its own code",
			edit: func(inv *Inventory, a map[string]*Account) {
				for i, r := range a["production"].Roles {
					if r.Name == "acme-data-metadata-processor" {
						a["production"].Roles[i].Policies = append(r.Policies, Doc{Name: "role acme-data-metadata-processor policy deploy",
							Document: allow("lambda:UpdateFunctionCode", "arn:aws:lambda:us-east-1:"+prodID+":function:*")})
					}
				}
			},
			start: "function acme-data-metadata-processor (production)",
			want:  "function acme-data-metadata-processor (production) -[lambda:UpdateFunctionCode]-> arn:aws:lambda:us-east-1:" + prodID + ":function:acme-data-metadata-processor",
		},
		{
			name: "a user may add itself to the Developers group (the edge and the action both)",
			edit: func(inv *Inventory, a map[string]*Account) {
				a["development"].Users = append(a["development"].Users, User{Name: "mallory", ARN: "arn:aws:iam::" + devID + ":user/mallory",
					Policies: []Doc{{Name: "user mallory policy join", Document: allow("iam:AddUserToGroup", "arn:aws:iam::"+devID+":group/Developers")}}})
			},
			start: "user mallory (development)",
			want:  "user mallory (development) -[iam:AddUserToGroup]-> arn:aws:iam::" + devID + ":group/Developers",
		},
		{
			name: "policy write: a user that may write its own policy",
			edit: func(inv *Inventory, a map[string]*Account) {
				a["production"].Users = append(a["production"].Users, User{Name: "erin", ARN: "arn:aws:iam::" + prodID + ":user/erin",
					Policies: []Doc{{Name: "user erin policy self", Document: allow("iam:PutUserPolicy", "arn:aws:iam::"+prodID+":user/erin")}}})
			},
			start: "user erin (production)",
			want:  "user erin (production) -[iam:PutUserPolicy]-> user erin (production) after writing its own permissions -[s3:DeleteObjectVersion]-> " + prodObj,
		},
		{
			name: "the testers' role may read the failed events (Production's keys and who wrote them)",
			edit: func(inv *Inventory, a map[string]*Account) {
				for i, r := range a["production"].Roles {
					if r.Name == "acme-data-testers" {
						a["production"].Roles[i].Policies = append(r.Policies, Doc{Name: "role acme-data-testers policy failures",
							Document: allow("s3:GetObject", "arn:aws:s3:::acme-data-processor-failures/*")})
					}
				}
			},
			start: "a new member of Testers (development)",
			want:  "a new member of Testers (development) -[sts:AssumeRole]-> role acme-data-testers (production) -[s3:GetObject]-> arn:aws:s3:::acme-data-processor-failures/aws/lambda/async/acme-data-metadata-processor/xacct-any",
		},
		{
			name: "the processor's role may write anywhere in the failure bucket",
			edit: func(inv *Inventory, a map[string]*Account) {
				for i, r := range a["production"].Roles {
					if r.Name == "acme-data-metadata-processor" {
						a["production"].Roles[i].Policies = append(r.Policies, Doc{Name: "role acme-data-metadata-processor policy wide",
							Document: allow("s3:PutObject", "arn:aws:s3:::acme-data-processor-failures/*")})
					}
				}
			},
			start: "function acme-data-metadata-processor (production)",
			want:  "function acme-data-metadata-processor (production) -[s3:PutObject]-> arn:aws:s3:::acme-data-processor-failures/xacct-manifests/xacct-any",
		},
		{
			name: "who can blind the audit: the testers' role may stop the Production trail",
			edit: func(inv *Inventory, a map[string]*Account) {
				for i, r := range a["production"].Roles {
					if r.Name == "acme-data-testers" {
						a["production"].Roles[i].Policies = append(r.Policies, Doc{Name: "role acme-data-testers policy trail",
							Document: allow("cloudtrail:StopLogging", "arn:aws:cloudtrail:us-east-1:"+prodID+":trail/*")})
					}
				}
			},
			start: "a new member of Testers (development)",
			want:  "a new member of Testers (development) -[sts:AssumeRole]-> role acme-data-testers (production) -[cloudtrail:StopLogging]-> arn:aws:cloudtrail:us-east-1:" + prodID + ":trail/acme-data-trail",
		},
		{
			name: "who can rewrite the logs: the developers' role may write into the log bucket",
			edit: func(inv *Inventory, a map[string]*Account) {
				for i, r := range a["production"].Roles {
					if r.Name == "acme-data-developers" {
						a["production"].Roles[i].Policies = append(r.Policies, Doc{Name: "role acme-data-developers policy logs",
							Document: allow("s3:PutObject", "arn:aws:s3:::acme-data-logs-"+repID+"/*")})
					}
				}
				inv.BucketPolicies["acme-data-logs-"+repID] = `{"Version":"2012-10-17","Statement":[{"Sid":"Dev","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + prodID + `:role/acme-data-developers"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::acme-data-logs-` + repID + `/*"}]}`
			},
			start: "a new member of Developers (development)",
			want:  "a new member of Developers (development) -[sts:AssumeRole]-> role acme-data-developers (production) -[s3:PutObject]-> arn:aws:s3:::acme-data-logs-" + repID + "/xacct-witness",
		},
		{
			name: "bucket policy grants the whole Development account",
			edit: func(inv *Inventory, a map[string]*Account) {
				inv.BucketPolicies["acme-data-prod"] = `{"Version":"2012-10-17","Statement":[{"Sid":"DevRead","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + devID + `:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-data-prod/*"}]}`
			},
			start: "user xacct-verify-administrator (development)",
			want:  "user xacct-verify-administrator (development) -[s3:GetObject]-> " + prodObj,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, r := plant(t, "", tt.edit)
			wantRoute(t, r, tt.start, tt.want)
		})
	}
}

// TestFindingsProbedLive: verify --live probes the findings a group's new
// member reaches through the group's role with a read, tag or version
// delete, once per action; not those that start elsewhere, take other
// paths or act with other actions.
func TestFindingsProbedLive(t *testing.T) {
	t.Parallel()
	c, _ := rendered(t, base)
	var testers config.Group
	for _, g := range c.Groups {
		if g.Key == "testers" {
			testers = g
		}
	}
	member := "a new member of Testers (development)"
	assume := []Hop{{Kind: "assume", To: "arn:aws:iam::" + prodID + ":role/acme-data-testers"}}
	fs := []Finding{
		{Principal: member, Path: assume, Bucket: "acme-data-prod", Action: "s3:DeleteObjectVersion"},
		{Principal: member, Path: assume, Bucket: "acme-data-prod", Action: "s3:DeleteObjectVersion", Resource: "another key"},
		{Principal: member, Path: assume, Bucket: "acme-data-prod", Action: "s3:PutObjectTagging"},
		{Principal: member, Path: assume, Bucket: "acme-data-prod", Action: "s3:PutLifecycleConfiguration"},
		{Principal: member, Path: assume, Bucket: "acme-data-reporting", Action: "s3:GetObjectVersion"},
		{Principal: "user mallory (development)", Path: assume, Bucket: "acme-data-prod", Action: "s3:GetObjectVersion"},
		{Principal: member, Path: append([]Hop{{Kind: "join"}}, assume...), Bucket: "acme-data-prod", Action: "s3:GetObjectVersion"},
	}
	got := findingsOf(fs, c, testers)
	if len(got) != 2 || got[0].Action != "s3:DeleteObjectVersion" || got[1].Action != "s3:PutObjectTagging" {
		t.Errorf("probed findings = %+v", got)
	}
}

// TestReachAcknowledgedAndStrict: a principal the config lists under
// verify.allow is acknowledged, not a finding (by its start or the role it
// reaches with); --strict counts administrators as findings.
func TestReachAcknowledgedAndStrict(t *testing.T) {
	t.Parallel()
	breakGlass := func(inv *Inventory, a map[string]*Account) {
		a["production"].Roles = append(a["production"].Roles, Role{Name: "break-glass-1", ARN: "arn:aws:iam::" + prodID + ":role/break-glass-1",
			Trust:    trusts("arn:aws:iam::444444444444:root"),
			Policies: []Doc{{Name: "role break-glass-1 policy read", Document: allow("s3:GetObject", "arn:aws:s3:::acme-data-prod/*")}}})
	}
	_, r := plant(t, "", breakGlass)
	if len(r.Findings) == 0 || len(r.Acknowledged) != 0 {
		t.Fatalf("without verify.allow: %d findings, %d acknowledged", len(r.Findings), len(r.Acknowledged))
	}
	_, r = plant(t, "verify:\n  allow:\n    - { principal: \"arn:aws:iam::222222222222:role/break-glass-*\", reason: on call }\n", breakGlass)
	for _, f := range r.Findings {
		t.Errorf("finding despite verify.allow: %s", f.Route())
	}
	if len(r.Acknowledged) == 0 || r.Acknowledged[0].Principal != "administrator of account 444444444444 (outside the three)" {
		t.Errorf("acknowledged = %+v", r.Acknowledged)
	}

	c, values := rendered(t, base)
	strict := ComputeReach(c, RenderedInventory(c, FromValues(values)), true)
	if len(strict.Administrators) != 0 || len(strict.Findings) == 0 {
		t.Errorf("--strict: %d administrators, %d findings; want administrators counted as findings", len(strict.Administrators), len(strict.Findings))
	}
	for _, f := range strict.Findings {
		if !strings.Contains(f.Principal, "xacct-verify-administrator") {
			t.Errorf("--strict finding of a non-administrator: %s", f.Route())
		}
	}
}

// TestReachAdministratorDoesNotFanOut: principals that may write IAM in
// their account (iam:*, not administrators: no S3) become administrators
// in one hop (writing their own policy); the walk does not also take every
// trust rewrite and every user's key from each of them (an e2e run on a
// sandbox with leftover IAMFullAccess users spent minutes there). The
// requests decided stay near what the principals alone cost.
func TestReachAdministratorDoesNotFanOut(t *testing.T) {
	t.Parallel()
	_, r := plant(t, "", func(inv *Inventory, a map[string]*Account) {
		dev := a["development"]
		for i := range 100 {
			name := fmt.Sprintf("idle-%03d", i)
			dev.Users = append(dev.Users, User{Name: name, ARN: "arn:aws:iam::" + devID + ":user/" + name})
			role := fmt.Sprintf("spare-%03d", i)
			dev.Roles = append(dev.Roles, Role{Name: role, ARN: "arn:aws:iam::" + devID + ":role/" + role, Trust: trusts("arn:aws:iam::" + devID + ":root")})
		}
		for i := range 30 {
			name := fmt.Sprintf("iam-admin-%02d", i)
			dev.Users = append(dev.Users, User{Name: name, ARN: "arn:aws:iam::" + devID + ":user/" + name,
				Policies: []Doc{{Name: "user " + name + " policy iam", Document: allow("iam:*", "*")}}})
		}
	})
	want := "user iam-admin-00 (development) -[iam:PutUserPolicy]-> user iam-admin-00 (development) after writing its own permissions -[sts:AssumeRole]-> role acme-data-developers (production) -[s3:PutObject]-> arn:aws:s3:::acme-data-prod/xacct-witness"
	wantRoute(t, r, "user iam-admin-00 (development)", want)
	// Before the fix this walk decided 2.2M requests. The bound grows with
	// what is protected, linearly: 100k for two buckets; the failure bucket
	// (a third) and the buckets' "only the writer writes" statements (more
	// witness keys) bring it to ~165k.
	if r.Requests > 250000 {
		t.Errorf("%d requests decided: the walk fans out", r.Requests)
	}
}
