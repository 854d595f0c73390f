package resource_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"

	"github.com/xacct/xacct/internal/resource"
	"github.com/xacct/xacct/internal/resource/resourcetest"
	"github.com/xacct/xacct/policies"
)

const (
	devAccount  = "111111111111"
	prodAccount = "222222222222"
	region      = "eu-west-1"
)

// Two Lambda packages and their CodeSha256, as Lambda computes it.
var (
	zipA, zipB = []byte("PK\x03\x04 package A"), []byte("PK\x03\x04 package B")
	shaA, shaB = codeSha256(zipA), codeSha256(zipB)
)

func codeSha256(zip []byte) string {
	h := sha256.Sum256(zip)
	return base64.StdEncoding.EncodeToString(h[:])
}

// value marshals a desired value the way internal/stack does.
func value(t *testing.T, v any) resource.Value {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// render renders one of the policy templates into its canonical JSON, as
// internal/stack does.
func render(t *testing.T, tmpl string, data any) json.RawMessage {
	t.Helper()
	p, err := policies.Render(tmpl, data)
	if err != nil {
		t.Fatal(err)
	}
	return resource.PolicyValue(p)
}

func kindOf(t *testing.T, name string) resource.Kind {
	t.Helper()
	k, ok := resource.AllKinds()[name]
	if !ok {
		t.Fatalf("no kind %s", name)
	}
	return k
}

// read reads a resource and fails the test on an error.
func read(t *testing.T, c *resource.Clients, kind, name string) resource.Value {
	t.Helper()
	v, err := kindOf(t, kind).Read(context.Background(), c, name)
	if err != nil {
		t.Fatalf("read %s %s: %v", kind, name, err)
	}
	return v
}

// wantValue fails the test unless the resource reads as want.
func wantValue(t *testing.T, c *resource.Clients, kind, name string, want resource.Value) {
	t.Helper()
	if got := read(t, c, kind, name); string(got) != string(want) {
		t.Errorf("%s %s reads\n  %s\nwant\n  %s", kind, name, got, want)
	}
}

// opsSince returns the operations the fake received after the first n.
func opsSince(f *resourcetest.Fake, n int) []string {
	return f.Ops()[n:]
}

func wantOps(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s called %q, want %q", what, got, want)
	}
}

func TestParseAddress(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     resource.Address
		wantErr  bool
	}{
		{name: "plain", in: "production/iam_role/acme-data-developers", want: resource.Address{Account: "production", Kind: "iam_role", Name: "acme-data-developers"}},
		{name: "name with a slash", in: "development/iam_group_policy/Developers/assume-role", want: resource.Address{Account: "development", Kind: "iam_group_policy", Name: "Developers/assume-role"}},
		{name: "log group name", in: "production/logs_log_group//aws/lambda/fn", want: resource.Address{Account: "production", Kind: "logs_log_group", Name: "/aws/lambda/fn"}},
		{name: "two parts", in: "production/iam_role", wantErr: true},
		{name: "empty account", in: "/iam_role/x", wantErr: true},
		{name: "empty kind", in: "production//x", wantErr: true},
		{name: "empty name", in: "production/iam_role/", wantErr: true},
		{name: "empty", in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := resource.ParseAddress(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseAddress(%q) = %v, want an error", tt.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseAddress(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseAddress(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
			if got.String() != tt.in {
				t.Errorf("String() = %q, want %q", got.String(), tt.in)
			}
		})
	}
}

func TestParentOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		want   string // "" when the resource is not a part
		parent bool
	}{
		{in: "development/iam_group_policy/Developers/assume-production-role", want: "development/iam_group/Developers"},
		{in: "development/iam_group_membership/Developers/alice", want: "development/iam_group/Developers"},
		{in: "production/iam_role_policy/acme-data-developer/s3-access", want: "production/iam_role/acme-data-developer"},
		{in: "production/s3_bucket_policy/acme-data", want: "production/s3_bucket/acme-data"},
		{in: "production/s3_bucket_notification/acme-data", want: "production/s3_bucket/acme-data"},
		{in: "production/lambda_permission/processor/AllowProductionBucket", want: "production/lambda_function/processor"},
		{in: "production/lambda_invoke_config/processor", want: "production/lambda_function/processor"},
		{in: "production/iam_role/acme-data-developer"},
		{in: "production/s3_bucket/acme-data"},
		{in: "production/lambda_function/processor"},
		{in: "production/logs_log_group//aws/lambda/processor"},
	}
	kinds := resource.AllKinds()
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			a, err := resource.ParseAddress(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := resource.ParentOf(a)
			if tt.want == "" {
				if ok {
					t.Fatalf("ParentOf(%s) = %s, want none", a, got)
				}
				return
			}
			if !ok || got.String() != tt.want {
				t.Fatalf("ParentOf(%s) = %s, %v; want %s", a, got, ok, tt.want)
			}
			if _, ok := kinds[got.Kind]; !ok {
				t.Errorf("parent kind %s is not a kind", got.Kind)
			}
		})
	}
}

func TestTagsOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   resource.Value
		want map[string]string
	}{
		{name: "tags", in: resource.Value(`{"name":"b","tags":{"xacct:stack":"acme-data","team":"data"}}`), want: map[string]string{"xacct:stack": "acme-data", "team": "data"}},
		{name: "no tags field", in: resource.Value(`{"name":"Developers","path":"/"}`)},
		{name: "absent", in: nil},
		{name: "not JSON", in: resource.Value(`{`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := resource.TagsOf(tt.in)
			if len(got) != len(tt.want) {
				t.Fatalf("TagsOf = %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("TagsOf[%q] = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

// TestKindsTagged pins which kinds carry the xacct:stack tag (ownership of
// the others comes from the state alone) and which hold data.
func TestKindsTagged(t *testing.T) {
	t.Parallel()
	tagged := []string{"cloudtrail_trail", "iam_role", "lambda_function", "s3_bucket"}
	holders := []string{"s3_bucket"}
	for name, k := range resource.AllKinds() {
		if got, want := k.Tagged(), slices.Contains(tagged, name); got != want {
			t.Errorf("%s: Tagged() = %v, want %v", name, got, want)
		}
		if _, got := k.(resource.DataHolder); got != slices.Contains(holders, name) {
			t.Errorf("%s: DataHolder = %v", name, got)
		}
	}
}

// TestExpectOwner: an account's S3 client names the account as the owner of
// the bucket each request acts on, but for CreateBucket and ListBuckets,
// which act on none of its buckets, and leaves an owner a request names
// itself.
func TestExpectOwner(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	got := map[string]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got[r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery] = r.Header.Get("X-Amz-Expected-Bucket-Owner")
		mu.Unlock()
		w.Header().Set("Content-Type", "application/xml")
		_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Result/>`))
	}))
	t.Cleanup(srv.Close)
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", "")}
	c := resource.NewClients(prodAccount, cfg).S3
	ctx := context.Background()
	b := aws.String("b")
	_, _ = c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: b})
	_, _ = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: aws.String("k")})
	_, _ = c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: b, ExpectedBucketOwner: aws.String("999999999999")})
	_, _ = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b})
	_, _ = c.ListBuckets(ctx, &s3.ListBucketsInput{})
	want := map[string]string{
		"GET /b?versioning=":            prodAccount,
		"DELETE /b/k?x-id=DeleteObject": prodAccount,
		"GET /b?tagging=":               "999999999999",
		"PUT /b?":                       "",
		"GET /?x-id=ListBuckets":        "",
	}
	mu.Lock()
	defer mu.Unlock()
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("x-amz-expected-bucket-owner by request (-want +got):\n%s", d)
	}
}
