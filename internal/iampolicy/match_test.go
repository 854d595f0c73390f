package iampolicy

import "testing"

func TestMatchAction(t *testing.T) {
	t.Parallel()
	// IAM User Guide, "IAM JSON policy elements: Action": action names are
	// case-insensitive and take * and ? wildcards.
	tests := []struct {
		pattern, action string
		want            bool
	}{
		{"s3:GetObject", "s3:GetObject", true},
		{"s3:getobject", "S3:GetObject", true},
		{"s3:Get*", "s3:GetObjectVersion", true},
		{"s3:*Object", "s3:PutObject", true},
		{"s3:*Object", "s3:PutObjectAcl", false},
		{"s3:Get?bject", "s3:GetObject", true},
		{"s3:Get?bject", "s3:GetOObject", false},
		{"*", "sts:AssumeRole", true},
		{"s3:*", "sts:AssumeRole", false},
		{"iam:*", "iam:PassRole", true},
		{"s3:GetObject", "s3:GetObjectAcl", false},
		{"s3:List*", "s3:ListBucket", true},
	}
	for _, tt := range tests {
		if got := matchAction(tt.pattern, tt.action); got != tt.want {
			t.Errorf("matchAction(%q, %q) = %v, want %v", tt.pattern, tt.action, got, tt.want)
		}
	}
}

func TestMatchARN(t *testing.T) {
	t.Parallel()
	// IAM User Guide, "IAM JSON policy elements: Resource": ARNs match
	// case-sensitively, * and ? work within a segment, and a trailing * in a
	// segment can reach past the colons.
	tests := []struct {
		pattern, arn string
		want         bool
	}{
		{"*", "arn:aws:s3:::b/k", true},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b/dir/k.txt", true},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b", false},
		{"arn:aws:s3:::b", "arn:aws:s3:::b/k", false},
		{"arn:aws:s3:::B/*", "arn:aws:s3:::b/k", false},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b/a:b:c", true},
		{"arn:aws:s3:::b?/*", "arn:aws:s3:::b1/k", true},
		{"arn:aws:s3:::b?/*", "arn:aws:s3:::b12/k", false},
		{"arn:aws:iam::*:role/dev", "arn:aws:iam::111111111111:role/dev", true},
		{"arn:aws:iam::*", "arn:aws:iam::111111111111:role/dev", true},
		{"arn:aws:iam::1*", "arn:aws:iam::111111111111:role/dev", true},
		{"arn:aws:iam::2*", "arn:aws:iam::111111111111:role/dev", false},
		{"arn:aws:*:*:*:*", "arn:aws:s3:::b", true},
		{"arn:*:s3:::b", "arn:aws:s3:::b", true},
		{"arn:aws:s3*:b", "arn:aws:s3:::b", false},
		{"arn:aws:s3:::b*", "arn:aws:s3:::bucket", true},
		{"arn:aws:lambda:us-east-1:222222222222:function:f", "arn:aws:lambda:us-east-1:222222222222:function:f", true},
		{"arn:aws:lambda:us-east-1:222222222222:function:f", "arn:aws:lambda:us-east-1:222222222222:function:f:1", false},
		{"arn:aws:lambda:*:222222222222:function:f*", "arn:aws:lambda:eu-west-1:222222222222:function:f:1", true},
	}
	for _, tt := range tests {
		if got := matchARN(tt.pattern, tt.arn, false); got != tt.want {
			t.Errorf("matchARN(%q, %q) = %v, want %v", tt.pattern, tt.arn, got, tt.want)
		}
	}
}

func TestGlobEscape(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{`a\*b`, "a*b", true},
		{`a\*b`, "axb", false},
		{`a\?b`, "a?b", true},
		{`a\\b`, `a\b`, true},
		{`home/\*/*`, "home/*/x", true},
		{`home/\*/*`, "home/alice/x", false},
	}
	for _, tt := range tests {
		if got := globMatch(tt.pattern, tt.s, false, true); got != tt.want {
			t.Errorf("globMatch(%q, %q, esc) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}
