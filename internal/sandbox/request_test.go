package sandbox

import (
	"net/http"
	"net/url"
	"path"
	"reflect"
	"strings"
	"testing"
)

// kumoView is how kumo's router takes apart a path-style request: it
// decodes the path, cleans it (path.Clean) and routes /{bucket}/{key...}.
// It is written apart from parseS3 so that the two can disagree.
func kumoView(t *testing.T, fwdPath, fwdQuery string) (bucket, key string, q url.Values) {
	t.Helper()
	u, err := url.Parse("http://kumo" + fwdPath + "?" + fwdQuery)
	if err != nil {
		t.Fatalf("forwarded URL %q does not parse: %v", fwdPath+"?"+fwdQuery, err)
	}
	p := path.Clean(u.Path)
	if p == "/" {
		return "", "", u.Query()
	}
	bucket, key, _ = strings.Cut(strings.TrimPrefix(p, "/"), "/")
	return bucket, key, u.Query()
}

// checkForwarded asserts the gateway's invariant: what it authorizes (op)
// is exactly what the rebuilt request addresses.
func checkForwarded(t *testing.T, method string, op s3Op) {
	t.Helper()
	for _, seg := range strings.Split(op.key, "/") {
		if op.key != "" && (seg == "." || seg == ".." || seg == "") {
			t.Fatalf("key %q with a dot or empty segment was accepted", op.key)
		}
	}
	if strings.Contains(op.bucket, "/") {
		t.Fatalf("bucket %q has a slash", op.bucket)
	}
	fp, fq := op.forwardPath(), encodeQuery(op.query)
	b, k, q := kumoView(t, fp, fq)
	if b != op.bucket || k != op.key {
		t.Fatalf("authorized bucket %q key %q, kumo would serve bucket %q key %q (forwarded %s?%s)", op.bucket, op.key, b, k, fp, fq)
	}
	if len(q) != len(op.query) || (len(q) > 0 && !reflect.DeepEqual(q, op.query)) {
		t.Fatalf("authorized query %v, kumo would see %v", op.query, q)
	}
	if got := s3Action(method, s3Op{bucket: b, key: k, query: q}); got != op.action {
		t.Fatalf("authorized %s, the forwarded request is %s", op.action, got)
	}
}

var s3Seeds = []struct{ method, host, uri string }{
	{"GET", "localhost:4566", "/victim-a/secret.txt"},
	{"GET", "localhost:4566", "/victim-a/../victim-b/secret.txt"},
	{"GET", "localhost:4566", "/victim-a/%2e%2e/victim-b/secret.txt"},
	{"GET", "localhost:4566", "/victim-a/%2E%2E%2Fvictim-b/secret.txt"},
	{"PUT", "localhost:4566", "/victim-a/..%2Fvictim-b?policy"},
	{"PUT", "localhost:4566", "/victim-a/./x"},
	{"GET", "localhost:4566", "/victim-a//x"},
	{"GET", "localhost:4566", "/victim-a/x/"},
	{"GET", "victim-a.localhost:4566", "/victim-b/secret.txt"},
	{"PUT", "victim-a.localhost", "/"},
	{"PUT", "victim-a.s3.localhost:1", "/?policy"},
	{"GET", "s3.localhost", "/victim-a?list-type=2&prefix=a"},
	{"PUT", "localhost", "/victim-a?versioning&policy"},
	{"GET", "localhost", "/victim-a/k?tagging&acl"},
	{"GET", "localhost", "/victim-a/k?versionId=1&versionId=2"},
	{"GET", "localhost", "/victim-a/a%20b%3Fc%23d%25e"},
	{"GET", "localhost", "/"},
	{"GET", "localhost", "/victim-a/k%5C..%5Cx"},
	{"POST", "localhost", "/victim-a?delete"},
	{"GET", "localhost", "/victim-a/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2Fb&x-id=GetObject"},
}

func TestParseS3(t *testing.T) {
	tests := []struct {
		name, method, host, uri string
		bucket, key, action     string
		code                    string // refusal
	}{
		{"path style", "GET", "localhost:4566", "/victim-a/dir/secret.txt", "victim-a", "dir/secret.txt", "s3:GetObject", ""},
		{"traversal", "GET", "localhost:4566", "/victim-a/../victim-b/secret.txt", "", "", "", "InvalidURI"},
		{"encoded traversal", "GET", "localhost:4566", "/victim-a/%2e%2e/victim-b/secret.txt", "", "", "", "InvalidURI"},
		{"encoded slash traversal", "GET", "localhost:4566", "/victim-a/%2E%2E%2Fvictim-b/secret.txt", "", "", "", "InvalidURI"},
		{"dot bucket", "GET", "localhost:4566", "/../victim-b/secret.txt", "", "", "", "InvalidURI"},
		{"single dot", "PUT", "localhost:4566", "/victim-a/./x", "", "", "", "InvalidURI"},
		{"empty segment", "GET", "localhost:4566", "/victim-a//x", "", "", "", "NotImplemented"},
		{"virtual host", "GET", "victim-a.localhost:4566", "/victim-b/secret.txt", "victim-a", "victim-b/secret.txt", "s3:GetObject", ""},
		{"virtual host create", "PUT", "victim-a.localhost:4566", "/", "victim-a", "", "s3:CreateBucket", ""},
		{"virtual s3 host policy", "PUT", "victim-a.s3.localhost:4566", "/?policy", "victim-a", "", "s3:PutBucketPolicy", ""},
		{"s3.localhost is path style", "GET", "s3.localhost", "/victim-a/k", "victim-a", "k", "s3:GetObject", ""},
		{"two bucket subresources", "PUT", "localhost", "/victim-a?versioning&policy", "", "", "", "InvalidRequest"},
		{"two object subresources", "GET", "localhost", "/victim-a/k?tagging&acl", "", "", "", "InvalidRequest"},
		{"unknown object subresource", "PUT", "localhost", "/victim-a/k?retention", "", "", "", "NotImplemented"},
		{"duplicate parameter", "GET", "localhost", "/victim-a/k?versionId=1&versionId=2", "", "", "", "InvalidArgument"},
		{"list buckets", "GET", "localhost", "/", "", "", "s3:ListAllMyBuckets", ""},
		{"bad bucket characters", "GET", "localhost", "/a%3Fb/k", "", "", "", "InvalidBucketName"},
		{"long key", "GET", "localhost", "/victim-a/" + strings.Repeat("k", 1025), "", "", "", "KeyTooLongError"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, err := url.ParseRequestURI(tc.uri)
			if err != nil {
				t.Fatal(err)
			}
			op, e := parseS3(tc.method, tc.host, u.Path, u.RawQuery)
			if tc.code != "" {
				if e == nil || e.code != tc.code {
					t.Fatalf("got %+v, %+v; want refusal %s", op, e, tc.code)
				}
				return
			}
			if e != nil {
				t.Fatalf("refused: %+v", e)
			}
			if op.bucket != tc.bucket || op.key != tc.key || op.action != tc.action {
				t.Fatalf("got bucket %q key %q action %q, want %q %q %q", op.bucket, op.key, op.action, tc.bucket, tc.key, tc.action)
			}
			checkForwarded(t, tc.method, op)
		})
	}
}

func TestValidBucketName(t *testing.T) {
	for name, want := range map[string]bool{
		"victim-a": true, "my.bucket.name": true, "abc": true, "ab": false, strings.Repeat("a", 64): false,
		"Victim": false, "-abc": false, "abc-": false, "a..b": false, "a.-b": false, "192.168.1.1": false,
		"xn--abc": false, "sthree-abc": false, "abc-s3alias": false, "abc--ol-s3": false, "a_b": false,
	} {
		if got := validBucketName(name); got != want {
			t.Errorf("validBucketName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestQueryProtocolForm(t *testing.T) {
	tests := []struct {
		name, target, query, body string
		code, action              string
	}{
		{"body", "", "", "Action=GetUser&Version=2010-05-08", "", "GetUser"},
		{"query", "", "Action=GetUser&Version=2010-05-08", "", "", "GetUser"},
		{"target smuggled", "AWSIdentityManagementV20100508.UpdateAssumeRolePolicy", "", "Action=GetUser", "InvalidAction", ""},
		{"two actions", "", "", "Action=GetUser&Action=UpdateAssumeRolePolicy", "InvalidAction", ""},
		{"query and body disagree", "", "Action=UpdateAssumeRolePolicy", "Action=GetUser", "InvalidAction", ""},
		{"parameter disagrees", "", "RoleName=b", "Action=GetRole&RoleName=a", "MalformedQueryString", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.target != "" {
				h.Set("X-Amz-Target", tc.target)
			}
			form, e := queryProtocolForm(h, tc.query, []byte(tc.body))
			if tc.code != "" {
				if e == nil || e.code != tc.code {
					t.Fatalf("got %v, %+v; want %s", form, e, tc.code)
				}
				return
			}
			if e != nil || form.Get("Action") != tc.action || len(form["Action"]) != 1 {
				t.Fatalf("got %v, %+v; want Action %s", form, e, tc.action)
			}
		})
	}
}

func TestParseCopySource(t *testing.T) {
	for src, want := range map[string]string{
		"victim-a/k":                    "victim-a|k|",
		"/victim-a/dir%2Fk?versionId=3": "victim-a|dir/k|3",
		"victim-a/../victim-b/k":        "error",
		"victim-a/%2e%2e/victim-b/k":    "error",
		"victim-a":                      "error",
		"victim-a/k?acl":                "error",
	} {
		b, k, v, e := parseCopySource(src)
		got := b + "|" + k + "|" + v
		if e != nil {
			got = "error"
		}
		if got != want {
			t.Errorf("parseCopySource(%q) = %s, want %s", src, got, want)
		}
	}
}

// FuzzS3Request generates request paths, hosts, query strings and a copy
// source, runs the gateway's parser, and asserts that the bucket, key and
// operation it authorizes are exactly what the rebuilt request addresses
// as kumo reads it; that no dot segment survives; and that nothing panics.
func FuzzS3Request(f *testing.F) {
	for _, s := range s3Seeds {
		p, q, _ := strings.Cut(s.uri, "?")
		f.Add(s.method, s.host, p, q, "victim-a/k", "Action=GetUser")
	}
	methods := []string{"GET", "PUT", "POST", "DELETE", "HEAD"}
	f.Fuzz(func(t *testing.T, method, host, rawPath, rawQuery, copySource, form string) {
		if len(method) > 0 {
			method = methods[int(method[0])%len(methods)]
		}
		uri := rawPath
		if rawQuery != "" {
			uri += "?" + rawQuery
		}
		u, err := url.ParseRequestURI(uri)
		if err != nil {
			return // net/http answers 400 before the gateway sees it
		}
		op, e := parseS3(method, host, u.Path, u.RawQuery)
		if e == nil {
			if op.action != "" {
				checkForwarded(t, method, op)
			}
		} else if e.status < 400 || e.code == "" || e.msg == "" {
			t.Fatalf("refusal without status, code or message: %+v", e)
		}

		if b, k, v, e := parseCopySource(copySource); e == nil {
			fwd := "/" + s3EscapePath(b) + "/" + s3EscapePath(k)
			dec, err := url.PathUnescape(fwd)
			if err != nil || dec != "/"+b+"/"+k || path.Clean(dec) != dec {
				t.Fatalf("copy source %q: forwarded %q decodes to %q, authorized %s/%s", copySource, fwd, dec, b, k)
			}
			_ = v
		}

		if p, e := checkServicePath(u.Path); e == nil {
			dec, err := url.PathUnescape(p)
			if err != nil || dec != u.Path || path.Clean(dec) != dec {
				t.Fatalf("service path %q forwarded as %q (decodes to %q)", u.Path, p, dec)
			}
		}

		h := http.Header{}
		if strings.HasPrefix(form, "T") {
			h.Set("X-Amz-Target", form)
		}
		if f, e := queryProtocolForm(h, rawQuery, []byte(form)); e == nil {
			if len(f["Action"]) > 1 || h.Get("X-Amz-Target") != "" {
				t.Fatalf("form %v accepted with %d Actions, target %q", f, len(f["Action"]), h.Get("X-Amz-Target"))
			}
			again, err := url.ParseQuery(f.Encode())
			if err != nil || again.Get("Action") != f.Get("Action") {
				t.Fatalf("forwarded form %q reads as Action %q, authorized %q", f.Encode(), again.Get("Action"), f.Get("Action"))
			}
		}
	})
}
