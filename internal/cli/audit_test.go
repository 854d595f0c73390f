package cli

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xacct/xacct/internal/audit"
	"github.com/xacct/xacct/internal/golden"
	"github.com/xacct/xacct/internal/plan"
	"github.com/xacct/xacct/internal/resource"
)

func TestAuditFlags(t *testing.T) {
	t.Parallel()
	checkOptions(t, newCmdAudit, []optionsCase[auditOptions]{
		{name: "defaults", want: auditOptions{stackOptions: defaults, Since: "1h"}},
		{name: "every filter", args: []string{"-c", "x.yaml", "--since", "7d", "--until", "2026-12-06T10:00:00Z", "--who", "alice", "--action", "s3:Put*",
			"--key", "reports/", "--denied", "--changes", "--json"},
			want: auditOptions{stackOptions: stackOptions{Config: "x.yaml", Parallelism: 10}, Since: "7d", Until: "2026-12-06T10:00:00Z", Who: "alice",
				Action: "s3:Put*", Key: "reports/", Denied: true, Changes: true, JSON: true}},
		{name: "validate", args: []string{"--since", "2026-12-01T00:00:00Z", "--validate"},
			want: auditOptions{stackOptions: defaults, Since: "2026-12-01T00:00:00Z", Validate: true}},
		{name: "follow", args: []string{"--follow", "--json"}, want: auditOptions{stackOptions: defaults, Since: "1h", Follow: true, JSON: true}},
		{name: "athena", args: []string{"--athena", "--changes", "--since", "365d"}, want: auditOptions{stackOptions: defaults, Since: "365d", Athena: true, Changes: true}},
		{name: "bad since", args: []string{"--since", "yesterday"}, wantErr: `--since: "yesterday" is neither a duration`},
		{name: "bad until", args: []string{"--until", "soon"}, wantErr: "--until: "},
		{name: "until before since", args: []string{"--since", "2026-12-06T10:00:00Z", "--until", "2026-12-05T10:00:00Z"}, wantErr: "is before --since"},
		{name: "bad action", args: []string{"--action", "PutObject"}, wantErr: "must be SERVICE:ACTION"},
		{name: "follow and until", args: []string{"--follow", "--until", "1h"}, wantErr: "does not go with --until"},
		{name: "follow and validate", args: []string{"--follow", "--validate"}, wantErr: "does not go with --follow"},
		{name: "athena and validate", args: []string{"--athena", "--validate"}, wantErr: "--athena only prints SQL"},
		{name: "validate and a filter", args: []string{"--validate", "--who", "alice"}, wantErr: "--validate checks whole files"},
		{name: "no arguments", args: []string{"extra"}, wantErr: "unknown command"},
	})
}

var auditT0 = time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)

func auditEntries() []audit.Entry {
	return []audit.Entry{
		{Time: auditT0, Account: "development", Region: "us-east-1", Action: "sts:AssumeRole", Resource: "arn:aws:iam::222222222222:role/acme-data-developers as alice",
			Result: "ok", Who: audit.Who{Type: "IAMUser", User: "alice", Name: "alice", Account: "development"}, EventID: "1"},
		{Time: auditT0.Add(time.Minute), Account: "production", Region: "us-east-1", Action: "s3:PutObject", Resource: "s3://acme-data-prod/reports/a.csv", Result: "ok",
			Who: audit.Who{Type: "AssumedRole", User: "alice", Name: "alice", Account: "development", Role: "arn:aws:iam::222222222222:role/acme-data-developers", Via: "Developers"}, EventID: "2",
			Raw: []byte(`{"eventID":"2"}`)},
		{Time: auditT0.Add(2 * time.Minute), Account: "production", Region: "us-east-1", Action: "s3:PutObject", Resource: "s3://acme-data-prod/reports/b.csv", Result: "AccessDenied",
			Who: audit.Who{Type: "AssumedRole", User: "bob", Name: "bob", Account: "development", Role: "arn:aws:iam::222222222222:role/acme-data-testers", Via: "Testers",
				Note: "source identity mallory is not the session's name bob"}, EventID: "3"},
		{Time: auditT0.Add(3 * time.Minute), Account: "production", Region: "us-east-1", Action: "iam:PutRolePolicy", Resource: "role/acme-data-developers/policy/s3-access", Result: "ok",
			Who: audit.Who{Type: "Root", Name: "root of production", Account: "production"}, EventID: "4", Management: true},
	}
}

// TestAuditView: the table and the JSON lines, on a terminal (color,
// progress on stderr) and piped, and the empty result.
func TestAuditView(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		json    bool
		tty     bool
		entries []audit.Entry
	}{
		{name: "table", entries: auditEntries()},
		{name: "table-tty", tty: true, entries: auditEntries()},
		{name: "json", json: true, entries: auditEntries()},
		{name: "empty", entries: nil},
		{name: "empty-json", json: true, entries: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out, errOut bytes.Buffer
			f := &Factory{IO: &IOStreams{Out: &out, ErrOut: &errOut, IsTTY: tt.tty}}
			v := newAuditView(f, tt.json, false)
			var events int64
			for i, e := range tt.entries {
				if tt.tty {
					v.progress(audit.Progress{Files: i + 1, FilesTotal: 4, Events: int64(100 * (i + 1)), Matched: int64(i + 1), Elapsed: time.Second})
				}
				if err := v.entry(e); err != nil {
					t.Fatal(err)
				}
				events += 100
			}
			if err := v.end(); err != nil {
				t.Fatal(err)
			}
			if err := v.summary(&audit.Stats{Files: 4, Events: 400 + events}, auditT0.Add(-time.Hour), time.Time{}, auditT0.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", "audit", tt.name+".txt"), out.Bytes())
			if tt.tty && !strings.Contains(errOut.String(), "Read 1 of 4 log files, 100 events (100/s), 1 kept") {
				t.Errorf("no progress on a terminal: %q", errOut.String())
			}
			if tt.tty && !strings.HasSuffix(errOut.String(), "\r\033[K") {
				t.Errorf("the progress line is not cleared at the end: %q", errOut.String())
			}
			if !tt.tty && errOut.Len() > 0 {
				t.Errorf("stderr when piped: %q", errOut.String())
			}
		})
	}
}

func TestValidationView(t *testing.T) {
	t.Parallel()
	ok := &audit.Validation{Trails: []audit.TrailCheck{{Account: "222222222222", Region: "us-east-1", Digests: 4, ValidDigests: 4, LogFiles: 8, ValidLogs: 8}},
		Problems: []audit.Problem{}, Uncovered: []string{"AWSLogs/222222222222/CloudTrail/us-east-1/2026/12/06/new.json.gz"}}
	bad := &audit.Validation{Trails: []audit.TrailCheck{{Account: "222222222222", Region: "us-east-1", Digests: 4, ValidDigests: 3, LogFiles: 6, ValidLogs: 5}},
		Problems: []audit.Problem{
			{Kind: audit.MissingLog, Key: "AWSLogs/222222222222/CloudTrail/us-east-1/2026/12/06/a.json.gz", Detail: "listed in a digest, not in the bucket"},
			{Kind: audit.InvalidDigest, Key: "AWSLogs/222222222222/CloudTrail-Digest/us-east-1/2026/12/06/d.json.gz", Detail: "signature verification failed"},
		}}
	for name, v := range map[string]*audit.Validation{"valid": ok, "invalid": bad, "nothing": {Problems: []audit.Problem{}}} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := validationText(&buf, v, "acme-data-logs-333333333333", false); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", "audit", "validate-"+name+".txt"), buf.Bytes())
		})
	}
}

// TestPlanTextNamesWhoChangedIt: a drifted role policy with its
// attribution, and the note when the logs could not say.
func TestPlanTextNamesWhoChangedIt(t *testing.T) {
	t.Parallel()
	var tester resource.Resource
	for _, r := range viewDesired(t) {
		if r.Addr.String() == "production/iam_role_policy/acme-data-testers/s3-access" {
			tester = r
		}
	}
	drifted := bytes.Replace(tester.Desired, []byte(`"s3:GetObject"`), []byte(`"s3:DeleteObject","s3:GetObject"`), 1)
	p := &plan.Plan{Changes: []plan.Change{{Addr: tester.Addr, Action: plan.Update, Before: drifted, After: tester.Desired}},
		DriftBy: map[resource.Address]plan.Attribution{tester.Addr: {Who: "mallory (production)", ARN: "arn:aws:iam::222222222222:user/mallory",
			Time: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC), Action: "iam:PutRolePolicy", EventID: "e1"}}}
	var buf bytes.Buffer
	if err := planText(&buf, p, false); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "plan", "drift-by.txt"), buf.Bytes())
	p.DriftBy, p.DriftNote = nil, "who changed it: the logs were not read within 5s (xacct audit --changes reads them all)"
	buf.Reset()
	if err := planText(&buf, p, false); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "plan", "drift-note.txt"), buf.Bytes())
}

// TestAuditViewShowsEntriesAsTheyCome: the view buffers its output, yet
// --follow shows each entry when it arrives, and on a terminal the entries
// read so far are out before the progress line that follows them.
func TestAuditViewShowsEntriesAsTheyCome(t *testing.T) {
	t.Parallel()
	e := auditEntries()[0]
	var out, errOut bytes.Buffer
	f := &Factory{IO: &IOStreams{Out: &out, ErrOut: &errOut}}
	v := newAuditView(f, true, true)
	if err := v.entry(e); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), e.Action) {
		t.Errorf("--follow: the entry is not out yet: %q", out.String())
	}

	out.Reset()
	f = &Factory{IO: &IOStreams{Out: &out, ErrOut: &errOut, IsTTY: true}}
	v = newAuditView(f, false, false)
	if err := v.entry(e); err != nil {
		t.Fatal(err)
	}
	v.progress(audit.Progress{Files: 1, FilesTotal: 2, Events: 10, Elapsed: time.Second})
	if !strings.Contains(out.String(), e.Action) {
		t.Errorf("on a terminal, the entry is not out before the progress line: %q", out.String())
	}
}
