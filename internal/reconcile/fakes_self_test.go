package reconcile

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"
)

// listVersions pages through ListObjectVersions and returns one line per
// entry: key, version, "M" for a delete marker, "L" when latest; "CP key"
// for a common prefix.
func listVersions(t *testing.T, f *fakeS3, in s3.ListObjectVersionsInput) []string {
	t.Helper()
	var got []string
	for range 1000 {
		out, err := f.ListObjectVersions(context.Background(), &in)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(out.Versions) + len(out.DeleteMarkers) + len(out.CommonPrefixes); n > int(aws.ToInt32(out.MaxKeys)) {
			t.Fatalf("page of %d entries, MaxKeys %d", n, aws.ToInt32(out.MaxKeys))
		}
		// One page's two lists, merged back by key; within a key the
		// fake's lists keep the newest first, so merging by "latest, then
		// position" is enough for these small buckets.
		page := len(got)
		vs, ms := out.Versions, out.DeleteMarkers
		for len(vs) > 0 || len(ms) > 0 {
			if len(ms) == 0 || (len(vs) > 0 && aws.ToString(vs[0].Key) <= aws.ToString(ms[0].Key) &&
				(aws.ToString(vs[0].Key) != aws.ToString(ms[0].Key) || aws.ToBool(vs[0].IsLatest) || !aws.ToBool(ms[0].IsLatest))) {
				got = append(got, fmt.Sprintf("%s@%s%s", aws.ToString(vs[0].Key), aws.ToString(vs[0].VersionId)[:4], latest(vs[0].IsLatest)))
				vs = vs[1:]
			} else {
				got = append(got, fmt.Sprintf("%s@%sM%s", aws.ToString(ms[0].Key), aws.ToString(ms[0].VersionId)[:4], latest(ms[0].IsLatest)))
				ms = ms[1:]
			}
		}
		for _, cp := range out.CommonPrefixes {
			got = append(got, "CP "+aws.ToString(cp.Prefix))
		}
		byKey(got[page:])
		if !aws.ToBool(out.IsTruncated) {
			return got
		}
		in.KeyMarker, in.VersionIdMarker = out.NextKeyMarker, out.NextVersionIdMarker
	}
	t.Fatal("listing does not end")
	return nil
}

func latest(b *bool) string {
	if aws.ToBool(b) {
		return "L"
	}
	return ""
}

func listObjects(t *testing.T, f *fakeS3, in s3.ListObjectsV2Input) []string {
	t.Helper()
	var got []string
	for range 1000 {
		out, err := f.ListObjectsV2(context.Background(), &in)
		if err != nil {
			t.Fatal(err)
		}
		page := len(got)
		for _, o := range out.Contents {
			got = append(got, aws.ToString(o.Key))
		}
		for _, cp := range out.CommonPrefixes {
			got = append(got, "CP "+aws.ToString(cp.Prefix))
		}
		byKey(got[page:])
		if !aws.ToBool(out.IsTruncated) {
			return got
		}
		in.ContinuationToken, in.StartAfter = out.NextContinuationToken, nil
	}
	t.Fatal("listing does not end")
	return nil
}

// TestFakeListing checks the fake against S3's documented semantics, and
// its paging against itself: every MaxKeys gives the listing of one page.
func TestFakeListing(t *testing.T) {
	t.Parallel()
	f := newFakeS3()
	a1 := f.put("b", "a")
	a2 := f.put("b", "a")
	am := f.deleteMarker("b", "a")
	for _, k := range []string{"é", "a0", "a/", "a/b", "a-b", "b/c/d"} {
		f.put("b", k)
	}
	f.put("b", "gone")
	f.deleteMarker("b", "gone")
	id := func(s string) string { return s[:4] }
	cur := func(k string) string { return k + "@" + id(f.buckets["b"].vers[k][0].id) + "L" }

	all := listVersions(t, f, s3.ListObjectVersionsInput{Bucket: aws.String("b")})
	want := []string{
		"a@" + id(am) + "ML", "a@" + id(a2), "a@" + id(a1), // newest first
	}
	if diff := cmp.Diff(want, all[:3]); diff != "" {
		t.Errorf("versions of one key (-want +got):\n%s", diff)
	}
	var keys []string
	for _, e := range all {
		k, _, _ := cutAt(e)
		if len(keys) == 0 || keys[len(keys)-1] != k {
			keys = append(keys, k)
		}
	}
	if diff := cmp.Diff([]string{"a", "a-b", "a/", "a/b", "a0", "b/c/d", "gone", "é"}, keys); diff != "" {
		t.Errorf("key order (-want +got):\n%s", diff)
	}

	tests := []struct {
		name string
		in   s3.ListObjectVersionsInput
		want []string // nil: only compare pages with one page
	}{
		{name: "whole bucket", in: s3.ListObjectVersionsInput{}},
		{name: "prefix a", in: s3.ListObjectVersionsInput{Prefix: aws.String("a")}},
		{name: "prefix a/", in: s3.ListObjectVersionsInput{Prefix: aws.String("a/")}},
		{name: "delimiter", in: s3.ListObjectVersionsInput{Delimiter: aws.String("/")},
			want: nil},
		{name: "key marker alone is strictly after", in: s3.ListObjectVersionsInput{KeyMarker: aws.String("a"), Prefix: aws.String("a")},
			want: nil},
		{name: "version marker resumes within the key", in: s3.ListObjectVersionsInput{KeyMarker: aws.String("a"), VersionIdMarker: aws.String(am), Prefix: aws.String("a-")},
			want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := tt.in
			in.Bucket = aws.String("b")
			one := listVersions(t, f, in)
			for mk := int32(1); mk <= 5; mk++ {
				in.MaxKeys = aws.Int32(mk)
				if diff := cmp.Diff(one, listVersions(t, f, in)); diff != "" {
					t.Errorf("MaxKeys %d (-one page +pages):\n%s", mk, diff)
				}
			}
		})
	}

	checks := []struct {
		name string
		got  []string
		want []string
	}{
		{"delimiter rolls up folders", listVersions(t, f, s3.ListObjectVersionsInput{Bucket: aws.String("b"), Delimiter: aws.String("/"), Prefix: aws.String("a")}),
			[]string{"a@" + id(am) + "ML", "a@" + id(a2), "a@" + id(a1), cur("a-b"), "CP a/", cur("a0")}},
		{"key marker alone lists keys strictly after it", listVersions(t, f, s3.ListObjectVersionsInput{Bucket: aws.String("b"), KeyMarker: aws.String("a"), Prefix: aws.String("a-")}),
			[]string{cur("a-b")}},
		{"version marker resumes after that version", listVersions(t, f, s3.ListObjectVersionsInput{Bucket: aws.String("b"), KeyMarker: aws.String("a"), VersionIdMarker: aws.String(a2), Prefix: aws.String("a")})[:2],
			[]string{"a@" + id(a1), cur("a-b")}},
		{"objects: current, not delete markers, strictly after StartAfter", listObjects(t, f, s3.ListObjectsV2Input{Bucket: aws.String("b"), StartAfter: aws.String("a/")}),
			[]string{"a/b", "a0", "b/c/d", "é"}},
		{"objects: delimiter", listObjects(t, f, s3.ListObjectsV2Input{Bucket: aws.String("b"), Delimiter: aws.String("/")}),
			[]string{"a-b", "CP a/", "a0", "CP b/", "é"}},
	}
	for _, c := range checks {
		if diff := cmp.Diff(c.want, c.got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
	for mk := int32(1); mk <= 4; mk++ {
		for _, in := range []s3.ListObjectsV2Input{{}, {Delimiter: aws.String("/")}, {StartAfter: aws.String("a")}, {Prefix: aws.String("a")}} {
			in.Bucket = aws.String("b")
			one := listObjects(t, f, in)
			in.MaxKeys = aws.Int32(mk)
			if diff := cmp.Diff(one, listObjects(t, f, in)); diff != "" {
				t.Errorf("objects, MaxKeys %d, %+v (-one page +pages):\n%s", mk, in, diff)
			}
		}
	}
}

// byKey puts a page's common prefixes among its entries, in key order
// (entries of one key keep their order).
func byKey(page []string) {
	key := func(e string) string {
		if cp, ok := strings.CutPrefix(e, "CP "); ok {
			return cp
		}
		k, _, _ := cutAt(e)
		return k
	}
	sort.SliceStable(page, func(i, j int) bool { return key(page[i]) < key(page[j]) })
}

func cutAt(e string) (key, rest string, ok bool) {
	for i := len(e) - 1; i >= 0; i-- {
		if e[i] == '@' {
			return e[:i], e[i+1:], true
		}
	}
	return e, "", false
}
