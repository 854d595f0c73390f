// Package resource owns the AWS resources xacct manages: one file per kind,
// each reading, creating, updating and deleting its resource through a
// narrow SDK interface, and describing it as a canonical JSON value so that
// the planner can compare desired and actual byte for byte.
package resource

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmw "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/xacct/xacct/internal/awserr"
	"github.com/xacct/xacct/internal/iampolicy"
)

// Address names a resource: account/kind/name, e.g.
// production/iam_role/acme-data-developers. A name may hold a slash
// (development/iam_group_policy/Developers/assume-role).
type Address struct {
	Account string // development, production or reporting
	Kind    string
	Name    string
}

func (a Address) String() string { return a.Account + "/" + a.Kind + "/" + a.Name }

// ParseAddress parses the String form.
func ParseAddress(s string) (Address, error) {
	parts := strings.SplitN(s, "/", 3)
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return Address{}, fmt.Errorf("%q is not a resource address (account/kind/name)", s)
	}
	return Address{Account: parts[0], Kind: parts[1], Name: parts[2]}, nil
}

// Value is a resource's canonical JSON: equal values are bytes.Equal; nil
// means absent.
type Value = json.RawMessage

// Resource is one desired resource.
type Resource struct {
	Addr      Address
	Desired   Value
	DependsOn []Address
}

// Package returns a Lambda package's bytes. It is called when a function
// is created or updated with the package, and fails when the bytes no
// longer have the CodeSha256 the plan was computed with.
type Package func() ([]byte, error)

// Clients are one account's SDK clients.
type Clients struct {
	AccountID string
	Region    string
	// Tags are set on what can only be tagged when it is created.
	Tags map[string]string
	// Packages are the Lambda packages this run may deploy, by CodeSha256.
	Packages map[string]Package
	IAM      IAMAPI
	S3       S3API
	Logs     LogsAPI
	Lambda   LambdaAPI
	// CloudTrail is the account's CloudTrail (the trail kind's calls; the
	// client also answers what the audit reads, such as ListPublicKeys).
	CloudTrail CloudTrailAPI
	// Snapshot, when set, answers the reads of the IAM kinds it serves
	// (a plan's; see IAMSnapshot).
	Snapshot *IAMSnapshot
}

// IAMAPI is every IAM operation the kinds call; *iam.Client satisfies it
// and resourcetest.Fake does too.
type IAMAPI interface {
	snapshotAPI
	partsAPI
	groupAPI
	groupPolicyAPI
	membershipAPI
	roleAPI
	rolePolicyAPI
}

// S3API is every S3 operation the kinds call.
type S3API interface {
	bucketAPI
	bucketPolicyAPI
	notificationAPI
}

// LogsAPI is every CloudWatch Logs operation the kinds call.
type LogsAPI interface{ logGroupAPI }

// CloudTrailAPI is every CloudTrail operation the kinds call.
type CloudTrailAPI interface{ trailAPI }

// LambdaAPI is every Lambda operation the kinds call.
type LambdaAPI interface {
	functionAPI
	invokeConfigAPI
	permissionAPI
	eventSourceMappingAPI
}

var (
	_ IAMAPI        = (*iam.Client)(nil)
	_ S3API         = (*s3.Client)(nil)
	_ LogsAPI       = (*cloudwatchlogs.Client)(nil)
	_ LambdaAPI     = (*lambda.Client)(nil)
	_ CloudTrailAPI = (*cloudtrail.Client)(nil)
)

// NewClients builds an account's clients from its (signed-in) SDK config.
// A custom endpoint (the local sandbox) is addressed path-style.
func NewClients(accountID string, cfg aws.Config) *Clients {
	return &Clients{
		AccountID:  accountID,
		Region:     cfg.Region,
		IAM:        iam.NewFromConfig(cfg),
		S3:         NewS3Client(cfg, ExpectOwner(accountID)),
		Logs:       cloudwatchlogs.NewFromConfig(cfg),
		Lambda:     lambda.NewFromConfig(cfg),
		CloudTrail: cloudtrail.NewFromConfig(cfg),
	}
}

// NewS3Client is an S3 client for an account's config, addressed
// path-style at a custom endpoint (the local sandbox).
func NewS3Client(cfg aws.Config, optFns ...func(*s3.Options)) *s3.Client {
	return s3.NewFromConfig(cfg, append([]func(*s3.Options){func(o *s3.Options) {
		o.UsePathStyle = cfg.BaseEndpoint != nil
		// Objects written without a checksum are normal here; no log line.
		o.DisableLogOutputChecksumValidationSkipped = true
	}}, optFns...)...)
}

// expectedOwnerHeader names the account a request expects to own its
// bucket.
const expectedOwnerHeader = "X-Amz-Expected-Bucket-Owner"

// ExpectOwner makes every request of an S3 client that acts on one of
// account's buckets say so (x-amz-expected-bucket-owner, unless the request
// names an owner itself): S3 refuses (403) a request on a bucket of that
// name that another account owns, even one whose policy would let the
// account in. CreateBucket and ListBuckets act on no existing bucket and
// name none. An empty account names none.
func ExpectOwner(account string) func(*s3.Options) {
	return func(o *s3.Options) {
		if account == "" {
			return
		}
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Build.Add(middleware.BuildMiddlewareFunc("xacct.ExpectOwner", func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
				switch awsmw.GetOperationName(ctx) {
				case "CreateBucket", "ListBuckets":
				default:
					if req, ok := in.Request.(*smithyhttp.Request); ok && req.Header.Get(expectedOwnerHeader) == "" {
						req.Header.Set(expectedOwnerHeader, account)
					}
				}
				return next.HandleBuild(ctx, in)
			}), middleware.After)
		})
	}
}

// Kind is one kind of resource.
type Kind interface {
	// Read returns the actual value, nil when the resource does not exist.
	Read(ctx context.Context, c *Clients, name string) (Value, error)
	Create(ctx context.Context, c *Clients, name string, v Value) error
	// Update changes the resource from before to after in place.
	Update(ctx context.Context, c *Clients, name string, before, after Value) error
	Delete(ctx context.Context, c *Clients, name string, before Value) error
	// Tagged reports whether the kind carries tags (then ownership is read
	// from the xacct:stack tag; otherwise only the state says who owns it).
	Tagged() bool
}

// DataHolder is a kind whose resources can hold data that destroy must not
// lose silently.
type DataHolder interface {
	// Count returns how many objects (all versions) the resource holds, up
	// to limit.
	Count(ctx context.Context, c *Clients, name string, limit int) (int, error)
	// Empty deletes everything it holds.
	Empty(ctx context.Context, c *Clients, name string) error
}

// Kinds maps each kind's name to its implementation. The planner and the
// applier take it as an argument, so tests can run them on kinds of their own.
type Kinds map[string]Kind

// AllKinds returns every kind xacct manages, by name.
func AllKinds() Kinds {
	return Kinds{
		"iam_group":                   groupKind{},
		"iam_group_policy":            groupPolicyKind,
		"iam_group_membership":        membershipKind{},
		"iam_role":                    roleKind{},
		"iam_role_policy":             rolePolicyKind,
		"iam_group_policy_attachment": groupAttachmentKind,
		"iam_role_policy_attachment":  roleAttachmentKind,
		"s3_bucket":                   bucketKind{},
		"s3_bucket_policy":            bucketPolicyKind{},
		"logs_log_group":              logGroupKind{},
		"lambda_function":             functionKind{},
		"lambda_permission":           permissionKind{},
		"lambda_event_source_mapping": eventSourceMappingKind{},
		"lambda_invoke_config":        invokeConfigKind{},
		"s3_bucket_notification":      notificationKind{},
		"cloudtrail_trail":            trailKind{},
	}
}

// ServiceOf returns the AWS service a kind's calls go to: iam, s3, logs or
// lambda (its name's first word). AWS limits each account's requests to
// each service on its own, and so does xacct.
func ServiceOf(kind string) string {
	s, _, _ := strings.Cut(kind, "_")
	return s
}

// Tag keys xacct sets on everything it can tag.
const (
	TagStack     = "xacct:stack"
	TagManagedBy = "managed-by"
)

// reservedTag tells the tags AWS reserves for itself (aws:…, such as
// CloudFormation's): xacct neither compares nor changes them, and AWS
// refuses to let anyone remove them.
func reservedTag(key string) bool { return strings.HasPrefix(key, "aws:") }

// TagsOf returns the "tags" field of a value.
func TagsOf(v Value) map[string]string {
	var x struct {
		Tags map[string]string `json:"tags"`
	}
	_ = json.Unmarshal(v, &x)
	return x.Tags
}

// marshal writes a value's canonical JSON (struct fields in order, maps
// sorted).
func marshal(v any) Value {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("resource: marshal value: %v", err))
	}
	return b
}

func unmarshal(v Value, dst any) error {
	if err := json.Unmarshal(v, dst); err != nil {
		return fmt.Errorf("resource value: %w", err)
	}
	return nil
}

// canonicalPolicy parses a document as IAM or S3 return it and returns its
// canonical JSON.
func canonicalPolicy(doc string, kind iampolicy.Kind) (json.RawMessage, error) {
	p, err := iampolicy.ParseEncoded(doc, kind)
	if err != nil {
		return nil, err
	}
	return iampolicy.Canonical(p), nil
}

// PolicyValue is the canonical JSON of a rendered policy, for desired values.
func PolicyValue(p *iampolicy.Policy) json.RawMessage { return iampolicy.Canonical(p) }

func isNotFound(err error, codes ...string) bool { return awserr.Is(err, codes...) }

func splitName(name string) (string, string, error) {
	a, b, ok := strings.Cut(name, "/")
	if !ok || a == "" || b == "" {
		return "", "", fmt.Errorf("resource name %q is not PARENT/NAME", name)
	}
	return a, b, nil
}

// parentKinds says which kind each part-of-a-resource kind belongs to.
var parentKinds = map[string]string{
	"iam_group_policy":            "iam_group",
	"iam_group_membership":        "iam_group",
	"iam_role_policy":             "iam_role",
	"iam_group_policy_attachment": "iam_group",
	"iam_role_policy_attachment":  "iam_role",
	"s3_bucket_policy":            "s3_bucket",
	"lambda_permission":           "lambda_function",
	"lambda_event_source_mapping": "lambda_function",
	"lambda_invoke_config":        "lambda_function",
	"s3_bucket_notification":      "s3_bucket",
}

// ParentOf returns the resource a part belongs to (a group's inline policy
// belongs to the group), which must exist first and go last.
func ParentOf(a Address) (Address, bool) {
	pk, ok := parentKinds[a.Kind]
	if !ok {
		return Address{}, false
	}
	name := a.Name
	if i := strings.IndexByte(name, '/'); i >= 0 {
		name = name[:i]
	}
	return Address{Account: a.Account, Kind: pk, Name: name}, true
}
