package sandbox

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestChainSessionTags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		role, req, in  map[string]string
		transitiveKeys []string
		wantTags       map[string]string
		wantTransitive map[string]string
		wantErr        string
	}{
		{name: "no tags"},
		{name: "role tags only", role: map[string]string{"team": "data"},
			wantTags: map[string]string{"team": "data"}},
		{name: "session tag overrides role tag of another case",
			role: map[string]string{"Team": "ops", "cost": "1"}, req: map[string]string{"team": "data"},
			wantTags: map[string]string{"team": "data", "cost": "1"}},
		{name: "transitive keys are passed on",
			req: map[string]string{"team": "data", "project": "x"}, transitiveKeys: []string{"Team"},
			wantTags: map[string]string{"team": "data", "project": "x"}, wantTransitive: map[string]string{"team": "data"}},
		{name: "incoming transitive tags carry into the session and stay transitive",
			role: map[string]string{"team": "ops"}, in: map[string]string{"team": "data"}, req: map[string]string{"project": "x"},
			wantTags: map[string]string{"team": "data", "project": "x"}, wantTransitive: map[string]string{"team": "data"}},
		{name: "incoming transitive tag cannot be overridden",
			in: map[string]string{"team": "data"}, req: map[string]string{"TEAM": "ops"}, wantErr: "cannot override"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tags, transitive, err := chainSessionTags(tt.role, tt.req, tt.transitiveKeys, tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(tags, tt.wantTags) || !reflect.DeepEqual(transitive, tt.wantTransitive) {
				t.Errorf("tags %v transitive %v, want %v and %v", tags, transitive, tt.wantTags, tt.wantTransitive)
			}
		})
	}
}

func TestValidateSessionTags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		form string
		want string // substring of the error; "" for valid
	}{
		{name: "none", form: ""},
		{name: "tag and transitive key", form: "Tags.member.1.Key=team&Tags.member.1.Value=data&TransitiveTagKeys.member.1=team"},
		{name: "transitive key not among the tags", form: "Tags.member.1.Key=team&Tags.member.1.Value=data&TransitiveTagKeys.member.1=project", want: "must be included"},
		{name: "keys differing in case", form: "Tags.member.1.Key=team&Tags.member.1.Value=a&Tags.member.2.Key=Team&Tags.member.2.Value=b", want: "case insensitive"},
		{name: "key too long", form: "Tags.member.1.Key=" + strings.Repeat("k", 129) + "&Tags.member.1.Value=v", want: "128"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			form, err := url.ParseQuery(tt.form)
			if err != nil {
				t.Fatal(err)
			}
			got := validateSessionTags(sessionTags(form), form)
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Errorf("validateSessionTags = %q, want %q", got, tt.want)
			}
		})
	}
}

// A session's principal tags are saved with its credential, so they
// survive a restart on a data dir.
func TestSessionTagsPersist(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st, err := loadState(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := principal{Kind: "session", Tags: map[string]string{"team": "data"}, TransitiveTags: map[string]string{"team": "data"}}
	if err := st.update(func() error { st.Creds["ASIAX"] = &credential{AccessKey: "ASIAX", Principal: want}; return nil }); err != nil {
		t.Fatal(err)
	}
	again, err := loadState(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := again.credential("ASIAX"); got == nil || !reflect.DeepEqual(got.Principal, want) {
		t.Errorf("after a reload: %+v, want %+v", got, want)
	}
}
