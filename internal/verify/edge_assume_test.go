package verify

import "testing"

// TestEdgeAssume: a role made by hand trusts a user that may also write its policies; the path takes the "grant" hop.
func TestEdgeAssume(t *testing.T) {
	t.Parallel()
	runEdgeCases(t, []edgeCase{{
		name: "a role made by hand trusts a user that may also write its policies",
		edit: func(inv *Inventory, a map[string]*Account) {
			a["production"].Users = append(a["production"].Users, user(prodID, "gina", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","iam:PutRolePolicy"],"Resource":"arn:aws:iam::`+prodID+`:role/hand"}]}`))
			a["production"].Roles = append(a["production"].Roles, Role{Name: "hand", ARN: "arn:aws:iam::" + prodID + ":role/hand", Trust: trusts("arn:aws:iam::" + prodID + ":user/gina")})
		},
		start: "user gina (production)",
		kind:  "grant",
		want:  "user gina (production) -[iam:PutRolePolicy]-> role hand (production) after its permissions are rewritten -[iam:UpdateAssumeRolePolicy]-> role acme-data-developers (production) -[s3:GetObject]-> arn:aws:s3:::acme-data-prod/xacct-witness",
	}})
}
