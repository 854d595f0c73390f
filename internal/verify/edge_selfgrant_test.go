package verify

import "testing"

// TestEdgeSelfGrant: a user that may attach a policy to itself; the path takes the "self-grant" hop.
func TestEdgeSelfGrant(t *testing.T) {
	t.Parallel()
	runEdgeCases(t, []edgeCase{{
		name: "a user that may attach a policy to itself",
		edit: func(inv *Inventory, a map[string]*Account) {
			a["production"].Users = append(a["production"].Users, user(prodID, "erin", allow("iam:AttachUserPolicy", "arn:aws:iam::"+prodID+":user/erin")))
		},
		start: "user erin (production)",
		kind:  "self-grant",
		want:  "user erin (production) -[iam:AttachUserPolicy]-> user erin (production) after writing its own permissions -[iam:UpdateAssumeRolePolicy]-> role acme-data-developers (production) -[s3:GetObject]-> arn:aws:s3:::acme-data-prod/xacct-witness",
	}})
}
