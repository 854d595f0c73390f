package iampolicy

import (
	"strings"
	"testing"
)

// evalCondition parses one Condition element and evaluates it as a whole
// (operators and keys ANDed) against ctx.
func evalCondition(t *testing.T, cond string, ctx map[string][]string, vars bool) bool {
	t.Helper()
	cs, err := parseConditions([]byte(cond), vars)
	if err != nil {
		t.Fatalf("parse %s: %v", cond, err)
	}
	ec := &evalContext{keys: map[string][]string{}, vars: vars}
	for k, v := range ctx {
		ec.keys[strings.ToLower(k)] = v
	}
	for i := range cs {
		if !cs[i].eval(ec) {
			return false
		}
	}
	return true
}

type ctx = map[string][]string

func TestConditionOperators(t *testing.T) {
	t.Parallel()
	// Each case cites the IAM User Guide page it encodes:
	//   [ops]   "IAM JSON policy elements: Condition operators"
	//   [multi] "Conditions with multiple context keys or values"
	//   [sets]  "Single-valued vs. multivalued context keys" (set operators)
	//   [vars]  "IAM policy elements: Variables and tags"
	tests := []struct {
		name string
		cond string
		ctx  ctx
		want bool
	}{
		// String operators [ops].
		{"StringEquals exact", `{"StringEquals":{"aws:username":"alice"}}`, ctx{"aws:username": {"alice"}}, true},
		{"StringEquals is case-sensitive", `{"StringEquals":{"aws:username":"Alice"}}`, ctx{"aws:username": {"alice"}}, false},
		{"StringEquals takes no wildcard", `{"StringEquals":{"aws:username":"a*"}}`, ctx{"aws:username": {"alice"}}, false},
		{"condition key names are case-insensitive", `{"StringEquals":{"AWS:UserName":"alice"}}`, ctx{"aws:username": {"alice"}}, true},
		{"StringNotEquals", `{"StringNotEquals":{"aws:username":"bob"}}`, ctx{"aws:username": {"alice"}}, true},
		{"StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}`, ctx{"aws:username": {"alice"}}, true},
		{"StringNotEqualsIgnoreCase", `{"StringNotEqualsIgnoreCase":{"aws:username":"ALICE"}}`, ctx{"aws:username": {"alice"}}, false},
		{"StringLike star", `{"StringLike":{"s3:prefix":"home/*"}}`, ctx{"s3:prefix": {"home/alice/"}}, true},
		{"StringLike question mark", `{"StringLike":{"s3:prefix":"home/?"}}`, ctx{"s3:prefix": {"home/ab"}}, false},
		{"StringLike is case-sensitive", `{"StringLike":{"s3:prefix":"Home/*"}}`, ctx{"s3:prefix": {"home/a"}}, false},
		{"StringNotLike", `{"StringNotLike":{"s3:prefix":"home/*"}}`, ctx{"s3:prefix": {"tmp/"}}, true},

		// Several values OR, negated operators NOR, keys and operators AND [multi].
		{"values are ORed", `{"StringEquals":{"aws:username":["bob","alice"]}}`, ctx{"aws:username": {"alice"}}, true},
		{"negated values are NORed", `{"StringNotEquals":{"aws:username":["bob","alice"]}}`, ctx{"aws:username": {"alice"}}, false},
		{"negated values are NORed, none match", `{"StringNotEquals":{"aws:username":["bob","carol"]}}`, ctx{"aws:username": {"alice"}}, true},
		{"keys are ANDed", `{"StringEquals":{"aws:username":"alice","aws:PrincipalAccount":"111111111111"}}`, ctx{"aws:username": {"alice"}, "aws:PrincipalAccount": {"222222222222"}}, false},
		{"operators are ANDed", `{"StringEquals":{"aws:username":"alice"},"Bool":{"aws:SecureTransport":"true"}}`, ctx{"aws:username": {"alice"}, "aws:SecureTransport": {"true"}}, true},
		{"operators are ANDed, one false", `{"StringEquals":{"aws:username":"alice"},"Bool":{"aws:SecureTransport":"true"}}`, ctx{"aws:username": {"alice"}, "aws:SecureTransport": {"false"}}, false},

		// Missing keys [ops, "Important" box]: false, but true for negated operators.
		{"missing key: positive operator is false", `{"StringEquals":{"aws:PrincipalTag/team":"data"}}`, ctx{}, false},
		{"missing key: negated operator is true", `{"StringNotEquals":{"aws:PrincipalTag/team":"data"}}`, ctx{}, true},
		{"missing key: ArnNotLike is true", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:s3:::b"}}`, ctx{}, true},
		{"missing key: Bool is false", `{"Bool":{"aws:SecureTransport":"false"}}`, ctx{}, false},
		{"missing key: NotIpAddress is true", `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, ctx{}, true},

		// ...IfExists [ops].
		{"IfExists with key absent is true", `{"StringEqualsIfExists":{"ec2:InstanceType":"t2.micro"}}`, ctx{}, true},
		{"IfExists with key present compares", `{"StringEqualsIfExists":{"ec2:InstanceType":"t2.micro"}}`, ctx{"ec2:InstanceType": {"m5.large"}}, false},
		{"negated IfExists with key absent is true", `{"StringNotEqualsIfExists":{"ec2:InstanceType":"t2.micro"}}`, ctx{}, true},
		{"BoolIfExists with key present", `{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}`, ctx{"aws:MultiFactorAuthPresent": {"false"}}, true},

		// Null [ops].
		{"Null true: key absent", `{"Null":{"aws:TokenIssueTime":"true"}}`, ctx{}, true},
		{"Null true: key present", `{"Null":{"aws:TokenIssueTime":"true"}}`, ctx{"aws:TokenIssueTime": {"2024-01-01T00:00:00Z"}}, false},
		{"Null false: key present", `{"Null":{"aws:TokenIssueTime":"false"}}`, ctx{"aws:TokenIssueTime": {"2024-01-01T00:00:00Z"}}, true},
		{"Null false: key absent", `{"Null":{"aws:TokenIssueTime":false}}`, ctx{}, false},

		// Numeric [ops].
		{"NumericLessThanEquals", `{"NumericLessThanEquals":{"s3:max-keys":"10"}}`, ctx{"s3:max-keys": {"10"}}, true},
		{"NumericLessThan", `{"NumericLessThan":{"s3:max-keys":10}}`, ctx{"s3:max-keys": {"10"}}, false},
		{"NumericGreaterThan", `{"NumericGreaterThan":{"aws:MultiFactorAuthAge":"3600"}}`, ctx{"aws:MultiFactorAuthAge": {"7200"}}, true},
		{"NumericGreaterThanEquals", `{"NumericGreaterThanEquals":{"n":"1.5"}}`, ctx{"n": {"1.5"}}, true},
		{"NumericEquals", `{"NumericEquals":{"n":"10"}}`, ctx{"n": {"10.0"}}, true},
		{"NumericNotEquals", `{"NumericNotEquals":{"n":["1","2"]}}`, ctx{"n": {"3"}}, true},
		{"Numeric with a non-number request value never matches", `{"NumericEquals":{"n":"1"}}`, ctx{"n": {"one"}}, false},

		// Date [ops].
		{"DateLessThan", `{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}`, ctx{"aws:CurrentTime": {"2026-11-27T12:00:00Z"}}, true},
		{"DateGreaterThan", `{"DateGreaterThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}`, ctx{"aws:CurrentTime": {"2026-11-27T12:00:00Z"}}, false},
		{"Date epoch seconds", `{"DateGreaterThanEquals":{"aws:EpochTime":"1700000000"}}`, ctx{"aws:EpochTime": {"1800000000"}}, true},
		{"Date with offset", `{"DateEquals":{"t":"2026-01-01T01:00:00+01:00"}}`, ctx{"t": {"2026-01-01T00:00:00Z"}}, true},
		{"DateNotEquals", `{"DateNotEquals":{"t":"2026-01-01"}}`, ctx{"t": {"2026-01-02"}}, true},
		{"DateLessThanEquals date only", `{"DateLessThanEquals":{"t":"2026-01-01"}}`, ctx{"t": {"2026-01-01T00:00:00Z"}}, true},

		// Bool [ops].
		{"Bool true", `{"Bool":{"aws:SecureTransport":"true"}}`, ctx{"aws:SecureTransport": {"true"}}, true},
		{"Bool JSON boolean", `{"Bool":{"aws:SecureTransport":true}}`, ctx{"aws:SecureTransport": {"true"}}, true},
		{"Bool false vs true", `{"Bool":{"aws:SecureTransport":"false"}}`, ctx{"aws:SecureTransport": {"true"}}, false},

		// BinaryEquals [ops].
		{"BinaryEquals", `{"BinaryEquals":{"key":"QmluYXJ5VmFsdWU="}}`, ctx{"key": {"QmluYXJ5VmFsdWU="}}, true},
		{"BinaryEquals differs", `{"BinaryEquals":{"key":"QmluYXJ5VmFsdWU="}}`, ctx{"key": {"QQ=="}}, false},

		// IP address [ops].
		{"IpAddress CIDR", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctx{"aws:SourceIp": {"203.0.113.7"}}, true},
		{"IpAddress outside", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctx{"aws:SourceIp": {"198.51.100.7"}}, false},
		{"IpAddress single address", `{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}`, ctx{"aws:SourceIp": {"203.0.113.7"}}, true},
		{"IpAddress IPv6", `{"IpAddress":{"aws:SourceIp":"2001:DB8:1234:5678::/64"}}`, ctx{"aws:SourceIp": {"2001:db8:1234:5678::1"}}, true},
		{"IpAddress list ORed", `{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","203.0.113.0/24"]}}`, ctx{"aws:SourceIp": {"10.1.2.3"}}, true},
		{"NotIpAddress", `{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","203.0.113.0/24"]}}`, ctx{"aws:SourceIp": {"10.1.2.3"}}, false},
		{"IpAddress with a non-IP request value", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, ctx{"aws:SourceIp": {"vpc"}}, false},

		// ARN [ops]: each of the six segments matched, wildcards allowed in both.
		{"ArnEquals", `{"ArnEquals":{"aws:SourceArn":"arn:aws:s3:::acme-data-prod"}}`, ctx{"aws:SourceArn": {"arn:aws:s3:::acme-data-prod"}}, true},
		{"ArnLike wildcard", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111111111111:user/*"}}`, ctx{"aws:PrincipalArn": {"arn:aws:iam::111111111111:user/alice"}}, true},
		{"ArnLike wrong account", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111111111111:user/*"}}`, ctx{"aws:PrincipalArn": {"arn:aws:iam::222222222222:user/alice"}}, false},
		{"ArnEquals takes wildcards too", `{"ArnEquals":{"aws:SourceArn":"arn:aws:s3:::acme-*"}}`, ctx{"aws:SourceArn": {"arn:aws:s3:::acme-data-prod"}}, true},
		{"ArnNotLike", `{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::111111111111:role/*"}}`, ctx{"aws:PrincipalArn": {"arn:aws:iam::111111111111:user/alice"}}, true},
		{"ArnLike on a non-ARN value", `{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::*"}}`, ctx{"aws:SourceArn": {"acme"}}, false},

		// Set operators [sets].
		{"ForAllValues subset", `{"ForAllValues:StringEquals":{"aws:TagKeys":["team","env"]}}`, ctx{"aws:TagKeys": {"team"}}, true},
		{"ForAllValues not subset", `{"ForAllValues:StringEquals":{"aws:TagKeys":["team","env"]}}`, ctx{"aws:TagKeys": {"team", "owner"}}, false},
		{"ForAllValues key missing is true", `{"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}`, ctx{}, true},
		{"ForAllValues empty set is true", `{"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}`, ctx{"aws:TagKeys": {}}, true},
		{"ForAnyValue one matches", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["team"]}}`, ctx{"aws:TagKeys": {"owner", "team"}}, true},
		{"ForAnyValue none matches", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["team"]}}`, ctx{"aws:TagKeys": {"owner"}}, false},
		{"ForAnyValue key missing is false", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["team"]}}`, ctx{}, false},
		{"ForAnyValue StringLike", `{"ForAnyValue:StringLike":{"aws:TagKeys":["te*"]}}`, ctx{"aws:TagKeys": {"owner", "team"}}, true},
		{"ForAllValues negated: no value is listed", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}}`, ctx{"aws:TagKeys": {"team", "env"}}, true},
		{"ForAllValues negated: one value is listed", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}}`, ctx{"aws:TagKeys": {"team", "secret"}}, false},
		{"ForAnyValue negated: some value not listed", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["team"]}}`, ctx{"aws:TagKeys": {"team", "env"}}, true},
		{"ForAnyValue negated: all listed", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["team"]}}`, ctx{"aws:TagKeys": {"team"}}, false},
		{"ForAllValues IfExists key missing", `{"ForAllValues:StringEqualsIfExists":{"aws:TagKeys":["team"]}}`, ctx{}, true},
		{"plain operator on a multivalued key: any value", `{"StringEquals":{"aws:TagKeys":"team"}}`, ctx{"aws:TagKeys": {"env", "team"}}, true},
		{"plain negated operator on a multivalued key: none", `{"StringNotEquals":{"aws:TagKeys":"team"}}`, ctx{"aws:TagKeys": {"env", "team"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := evalCondition(t, tt.cond, tt.ctx, true); got != tt.want {
				t.Errorf("%s with %v = %v, want %v", tt.cond, tt.ctx, got, tt.want)
			}
		})
	}
}

func TestConditionVariables(t *testing.T) {
	t.Parallel()
	// "IAM policy elements: Variables and tags": variables are substituted in
	// string and ARN condition values under Version 2012-10-17 only; a
	// default applies when the key is missing; ${*}, ${?}, ${$} are the
	// literal characters.
	tests := []struct {
		name string
		cond string
		ctx  ctx
		vars bool
		want bool
	}{
		{"username substituted", `{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}`, ctx{"aws:username": {"alice"}, "s3:prefix": {"home/alice/x"}}, true, true},
		{"another user's prefix", `{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}`, ctx{"aws:username": {"alice"}, "s3:prefix": {"home/bob/x"}}, true, false},
		{"2008-10-17 keeps the text", `{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}`, ctx{"aws:username": {"alice"}, "s3:prefix": {"home/alice/x"}}, false, false},
		{"2008-10-17 literal match", `{"StringEquals":{"s3:prefix":"${aws:username}"}}`, ctx{"aws:username": {"alice"}, "s3:prefix": {"${aws:username}"}}, false, true},
		{"missing variable matches nothing", `{"StringEquals":{"aws:PrincipalTag/team":"${aws:PrincipalTag/owner}"}}`, ctx{"aws:PrincipalTag/team": {"x"}}, true, false},
		{"default value", `{"StringEquals":{"s3:prefix":"${aws:PrincipalTag/team, 'none'}"}}`, ctx{"s3:prefix": {"none"}}, true, true},
		{"value with a star is literal", `{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}`, ctx{"aws:username": {"*"}, "s3:prefix": {"home/alice/x"}}, true, false},
		{"${*} is a literal star", `{"StringLike":{"s3:prefix":"a${*}b"}}`, ctx{"s3:prefix": {"axb"}}, true, false},
		{"${*} matches a star", `{"StringLike":{"s3:prefix":"a${*}b"}}`, ctx{"s3:prefix": {"a*b"}}, true, true},
		{"ARN with PrincipalAccount", `{"ArnEquals":{"aws:SourceArn":"arn:aws:lambda:*:${aws:PrincipalAccount}:function:*"}}`, ctx{"aws:PrincipalAccount": {"222222222222"}, "aws:SourceArn": {"arn:aws:lambda:us-east-1:222222222222:function:f"}}, true, true},
		{"multivalued key is no variable", `{"StringEquals":{"k":"${aws:TagKeys}"}}`, ctx{"aws:TagKeys": {"a", "b"}, "k": {"a"}}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := evalCondition(t, tt.cond, tt.ctx, tt.vars); got != tt.want {
				t.Errorf("%s with %v (vars %v) = %v, want %v", tt.cond, tt.ctx, tt.vars, got, tt.want)
			}
		})
	}
}
