package verify

import "testing"

// TestEdgePassRole: a user that may pass the processor role to a new function; the path takes the "pass-role" hop.
func TestEdgePassRole(t *testing.T) {
	t.Parallel()
	runEdgeCases(t, []edgeCase{{
		name: "a user that may pass the processor role to a new function",
		edit: func(inv *Inventory, a map[string]*Account) {
			a["production"].Users = append(a["production"].Users, user(prodID, "pat", allow("iam:PassRole", "arn:aws:iam::"+prodID+":role/acme-data-metadata-processor"), allow("lambda:CreateFunction", "*")))
		},
		start: "user pat (production)",
		kind:  "pass-role",
		want:  "user pat (production) -[iam:PassRole + lambda:CreateFunction]-> role acme-data-metadata-processor (production) -[s3:GetObject]-> arn:aws:s3:::acme-data-prod/xacct-witness",
	}})
}
