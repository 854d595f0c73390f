package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// serverSide turns a client request into what net/http hands the gateway.
func serverSide(t *testing.T, req *http.Request) *http.Request {
	t.Helper()
	var buf bytes.Buffer
	if err := req.Write(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := http.ReadRequest(bufio.NewReader(&buf))
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestSignatureMatchesTheSDKSigner: what the SDK's signer signs, the
// gateway's canonicalization accepts, for S3 (single-encoded paths) and
// the other services (double-encoded).
func TestSignatureMatchesTheSDKSigner(t *testing.T) {
	creds := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret", SessionToken: "token"}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct{ name, service, method, url, body string }{
		{"s3 key", "s3", "PUT", "https://localhost:4566/bucket/dir/a%20b%2Bc~d", "data"},
		{"s3 query", "s3", "GET", "https://localhost:4566/bucket?list-type=2&prefix=a%20b&delimiter=%2F", ""},
		{"s3 virtual", "s3", "GET", "https://bucket.localhost:4566/k%3Dv", ""},
		{"iam form", "iam", "POST", "https://localhost:4566/", "Action=ListUsers&Version=2010-05-08"},
		{"lambda arn path", "lambda", "GET", "https://localhost:4566/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Af/configuration", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, tc.url, strings.NewReader(tc.body))
			req.Header.Set("X-Amz-Meta-Spaced", "  a   b ")
			payload := sha256Hex([]byte(tc.body))
			if tc.service == "s3" {
				req.Header.Set("X-Amz-Content-Sha256", payload)
			}
			signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = tc.service == "s3" })
			if err := signer.SignHTTP(context.Background(), creds, req, payload, tc.service, "us-east-1", at); err != nil {
				t.Fatal(err)
			}
			got := serverSide(t, req)
			si, err := parseAuthorization(got.Header.Get("Authorization"))
			if err != nil {
				t.Fatal(err)
			}
			if err := verifySignature(got, payload, si, creds.SecretAccessKey, creds.SessionToken, at); err != nil {
				t.Fatalf("the SDK's signature is refused: %v", err)
			}
			if err := verifySignature(got, sha256Hex([]byte("other")), si, creds.SecretAccessKey, creds.SessionToken, at); err == nil {
				t.Fatal("a signature over another payload hash is accepted")
			}
		})
	}
}

// TestSignedUserAgentAndTransferEncoding: a client may sign headers the
// SDK's signer never signs (botocore-style clients, the CRT); they count.
func TestSignedUserAgentAndTransferEncoding(t *testing.T) {
	req, _ := http.NewRequest("PUT", "https://localhost:4566/bucket/k", strings.NewReader("data"))
	req.ContentLength = -1
	req.TransferEncoding = []string{"chunked"}
	req.Header.Set("User-Agent", "aws-cli/2")
	req.Header.Set("X-Amz-Date", "20260102T030405Z")
	req.Header.Set("X-Amz-Content-Sha256", unsignedPayload)
	got := serverSide(t, req)
	si := sigInfo{AccessKey: "AKID", Date: "20260102", Region: "us-east-1", Service: "s3",
		SignedHeaders: []string{"host", "transfer-encoding", "user-agent", "x-amz-content-sha256", "x-amz-date"}}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	sig, err := computeSignature(got, unsignedPayload, si, "secret", at)
	if err != nil {
		t.Fatal(err)
	}
	si.Signature = sig
	if err := verifySignature(got, unsignedPayload, si, "secret", "", at); err != nil {
		t.Fatal(err)
	}
	got.Header.Set("User-Agent", "changed")
	if err := verifySignature(got, unsignedPayload, si, "secret", "", at); err == nil {
		t.Fatal("a changed signed User-Agent is accepted")
	}
}
