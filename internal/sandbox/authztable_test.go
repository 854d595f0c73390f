package sandbox

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xacct/xacct/internal/iampolicy"
)

// TestAuthzRefIsTheConfigTable: the sandbox's copy of the reference is the
// table internal/config embeds, byte for byte (gen -copy writes both).
func TestAuthzRefIsTheConfigTable(t *testing.T) {
	t.Parallel()
	want, err := os.ReadFile(filepath.Join("..", "config", "actions_gen.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(authzRefJSON, want) {
		t.Fatal("authzref_gen.json differs from internal/config/actions_gen.json: run go generate ./internal/config/")
	}
}

// TestAuthzTable holds every served action to the reference: it is in the
// reference; a request naming a resource of each of its resource types
// (an ARN built from the reference's format) is authorized on that ARN, so
// that a Deny on it refuses the request; "*" is refused where the action
// has a resource type; each condition key the reference lists for it has a
// source, and a key the request carries reaches the policy, so that a Deny
// on it refuses the request.
func TestAuthzTable(t *testing.T) {
	t.Parallel()
	ref := authzReference()
	table := authzTable()
	n := 0
	usedKeys := map[string]bool{}
	for svc, names := range servedActions {
		for _, name := range strings.Fields(names) {
			action := svc + ":" + name
			n++
			ra := ref[action]
			if ra == nil {
				t.Errorf("%s is served but not in the reference", action)
				continue
			}
			if table[action] == nil {
				t.Errorf("%s has no entry in the authorization table", action)
				continue
			}
			for _, k := range ra.keys {
				usedKeys[k] = true
				src, ok := conditionKeys[k]
				set := 0
				for _, b := range []bool{src.seam != nil, src.handler != "", src.none != ""} {
					if b {
						set++
					}
				}
				if !ok || set != 1 {
					t.Errorf("%s: condition key %s has no source (or more than one) in conditionKeys", action, k)
				}
			}
			checkResources(t, action, ra)
			checkSeamKeys(t, action, ra)
		}
	}
	for k := range conditionKeys {
		if !usedKeys[k] {
			t.Errorf("conditionKeys has %s, which no served action takes", k)
		}
	}
	t.Logf("%d served actions checked against the reference", n)
	if n < 180 {
		t.Errorf("only %d served actions: the table lost some", n)
	}
}

func checkResources(t *testing.T, action string, ra *refAction) {
	t.Helper()
	values := map[string]string{"Partition": "aws", "Region": "us-east-1", "Account": "222222222222"}
	if len(ra.resources) == 0 {
		if err := checkAuthzContext(nil, authzRequest{action: action, resource: "*"}, map[string][]string{}); err != nil {
			t.Errorf("%s on *: %v", action, err)
		}
		if err := checkAuthzContext(nil, authzRequest{action: action, resource: "arn:aws:s3:::b"}, map[string][]string{}); err == nil && wildcardResources[action] == "" {
			t.Errorf("%s has no resource type, yet it is accepted on an ARN", action)
		}
		return
	}
	if err := checkAuthzContext(nil, authzRequest{action: action, resource: "*"}, map[string][]string{}); err == nil {
		t.Errorf("%s is accepted on *, though the reference gives it resource types", action)
	}
	for _, r := range ra.resources {
		arn := r.arn.sample(values)
		if err := checkAuthzContext(nil, authzRequest{action: action, resource: arn}, map[string][]string{}); err != nil {
			t.Errorf("%s on its %s %s: %v", action, r.typ, arn, err)
			continue
		}
		res := evaluate(t, action, arn, nil, denyOn(action, arn, ""))
		if res.Decision != iampolicy.ExplicitDeny {
			t.Errorf("%s on %s: a Deny on the ARN gives %v", action, arn, res.Decision)
		}
	}
}

// checkSeamKeys sends each key the seam reads in a request, and checks
// that a Deny conditioned on its value refuses.
func checkSeamKeys(t *testing.T, action string, ra *refAction) {
	t.Helper()
	for _, k := range ra.keys {
		src := conditionKeys[k]
		if src.seam == nil {
			continue
		}
		c := seamCall(k)
		ctx := map[string][]string{}
		resource := "*"
		if len(ra.resources) > 0 {
			resource = ra.resources[0].arn.sample(map[string]string{"Partition": "aws", "Region": "us-east-1", "Account": "222222222222"})
		}
		if err := checkAuthzContext(c, authzRequest{action: action, resource: resource}, ctx); err != nil {
			t.Fatalf("%s: %v", action, err)
		}
		v := ctx[k]
		if len(v) != 1 || v[0] == "" {
			t.Errorf("%s: the request carries %s, the policy does not see it (%v)", action, k, v)
			continue
		}
		if res := evaluate(t, action, resource, ctx, denyOn(action, "*", `"StringEquals":{`+strconv.Quote(k)+`:`+strconv.Quote(v[0])+`}`)); res.Decision != iampolicy.ExplicitDeny {
			t.Errorf("%s: a Deny on %s=%s gives %v", action, k, v[0], res.Decision)
		}
	}
}

// seamCall is a signed request that carries a value for key.
func seamCall(key string) *call {
	method, body := http.MethodGet, ""
	switch key {
	case "s3:ObjectCreationOperation":
		method = http.MethodPut
	case "s3:locationconstraint":
		method = http.MethodPut
		body = `<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>`
	}
	r := httptest.NewRequest(method, "https://s3.localhost/b/k", nil)
	q := r.URL.Query()
	switch key {
	case "s3:ObjectCreationOperation", "s3:locationconstraint":
	case "s3:TlsVersion":
		r.TLS.Version = 0x0304
	case "s3:signatureAge", "s3:authType", "s3:signatureversion":
		r.Header.Set("X-Amz-Date", "20260101T000000Z")
	case "s3:prefix", "s3:delimiter", "s3:max-keys":
		q.Set(strings.TrimPrefix(key, "s3:"), "7")
	case "s3:versionid":
		q.Set("versionId", "v1")
	case "s3:if-match":
		r.Header.Set("If-Match", `"etag"`)
	case "s3:if-none-match":
		r.Header.Set("If-None-Match", "*")
	default:
		r.Header.Set(strings.TrimPrefix(key, "s3:"), "value")
	}
	r.URL.RawQuery = q.Encode()
	return &call{r: r, body: []byte(body), cred: &credential{AccessKey: "AKIA"}}
}

func denyOn(action, resource, cond string) string {
	c := ""
	if cond != "" {
		c = `,"Condition":{` + cond + `}`
	}
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},` +
		`{"Effect":"Deny","Action":` + strconv.Quote(action) + `,"Resource":` + strconv.Quote(resource) + c + `}]}`
}

func evaluate(t *testing.T, action, resource string, ctx map[string][]string, doc string) iampolicy.Result {
	t.Helper()
	p, err := iampolicy.Parse([]byte(doc), iampolicy.Identity)
	if err != nil {
		t.Fatalf("%s: %v", doc, err)
	}
	if ctx == nil {
		ctx = map[string][]string{}
	}
	res, err := iampolicy.Evaluate(&iampolicy.Request{Principal: "arn:aws:iam::222222222222:user/u", Action: action, Resource: resource,
		ResourceAccount: "222222222222", Context: ctx, IdentityPolicies: []iampolicy.NamedPolicy{{Name: "p", Policy: p}}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestAuthzTableRefuses: an action the table lacks, and a resource of
// another type than the reference's, are refused.
func TestAuthzTableRefuses(t *testing.T) {
	t.Parallel()
	for _, ar := range []authzRequest{
		{action: "s3:GetObjectRetention", resource: "arn:aws:s3:::b/k"}, // in the reference, not served
		{action: "s3:GetObject", resource: "arn:aws:s3:::b"},            // a bucket for an object
		{action: "s3:GetObject", resource: "*"},
		{action: "logs:FilterLogEvents", resource: "*"},
		{action: "iam:DeleteAccessKey", resource: "*"},
		{action: "lambda:GetFunction", resource: "arn:aws:lambda:us-east-1:222222222222:event-source-mapping:x"},
	} {
		if err := checkAuthzContext(nil, ar, map[string][]string{}); err == nil {
			t.Errorf("%s on %s is accepted", ar.action, ar.resource)
		}
	}
}

// TestS3ActionsFromRequests: the S3 requests the sandbox classifies (one per
// served S3 data-plane action) are authorized on the ARN their own path
// names, which the reference accepts for the action.
func TestS3ActionsFromRequests(t *testing.T) {
	t.Parallel()
	cases := []struct{ method, path, query, action, arn string }{
		{"GET", "/", "", "s3:ListAllMyBuckets", "arn:aws:s3:::*"},
		{"PUT", "/b", "", "s3:CreateBucket", "arn:aws:s3:::b"},
		{"GET", "/b", "list-type=2&prefix=p", "s3:ListBucket", "arn:aws:s3:::b"},
		{"GET", "/b", "versions", "s3:ListBucketVersions", "arn:aws:s3:::b"},
		{"GET", "/b", "uploads", "s3:ListBucketMultipartUploads", "arn:aws:s3:::b"},
		{"POST", "/b", "delete", "s3:DeleteObject", ""},
		{"DELETE", "/b", "policy", "s3:DeleteBucketPolicy", "arn:aws:s3:::b"},
		{"GET", "/b/k", "", "s3:GetObject", "arn:aws:s3:::b/k"},
		{"GET", "/b/k", "versionId=v", "s3:GetObjectVersion", "arn:aws:s3:::b/k"},
		{"GET", "/b/k", "tagging", "s3:GetObjectTagging", "arn:aws:s3:::b/k"},
		{"GET", "/b/k", "tagging&versionId=v", "s3:GetObjectVersionTagging", "arn:aws:s3:::b/k"},
		{"PUT", "/b/k", "tagging&versionId=v", "s3:PutObjectVersionTagging", "arn:aws:s3:::b/k"},
		{"DELETE", "/b/k", "tagging&versionId=v", "s3:DeleteObjectVersionTagging", "arn:aws:s3:::b/k"},
		{"GET", "/b/k", "acl&versionId=v", "s3:GetObjectVersionAcl", "arn:aws:s3:::b/k"},
		{"PUT", "/b/k", "acl&versionId=v", "s3:PutObjectVersionAcl", "arn:aws:s3:::b/k"},
		{"PUT", "/b/k", "acl", "s3:PutObjectAcl", "arn:aws:s3:::b/k"},
		{"GET", "/b/k", "attributes&versionId=v", "s3:GetObjectVersionAttributes", "arn:aws:s3:::b/k"},
		{"GET", "/b/k", "uploadId=u", "s3:ListMultipartUploadParts", "arn:aws:s3:::b/k"},
		{"DELETE", "/b/k", "uploadId=u", "s3:AbortMultipartUpload", "arn:aws:s3:::b/k"},
		{"POST", "/b/k", "uploads", "s3:PutObject", "arn:aws:s3:::b/k"},
		{"DELETE", "/b/k", "versionId=v", "s3:DeleteObjectVersion", "arn:aws:s3:::b/k"},
	}
	for sub := range bucketSubresources {
		acts := bucketSubresources[sub]
		for i, m := range []string{"GET", "PUT"} {
			if acts[i] != "" {
				cases = append(cases, struct{ method, path, query, action, arn string }{m, "/b", sub, acts[i], "arn:aws:s3:::b"})
			}
		}
	}
	served := strings.Fields(servedActions["s3"])
	for _, tc := range cases {
		op, e := parseS3(tc.method, "localhost", tc.path, tc.query)
		if e != nil {
			t.Fatalf("%s %s?%s: %+v", tc.method, tc.path, tc.query, e)
		}
		if op.action != tc.action {
			t.Errorf("%s %s?%s: action %s, want %s", tc.method, tc.path, tc.query, op.action, tc.action)
			continue
		}
		if !slices.Contains(served, strings.TrimPrefix(op.action, "s3:")) {
			t.Errorf("%s is classified but not served", op.action)
		}
		if tc.arn == "" {
			continue // DeleteObjects authorizes each key of its body
		}
		arn := op.arn()
		if op.bucket == "" {
			arn = "arn:aws:s3:::*"
		}
		if arn != tc.arn {
			t.Errorf("%s: ARN %s, want %s", tc.action, arn, tc.arn)
		}
		if err := checkAuthzContext(nil, authzRequest{action: op.action, resource: arn}, map[string][]string{}); err != nil {
			t.Errorf("%s %s?%s: %v", tc.method, tc.path, tc.query, err)
		}
	}
}

// TestHandlersNameServedActions reads the sandbox's source: every action a
// handler names as a literal ("s3:GetObject") is served, so that a new
// action cannot reach authorize without its entry; and the hand list of
// actions that carry s3:ExistingObjectTag agrees with the reference.
func TestHandlersNameServedActions(t *testing.T) {
	t.Parallel()
	ref := authzReference()
	served := map[string]bool{}
	for svc, names := range servedActions {
		for _, n := range strings.Fields(names) {
			served[svc+":"+n] = true
		}
	}
	literal := regexp.MustCompile(`^(s3|iam|sts|lambda|logs|cloudtrail):[A-Z][A-Za-z0-9]+$`)
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "authztable.go" || f == "s3tags.go" || strings.HasPrefix(f, "cloudtrail_") {
			// cloudtrail_*.go name events, not authorizations; s3tags.go
			// lists reference actions checked below.
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(af, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil || !literal.MatchString(s) || ref[s] == nil {
				return true
			}
			if !served[s] {
				t.Errorf("%s: %s names %s, which is not in servedActions", fset.Position(lit.Pos()), f, s)
			}
			return true
		})
	}
	for a := range existingObjectTagActions {
		ra := ref[a]
		if !served[a] {
			continue // listed ahead of being served: harmless
		}
		if ra == nil || !slices.Contains(ra.keys, "s3:ExistingObjectTag/<key>") {
			t.Errorf("s3tags.go lists %s, which the reference does not give s3:ExistingObjectTag", a)
		}
	}
	for a := range served {
		if ra := ref[a]; ra != nil && slices.Contains(ra.keys, "s3:ExistingObjectTag/<key>") && !existingObjectTagActions[a] {
			t.Errorf("%s takes s3:ExistingObjectTag, which s3tags.go does not read for it", a)
		}
	}
}
