package sandbox

import (
	"net/url"
	"slices"
	"testing"
	"time"
)

func TestChangedEntities(t *testing.T) {
	t.Parallel()
	tests := []struct {
		action string
		form   url.Values
		want   []string
	}{
		{"CreateRole", url.Values{"RoleName": {"r"}}, []string{"role/r", "trust/r"}},
		{"UpdateAssumeRolePolicy", url.Values{"RoleName": {"r"}}, []string{"role/r", "trust/r"}},
		{"PutRolePolicy", url.Values{"RoleName": {"r"}, "PolicyName": {"p"}}, []string{"role/r"}},
		{"AttachRolePolicy", url.Values{"RoleName": {"r"}, "PolicyArn": {"arn:aws:iam::aws:policy/ReadOnlyAccess"}}, []string{"role/r"}},
		{"AddUserToGroup", url.Values{"UserName": {"u"}, "GroupName": {"g"}}, []string{"user/u", "group/g"}},
		{"PutGroupPolicy", url.Values{"GroupName": {"g"}}, []string{"group/g"}},
		{"CreatePolicyVersion", url.Values{"PolicyArn": {"arn:aws:iam::111111111111:policy/p"}}, []string{"policy/arn:aws:iam::111111111111:policy/p"}},
		{"TagPolicy", url.Values{"PolicyArn": {"arn:aws:iam::111111111111:policy/p"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			t.Parallel()
			if got := changedEntities(tt.action, tt.form); !slices.Equal(got, tt.want) {
				t.Errorf("changedEntities = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestPropagationFresh: a change is fresh for exactly the delay, per
// account and key; no delay, nothing is ever fresh.
func TestPropagationFresh(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	pg := newPropagation()
	pg.now = func() time.Time { return now }
	pg.touch("111111111111", "role/r", "trust/r")

	tests := []struct {
		name    string
		after   time.Duration
		delay   time.Duration
		account string
		keys    []string
		want    string
	}{
		{"within the delay", time.Second, 2 * time.Second, "111111111111", []string{"user/u", "trust/r"}, "trust/r"},
		{"at the delay", 2 * time.Second, 2 * time.Second, "111111111111", []string{"trust/r"}, ""},
		{"no delay", 0, 0, "111111111111", []string{"trust/r"}, ""},
		{"another account", 0, time.Minute, "222222222222", []string{"trust/r"}, ""},
		{"another key", 0, time.Minute, "111111111111", []string{"trust/s", "user/r"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := now.Add(tt.after)
			p := &propagation{changed: pg.changed, now: func() time.Time { return at }}
			got, ok := p.fresh(tt.delay, tt.account, tt.keys...)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("fresh = %q, %v; want %q", got, ok, tt.want)
			}
		})
	}
}
