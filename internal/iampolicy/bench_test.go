package iampolicy

import (
	"fmt"
	"strings"
	"testing"
)

// benchRequest is one cross-account S3 request against 5 identity policies
// and a bucket policy of 20 statements each, shaped like real ones: most
// statements are for other services, buckets or prefixes, some carry
// conditions, and the allow that decides sits near the end.
func benchRequest(b *testing.B) *Request {
	b.Helper()
	actions := []string{`"ec2:Describe*"`, `["s3:PutObject","s3:PutObjectTagging"]`, `"dynamodb:GetItem"`, `["s3:List*","s3:GetBucketLocation"]`, `"logs:PutLogEvents"`}
	var ids []NamedPolicy
	for p := 0; p < 5; p++ {
		var st []string
		for s := 0; s < 20; s++ {
			cond := ""
			if s%4 == 0 {
				cond = `,"Condition":{"StringEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]},"Bool":{"aws:SecureTransport":"true"}}`
			}
			st = append(st, fmt.Sprintf(`{"Sid":"P%dS%d","Effect":"Allow","Action":%s,"Resource":["arn:aws:s3:::bucket-%d-%d/*","arn:aws:s3:::other-%d"]%s}`, p, s, actions[(p+s)%len(actions)], p, s, s, cond))
		}
		if p == 4 {
			st[19] = `{"Sid":"ReadProd","Effect":"Allow","Action":["s3:GetObject","s3:GetObjectVersion"],"Resource":"arn:aws:s3:::acme-data-prod/*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}`
		}
		doc := `{"Version":"2012-10-17","Statement":[` + strings.Join(st, ",") + `]}`
		ids = append(ids, NamedPolicy{Name: fmt.Sprintf("policy-%d", p), Policy: MustParse(doc, Identity)})
	}
	var bst []string
	for s := 0; s < 19; s++ {
		bst = append(bst, fmt.Sprintf(`{"Sid":"B%d","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%012d:role/r%d"},"Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::acme-data-prod/team-%d/*"}`, s, 444444444444+s, s, s))
	}
	bst[0] = `{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::acme-data-prod","arn:aws:s3:::acme-data-prod/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}`
	bst = append(bst, `{"Sid":"Developers","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:role/acme-data-developers"},"Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::acme-data-prod/*"}`)
	bucket := MustParse(`{"Version":"2012-10-17","Statement":[`+strings.Join(bst, ",")+`]}`, Resource)
	return &Request{
		Principal:        "arn:aws:sts::222222222222:assumed-role/acme-data-developers/alice",
		Action:           "s3:GetObject",
		Resource:         "arn:aws:s3:::acme-data-prod/reports/q1.csv",
		ResourceAccount:  "333333333333",
		Context:          map[string][]string{"aws:SecureTransport": {"true"}, "aws:RequestedRegion": {"us-east-1"}, "aws:SourceIp": {"10.0.0.1"}},
		IdentityPolicies: ids,
		ResourcePolicy:   &NamedPolicy{Name: "bucket", Policy: bucket},
	}
}

func BenchmarkEvaluate(b *testing.B) {
	req := benchRequest(b)
	res, err := Evaluate(req)
	if err != nil || res.Decision != Allowed {
		b.Fatalf("benchmark request: %v %+v", err, res)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Evaluate(req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	req := benchRequest(b)
	doc := Canonical(req.ResourcePolicy.Policy)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(doc, Resource); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCanonical(b *testing.B) {
	p := benchRequest(b).ResourcePolicy.Policy
	b.ReportAllocs()
	for b.Loop() {
		_ = Canonical(p)
	}
}
