package iampolicy

import (
	"strings"
	"testing"
)

// publicForms is one case per form of statement S3 Block Public Access
// tells apart; docs/public-policy-forms.md is this table (written and
// checked by TestPublicFormsDocumented).
var publicForms = []publicForm{
	{name: "everyone", principal: `"*"`, public: true},
	{name: "everyone, as AWS", principal: `{"AWS":"*"}`, public: true},
	{name: "everyone, AWS list with an account", principal: `{"AWS":["*","111122223333"]}`, public: true},
	{name: "deny to everyone", principal: `"*"`, effect: "Deny", public: false},
	{name: "deny to all but one account", principal: `{"AWS":"arn:aws:iam::111122223333:root"}`, effect: "Deny", notPrinc: true, public: false},
	{name: "an account", principal: `{"AWS":"111122223333"}`, public: false},
	{name: "an account root", principal: `{"AWS":"arn:aws:iam::111122223333:root"}`, public: false},
	{name: "a role", principal: `{"AWS":"arn:aws:iam::111122223333:role/r"}`, public: false},
	{name: "every service", principal: `{"Service":"*"}`, public: true},
	{name: "a service", principal: `{"Service":"lambda.amazonaws.com"}`, public: false},
	{name: "a canonical user", principal: `{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}`, public: false},
	{name: "org ID", principal: `"*"`, condition: `{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}`, public: false},
	{name: "org ID, wildcard", principal: `"*"`, condition: `{"StringLike":{"aws:PrincipalOrgID":"o-*"}}`, public: true},
	{name: "org ID, IfExists", principal: `"*"`, condition: `{"StringEqualsIfExists":{"aws:PrincipalOrgID":"o-abc123"}}`, public: true},
	{name: "org ID, ForAnyValue", principal: `"*"`, condition: `{"ForAnyValue:StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}`, public: false},
	{name: "org ID, ForAllValues", principal: `"*"`, condition: `{"ForAllValues:StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}`, public: true},
	{name: "org ID, negated", principal: `"*"`, condition: `{"StringNotEquals":{"aws:PrincipalOrgID":"o-abc123"}}`, public: true},
	{name: "org ID, policy variable", principal: `"*"`, condition: `{"StringEquals":{"aws:PrincipalOrgID":"${aws:PrincipalTag/org}"}}`, public: true},
	{name: "org ID, ignore case", principal: `"*"`, condition: `{"StringEqualsIgnoreCase":{"aws:PrincipalOrgID":"o-abc123"}}`, public: false},
	{name: "principal account", principal: `"*"`, condition: `{"StringEquals":{"aws:PrincipalAccount":["111122223333","444455556666"]}}`, public: false},
	{name: "principal ARN", principal: `"*"`, condition: `{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/r"}}`, public: false},
	{name: "principal ARN, wildcard", principal: `"*"`, condition: `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:user/*"}}`, public: true},
	{name: "principal ARN, StringLike fixed", principal: `"*"`, condition: `{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/r"}}`, public: false},
	{name: "source ARN", principal: `"*"`, condition: `{"ArnLike":{"aws:SourceArn":"arn:aws:cloudtrail:us-east-1:111122223333:trail/t"}}`, public: false},
	{name: "source account", principal: `"*"`, condition: `{"StringEquals":{"aws:SourceAccount":"111122223333"}}`, public: false},
	{name: "source owner", principal: `"*"`, condition: `{"StringEquals":{"aws:SourceOwner":"111122223333"}}`, public: false},
	{name: "source VPC", principal: `"*"`, condition: `{"StringEquals":{"aws:SourceVpc":"vpc-91237329"}}`, public: false},
	{name: "source VPC, wildcard", principal: `"*"`, condition: `{"StringLike":{"aws:SourceVpc":"vpc-*"}}`, public: true},
	{name: "source VPC endpoint", principal: `"*"`, condition: `{"StringEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}`, public: false},
	{name: "source IP, private range", principal: `"*"`, condition: `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, public: false},
	{name: "source IP, one address", principal: `"*"`, condition: `{"IpAddress":{"aws:SourceIp":"192.168.1.1/32"}}`, public: false},
	{name: "source IP, public range", principal: `"*"`, condition: `{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]}}`, public: false},
	{name: "source IP, every address", principal: `"*"`, condition: `{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}`, public: true},
	{name: "source IP, one range of every address", principal: `"*"`, condition: `{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","::/0"]}}`, public: true},
	{name: "source IP, negated", principal: `"*"`, condition: `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, public: true},
	{name: "userid", principal: `"*"`, condition: `{"StringEquals":{"aws:userid":"AIDAEXAMPLEUSERID1234"}}`, public: false},
	{name: "userid, a role's sessions", principal: `"*"`, condition: `{"StringLike":{"aws:userid":"AROAEXAMPLEROLEID123:*"}}`, public: false},
	{name: "userid, other wildcard", principal: `"*"`, condition: `{"StringLike":{"aws:userid":"AROA*"}}`, public: true},
	{name: "access point ARN", principal: `"*"`, condition: `{"StringEquals":{"s3:DataAccessPointArn":"arn:aws:s3:us-east-1:111122223333:accesspoint/ap"}}`, public: false},
	{name: "access point ARN, any name", principal: `"*"`, condition: `{"StringLike":{"s3:DataAccessPointArn":"arn:aws:s3:us-east-1:111122223333:accesspoint/*"}}`, public: false},
	{name: "access point ARN, any account", principal: `"*"`, condition: `{"StringLike":{"s3:DataAccessPointArn":"arn:aws:s3:us-east-1:*:accesspoint/*"}}`, public: true},
	{name: "access point account", principal: `"*"`, condition: `{"StringEquals":{"s3:DataAccessPointAccount":"111122223333"}}`, public: false},
	{name: "a key S3 does not count", principal: `"*"`, condition: `{"Bool":{"aws:SecureTransport":"true"}}`, public: true},
	{name: "a key S3 does not count, beside one it does", principal: `"*"`, condition: `{"Bool":{"aws:SecureTransport":"true"},"StringEquals":{"aws:SourceAccount":"111122223333"}}`, public: false},
	{name: "Null on a counted key", principal: `"*"`, condition: `{"Null":{"aws:PrincipalOrgID":"false"}}`, public: true},
}

type publicForm struct {
	name      string
	principal string // the statement's Principal (or NotPrincipal) as JSON
	effect    string // "" is Allow
	notPrinc  bool
	condition string // the statement's Condition as JSON, "" for none
	public    bool
}

func (f *publicForm) statement() string {
	effect := f.effect
	if effect == "" {
		effect = "Allow"
	}
	princ := `"Principal":` + f.principal
	if f.notPrinc {
		princ = `"NotPrincipal":` + f.principal
	}
	st := `{"Effect":"` + effect + `",` + princ + `,"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"`
	if f.condition != "" {
		st += `,"Condition":` + f.condition
	}
	return st + "}"
}

func TestStatementIsPublic(t *testing.T) {
	t.Parallel()
	for i := range publicForms {
		f := &publicForms[i]
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			doc := `{"Version":"2012-10-17","Statement":[` + f.statement() + `]}`
			p, err := Parse([]byte(doc), Resource)
			if err != nil {
				t.Fatalf("parse %s: %v", doc, err)
			}
			if got := p.Statements[0].IsPublic(); got != f.public {
				t.Errorf("IsPublic(%s) = %v, want %v", f.statement(), got, f.public)
			}
			if got := p.IsPublic(); got != f.public {
				t.Errorf("Policy.IsPublic = %v, want %v", got, f.public)
			}
		})
	}
}

// TestPublicStatements: a policy is public when any one statement is, and
// names exactly those statements (the stack's own TLS deny and a grant to
// an account are not).
func TestPublicStatements(t *testing.T) {
	t.Parallel()
	p := MustParse(`{"Version":"2012-10-17","Statement":[
		{"Sid":"DenyInsecure","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}},
		{"Sid":"Partner","Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},
		{"Sid":"Anyone","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`, Resource)
	got := p.PublicStatements()
	if len(got) != 1 || got[0].Sid != "Anyone" {
		t.Fatalf("PublicStatements = %v, want only Anyone", got)
	}
	p.Statements = p.Statements[:2]
	if p.IsPublic() {
		t.Error("without Anyone the policy is still public")
	}
}

// TestPublicFormsDocumented holds the docs' table of public-policy forms to
// the cases above: the file is generated from them (go test -update).
func TestPublicFormsDocumented(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("# Public-policy forms\n\nGenerated from `internal/iampolicy/public_test.go` (`go test ./internal/iampolicy -update`): " +
		"each row is a test case of `Statement.IsPublic`. What the rules are: [block-public-access.md](block-public-access.md).\n\n")
	b.WriteString("| form | Principal | Condition | public |\n|---|---|---|---|\n")
	for _, f := range publicForms {
		princ := "`" + f.principal + "`"
		if f.notPrinc {
			princ = "NotPrincipal " + princ
		}
		if f.effect == "Deny" {
			princ += " (Deny)"
		}
		cond := "—"
		if f.condition != "" {
			cond = "`" + f.condition + "`"
		}
		pub := "no"
		if f.public {
			pub = "**yes**"
		}
		b.WriteString("| " + f.name + " | " + princ + " | " + cond + " | " + pub + " |\n")
	}
	golden(t, "../../docs/public-policy-forms.md", []byte(b.String()))
}
