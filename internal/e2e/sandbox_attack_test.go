package e2e

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// attackScene is issue 11's scenario: in Production, an IAM user allowed
// only s3:GetObject and s3:PutObject on victim-a/* (and iam:GetUser on
// itself), and a second bucket victim-b holding a secret under a bucket
// policy.
type attackScene struct {
	prod        *client
	attacker    aws.Credentials
	victimA     string
	victimB     string
	secret      string
	policyB     string
	adminRole   string
	trustBefore string
}

func newAttackScene(t *testing.T) *attackScene {
	t.Helper()
	ctx := context.Background()
	s := &attackScene{prod: orgAdmin(t, prodID), victimA: uniq(t, "victim-a"), secret: "the secret of victim-b"}
	time.Sleep(time.Millisecond) // uniq is time-based
	s.victimB = uniq(t, "victim-b")
	for _, b := range []string{s.victimA, s.victimB} {
		must(s.prod.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}))(t)
	}
	must(s.prod.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(s.victimB), Key: aws.String("secret.txt"), Body: strings.NewReader(s.secret)}))(t)
	s.policyB = `{"Version":"2012-10-17","Statement":[{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::` + s.victimB + `/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`
	must(s.prod.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(s.victimB), Policy: aws.String(s.policyB)}))(t)
	s.policyB = aws.ToString(must(s.prod.s3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(s.victimB)}))(t).Policy)
	name := uniq(t, "attacker")
	must(s.prod.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}))(t)
	must(s.prod.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("victim-a-objects"), PolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::` + s.victimA + `/*"},` +
			`{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::` + prodID + `:user/` + name + `"},` +
			`{"Effect":"Allow","Action":"logs:DescribeLogGroups","Resource":"*"}]}`)}))(t)
	key := must(s.prod.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)}))(t).AccessKey
	s.attacker = aws.Credentials{AccessKeyID: aws.ToString(key.AccessKeyId), SecretAccessKey: aws.ToString(key.SecretAccessKey)}
	s.adminRole = "OrganizationAccountAccessRole"
	s.trustBefore = s.trust(t)
	return s
}

// trust is the Production admin role's trust policy, as IAM returns it.
func (s *attackScene) trust(t *testing.T) string {
	t.Helper()
	out := must(s.prod.iam.GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String(s.adminRole)}))(t)
	doc, _ := url.QueryUnescape(aws.ToString(out.Role.AssumeRolePolicyDocument))
	return doc
}

// object reads an object as the Production administrator ("" when absent).
func (s *attackScene) object(t *testing.T, bucket, key string) string {
	t.Helper()
	out, err := s.prod.s3.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if errorCode(err) == "NoSuchKey" {
		return ""
	}
	if err != nil {
		t.Fatalf("read %s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	b, _ := io.ReadAll(out.Body)
	return string(b)
}

// rawRequest is a request as an attacker writes it: the path and query go
// on the wire exactly as given.
type rawRequest struct {
	method  string
	uri     string // path and query, sent as is
	host    string // Host header; "" for the gateway's address
	body    []byte
	header  map[string]string // set before signing
	service string            // default s3
	// payload is S3's x-amz-content-sha256; "" for the body's hash.
	payload string
	at      time.Time             // signing time; zero for now
	after   func(r *http.Request) // applied after signing
	creds   *aws.Credentials      // nil: unsigned
}

func (rr rawRequest) build(t *testing.T) *http.Request {
	t.Helper()
	u := shared.URL + rr.uri
	req, err := http.NewRequest(rr.method, u, bytes.NewReader(rr.body))
	if err != nil {
		t.Fatal(err)
	}
	if rr.host != "" {
		req.Host = rr.host
	}
	for k, v := range rr.header {
		req.Header.Set(k, v)
	}
	service := rr.service
	if service == "" {
		service = "s3"
	}
	if rr.creds != nil {
		sum := sha256.Sum256(rr.body)
		payload := hex.EncodeToString(sum[:])
		if rr.payload != "" {
			payload = rr.payload
		}
		if service == "s3" {
			req.Header.Set("X-Amz-Content-Sha256", payload)
		}
		at := rr.at
		if at.IsZero() {
			at = time.Now()
		}
		signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = service == "s3" })
		if err := signer.SignHTTP(context.Background(), *rr.creds, req, payload, service, shared.Region, at); err != nil {
			t.Fatal(err)
		}
	}
	if rr.after != nil {
		rr.after(req)
	}
	return req
}

// send sends a request and returns its status, AWS error code and body.
func send(t *testing.T, req *http.Request) (int, string, string) {
	t.Helper()
	resp, err := (&http.Client{Transport: transport(t, shared)}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, awsErrorCode(resp.Header, body), string(body)
}

var jsonType = regexp.MustCompile(`"__type"\s*:\s*"([^"]+)"`)

func awsErrorCode(h http.Header, body []byte) string {
	if c := h.Get("X-Amzn-ErrorType"); c != "" {
		c, _, _ = strings.Cut(c, ":")
		return c
	}
	if m := jsonType.FindSubmatch(body); m != nil {
		return string(m[1])
	}
	var e struct {
		Code  string `xml:"Code"`
		Error struct {
			Code string `xml:"Code"`
		} `xml:"Error"`
	}
	_ = xml.Unmarshal(body, &e)
	if e.Code != "" {
		return e.Code
	}
	return e.Error.Code
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestAttackCorpus holds every bypass issue 11 reproduced against the
// gateway: each request as sent, the refusal AWS gives (or, for honest
// virtual-hosted requests, the bucket that must serve them), and a check
// that the side effect did not happen.
func TestAttackCorpus(t *testing.T) {
	s := newAttackScene(t)
	a, b := s.victimA, s.victimB
	cr := &s.attacker
	secretUnchanged := func(t *testing.T) {
		if got := s.object(t, b, "secret.txt"); got != s.secret {
			t.Errorf("victim-b's secret.txt is now %q", got)
		}
	}
	policyUnchanged := func(t *testing.T) {
		got := must(s.prod.s3.GetBucketPolicy(context.Background(), &s3.GetBucketPolicyInput{Bucket: aws.String(b)}))(t).Policy
		if aws.ToString(got) != s.policyB {
			t.Errorf("victim-b's policy is now %s", aws.ToString(got))
		}
	}
	trustUnchanged := func(t *testing.T) {
		if got := s.trust(t); got != s.trustBefore {
			t.Errorf("the admin role's trust policy is now %s", got)
		}
	}
	absent := func(bucket, key string) func(t *testing.T) {
		return func(t *testing.T) {
			if got := s.object(t, bucket, key); got != "" {
				t.Errorf("%s/%s was written: %q", bucket, key, got)
			}
		}
	}
	smuggle := "Action=GetUser&Version=2010-05-08&RoleName=" + s.adminRole + "&PolicyDocument=" +
		url.QueryEscape(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`)
	evil := []byte("written by the attacker")
	good := []byte("what was signed")
	md5Of := func(b []byte) string { s := md5.Sum(b); return base64.StdEncoding.EncodeToString(s[:]) }
	sha256b64 := func(b []byte) string { s := sha256.Sum256(b); return base64.StdEncoding.EncodeToString(s[:]) }
	gw := strings.TrimPrefix(shared.URL, "https://")
	_, port, _ := net.SplitHostPort(gw)

	tests := []struct {
		name       string
		req        rawRequest
		status     int
		code       string
		notInBody  string
		sideEffect func(t *testing.T)
	}{
		// 1. Path traversal: the dot segments kumo would clean.
		{"traversal GET", rawRequest{method: "GET", uri: "/" + a + "/../" + b + "/secret.txt", creds: cr}, 400, "InvalidURI", s.secret, nil},
		{"traversal GET encoded", rawRequest{method: "GET", uri: "/" + a + "/%2e%2e/" + b + "/secret.txt", creds: cr}, 400, "InvalidURI", s.secret, nil},
		{"traversal GET upper-case encoded with slash", rawRequest{method: "GET", uri: "/" + a + "/%2E%2E%2F" + b + "/secret.txt", creds: cr}, 400, "InvalidURI", s.secret, nil},
		{"traversal GET dot", rawRequest{method: "GET", uri: "/" + a + "/./../" + b + "/secret.txt", creds: cr}, 400, "InvalidURI", s.secret, nil},
		{"traversal PUT", rawRequest{method: "PUT", uri: "/" + a + "/../" + b + "/secret.txt", body: evil, creds: cr}, 400, "InvalidURI", "", secretUnchanged},
		{"traversal PUT bucket policy", rawRequest{method: "PUT", uri: "/" + a + "/../" + b + "?policy", creds: cr,
			body: []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::` + b + `/*"}]}`)},
			400, "InvalidURI", "", policyUnchanged},
		{"traversal to ListBuckets", rawRequest{method: "GET", uri: "/" + a + "/..", creds: cr}, 400, "InvalidURI", b, nil},
		{"empty segment", rawRequest{method: "PUT", uri: "/" + a + "//" + b + "/secret.txt", body: evil, creds: cr}, 501, "NotImplemented", "", secretUnchanged},
		// 8. ListBuckets needs s3:ListAllMyBuckets.
		{"ListBuckets without permission", rawRequest{method: "GET", uri: "/", creds: cr}, 403, "AccessDenied", b, nil},
		// 2. Virtual host: the Host's bucket is authorized and served.
		{"virtual host GET of another bucket's path", rawRequest{method: "GET", uri: "/" + b + "/secret.txt", host: a + ".localhost:" + port, creds: cr}, 404, "NoSuchKey", s.secret, nil},
		{"virtual host PUT of another bucket's path", rawRequest{method: "PUT", uri: "/" + b + "/secret.txt", host: a + ".localhost:" + port, body: evil, creds: cr}, 200, "", "",
			func(t *testing.T) {
				secretUnchanged(t)
				if got := s.object(t, a, b+"/secret.txt"); got != string(evil) {
					t.Errorf("victim-a/%s/secret.txt = %q, want the upload there", b, got)
				}
			}},
		{"virtual host PUT policy of another bucket", rawRequest{method: "PUT", uri: "/" + b + "?policy", host: a + ".localhost:" + port, creds: cr,
			body: []byte(`{"Version":"2012-10-17","Statement":[]}`)}, 501, "NotImplemented", "", policyUnchanged},
		{"virtual s3 host", rawRequest{method: "GET", uri: "/secret.txt", host: b + ".s3.localhost:" + port, creds: cr}, 403, "AccessDenied", s.secret, nil},
		// 3. IAM action smuggling: one Action, no X-Amz-Target.
		{"X-Amz-Target smuggled", rawRequest{method: "POST", uri: "/", service: "iam", body: []byte(smuggle), creds: cr,
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			after: func(r *http.Request) {
				r.Header.Set("X-Amz-Target", "AWSIdentityManagementV20100508.UpdateAssumeRolePolicy")
			}},
			400, "InvalidAction", "", trustUnchanged},
		{"X-Amz-Target signed", rawRequest{method: "POST", uri: "/", service: "iam", body: []byte(smuggle), creds: cr,
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "X-Amz-Target": "AWSIdentityManagementV20100508.UpdateAssumeRolePolicy"}},
			400, "InvalidAction", "", trustUnchanged},
		{"two Actions", rawRequest{method: "POST", uri: "/", service: "iam", body: []byte(smuggle + "&Action=UpdateAssumeRolePolicy"), creds: cr,
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 400, "InvalidAction", "", trustUnchanged},
		{"query Action disagrees with body", rawRequest{method: "POST", uri: "/?Action=UpdateAssumeRolePolicy", service: "iam", body: []byte(smuggle), creds: cr,
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 400, "InvalidAction", "", trustUnchanged},
		{"form body under a Logs target", rawRequest{method: "POST", uri: "/", service: "logs", creds: cr,
			body:   []byte(strings.Replace(smuggle, "GetUser", "UpdateAssumeRolePolicy", 1)),
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "X-Amz-Target": "Logs_20140328.DescribeLogGroups"}},
			400, "SerializationException", "", trustUnchanged},
		// 5. The body is bound to the signature.
		{"IAM body swapped under an unsigned X-Amz-Content-Sha256", rawRequest{method: "POST", uri: "/", service: "iam", creds: cr,
			body:   []byte("Action=GetUser&Version=2010-05-08"),
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			after: func(r *http.Request) {
				swapped := []byte(strings.Replace(smuggle, "GetUser", "UpdateAssumeRolePolicy", 1))
				r.Header.Set("X-Amz-Content-Sha256", sha256hex([]byte("Action=GetUser&Version=2010-05-08")))
				r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(swapped)), int64(len(swapped))
			}},
			403, "SignatureDoesNotMatch", "", trustUnchanged},
		{"STS body swapped", rawRequest{method: "POST", uri: "/", service: "sts", creds: cr,
			body:   []byte("Action=GetCallerIdentity&Version=2011-06-15"),
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			after: func(r *http.Request) {
				swapped := []byte("Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A" + prodID + "%3Arole%2F" + s.adminRole + "&RoleSessionName=x")
				r.Header.Set("X-Amz-Content-Sha256", sha256hex([]byte("Action=GetCallerIdentity&Version=2011-06-15")))
				r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(swapped)), int64(len(swapped))
			}},
			403, "SignatureDoesNotMatch", "AccessKeyId", nil},
		{"S3 body differs from the signed hash", rawRequest{method: "PUT", uri: "/" + a + "/swapped.txt", body: evil, payload: sha256hex(good), creds: cr},
			400, "XAmzContentSHA256Mismatch", "", absent(a, "swapped.txt")},
		{"wrong Content-MD5", rawRequest{method: "PUT", uri: "/" + a + "/md5.txt", body: evil, creds: cr, header: map[string]string{"Content-MD5": md5Of(good)}},
			400, "BadDigest", "", absent(a, "md5.txt")},
		{"wrong x-amz-checksum-sha256", rawRequest{method: "PUT", uri: "/" + a + "/sha.txt", body: evil, payload: "UNSIGNED-PAYLOAD", creds: cr,
			header: map[string]string{"X-Amz-Checksum-Sha256": sha256b64(good)}}, 400, "BadDigest", "", absent(a, "sha.txt")},
		{"signed streaming chunk forged", rawRequest{method: "PUT", uri: "/" + a + "/chunked.txt", payload: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", creds: cr,
			header: map[string]string{"Content-Encoding": "aws-chunked", "X-Amz-Decoded-Content-Length": "23"},
			body:   []byte("17;chunk-signature=" + strings.Repeat("0", 64) + "\r\n" + string(evil) + "\r\n0;chunk-signature=" + strings.Repeat("0", 64) + "\r\n\r\n")},
			403, "SignatureDoesNotMatch", "", absent(a, "chunked.txt")},
		{"trailing checksum wrong", rawRequest{method: "PUT", uri: "/" + a + "/trailer-bad.txt", payload: "STREAMING-UNSIGNED-PAYLOAD-TRAILER", creds: cr,
			header: map[string]string{"Content-Encoding": "aws-chunked", "X-Amz-Decoded-Content-Length": "5", "X-Amz-Trailer": "x-amz-checksum-crc32"},
			body:   []byte("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n")},
			400, "BadDigest", "", absent(a, "trailer-bad.txt")},
		{"trailing checksum right", rawRequest{method: "PUT", uri: "/" + a + "/trailer-good.txt", payload: "STREAMING-UNSIGNED-PAYLOAD-TRAILER", creds: cr,
			header: map[string]string{"Content-Encoding": "aws-chunked", "X-Amz-Decoded-Content-Length": "5", "X-Amz-Trailer": "x-amz-checksum-crc32"},
			body:   []byte("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n")},
			200, "", "", func(t *testing.T) {
				if got := s.object(t, a, "trailer-good.txt"); got != "hello" {
					t.Errorf("trailer-good.txt = %q, want hello", got)
				}
			}},
		// Unsigned, SigV2, skewed and malformed names, answered as AWS does.
		{"unsigned STS", rawRequest{method: "POST", uri: "/", body: []byte("Action=GetCallerIdentity&Version=2011-06-15"),
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 403, "MissingAuthenticationToken", "", nil},
		{"unsigned IAM", rawRequest{method: "POST", uri: "/?Action=ListUsers&Version=2010-05-08"}, 403, "MissingAuthenticationToken", "", nil},
		{"unsigned Lambda", rawRequest{method: "GET", uri: "/2015-03-31/functions/"}, 403, "MissingAuthenticationTokenException", "", nil},
		{"unsigned S3 write", rawRequest{method: "PUT", uri: "/" + a + "/anon.txt", body: evil}, 403, "AccessDenied", "", absent(a, "anon.txt")},
		{"SigV2 presigned URL", rawRequest{method: "GET", uri: "/" + a + "/k?AWSAccessKeyId=" + cr.AccessKeyID + "&Signature=abc%3D&Expires=9999999999"},
			400, "InvalidRequest", "", nil},
		{"S3 clock 20 minutes behind", rawRequest{method: "GET", uri: "/" + a + "/k", creds: cr, at: time.Now().Add(-20 * time.Minute)}, 403, "RequestTimeTooSkewed", "", nil},
		{"STS clock 20 minutes behind", rawRequest{method: "POST", uri: "/", service: "sts", creds: cr, at: time.Now().Add(-20 * time.Minute),
			body: []byte("Action=GetCallerIdentity&Version=2011-06-15"), header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}},
			403, "SignatureDoesNotMatch", "", nil},
		{"CreateBucket IP-shaped name", rawRequest{method: "PUT", uri: "/192.168.5.4", creds: cr}, 400, "InvalidBucketName", "", nil},
		{"CreateBucket reserved prefix", rawRequest{method: "PUT", uri: "/xn--" + a, creds: cr}, 400, "InvalidBucketName", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, code, body := send(t, tc.req.build(t))
			if status != tc.status || code != tc.code {
				t.Errorf("got %d %s, want %d %s; body: %.300s", status, code, tc.status, tc.code, body)
			}
			if tc.notInBody != "" && strings.Contains(body, tc.notInBody) {
				t.Errorf("the response leaks %q: %.300s", tc.notInBody, body)
			}
			if tc.name == "STS clock 20 minutes behind" && !strings.Contains(body, "Signature expired") {
				t.Errorf("want a Signature expired message, got %.300s", body)
			}
			if tc.sideEffect != nil {
				tc.sideEffect(t)
			}
		})
	}
}

// TestVirtualHostedStyle drives the SDK in virtual-hosted style
// (<bucket>.localhost): CreateBucket, PutObject and GetObject serve and
// authorize the Host's bucket.
func TestVirtualHostedStyle(t *testing.T) {
	ctx := context.Background()
	prod := orgAdmin(t, prodID)
	gw := strings.TrimPrefix(shared.URL, "https://")
	_, port, _ := net.SplitHostPort(gw)
	tr := transport(t, shared)
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, gw) // every *.localhost is the gateway
	}
	cfg := prod.cfg.Copy()
	cfg.HTTPClient = &http.Client{Transport: tr}
	vh := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String("https://localhost:" + port)
		o.UsePathStyle = false
	})
	bucket := uniq(t, "vhost")
	must(vh.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}))(t)
	must(vh.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("dir/k.txt"), Body: strings.NewReader("hello")}))(t)
	out := must(vh.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("dir/k.txt")}))(t)
	got, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if string(got) != "hello" {
		t.Fatalf("virtual-hosted GetObject = %q", got)
	}
	// The same object, path-style.
	out = must(prod.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("dir/k.txt")}))(t)
	got, _ = io.ReadAll(out.Body)
	out.Body.Close()
	if string(got) != "hello" {
		t.Fatalf("path-style GetObject of a virtual-hosted upload = %q", got)
	}
	list := must(vh.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)}))(t)
	if len(list.Contents) != 1 || aws.ToString(list.Contents[0].Key) != "dir/k.txt" {
		t.Fatalf("virtual-hosted ListObjectsV2 = %+v", list.Contents)
	}
}

// TestListBucketsIsAuthorized: ListBuckets needs s3:ListAllMyBuckets.
func TestListBucketsIsAuthorized(t *testing.T) {
	ctx := context.Background()
	none, _ := sessionWith(t, prodID, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)
	_, err := none.s3.ListBuckets(ctx, &s3.ListBucketsInput{})
	wantCode(t, err, "AccessDenied")
	lister, _ := sessionWith(t, prodID, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}`)
	must(lister.s3.ListBuckets(ctx, &s3.ListBucketsInput{}))(t)
}

// zeros is an endless reader of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestUnsignedUploadCostsNothing sends 200 MB PUTs the gateway must refuse
// before reading their body — one unsigned, one signed (UNSIGNED-PAYLOAD)
// by a session with no right to write there — and measures the heap of
// this process, which runs the gateway: the body is never read, so the heap
// grows by far less than 20 MB. Not parallel, so that other tests'
// allocations do not count.
func TestUnsignedUploadCostsNothing(t *testing.T) {
	const size = 200 << 20
	ctx := context.Background()
	prod := orgAdmin(t, prodID)
	bucket := uniq(t, "big")
	must(prod.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}))(t)
	reader, _ := sessionWith(t, prodID, allowS3(bucket, `["s3:GetObject"]`))
	creds := must(reader.cfg.Credentials.Retrieve(ctx))(t)
	tests := []struct {
		name   string
		sign   bool
		status int
	}{
		{"unsigned", false, http.StatusForbidden},
		{"signed without permission", true, http.StatusForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPut, shared.URL+"/"+bucket+"/big", io.LimitReader(zeros{}, size))
			if err != nil {
				t.Fatal(err)
			}
			req.ContentLength = size
			if tc.sign {
				req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
				signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
				if err := signer.SignHTTP(ctx, creds, req, "UNSIGNED-PAYLOAD", "s3", shared.Region, time.Now()); err != nil {
					t.Fatal(err)
				}
			}
			runtime.GC()
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			var peak atomic.Uint64
			stop, done := make(chan struct{}), make(chan struct{})
			go func() {
				defer close(done)
				var m runtime.MemStats
				for {
					select {
					case <-stop:
						return
					case <-time.After(5 * time.Millisecond):
					}
					runtime.ReadMemStats(&m)
					if m.HeapInuse > peak.Load() {
						peak.Store(m.HeapInuse)
					}
				}
			}()
			start := time.Now()
			resp, err := (&http.Client{Transport: transport(t, shared)}).Do(req)
			elapsed := time.Since(start)
			close(stop)
			<-done
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			switch {
			case err == nil:
				resp.Body.Close()
				if resp.StatusCode != tc.status {
					t.Errorf("200 MB PUT: status %d, want %d", resp.StatusCode, tc.status)
				}
			case errors.Is(err, io.EOF) || strings.Contains(err.Error(), "reset") || strings.Contains(err.Error(), "broken pipe"):
				// The gateway answered and closed the connection before the
				// client finished writing: what a server that does not read does.
			default:
				t.Fatalf("200 MB PUT: %v", err)
			}
			grew := max(int64(peak.Load())-int64(before.HeapInuse), 0)
			allocated := after.TotalAlloc - before.TotalAlloc
			t.Logf("200 MB PUT refused in %v; heap in use grew by at most %.1f MB; %.1f MB allocated in all", elapsed, float64(grew)/(1<<20), float64(allocated)/(1<<20))
			if grew > 20<<20 || allocated > 20<<20 {
				t.Errorf("a refused 200 MB upload cost %.1f MB of heap (%.1f MB allocated), want under 20 MB", float64(grew)/(1<<20), float64(allocated)/(1<<20))
			}
		})
	}
}

// TestSignedStreamingUpload uploads with STREAMING-AWS4-HMAC-SHA256-PAYLOAD,
// chunk signatures computed here from the request's own signature: the
// object is stored as sent, and a chunk re-signed with another key is not.
func TestSignedStreamingUpload(t *testing.T) {
	ctx := context.Background()
	prod := orgAdmin(t, prodID)
	bucket := uniq(t, "stream")
	must(prod.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}))(t)
	creds := must(prod.cfg.Credentials.Retrieve(ctx))(t)
	hmacOf := func(key []byte, s string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(s))
		return m.Sum(nil)
	}
	upload := func(key, secret string) (int, string) {
		chunks := [][]byte{bytes.Repeat([]byte("a"), 8192), []byte("tail"), nil}
		var decoded int
		for _, c := range chunks {
			decoded += len(c)
		}
		encodedLen := 0
		for _, c := range chunks {
			encodedLen += len(strconv.FormatInt(int64(len(c)), 16)) + len(";chunk-signature=") + 64 + 2 + len(c) + 2
		}
		at := time.Now().UTC()
		req, _ := http.NewRequest(http.MethodPut, shared.URL+"/"+bucket+"/"+key, nil)
		req.ContentLength = int64(encodedLen)
		req.Header.Set("Content-Encoding", "aws-chunked")
		req.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(decoded))
		req.Header.Set("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
		signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
		if err := signer.SignHTTP(ctx, creds, req, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "s3", shared.Region, at); err != nil {
			t.Fatal(err)
		}
		prev := req.Header.Get("Authorization")[strings.Index(req.Header.Get("Authorization"), "Signature=")+len("Signature="):]
		date := at.Format("20060102")
		k := hmacOf([]byte("AWS4"+secret), date)
		for _, s := range []string{shared.Region, "s3", "aws4_request"} {
			k = hmacOf(k, s)
		}
		var body bytes.Buffer
		for _, c := range chunks {
			sig := hex.EncodeToString(hmacOf(k, "AWS4-HMAC-SHA256-PAYLOAD\n"+at.Format("20060102T150405Z")+"\n"+date+"/"+shared.Region+"/s3/aws4_request\n"+
				prev+"\n"+sha256hex(nil)+"\n"+sha256hex(c)))
			fmt.Fprintf(&body, "%x;chunk-signature=%s\r\n%s\r\n", len(c), sig, c)
			prev = sig
		}
		req.Body = io.NopCloser(&body)
		status, code, _ := send(t, req)
		return status, code
	}
	if status, code := upload("good", creds.SecretAccessKey); status != 200 {
		t.Fatalf("signed streaming upload: %d %s", status, code)
	}
	out := must(prod.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("good")}))(t)
	got, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if want := strings.Repeat("a", 8192) + "tail"; string(got) != want {
		t.Fatalf("stored %d bytes, want %d", len(got), len(want))
	}
	if status, code := upload("forged", "another secret"); status != 403 || code != "SignatureDoesNotMatch" {
		t.Fatalf("chunks signed with another key: %d %s", status, code)
	}
	_, err := prod.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("forged")})
	if err == nil {
		t.Fatal("the forged upload was stored")
	}
}
