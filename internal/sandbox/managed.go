package sandbox

import (
	"slices"
	"strings"
	"time"
)

// awsManaged is one AWS-managed policy (arn:aws:iam::aws:policy/...): the
// document AWS publishes for its default version.
type awsManaged struct {
	Name        string
	Path        string // "/" or "/service-role/"
	Version     string // AWS's default version ID
	Description string
	Doc         string
	// Approx says the document is not AWS's byte for byte (see the README's
	// "Where the sandbox differs from AWS").
	Approx bool
}

func (m awsManaged) arn() string { return "arn:aws:iam::aws:policy" + m.Path + m.Name }

// awsManagedCreated is the creation date the sandbox reports for every
// AWS-managed policy (most were created on this day).
var awsManagedCreated = time.Date(2015, 2, 6, 18, 39, 46, 0, time.UTC)

// awsManagedPolicies are the AWS-managed policies people attach most, with
// the documents of the versions AWS publishes in its managed policy
// reference (docs.aws.amazon.com/aws-managed-policy/latest/reference/),
// except where a comment says otherwise.
var awsManagedPolicies = []awsManaged{
	{Name: "AdministratorAccess", Path: "/", Version: "v1",
		Description: "Provides full access to AWS services and resources.",
		Doc:         adminPolicy},
	{Name: "PowerUserAccess", Path: "/", Version: "v12",
		Description: "Provides full access to AWS services and resources, but does not allow management of Users and groups.",
		Doc: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"},` +
			`{"Effect":"Allow","Action":["account:GetAccountInformation","account:GetGovCloudAccountInformation","account:GetPrimaryEmail","account:ListRegions",` +
			`"iam:CreateServiceLinkedRole","iam:DeleteServiceLinkedRole","iam:ListRoles","organizations:DescribeEffectivePolicy","organizations:DescribeOrganization"],"Resource":"*"}]}`},
	{Name: "ReadOnlyAccess", Path: "/", Version: "v1", Approx: true,
		Description: "Provides read-only access to AWS services and resources.",
		Doc: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[` +
			`"iam:Generate*","iam:Get*","iam:List*","iam:Simulate*",` +
			`"lambda:Get*","lambda:List*",` +
			`"logs:Describe*","logs:FilterLogEvents","logs:Get*","logs:ListTagsLogGroup","logs:StartQuery","logs:StopQuery","logs:TestMetricFilter",` +
			`"s3:DescribeJob","s3:Get*","s3:List*",` +
			`"sts:GetAccessKeyInfo","sts:GetCallerIdentity","sts:GetSessionToken"],"Resource":"*"}]}`},
	{Name: "IAMFullAccess", Path: "/", Version: "v2",
		Description: "Provides full access to IAM via the AWS Management Console.",
		Doc: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:*","organizations:DescribeAccount","organizations:DescribeOrganization",` +
			`"organizations:DescribeOrganizationalUnit","organizations:DescribePolicy","organizations:ListChildren","organizations:ListParents",` +
			`"organizations:ListPoliciesForTarget","organizations:ListRoots","organizations:ListPolicies","organizations:ListTargetsForPolicy"],"Resource":"*"}]}`},
	{Name: "IAMReadOnlyAccess", Path: "/", Version: "v4",
		Description: "Provides read only access to IAM via the AWS Management Console.",
		Doc: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GenerateCredentialReport","iam:GenerateServiceLastAccessedDetails",` +
			`"iam:Get*","iam:List*","iam:SimulateCustomPolicy","iam:SimulatePrincipalPolicy"],"Resource":"*"}]}`},
	// Not checked against AWS's reference (README says so).
	{Name: "AmazonS3FullAccess", Path: "/", Version: "v2",
		Description: "Provides full access to all buckets via the AWS Management Console.",
		Doc:         `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","s3-object-lambda:*"],"Resource":"*"}]}`},
	{Name: "AmazonS3ReadOnlyAccess", Path: "/", Version: "v3",
		Description: "Provides read only access to all buckets via the AWS Management Console.",
		Doc:         `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*","s3:Describe*","s3-object-lambda:Get*","s3-object-lambda:List*"],"Resource":"*"}]}`},
	{Name: "AWSLambdaBasicExecutionRole", Path: "/service-role/", Version: "v1",
		Description: "Provides write permissions to CloudWatch Logs.",
		Doc:         `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogGroup","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}`},
	{Name: "AWSLambda_FullAccess", Path: "/", Version: "v2",
		Description: "Grants full access to AWS Lambda service, AWS Lambda console features, and other related AWS services.",
		Doc: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["cloudformation:DescribeStacks","cloudformation:ListStackResources",` +
			`"cloudwatch:ListMetrics","cloudwatch:GetMetricData","ec2:DescribeSecurityGroups","ec2:DescribeSubnets","ec2:DescribeVpcs","kms:ListAliases",` +
			`"iam:GetPolicy","iam:GetPolicyVersion","iam:GetRole","iam:GetRolePolicy","iam:ListAttachedRolePolicies","iam:ListRolePolicies","iam:ListRoles",` +
			`"lambda:*","logs:DescribeLogGroups","states:DescribeStateMachine","states:ListStateMachines","tag:GetResources","xray:GetTraceSummaries","xray:BatchGetTraces"],"Resource":"*"},` +
			`{"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"}}},` +
			`{"Effect":"Allow","Action":["logs:DescribeLogStreams","logs:GetLogEvents","logs:FilterLogEvents","logs:StartLiveTail","logs:StopLiveTail"],` +
			`"Resource":"arn:aws:logs:*:*:log-group:/aws/lambda/*"}]}`},
	// Not checked against AWS's reference (README says so).
	{Name: "CloudWatchLogsFullAccess", Path: "/", Version: "v2",
		Description: "Provides full access to CloudWatch Logs",
		Doc:         `{"Version":"2012-10-17","Statement":[{"Sid":"CloudWatchLogsFullAccess","Effect":"Allow","Action":["logs:*","cloudwatch:GenerateQuery"],"Resource":"*"}]}`},
}

// awsManagedByARN finds an AWS-managed policy by its ARN.
func awsManagedByARN(arn string) (awsManaged, bool) {
	if !strings.HasPrefix(arn, "arn:aws:iam::aws:policy/") {
		return awsManaged{}, false
	}
	i := slices.IndexFunc(awsManagedPolicies, func(m awsManaged) bool { return m.arn() == arn })
	if i < 0 {
		return awsManaged{}, false
	}
	return awsManagedPolicies[i], true
}

// isAWSManagedARN tells an AWS-managed policy ARN from a customer one.
func isAWSManagedARN(arn string) bool { return strings.HasPrefix(arn, "arn:aws:iam::aws:policy/") }

// awsManagedID is the policy ID of an AWS-managed policy: ANPA and 17
// characters derived from its name, the same in every account.
func awsManagedID(m awsManaged) string { return "ANPA" + idSuffix("aws-managed:"+m.Name) }
