package sandbox

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestParseFunctionRef(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 64)
	tests := []struct {
		name, ref string
		create    bool
		want      string // "" means refused
	}{
		{"name", "acme-data-metadata-processor", false, "acme-data-metadata-processor"},
		{"underscore and digits", "fn_1", true, "fn_1"},
		{"64 characters", long, true, long},
		{"ARN", "arn:aws:lambda:eu-west-1:222222222222:function:fn", false, "fn"},
		{"ARN with qualifier", "arn:aws:lambda:us-east-1:222222222222:function:fn:$LATEST", false, "fn"},
		{"partial ARN", "222222222222:function:fn", false, "fn"},
		{"name with alias", "fn:prod", false, "fn"},
		{"qualifier refused on create", "fn:prod", true, ""},
		{"65 characters", long + "a", false, ""},
		{"empty", "", false, ""},
		{"dot dot", "..", false, ""},
		{"traversal", "../../../tmp/evil", true, ""},
		{"slash", "a/b", false, ""},
		{"dot", "a.b", false, ""},
		{"percent-encoded dots", "%2e%2e", false, ""},
		{"space", "a b", false, ""},
		{"NUL", "a\x00b", false, ""},
		{"newline", "fn\n", false, ""},
		{"too long ARN", "arn:aws:lambda:us-east-1:222222222222:function:" + long + ":" + strings.Repeat("q", 100), false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseFunctionRef(tc.ref, tc.create)
			if tc.want == "" {
				var ve *validationError
				if !errors.As(err, &ve) {
					t.Fatalf("parseFunctionRef(%q) = %q, %v; want a validation error", tc.ref, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("parseFunctionRef(%q) = %q, %v; want %q", tc.ref, got, err, tc.want)
			}
			if !validFunctionName(got) {
				t.Fatalf("%q is not a valid function name", got)
			}
		})
	}
}

func TestLambdaOp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, method, path string
		action, fn         string
		invalid            bool
	}{
		{"create", http.MethodPost, "/2015-03-31/functions", "lambda:CreateFunction", "", false},
		{"list", http.MethodGet, "/2015-03-31/functions/", "lambda:ListFunctions", "", false},
		{"get", http.MethodGet, "/2015-03-31/functions/fn", "lambda:GetFunction", "fn", false},
		{"get by ARN", http.MethodGet, "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A222222222222%3Afunction%3Afn", "lambda:GetFunction", "fn", false},
		{"invoke", http.MethodPost, "/2015-03-31/functions/fn/invocations", "lambda:InvokeFunction", "fn", false},
		{"remove permission", http.MethodDelete, "/2015-03-31/functions/fn/policy/s3-invoke", "lambda:RemovePermission", "fn", false},
		{"tags", http.MethodGet, "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A222222222222%3Afunction%3Afn", "lambda:ListTags", "fn", false},
		{"unknown", http.MethodGet, "/2015-03-31/functions/fn/aliases", "", "", false},
		{"extra segment", http.MethodPost, "/2015-03-31/functions/fn/policy/x/y", "", "", false},
		{"dot-dot name", http.MethodGet, "/2015-03-31/functions/..", "", "", true},
		{"encoded slash in name", http.MethodPut, "/2015-03-31/functions/..%2F..%2Fevil/code", "", "", true},
		{"encoded dot-dot name", http.MethodGet, "/2015-03-31/functions/%2e%2e", "", "", true},
		{"traversal after the operation", http.MethodPost, "/2015-03-31/functions/mine/policy/../../victim/invocations", "", "", true},
		{"encoded traversal after the operation", http.MethodPost, "/2015-03-31/functions/mine/policy/%2E%2E/%2e./victim/invocations", "", "", true},
		{"empty segment", http.MethodGet, "/2015-03-31/functions//fn", "", "", true},
		{"bad escape", http.MethodGet, "/2015-03-31/functions/%zz", "", "", true},
		{"bad statement ID", http.MethodDelete, "/2015-03-31/functions/fn/policy/a%2Fb", "", "", true},
		{"encoded traversal in the version", http.MethodGet, "/..%2F..%2Fx/functions/fn", "", "", false},
		{"not a version", http.MethodGet, "/s3/functions/fn", "", "", false},
		{"name too long", http.MethodGet, "/2015-03-31/functions/" + strings.Repeat("a", 65), "", "", true},
		{"list mappings", http.MethodGet, "/2015-03-31/event-source-mappings/", "lambda:ListEventSourceMappings", "", false},
		{"create mapping", http.MethodPost, "/2015-03-31/event-source-mappings", "lambda:CreateEventSourceMapping", "", false},
		{"delete mapping", http.MethodDelete, "/2015-03-31/event-source-mappings/0b8e2a3c-54f1-4d6b-9c1e-6f2a7d9e1b23", "lambda:DeleteEventSourceMapping", "", false},
		{"mapping not a UUID", http.MethodGet, "/2015-03-31/event-source-mappings/..%2Ffunctions", "", "", true},
		{"mapping extra segment", http.MethodGet, "/2015-03-31/event-source-mappings/0b8e2a3c-54f1-4d6b-9c1e-6f2a7d9e1b23/x", "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			action, fn, err := lambdaOp(tc.method, tc.path)
			var ve *validationError
			if tc.invalid != errors.As(err, &ve) || (err != nil && ve == nil) {
				t.Fatalf("lambdaOp(%s %s) error = %v, want invalid %v", tc.method, tc.path, err, tc.invalid)
			}
			if action != tc.action || fn != tc.fn {
				t.Fatalf("lambdaOp(%s %s) = %q, %q; want %q, %q", tc.method, tc.path, action, fn, tc.action, tc.fn)
			}
		})
	}
}

func TestCodePathRefusesUnsafeNames(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rt := &runtimes{g: &gateway{sb: &Sandbox{dataDir: dir}}}
	for _, fn := range []string{"", ".", "..", "../x", "a/b", "x/../../y", "%2e%2e", strings.Repeat("a", 65), "a\x00"} {
		if p, err := rt.codePath("222222222222", fn); err == nil {
			t.Errorf("codePath(%q) = %s, want an error", fn, p)
		}
		if p, err := rt.runDir("222222222222", fn); err == nil {
			t.Errorf("runDir(%q) = %s, want an error", fn, p)
		}
	}
	for _, account := range []string{"", "..", "../222222222222", "22222222222"} {
		if p, err := rt.codePath(account, "fn"); err == nil {
			t.Errorf("codePath(account %q) = %s, want an error", account, p)
		}
	}
	p, err := rt.codePath("222222222222", "fn")
	if err != nil || !strings.HasPrefix(p, dir+"/lambda/222222222222/") {
		t.Errorf("codePath(fn) = %s, %v", p, err)
	}
}

func TestLogNames(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"/aws/lambda/acme-data-metadata-processor": true,
		"my.group_1#x":                  true,
		"/aws/lambda/mine:*":            false,
		"/aws/lambda/mine:log-stream:x": false,
		"a b":                           false,
		"":                              false,
		strings.Repeat("a", 513):        false,
	} {
		if got := logGroupNameRE.MatchString(name); got != want {
			t.Errorf("log group name %q valid = %v, want %v", name, got, want)
		}
	}
	for name, want := range map[string]bool{
		"2026/11/28/[$LATEST]0123abcd": true,
		"a:b":                          false,
		"a*":                           false,
	} {
		if got := logStreamNameRE.MatchString(name); got != want {
			t.Errorf("log stream name %q valid = %v, want %v", name, got, want)
		}
	}
}
