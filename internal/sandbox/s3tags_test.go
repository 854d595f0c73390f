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

// TestTaggingBodyTags: a PutObjectTagging body's tags are the request's
// object tags; one that does not parse, or names a key twice, is refused.
func TestTaggingBodyTags(t *testing.T) {
	t.Parallel()
	const ns = `<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`
	for _, tc := range []struct {
		name, body string
		want       map[string][]string
		wantCode   string
	}{
		{"two tags", ns + `<TagSet><Tag><Key>team</Key><Value>a</Value></Tag><Tag><Key>Env</Key><Value>prod</Value></Tag></TagSet></Tagging>`,
			map[string][]string{"s3:RequestObjectTag/Env": {"prod"}, "s3:RequestObjectTag/team": {"a"}, "s3:RequestObjectTagKeys": {"Env", "team"}}, ""},
		{"no tags", ns + `<TagSet></TagSet></Tagging>`, map[string][]string{}, ""},
		{"a key twice", ns + `<TagSet><Tag><Key>Env</Key><Value>dev</Value></Tag><Tag><Key>Env</Key><Value>prod</Value></Tag></TagSet></Tagging>`, nil, "InvalidTag"},
		{"not XML", `<Tagging><TagSet><Tag>`, nil, "MalformedXML"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			extra := map[string][]string{}
			e := taggingBodyTags([]byte(tc.body), extra)
			if tc.wantCode != "" {
				if e == nil || e.code != tc.wantCode {
					t.Fatalf("%+v, want %s", e, tc.wantCode)
				}
				return
			}
			if e != nil || !reflect.DeepEqual(extra, tc.want) {
				t.Fatalf("%v %+v, want %v", extra, e, tc.want)
			}
		})
	}
}
