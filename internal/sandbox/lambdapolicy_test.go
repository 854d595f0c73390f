package sandbox

import (
	"encoding/json"
	"testing"

	"github.com/xacct/xacct/internal/iampolicy"
)

// TestFunctionGrantShape: AddPermission's parameters become the statement
// Lambda's GetPolicy shows: an account as its root ARN, an IAM ARN as
// itself, a service as a Service, each source condition in its place; a
// principal Lambda refuses is refused.
func TestFunctionGrantShape(t *testing.T) {
	t.Parallel()
	const fnARN = "arn:aws:lambda:us-east-1:222222222222:function:fn"
	cases := []struct {
		name string
		in   addPermissionInput
		want string // "" when refused
	}{
		{"an account", addPermissionInput{StatementId: "dev", Action: "lambda:UpdateFunctionCode", Principal: "111111111111"},
			`{"Sid":"dev","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"lambda:UpdateFunctionCode","Resource":"` + fnARN + `"}`},
		{"an account's root ARN", addPermissionInput{StatementId: "dev", Action: "lambda:InvokeFunction", Principal: "arn:aws:iam::111111111111:root"},
			`{"Sid":"dev","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"lambda:InvokeFunction","Resource":"` + fnARN + `"}`},
		{"a role", addPermissionInput{StatementId: "r", Action: "lambda:InvokeFunction", Principal: "arn:aws:iam::111111111111:role/caller"},
			`{"Sid":"r","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/caller"},"Action":"lambda:InvokeFunction","Resource":"` + fnARN + `"}`},
		{"S3, with its sources", addPermissionInput{StatementId: "s3", Action: "lambda:InvokeFunction", Principal: "s3.amazonaws.com", SourceArn: "arn:aws:s3:::b", SourceAccount: "222222222222"},
			`{"Sid":"s3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"` + fnARN + `","Condition":{"StringEquals":{"AWS:SourceAccount":"222222222222"},"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::b"}}}`},
		{"anyone in an organization", addPermissionInput{StatementId: "org", Action: "lambda:InvokeFunction", Principal: "*", PrincipalOrgID: "o-a1b2c3d4e5"},
			`{"Sid":"org","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"` + fnARN + `","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}`},
		{"a word that is no principal", addPermissionInput{StatementId: "x", Action: "lambda:InvokeFunction", Principal: "developers"}, ""},
		{"an account ID too short", addPermissionInput{StatementId: "x", Action: "lambda:InvokeFunction", Principal: "11111111111"}, ""},
		{"an action of another service", addPermissionInput{StatementId: "x", Action: "s3:GetObject", Principal: "111111111111"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body, _ := json.Marshal(tc.in)
			gr, e := (&gateway{}).newGrant(&call{body: body}, fnARN)
			if tc.want == "" {
				if e == nil {
					t.Fatalf("accepted: %s", gr.Statement)
				}
				return
			}
			if e != nil {
				t.Fatalf("refused: %+v", e)
			}
			if string(gr.Statement) != tc.want {
				t.Errorf("statement\n got %s\nwant %s", gr.Statement, tc.want)
			}
			if gr.Principal != tc.in.Principal || gr.Sid != tc.in.StatementId {
				t.Errorf("kept principal %q sid %q", gr.Principal, gr.Sid)
			}
			if _, err := iampolicy.Parse([]byte(functionPolicyDoc([]functionGrant{gr})), iampolicy.Resource); err != nil {
				t.Errorf("the policy does not parse: %v", err)
			}
		})
	}
}

// TestFunctionAccount: the function's account is the one its ARN or
// partial ARN names, else the caller's.
func TestFunctionAccount(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ path, want string }{
		{"/2015-03-31/functions/fn/code", "111111111111"},
		{"/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A222222222222%3Afunction%3Afn/code", "222222222222"},
		{"/2015-03-31/functions/arn:aws:lambda:us-east-1:222222222222:function:fn/invocations", "222222222222"},
		{"/2015-03-31/functions/333333333333%3Afunction%3Afn/policy", "333333333333"},
		{"/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A222222222222%3Afunction%3Afn", "222222222222"},
		{"/2015-03-31/functions", "111111111111"},
	} {
		if got := functionAccount(tc.path, "111111111111"); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.path, got, tc.want)
		}
	}
}
