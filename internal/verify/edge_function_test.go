package verify

import "testing"

// TestEdgeFunction: a user that may change the processor configuration; the path takes the "function" hop.
func TestEdgeFunction(t *testing.T) {
	t.Parallel()
	runEdgeCases(t, []edgeCase{{
		name: "a user that may change the processor configuration",
		edit: func(inv *Inventory, a map[string]*Account) {
			a["production"].Users = append(a["production"].Users, user(prodID, "dave", allow("lambda:UpdateFunctionConfiguration", "arn:aws:lambda:us-east-1:"+prodID+":function:acme-data-metadata-processor")))
		},
		start: "user dave (production)",
		kind:  "function",
		want:  "user dave (production) -[lambda:UpdateFunctionConfiguration]-> role acme-data-metadata-processor (production) -[sts:AssumeRole]-> role acme-data-metadata-writer (reporting) -[s3:PutObject]-> arn:aws:s3:::acme-data-reporting/metadata/xacct-witness.json",
	}})
}
