package resource_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/xacct/xacct/internal/iampolicy"
	"github.com/xacct/xacct/internal/resource"
	"github.com/xacct/xacct/internal/resource/resourcetest"
	"github.com/xacct/xacct/policies"
)

// part is a resource a test case needs to exist first.
type part struct {
	kind, name string
	v          resource.Value
}

// kindCase is one resource of each kind, built as internal/stack builds
// it, and a change to it.
type kindCase struct {
	kind, name string
	parents    []part
	users      []string       // IAM users that exist
	desired    resource.Value // what Create creates
	after      resource.Value // what Update changes it to; nil when it cannot change in place
	updateOps  []string       // exactly the calls that Update makes
}

const (
	groupName    = "Developers"
	roleName     = "acme-data-developer"
	bucketName   = "acme-data-production"
	functionName = "acme-data-processor"
)

func stackTags() map[string]string {
	return map[string]string{resource.TagStack: "acme-data", resource.TagManagedBy: "xacct", "team": "data"}
}

func withTags(m map[string]string, set map[string]string, remove ...string) map[string]string {
	m = maps.Clone(m)
	maps.Copy(m, set)
	for _, k := range remove {
		delete(m, k)
	}
	return m
}

func roleValue(t *testing.T) resource.RoleValue {
	return resource.RoleValue{
		Name: roleName, Path: "/", Description: "Assumed by the Developers group of account " + devAccount, MaxSessionDuration: 3600,
		Trust: render(t, "group-role-trust.json.tmpl", policies.GroupRoleTrust{DevelopmentAccount: devAccount}), Tags: stackTags(),
	}
}

func bucketValue() resource.BucketValue {
	return resource.BucketValue{
		Name: bucketName, Encryption: "AES256", Ownership: "BucketOwnerEnforced",
		PublicAccessBlock: resource.PublicAccessBlock{BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true},
		Tags:              stackTags(), Versioning: "Enabled",
	}
}

func functionValue() resource.FunctionValue {
	return resource.FunctionValue{
		Name: functionName, Architecture: "arm64", CodeSha256: shaA,
		Environment: map[string]string{"REPORT_BUCKET": "acme-data-reporting", "REPORT_PREFIX": "metadata/"},
		Handler:     "bootstrap", MemoryMB: 128, Role: "arn:aws:iam::" + prodAccount + ":role/" + functionName, Runtime: "provided.al2023",
		Tags: stackTags(), TimeoutS: 30,
	}
}

func permissionValue(sourceBucket string) resource.PermissionValue {
	return resource.PermissionValue{Function: functionName, StatementID: "AllowProductionBucket", Action: "lambda:InvokeFunction",
		Principal: "s3.amazonaws.com", SourceArn: "arn:aws:s3:::" + sourceBucket, SourceAccount: prodAccount}
}

func kindCases(t *testing.T) []kindCase {
	t.Helper()
	group := part{"iam_group", groupName, value(t, resource.GroupValue{Name: groupName, Path: "/"})}
	role := part{"iam_role", roleName, value(t, roleValue(t))}
	bucket := part{"s3_bucket", bucketName, value(t, bucketValue())}
	function := part{"lambda_function", functionName, value(t, functionValue())}
	groupPolicy := func(role string) resource.Value {
		return value(t, resource.InlinePolicyValue{Parent: groupName, Name: "assume-production-role",
			Policy: render(t, "group-assume-role.json.tmpl", policies.GroupAssumeRole{RoleARN: "arn:aws:iam::" + prodAccount + ":role/" + role})})
	}
	rolePolicy := func(objectActions ...string) resource.Value {
		return value(t, resource.InlinePolicyValue{Parent: roleName, Name: "s3-access",
			Policy: render(t, "group-role-permissions.json.tmpl", policies.GroupRolePermissions{Bucket: bucketName, ObjectActions: objectActions, BucketActions: []string{"s3:ListBucket"}})})
	}
	trustMFA := roleValue(t)
	trustMFA.Trust = render(t, "group-role-trust.json.tmpl", policies.GroupRoleTrust{DevelopmentAccount: devAccount, RequireMFA: true})
	suspended := bucketValue()
	suspended.Versioning, suspended.Tags = "Suspended", withTags(stackTags(), map[string]string{"cost-center": "42"})
	fnARN := "arn:aws:lambda:" + region + ":" + prodAccount + ":function:" + functionName
	moreMemory := functionValue()
	moreMemory.MemoryMB = 256

	return []kindCase{
		{kind: "iam_group", name: groupName, desired: group.v},
		{
			kind: "iam_group_policy", name: groupName + "/assume-production-role", parents: []part{group},
			desired: groupPolicy("acme-data-developer"), after: groupPolicy("acme-data-tester"), updateOps: []string{"PutGroupPolicy"},
		},
		{
			kind: "iam_group_membership", name: groupName + "/alice", parents: []part{group}, users: []string{"alice", "bob"},
			desired: value(t, resource.MembershipValue{Group: groupName, User: "alice"}),
		},
		{kind: "iam_role", name: roleName, desired: role.v, after: value(t, trustMFA), updateOps: []string{"UpdateAssumeRolePolicy"}},
		{
			kind: "iam_role_policy", name: roleName + "/s3-access", parents: []part{role},
			desired: rolePolicy("s3:GetObject"), after: rolePolicy("s3:GetObject", "s3:PutObject"), updateOps: []string{"PutRolePolicy"},
		},
		{
			kind: "s3_bucket", name: bucketName, desired: bucket.v,
			after: value(t, suspended), updateOps: []string{"PutBucketVersioning", "PutBucketTagging"},
		},
		{
			kind: "s3_bucket_policy", name: bucketName, parents: []part{bucket},
			desired: value(t, resource.BucketPolicyValue{Bucket: bucketName, Policy: render(t, "tls-only-bucket.json.tmpl", policies.Bucket{Bucket: bucketName})}),
			after: value(t, resource.BucketPolicyValue{Bucket: bucketName, Policy: resource.PolicyValue(iampolicy.MustParse(`{"Version":"2012-10-17","Statement":[
				{"Sid":"NoDelete","Effect":"Deny","Principal":"*","Action":"s3:DeleteBucket","Resource":"arn:aws:s3:::`+bucketName+`"}]}`, iampolicy.Resource))}),
			updateOps: []string{"PutBucketPolicy"},
		},
		{
			kind: "s3_bucket_notification", name: bucketName, parents: []part{bucket},
			desired: value(t, resource.NotificationValue{Bucket: bucketName, Lambda: []resource.LambdaNotification{
				{ID: "metadata-processor", FunctionArn: fnARN, Events: []string{"s3:ObjectCreated:*"}, Prefix: "incoming/", Suffix: ".json"}}}),
			after: value(t, resource.NotificationValue{Bucket: bucketName, Lambda: []resource.LambdaNotification{
				{ID: "metadata-processor", FunctionArn: fnARN, Events: []string{"s3:ObjectCreated:*", "s3:ObjectRemoved:*"}, Prefix: "incoming/"}}}),
			updateOps: []string{"PutBucketNotificationConfiguration"},
		},
		{
			kind: "logs_log_group", name: "/aws/lambda/" + functionName,
			desired:   value(t, resource.LogGroupValue{Name: "/aws/lambda/" + functionName, RetentionDays: 14}),
			after:     value(t, resource.LogGroupValue{Name: "/aws/lambda/" + functionName, RetentionDays: 30}),
			updateOps: []string{"PutRetentionPolicy"},
		},
		{
			kind: "lambda_function", name: functionName, desired: function.v,
			after: value(t, moreMemory), updateOps: []string{"UpdateFunctionConfiguration", "GetFunction"},
		},
		{
			kind: "lambda_permission", name: functionName + "/AllowProductionBucket", parents: []part{function},
			desired: value(t, permissionValue(bucketName)), after: value(t, permissionValue("acme-data-staging")),
			updateOps: []string{"RemovePermission", "AddPermission"},
		},
		{
			kind: "lambda_invoke_config", name: functionName, parents: []part{function},
			desired:   value(t, resource.InvokeConfigValue{Function: functionName, MaxRetryAttempts: 2, MaxEventAgeSeconds: 6 * 3600}),
			after:     value(t, resource.InvokeConfigValue{Function: functionName, MaxRetryAttempts: 0, MaxEventAgeSeconds: 3600, OnFailure: "arn:aws:s3:::acme-data-processor-failures"}),
			updateOps: []string{"PutFunctionEventInvokeConfig"},
		},
	}
}

// setup returns a fake account holding the case's users and parents, and
// the packages of every function the cases deploy.
func setup(t *testing.T, tc kindCase) (*resource.Clients, *resourcetest.Fake) {
	t.Helper()
	c, f := resourcetest.New(prodAccount, region)
	c.Packages = map[string]resource.Package{shaA: packageOf(zipA), shaB: packageOf(zipB)}
	for _, u := range tc.users {
		f.AddUser(u)
	}
	for _, p := range tc.parents {
		if err := kindOf(t, p.kind).Create(context.Background(), c, p.name, p.v); err != nil {
			t.Fatalf("create %s %s: %v", p.kind, p.name, err)
		}
	}
	return c, f
}

// TestLifecycle takes one resource of each kind through what plan and apply
// do to it: absent, created, read back exactly as desired, updated with
// only the calls needed, deleted, and deleted again.
func TestLifecycle(t *testing.T) {
	t.Parallel()
	for _, tc := range kindCases(t) {
		t.Run(tc.kind, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			c, f := setup(t, tc)
			k := kindOf(t, tc.kind)
			if got := read(t, c, tc.kind, tc.name); got != nil {
				t.Fatalf("before Create, Read = %s, want absent", got)
			}
			if err := k.Create(ctx, c, tc.name, tc.desired); err != nil {
				t.Fatalf("Create: %v", err)
			}
			wantValue(t, c, tc.kind, tc.name, tc.desired)
			current := tc.desired
			if tc.after != nil {
				n := len(f.Calls())
				if err := k.Update(ctx, c, tc.name, tc.desired, tc.after); err != nil {
					t.Fatalf("Update: %v", err)
				}
				wantOps(t, "Update", opsSince(f, n), tc.updateOps)
				wantValue(t, c, tc.kind, tc.name, tc.after)
				current = tc.after
			}
			if err := k.Delete(ctx, c, tc.name, current); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			if got := read(t, c, tc.kind, tc.name); got != nil {
				t.Fatalf("after Delete, Read = %s, want absent", got)
			}
			if err := k.Delete(ctx, c, tc.name, current); err != nil {
				t.Errorf("Delete of an absent resource: %v", err)
			}
		})
	}
}

// TestReadAbsentParent reads each kind in an empty account: a part whose
// parent is missing is absent too, not an error.
func TestReadAbsentParent(t *testing.T) {
	t.Parallel()
	for _, tc := range kindCases(t) {
		t.Run(tc.kind, func(t *testing.T) {
			t.Parallel()
			c, _ := resourcetest.New(prodAccount, region)
			if got := read(t, c, tc.kind, tc.name); got != nil {
				t.Errorf("Read = %s, want absent", got)
			}
		})
	}
}

// TestAPIErrors fails, one at a time, every call that each method of each
// kind makes, and wants the error back, saying which resource it was about.
func TestAPIErrors(t *testing.T) {
	t.Parallel()
	injected := resourcetest.APIError("ServiceUnavailable", "injected failure")
	for _, tc := range kindCases(t) {
		methods := []struct {
			name    string
			created bool // the resource exists before the call
			run     func(context.Context, resource.Kind, *resource.Clients) error
		}{
			{"Read", true, func(ctx context.Context, k resource.Kind, c *resource.Clients) error {
				_, err := k.Read(ctx, c, tc.name)
				return err
			}},
			{"Create", false, func(ctx context.Context, k resource.Kind, c *resource.Clients) error {
				return k.Create(ctx, c, tc.name, tc.desired)
			}},
			{"Update", true, func(ctx context.Context, k resource.Kind, c *resource.Clients) error {
				return k.Update(ctx, c, tc.name, tc.desired, tc.after)
			}},
			{"Delete", true, func(ctx context.Context, k resource.Kind, c *resource.Clients) error {
				return k.Delete(ctx, c, tc.name, tc.desired)
			}},
		}
		for _, m := range methods {
			if m.name == "Update" && tc.after == nil {
				continue
			}
			prepare := func(t *testing.T) (*resource.Clients, *resourcetest.Fake) {
				c, f := setup(t, tc)
				if m.created {
					if err := kindOf(t, tc.kind).Create(context.Background(), c, tc.name, tc.desired); err != nil {
						t.Fatal(err)
					}
				}
				return c, f
			}
			// The calls the method makes when nothing fails.
			var ops []string
			t.Run(tc.kind+"/"+m.name, func(t *testing.T) {
				c, f := prepare(t)
				n := len(f.Calls())
				if err := m.run(context.Background(), kindOf(t, tc.kind), c); err != nil {
					t.Fatal(err)
				}
				ops = opsSince(f, n)
				if len(ops) == 0 {
					t.Fatal("no calls")
				}
			})
			slices.Sort(ops)
			for _, op := range slices.Compact(ops) {
				t.Run(tc.kind+"/"+m.name+"/"+op, func(t *testing.T) {
					t.Parallel()
					c, f := prepare(t)
					f.FailNext(op, injected)
					err := m.run(context.Background(), kindOf(t, tc.kind), c)
					var ae smithy.APIError
					if !errors.As(err, &ae) || ae.ErrorCode() != "ServiceUnavailable" {
						t.Fatalf("error = %v, want the injected ServiceUnavailable", err)
					}
					if owner, _, _ := strings.Cut(tc.name, "/"); !strings.Contains(err.Error(), owner) {
						t.Errorf("error %q does not name %s", err, owner)
					}
				})
			}
		}
	}
}

// TestAWSRefusals checks that what AWS refuses comes back as an error with
// AWS's code, naming the resource, and changes nothing.
func TestAWSRefusals(t *testing.T) {
	t.Parallel()
	cases := kindCases(t)
	byKind := func(kind string) kindCase {
		i := slices.IndexFunc(cases, func(c kindCase) bool { return c.kind == kind })
		return cases[i]
	}
	group, role, bucket := byKind("iam_group"), byKind("iam_role"), byKind("s3_bucket")
	membership, groupPolicy, rolePolicy, permission := byKind("iam_group_membership"), byKind("iam_group_policy"), byKind("iam_role_policy"), byKind("lambda_permission")

	tests := []struct {
		name     string
		existing []part // created first
		users    []string
		objects  []string // keys put into bucketName
		op       string   // Create or Delete
		target   kindCase
		wantCode string
		wantMsg  string
	}{
		{name: "delete a group that has members", existing: []part{{group.kind, group.name, group.desired}, {membership.kind, membership.name, membership.desired}},
			users: []string{"alice"}, op: "Delete", target: group, wantCode: "DeleteConflict"},
		{name: "delete a group that has an inline policy", existing: []part{{group.kind, group.name, group.desired}, {groupPolicy.kind, groupPolicy.name, groupPolicy.desired}},
			op: "Delete", target: group, wantCode: "DeleteConflict"},
		{name: "delete a role that has an inline policy", existing: []part{{role.kind, role.name, role.desired}, {rolePolicy.kind, rolePolicy.name, rolePolicy.desired}},
			op: "Delete", target: role, wantCode: "DeleteConflict"},
		{name: "delete a bucket that holds objects", existing: []part{{bucket.kind, bucket.name, bucket.desired}}, objects: []string{"incoming/a.json"},
			op: "Delete", target: bucket, wantCode: "BucketNotEmpty"},
		{name: "create a group that exists", existing: []part{{group.kind, group.name, group.desired}}, op: "Create", target: group, wantCode: "EntityAlreadyExists"},
		{name: "create a role that exists", existing: []part{{role.kind, role.name, role.desired}}, op: "Create", target: role, wantCode: "EntityAlreadyExists"},
		{name: "create a permission whose statement ID is taken", existing: append(slices.Clone(permission.parents), part{permission.kind, permission.name, permission.desired}),
			op: "Create", target: permission, wantCode: "ResourceConflictException"},
		{name: "add a user who does not exist", existing: []part{{group.kind, group.name, group.desired}}, op: "Create", target: membership,
			wantCode: "NoSuchEntity", wantMsg: "create the user first"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			c, f := setup(t, kindCase{parents: tt.existing, users: tt.users})
			for _, key := range tt.objects {
				if err := f.PutObject(bucketName, key); err != nil {
					t.Fatal(err)
				}
			}
			before := read(t, c, tt.target.kind, tt.target.name)
			k := kindOf(t, tt.target.kind)
			var err error
			switch tt.op {
			case "Create":
				err = k.Create(ctx, c, tt.target.name, tt.target.desired)
			case "Delete":
				err = k.Delete(ctx, c, tt.target.name, tt.target.desired)
			default:
				t.Fatalf("op %s", tt.op)
			}
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != tt.wantCode {
				t.Fatalf("%s: error = %v, want %s", tt.op, err, tt.wantCode)
			}
			if owner, _, _ := strings.Cut(tt.target.name, "/"); !strings.Contains(err.Error(), owner) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not name %s or say %q", err, owner, tt.wantMsg)
			}
			wantValue(t, c, tt.target.kind, tt.target.name, before)
		})
	}
}
