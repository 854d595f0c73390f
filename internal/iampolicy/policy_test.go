package iampolicy

import (
	"errors"
	"strings"
	"testing"
)

func TestParseRejects(t *testing.T) {
	t.Parallel()
	// What IAM and S3 reject ("IAM JSON policy element reference", "IAM JSON
	// policy grammar"), with the statement and element the error must name.
	tests := []struct {
		name string
		kind Kind
		doc  string
		want string // substring of the error
	}{
		{"not JSON", Identity, `{"Version":`, "not a JSON object"},
		// "AWS JSON policy elements: NotPrincipal", key points: not in a role trust policy.
		{"NotPrincipal in a trust policy", Trust, `{"Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}}`, "NotPrincipal: not allowed in a role trust policy"},
		{"a list is not a document", Identity, `[]`, "not a JSON object"},
		{"trailing data", Identity, `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}} x`, "trailing data"},
		{"unknown document element", Identity, `{"Version":"2012-10-17","Statements":[]}`, "Statements: unknown element"},
		{"bad version", Identity, `{"Version":"2012-10-18","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`, `Version: "2012-10-18" is not a policy language version`},
		{"no Statement", Identity, `{"Version":"2012-10-17"}`, "Statement: missing"},
		{"empty Statement list", Identity, `{"Version":"2012-10-17","Statement":[]}`, "Statement: empty list"},
		{"Statement is a string", Identity, `{"Version":"2012-10-17","Statement":"x"}`, "Statement: must be an object"},
		{"unknown statement element", Identity, `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Principle":"*"}]}`, "statement 0: Principle: unknown element"},
		{"bad Effect", Identity, `{"Statement":{"Sid":"A","Effect":"allow","Action":"s3:*","Resource":"*"}}`, `statement 0 (Sid "A"): Effect: "allow" is neither`},
		{"no Effect", Identity, `{"Statement":{"Action":"s3:*","Resource":"*"}}`, "Effect: missing"},
		{"Action and NotAction", Identity, `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Allow","Action":"s3:*","NotAction":"iam:*","Resource":"*"}]}`, "statement 1: NotAction: Action and NotAction in one statement"},
		{"no Action", Identity, `{"Statement":{"Effect":"Allow","Resource":"*"}}`, "Action: missing"},
		{"empty Action list", Identity, `{"Statement":{"Effect":"Allow","Action":[],"Resource":"*"}}`, "Action: empty list"},
		{"action without service", Identity, `{"Statement":{"Effect":"Allow","Action":"GetObject","Resource":"*"}}`, `Action: "GetObject" is not`},
		{"wildcard service prefix", Identity, `{"Statement":{"Effect":"Allow","Action":"s*:GetObject","Resource":"*"}}`, `Action: "s*:GetObject" is not`},
		{"action not a string", Identity, `{"Statement":{"Effect":"Allow","Action":5,"Resource":"*"}}`, "Action: must be a string or a list of strings"},
		{"identity policy without Resource", Identity, `{"Statement":{"Effect":"Allow","Action":"s3:*"}}`, "Resource: missing"},
		{"Resource and NotResource", Identity, `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","NotResource":"arn:aws:s3:::b"}}`, "Resource and NotResource"},
		{"resource not an ARN", Identity, `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"bucket/*"}}`, `Resource: "bucket/*" is not "*" or an ARN`},
		{"Principal in identity policy", Identity, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}`, "Principal: not allowed in an identity policy"},
		{"Principal in boundary", Boundary, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}`, "Principal: not allowed in a permissions boundary"},
		{"bucket policy without Principal", Resource, `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`, "Principal: missing"},
		{"trust policy without Principal", Trust, `{"Statement":{"Effect":"Allow","Action":"sts:AssumeRole"}}`, "Principal: missing"},
		{"trust policy with Resource", Trust, `{"Statement":{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole","Resource":"*"}}`, "Resource: not allowed in a trust policy"},
		{"NotPrincipal with Allow", Resource, `{"Statement":{"Effect":"Allow","NotPrincipal":{"AWS":"111111111111"},"Action":"s3:*","Resource":"*"}}`, `NotPrincipal: not allowed with "Effect": "Allow"`},
		{"Principal and NotPrincipal", Resource, `{"Statement":{"Effect":"Deny","Principal":"*","NotPrincipal":{"AWS":"111111111111"},"Action":"s3:*","Resource":"*"}}`, "Principal and NotPrincipal"},
		{"principal string other than star", Resource, `{"Statement":{"Effect":"Allow","Principal":"111111111111","Action":"s3:*","Resource":"*"}}`, `Principal: "111111111111": a principal is "*" or an object`},
		{"unknown principal type", Resource, `{"Statement":{"Effect":"Allow","Principal":{"User":"x"},"Action":"s3:*","Resource":"*"}}`, `unknown principal type "User"`},
		{"partial wildcard principal", Resource, `{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/*"},"Action":"s3:*","Resource":"*"}}`, "wildcards are not allowed in a principal ARN"},
		{"bad account principal", Resource, `{"Statement":{"Effect":"Allow","Principal":{"AWS":"11111111111"},"Action":"s3:*","Resource":"*"}}`, "is not an account ID or a user, role"},
		{"group is no principal", Resource, `{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:group/devs"},"Action":"s3:*","Resource":"*"}}`, "is not an account ID or a user, role"},
		{"empty principal object", Trust, `{"Statement":{"Effect":"Allow","Principal":{},"Action":"sts:AssumeRole"}}`, "Principal: empty object"},
		{"IAM Sid with a space", Identity, `{"Statement":{"Sid":"read all","Effect":"Allow","Action":"s3:*","Resource":"*"}}`, "Sid: \"read all\": IAM allows only letters and digits"},
		{"duplicate Sid", Identity, `{"Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"A","Effect":"Deny","Action":"s3:*","Resource":"*"}]}`, `statement 1 (Sid "A"): Sid: duplicate of statement 0`},
		{"unknown condition operator", Identity, `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEqualz":{"k":"v"}}}}`, `Condition: unknown condition operator "StringEqualz"`},
		{"NullIfExists is no operator", Identity, `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NullIfExists":{"k":"true"}}}}`, "unknown condition operator"},
		{"condition not an object", Identity, `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":["x"]}}`, "Condition: must be an object"},
		{"condition value an object", Identity, `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"k":{"a":1}}}}}`, "condition value must be a string, number or boolean"},
		{"numeric condition not a number", Identity, `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":"ten"}}}}`, `"ten" is not a number`},
		{"bool condition not a bool", Identity, `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"yes"}}}}`, `"yes" is neither true nor false`},
		{"bad CIDR", Identity, `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}}}`, "is not an IP address or CIDR block"},
		{"bad date", Identity, `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"tomorrow"}}}}`, "is not a date"},
		{"unclosed variable", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username"}}`, "policy variable not closed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tt.doc), tt.kind)
			if err == nil {
				t.Fatalf("Parse accepted %s", tt.doc)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		kind Kind
		doc  string
	}{
		{"statement as an object, no version", Identity, `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`},
		{"NotAction and NotResource", Identity, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":["iam:*","sts:*"],"NotResource":"arn:aws:s3:::b/*"}]}`},
		{"bucket policy Sid with spaces", Resource, `{"Version":"2012-10-17","Id":"Policy1","Statement":[{"Sid":"Deny non TLS","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":false}}}]}`},
		{"trust policy with every principal type", Trust, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["111111111111","arn:aws:iam::111111111111:role/r","arn:aws:sts::111111111111:assumed-role/r/s"],"Service":"lambda.amazonaws.com","Federated":"cognito-identity.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`},
		{"NotPrincipal with Deny", Resource, `{"Statement":{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111111111111:user/Bob","arn:aws:iam::111111111111:root"]},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}}`},
		{"an empty Condition and an operator without keys constrain nothing", Identity, `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{}},{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{}}}]}`},
		{"a deleted principal shown as a unique ID", Trust, `{"Statement":{"Effect":"Allow","Principal":{"AWS":"AROAEXAMPLEID1234567"},"Action":"sts:AssumeRole"}}`},
		{"every operator family", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{
			"StringLikeIfExists":{"s3:prefix":["home/${aws:username}/*"]},
			"ForAnyValue:StringEquals":{"aws:TagKeys":"team"},
			"NumericLessThanEquals":{"s3:max-keys":100},
			"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"},
			"Bool":{"aws:MultiFactorAuthPresent":true},
			"BinaryEquals":{"k":"QQ=="},
			"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]},
			"ArnLike":{"aws:SourceArn":"arn:aws:s3:::*"},
			"Null":{"aws:TokenIssueTime":"false"}}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := Parse([]byte(tt.doc), tt.kind); err != nil {
				t.Fatalf("Parse: %v", err)
			}
		})
	}
}

func TestParseErrorIsTyped(t *testing.T) {
	t.Parallel()
	_, err := Parse([]byte(`{"Statement":[{"Sid":"X","Effect":"Allow","Action":"s3:*"}]}`), Identity)
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %v is not an *Error", err)
	}
	if pe.Statement != 0 || pe.Sid != "X" || pe.Element != "Resource" {
		t.Errorf("got statement %d sid %q element %q, want 0 X Resource", pe.Statement, pe.Sid, pe.Element)
	}
}

func TestDecodeDocument(t *testing.T) {
	t.Parallel()
	// IAM returns documents URL-encoded per RFC 3986 (GetRolePolicy,
	// GetRole's AssumeRolePolicyDocument).
	enc := "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3AGetObject%22%2C%22Resource%22%3A%22arn%3Aaws%3As3%3A%3A%3Ab%2Fa%2Bb%20c%22%7D%5D%7D"
	p, err := ParseEncoded(enc, Identity)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Statements[0].Resource[0]; got != "arn:aws:s3:::b/a+b c" {
		t.Errorf("resource = %q, want %q", got, "arn:aws:s3:::b/a+b c")
	}
	plain := `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/a+b"}}`
	p, err = ParseEncoded("  "+plain, Identity)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Statements[0].Resource[0]; got != "arn:aws:s3:::b/a+b" {
		t.Errorf("plain JSON was decoded: resource = %q", got)
	}
	if _, err := DecodeDocument("%7B%zz"); err == nil {
		t.Error("DecodeDocument accepted a bad escape")
	}
}
