package verify

import "testing"

// TestEdgeJoin: a user that may add itself to Testers; the path takes the "join" hop.
func TestEdgeJoin(t *testing.T) {
	t.Parallel()
	runEdgeCases(t, []edgeCase{{
		name: "a user that may add itself to Testers",
		edit: func(inv *Inventory, a map[string]*Account) {
			a["development"].Users = append(a["development"].Users, user(devID, "mallory", allow("iam:AddUserToGroup", "arn:aws:iam::"+devID+":group/Testers")))
		},
		start: "user mallory (development)",
		kind:  "join",
		want:  "user mallory (development) -[iam:AddUserToGroup]-> user mallory (development) in group Testers -[sts:AssumeRole]-> role acme-data-testers (production) -[s3:ListBucket]-> arn:aws:s3:::acme-data-prod",
	}})
}
