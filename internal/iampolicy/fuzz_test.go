package iampolicy

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseCanonical checks that no document panics the parser, the
// canonicalizer, the differ or the evaluator, and that canonicalization is
// idempotent: the canonical form parses, and canonicalizing it again gives
// the same bytes and a policy Equal to the first.
func FuzzParseCanonical(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*", "*", "*.json"))
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err == nil {
			for k := Identity; k <= Session; k++ {
				f.Add(b, uint8(k))
			}
		}
	}
	f.Add([]byte(`{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotPrincipal":{"AWS":["111111111111","arn:aws:sts::111111111111:assumed-role/r/s"]},"NotAction":"s3:Get*","NotResource":"arn:aws:s3:::b/${aws:username, 'x'}/*","Condition":{"ForAnyValue:StringLikeIfExists":{"aws:TagKeys":["a*","${*}"]},"Null":{"k":true},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"DateLessThan":{"aws:CurrentTime":1700000000}}}}`), uint8(Resource))
	f.Add([]byte(`{"Statement":[{"Sid":"A","Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com","AWS":"*"},"Action":"sts:AssumeRole"}]}`), uint8(Trust))

	requests := []Request{
		{Principal: "arn:aws:sts::111111111111:assumed-role/r/s", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/alice/k", ResourceAccount: "222222222222",
			Context: map[string][]string{"aws:SourceIp": {"10.1.2.3"}, "aws:TagKeys": {"a", "b"}, "aws:username": {"alice"}}},
		{Principal: "arn:aws:iam::111111111111:user/alice", Action: "sts:AssumeRole", Resource: "arn:aws:iam::111111111111:role/r"},
		{Principal: "lambda.amazonaws.com", Action: "sts:AssumeRole", Resource: "arn:aws:iam::111111111111:role/r"},
		{Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"},
	}

	f.Fuzz(func(t *testing.T, doc []byte, k uint8) {
		kind := Kind(k%5) + Identity
		p, err := Parse(doc, kind)
		if err != nil {
			return
		}
		c1 := Canonical(p)
		p2, err := Parse(c1, kind)
		if err != nil {
			t.Fatalf("canonical form does not parse: %v\n%s", err, c1)
		}
		c2 := Canonical(p2)
		if !bytes.Equal(c1, c2) {
			t.Fatalf("canonicalize is not idempotent:\n%s\n%s", c1, c2)
		}
		if !Equal(p, p2) || !Compare(p, p2).Empty() {
			t.Fatalf("a policy differs from its canonical form:\n%s", c1)
		}
		_ = Compare(nil, p).String()
		for _, r := range requests {
			r := r
			np := &NamedPolicy{Name: "fuzz", Policy: p}
			switch kind {
			case Identity:
				r.IdentityPolicies = []NamedPolicy{*np}
			case Resource, Trust:
				r.ResourcePolicy = np
			case Boundary:
				r.PermissionsBoundary = np
			case Session:
				r.SessionPolicy = np
			}
			if _, err := Evaluate(&r); err != nil && kind != Identity && kind != Boundary && kind != Session {
				t.Fatalf("Evaluate: %v", err)
			}
		}
	})
}
