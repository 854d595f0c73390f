package sandbox

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"net/http"
	"strconv"
	"strings"
)

// The payload modes of x-amz-content-sha256 besides a literal SHA-256.
const (
	unsignedPayload          = "UNSIGNED-PAYLOAD"
	streamingSigned          = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	streamingSignedTrailer   = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	streamingUnsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
)

// emptySHA256 is the hex SHA-256 of nothing.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// validPayloadMode reports whether v may be sent as x-amz-content-sha256.
func validPayloadMode(v string) bool {
	switch v {
	case unsignedPayload, streamingSigned, streamingSignedTrailer, streamingUnsignedTrailer:
		return true
	}
	if len(v) != 64 {
		return false
	}
	_, err := hex.DecodeString(v)
	return err == nil
}

// sigContext is what verifying the chunk signatures of a streaming upload
// needs: the signing key, the request's time and scope, and the request's
// own signature, which seeds the chain.
type sigContext struct {
	key     []byte
	amzDate string
	scope   string
	seed    string
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// signingKey derives SigV4's signing key.
func signingKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, "aws4_request")
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// decodeStreaming decodes an aws-chunked body (mode is the request's
// x-amz-content-sha256; for a plain aws-chunked Content-Encoding it is
// UNSIGNED-PAYLOAD). Chunk and trailer signatures are verified for the
// signed modes; trailers (the checksum headers sent after the data) are
// returned for the caller to check against the payload.
func decodeStreaming(mode string, body []byte, sc *sigContext) ([]byte, http.Header, *apiError) {
	incomplete := func(msg string) *apiError {
		return &apiError{http.StatusBadRequest, "IncompleteBody", "aws-chunked body: " + msg}
	}
	sigMismatch := &apiError{http.StatusForbidden, "SignatureDoesNotMatch",
		"The request signature we calculated does not match the signature you provided. Check your key and signing method."}
	signed := mode == streamingSigned || mode == streamingSignedTrailer
	if signed && sc == nil {
		return nil, nil, &apiError{http.StatusBadRequest, "InvalidRequest", "A signed streaming payload needs a header-signed request."}
	}
	var out bytes.Buffer
	out.Grow(len(body))
	rest := body
	prev := ""
	if sc != nil {
		prev = sc.seed
	}
	for {
		line, after, ok := bytes.Cut(rest, []byte("\r\n"))
		if !ok {
			return nil, nil, incomplete("missing chunk header")
		}
		sizeHex, ext, _ := bytes.Cut(line, []byte(";"))
		n, err := strconv.ParseInt(string(bytes.TrimSpace(sizeHex)), 16, 64)
		if err != nil || n < 0 || int64(len(after)) < n {
			return nil, nil, incomplete("bad chunk size")
		}
		data := after[:n]
		if signed {
			sig, ok := bytes.CutPrefix(ext, []byte("chunk-signature="))
			if !ok {
				return nil, nil, incomplete("a chunk has no chunk-signature")
			}
			want := hex.EncodeToString(hmacSHA256(sc.key, "AWS4-HMAC-SHA256-PAYLOAD\n"+sc.amzDate+"\n"+sc.scope+"\n"+prev+"\n"+emptySHA256+"\n"+sha256Hex(data)))
			if !hmac.Equal([]byte(want), sig) {
				return nil, nil, sigMismatch
			}
			prev = want
		}
		if n == 0 {
			rest = after
			break
		}
		out.Write(data)
		tail, ok := bytes.CutPrefix(after[n:], []byte("\r\n"))
		if !ok {
			return nil, nil, incomplete("a chunk does not end with CRLF")
		}
		rest = tail
	}
	trailers := http.Header{}
	var canonical strings.Builder
	trailerSig := ""
	for len(rest) > 0 {
		line, after, _ := bytes.Cut(rest, []byte("\r\n"))
		rest = after
		if len(line) == 0 {
			continue
		}
		k, v, ok := strings.Cut(string(line), ":")
		if !ok {
			return nil, nil, incomplete("malformed trailer")
		}
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		if k == "x-amz-trailer-signature" {
			trailerSig = v
			continue
		}
		trailers.Add(k, v)
		canonical.WriteString(k + ":" + v + "\n")
	}
	if mode == streamingSignedTrailer {
		want := hex.EncodeToString(hmacSHA256(sc.key, "AWS4-HMAC-SHA256-TRAILER\n"+sc.amzDate+"\n"+sc.scope+"\n"+prev+"\n"+sha256Hex([]byte(canonical.String()))))
		if !hmac.Equal([]byte(want), []byte(trailerSig)) {
			return nil, nil, sigMismatch
		}
	}
	return out.Bytes(), trailers, nil
}

// fixChunkedHeaders makes the headers of a decoded aws-chunked request
// describe the plain payload kumo receives.
func fixChunkedHeaders(h http.Header) {
	var encs []string
	for _, e := range strings.Split(h.Get("Content-Encoding"), ",") {
		if e = strings.TrimSpace(e); e != "" && e != "aws-chunked" {
			encs = append(encs, e)
		}
	}
	if len(encs) > 0 {
		h.Set("Content-Encoding", strings.Join(encs, ","))
	} else {
		h.Del("Content-Encoding")
	}
}

// crc64NVME is the CRC-64/NVME table S3's CRC64NVME checksum uses.
var crc64NVME = crc64.MakeTable(0x9a6c9329ac4bc9b5)

// checksumAlgorithms are S3's flexible checksums, by header suffix.
var checksumAlgorithms = map[string]func() hash.Hash{
	"crc32":     func() hash.Hash { return crc32.NewIEEE() },
	"crc32c":    func() hash.Hash { return crc32.New(crc32.MakeTable(crc32.Castagnoli)) },
	"crc64nvme": func() hash.Hash { return crc64.New(crc64NVME) },
	"sha1":      sha1.New,
	"sha256":    sha256.New,
}

// checkDigests compares Content-MD5 and the x-amz-checksum-* values (of
// the headers or, for a streaming upload, its trailers) with the payload,
// answering as S3 does: InvalidDigest for a malformed value, BadDigest for
// one that does not match.
func checkDigests(h, trailers http.Header, payload []byte, checksums bool) *apiError {
	if v := h.Get("Content-Md5"); v != "" {
		want, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(want) != md5.Size {
			return &apiError{http.StatusBadRequest, "InvalidDigest", "The Content-MD5 you specified was invalid."}
		}
		got := md5.Sum(payload)
		if !bytes.Equal(want, got[:]) {
			return &apiError{http.StatusBadRequest, "BadDigest", "The Content-MD5 you specified did not match what we received."}
		}
	}
	if !checksums {
		return nil
	}
	for alg, newHash := range checksumAlgorithms {
		name := "x-amz-checksum-" + alg
		for _, src := range []http.Header{h, trailers} {
			v := src.Get(name)
			if v == "" {
				continue
			}
			want, err := base64.StdEncoding.DecodeString(v)
			hs := newHash()
			if err != nil || len(want) != hs.Size() {
				return &apiError{http.StatusBadRequest, "InvalidRequest", "Value for " + name + " header is invalid."}
			}
			hs.Write(payload)
			if !bytes.Equal(want, hs.Sum(nil)) {
				return &apiError{http.StatusBadRequest, "BadDigest", "The " + strings.ToUpper(alg) + " you specified did not match the calculated checksum."}
			}
		}
	}
	return nil
}
