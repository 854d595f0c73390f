package iampolicy

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	dev  = "111111111111"
	prod = "222222222222"
	rep  = "333333333333"

	alice        = "arn:aws:iam::111111111111:user/alice"
	aliceSession = "arn:aws:sts::222222222222:assumed-role/devrole/alice"
	devRole      = "arn:aws:iam::222222222222:role/devrole"
	bucketObj    = "arn:aws:s3:::acme-data-prod/a.txt"
)

func id(doc string) []NamedPolicy {
	return []NamedPolicy{{Name: "id", Policy: MustParse(doc, Identity)}}
}

func named(name string, kind Kind, doc string) *NamedPolicy {
	return &NamedPolicy{Name: name, Policy: MustParse(doc, kind)}
}

func bucketPolicy(doc string) *NamedPolicy { return named("bucket", Resource, doc) }
func trustPolicy(doc string) *NamedPolicy  { return named("trust", Trust, doc) }

// allowS3 is an identity policy allowing the actions on acme-data-prod.
func allowS3(actions string) []NamedPolicy {
	return id(`{"Version":"2012-10-17","Statement":{"Sid":"S3","Effect":"Allow","Action":` + actions + `,"Resource":["arn:aws:s3:::acme-data-prod","arn:aws:s3:::acme-data-prod/*"]}}`)
}

func bucketAllow(principal, actions string) *NamedPolicy {
	return bucketPolicy(`{"Version":"2012-10-17","Statement":{"Sid":"Grant","Effect":"Allow","Principal":` + principal + `,"Action":` + actions + `,"Resource":"arn:aws:s3:::acme-data-prod/*"}}`)
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	// Each case cites the IAM User Guide page (and where useful the rule or
	// example) it encodes:
	//   [single]  "Policy evaluation for requests within a single account"
	//   [cross]   "Cross-account policy evaluation logic"
	//   [deny]    "How AWS enforcement code logic evaluates requests to allow or deny access"
	//   [bound]   "Permissions boundaries for IAM entities"
	//   [session] "Session policies" (in "Policies and permissions in IAM")
	//   [princ]   "AWS JSON policy elements: Principal"
	//   [notp]    "AWS JSON policy elements: NotPrincipal"
	//   [nota]    "IAM JSON policy elements: NotAction"
	//   [notr]    "IAM JSON policy elements: NotResource"
	//   [trust]   "Access to AWS accounts owned by third parties" / "Grant a user permissions to switch roles"
	//   [vars]    "IAM policy elements: Variables and tags"
	//   [s3]      "How Amazon S3 authorizes a request" (bucket policies, anonymous access)
	//   [lambda]  "Using resource-based policies in Lambda" (service principals, confused deputy)
	tests := []struct {
		name        string
		req         Request
		want        Decision
		wantReasons []string // "policy/statement"; nil: not checked
	}{
		// ---- single account ----
		{
			name: "[single] identity allow, no resource policy",
			req:  Request{Principal: alice, Action: "s3:GetObject", Resource: bucketObj, IdentityPolicies: allowS3(`"s3:GetObject"`)},
			want: Allowed, wantReasons: []string{"id/S3"},
		},
		{
			name: "[deny] nothing allows: implicit deny",
			req:  Request{Principal: alice, Action: "s3:PutObject", Resource: bucketObj, IdentityPolicies: allowS3(`"s3:GetObject"`)},
			want: ImplicitDeny, wantReasons: []string{},
		},
		{
			name: "[deny] explicit deny in the identity policies overrides an allow",
			req: Request{Principal: alice, Action: "s3:GetObject", Resource: bucketObj, IdentityPolicies: id(`{"Version":"2012-10-17","Statement":[
				{"Sid":"All","Effect":"Allow","Action":"s3:*","Resource":"*"},
				{"Sid":"NoGet","Effect":"Deny","Action":"s3:GetObject","Resource":"*"}]}`)},
			want: ExplicitDeny, wantReasons: []string{"id/NoGet"},
		},
		{
			name: "[single] a resource policy naming the user allows without an identity policy",
			req:  Request{Principal: alice, Action: "s3:GetObject", Resource: bucketObj, ResourceAccount: dev, ResourcePolicy: bucketAllow(`{"AWS":"`+alice+`"}`, `"s3:GetObject"`)},
			want: Allowed, wantReasons: []string{"bucket/Grant"},
		},
		{
			name: "[princ] naming the account delegates: the identity policy must still allow",
			req:  Request{Principal: alice, Action: "s3:GetObject", Resource: bucketObj, ResourceAccount: dev, ResourcePolicy: bucketAllow(`{"AWS":"111111111111"}`, `"s3:GetObject"`)},
			want: ImplicitDeny,
		},
		{
			name: "[princ] account delegation with an identity allow",
			req: Request{Principal: alice, Action: "s3:GetObject", Resource: bucketObj, ResourceAccount: dev, IdentityPolicies: allowS3(`"s3:GetObject"`),
				ResourcePolicy: bucketAllow(`{"AWS":"arn:aws:iam::111111111111:root"}`, `"s3:GetObject"`)},
			want: Allowed,
		},
		{
			name: "[deny] a bucket policy deny beats an identity allow",
			req: Request{Principal: alice, Action: "s3:GetObject", Resource: bucketObj, ResourceAccount: dev, IdentityPolicies: allowS3(`"s3:*"`),
				ResourcePolicy: bucketPolicy(`{"Statement":{"Sid":"NoAlice","Effect":"Deny","Principal":{"AWS":"` + alice + `"},"Action":"s3:*","Resource":"arn:aws:s3:::acme-data-prod/*"}}`)},
			want: ExplicitDeny, wantReasons: []string{"bucket/NoAlice"},
		},
		{
			name: "[single] a resource policy deny for another principal does not apply",
			req: Request{Principal: alice, Action: "s3:GetObject", Resource: bucketObj, ResourceAccount: dev, IdentityPolicies: allowS3(`"s3:*"`),
				ResourcePolicy: bucketPolicy(`{"Statement":{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111111111111:user/bob"},"Action":"s3:*","Resource":"arn:aws:s3:::acme-data-prod/*"}}`)},
			want: Allowed,
		},
		{
			name: "[bound] identity allows, boundary does not: implicit deny",
			req: Request{Principal: alice, Action: "s3:PutObject", Resource: bucketObj, IdentityPolicies: allowS3(`"s3:*"`),
				PermissionsBoundary: named("boundary", Boundary, `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`)},
			want: ImplicitDeny,
		},
		{
			name: "[bound] identity and boundary both allow",
			req: Request{Principal: alice, Action: "s3:GetObject", Resource: bucketObj, IdentityPolicies: allowS3(`"s3:*"`),
				PermissionsBoundary: named("boundary", Boundary, `{"Statement":{"Sid":"B","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`)},
			want: Allowed, wantReasons: []string{"id/S3", "boundary/B"},
		},
		{
			name: "[bound] a boundary grants nothing by itself",
			req: Request{Principal: alice, Action: "s3:GetObject", Resource: bucketObj,
				PermissionsBoundary: named("boundary", Boundary, `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`)},
			want: ImplicitDeny,
		},
		{
			name: "[bound] an explicit deny in a boundary",
			req: Request{Principal: alice, Action: "s3:GetObject", Resource: bucketObj, IdentityPolicies: allowS3(`"s3:*"`),
				PermissionsBoundary: named("boundary", Boundary, `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"D","Effect":"Deny","Action":"s3:GetObject","Resource":"*"}]}`)},
			want: ExplicitDeny, wantReasons: []string{"boundary/D"},
		},
		{
			name: "[bound] a resource policy naming the user is not limited by the boundary",
			req: Request{Principal: alice, Action: "s3:GetObject", Resource: bucketObj, ResourceAccount: dev,
				ResourcePolicy:      bucketAllow(`{"AWS":"`+alice+`"}`, `"s3:GetObject"`),
				PermissionsBoundary: named("boundary", Boundary, `{"Statement":{"Effect":"Allow","Action":"ec2:*","Resource":"*"}}`)},
			want: Allowed,
		},
		{
			name: "[session] identity allows, session policy does not",
			req: Request{Principal: aliceSession, Action: "s3:PutObject", Resource: bucketObj, IdentityPolicies: allowS3(`"s3:*"`),
				SessionPolicy: named("session", Session, `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`)},
			want: ImplicitDeny,
		},
		{
			name: "[session] identity and session policy both allow",
			req: Request{Principal: aliceSession, Action: "s3:GetObject", Resource: bucketObj, IdentityPolicies: allowS3(`"s3:*"`),
				SessionPolicy: named("session", Session, `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`)},
			want: Allowed,
		},
		{
			name: "[session] a resource policy naming the role ARN is limited by the session policy",
			req: Request{Principal: aliceSession, Action: "s3:PutObject", Resource: bucketObj, ResourceAccount: prod,
				ResourcePolicy: bucketAllow(`{"AWS":"`+devRole+`"}`, `"s3:PutObject"`),
				SessionPolicy:  named("session", Session, `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`)},
			want: ImplicitDeny,
		},
		{
			name: "[single] a resource policy naming the role ARN allows its sessions without an identity policy",
			req: Request{Principal: aliceSession, Action: "s3:PutObject", Resource: bucketObj, ResourceAccount: prod,
				ResourcePolicy: bucketAllow(`{"AWS":"`+devRole+`"}`, `"s3:PutObject"`)},
			want: Allowed,
		},
		{
			name: "[session] a resource policy naming the session ARN is not limited by the session policy",
			req: Request{Principal: aliceSession, Action: "s3:PutObject", Resource: bucketObj, ResourceAccount: prod,
				ResourcePolicy: bucketAllow(`{"AWS":"`+aliceSession+`"}`, `"s3:PutObject"`),
				SessionPolicy:  named("session", Session, `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`)},
			want: Allowed,
		},
		{
			name: "[bound] a resource policy naming the role ARN is limited by the boundary",
			req: Request{Principal: aliceSession, Action: "s3:PutObject", Resource: bucketObj, ResourceAccount: prod,
				ResourcePolicy:      bucketAllow(`{"AWS":"`+devRole+`"}`, `"s3:PutObject"`),
				PermissionsBoundary: named("boundary", Boundary, `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`)},
			want: ImplicitDeny,
		},
		{
			name: "[bound] a same-account grant to the role ARN is limited by the boundary also when the caller is the role ARN",
			req: Request{Principal: devRole, Action: "s3:PutObject", Resource: bucketObj, ResourceAccount: prod,
				ResourcePolicy:      bucketAllow(`{"AWS":"`+devRole+`"}`, `"s3:PutObject"`),
				PermissionsBoundary: named("boundary", Boundary, `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`)},
			want: ImplicitDeny,
		},
		{
			name: "[bound] the role ARN's grant within its boundary is allowed",
			req: Request{Principal: devRole, Action: "s3:PutObject", Resource: bucketObj, ResourceAccount: prod,
				ResourcePolicy:      bucketAllow(`{"AWS":"`+devRole+`"}`, `"s3:PutObject"`),
				PermissionsBoundary: named("boundary", Boundary, `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`)},
			want: Allowed,
		},
		{
			name: "[princ] a role ARN with a path matches its sessions (session ARNs carry no path)",
			req: Request{Principal: aliceSession, Action: "s3:PutObject", Resource: bucketObj, ResourceAccount: prod,
				ResourcePolicy: bucketAllow(`{"AWS":"arn:aws:iam::222222222222:role/teams/devrole"}`, `"s3:PutObject"`)},
			want: Allowed,
		},
		{
			name: "[princ] another role's ARN does not match",
			req: Request{Principal: aliceSession, Action: "s3:PutObject", Resource: bucketObj, ResourceAccount: prod,
				ResourcePolicy: bucketAllow(`{"AWS":"arn:aws:iam::222222222222:role/testrole"}`, `"s3:PutObject"`)},
			want: ImplicitDeny,
		},
		{
			name: "[single] the account root user needs no identity policy",
			req:  Request{Principal: "arn:aws:iam::111111111111:root", Action: "s3:DeleteBucket", Resource: "arn:aws:s3:::acme-data-prod", ResourceAccount: dev},
			want: Allowed,
		},
		{
			name: "[deny] the account root user is still bound by an explicit deny in a bucket policy",
			req: Request{Principal: "111111111111", Action: "s3:GetObject", Resource: bucketObj, ResourceAccount: dev,
				ResourcePolicy: bucketPolicy(`{"Statement":{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::acme-data-prod/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}}`),
				Context:        map[string][]string{"aws:SecureTransport": {"false"}}},
			want: ExplicitDeny,
		},

		// ---- cross account ----
		{
			name: "[cross] identity policy and bucket policy both allow",
			req: Request{Principal: aliceSession, Action: "s3:GetObject", Resource: bucketObj, ResourceAccount: rep, IdentityPolicies: allowS3(`"s3:GetObject"`),
				ResourcePolicy: bucketAllow(`{"AWS":"`+devRole+`"}`, `"s3:GetObject"`)},
			want: Allowed, wantReasons: []string{"id/S3", "bucket/Grant"},
		},
		{
			name: "[cross] identity allow without a resource policy",
			req:  Request{Principal: aliceSession, Action: "s3:PutObject", Resource: bucketObj, ResourceAccount: rep, IdentityPolicies: allowS3(`"s3:PutObject"`)},
			want: ImplicitDeny,
		},
		{
			name: "[cross] identity allow, the bucket policy allows another account",
			req: Request{Principal: aliceSession, Action: "s3:PutObject", Resource: bucketObj, ResourceAccount: rep, IdentityPolicies: allowS3(`"s3:PutObject"`),
				ResourcePolicy: bucketAllow(`{"AWS":"444444444444"}`, `"s3:PutObject"`)},
			want: ImplicitDeny,
		},
		{
			name: "[cross] bucket policy allows, no identity policy",
			req: Request{Principal: aliceSession, Action: "s3:PutObject", Resource: bucketObj, ResourceAccount: rep,
				ResourcePolicy: bucketAllow(`{"AWS":"`+aliceSession+`"}`, `"s3:PutObject"`)},
			want: ImplicitDeny,
		},
		{
			name: "[cross] the bucket policy delegates to the caller's account",
			req: Request{Principal: alice, Action: "s3:GetObject", Resource: bucketObj, ResourceAccount: prod, IdentityPolicies: allowS3(`"s3:GetObject"`),
				ResourcePolicy: bucketAllow(`{"AWS":"111111111111"}`, `"s3:GetObject"`)},
			want: Allowed,
		},
		{
			name: "[cross] Principal \"*\" with an identity allow",
			req:  Request{Principal: alice, Action: "s3:GetObject", Resource: bucketObj, ResourceAccount: prod, IdentityPolicies: allowS3(`"s3:GetObject"`), ResourcePolicy: bucketAllow(`"*"`, `"s3:GetObject"`)},
			want: Allowed,
		},
		{
			name: "[cross] Principal \"*\" does not stand in for the caller's identity policy",
			req:  Request{Principal: alice, Action: "s3:GetObject", Resource: bucketObj, ResourceAccount: prod, ResourcePolicy: bucketAllow(`{"AWS":"*"}`, `"s3:GetObject"`)},
			want: ImplicitDeny,
		},
		{
			name: "[cross] a TLS-only bucket denies a plain-HTTP request",
			req: Request{Principal: aliceSession, Action: "s3:GetObject", Resource: bucketObj, ResourceAccount: rep, IdentityPolicies: allowS3(`"s3:GetObject"`),
				Context: map[string][]string{"aws:SecureTransport": {"false"}},
				ResourcePolicy: bucketPolicy(`{"Version":"2012-10-17","Statement":[
					{"Sid":"Grant","Effect":"Allow","Principal":{"AWS":"` + devRole + `"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-data-prod/*"},
					{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::acme-data-prod","arn:aws:s3:::acme-data-prod/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`)},
			want: ExplicitDeny, wantReasons: []string{"bucket/DenyInsecureTransport"},
		},
		{
			name: "[cross] the boundary limits a cross-account grant",
			req: Request{Principal: alice, Action: "s3:PutObject", Resource: bucketObj, ResourceAccount: prod, IdentityPolicies: allowS3(`"s3:PutObject"`),
				ResourcePolicy:      bucketAllow(`{"AWS":"`+alice+`"}`, `"s3:PutObject"`),
				PermissionsBoundary: named("boundary", Boundary, `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`)},
			want: ImplicitDeny,
		},
		{
			name: "[cross] the resource account comes from the ARN when it has one",
			req: Request{Principal: alice, Action: "lambda:InvokeFunction", Resource: "arn:aws:lambda:us-east-1:222222222222:function:f",
				IdentityPolicies: id(`{"Statement":{"Effect":"Allow","Action":"lambda:InvokeFunction","Resource":"*"}}`)},
			want: ImplicitDeny,
		},

		// ---- role trust policies ----
		{
			name: "[trust] same account: a trust policy naming the user needs no identity policy",
			req: Request{Principal: "arn:aws:iam::222222222222:user/ops", Action: "sts:AssumeRole", Resource: devRole,
				ResourcePolicy: trustPolicy(`{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:user/ops"},"Action":"sts:AssumeRole"}}`)},
			want: Allowed,
		},
		{
			name: "[trust] same account: a trust policy naming the account needs an identity allow",
			req: Request{Principal: "arn:aws:iam::222222222222:user/ops", Action: "sts:AssumeRole", Resource: devRole,
				ResourcePolicy: trustPolicy(`{"Statement":{"Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"sts:AssumeRole"}}`)},
			want: ImplicitDeny,
		},
		{
			name: "[trust] same account: the trust policy must allow even when the identity policy does",
			req: Request{Principal: "arn:aws:iam::222222222222:user/ops", Action: "sts:AssumeRole", Resource: devRole,
				IdentityPolicies: id(`{"Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}}`),
				ResourcePolicy:   trustPolicy(`{"Statement":{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}}`)},
			want: ImplicitDeny,
		},
		{
			name: "[trust] cross account: group policy allows and trust names the account with aws:PrincipalArn",
			req: Request{Principal: alice, Action: "sts:AssumeRole", Resource: devRole,
				IdentityPolicies: id(`{"Statement":{"Sid":"AssumeDev","Effect":"Allow","Action":"sts:AssumeRole","Resource":"` + devRole + `"}}`),
				ResourcePolicy: trustPolicy(`{"Version":"2012-10-17","Statement":{"Sid":"Dev","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole",
					"Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111111111111:user/*"}}}}`)},
			want: Allowed, wantReasons: []string{"id/AssumeDev", "trust/Dev"},
		},
		{
			name: "[trust] cross account: without the group policy",
			req: Request{Principal: alice, Action: "sts:AssumeRole", Resource: devRole,
				ResourcePolicy: trustPolicy(`{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}}`)},
			want: ImplicitDeny,
		},
		{
			name: "[trust] cross account: the trust names another account",
			req: Request{Principal: alice, Action: "sts:AssumeRole", Resource: devRole,
				IdentityPolicies: id(`{"Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}}`),
				ResourcePolicy:   trustPolicy(`{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444444444444:root"},"Action":"sts:AssumeRole"}}`)},
			want: ImplicitDeny,
		},
		{
			name: "[trust] aws:PrincipalArn excludes roles of the trusted account",
			req: Request{Principal: "arn:aws:sts::111111111111:assumed-role/ci/job", Action: "sts:AssumeRole", Resource: devRole,
				IdentityPolicies: id(`{"Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}}`),
				ResourcePolicy: trustPolicy(`{"Statement":{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole",
					"Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111111111111:user/*"}}}}`)},
			want: ImplicitDeny,
		},
		{
			name: "[trust] MFA required, not present",
			req: Request{Principal: alice, Action: "sts:AssumeRole", Resource: devRole,
				IdentityPolicies: id(`{"Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}}`),
				ResourcePolicy:   trustPolicy(`{"Statement":{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}}`)},
			want: ImplicitDeny,
		},
		{
			name: "[trust] MFA required and present",
			req: Request{Principal: alice, Action: "sts:AssumeRole", Resource: devRole, Context: map[string][]string{"aws:MultiFactorAuthPresent": {"true"}},
				IdentityPolicies: id(`{"Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}}`),
				ResourcePolicy:   trustPolicy(`{"Statement":{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}}`)},
			want: Allowed,
		},
		{
			name: "[trust] sts:ExternalId must match",
			req: Request{Principal: alice, Action: "sts:AssumeRole", Resource: devRole, Context: map[string][]string{"sts:ExternalId": {"wrong"}},
				IdentityPolicies: id(`{"Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}}`),
				ResourcePolicy:   trustPolicy(`{"Statement":{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"Unique-1"}}}}`)},
			want: ImplicitDeny,
		},
		{
			name: "[lambda] the Lambda service assumes an execution role that trusts it",
			req: Request{Principal: "lambda.amazonaws.com", Action: "sts:AssumeRole", Resource: "arn:aws:iam::222222222222:role/exec",
				Context:        map[string][]string{"aws:SourceAccount": {prod}},
				ResourcePolicy: trustPolicy(`{"Statement":{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"222222222222"}}}}`)},
			want: Allowed,
		},
		{
			name: "[lambda] another service is not trusted",
			req: Request{Principal: "ec2.amazonaws.com", Action: "sts:AssumeRole", Resource: "arn:aws:iam::222222222222:role/exec",
				ResourcePolicy: trustPolicy(`{"Statement":{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}}`)},
			want: ImplicitDeny,
		},
		{
			name: "[lambda] S3 may invoke a function whose policy names the bucket and account",
			req: Request{Principal: "s3.amazonaws.com", Action: "lambda:InvokeFunction", Resource: "arn:aws:lambda:us-east-1:222222222222:function:proc",
				Context: map[string][]string{"AWS:SourceArn": {"arn:aws:s3:::acme-data-prod"}, "AWS:SourceAccount": {prod}},
				ResourcePolicy: named("function policy", Resource, `{"Version":"2012-10-17","Id":"default","Statement":[{"Sid":"s3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:222222222222:function:proc",
					"Condition":{"StringEquals":{"AWS:SourceAccount":"222222222222"},"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::acme-data-prod"}}}]}`)},
			want: Allowed, wantReasons: []string{"function policy/s3"},
		},
		{
			name: "[lambda] S3 acting for another account's bucket is refused (confused deputy)",
			req: Request{Principal: "s3.amazonaws.com", Action: "lambda:InvokeFunction", Resource: "arn:aws:lambda:us-east-1:222222222222:function:proc",
				Context: map[string][]string{"AWS:SourceArn": {"arn:aws:s3:::acme-data-prod"}, "AWS:SourceAccount": {"444444444444"}},
				ResourcePolicy: named("function policy", Resource, `{"Statement":[{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"*",
					"Condition":{"StringEquals":{"AWS:SourceAccount":"222222222222"},"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::acme-data-prod"}}}]}`)},
			want: ImplicitDeny,
		},

		// ---- NotPrincipal ----
		{
			name: "[notp] Deny with NotPrincipal listing the user and its account leaves the user out",
			req: Request{Principal: alice, Action: "s3:GetObject", Resource: bucketObj, ResourceAccount: prod, IdentityPolicies: allowS3(`"s3:GetObject"`),
				ResourcePolicy: bucketPolicy(`{"Statement":[
					{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-data-prod/*"},
					{"Effect":"Deny","NotPrincipal":{"AWS":["` + alice + `","arn:aws:iam::111111111111:root"]},"Action":"s3:*","Resource":"arn:aws:s3:::acme-data-prod/*"}]}`)},
			want: Allowed,
		},
		{
			name: "[notp] NotPrincipal naming the user but not its account denies the user too",
			req: Request{Principal: alice, Action: "s3:GetObject", Resource: bucketObj, ResourceAccount: prod, IdentityPolicies: allowS3(`"s3:GetObject"`),
				ResourcePolicy: bucketPolicy(`{"Statement":[
					{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-data-prod/*"},
					{"Sid":"OnlyAlice","Effect":"Deny","NotPrincipal":{"AWS":"` + alice + `"},"Action":"s3:*","Resource":"arn:aws:s3:::acme-data-prod/*"}]}`)},
			want: ExplicitDeny, wantReasons: []string{"bucket/OnlyAlice"},
		},
		{
			name: "[notp][bound] a Deny with NotPrincipal denies a caller with a permissions boundary even when it is listed",
			req: Request{Principal: alice, Action: "s3:GetObject", Resource: bucketObj, ResourceAccount: prod, IdentityPolicies: allowS3(`"s3:GetObject"`),
				PermissionsBoundary: named("boundary", Boundary, `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`),
				ResourcePolicy: bucketPolicy(`{"Statement":[
					{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-data-prod/*"},
					{"Sid":"AllButAlice","Effect":"Deny","NotPrincipal":{"AWS":["` + alice + `","arn:aws:iam::111111111111:root"]},"Action":"s3:*","Resource":"arn:aws:s3:::acme-data-prod/*"}]}`)},
			want: ExplicitDeny, wantReasons: []string{"bucket/AllButAlice"},
		},
		{
			name: "[notp] a session is left out when its session, role and account are listed",
			req: Request{Principal: aliceSession, Action: "s3:GetObject", Resource: bucketObj, ResourceAccount: prod, IdentityPolicies: allowS3(`"s3:GetObject"`),
				ResourcePolicy: bucketPolicy(`{"Statement":[
					{"Effect":"Deny","NotPrincipal":{"AWS":["` + aliceSession + `","` + devRole + `","arn:aws:iam::222222222222:root"]},"Action":"s3:*","Resource":"arn:aws:s3:::acme-data-prod/*"}]}`)},
			want: Allowed,
		},
		{
			name: "[notp] another session of the same role is denied",
			req: Request{Principal: "arn:aws:sts::222222222222:assumed-role/devrole/mallory", Action: "s3:GetObject", Resource: bucketObj, ResourceAccount: prod, IdentityPolicies: allowS3(`"s3:GetObject"`),
				ResourcePolicy: bucketPolicy(`{"Statement":[
					{"Effect":"Deny","NotPrincipal":{"AWS":["` + aliceSession + `","` + devRole + `","arn:aws:iam::222222222222:root"]},"Action":"s3:*","Resource":"arn:aws:s3:::acme-data-prod/*"}]}`)},
			want: ExplicitDeny,
		},

		// ---- NotAction / NotResource ----
		{
			name: "[nota] Allow with NotAction allows everything else",
			req:  Request{Principal: alice, Action: "s3:GetObject", Resource: bucketObj, IdentityPolicies: id(`{"Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}`)},
			want: Allowed,
		},
		{
			name: "[nota] Allow with NotAction does not allow the listed actions",
			req:  Request{Principal: alice, Action: "iam:CreateUser", Resource: "arn:aws:iam::111111111111:user/x", IdentityPolicies: id(`{"Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}`)},
			want: ImplicitDeny,
		},
		{
			name: "[nota] Deny with NotAction denies every other action",
			req: Request{Principal: alice, Action: "s3:DeleteObject", Resource: bucketObj, IdentityPolicies: id(`{"Statement":[
				{"Effect":"Allow","Action":"*","Resource":"*"},
				{"Sid":"ReadOnly","Effect":"Deny","NotAction":["s3:Get*","s3:List*"],"Resource":"*"}]}`)},
			want: ExplicitDeny, wantReasons: []string{"id/ReadOnly"},
		},
		{
			name: "[notr] Allow with NotResource",
			req:  Request{Principal: alice, Action: "s3:GetObject", Resource: bucketObj, IdentityPolicies: id(`{"Statement":{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::acme-data-prod/secret/*"}}`)},
			want: Allowed,
		},
		{
			name: "[notr] NotResource excludes the listed resources",
			req:  Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::acme-data-prod/secret/k", IdentityPolicies: id(`{"Statement":{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::acme-data-prod/secret/*"}}`)},
			want: ImplicitDeny,
		},
		{
			name: "[nota] action names are case-insensitive",
			req:  Request{Principal: alice, Action: "S3:getobject", Resource: bucketObj, IdentityPolicies: allowS3(`"s3:GetObject"`)},
			want: Allowed,
		},
		{
			name: "[notr] resource ARNs are case-sensitive",
			req:  Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::ACME-data-prod/a.txt", IdentityPolicies: allowS3(`"s3:GetObject"`)},
			want: ImplicitDeny,
		},

		// ---- anonymous callers ----
		{
			name: "[s3] anonymous read of a public object",
			req:  Request{Principal: "*", Action: "s3:GetObject", Resource: bucketObj, ResourceAccount: prod, ResourcePolicy: bucketAllow(`"*"`, `"s3:GetObject"`)},
			want: Allowed,
		},
		{
			name: "[s3] anonymous caller and a bucket policy for an account",
			req:  Request{Principal: "*", Action: "s3:GetObject", Resource: bucketObj, ResourceAccount: prod, ResourcePolicy: bucketAllow(`{"AWS":"222222222222"}`, `"s3:GetObject"`)},
			want: ImplicitDeny,
		},
		{
			name: "[s3] anonymous caller and no bucket policy",
			req:  Request{Principal: "*", Action: "s3:GetObject", Resource: bucketObj, ResourceAccount: prod},
			want: ImplicitDeny,
		},

		// ---- policy variables ----
		{
			name: "[vars] ${aws:username} in Resource, own prefix",
			req: Request{Principal: alice, Action: "s3:PutObject", Resource: "arn:aws:s3:::acme-data-prod/home/alice/x",
				IdentityPolicies: id(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::acme-data-prod/home/${aws:username}/*"}}`)},
			want: Allowed,
		},
		{
			name: "[vars] ${aws:username} in Resource, another user's prefix",
			req: Request{Principal: alice, Action: "s3:PutObject", Resource: "arn:aws:s3:::acme-data-prod/home/bob/x",
				IdentityPolicies: id(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::acme-data-prod/home/${aws:username}/*"}}`)},
			want: ImplicitDeny,
		},
		{
			name: "[vars] no substitution without Version 2012-10-17",
			req: Request{Principal: alice, Action: "s3:PutObject", Resource: "arn:aws:s3:::acme-data-prod/home/alice/x",
				IdentityPolicies: id(`{"Statement":{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::acme-data-prod/home/${aws:username}/*"}}`)},
			want: ImplicitDeny,
		},
		{
			name: "[vars] ${aws:PrincipalAccount} comes from the principal",
			req: Request{Principal: aliceSession, Action: "s3:GetObject", Resource: "arn:aws:s3:::data-222222222222/k",
				IdentityPolicies: id(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::data-${aws:PrincipalAccount}/*"}}`)},
			want: Allowed,
		},
		{
			name: "[vars] a role session has no aws:username",
			req: Request{Principal: aliceSession, Action: "s3:GetObject", Resource: "arn:aws:s3:::acme-data-prod/home/alice/x",
				IdentityPolicies: id(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-data-prod/home/${aws:username}/*"}}`)},
			want: ImplicitDeny,
		},
		{
			name: "[single] aws:PrincipalArn of a session is its role",
			req: Request{Principal: aliceSession, Action: "s3:GetObject", Resource: bucketObj,
				IdentityPolicies: id(`{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"ArnEquals":{"aws:PrincipalArn":"` + devRole + `"}}}}`)},
			want: Allowed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Evaluate(&tt.req)
			if err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
			if got.Decision != tt.want {
				t.Fatalf("decision = %s, want %s (detail: %s, reasons: %v)", got.Decision, tt.want, got.Detail, got.Reasons)
			}
			if got.Decision == ImplicitDeny && got.Detail == "" {
				t.Errorf("an implicit deny has no detail")
			}
			if tt.wantReasons != nil {
				var rs []string
				for _, r := range got.Reasons {
					rs = append(rs, r.Policy+"/"+r.Statement)
				}
				if diff := cmp.Diff(tt.wantReasons, rs, cmpEmptyNil()); diff != "" {
					t.Errorf("reasons (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func cmpEmptyNil() cmp.Option {
	return cmp.FilterValues(func(x, y []string) bool { return len(x) == 0 && len(y) == 0 }, cmp.Ignore())
}

func TestEvaluateRejectsMalformedRequests(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		req  Request
		want string
	}{
		{"empty principal", Request{Action: "s3:GetObject", Resource: bucketObj}, "principal is empty"},
		{"principal not an ARN", Request{Principal: "alice", Action: "s3:GetObject", Resource: bucketObj}, "is not an account ID or a user, role"},
		{"principal account disagrees", Request{Principal: alice, PrincipalAccount: prod, Action: "s3:GetObject", Resource: bucketObj}, "does not match the account 111111111111"},
		{"action without service", Request{Principal: alice, Action: "GetObject", Resource: bucketObj}, "is not service:action"},
		{"no resource", Request{Principal: alice, Action: "s3:GetObject"}, "resource is empty"},
		{"identity policies for a service", Request{Principal: "s3.amazonaws.com", Action: "s3:GetObject", Resource: bucketObj, IdentityPolicies: allowS3(`"s3:*"`)}, "is not an IAM identity"},
		{"a trust policy as identity policy", Request{Principal: alice, Action: "s3:GetObject", Resource: bucketObj,
			IdentityPolicies: []NamedPolicy{{Name: "t", Policy: MustParse(`{"Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}}`, Trust)}}}, `identity policy "t" is a trust policy`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Evaluate(&tt.req)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestEvaluatePossible: with Possible, a condition on a key the request
// does not give holds in an Allow (named in Assumed) and fails in a Deny;
// a key the request gives is decided as always; an anonymous caller never
// carries a key that describes a principal.
func TestEvaluatePossible(t *testing.T) {
	t.Parallel()
	ip := `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`
	bucket := func(effect, cond string) *NamedPolicy {
		return &NamedPolicy{Name: "bucket policy", Policy: MustParse(`{"Version":"2012-10-17","Statement":[`+
			`{"Sid":"Read","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":`+cond+`}`+
			effect+`]}`, Resource)}
	}
	tests := []struct {
		name        string
		rp          *NamedPolicy
		principal   string
		context     map[string][]string
		possible    bool
		want        Decision
		wantAssumed []string
	}{
		{"unknown key, not possible", bucket("", ip), "*", nil, false, ImplicitDeny, nil},
		{"unknown key, possible", bucket("", ip), "*", nil, true, Allowed, []string{"aws:SourceIp"}},
		{"known key decides", bucket("", ip), "*", map[string][]string{"aws:SourceIp": {"192.0.2.1"}}, true, ImplicitDeny, nil},
		{"a deny on an unknown key may be escaped", bucket(`,{"Sid":"Fence","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}`, ip), "*", nil, true, Allowed, []string{"aws:SourceIp"}},
		{"anonymous has no principal account", bucket("", `{"StringEquals":{"aws:PrincipalAccount":"111111111111"}}`), "*", nil, true, ImplicitDeny, nil},
		{"an outside caller may be in the organization", bucket("", `{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}`), "arn:aws:iam::444444444444:user/u", nil, true, Allowed, []string{"aws:PrincipalOrgID"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := &Request{Principal: tt.principal, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", ResourceAccount: "222222222222",
				Context: tt.context, ResourcePolicy: tt.rp, Possible: tt.possible}
			if tt.principal != "*" {
				req.IdentityPolicies = []NamedPolicy{{Name: "admin", Policy: MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, Identity)}}
			}
			res, err := Evaluate(req)
			if err != nil {
				t.Fatal(err)
			}
			if res.Decision != tt.want {
				t.Fatalf("decision = %s (%+v), want %s", res.Decision, res, tt.want)
			}
			var assumed []string
			for _, r := range res.Reasons {
				assumed = append(assumed, r.Assumed...)
			}
			if strings.Join(assumed, ",") != strings.Join(tt.wantAssumed, ",") {
				t.Errorf("assumed = %v, want %v", assumed, tt.wantAssumed)
			}
		})
	}
}

func TestMayAllow(t *testing.T) {
	t.Parallel()
	ps := func(docs ...string) []NamedPolicy {
		var out []NamedPolicy
		for _, d := range docs {
			out = append(out, NamedPolicy{Name: "p", Policy: MustParse(d, Identity)})
		}
		return out
	}
	tests := []struct {
		name   string
		pols   []NamedPolicy
		action string
		want   bool
	}{
		{"no policy", nil, "iam:CreateAccessKey", false},
		{"a wildcard action", ps(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:Create*","Resource":"arn:aws:iam::1:user/x"}]}`), "iam:CreateAccessKey", true},
		{"another action", ps(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`), "iam:CreateAccessKey", false},
		{"NotAction that leaves it", ps(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"s3:*","Resource":"*"}]}`), "iam:CreateAccessKey", true},
		{"NotAction that takes it", ps(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}`), "iam:CreateAccessKey", false},
		{"only a deny", ps(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`), "iam:CreateAccessKey", false},
		{"a condition does not matter", ps(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:CreateAccessKey","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`), "iam:CreateAccessKey", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := MayAllow(tt.pols, tt.action); got != tt.want {
				t.Errorf("MayAllow = %v, want %v", got, tt.want)
			}
		})
	}
}
