package verify

import "testing"

// TestEdgeBoundary: a user that may remove its own permissions boundary; the path takes the "boundary" hop.
func TestEdgeBoundary(t *testing.T) {
	t.Parallel()
	runEdgeCases(t, []edgeCase{{
		name: "a user that may remove its own permissions boundary",
		edit: func(inv *Inventory, a map[string]*Account) {
			u := user(prodID, "bob", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","iam:DeleteUserPermissionsBoundary"],"Resource":"*"}]}`)
			u.Boundary = &Doc{Name: "permissions boundary b", Document: allow("iam:DeleteUserPermissionsBoundary", "*")}
			a["production"].Users = append(a["production"].Users, u)
		},
		start: "user bob (production)",
		kind:  "boundary",
		want:  "user bob (production) -[iam:DeleteUserPermissionsBoundary]-> user bob (production) without its permissions boundary -[s3:GetObject]-> arn:aws:s3:::acme-data-prod/xacct-witness",
	}})
}
