package audit_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xacct/xacct/internal/audit"
	"github.com/xacct/xacct/internal/audit/audittest"
	"github.com/xacct/xacct/internal/golden"
)

const (
	dev, prod, rep = "111111111111", "222222222222", "333333333333"
	logBucket      = "acme-data-logs-333333333333"
)

var principals = &audit.Principals{
	Accounts:   map[string]string{dev: "development", prod: "production", rep: "reporting"},
	GroupRoles: map[string]string{"arn:aws:iam::" + prod + ":role/acme-data-developers": "Developers", "arn:aws:iam::" + prod + ":role/acme-data-testers": "Testers"},
	ServiceRoles: map[string]string{
		"arn:aws:iam::" + prod + ":role/acme-data-metadata-processor": "metadata processor (Lambda)",
		"arn:aws:iam::" + rep + ":role/acme-data-metadata-writer":     "metadata writer (assumed by the processor)",
	},
}

var t0 = time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)

func TestWho(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		identity map[string]any
		want     audit.Who
		path     string
	}{
		{name: "IAM user", identity: audittest.IAMUser(dev, "alice"),
			want: audit.Who{Type: "IAMUser", User: "alice", Name: "alice", Account: "development", ARN: "arn:aws:iam::" + dev + ":user/alice"},
			path: "alice (development)"},
		{name: "group role session", identity: audittest.AssumedRole(prod, "acme-data-developers", "alice", "alice"),
			want: audit.Who{Type: "AssumedRole", User: "alice", Name: "alice", Account: "development", ARN: "arn:aws:sts::" + prod + ":assumed-role/acme-data-developers/alice",
				Role: "arn:aws:iam::" + prod + ":role/acme-data-developers", Via: "Developers"},
			path: "alice → acme-data-developers"},
		{name: "group role session whose source identity disagrees", identity: audittest.AssumedRole(prod, "acme-data-testers", "bob", "mallory"),
			want: audit.Who{Type: "AssumedRole", User: "bob", Name: "bob", Account: "development", ARN: "arn:aws:sts::" + prod + ":assumed-role/acme-data-testers/bob",
				Role: "arn:aws:iam::" + prod + ":role/acme-data-testers", Via: "Testers", Note: "source identity mallory is not the session's name bob"},
			path: "bob → acme-data-testers"},
		{name: "processor", identity: audittest.AssumedRole(prod, "acme-data-metadata-processor", "acme-data-metadata-processor", ""),
			want: audit.Who{Type: "AssumedRole", Name: "acme-data-metadata-processor", Account: "production", ARN: "arn:aws:sts::" + prod + ":assumed-role/acme-data-metadata-processor/acme-data-metadata-processor",
				Role: "arn:aws:iam::" + prod + ":role/acme-data-metadata-processor", Via: "metadata processor (Lambda)"},
			path: "acme-data-metadata-processor (metadata processor (Lambda))"},
		{name: "cross-account writer", identity: audittest.AssumedRole(rep, "acme-data-metadata-writer", "processor", ""),
			want: audit.Who{Type: "AssumedRole", Name: "acme-data-metadata-writer", Account: "reporting", ARN: "arn:aws:sts::" + rep + ":assumed-role/acme-data-metadata-writer/processor",
				Role: "arn:aws:iam::" + rep + ":role/acme-data-metadata-writer", Via: "metadata writer (assumed by the processor)"},
			path: "acme-data-metadata-writer (metadata writer (assumed by the processor))"},
		{name: "another role", identity: audittest.AssumedRole(prod, "OrganizationAccountAccessRole", "xacct-acme-data", ""),
			want: audit.Who{Type: "AssumedRole", Name: "OrganizationAccountAccessRole/xacct-acme-data", Account: "production",
				ARN: "arn:aws:sts::" + prod + ":assumed-role/OrganizationAccountAccessRole/xacct-acme-data", Role: "arn:aws:iam::" + prod + ":role/OrganizationAccountAccessRole"},
			path: "OrganizationAccountAccessRole/xacct-acme-data"},
		{name: "AWS service", identity: audittest.AWSService("s3.amazonaws.com"),
			want: audit.Who{Type: "AWSService", Name: "s3.amazonaws.com"}, path: "s3.amazonaws.com"},
		{name: "root", identity: audittest.Root(prod),
			want: audit.Who{Type: "Root", Name: "root of production", Account: "production", ARN: "arn:aws:iam::" + prod + ":root"}, path: "root of production"},
		{name: "another account", identity: map[string]any{"type": "AWSAccount", "principalId": "AIDAALICE", "accountId": dev},
			want: audit.Who{Type: "AWSAccount", Name: "account development (AIDAALICE)", Account: "development"}, path: "account development (AIDAALICE)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := audittest.NewBucket(logBucket)
			key, body := audittest.LogFile(prod, "us-east-1", t0.Add(5*time.Minute), "a", []map[string]any{
				audittest.Event{Time: t0, Account: prod, Region: "us-east-1", Source: "s3.amazonaws.com", Name: "GetObject", Identity: tt.identity, ID: "1",
					Params: map[string]any{"bucketName": "acme-data-prod", "key": "k"}}.Record()})
			b.Put(key, body, nil)
			entries := read(t, b, audit.Options{Since: t0.Add(-time.Minute), Until: t0.Add(time.Minute)})
			if len(entries) != 1 {
				t.Fatalf("got %d entries, want 1", len(entries))
			}
			if diff := cmp.Diff(tt.want, entries[0].Who); diff != "" {
				t.Errorf("who (-want +got):\n%s", diff)
			}
			if got := entries[0].Who.Path(); got != tt.path {
				t.Errorf("Path() = %q, want %q", got, tt.path)
			}
		})
	}
}

func read(t *testing.T, b *audittest.Bucket, o audit.Options) []audit.Entry {
	t.Helper()
	o.Bucket, o.Accounts, o.Principals = logBucket, []string{dev, prod, rep}, principals
	if o.Now == nil {
		o.Now = func() time.Time { return t0.Add(24 * time.Hour) }
	}
	var out []audit.Entry
	st, err := audit.Read(context.Background(), b, o, func(e audit.Entry) error { out = append(out, e); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Unreadable) > 0 {
		t.Fatalf("unreadable files: %v", st.Unreadable)
	}
	return out
}

// world is a morning of the stack: uploads, a refused upload, reads, a
// role policy changed by hand, a trail's own IAM events in us-east-1 and
// the stack's in eu-west-1, files delivered out of order.
func world(t *testing.T) *audittest.Bucket {
	t.Helper()
	b := audittest.NewBucket(logBucket)
	ev := func(min int, acct, region, src, name string, id map[string]any, params map[string]any, errCode string, readOnly, mgmt bool) map[string]any {
		return audittest.Event{Time: t0.Add(time.Duration(min) * time.Minute), Account: acct, Region: region, Source: src, Name: name, Identity: id,
			Params: params, Error: errCode, ReadOnly: readOnly, Mgmt: mgmt, ID: fmt.Sprintf("ev-%03d-%s", min, name)}.Record()
	}
	alice := audittest.AssumedRole(prod, "acme-data-developers", "alice", "alice")
	bob := audittest.AssumedRole(prod, "acme-data-testers", "bob", "")
	obj := func(k string) map[string]any { return map[string]any{"bucketName": "acme-data-prod", "key": k} }
	put := func(key string, body []byte) { b.Put(key, body, nil) }
	// Production, the stack's region: data events and bucket settings.
	put(audittest.LogFile(prod, "eu-west-1", t0.Add(6*time.Minute), "p1", []map[string]any{
		ev(2, prod, "eu-west-1", "s3.amazonaws.com", "PutObject", alice, obj("reports/a.csv"), "", false, false),
		ev(1, prod, "eu-west-1", "s3.amazonaws.com", "GetObject", bob, obj("reports/old.csv"), "", true, false),
		ev(3, prod, "eu-west-1", "s3.amazonaws.com", "PutObject", bob, obj("reports/b.csv"), "AccessDenied", false, false),
	}))
	put(audittest.LogFile(prod, "eu-west-1", t0.Add(12*time.Minute), "p2", []map[string]any{
		ev(8, prod, "eu-west-1", "s3.amazonaws.com", "GetObject", audittest.AssumedRole(prod, "acme-data-metadata-processor", "acme-data-metadata-processor", ""), obj("reports/a.csv"), "", true, false),
		ev(9, prod, "eu-west-1", "s3.amazonaws.com", "PutBucketPolicy", audittest.IAMUser(prod, "ops"), map[string]any{"bucketName": "acme-data-prod"}, "", false, true),
		ev(10, prod, "eu-west-1", "s3.amazonaws.com", "GetObject", alice, obj("other/x"), "", true, false),
	}))
	// Production's IAM events are recorded in us-east-1.
	put(audittest.LogFile(prod, "us-east-1", t0.Add(7*time.Minute), "i1", []map[string]any{
		ev(5, prod, "us-east-1", "iam.amazonaws.com", "PutRolePolicy", audittest.IAMUser(prod, "mallory"), map[string]any{"roleName": "acme-data-developers", "policyName": "s3-access"}, "", false, true),
		ev(4, prod, "us-east-1", "iam.amazonaws.com", "GetRole", audittest.IAMUser(prod, "mallory"), map[string]any{"roleName": "acme-data-developers"}, "", true, true),
		ev(6, prod, "us-east-1", "iam.amazonaws.com", "PutRolePolicy", audittest.IAMUser(prod, "mallory"), map[string]any{"roleName": "someone-elses", "policyName": "p"}, "", false, true),
	}))
	// Development: alice's AssumeRole and a change refused.
	put(audittest.LogFile(dev, "us-east-1", t0.Add(5*time.Minute), "d1", []map[string]any{
		ev(0, dev, "us-east-1", "sts.amazonaws.com", "AssumeRole", audittest.IAMUser(dev, "alice"), map[string]any{"roleArn": "arn:aws:iam::" + prod + ":role/acme-data-developers", "roleSessionName": "alice"}, "", true, true),
		ev(3, dev, "us-east-1", "iam.amazonaws.com", "PutGroupPolicy", audittest.IAMUser(dev, "alice"), map[string]any{"groupName": "Developers", "policyName": "assume-role"}, "AccessDenied", false, true),
	}))
	// Reporting: the writer's record, and a file from the day before
	// (outside every range below).
	put(audittest.LogFile(rep, "eu-west-1", t0.Add(13*time.Minute), "r1", []map[string]any{
		ev(9, rep, "eu-west-1", "s3.amazonaws.com", "PutObject", audittest.AssumedRole(rep, "acme-data-metadata-writer", "processor", ""), map[string]any{"bucketName": "acme-data-reporting", "key": "metadata/a.json"}, "", false, false),
	}))
	put(audittest.LogFile(rep, "eu-west-1", t0.Add(-20*time.Hour), "old", []map[string]any{
		ev(-20*60-3, rep, "eu-west-1", "s3.amazonaws.com", "PutObject", audittest.Root(rep), map[string]any{"bucketName": "acme-data-reporting", "key": "x"}, "", false, false),
	}))
	return b
}

var owned = []audit.Target{
	{Account: "production", Kind: "iam_role_policy", Name: "acme-data-developers/s3-access"},
	{Account: "production", Kind: "iam_role", Name: "acme-data-developers"},
	{Account: "production", Kind: "s3_bucket_policy", Name: "acme-data-prod"},
	{Account: "development", Kind: "iam_group_policy", Name: "Developers/assume-role"},
}

// TestFilters: each filter over the same morning, as the table a person
// reads (golden files under testdata/filters/).
func TestFilters(t *testing.T) {
	t.Parallel()
	b := world(t)
	tests := []struct {
		name string
		o    audit.Options
	}{
		{name: "all", o: audit.Options{Since: t0, Until: t0.Add(time.Hour)}},
		{name: "who-alice", o: audit.Options{Since: t0, Filter: audit.Filter{Who: "alice"}}},
		{name: "who-role-arn", o: audit.Options{Since: t0, Filter: audit.Filter{Who: "arn:aws:iam::" + prod + ":role/acme-data-testers"}}},
		{name: "who-role-name", o: audit.Options{Since: t0, Filter: audit.Filter{Who: "acme-data-metadata-processor"}}},
		{name: "action-s3-put", o: audit.Options{Since: t0, Filter: audit.Filter{Action: "s3:Put*"}}},
		{name: "action-iam-role", o: audit.Options{Since: t0, Filter: audit.Filter{Action: "IAM:*role*"}}},
		{name: "key-prefix", o: audit.Options{Since: t0, Filter: audit.Filter{Bucket: "acme-data-prod", KeyPrefix: "reports/"}}},
		{name: "denied", o: audit.Options{Since: t0, Filter: audit.Filter{Denied: true}}},
		{name: "changes", o: audit.Options{Since: t0, Filter: audit.Filter{Changes: true, Owned: owned}}},
		{name: "since-until", o: audit.Options{Since: t0.Add(3 * time.Minute), Until: t0.Add(8 * time.Minute)}},
		{name: "combined", o: audit.Options{Since: t0, Filter: audit.Filter{Who: "bob", Action: "s3:*Object", Denied: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			for _, e := range read(t, b, tt.o) {
				fmt.Fprintf(&buf, "%s  %-11s %-9s %-45s %-22s %-45s %s\n", e.Time.Format(time.RFC3339), e.Account, e.Region, e.Who.Path(), e.Action, e.Resource, e.Result)
			}
			golden.Check(t, "testdata/filters/"+tt.name+"/want.txt", buf.Bytes())
		})
	}
}

// TestTimeRangeListsOnlyItsPrefixes: a range lists exactly the day
// prefixes it spans, per account and region present, after one
// delimiter listing per account; files out of the range are not read.
func TestTimeRangeListsOnlyItsPrefixes(t *testing.T) {
	t.Parallel()
	b := world(t)
	// Regions: us-east-1 (IAM) and eu-west-1 in Production.
	tests := []struct {
		name         string
		since, until time.Time
		want         []string
		gets         int
	}{
		{name: "one hour", since: t0, until: t0.Add(time.Hour), gets: 5, want: []string{
			"AWSLogs/111111111111/CloudTrail/", "AWSLogs/111111111111/CloudTrail/us-east-1/2026/12/06/",
			"AWSLogs/222222222222/CloudTrail/", "AWSLogs/222222222222/CloudTrail/eu-west-1/2026/12/06/", "AWSLogs/222222222222/CloudTrail/us-east-1/2026/12/06/",
			"AWSLogs/333333333333/CloudTrail/", "AWSLogs/333333333333/CloudTrail/eu-west-1/2026/12/06/",
		}},
		{name: "across midnight", since: t0.Add(-24 * time.Hour), until: t0.Add(-9 * time.Hour), gets: 1, want: []string{
			"AWSLogs/111111111111/CloudTrail/", "AWSLogs/111111111111/CloudTrail/us-east-1/2026/12/05/", "AWSLogs/111111111111/CloudTrail/us-east-1/2026/12/06/",
			"AWSLogs/222222222222/CloudTrail/", "AWSLogs/222222222222/CloudTrail/eu-west-1/2026/12/05/", "AWSLogs/222222222222/CloudTrail/eu-west-1/2026/12/06/",
			"AWSLogs/222222222222/CloudTrail/us-east-1/2026/12/05/", "AWSLogs/222222222222/CloudTrail/us-east-1/2026/12/06/",
			"AWSLogs/333333333333/CloudTrail/", "AWSLogs/333333333333/CloudTrail/eu-west-1/2026/12/05/", "AWSLogs/333333333333/CloudTrail/eu-west-1/2026/12/06/",
		}},
		{name: "ten minutes: only the files named in them and MaxDelay after", since: t0.Add(7 * time.Minute), until: t0.Add(8 * time.Minute), gets: 3, want: []string{
			"AWSLogs/111111111111/CloudTrail/", "AWSLogs/111111111111/CloudTrail/us-east-1/2026/12/06/",
			"AWSLogs/222222222222/CloudTrail/", "AWSLogs/222222222222/CloudTrail/eu-west-1/2026/12/06/", "AWSLogs/222222222222/CloudTrail/us-east-1/2026/12/06/",
			"AWSLogs/333333333333/CloudTrail/", "AWSLogs/333333333333/CloudTrail/eu-west-1/2026/12/06/",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			files, prefixes, err := audit.ListFiles(context.Background(), b, audit.Options{Bucket: logBucket, Accounts: []string{dev, prod, rep}}, tt.since, tt.until.Add(audit.DefaultMaxDelay))
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(prefixes)
			want := slices.DeleteFunc(slices.Clone(tt.want), func(p string) bool { return strings.HasSuffix(p, "/CloudTrail/") })
			if diff := cmp.Diff(want, prefixes); diff != "" {
				t.Errorf("day prefixes listed (-want +got):\n%s", diff)
			}
			if len(files) != tt.gets {
				t.Errorf("%d files in range, want %d: %v", len(files), tt.gets, files)
			}
			// Read, through the same bucket: the same listings and one GET
			// per file in range.
			fresh := world(t)
			var n int
			st, err := audit.Read(context.Background(), fresh, audit.Options{Bucket: logBucket, Accounts: []string{dev, prod, rep}, Since: tt.since, Until: tt.until},
				func(audit.Entry) error { n++; return nil })
			if err != nil {
				t.Fatal(err)
			}
			got := fresh.Listed()
			slices.Sort(got)
			got = slices.Compact(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("prefixes the bucket saw listed (-want +got):\n%s", diff)
			}
			if int(fresh.Gets.Load()) != tt.gets || st.Gets != tt.gets {
				t.Errorf("GETs = %d (stats %d), want %d", fresh.Gets.Load(), st.Gets, tt.gets)
			}
		})
	}
}

// TestReadOrdersAcrossFiles: records unsorted within files and files of
// several accounts come out in time order; a record delivered later than
// MaxDelay comes out anyway, counted as late.
func TestReadOrdersAcrossFiles(t *testing.T) {
	t.Parallel()
	b := audittest.NewBucket(logBucket)
	var want []string
	for i := 0; i < 30; i++ {
		acct := []string{dev, prod, rep}[i%3]
		var recs []map[string]any
		for j := 9; j >= 0; j-- { // newest first within a file
			at := t0.Add(time.Duration(i)*time.Minute + time.Duration(j)*time.Second)
			id := fmt.Sprintf("%s-%02d-%d", acct, i, j)
			recs = append(recs, audittest.Event{Time: at, Account: acct, Region: "us-east-1", Source: "s3.amazonaws.com", Name: "GetObject",
				Identity: audittest.IAMUser(acct, "u"), ID: id, ReadOnly: true}.Record())
		}
		key, body := audittest.LogFile(acct, "us-east-1", t0.Add(time.Duration(i+2)*time.Minute), fmt.Sprint(i), recs)
		b.Put(key, body, nil)
	}
	// Delivered an hour late: out of order, counted.
	late := audittest.Event{Time: t0.Add(5 * time.Minute), Account: prod, Region: "us-east-1", Source: "s3.amazonaws.com", Name: "GetObject",
		Identity: audittest.IAMUser(prod, "u"), ID: "late"}.Record()
	key, body := audittest.LogFile(prod, "us-east-1", t0.Add(65*time.Minute), "late", []map[string]any{late})
	b.Put(key, body, nil)
	var got []audit.Entry
	st, err := audit.Read(context.Background(), b, audit.Options{Bucket: logBucket, Accounts: []string{dev, prod, rep}, Since: t0, Until: t0.Add(2 * time.Hour),
		Parallel: 3, Now: func() time.Time { return t0.Add(3 * time.Hour) }}, func(e audit.Entry) error { got = append(got, e); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 301 || st.Events != 301 || st.Files != 31 {
		t.Fatalf("got %d entries (stats: %d events, %d files), want 301 from 31 files", len(got), st.Events, st.Files)
	}
	for i := 1; i < 300; i++ {
		if got[i].Time.Before(got[i-1].Time) {
			t.Fatalf("entry %d (%s) is before entry %d (%s)", i, got[i].Time, i-1, got[i-1].Time)
		}
	}
	if got[300].EventID != "late" || st.Late != 1 {
		t.Errorf("the late record is %s (late count %d), want it last and counted", got[300].EventID, st.Late)
	}
	_ = want
}

func TestParseTime(t *testing.T) {
	t.Parallel()
	now := t0
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{in: "1h", want: t0.Add(-time.Hour)},
		{in: "30m", want: t0.Add(-30 * time.Minute)},
		{in: "7d", want: t0.AddDate(0, 0, -7)},
		{in: "2026-12-06T09:00:00Z", want: t0.Add(-time.Hour)},
		{in: "2026-12-06T11:00:00+02:00", want: t0.Add(-time.Hour)},
		{in: "yesterday", wantErr: true},
		{in: "-1h", wantErr: true},
		{in: "7 days", wantErr: true},
	}
	for _, tt := range tests {
		got, err := audit.ParseTime(tt.in, now)
		if (err != nil) != tt.wantErr || !got.Equal(tt.want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v (error %v)", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestGlob(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"s3:Put*", "s3:PutObject", true},
		{"s3:put*", "s3:PutObject", true},
		{"s3:Put*", "s3:GetObject", false},
		{"iam:*Role*", "iam:PutRolePolicy", true},
		{"iam:*Role*", "iam:CreateGroup", false},
		{"*", "sts:AssumeRole", true},
		{"s3:?etObject", "s3:GetObject", true},
		{"s3:GetObject", "s3:GetObjectAcl", false},
		{"s3:*Object*Acl", "s3:PutObjectVersionAcl", true},
	}
	for _, tt := range tests {
		if got := audit.Glob(tt.pattern, tt.name); got != tt.want {
			t.Errorf("Glob(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}

func TestParseKeys(t *testing.T) {
	t.Parallel()
	f, ok := audit.ParseLogKey("AWSLogs/222222222222/CloudTrail/eu-west-1/2026/12/06/222222222222_CloudTrail_eu-west-1_20261206T1005Z_abcDEF123.json.gz")
	if !ok || f.Account != prod || f.Region != "eu-west-1" || !f.Time.Equal(t0.Add(5*time.Minute)) {
		t.Errorf("ParseLogKey = %+v, %v", f, ok)
	}
	for _, bad := range []string{
		"AWSLogs/222222222222/CloudTrail/eu-west-1/2026/12/06/",
		"AWSLogs/222222222222/CloudTrail/eu-west-1/2026/12/06/111111111111_CloudTrail_eu-west-1_20261206T1005Z_x.json.gz",
		"AWSLogs/222222222222/CloudTrail-Digest/eu-west-1/2026/12/06/222222222222_CloudTrail-Digest_eu-west-1_t_eu-west-1_20261206T100500Z.json.gz",
		"AWSLogs/222222222222/CloudTrail/eu-west-1/2026/12/06/222222222222_CloudTrail_eu-west-1_2026120T1005Z_x.json.gz",
	} {
		if _, ok := audit.ParseLogKey(bad); ok {
			t.Errorf("ParseLogKey(%q) accepted it", bad)
		}
	}
	d, ok := audit.ParseDigestKey("AWSLogs/222222222222/CloudTrail-Digest/us-east-1/2026/12/06/222222222222_CloudTrail-Digest_us-east-1_acme_data_trail_eu-west-1_20261206T110000Z.json.gz")
	if !ok || d.Trail != "acme_data_trail" || d.Region != "us-east-1" || !d.End.Equal(t0.Add(time.Hour)) || d.Backfill {
		t.Errorf("ParseDigestKey = %+v, %v", d, ok)
	}
	d, ok = audit.ParseDigestKey("AWSLogs/222222222222/CloudTrail-Digest/us-east-1/2026/12/06/222222222222_CloudTrail-Digest_us-east-1_t_eu-west-1_20261206T110000Z_backfill.json.gz")
	if !ok || !d.Backfill || d.Trail != "t" {
		t.Errorf("ParseDigestKey(backfill) = %+v, %v", d, ok)
	}
}
