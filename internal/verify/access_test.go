package verify

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func describeChanges(cs []AccessChange) string {
	var b strings.Builder
	for _, c := range cs {
		verb := "grants"
		if !c.Grants {
			verb = "removes"
		}
		fmt.Fprintf(&b, "%s: %s via %q: %s on %s\n", verb, c.Principal, c.Via, strings.Join(c.Actions, ", "), c.Resource)
	}
	return b.String()
}

// TestDelta: a config change that gives the testers s3:DeleteObject
// grants exactly that to Testers members (and the config's members), on
// the bucket's objects, through their role; taking it back removes it;
// the same policies on both sides change nothing.
func TestDelta(t *testing.T) {
	t.Parallel()
	const members = "groups:\n  developers: {}\n  testers: { members: [tess], actions: [s3:GetObject, s3:ListBucket%s] }\n"
	c, before := rendered(t, base+fmt.Sprintf(members, ""))
	_, after := rendered(t, base+fmt.Sprintf(members, ", s3:DeleteObject"))
	want := "grants: a new member of Testers (development) via \"role acme-data-testers (production)\": s3:DeleteObject (Write) on arn:aws:s3:::acme-data-prod/*\n" +
		"grants: user tess (development) via \"role acme-data-testers (production)\": s3:DeleteObject (Write) on arn:aws:s3:::acme-data-prod/*\n"
	if got := describeChanges(Delta(c, before, after)); got != want {
		t.Errorf("delta:\n%s\nwant:\n%s", got, want)
	}
	back := strings.ReplaceAll(want, "grants:", "removes:")
	if got := describeChanges(Delta(c, after, before)); got != back {
		t.Errorf("delta back:\n%s\nwant:\n%s", got, back)
	}
	if got := Delta(c, before, before); len(got) != 0 {
		t.Errorf("no change, delta:\n%s", describeChanges(got))
	}
	// A first apply grants each intended path; a destroy removes them.
	first := describeChanges(Delta(c, map[string]json.RawMessage{}, before))
	for _, want := range []string{
		"grants: a new member of Developers (development) via \"role acme-data-developers (production)\": s3:GetObject (Read), s3:PutObject (Write) on arn:aws:s3:::acme-data-prod/*",
		"grants: function acme-data-metadata-processor (production) via \"\": s3:GetObject (Read), s3:GetObjectVersion (Read) on arn:aws:s3:::acme-data-prod/*",
		"grants: function acme-data-metadata-processor (production) via \"role acme-data-metadata-writer (reporting)\": s3:PutObject (Write) on arn:aws:s3:::acme-data-reporting/metadata/*",
	} {
		if !strings.Contains(first, want) {
			t.Errorf("first apply's delta lacks %q:\n%s", want, first)
		}
	}
	if gone := describeChanges(Delta(c, before, map[string]json.RawMessage{})); strings.Contains(gone, "grants") || !strings.Contains(gone, "removes: a new member of Testers") {
		t.Errorf("destroy's delta:\n%s", gone)
	}
}
