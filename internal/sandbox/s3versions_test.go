package sandbox

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestVersionCodec(t *testing.T) {
	t.Parallel()
	shape := regexp.MustCompile(`^[A-Za-z0-9_.][A-Za-z0-9_-]{31}$`)
	vc := newVersionCodec(bucketVersionKey("bucket-a", newVersionKey()))
	other := newVersionCodec(bucketVersionKey("bucket-b", ""))
	seen := map[string]bool{}
	for _, kumo := range []string{"v1", "v2", "v10", "v18446744073709551615"} {
		id := vc.encode(kumo)
		if !shape.MatchString(id) {
			t.Errorf("encode(%q) = %q, not 32 URL-safe characters", kumo, id)
		}
		if seen[id] {
			t.Errorf("encode(%q) = %q twice", kumo, id)
		}
		seen[id] = true
		if got, ok := vc.decode(id); !ok || got != kumo {
			t.Errorf("decode(encode(%q)) = %q, %v", kumo, got, ok)
		}
		if _, ok := other.decode(id); ok {
			t.Errorf("another bucket took %q", id)
		}
	}
	tests := []struct {
		name, id, want string
		ok             bool
	}{
		{"null", "null", "null", true},
		{"kumo's own", "v1", "", false},
		{"empty", "", "", false},
		{"not base64", strings.Repeat("!", 32), "", false},
		{"check altered", vc.encode("v3")[:31] + "A", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := vc.decode(tc.id)
			if got != tc.want || ok != tc.ok {
				t.Errorf("decode(%q) = %q, %v; want %q, %v", tc.id, got, ok, tc.want, tc.ok)
			}
		})
	}
	for _, kumo := range []string{"", "null"} {
		if got := vc.encode(kumo); got != "null" {
			t.Errorf("encode(%q) = %q, want null", kumo, got)
		}
	}
	// No ID begins with a dash (the AWS CLI would read it as an option);
	// an ID given out with one before is still taken.
	dotted := 0
	for n := 1; n <= 2000; n++ {
		kumo := "v" + strconv.Itoa(n)
		id := vc.encode(kumo)
		if !shape.MatchString(id) {
			t.Fatalf("encode(%q) = %q", kumo, id)
		}
		if id[0] == '.' {
			dotted++
			if got, ok := vc.decode("-" + id[1:]); !ok || got != kumo {
				t.Errorf("the dashed form of %q: %q, %v", id, got, ok)
			}
		}
		if got, ok := vc.decode(id); !ok || got != kumo {
			t.Fatalf("decode(encode(%q)) = %q, %v", kumo, got, ok)
		}
	}
	if dotted == 0 {
		t.Error("no ID of 2000 began with the dot that stands for a dash: the case is not tested")
	}
	if a, b := bucketVersionKey("x", ""), bucketVersionKey("x", ""); string(a) != string(b) {
		t.Error("a derived version key changed between calls")
	}
}

func TestCanonicalUserID(t *testing.T) {
	t.Parallel()
	a, b := canonicalUserID("111111111111"), canonicalUserID("222222222222")
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(a) || a == b || a != canonicalUserID("111111111111") {
		t.Errorf("canonical IDs %q, %q: want stable, distinct, 64 hex characters", a, b)
	}
	body := withOwner([]byte("<Owner><ID>owner-id</ID></Owner>"), "111111111111")
	if string(body) != "<Owner><ID>"+a+"</ID></Owner>" {
		t.Errorf("withOwner: %s", body)
	}
}

func TestSortAndPageVersions(t *testing.T) {
	t.Parallel()
	es := []versionEntry{
		{kind: "Version", Key: "b", VersionID: "v1", LastModified: "2026-01-01T00:00:01.000Z"},
		{kind: "Version", Key: "a", VersionID: "v2", LastModified: "2026-01-01T00:00:02.000Z"},
		{kind: "DeleteMarker", Key: "a", VersionID: "v10", IsLatest: true, LastModified: "2026-01-01T00:00:04.000Z"},
		{kind: "Version", Key: "a", VersionID: "null", LastModified: "2026-01-01T00:00:00.000Z"},
		{kind: "Version", Key: "a", VersionID: "v3", LastModified: "2026-01-01T00:00:02.000Z"},
		{kind: "CommonPrefixes", Key: "p/"},
	}
	sortVersions(es)
	var order []string
	for _, e := range es {
		order = append(order, e.Key+"@"+e.VersionID)
	}
	if got, want := strings.Join(order, " "), "a@v10 a@v3 a@v2 a@null b@v1 p/@"; got != want {
		t.Fatalf("sorted %s, want %s", got, want)
	}
	tests := []struct {
		name                     string
		keyMarker, versionMarker string
		max                      int
		want                     string
		truncated                bool
	}{
		{"first page", "", "", 2, "a@v10 a@v3", true},
		{"after a version", "a", "v3", 2, "a@v2 a@null", true},
		{"after a key", "a", "", 10, "b@v1 p/@", false},
		{"after the last", "p/", "", 10, "", false},
		{"unknown version marker: the next key", "a", "v99", 10, "b@v1 p/@", false},
		{"none asked", "", "", 0, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			page, truncated, next := pageVersions(es, tc.keyMarker, tc.versionMarker, tc.max)
			var got []string
			for _, e := range page {
				got = append(got, e.Key+"@"+e.VersionID)
			}
			if strings.Join(got, " ") != tc.want || truncated != tc.truncated {
				t.Errorf("page %v (truncated %v), want %s (truncated %v)", got, truncated, tc.want, tc.truncated)
			}
			if truncated && next != page[len(page)-1] {
				t.Errorf("next %+v is not the page's last entry", next)
			}
		})
	}
}

func TestRenderVersions(t *testing.T) {
	t.Parallel()
	vc := newVersionCodec(bucketVersionKey("b", ""))
	page := []versionEntry{
		{kind: "DeleteMarker", Key: "k&1", VersionID: "v2", IsLatest: true, LastModified: "t2"},
		{kind: "Version", Key: "k&1", VersionID: "v1", LastModified: "t1", ETag: `"e"`, Size: 3},
	}
	out := string(renderVersions("b", url.Values{"max-keys": {"2"}}, "111111111111", vc, page, true, page[1]))
	for _, want := range []string{
		"<DeleteMarker><Key>k&amp;1</Key><VersionId>" + vc.encode("v2") + "</VersionId><IsLatest>true</IsLatest>",
		"<Version><Key>k&amp;1</Key><VersionId>" + vc.encode("v1") + "</VersionId><IsLatest>false</IsLatest>",
		"<NextVersionIdMarker>" + vc.encode("v1") + "</NextVersionIdMarker>",
		"<IsTruncated>true</IsTruncated>", "<ID>" + canonicalUserID("111111111111") + "</ID>", "<StorageClass>STANDARD</StorageClass>",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("ListVersionsResult lacks %s:\n%s", want, out)
		}
	}
	if strings.Index(out, "<DeleteMarker>") > strings.Index(out, "<Version>") {
		t.Error("entries are not in S3's order")
	}
}

func TestDeleteResultVersions(t *testing.T) {
	t.Parallel()
	vc := newVersionCodec(bucketVersionKey("b", ""))
	in := `<DeleteResult><Deleted><Key>v1</Key><VersionId>v1</VersionId><DeleteMarker>true</DeleteMarker><DeleteMarkerVersionId>v7</DeleteMarkerVersionId></Deleted></DeleteResult>`
	want := `<DeleteResult><Deleted><Key>v1</Key><VersionId>` + vc.encode("v1") + `</VersionId><DeleteMarker>true</DeleteMarker><DeleteMarkerVersionId>` + vc.encode("v7") + `</DeleteMarkerVersionId></Deleted></DeleteResult>`
	if got := string(deleteResultVersions([]byte(in), vc)); got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
}

func TestS3VersionActions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method, path, query, want string
	}{
		{http.MethodGet, "/b/k", "versionId=x", "s3:GetObjectVersion"},
		{http.MethodHead, "/b/k", "versionId=x", "s3:GetObjectVersion"},
		{http.MethodDelete, "/b/k", "versionId=x", "s3:DeleteObjectVersion"},
		{http.MethodDelete, "/b/k", "", "s3:DeleteObject"},
		{http.MethodGet, "/b", "versions", "s3:ListBucketVersions"},
		{http.MethodGet, "/b/k", "attributes", "s3:GetObjectAttributes"},
		{http.MethodGet, "/b/k", "attributes&versionId=x", "s3:GetObjectVersionAttributes"},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path+"?"+tc.query, func(t *testing.T) {
			op, e := parseS3(tc.method, "localhost", tc.path, tc.query)
			if e != nil || op.action != tc.want {
				t.Errorf("action %q (%+v), want %s", op.action, e, tc.want)
			}
		})
	}
}

// TestPageVersionsLikeScan holds pageVersions' binary search to the scan it
// replaced, for every marker in and between a listing's entries.
func TestPageVersionsLikeScan(t *testing.T) {
	t.Parallel()
	scan := func(es []versionEntry, keyMarker, versionMarker string) int {
		start := 0
		switch {
		case keyMarker == "":
		case versionMarker == "":
			for start < len(es) && es[start].Key <= keyMarker {
				start++
			}
		default:
			start = len(es)
			for i, e := range es {
				if e.Key == keyMarker && e.VersionID == versionMarker {
					return i + 1
				}
				if e.Key > keyMarker {
					return i
				}
			}
		}
		return start
	}
	var es []versionEntry
	for _, k := range []string{"a", "a/b", "b", "d", "d/", "e"} {
		for v := 1; v <= 3; v++ {
			es = append(es, versionEntry{kind: "Version", Key: k, VersionID: "v" + strconv.Itoa(v), IsLatest: v == 3})
		}
	}
	es = append(es, versionEntry{kind: "CommonPrefixes", Key: "c/"})
	sortVersions(es)
	for _, km := range []string{"", "0", "a", "a/", "a/b", "az", "b", "c", "c/", "d", "d/", "e", "f"} {
		for _, vm := range []string{"", "v1", "v2", "v3", "v9"} {
			page, _, _ := pageVersions(es, km, vm, 100)
			if want := len(es) - scan(es, km, vm); len(page) != want {
				t.Errorf("markers %q %q: page of %d, the scan gives %d", km, vm, len(page), want)
			}
		}
	}
}
