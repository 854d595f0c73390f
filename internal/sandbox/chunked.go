package sandbox

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"strings"
)

// decodeAWSChunked turns an aws-chunked request body (what the SDK sends for
// S3 uploads with a trailing checksum, or with signed chunks) into the plain
// payload kumo expects, and fixes the headers to match. Chunk signatures are
// not verified: the request's own signature was.
func decodeAWSChunked(h http.Header, body []byte) ([]byte, error) {
	sha := h.Get("X-Amz-Content-Sha256")
	enc := h.Get("Content-Encoding")
	if !strings.HasPrefix(sha, "STREAMING-") && !strings.Contains(enc, "aws-chunked") {
		return body, nil
	}
	var out bytes.Buffer
	rest := body
	for {
		line, after, ok := bytes.Cut(rest, []byte("\r\n"))
		if !ok {
			return nil, errors.New("aws-chunked body: missing chunk header")
		}
		sizeHex, _, _ := bytes.Cut(line, []byte(";"))
		n, err := strconv.ParseInt(string(bytes.TrimSpace(sizeHex)), 16, 64)
		if err != nil || n < 0 || int64(len(after)) < n {
			return nil, errors.New("aws-chunked body: bad chunk size")
		}
		if n == 0 {
			break // trailers follow; they are not part of the object
		}
		out.Write(after[:n])
		rest = bytes.TrimPrefix(after[n:], []byte("\r\n"))
	}
	var encs []string
	for _, e := range strings.Split(enc, ",") {
		if e = strings.TrimSpace(e); e != "" && e != "aws-chunked" {
			encs = append(encs, e)
		}
	}
	if len(encs) > 0 {
		h.Set("Content-Encoding", strings.Join(encs, ","))
	} else {
		h.Del("Content-Encoding")
	}
	h.Del("X-Amz-Decoded-Content-Length")
	h.Del("X-Amz-Trailer")
	h.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	return out.Bytes(), nil
}
