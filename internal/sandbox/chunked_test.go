package sandbox

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestDecodeStreamingAWSExample checks chunk signatures against the example
// of AWS's "Signature Calculations for the Authorization Header: Transferring
// Payload in Multiple Chunks" (66,560 bytes of 'a' in chunks of 64 KiB).
func TestDecodeStreamingAWSExample(t *testing.T) {
	sc := &sigContext{
		key:     signingKey("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524", "us-east-1", "s3"),
		amzDate: "20130524T000000Z",
		scope:   "20130524/us-east-1/s3/aws4_request",
		seed:    "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
	}
	chunk := func(n int, sig string) string {
		return fmt.Sprintf("%x;chunk-signature=%s\r\n%s\r\n", n, sig, strings.Repeat("a", n))
	}
	body := chunk(65536, "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648") +
		chunk(1024, "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497") +
		"0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n"
	payload, _, e := decodeStreaming(streamingSigned, []byte(body), sc)
	if e != nil {
		t.Fatalf("AWS's example refused: %+v", e)
	}
	if len(payload) != 66560 {
		t.Fatalf("payload of %d bytes, want 66560", len(payload))
	}
	forged := strings.Replace(body, "aaaa\r\n0;", "aaab\r\n0;", 1)
	if _, _, e := decodeStreaming(streamingSigned, []byte(forged), sc); e == nil || e.code != "SignatureDoesNotMatch" {
		t.Fatalf("a changed chunk was accepted: %+v", e)
	}
}

func TestCheckDigests(t *testing.T) {
	payload := []byte("123456789")
	b64 := func(v uint64, n int) string {
		b := make([]byte, n)
		for i := n - 1; i >= 0; i-- {
			b[i] = byte(v)
			v >>= 8
		}
		return base64.StdEncoding.EncodeToString(b)
	}
	tests := []struct {
		name, header, value, code string
	}{
		{"crc32", "X-Amz-Checksum-Crc32", b64(0xcbf43926, 4), ""},
		{"crc32c", "X-Amz-Checksum-Crc32c", b64(0xe3069283, 4), ""},
		{"crc64nvme", "X-Amz-Checksum-Crc64nvme", b64(0xae8b14860a799888, 8), ""},
		{"crc32 wrong", "X-Amz-Checksum-Crc32", b64(0xcbf43927, 4), "BadDigest"},
		{"sha256 malformed", "X-Amz-Checksum-Sha256", "xyz", "InvalidRequest"},
		{"md5 wrong", "Content-Md5", base64.StdEncoding.EncodeToString(make([]byte, 16)), "BadDigest"},
		{"md5 malformed", "Content-Md5", "abc", "InvalidDigest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			h.Set(tc.header, tc.value)
			e := checkDigests(h, nil, payload, true)
			switch {
			case tc.code == "" && e != nil:
				t.Fatalf("refused: %+v", e)
			case tc.code != "" && (e == nil || e.code != tc.code):
				t.Fatalf("got %+v, want %s", e, tc.code)
			}
		})
	}
}
