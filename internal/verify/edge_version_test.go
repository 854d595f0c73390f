package verify

import "testing"

// TestEdgeVersion: a stored, non-default version of a managed policy is
// what whoever may set it as the default holds: the policy attached to the
// principal itself, or to a role it assumes ("version" hop). Without
// iam:SetDefaultPolicyVersion the stored version grants nothing.
func TestEdgeVersion(t *testing.T) {
	t.Parallel()
	const policyARN = "arn:aws:iam::" + prodID + ":policy/reader"
	managed := func(setDefault bool) Doc {
		def := allow("s3:ListAllMyBuckets", "*")
		if setDefault {
			def = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:ListAllMyBuckets","iam:SetDefaultPolicyVersion","sts:AssumeRole"],"Resource":"*"}]}`
		}
		return Doc{Name: "managed policy " + policyARN, Document: def,
			Versions: []Doc{{Name: "v2", Document: allow("s3:GetObject", "arn:aws:s3:::acme-data-prod/*")}}}
	}
	runEdgeCases(t, []edgeCase{
		{
			name: "a user may set a stored version of its own policy as the default",
			edit: func(inv *Inventory, a map[string]*Account) {
				u := user(prodID, "vic")
				u.Policies = []Doc{managed(true)}
				a["production"].Users = append(a["production"].Users, u)
			},
			start: "user vic (production)",
			kind:  "version",
			want:  "user vic (production) -[iam:SetDefaultPolicyVersion]-> user vic (production) with v2 of " + policyARN + " as default -[s3:GetObject]-> arn:aws:s3:::acme-data-prod/xacct-witness",
		},
		{
			name: "a user may set a stored version of a policy attached to a role it assumes",
			edit: func(inv *Inventory, a map[string]*Account) {
				a["production"].Users = append(a["production"].Users, user(prodID, "val",
					`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","iam:SetDefaultPolicyVersion"],"Resource":"*"}]}`))
				r := Role{Name: "reader", ARN: "arn:aws:iam::" + prodID + ":role/reader", Trust: trusts("arn:aws:iam::" + prodID + ":user/val")}
				r.Policies = []Doc{managed(false)}
				a["production"].Roles = append(a["production"].Roles, r)
			},
			start: "user val (production)",
			kind:  "version",
			want:  "user val (production) -[iam:SetDefaultPolicyVersion]-> role reader (production) with v2 of " + policyARN + " as default -[s3:GetObject]-> arn:aws:s3:::acme-data-prod/xacct-witness",
		},
	})
	t.Run("a stored version nobody may set grants nothing", func(t *testing.T) {
		t.Parallel()
		_, r := plant(t, "", func(inv *Inventory, a map[string]*Account) {
			u := user(prodID, "vic")
			u.Policies = []Doc{managed(false)}
			a["production"].Users = append(a["production"].Users, u)
		})
		if got := routes(r, "user vic (production)"); len(got) > 0 {
			t.Errorf("findings: %v", got)
		}
	})
}
