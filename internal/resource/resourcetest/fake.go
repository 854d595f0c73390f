// Package resourcetest is an in-memory AWS account for the tests of the
// resource kinds and of what runs them. It serves the IAM, S3, CloudWatch
// Logs and Lambda operations the kinds call, with the behaviours they rely
// on: AWS's error codes for absent and conflicting resources, IAM policy
// documents returned URL-encoded, group members listed a page at a time,
// versioned objects and delete markers, IAM entities that are not yet
// visible right after they are created, and Lambda functions that are
// Pending before they are Active. Errors can be injected by operation, and
// every call is recorded.
//
// Each service type embeds the interface it implements, so an operation the
// fake does not serve panics instead of pretending to succeed.
package resourcetest

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"

	"github.com/xacct/xacct/internal/resource"
)

// Fake is one account's state. Its methods and the service types are safe
// for concurrent use.
type Fake struct {
	// ReadLag is how many reads (GetGroup, GetRole, GetGroupPolicy,
	// GetRolePolicy) an IAM entity created from then on answers NoSuchEntity,
	// as IAM's eventual consistency can. Set it while no calls run.
	ReadLag int
	// PendingReads is how many GetFunction calls a Lambda function created
	// or updated from then on stays Pending (or its update InProgress);
	// meanwhile Lambda refuses other updates. Set it while no calls run.
	PendingReads int
	// PageMax, when set, caps the items of one page of
	// GetAccountAuthorizationDetails and ListRoles below what MaxItems asks
	// (IAM may return fewer). Set it while no calls run.
	PageMax int

	accountID, region string

	mu        sync.Mutex
	calls     []Call
	fail      map[string][]error
	users     map[string]bool
	policies  map[string]bool // managed policy ARNs that can be attached
	groups    map[string]*group
	roles     map[string]*role
	buckets   map[string]*bucket
	logGroups map[string]*logGroup
	functions map[string]*function
	mappings  map[string]*mapping // event source mappings by UUID
	trails    map[string]*trail
}

// Call is one operation the fake received.
type Call struct {
	Op    string // the SDK operation, e.g. "DeleteGroup"
	Input any    // its input, e.g. *iam.DeleteGroupInput
}

// New returns clients whose IAM, S3, Logs and Lambda are one new, empty
// fake account, and the fake.
func New(accountID, region string) (*resource.Clients, *Fake) {
	f := &Fake{
		accountID: accountID, region: region,
		fail: map[string][]error{}, users: map[string]bool{}, policies: map[string]bool{}, groups: map[string]*group{}, roles: map[string]*role{},
		buckets: map[string]*bucket{}, logGroups: map[string]*logGroup{}, functions: map[string]*function{},
		mappings: map[string]*mapping{}, trails: map[string]*trail{},
	}
	return &resource.Clients{
		AccountID: accountID, Region: region,
		IAM: &IAM{f: f}, S3: &S3{f: f}, Logs: &Logs{f: f}, Lambda: &Lambda{f: f}, CloudTrail: &CloudTrail{f: f},
	}, f
}

// FailNext makes the next call of the operation op (e.g. "DeleteGroup")
// fail with err, wrapped as the SDK wraps errors, before it changes
// anything. Calling it again queues further failures.
func (f *Fake) FailNext(op string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[op] = append(f.fail[op], err)
}

// Calls returns the calls received so far, in order.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// Ops returns the operations of Calls.
func (f *Fake) Ops() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	ops := make([]string, len(f.calls))
	for i, c := range f.calls {
		ops[i] = c.Op
	}
	return ops
}

// APIError returns an error such as AWS returns: a smithy.APIError with the
// code and message.
func APIError(code, message string) error {
	return &smithy.GenericAPIError{Code: code, Message: message, Fault: smithy.FaultClient}
}

func apiErr(code, format string, args ...any) error {
	return APIError(code, fmt.Sprintf(format, args...))
}

// call serves one operation: it records the call, fails it if the context
// is done or a failure was injected, and otherwise runs fn with the state
// locked. Errors come back wrapped in a smithy.OperationError, as from the
// SDK.
func (f *Fake) call(ctx context.Context, service, op string, in any, fn func() error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, Call{Op: op, Input: in})
	err := ctx.Err()
	if q := f.fail[op]; err == nil && len(q) > 0 {
		err, f.fail[op] = q[0], q[1:]
	}
	if err == nil {
		err = f.checkBucketOwner(in)
	}
	if err == nil {
		err = fn()
	}
	if err != nil {
		return &smithy.OperationError{ServiceID: service, OperationName: op, Err: err}
	}
	return nil
}

// checkBucketOwner refuses an S3 call whose ExpectedBucketOwner is not the
// account that owns its bucket, as S3 does (403 AccessDenied).
func (f *Fake) checkBucketOwner(in any) error {
	v := reflect.ValueOf(in)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	field, bucket := v.Elem().FieldByName("ExpectedBucketOwner"), v.Elem().FieldByName("Bucket")
	if !field.IsValid() || !bucket.IsValid() {
		return nil
	}
	want, _ := field.Interface().(*string)
	if want == nil {
		return nil
	}
	name, _ := bucket.Interface().(*string)
	owner := f.accountID
	if b := f.buckets[aws.ToString(name)]; b != nil && b.owner != "" {
		owner = b.owner
	}
	if *want != owner {
		return apiErr("AccessDenied", "Access Denied")
	}
	return nil
}

// visible counts one read of an entity that is hidden for *hidden more
// reads.
func visible(hidden *int) bool {
	if *hidden > 0 {
		*hidden--
		return false
	}
	return true
}

// ok returns out, or nil when the call failed, as the SDK does.
func ok[T any](out *T, err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	return out, nil
}
