package sandbox

import (
	"net/http"
	"strings"
	"testing"
)

func TestObjectHeaders(t *testing.T) {
	t.Parallel()
	vc := newVersionCodec(bucketVersionKey("b", ""))
	kumo := func() http.Header {
		return http.Header{
			"X-Amz-Meta-Foo":                           {"bar"},
			"X-Amz-Meta-Mixed-Case":                    {"Value"},
			"X-Amz-Meta-Xacct-Sandbox-Checksum-Sha256": {"c3Vt"},
			"X-Amz-Version-Id":                         {"v4"},
			"Etag":                                     {`"e"`},
		}
	}
	tests := []struct {
		name         string
		withChecksum bool
		checksum     string
	}{
		{"checksum mode off", false, ""},
		{"checksum mode on", true, "c3Vt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := kumo()
			objectHeaders(h, bucketVersions{status: "Enabled", codec: vc}, tc.withChecksum)
			if got := rawHeader(h, "x-amz-meta-foo"); len(got) != 1 || got[0] != "bar" || rawHeader(h, "x-amz-meta-mixed-case") == nil {
				t.Errorf("user metadata not lower-case: %v", h)
			}
			for k := range h {
				if strings.HasPrefix(strings.ToLower(k), "x-amz-meta-xacct-sandbox") || k == "X-Amz-Meta-Foo" {
					t.Errorf("header %s left in", k)
				}
			}
			if got := h.Get("X-Amz-Checksum-Sha256"); got != tc.checksum {
				t.Errorf("x-amz-checksum-sha256 %q, want %q", got, tc.checksum)
			}
			if got := h.Get("X-Amz-Version-Id"); got != vc.encode("v4") {
				t.Errorf("version %q, want %q", got, vc.encode("v4"))
			}
		})
	}
}

// rawHeader reads a header by its exact (here lower-case) key, as the
// gateway writes user metadata.
func rawHeader(h http.Header, key string) []string { return h[key] }

func TestStoredChecksum(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, header, alg string
	}{
		{"sha256", "X-Amz-Checksum-Sha256", "sha256"},
		{"crc32c (a trailer)", "X-Amz-Checksum-Crc32c", "crc32c"},
		{"none", "Content-Md5", ""},
		{"algorithm only", "X-Amz-Checksum-Algorithm", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			h.Set(tc.header, "dmFsdWU=")
			if alg, _ := storedChecksum(h); alg != tc.alg {
				t.Errorf("algorithm %q, want %q", alg, tc.alg)
			}
		})
	}
}

func TestCRC64NVME(t *testing.T) {
	t.Parallel()
	// The check value of CRC-64/NVME.
	if got, want := crc64NVMEBase64([]byte("123456789")), "rosUhgp5mIg="; got != want {
		t.Errorf("crc64NVMEBase64 = %s, want %s", got, want)
	}
}

func TestObjectAttributes(t *testing.T) {
	t.Parallel()
	h := http.Header{"Etag": {`"abc"`}, "Content-Length": {"12"}, "X-Amz-Checksum-Crc32": {"AAAAAA=="}}
	tests := []struct {
		asked      string
		want, deny []string
	}{
		{"ETag,ObjectSize", []string{"<ETag>abc</ETag>", "<ObjectSize>12</ObjectSize>"}, []string{"Checksum", "StorageClass"}},
		{"Checksum, StorageClass, ObjectParts", []string{"<Checksum><ChecksumCRC32>AAAAAA==</ChecksumCRC32>", "<StorageClass>STANDARD</StorageClass>"}, []string{"ObjectParts", "ETag"}},
	}
	for _, tc := range tests {
		t.Run(tc.asked, func(t *testing.T) {
			out := string(objectAttributes(tc.asked, h))
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("lacks %s: %s", w, out)
				}
			}
			for _, d := range tc.deny {
				if strings.Contains(out, "<"+d+">") {
					t.Errorf("has %s: %s", d, out)
				}
			}
		})
	}
	for v, ok := range map[string]bool{"ETag": true, "ETag,ObjectSize": true, "": false, "Body": false, "ETag,Owner": false} {
		if validObjectAttributes(v) != ok {
			t.Errorf("validObjectAttributes(%q) = %v", v, !ok)
		}
	}
}

func TestFixListing(t *testing.T) {
	t.Parallel()
	in := `<ListBucketResult><KeyCount>3</KeyCount>` +
		`<Contents><Key>a</Key><ETag>&#34;x&#34;</ETag><Size>1</Size></Contents>` +
		`<Contents><Key>gone</Key><ETag></ETag><Size>0</Size></Contents>` +
		`<Contents><Key>c</Key><ETag>&#34;y&#34;</ETag><Size>2</Size></Contents></ListBucketResult>`
	tests := []struct {
		name      string
		withOwner bool
		want      string
	}{
		{"without owner", false, `<ListBucketResult><KeyCount>2</KeyCount>` +
			`<Contents><Key>a</Key><ETag>&#34;x&#34;</ETag><Size>1</Size></Contents>` +
			`<Contents><Key>c</Key><ETag>&#34;y&#34;</ETag><Size>2</Size></Contents></ListBucketResult>`},
		{"with owner", true, `<ListBucketResult><KeyCount>2</KeyCount>` +
			`<Contents><Key>a</Key><ETag>&#34;x&#34;</ETag><Size>1</Size><Owner><ID>ID</ID></Owner></Contents>` +
			`<Contents><Key>c</Key><ETag>&#34;y&#34;</ETag><Size>2</Size><Owner><ID>ID</ID></Owner></Contents></ListBucketResult>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(fixListing([]byte(in), "ID", tc.withOwner)); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}
