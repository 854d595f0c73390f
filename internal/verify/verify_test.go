package verify

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/xacct/xacct/internal/config"
	"github.com/xacct/xacct/internal/stack"
)

const base = `stack: acme-data
region: us-east-1
accounts:
  development: { id: "111111111111" }
  production: { id: "222222222222" }
  reporting: { id: "333333333333" }
production: { bucket: acme-data-prod }
reporting: { bucket: acme-data-reporting }
`

const thirdGroup = base + `groups:
  developers: {}
  testers: {}
  auditors:
    actions: [s3:ListBucket, s3:GetBucketPolicy]
`

func rendered(t *testing.T, yaml string) (*config.Config, map[string]json.RawMessage) {
	t.Helper()
	c, err := config.Parse([]byte(yaml), "xacct.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rs, err := stack.Build(c, "dGVzdA==")
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]json.RawMessage{}
	for _, r := range rs {
		values[r.Addr.String()] = r.Desired
	}
	return c, values
}

func TestRenderedMatchesIntent(t *testing.T) {
	t.Parallel()
	for name, yaml := range map[string]string{"default": base, "third-group": thirdGroup} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, values := rendered(t, yaml)
			m := Compute(c, FromValues(values))
			for _, c := range m.Checks {
				if !c.OK() {
					t.Errorf("the default templates do not match the intent: %s", describe(c))
				}
			}
		})
	}
}

func TestIntent(t *testing.T) {
	t.Parallel()
	c, values := rendered(t, thirdGroup)
	m := Compute(c, FromValues(values))
	intent := map[string]bool{}
	for _, ch := range m.Checks {
		if ch.TLS {
			intent[ch.Principal+"|"+ch.Action+"|"+ch.Resource] = ch.Intended
		}
	}
	prodObj, prodBkt, repObj := "arn:aws:s3:::acme-data-prod/*", "arn:aws:s3:::acme-data-prod", "arn:aws:s3:::acme-data-reporting/*"
	tests := []struct {
		principal, action, resource string
		want                        bool
	}{
		{"Developers member via acme-data-developers", "s3:PutObject", prodObj, true},
		{"Developers member via acme-data-developers", "s3:GetObject", prodObj, true},
		{"Developers member via acme-data-developers", "s3:ListBucket", prodBkt, false},
		{"Developers member via acme-data-developers", "s3:DeleteObject", prodObj, false},
		{"Testers member via acme-data-testers", "s3:PutObject", prodObj, false},
		{"Testers member via acme-data-testers", "s3:ListBucket", prodBkt, true},
		{"Auditors member via acme-data-auditors", "s3:GetObject", prodObj, false},
		{"Auditors member via acme-data-auditors", "s3:ListBucket", prodBkt, true},
		{"Developers member via acme-data-developers", "s3:PutObject", repObj, false},
		{"Developers member", "sts:AssumeRole", "arn:aws:iam::222222222222:role/acme-data-developers", true},
		{"Developers member", "sts:AssumeRole", "arn:aws:iam::222222222222:role/acme-data-testers", false},
		{"Developers member", "sts:AssumeRole", "arn:aws:iam::333333333333:role/acme-data-metadata-writer", false},
		{"metadata processor (acme-data-metadata-processor)", "s3:GetObject", prodObj, true},
		{"metadata processor (acme-data-metadata-processor)", "s3:PutObject", prodObj, false},
		{"metadata processor (acme-data-metadata-processor)", "sts:AssumeRole", "arn:aws:iam::333333333333:role/acme-data-metadata-writer", true},
		{"metadata writer (acme-data-metadata-writer) via the processor", "s3:PutObject", "arn:aws:s3:::acme-data-reporting/metadata/*", true},
		{"metadata writer (acme-data-metadata-writer) via the processor", "s3:GetObject", "arn:aws:s3:::acme-data-reporting/metadata/*", false},
		{"administrator of another account", "s3:GetObject", prodObj, false},
		{"anonymous", "s3:GetObject", repObj, false},
	}
	for _, tt := range tests {
		got, ok := intent[tt.principal+"|"+tt.action+"|"+tt.resource]
		if !ok {
			t.Errorf("no check for %s %s %s", tt.principal, tt.action, tt.resource)
			continue
		}
		if got != tt.want {
			t.Errorf("%s %s %s: intended %v, want %v", tt.principal, tt.action, tt.resource, got, tt.want)
		}
	}
}

// TestPlantedOverGrantsFail: each over-grant planted in a rendered policy is
// found and named.
func TestPlantedOverGrantsFail(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, addr, field, old, new string
		wantMismatch, wantReason    string
	}{
		{"tester role given s3:PutObject", "production/iam_role_policy/acme-data-testers/s3-access", "policy",
			`"Action":["s3:GetObject"]`, `"Action":["s3:GetObject","s3:PutObject"]`,
			"Testers member via acme-data-testers s3:PutObject on arn:aws:s3:::acme-data-prod/*: intended deny, effective allow",
			"production/iam_role_policy/acme-data-testers/s3-access statement ObjectAccess (Allow)"},
		// Principal "*" alone is still held by the aws:PrincipalArn
		// condition; the over-grant is "*" without it.
		{"trust opened to everyone", "production/iam_role/acme-data-testers", "trust",
			"", `{"Version":"2012-10-17","Statement":[{"Sid":"DevelopmentUsers","Effect":"Allow","Principal":"*","Action":["sts:AssumeRole","sts:SetSourceIdentity"]}]}`,
			"administrator of another account sts:AssumeRole on arn:aws:iam::222222222222:role/acme-data-testers: intended deny, effective allow",
			"production/iam_role/acme-data-testers statement DevelopmentUsers (Allow)"},
		// Actions outside the six shown: found by the evaluation of every
		// S3 action xacct knows.
		{"tester role given s3:DeleteObjectVersion", "production/iam_role_policy/acme-data-testers/s3-access", "policy",
			`"Action":["s3:GetObject"]`, `"Action":["s3:GetObject","s3:DeleteObjectVersion"]`,
			"Testers member via acme-data-testers s3:DeleteObjectVersion on arn:aws:s3:::acme-data-prod/*: intended deny, effective allow",
			"production/iam_role_policy/acme-data-testers/s3-access statement ObjectAccess (Allow)"},
		{"tester role given s3:PutObjectTagging", "production/iam_role_policy/acme-data-testers/s3-access", "policy",
			`"Action":["s3:GetObject"]`, `"Action":["s3:GetObject","s3:PutObjectTagging"]`,
			"Testers member via acme-data-testers s3:PutObjectTagging on arn:aws:s3:::acme-data-prod/*: intended deny, effective allow",
			"production/iam_role_policy/acme-data-testers/s3-access statement ObjectAccess (Allow)"},
		{"developer role given s3:GetObjectVersion", "production/iam_role_policy/acme-data-developers/s3-access", "policy",
			`"Action":["s3:GetObject","s3:PutObject"]`, `"Action":["s3:GetObject","s3:GetObjectVersion","s3:PutObject"]`,
			"Developers member via acme-data-developers s3:GetObjectVersion on arn:aws:s3:::acme-data-prod/*: intended deny, effective allow",
			"production/iam_role_policy/acme-data-developers/s3-access statement ObjectAccess (Allow)"},
		{"tester role given s3:PutLifecycleConfiguration", "production/iam_role_policy/acme-data-testers/s3-access", "policy",
			`"Action":["s3:ListBucket"]`, `"Action":["s3:ListBucket","s3:PutLifecycleConfiguration"]`,
			"Testers member via acme-data-testers s3:PutLifecycleConfiguration on arn:aws:s3:::acme-data-prod: intended deny, effective allow",
			"production/iam_role_policy/acme-data-testers/s3-access statement BucketAccess (Allow)"},
		{"bucket policy granting the whole Development account", "production/s3_bucket_policy/acme-data-prod", "policy",
			`"Statement":[`, `"Statement":[{"Sid":"DevRead","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-data-prod/*"},`,
			"administrator of the Development account s3:GetObject on arn:aws:s3:::acme-data-prod/*: intended deny, effective allow",
			"production/s3_bucket_policy/acme-data-prod statement DevRead (Allow)"},
		{"bucket policy granting another account", "reporting/s3_bucket_policy/acme-data-reporting", "policy",
			`"Statement":[`, `"Statement":[{"Sid":"Partner","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-data-reporting/*"},`,
			"administrator of another account s3:GetObject on arn:aws:s3:::acme-data-reporting/*: intended deny, effective allow",
			"reporting/s3_bucket_policy/acme-data-reporting statement Partner (Allow)"},
		// The log bucket: a delivery grant without its aws:SourceArn lets
		// any account's trail write there (a confused deputy).
		{"log bucket open to every trail", "reporting/s3_bucket_policy/acme-data-logs-333333333333", "policy",
			`"aws:SourceArn":["arn:aws:cloudtrail:us-east-1:333333333333:trail/acme-data-trail"],`, ``,
			"CloudTrail as a trail of another account s3:PutObject on arn:aws:s3:::acme-data-logs-333333333333/AWSLogs/333333333333/",
			"reporting/s3_bucket_policy/acme-data-logs-333333333333 statement CloudTrailWrite333333333333 (Allow)"},
		{"log bucket readable by the Production account", "reporting/s3_bucket_policy/acme-data-logs-333333333333", "policy",
			`"Statement":[`, `"Statement":[{"Sid":"ProdRead","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-data-logs-333333333333/*"},`,
			"administrator of the Production account s3:GetObject on arn:aws:s3:::acme-data-logs-333333333333/*: intended deny, effective allow",
			"reporting/s3_bucket_policy/acme-data-logs-333333333333 statement ProdRead (Allow)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, values := rendered(t, base)
			pol := FromValues(values)
			key := tt.addr + "#" + tt.field
			planted := tt.new
			if tt.old != "" {
				planted = strings.Replace(string(pol[key]), tt.old, tt.new, 1)
			}
			if planted == string(pol[key]) {
				t.Fatalf("nothing planted in %s: %s", key, pol[key])
			}
			pol[key] = json.RawMessage(planted)
			m := Compute(c, pol)
			var found []string
			for _, c := range m.Checks {
				if !c.OK() {
					found = append(found, describe(c))
				}
			}
			if !slices.ContainsFunc(found, func(s string) bool {
				return strings.HasPrefix(s, tt.wantMismatch) && strings.Contains(s, "decided by "+tt.wantReason)
			}) {
				t.Errorf("verify did not catch it; mismatches:\n%s", strings.Join(found, "\n"))
			}
		})
	}
}

// describe is a check as the mismatch lines of verify's output name it.
func describe(c Check) string {
	word := map[bool]string{true: "allow", false: "deny"}
	s := fmt.Sprintf("%s %s on %s: intended %s, effective %s", c.Principal, c.Action, c.Resource, word[c.Intended], word[c.Effective])
	for _, r := range c.Reasons {
		s += "; decided by " + r
	}
	return s
}

// TestMFAPathsBothWays: with require_mfa (the README's example for real
// AWS), a member reaches the role with MFA and not without it, and the
// rendered policies match that intent.
func TestMFAPathsBothWays(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../examples/aws.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, values := rendered(t, string(b))
	m := Compute(c, FromValues(values))
	for _, ch := range m.Checks {
		if !ch.OK() {
			t.Errorf("examples/aws.yaml: %s", describe(ch))
		}
	}
	want := map[string]bool{
		"Developers member with MFA|arn:aws:iam::222222222222:role/acme-data-developers":    true,
		"Developers member without MFA|arn:aws:iam::222222222222:role/acme-data-developers": false,
		"Testers member with MFA|arn:aws:iam::222222222222:role/acme-data-testers":          true,
		"Testers member without MFA|arn:aws:iam::222222222222:role/acme-data-testers":       false,
	}
	found := 0
	for _, ch := range m.Checks {
		if v, ok := want[ch.Principal+"|"+ch.Resource]; ok && ch.Action == "sts:AssumeRole" {
			found++
			if ch.Effective != v || ch.Intended != v {
				t.Errorf("%s assume %s: intended %v effective %v, want %v", ch.Principal, ch.Resource, ch.Intended, ch.Effective, v)
			}
		}
	}
	if found != len(want) {
		t.Errorf("found %d of the %d MFA rows", found, len(want))
	}
	// Nobody outside the intent reaches the data either.
	for _, f := range ComputeReach(c, RenderedInventory(c, FromValues(values)), false).Findings {
		t.Errorf("examples/aws.yaml: finding %s", f.Route())
	}
}
