package verify

import "testing"

// TestEdgeTrust: a user that may rewrite the developers role trust; the path takes the "trust" hop.
func TestEdgeTrust(t *testing.T) {
	t.Parallel()
	runEdgeCases(t, []edgeCase{{
		name: "a user that may rewrite the developers role trust",
		edit: func(inv *Inventory, a map[string]*Account) {
			a["production"].Users = append(a["production"].Users, user(prodID, "tom", allow("iam:UpdateAssumeRolePolicy", "arn:aws:iam::"+prodID+":role/acme-data-developers")))
		},
		start: "user tom (production)",
		kind:  "trust",
		want:  "user tom (production) -[iam:UpdateAssumeRolePolicy]-> role acme-data-developers (production) -[s3:GetObject]-> arn:aws:s3:::acme-data-prod/xacct-witness",
	}})
}
