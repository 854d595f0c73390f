package policies

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"text/template"

	"github.com/xacct/xacct/internal/golden"
	"github.com/xacct/xacct/internal/iampolicy"
)

// samples renders every template; each case's canonical output is a golden
// file, reviewed like code: it is exactly what xacct deploys.
var samples = []struct {
	name     string
	template string
	data     any
}{
	{"group-assume-role", "group-assume-role.json.tmpl", GroupAssumeRole{RoleARN: "arn:aws:iam::222222222222:role/acme-data-developers"}},
	{"group-role-trust", "group-role-trust.json.tmpl", GroupRoleTrust{DevelopmentAccount: "111111111111"}},
	{"group-role-trust-mfa", "group-role-trust.json.tmpl", GroupRoleTrust{DevelopmentAccount: "111111111111", RequireMFA: true}},
	{"group-role-permissions-developers", "group-role-permissions.json.tmpl", GroupRolePermissions{Bucket: "acme-data-prod", ObjectActions: []string{"s3:GetObject", "s3:PutObject"}}},
	{"group-role-permissions-testers", "group-role-permissions.json.tmpl", GroupRolePermissions{Bucket: "acme-data-prod", ObjectActions: []string{"s3:GetObject"}, BucketActions: []string{"s3:ListBucket"}}},
	{"group-role-permissions-bucket-only", "group-role-permissions.json.tmpl", GroupRolePermissions{Bucket: "acme-data-prod", BucketActions: []string{"s3:ListBucket"}}},
	{"tls-only-bucket", "tls-only-bucket.json.tmpl", Bucket{Bucket: "acme-data-prod"}},
	{"tls-only-bucket-reports", "tls-only-bucket.json.tmpl", Bucket{Bucket: "acme-data-reporting",
		ReportWriterARN: "arn:aws:iam::222222222222:role/acme-data-metadata-backfill", ReportPrefix: "batch-reports/",
		OnlyWriterARN: "arn:aws:iam::333333333333:role/acme-data-metadata-writer", OnlyWriterPrefix: "metadata/"}},
	{"tls-only-bucket-failures", "tls-only-bucket.json.tmpl", Bucket{Bucket: "acme-data-processor-failures",
		OnlyWriterARN: "arn:aws:iam::222222222222:role/acme-data-metadata-processor", OnlyWriterPrefix: "aws/lambda/async/"}},
	{"tls-only-bucket-logs", "tls-only-bucket.json.tmpl", Bucket{Bucket: "acme-data-logs-333333333333", CloudTrail: []TrailSource{
		{Account: "111111111111", TrailARN: "arn:aws:cloudtrail:us-east-1:111111111111:trail/acme-data-trail"},
		{Account: "222222222222", TrailARN: "arn:aws:cloudtrail:us-east-1:222222222222:trail/acme-data-trail"},
		{Account: "333333333333", TrailARN: "arn:aws:cloudtrail:us-east-1:333333333333:trail/acme-data-trail"}}}},
	{"batch-trust", "batch-trust.json.tmpl", BatchTrust{ProductionAccount: "222222222222"}},
	{"batch-permissions", "batch-permissions.json.tmpl", BatchPermissions{FunctionARN: "arn:aws:lambda:us-east-1:222222222222:function:acme-data-metadata-processor",
		ManifestBucket: "acme-data-processor-failures", ManifestPrefix: "xacct-manifests/", ReportBucket: "acme-data-reporting", ReportPrefix: "batch-reports/"}},
	{"processor-trust", "processor-trust.json.tmpl", ProcessorTrust{ProductionAccount: "222222222222"}},
	{"processor-permissions", "processor-permissions.json.tmpl", ProcessorPermissions{Region: "us-east-1", ProductionAccount: "222222222222",
		LogGroup: "/aws/lambda/acme-data-metadata-processor", Bucket: "acme-data-prod", WriterRoleARN: "arn:aws:iam::333333333333:role/acme-data-metadata-writer",
		FailureBucket: "acme-data-processor-failures", FunctionName: "acme-data-metadata-processor"}},
	{"writer-trust", "writer-trust.json.tmpl", WriterTrust{ProductionAccount: "222222222222", ProcessorRoleARN: "arn:aws:iam::222222222222:role/acme-data-metadata-processor"}},
	{"writer-permissions", "writer-permissions.json.tmpl", WriterPermissions{Bucket: "acme-data-reporting", Prefix: "metadata/"}},
}

func TestRenderGolden(t *testing.T) {
	t.Parallel()
	covered := map[string]bool{}
	for _, s := range samples {
		covered[s.template] = true
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			p, err := Render(s.template, s.data)
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := json.Indent(&got, iampolicy.Canonical(p), "", "  "); err != nil {
				t.Fatal(err)
			}
			got.WriteByte('\n')
			golden.Check(t, filepath.Join("testdata", s.name+".json"), got.Bytes())
		})
	}
	names := Names()
	sort.Strings(names)
	for _, n := range names {
		if _, ok := kinds[n]; !ok {
			t.Errorf("template %s has no policy kind", n)
		}
		if !covered[n] {
			t.Errorf("template %s is not rendered by any test case", n)
		}
	}
	if len(names) != len(kinds) {
		t.Errorf("%d templates, %d kinds", len(names), len(kinds))
	}
}

func TestRenderErrors(t *testing.T) {
	t.Parallel()
	if _, err := Render("nope.json.tmpl", nil); err == nil || !strings.Contains(err.Error(), "no such policy template") {
		t.Errorf("unknown template: %v", err)
	}
	// A value that would break the JSON if pasted raw is quoted by the
	// template's json function.
	p, err := Render("group-assume-role.json.tmpl", GroupAssumeRole{RoleARN: `arn:aws:iam::222222222222:role/x", "Resource": "*`})
	if err != nil {
		t.Fatal(err)
	}
	if r := p.Statements[0].Resource; len(r) != 1 || !strings.Contains(r[0], `"Resource"`) {
		t.Errorf("injected value escaped its string: %v", r)
	}
	// No actions at all renders a document IAM rejects: the engine says so.
	if _, err := Render("group-role-permissions.json.tmpl", GroupRolePermissions{Bucket: "b"}); err == nil {
		t.Error("a permissions policy without statements rendered")
	}
	// Missing data is an error, not an empty string.
	if _, err := Render("writer-permissions.json.tmpl", struct{ Bucket string }{"b"}); err == nil {
		t.Error("missing template field rendered")
	}
}

// TestRenderMatchesTextTemplate: render.go executes the templates as
// text/template would, byte for byte, for every sample and for data that
// takes the other branches (empty lists, no optional ARNs); a template
// text/template refuses, render.go refuses too.
func TestRenderMatchesTextTemplate(t *testing.T) {
	t.Parallel()
	ref := template.Must(template.New("").Option("missingkey=error").Funcs(template.FuncMap{
		"json": func(v any) (string, error) {
			b, err := json.Marshal(v)
			return string(b), err
		},
	}).ParseFS(files, "*.json.tmpl"))
	cases := append([]struct {
		name     string
		template string
		data     any
	}{
		{"empty permissions", "group-role-permissions.json.tmpl", GroupRolePermissions{Bucket: "b"}},
		{"one trail", "tls-only-bucket.json.tmpl", Bucket{Bucket: "logs", CloudTrail: []TrailSource{{Account: "1", TrailARN: "arn"}}}},
		{"quotes in data", "writer-permissions.json.tmpl", WriterPermissions{Bucket: `a"b`, Prefix: `<&>`}},
		{"pointer data", "group-role-trust.json.tmpl", &GroupRoleTrust{DevelopmentAccount: "1", RequireMFA: true}},
		{"wrong data", "writer-permissions.json.tmpl", GroupAssumeRole{RoleARN: "x"}},
	}, samples...)
	for _, c := range cases {
		var want, got bytes.Buffer
		wantErr := ref.ExecuteTemplate(&want, c.template, c.data)
		gotErr := execute(&got, mustTemplates()[c.template], c.data)
		if (wantErr == nil) != (gotErr == nil) {
			t.Errorf("%s: text/template's error %v, render.go's %v", c.name, wantErr, gotErr)
			continue
		}
		if wantErr == nil && got.String() != want.String() {
			t.Errorf("%s: render.go wrote\n%s\ntext/template\n%s", c.name, got.String(), want.String())
		}
	}
}
