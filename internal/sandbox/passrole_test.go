package sandbox

import "testing"

// TestPassRoleTable: each request that passes a role reads it from the
// request as the service's API names it.
func TestPassRoleTable(t *testing.T) {
	t.Parallel()
	const role = "arn:aws:iam::222222222222:role/r"
	cases := map[string][]byte{
		"lambda:CreateFunction":              []byte(`{"FunctionName":"f","Role":"` + role + `"}`),
		"lambda:UpdateFunctionConfiguration": []byte(`{"Role":"` + role + `","Timeout":3}`),
		"s3:CreateJob":                       []byte(`<CreateJobRequest xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/"><RoleArn>` + role + `</RoleArn></CreateJobRequest>`),
	}
	if len(cases) != len(passRoles) {
		t.Fatalf("the table has %d entries, the test %d", len(passRoles), len(cases))
	}
	for action, body := range cases {
		pr, ok := passRoles[action]
		if !ok {
			t.Fatalf("%s is not in the table", action)
		}
		if got, err := pr.role(body); err != nil || got != role {
			t.Errorf("%s: role %q, %v", action, got, err)
		}
		if pr.service == "" {
			t.Errorf("%s: no iam:PassedToService", action)
		}
	}
	if got, err := passRoles["lambda:UpdateFunctionConfiguration"].role([]byte(`{"Timeout":3}`)); err != nil || got != "" {
		t.Errorf("no Role: %q, %v", got, err)
	}
}
