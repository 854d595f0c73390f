package cli

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xacct/xacct/internal/config"
	"github.com/xacct/xacct/internal/golden"
	"github.com/xacct/xacct/internal/stack"
	"github.com/xacct/xacct/internal/verify"
)

const thirdGroupYAML = viewCfgYAML + `groups:
  developers: {}
  testers: {}
  auditors:
    actions: [s3:ListBucket, s3:GetBucketPolicy]
`

func renderedMatrix(t *testing.T, yaml string) *verify.Matrix {
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
	pol := verify.FromValues(values)
	m := verify.Compute(c, pol)
	m.Reach = verify.ComputeReach(c, verify.RenderedInventory(c, pol), false)
	return m
}

func TestVerifyTextGolden(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		yaml   string
		matrix bool
	}{"default": {viewCfgYAML, false}, "default-matrix": {viewCfgYAML, true}, "third-group": {thirdGroupYAML, false}} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := verifyText(&buf, renderedMatrix(t, tc.yaml), verifyView{Matrix: tc.matrix}); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", "verify", name+".txt"), buf.Bytes())
		})
	}
}

// plantedReach is a report with one finding along a two-hop path, an
// acknowledged principal and an administrator.
func plantedReach() *verify.Reach {
	return &verify.Reach{Principals: 12, Requests: 3456,
		Findings: []verify.Finding{
			{Principal: "user mallory (development)", As: "role acme-data-developers (production)", Bucket: "acme-data-prod",
				Path: []verify.Hop{
					{Kind: "join", To: "arn:aws:iam::111111111111:group/Developers", Label: "user mallory (development) in group Developers", Action: "iam:AddUserToGroup",
						Statements: []string{"user mallory policy join statement #0"}},
					{Kind: "assume", To: "arn:aws:iam::222222222222:role/acme-data-developers", Label: "role acme-data-developers (production)", Action: "sts:AssumeRole",
						Statements: []string{"trust policy of acme-data-developers statement DevelopmentUsers"}},
				},
				Action: "s3:PutObject", AccessLevel: "Write", Resource: "arn:aws:s3:::acme-data-prod/xacct-witness",
				Statements: []string{"role acme-data-developers policy s3-access statement ObjectAccess"}},
		},
		Acknowledged: []verify.Finding{{Principal: "user auditor (reporting)", As: "user auditor (reporting)", Bucket: "acme-data-reporting",
			Action: "s3:GetObject", AccessLevel: "Read", Resource: "arn:aws:s3:::acme-data-reporting/metadata/x"}},
		Administrators: []verify.Finding{{Principal: "user admin (production)", As: "user admin (production)", Bucket: "acme-data-prod",
			Action: "s3:DeleteBucket", AccessLevel: "Write", Resource: "arn:aws:s3:::acme-data-prod"}},
	}
}

// TestVerifyTextFindings: the summary names the bucket and how many
// principals outside the intent reach it, then each finding's path with
// the statements that allow each hop, then the acknowledged and the
// administrators; the verdict fails.
func TestVerifyTextFindings(t *testing.T) {
	t.Parallel()
	m := &verify.Matrix{Checks: []verify.Check{{Principal: "Testers member", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*", Intended: true, Effective: true, TLS: true}},
		Reach: plantedReach()}
	var buf bytes.Buffer
	if err := verifyText(&buf, m, verifyView{}); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "verify", "findings.txt"), buf.Bytes())
	buf.Reset()
	if err := verifyMermaid(&buf, m); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "verify", "findings.mmd"), buf.Bytes())
}

func TestVerifyTextNamesEachMismatch(t *testing.T) {
	t.Parallel()
	m := &verify.Matrix{Checks: []verify.Check{
		{Principal: "Testers member", Action: "s3:PutObject", Resource: "arn:aws:s3:::b/*", Intended: false, Effective: true, TLS: true,
			Reasons: []string{"production/iam_role_policy/t/s3-access statement ObjectAccess (Allow)"}},
		{Principal: "anonymous", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*", TLS: false},
	}}
	var buf bytes.Buffer
	if err := verifyText(&buf, m, verifyView{Matrix: true, Color: true}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"arn:aws:s3:::b/* (no TLS)",
		"1 of 2 checks differ from the intent:",
		"Testers member s3:PutObject on arn:aws:s3:::b/*: intended deny, effective allow",
		"decided by production/iam_role_policy/t/s3-access statement ObjectAccess (Allow)",
		"\x1b[31mVerification failed: the access granted is not the access intended.",
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestLiveText(t *testing.T) {
	t.Parallel()
	r := &verify.LiveReport{ID: "ab12", Record: `{"schema_version":1}`, Probes: []verify.Probe{
		{Principal: "Developers member", Action: "sts:AssumeRole", Resource: "arn:aws:iam::222222222222:role/d", Intended: true, Live: true},
		{Principal: "Testers member via t", Action: "s3:PutObject", Resource: "arn:aws:s3:::b/x", Intended: false, Live: false, Detail: "AccessDenied"},
	}}
	var buf bytes.Buffer
	if err := liveText(&buf, r); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	header, _, _ := strings.Cut(out, "\n")
	if !strings.HasSuffix(header, "INTENDED  LIVE") || strings.Contains(out, "EFFECTIVE") {
		t.Errorf("header = %q", header)
	}
	if !strings.Contains(out, "Verified live. 2 checks") || !strings.HasSuffix(out, "The metadata record of the developer's probe upload:\n{\"schema_version\":1}\n") {
		t.Errorf("live text:\n%s", out)
	}
	r.Probes[1].Live = true
	buf.Reset()
	_ = liveText(&buf, r)
	if !strings.Contains(buf.String(), "intended deny, effective allow") || !strings.Contains(buf.String(), "decided by AccessDenied") {
		t.Errorf("a live mismatch is not named:\n%s", buf.String())
	}
}

func TestVerifyJSON(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := verifyJSON(&buf, renderedMatrix(t, viewCfgYAML), &verify.LiveReport{ID: "ab12"}); err != nil {
		t.Fatal(err)
	}
	var out struct {
		FormatVersion int  `json:"format_version"`
		OK            bool `json:"ok"`
		Mismatches    int  `json:"mismatches"`
		Checks        []struct {
			Principal, Action, Resource, Decision string
			Intended, Effective                   bool
		} `json:"checks"`
		Live *struct {
			ID string `json:"probe_id"`
		} `json:"live"`
		Findings       []verify.Finding `json:"findings"`
		Administrators []verify.Finding `json:"administrators"`
		Principals     int              `json:"principals"`
	}
	if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if out.FormatVersion != 2 || !out.OK || out.Mismatches != 0 || len(out.Checks) == 0 || out.Checks[0].Principal == "" || out.Live == nil || out.Live.ID != "ab12" {
		t.Errorf("JSON = %+v", out)
	}
	if out.Findings == nil || len(out.Findings) != 0 || len(out.Administrators) == 0 || out.Principals == 0 {
		t.Errorf("JSON reach: findings %v, %d administrators, %d principals", out.Findings, len(out.Administrators), out.Principals)
	}
}

// TestMismatchLine: why verify exits 3 counts principals, not the keys a
// finding was checked on.
func TestMismatchLine(t *testing.T) {
	t.Parallel()
	r := plantedReach()
	r.Findings = append(r.Findings, r.Findings[0])
	r.Findings[1].Resource = "arn:aws:s3:::acme-data-prod/xacct-any"
	m := &verify.Matrix{Reach: r, Checks: []verify.Check{{Intended: true}, {Intended: true, Effective: true}}}
	if got, want := mismatchLine(m, nil), "verify: 1 principal outside the intent, 1 intent check differs"; got != want {
		t.Errorf("mismatchLine = %q, want %q", got, want)
	}
}

// TestLiveTextUnproven: a path no probe exercised is said, and the
// verdict is not "Verified live".
func TestLiveTextUnproven(t *testing.T) {
	t.Parallel()
	r := &verify.LiveReport{ID: "ab12", Probes: []verify.Probe{
		{Principal: "Developers member", Action: "sts:AssumeRole", Resource: "arn:aws:iam::222222222222:role/d", Intended: true, Live: true},
	}, Unproven: []string{"Developers member via d: s3:RestoreObject (no probe can exercise it harmlessly)"}}
	var buf bytes.Buffer
	if err := liveText(&buf, r); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "Verified live") || !strings.Contains(out, "Not every intended path is proven live: 1 not probed.\n  - Developers member via d: s3:RestoreObject") {
		t.Errorf("live text:\n%s", out)
	}
}
