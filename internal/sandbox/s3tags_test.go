package sandbox

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/xacct/xacct/internal/iampolicy"
)

func TestRequestObjectTags(t *testing.T) {
	tests := []struct {
		name    string
		header  []string // x-amz-tagging values; nil: absent
		want    map[string][]string
		wantErr bool
	}{
		{"absent", nil, map[string][]string{}, false},
		{"two tags", []string{"classification=secret&team=a%20b"}, map[string][]string{
			"s3:RequestObjectTag/classification": {"secret"}, "s3:RequestObjectTag/team": {"a b"},
			"s3:RequestObjectTagKeys": {"classification", "team"}}, false},
		{"duplicate key", []string{"a=1&a=2"}, nil, true},
		{"two headers", []string{"a=1", "b=2"}, nil, true},
		{"bad escape", []string{"a=%zz"}, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.header != nil {
				h["X-Amz-Tagging"] = tc.header
			}
			extra := map[string][]string{}
			e := requestObjectTags(h, extra)
			if (e != nil) != tc.wantErr {
				t.Fatalf("error %v, want error %v", e, tc.wantErr)
			}
			if !tc.wantErr && !reflect.DeepEqual(extra, tc.want) {
				t.Fatalf("context %v, want %v", extra, tc.want)
			}
		})
	}
}

func TestMentions(t *testing.T) {
	parse := func(doc string) *iampolicy.NamedPolicy {
		p, err := iampolicy.Parse([]byte(doc), iampolicy.Identity)
		if err != nil {
			t.Fatal(err)
		}
		return &iampolicy.NamedPolicy{Name: "p", Policy: p}
	}
	plain := parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)
	tagged := parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"S3:ExistingObjectTag/c":"secret"}}}]}`)
	if mentions(&iampolicy.Request{IdentityPolicies: []iampolicy.NamedPolicy{*plain}}, existingObjectTagKey) {
		t.Error("a policy without the key mentions it")
	}
	if !mentions(&iampolicy.Request{IdentityPolicies: []iampolicy.NamedPolicy{*plain}, SessionPolicy: tagged}, existingObjectTagKey) {
		t.Error("a session policy's condition on the key (any case) is not seen")
	}
}
