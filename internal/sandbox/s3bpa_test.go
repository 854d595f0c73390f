package sandbox

import (
	"net/http"
	"testing"
)

func TestSetsPublicACL(t *testing.T) {
	t.Parallel()
	const allUsers = `<AccessControlPolicy><AccessControlList><Grant><Grantee><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>`
	for _, c := range []struct {
		name       string
		header     http.Header
		body       string
		aclRequest bool
		want       bool
	}{
		{"no ACL", http.Header{}, "", false, false},
		{"private", http.Header{"X-Amz-Acl": {"private"}}, "", false, false},
		{"bucket-owner-full-control", http.Header{"X-Amz-Acl": {"bucket-owner-full-control"}}, "", false, false},
		{"public-read", http.Header{"X-Amz-Acl": {"public-read"}}, "", false, true},
		{"public-read-write", http.Header{"X-Amz-Acl": {"public-read-write"}}, "", false, true},
		{"authenticated-read", http.Header{"X-Amz-Acl": {"authenticated-read"}}, "", false, true},
		{"grant to AllUsers", http.Header{"X-Amz-Grant-Read": {`uri="http://acs.amazonaws.com/groups/global/AllUsers"`}}, "", false, true},
		{"grant to AuthenticatedUsers", http.Header{"X-Amz-Grant-Write-Acp": {"uri=http://acs.amazonaws.com/groups/global/AuthenticatedUsers"}}, "", false, true},
		{"grant to an account", http.Header{"X-Amz-Grant-Read": {`id="79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"`}}, "", false, false},
		{"ACL body granting AllUsers", http.Header{}, allUsers, true, true},
		// An object's body is its data, whatever it says.
		{"object data naming AllUsers", http.Header{}, allUsers, false, false},
	} {
		if got := setsPublicACL(c.header, []byte(c.body), c.aclRequest); got != c.want {
			t.Errorf("%s: setsPublicACL = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestPublicAccessBlockOr: S3 applies the most restrictive combination of
// the bucket's and the account's settings, setting by setting.
func TestPublicAccessBlockOr(t *testing.T) {
	t.Parallel()
	bucket := publicAccessBlock{BlockPublicAcls: true, RestrictPublicBuckets: false}
	account := publicAccessBlock{BlockPublicPolicy: true, RestrictPublicBuckets: true}
	want := publicAccessBlock{BlockPublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}
	if got := bucket.or(account); got != want {
		t.Errorf("or = %+v, want %+v", got, want)
	}
	if got := (publicAccessBlock{}).or(publicAccessBlock{}); got != (publicAccessBlock{}) {
		t.Errorf("none OR none = %+v", got)
	}
}
