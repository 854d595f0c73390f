package iampolicy

import "testing"

// TestConditionHolds: a condition decided alone agrees with the engine's
// rules for a present value, another value and an absent key.
func TestConditionHolds(t *testing.T) {
	t.Parallel()
	const writer = "arn:aws:iam::333333333333:role/writer"
	cases := []struct {
		name   string
		cond   string
		values []string
		want   bool
	}{
		{"ArnNotEquals, the named ARN", `"ArnNotEquals":{"aws:PrincipalArn":"` + writer + `"}`, []string{writer}, false},
		{"ArnNotEquals, another ARN", `"ArnNotEquals":{"aws:PrincipalArn":"` + writer + `"}`, []string{"arn:aws:iam::333333333333:user/u"}, true},
		{"ArnNotEquals, absent", `"ArnNotEquals":{"aws:PrincipalArn":"` + writer + `"}`, nil, true},
		{"ArnLike, a match", `"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111111111111:user/*"}`, []string{"arn:aws:iam::111111111111:user/a"}, true},
		{"ArnLike, another account", `"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111111111111:user/*"}`, []string{"arn:aws:iam::222222222222:user/a"}, false},
		{"ArnLike, absent", `"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111111111111:user/*"}`, nil, false},
		{"ArnEqualsIfExists, absent", `"ArnEqualsIfExists":{"aws:PrincipalArn":"` + writer + `"}`, nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{`+tc.cond+`}}]}`, Resource)
			if got := p.Statements[0].Conditions[0].Holds(tc.values); got != tc.want {
				t.Errorf("Holds(%v) = %v, want %v", tc.values, got, tc.want)
			}
		})
	}
}
