package verify

import "testing"

// TestEdgeKey: a user that may make an access key of a developer; the path takes the "key" hop.
func TestEdgeKey(t *testing.T) {
	t.Parallel()
	runEdgeCases(t, []edgeCase{{
		name: "a user that may make an access key of a developer",
		edit: func(inv *Inventory, a map[string]*Account) {
			a["development"].Users = append(a["development"].Users, user(devID, "kim", allow("iam:CreateAccessKey", "arn:aws:iam::"+devID+":user/alice")),
				User{Name: "alice", ARN: "arn:aws:iam::" + devID + ":user/alice", Groups: []string{"Developers"}})
		},
		start: "user kim (development)",
		kind:  "key",
		want:  "user kim (development) -[iam:CreateAccessKey]-> user alice (development) -[sts:AssumeRole]-> role acme-data-developers (production) -[s3:GetObject]-> arn:aws:s3:::acme-data-prod/xacct-any",
	}})
}
