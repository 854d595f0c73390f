package verify

// Attack cases for the reach analysis (issue 13): ways a principal could
// reach the stack's data that the walk might miss, report wrongly, or choke
// on. Each case the analysis gets right is a regression test; each it gets
// wrong is written as it should behave and skipped as a KNOWN MISS.

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

const outID = "444444444444"

func addUser(a *Account, name string, docs ...string) *User {
	u := User{Name: name, ARN: "arn:aws:iam::" + a.ID + ":user/" + name}
	for i, d := range docs {
		u.Policies = append(u.Policies, Doc{Name: fmt.Sprintf("user %s policy p%d", name, i), Document: d})
	}
	a.Users = append(a.Users, u)
	return &a.Users[len(a.Users)-1]
}

func addRole(a *Account, name, trust string, docs ...string) *Role {
	r := Role{Name: name, ARN: "arn:aws:iam::" + a.ID + ":role/" + name, Trust: trust}
	for i, d := range docs {
		r.Policies = append(r.Policies, Doc{Name: fmt.Sprintf("role %s policy p%d", name, i), Document: d})
	}
	a.Roles = append(a.Roles, r)
	return &a.Roles[len(a.Roles)-1]
}

func stmts(s ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(s, ",") + `]}`
}

// findingOf reports whether a finding starts at start with action on a
// resource containing res.
func findingOf(r *Reach, start, action, res string) bool {
	for _, f := range r.Findings {
		if f.Principal == start && f.Action == action && strings.Contains(f.Resource, res) {
			return true
		}
	}
	return false
}

func dumpFindings(r *Reach) string {
	var b strings.Builder
	for _, l := range []struct {
		n  string
		fs []Finding
	}{{"finding", r.Findings}, {"administrator", r.Administrators}, {"acknowledged", r.Acknowledged}} {
		n := 0
		for _, f := range l.fs {
			if strings.Contains(f.Principal, "xacct-verify-administrator") && l.n == "administrator" {
				continue // the stand-ins' own reach, always there
			}
			if n < 12 {
				fmt.Fprintf(&b, "\n  %s: %s", l.n, f.Route())
			}
			n++
		}
		if n > 12 {
			fmt.Fprintf(&b, "\n  ... %d %ss in all", n, l.n)
		}
	}
	return b.String()
}

const (
	prodBucket = "arn:aws:s3:::acme-data-prod"
	prodAll    = "arn:aws:s3:::acme-data-prod/*"
	repAll     = "arn:aws:s3:::acme-data-reporting/*"
	adminPol   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
)

type attackCase struct {
	name  string
	extra string // config YAML appended to base
	edit  func(inv *Inventory, a map[string]*Account)
	// want checks the reach; it returns "" when right.
	want  func(r *Reach) string
	known string // non-empty: a known miss, skipped with this line
}

// wantFinding: a finding from start with action on a resource containing res.
func wantFinding(start, action, res string) func(*Reach) string {
	return func(r *Reach) string {
		if findingOf(r, start, action, res) {
			return ""
		}
		return fmt.Sprintf("want a finding %s -> %s on %s; got:%s", start, action, res, dumpFindings(r))
	}
}

// wantNoFindingFrom: nothing from start is a finding.
func wantNoFindingFrom(start string) func(*Reach) string {
	return func(r *Reach) string {
		for _, f := range r.Findings {
			if f.Principal == start || start == "" {
				return fmt.Sprintf("want no finding from %q; got:%s", start, dumpFindings(r))
			}
		}
		return ""
	}
}

// wantFindingAs: a finding from start, made as the session as.
func wantFindingAs(start, as, action, res string) func(*Reach) string {
	return func(r *Reach) string {
		for _, f := range r.Findings {
			if f.Principal == start && f.As == as && f.Action == action && strings.Contains(f.Resource, res) {
				return ""
			}
		}
		return fmt.Sprintf("want a finding %s as %s -> %s on %s; got:%s", start, as, action, res, dumpFindings(r))
	}
}

// readsAs are the sessions among only that start reads prod objects as.
func readsAs(r *Reach, start string, only ...string) string {
	seen := map[string]bool{}
	var got []string
	for _, f := range r.Findings {
		if f.Principal == start && f.Action == "s3:GetObject" && slices.Contains(only, f.As) && !seen[f.As] {
			seen[f.As] = true
			got = append(got, f.As)
		}
	}
	slices.Sort(got)
	return strings.Join(got, ",")
}

func all(fs ...func(*Reach) string) func(*Reach) string {
	return func(r *Reach) string {
		for _, f := range fs {
			if s := f(r); s != "" {
				return s
			}
		}
		return ""
	}
}

func bucketPolicy(inv *Inventory, bucket string, extra ...string) {
	tls := `{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::` + bucket + `","arn:aws:s3:::` + bucket + `/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}`
	inv.BucketPolicies[bucket] = stmts(append([]string{tls}, extra...)...)
}

func runAttacks(t *testing.T, cases []attackCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.known != "" && os.Getenv("XACCT_ATTACK_KNOWN") == "" {
				// XACCT_ATTACK_KNOWN=1 runs the known misses, to see them fail.
				t.Skip("KNOWN MISS: " + tt.known)
			}
			_, r := plant(t, tt.extra, tt.edit)
			if msg := tt.want(r); msg != "" {
				t.Error(msg)
			}
		})
	}
}

// TestReachAttackPolicyShapes: NotAction, NotPrincipal, wildcards, conditions,
// boundaries, managed policies, malformed documents.
func TestReachAttackPolicyShapes(t *testing.T) {
	t.Parallel()
	outsider := "administrator of account " + outID + " (outside the three)"
	runAttacks(t, []attackCase{
		{
			name: "NotAction iam:* (PowerUser) on a Production user reaches the bucket",
			edit: func(inv *Inventory, a map[string]*Account) {
				addUser(a["production"], "pu", stmts(`{"Effect":"Allow","NotAction":["iam:*","organizations:*"],"Resource":"*"}`))
			},
			want: wantFinding("user pu (production)", "s3:DeleteObject", "acme-data-prod/"),
		},
		{
			name: "NotResource: everything but another bucket",
			edit: func(inv *Inventory, a map[string]*Account) {
				addUser(a["production"], "nr", stmts(`{"Effect":"Allow","Action":"s3:GetObject","NotResource":"arn:aws:s3:::other-bucket/*"}`))
			},
			want: wantFinding("user nr (production)", "s3:GetObject", "acme-data-prod/"),
		},
		{
			name: "bucket policy Principal * reaches anonymous",
			edit: func(inv *Inventory, a map[string]*Account) {
				bucketPolicy(inv, "acme-data-prod", `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"`+prodAll+`"}`)
			},
			want: wantFinding("anonymous", "s3:GetObject", "acme-data-prod/"),
		},
		{
			name: "bucket policy * with a TLS condition is still public",
			edit: func(inv *Inventory, a map[string]*Account) {
				bucketPolicy(inv, "acme-data-prod", `{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"`+prodAll+`","Condition":{"Bool":{"aws:SecureTransport":"true"}}}`)
			},
			want: wantFinding("anonymous", "s3:GetObject", "acme-data-prod/"),
		},
		{
			name: "bucket policy * limited by aws:PrincipalAccount (an account ID in a Condition)",
			edit: func(inv *Inventory, a map[string]*Account) {
				bucketPolicy(inv, "acme-data-prod", `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"`+prodAll+`","Condition":{"StringEquals":{"aws:PrincipalAccount":"`+outID+`"}}}`)
			},
			want: all(wantFinding(outsider, "s3:GetObject", "acme-data-prod/"), wantNoFindingFrom("anonymous")),
		},
		{
			name: "bucket policy * limited to a source IP: anyone from that network reads",
			edit: func(inv *Inventory, a map[string]*Account) {
				bucketPolicy(inv, "acme-data-prod", `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"`+prodAll+`","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}`)
			},
			want: wantFinding("anonymous", "s3:GetObject", "acme-data-prod/"),
		},
		{
			name: "bucket policy * limited to the organization (aws:PrincipalOrgID)",
			edit: func(inv *Inventory, a map[string]*Account) {
				bucketPolicy(inv, "acme-data-prod", `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"`+prodAll+`","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}}`)
			},
			want: wantFinding("user xacct-verify-administrator (development)", "s3:GetObject", "acme-data-prod/"),
		},
		{
			name: "bucket policy * for objects tagged public (s3:ExistingObjectTag)",
			edit: func(inv *Inventory, a map[string]*Account) {
				bucketPolicy(inv, "acme-data-prod", `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"`+prodAll+`","Condition":{"StringEquals":{"s3:ExistingObjectTag/public":"yes"}}}`)
			},
			want: wantFinding("anonymous", "s3:GetObject", "acme-data-prod/"),
		},
		{
			name: "identity Allow until a date (aws:CurrentTime)",
			edit: func(inv *Inventory, a map[string]*Account) {
				addUser(a["production"], "temp", stmts(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"`+prodAll+`","Condition":{"DateLessThan":{"aws:CurrentTime":"2099-01-01T00:00:00Z"}}}`))
			},
			want: wantFinding("user temp (production)", "s3:GetObject", "acme-data-prod/"),
		},
		{
			name: "ListBucket limited to a prefix (s3:prefix condition)",
			edit: func(inv *Inventory, a map[string]*Account) {
				addUser(a["production"], "lister", stmts(`{"Effect":"Allow","Action":"s3:ListBucket","Resource":"`+prodBucket+`","Condition":{"StringLike":{"s3:prefix":"exports/*"}}}`))
			},
			want: wantFinding("user lister (production)", "s3:ListBucket", "acme-data-prod"),
		},
		{
			name: "an IP-lock Deny on the bucket hides a hand-made reader",
			edit: func(inv *Inventory, a map[string]*Account) {
				bucketPolicy(inv, "acme-data-prod", `{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["`+prodBucket+`","`+prodAll+`"],"Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}`)
				addUser(a["production"], "reader", allow("s3:GetObject", prodAll))
			},
			want: wantFinding("user reader (production)", "s3:GetObject", "acme-data-prod/"),
		},
		{
			name: "key pattern with a bucket wildcard and a narrow key (arn:aws:s3:::*/exports/*)",
			edit: func(inv *Inventory, a map[string]*Account) {
				addUser(a["production"], "exporter", allow("s3:GetObject", "arn:aws:s3:::*/exports/*"))
			},
			want: wantFinding("user exporter (production)", "s3:GetObject", "acme-data-prod/"),
		},
		{
			name: "key pattern with a policy variable (home/${aws:username}/*)",
			edit: func(inv *Inventory, a map[string]*Account) {
				addUser(a["production"], "alice", allow("s3:GetObject", "arn:aws:s3:::acme-data-prod/home/${aws:username}/*"))
			},
			want: wantFinding("user alice (production)", "s3:GetObject", "acme-data-prod/home/alice/"),
		},
		{
			name: "key pattern written with JSON-escaped slashes",
			edit: func(inv *Inventory, a map[string]*Account) {
				addUser(a["production"], "esc", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-data-prod\/secret\/*"}]}`)
			},
			want: wantFinding("user esc (production)", "s3:GetObject", "acme-data-prod/secret/"),
		},
		{
			name: "Reporting: a writer pattern widened to the prefix's characters (metadata*)",
			edit: func(inv *Inventory, a map[string]*Account) {
				for i := range a["reporting"].Roles {
					if a["reporting"].Roles[i].Name == "acme-data-metadata-writer" {
						a["reporting"].Roles[i].Policies = []Doc{{Name: "role acme-data-metadata-writer policy write-metadata", Document: allow("s3:PutObject", "arn:aws:s3:::acme-data-reporting/metadata*")}}
					}
				}
			},
			want: wantFinding("function acme-data-metadata-processor (production)", "s3:PutObject", "acme-data-reporting/metadata-sibling"),
		},
		{
			name: "boundary limits an admin user to ListBucket: a finding, not an administrator",
			edit: func(inv *Inventory, a map[string]*Account) {
				u := addUser(a["production"], "bounded", adminPol)
				u.Boundary = &Doc{Name: "permissions boundary b", Document: allow("s3:ListBucket", "*")}
			},
			want: all(wantFinding("user bounded (production)", "s3:ListBucket", "acme-data-prod"), func(r *Reach) string {
				for _, f := range append(r.Findings, r.Administrators...) {
					if f.Principal == "user bounded (production)" && f.Action != "s3:ListBucket" {
						return "bounded user reaches beyond its boundary: " + f.Route()
					}
				}
				return ""
			}),
		},
		{
			name: "malformed documents do not crash the walk (identity, trust, bucket, boundary)",
			edit: func(inv *Inventory, a map[string]*Account) {
				u := addUser(a["production"], "broken", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow"`, `not json`, ``, `{"Statement":[]}`)
				u.Boundary = &Doc{Name: "permissions boundary broken", Document: `{{{`}
				addRole(a["production"], "broken-trust", `{"Statement":"x"}`, `[]`)
				inv.BucketPolicies["acme-data-reporting"] = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":12},"Action":"s3:GetObject"}]}`
			},
			want: wantNoFindingFrom("user broken (production)"),
		},
		{
			name: "a Statement given as one object (as IAM accepts it) still grants",
			edit: func(inv *Inventory, a map[string]*Account) {
				addUser(a["production"], "single", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"`+prodAll+`"}}`)
			},
			want: wantFinding("user single (production)", "s3:GetObject", "acme-data-prod/"),
		},
		{
			name: "a Version 2008-10-17 policy with mixed-case action still grants",
			edit: func(inv *Inventory, a map[string]*Account) {
				addUser(a["production"], "old", `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"S3:getobject","Resource":"`+prodAll+`"}]}`)
			},
			want: wantFinding("user old (production)", "s3:GetObject", "acme-data-prod/"),
		},
		{
			name: "a group with a customer managed policy, a user in several groups",
			edit: func(inv *Inventory, a map[string]*Account) {
				p := a["production"]
				for i := 0; i < 30; i++ {
					p.Groups = append(p.Groups, Group{Name: fmt.Sprintf("g%02d", i), ARN: fmt.Sprintf("arn:aws:iam::%s:group/g%02d", prodID, i)})
				}
				p.Groups = append(p.Groups, Group{Name: "readers", ARN: "arn:aws:iam::" + prodID + ":group/readers",
					Policies: []Doc{{Name: "managed policy arn:aws:iam::" + prodID + ":policy/read-prod", Document: allow("s3:GetObject", prodAll)}}})
				u := addUser(p, "many")
				for i := 0; i < 30; i++ {
					u.Groups = append(u.Groups, fmt.Sprintf("g%02d", i))
				}
				u.Groups = append(u.Groups, "readers")
			},
			want: wantFinding("user many (production)", "s3:GetObject", "acme-data-prod/"),
		},
		{
			name: "a user may write a new version of the managed policy of its group",
			edit: func(inv *Inventory, a map[string]*Account) {
				p := a["production"]
				p.Groups = append(p.Groups, Group{Name: "ops", ARN: "arn:aws:iam::" + prodID + ":group/ops",
					Policies: []Doc{{Name: "managed policy arn:aws:iam::" + prodID + ":policy/ops", Document: allow("iam:CreatePolicyVersion", "arn:aws:iam::"+prodID+":policy/ops")}}})
				addUser(p, "opsuser").Groups = []string{"ops"}
			},
			want: wantFinding("user opsuser (production)", "s3:GetObject", "acme-data-prod/"),
		},
	})
}

// TestReachAttackPrincipals: who the starts are and how principals outside
// the three accounts are named.
func TestReachAttackPrincipals(t *testing.T) {
	t.Parallel()
	outsider := "administrator of account " + outID + " (outside the three)"
	anyOther := "administrator of any other account"
	read := func(a *Account, name, trust string) { addRole(a, name, trust, allow("s3:GetObject", prodAll)) }
	runAttacks(t, []attackCase{
		{
			name: "a role trusting Principal AWS * is reached from any account",
			edit: func(inv *Inventory, a map[string]*Account) { read(a["production"], "open", trusts("*")) },
			want: wantFinding(anyOther, "s3:GetObject", "acme-data-prod/"),
		},
		{
			name: "a role trusting a bare outside account ID",
			edit: func(inv *Inventory, a map[string]*Account) { read(a["production"], "bare", trusts(outID)) },
			want: wantFinding(outsider, "s3:GetObject", "acme-data-prod/"),
		},
		{
			name: "a role trusting one named role of an outside account",
			edit: func(inv *Inventory, a map[string]*Account) {
				read(a["production"], "partner", trusts("arn:aws:iam::"+outID+":role/vendor"))
			},
			// The named role is a start of its own (its account's policies
			// are unknown, so it may do anything there).
			want: wantFinding("role vendor of account "+outID+" (outside the three)", "s3:GetObject", "acme-data-prod/"),
		},
		{
			name: "a bucket policy granting one named role of an outside account",
			edit: func(inv *Inventory, a map[string]*Account) {
				bucketPolicy(inv, "acme-data-prod", `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+outID+`:role/vendor"},"Action":"s3:GetObject","Resource":"`+prodAll+`"}`)
			},
			want: wantFinding("role vendor of account "+outID+" (outside the three)", "s3:GetObject", "acme-data-prod/"),
		},
		{
			name: "a third-party role trust with sts:ExternalId",
			edit: func(inv *Inventory, a map[string]*Account) {
				read(a["production"], "saas", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+outID+`:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"s3cr3t"}}}]}`)
			},
			want: wantFinding(outsider, "s3:GetObject", "acme-data-prod/"),
		},
		{
			name: "a role trusting a service (EC2) and a user who may pass it and run an instance",
			edit: func(inv *Inventory, a map[string]*Account) {
				read(a["production"], "ec2-reader", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
				addUser(a["production"], "launcher", stmts(
					`{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::`+prodID+`:role/ec2-reader"}`,
					`{"Effect":"Allow","Action":["ec2:RunInstances","iam:CreateInstanceProfile","iam:AddRoleToInstanceProfile"],"Resource":"*"}`))
			},
			want: wantFinding("user launcher (production)", "s3:GetObject", "acme-data-prod/"),
		},
		{
			name: "a role trusting a service only, nobody may pass it: no finding",
			edit: func(inv *Inventory, a map[string]*Account) {
				read(a["production"], "ec2-only", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
			},
			want: wantNoFindingFrom(""),
		},
		{
			name: "a Development user with sts:AssumeRole on * but in no group takes a group's role",
			edit: func(inv *Inventory, a map[string]*Account) {
				addUser(a["development"], "roamer", allow("sts:AssumeRole", "*"))
			},
			want: wantFinding("user roamer (development)", "s3:PutObject", "acme-data-prod/"),
		},
		{
			name:  "a config member of Developers is intended, not a finding (nor with MFA required)",
			extra: "groups:\n  developers: { members: [dana], require_mfa: true }\n  testers: {}\n",
			edit:  func(*Inventory, map[string]*Account) {},
			want:  wantNoFindingFrom(""),
		},
		{
			name: "a second function run with the processor's role is a finding",
			edit: func(inv *Inventory, a map[string]*Account) {
				p := a["production"]
				p.Functions = append(p.Functions, Function{Name: "copycat", ARN: "arn:aws:lambda:us-east-1:" + prodID + ":function:copycat",
					Role: "arn:aws:iam::" + prodID + ":role/acme-data-metadata-processor"})
			},
			want: wantFinding("function copycat (production)", "s3:GetObject", "acme-data-prod/"),
		},
		{
			name: "a function whose role is the Reporting writer (another account) acts as the writer",
			edit: func(inv *Inventory, a map[string]*Account) {
				p := a["production"]
				p.Functions = append(p.Functions, Function{Name: "xwriter", ARN: "arn:aws:lambda:us-east-1:" + prodID + ":function:xwriter",
					Role: "arn:aws:iam::" + repID + ":role/acme-data-metadata-writer"})
				p.Functions = append(p.Functions, Function{Name: "ghost", ARN: "arn:aws:lambda:us-east-1:" + prodID + ":function:ghost",
					Role: "arn:aws:iam::" + outID + ":role/nowhere"})
				addUser(p, "deployer", allow("lambda:UpdateFunctionCode", "arn:aws:lambda:us-east-1:"+prodID+":function:xwriter"))
			},
			want: wantFinding("user deployer (production)", "s3:PutObject", "acme-data-reporting/metadata/"),
		},
		{
			name: "the stack's group role trusts an outside account too",
			edit: func(inv *Inventory, a map[string]*Account) {
				for i := range a["production"].Roles {
					if a["production"].Roles[i].Name == "acme-data-testers" {
						a["production"].Roles[i].Trust = trusts("arn:aws:iam::" + outID + ":root")
					}
				}
			},
			want: wantFinding(outsider, "s3:GetObject", "acme-data-prod/"),
		},
		{
			name: "OrganizationAccountAccessRole made to trust an account that is not the management account",
			edit: func(inv *Inventory, a map[string]*Account) {
				addRole(a["production"], "OrganizationAccountAccessRole", trusts("arn:aws:iam::"+outID+":root"), adminPol)
			},
			want: wantFinding(outsider, "s3:GetObject", "acme-data-prod/"),
		},
		{
			name: "a non-administrator Development user becomes a Production administrator through a hand-made role",
			edit: func(inv *Inventory, a map[string]*Account) {
				addUser(a["development"], "bob", allow("sts:AssumeRole", "arn:aws:iam::"+prodID+":role/ops-admin"))
				addRole(a["production"], "ops-admin", trusts("arn:aws:iam::"+devID+":root"), adminPol)
			},
			want: wantFinding("user bob (development)", "s3:GetObject", "acme-data-prod/"),
		},
	})
}

// TestReachAttackPaths: chains, cycles, escalations, role paths, the
// per-identity result cache.
func TestReachAttackPaths(t *testing.T) {
	t.Parallel()
	role := func(acct, name string) string { return "arn:aws:iam::" + acct + ":role/" + name }
	runAttacks(t, []attackCase{
		{
			name: "a cycle of roles trusting each other terminates and is found",
			edit: func(inv *Inventory, a map[string]*Account) {
				addUser(a["development"], "cyc", allow("sts:AssumeRole", role(prodID, "ring-a")))
				addRole(a["production"], "ring-a", trusts("arn:aws:iam::"+devID+":root"), allow("sts:AssumeRole", "*"))
				addRole(a["production"], "ring-b", trusts(role(prodID, "ring-a")), allow("sts:AssumeRole", "*"))
				addRole(a["reporting"], "ring-c", trusts(role(prodID, "ring-b")), allow("sts:AssumeRole", "*"), allow("s3:GetObject", repAll))
				a["production"].Roles[len(a["production"].Roles)-2].Trust = stmts(
					`{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::` + devID + `:root","` + role(repID, "ring-c") + `"]},"Action":"sts:AssumeRole"}`)
			},
			want: wantFinding("user cyc (development)", "s3:GetObject", "acme-data-reporting/"),
		},
		{
			name: "a role chain of depth 10",
			edit: func(inv *Inventory, a map[string]*Account) {
				addUser(a["development"], "deep", allow("sts:AssumeRole", role(prodID, "chain-1")))
				prev := "arn:aws:iam::" + devID + ":user/deep"
				for i := 1; i <= 10; i++ {
					docs := []string{allow("sts:AssumeRole", role(prodID, fmt.Sprintf("chain-%d", i+1)))}
					if i == 10 {
						docs = []string{allow("s3:GetObject", prodAll)}
					}
					addRole(a["production"], fmt.Sprintf("chain-%d", i), trusts(prev), docs...)
					prev = role(prodID, fmt.Sprintf("chain-%d", i))
				}
			},
			want: wantFinding("user deep (development)", "s3:GetObject", "acme-data-prod/"),
		},
		{
			name: "a role with a path (/team/) in a chain, trust by Principal",
			edit: func(inv *Inventory, a map[string]*Account) {
				addUser(a["development"], "pathy", allow("sts:AssumeRole", "arn:aws:iam::"+prodID+":role/team/hop"))
				r := addRole(a["production"], "hop", trusts("arn:aws:iam::"+devID+":user/pathy"), allow("sts:AssumeRole", role(prodID, "after-hop")))
				r.ARN = "arn:aws:iam::" + prodID + ":role/team/hop"
				addRole(a["production"], "after-hop", trusts("arn:aws:iam::"+prodID+":role/team/hop"), allow("s3:GetObject", prodAll))
			},
			want: wantFinding("user pathy (development)", "s3:GetObject", "acme-data-prod/"),
		},
		{
			name: "a role with a path, trusted by an aws:PrincipalArn condition that names the path",
			edit: func(inv *Inventory, a map[string]*Account) {
				addUser(a["development"], "pathy2", allow("sts:AssumeRole", "*"))
				r := addRole(a["production"], "hop2", trusts("arn:aws:iam::"+devID+":root"), allow("sts:AssumeRole", "*"))
				r.ARN = "arn:aws:iam::" + prodID + ":role/team/hop2"
				addRole(a["production"], "after-hop2", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+prodID+`:root"},"Action":"sts:AssumeRole","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::`+prodID+`:role/team/*"}}}]}`,
					allow("s3:GetObject", prodAll))
			},
			want: wantFindingAs("user pathy2 (development)", "role after-hop2 (production)", "s3:GetObject", "acme-data-prod/"),
		},
		{
			name: "a role with a path may write its own policy",
			edit: func(inv *Inventory, a map[string]*Account) {
				addUser(a["production"], "pathself", allow("sts:AssumeRole", "arn:aws:iam::"+prodID+":role/team/selfish"))
				r := addRole(a["production"], "selfish", trusts("arn:aws:iam::"+prodID+":user/pathself"), allow("iam:PutRolePolicy", "arn:aws:iam::"+prodID+":role/team/selfish"))
				r.ARN = "arn:aws:iam::" + prodID + ":role/team/selfish"
			},
			want: wantFinding("user pathself (production)", "s3:GetObject", "acme-data-prod/"),
		},
		{
			name: "a user may write the policy of a role it can assume (not its own)",
			edit: func(inv *Inventory, a map[string]*Account) {
				addUser(a["production"], "pat", stmts(`{"Effect":"Allow","Action":["sts:AssumeRole","iam:PutRolePolicy"],"Resource":"`+role(prodID, "empty")+`"}`))
				addRole(a["production"], "empty", trusts("arn:aws:iam::"+prodID+":user/pat"))
			},
			want: wantFinding("user pat (production)", "s3:GetObject", "acme-data-prod/"),
		},
		{
			name: "a user may write a new version of a managed policy attached to a role it can assume",
			edit: func(inv *Inventory, a map[string]*Account) {
				pol := "arn:aws:iam::" + prodID + ":policy/shared"
				addUser(a["production"], "ver", stmts(`{"Effect":"Allow","Action":"iam:CreatePolicyVersion","Resource":"`+pol+`"}`, `{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"`+role(prodID, "holder")+`"}`))
				r := addRole(a["production"], "holder", trusts("arn:aws:iam::"+prodID+":user/ver"))
				r.Policies = []Doc{{Name: "managed policy " + pol, Document: allow("logs:PutLogEvents", "*")}}
			},
			want: wantFinding("user ver (production)", "s3:GetObject", "acme-data-prod/"),
		},
		{
			name: "a user may reset an administrator's console password (iam:UpdateLoginProfile)",
			edit: func(inv *Inventory, a map[string]*Account) {
				addUser(a["production"], "helpdesk", allow("iam:UpdateLoginProfile", "arn:aws:iam::"+prodID+":user/boss"))
				addUser(a["production"], "boss", allow("s3:GetObject", prodAll))
			},
			want: wantFinding("user helpdesk (production)", "s3:GetObject", "acme-data-prod/"),
		},
		{
			name: "a user may create another user's access key",
			edit: func(inv *Inventory, a map[string]*Account) {
				addUser(a["production"], "keymaker", allow("iam:CreateAccessKey", "arn:aws:iam::"+prodID+":user/*"))
				addUser(a["production"], "reader2", allow("s3:GetObject", prodAll))
			},
			want: wantFinding("user keymaker (production)", "s3:GetObject", "acme-data-prod/"),
		},
		{
			name: "a user may delete its own permissions boundary",
			edit: func(inv *Inventory, a map[string]*Account) {
				u := addUser(a["production"], "unbound", adminPol)
				u.Boundary = &Doc{Name: "permissions boundary b", Document: allow("iam:DeleteUserPermissionsBoundary", "arn:aws:iam::"+prodID+":user/unbound")}
			},
			want: func(r *Reach) string {
				for _, f := range append(r.Findings, r.Administrators...) {
					if f.Principal == "user unbound (production)" && f.Action == "s3:GetObject" {
						return ""
					}
				}
				return "want user unbound to reach s3:GetObject (finding or administrator); got:" + dumpFindings(r)
			},
		},
		{
			name: "a user may rewrite a role's trust in its account",
			edit: func(inv *Inventory, a map[string]*Account) {
				addUser(a["production"], "truster", allow("iam:UpdateAssumeRolePolicy", role(prodID, "locked")))
				addRole(a["production"], "locked", trusts("arn:aws:iam::"+repID+":root"), allow("s3:GetObject", prodAll))
			},
			want: wantFinding("user truster (production)", "s3:GetObject", "acme-data-prod/"),
		},
		{
			name: "a bucket policy granting one Development role: the role it names, and only it",
			edit: func(inv *Inventory, a map[string]*Account) {
				// a-reader and b-reader have the same identity; only b-reader
				// is named by the bucket policy.
				for _, n := range []string{"a-reader", "b-reader"} {
					addRole(a["development"], n, trusts("arn:aws:iam::"+devID+":user/roamer"), allow("s3:GetObject", prodAll))
				}
				addUser(a["development"], "roamer", allow("sts:AssumeRole", "*"))
				bucketPolicy(inv, "acme-data-prod", `{"Effect":"Allow","Principal":{"AWS":"`+role(devID, "b-reader")+`"},"Action":"s3:GetObject","Resource":"`+prodAll+`"}`)
			},
			want: func(r *Reach) string {
				got := readsAs(r, "user roamer (development)", "role a-reader (development)", "role b-reader (development)")
				if got != "role b-reader (development)" {
					return fmt.Sprintf("want roamer to read as role b-reader only; read as %q", got)
				}
				return ""
			},
		},
		{
			name: "control: a bucket policy granting one Development role, with no look-alike role",
			edit: func(inv *Inventory, a map[string]*Account) {
				addRole(a["development"], "b-reader", trusts("arn:aws:iam::"+devID+":user/roamer"), allow("s3:GetObject", prodAll))
				addUser(a["development"], "roamer", allow("sts:AssumeRole", "*"))
				bucketPolicy(inv, "acme-data-prod", `{"Effect":"Allow","Principal":{"AWS":"`+role(devID, "b-reader")+`"},"Action":"s3:GetObject","Resource":"`+prodAll+`"}`)
			},
			want: func(r *Reach) string {
				if got := readsAs(r, "user roamer (development)", "role b-reader (development)"); got != "role b-reader (development)" {
					return fmt.Sprintf("want roamer to read as role b-reader; read as %q", got)
				}
				return ""
			},
		},
		{
			name: "control: a policy conditioned on aws:username, its one member",
			edit: func(inv *Inventory, a map[string]*Account) {
				p := a["production"]
				p.Groups = append(p.Groups, Group{Name: "staff", ARN: "arn:aws:iam::" + prodID + ":group/staff",
					Policies: []Doc{{Name: "group staff policy p", Document: stmts(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"` + prodAll + `","Condition":{"StringEquals":{"aws:username":"zoe"}}}`)}}})
				addUser(p, "zoe").Groups = []string{"staff"}
			},
			want: wantFinding("user zoe (production)", "s3:GetObject", "acme-data-prod/"),
		},
		{
			name: "same, with the bucket naming a-reader: b-reader is falsely reported",
			edit: func(inv *Inventory, a map[string]*Account) {
				for _, n := range []string{"a-reader", "b-reader"} {
					addRole(a["development"], n, trusts("arn:aws:iam::"+devID+":user/roamer"), allow("s3:GetObject", prodAll))
				}
				addUser(a["development"], "roamer", allow("sts:AssumeRole", "*"))
				bucketPolicy(inv, "acme-data-prod", `{"Effect":"Allow","Principal":{"AWS":"`+role(devID, "a-reader")+`"},"Action":"s3:GetObject","Resource":"`+prodAll+`"}`)
			},
			want: func(r *Reach) string {
				got := readsAs(r, "user roamer (development)", "role a-reader (development)", "role b-reader (development)")
				if got != "role a-reader (development)" {
					return fmt.Sprintf("want roamer to read as role a-reader only; read as %q", got)
				}
				return ""
			},
		},
		{
			name: "a group policy conditioned on aws:username: the cache must not share results between its members",
			edit: func(inv *Inventory, a map[string]*Account) {
				p := a["production"]
				p.Groups = append(p.Groups, Group{Name: "staff", ARN: "arn:aws:iam::" + prodID + ":group/staff",
					Policies: []Doc{{Name: "group staff policy p", Document: stmts(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"` + prodAll + `","Condition":{"StringEquals":{"aws:username":"zoe"}}}`)}}})
				addUser(p, "adam").Groups = []string{"staff"}
				addUser(p, "zoe").Groups = []string{"staff"}
			},
			want: wantFinding("user zoe (production)", "s3:GetObject", "acme-data-prod/"),
		},
	})
}

// bigInventory adds users Development users and roles Production roles in
// chains of six (each role trusts the one before, the chain's head trusts
// Development), each user allowed to assume one chain's head, every tenth
// in a group; the last role of each chain reads Reporting's objects.
func bigInventory(users, roles int) func(inv *Inventory, a map[string]*Account) {
	return func(inv *Inventory, a map[string]*Account) {
		const chain = 6 // within maxDepth, so the chains' ends are found
		dev, prod := a["development"], a["production"]
		for g := 0; g < 20; g++ {
			dev.Groups = append(dev.Groups, Group{Name: fmt.Sprintf("team-%02d", g), ARN: fmt.Sprintf("arn:aws:iam::%s:group/team-%02d", devID, g),
				Policies: []Doc{{Name: "group policy", Document: allow("s3:ListAllMyBuckets", "*")}}})
		}
		heads := (roles + chain - 1) / chain
		for i := 0; i < roles; i++ {
			c, k := i/chain, i%chain
			name := fmt.Sprintf("c%03d-%d", c, k)
			trust := trusts("arn:aws:iam::" + devID + ":root")
			if k > 0 {
				trust = trusts(fmt.Sprintf("arn:aws:iam::%s:role/c%03d-%d", prodID, c, k-1))
			}
			doc := allow("sts:AssumeRole", fmt.Sprintf("arn:aws:iam::%s:role/c%03d-%d", prodID, c, k+1))
			if k == chain-1 || i == roles-1 {
				doc = stmts(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"`+repAll+`"}`, `{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::`+prodID+`:role/c000-0"}`)
			}
			addRole(prod, name, trust, doc)
		}
		for i := 0; i < users; i++ {
			u := addUser(dev, fmt.Sprintf("u%04d", i), allow("sts:AssumeRole", fmt.Sprintf("arn:aws:iam::%s:role/c%03d-0", prodID, i%heads)))
			if i%10 == 0 {
				u.Groups = []string{fmt.Sprintf("team-%02d", i%20)}
			}
		}
		for i := range inv.Accounts {
			inv.Accounts[i].sort()
		}
	}
}

// BenchmarkComputeReachBig times the walk on a big, chain-heavy inventory:
// go test ./internal/verify/ -run '^$' -bench ComputeReachBig -benchtime 1x
func BenchmarkComputeReachBig(b *testing.B) {
	for _, size := range []struct{ users, roles int }{{200, 50}, {500, 100}, {2000, 300}} {
		b.Run(fmt.Sprintf("users=%d,roles=%d", size.users, size.roles), func(b *testing.B) {
			c, values := rendered(&testing.T{}, base)
			inv := RenderedInventory(c, FromValues(values))
			acct := map[string]*Account{}
			for i := range inv.Accounts {
				acct[inv.Accounts[i].Key] = &inv.Accounts[i]
			}
			bigInventory(size.users, size.roles)(inv, acct)
			b.ResetTimer()
			var r *Reach
			for i := 0; i < b.N; i++ {
				r = ComputeReach(c, inv, false)
			}
			b.ReportMetric(float64(r.Requests), "requests/op")
			b.ReportMetric(float64(len(r.Findings)), "findings")
		})
	}
}
