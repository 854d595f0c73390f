package resource_test

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/xacct/xacct/internal/resource"
	"github.com/xacct/xacct/internal/resource/resourcetest"
)

// packageOf is a package already in memory.
func packageOf(b []byte) resource.Package {
	return func() ([]byte, error) { return b, nil }
}

// TestFunctionPackageThatChanged: a package whose bytes no longer match
// the plan's hash is not deployed, and the function says why.
func TestFunctionPackageThatChanged(t *testing.T) {
	t.Parallel()
	c, f := resourcetest.New(prodAccount, region)
	changed := errors.New("the package changed since the plan read it")
	c.Packages = map[string]resource.Package{shaA: func() ([]byte, error) { return nil, changed }}
	err := kindOf(t, "lambda_function").Create(context.Background(), c, functionName, value(t, functionValue()))
	if !errors.Is(err, changed) || !strings.Contains(err.Error(), functionName) {
		t.Errorf("Create = %v, want the package's error, naming the function", err)
	}
	wantOps(t, "Create", f.Ops(), nil)
}

func TestFunctionCreateNeedsPackage(t *testing.T) {
	t.Parallel()
	c, f := resourcetest.New(prodAccount, region)
	c.Packages = map[string]resource.Package{shaB: packageOf(zipB)}
	err := kindOf(t, "lambda_function").Create(context.Background(), c, functionName, value(t, functionValue()))
	if err == nil || !strings.Contains(err.Error(), functionName) || !strings.Contains(err.Error(), shaA) {
		t.Fatalf("Create = %v, want an error naming the function and the missing package", err)
	}
	wantOps(t, "Create", f.Ops(), nil)
}

// TestFunctionCreateWaitsForActive creates a function that Lambda keeps
// Pending for a while: Create returns only once it is Active, when it can
// take the next change.
func TestFunctionCreateWaitsForActive(t *testing.T) {
	t.Parallel()
	c, f := resourcetest.New(prodAccount, region)
	c.Packages = map[string]resource.Package{shaA: packageOf(zipA)}
	f.PendingReads = 1
	want := value(t, functionValue())
	if err := kindOf(t, "lambda_function").Create(context.Background(), c, functionName, want); err != nil {
		t.Fatalf("Create: %v", err)
	}
	wantOps(t, "Create", f.Ops(), []string{"CreateFunction", "GetFunction", "GetFunction"})
	wantValue(t, c, "lambda_function", functionName, want)
}

func TestFunctionWaitCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	c, f := resourcetest.New(prodAccount, region)
	c.Packages = map[string]resource.Package{shaA: packageOf(zipA)}
	f.PendingReads = 100
	err := kindOf(t, "lambda_function").Create(ctx, c, functionName, value(t, functionValue()))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Create = %v, want the context's error", err)
	}
}

// TestFunctionUpdate changes a function in the ways a plan can. Each update
// is waited for (see TestFunctionCreateWaitsForActive) before the next call,
// which Lambda would refuse while the last update is in progress.
func TestFunctionUpdate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		change  func(*resource.FunctionValue)
		wantOps []string
		wantErr string
	}{
		{name: "tag value", change: func(f *resource.FunctionValue) { f.Tags = withTags(f.Tags, map[string]string{"team": "platform"}) },
			wantOps: []string{"GetFunction", "TagResource"}},
		{name: "tag removed", change: func(f *resource.FunctionValue) { f.Tags = withTags(f.Tags, nil, "team") },
			wantOps: []string{"GetFunction", "UntagResource"}},
		{name: "environment", change: func(f *resource.FunctionValue) { f.Environment = map[string]string{"REPORT_BUCKET": "other"} },
			wantOps: []string{"UpdateFunctionConfiguration", "GetFunction"}},
		{name: "code", change: func(f *resource.FunctionValue) { f.CodeSha256 = shaB },
			wantOps: []string{"UpdateFunctionCode", "GetFunction"}},
		{name: "architecture", change: func(f *resource.FunctionValue) { f.Architecture = "x86_64" },
			wantOps: []string{"UpdateFunctionCode", "GetFunction"}},
		{name: "code, timeout and tags", change: func(f *resource.FunctionValue) {
			f.CodeSha256, f.TimeoutS, f.Tags = shaB, 60, withTags(f.Tags, map[string]string{"cost-center": "42"}, "team")
		}, wantOps: []string{"UpdateFunctionCode", "GetFunction", "UpdateFunctionConfiguration", "GetFunction", "GetFunction", "TagResource", "UntagResource"}},
		{name: "code not loaded", change: func(f *resource.FunctionValue) { f.CodeSha256 = "bm90IGxvYWRlZA==" }, wantErr: "bm90IGxvYWRlZA=="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			c, f := resourcetest.New(prodAccount, region)
			c.Packages = map[string]resource.Package{shaA: packageOf(zipA), shaB: packageOf(zipB)}
			k := kindOf(t, "lambda_function")
			fv := functionValue()
			fv.Tags, fv.Environment = maps.Clone(fv.Tags), maps.Clone(fv.Environment)
			before := value(t, fv)
			if err := k.Create(ctx, c, functionName, before); err != nil {
				t.Fatal(err)
			}
			tt.change(&fv)
			after := value(t, fv)
			n := len(f.Calls())
			err := k.Update(ctx, c, functionName, before, after)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), functionName) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Update = %v, want an error naming the function and %s", err, tt.wantErr)
				}
				wantOps(t, "Update", opsSince(f, n), nil)
				return
			}
			if err != nil {
				t.Fatalf("Update: %v", err)
			}
			wantOps(t, "Update", opsSince(f, n), tt.wantOps)
			wantValue(t, c, "lambda_function", functionName, after)
		})
	}
}

// TestPermissionAmongOthers reads one statement of a function policy that
// holds others.
func TestPermissionAmongOthers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := setup(t, kindCase{parents: []part{{"lambda_function", functionName, value(t, functionValue())}}})
	k := kindOf(t, "lambda_permission")
	other := permissionValue("acme-data-staging")
	other.StatementID = "AllowStagingBucket"
	if err := k.Create(ctx, c, functionName+"/AllowStagingBucket", value(t, other)); err != nil {
		t.Fatal(err)
	}
	if got := read(t, c, "lambda_permission", functionName+"/AllowProductionBucket"); got != nil {
		t.Fatalf("Read of a statement not in the policy = %s, want absent", got)
	}
	want := value(t, permissionValue(bucketName))
	if err := k.Create(ctx, c, functionName+"/AllowProductionBucket", want); err != nil {
		t.Fatal(err)
	}
	wantValue(t, c, "lambda_permission", functionName+"/AllowProductionBucket", want)
	wantValue(t, c, "lambda_permission", functionName+"/AllowStagingBucket", value(t, other))
}

// TestFunctionParts: each statement of a function's policy and each event
// source mapping to it is a part, as its kind reads it, so what was added by
// hand is seen before the function is deleted; a function without a policy,
// or absent, has none.
func TestFunctionParts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, f := setup(t, kindCase{parents: []part{{"lambda_function", functionName, value(t, functionValue())}}})
	pf := kindOf(t, "lambda_function").(resource.PartsFinder)
	if parts, err := pf.Parts(ctx, c, functionName); err != nil || parts != nil {
		t.Fatalf("parts of a function without a policy = %v, %v", parts, err)
	}
	k := kindOf(t, "lambda_permission")
	other := permissionValue("acme-data-staging")
	other.StatementID = "ByHand"
	for _, p := range []resource.PermissionValue{permissionValue(bucketName), other} {
		if err := k.Create(ctx, c, functionName+"/"+p.StatementID, value(t, p)); err != nil {
			t.Fatal(err)
		}
	}
	// Mappings, more than one page of them, and one of another function.
	var mappings []string
	for _, q := range []string{"a", "b", "c"} {
		mappings = append(mappings, f.AddEventSourceMapping(functionName, "arn:aws:sqs:"+region+":"+devAccount+":"+q))
	}
	f.AddEventSourceMapping("another-function", "arn:aws:sqs:"+region+":"+devAccount+":d")
	parts, err := pf.Parts(ctx, c, functionName)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range parts {
		got = append(got, p.Addr.Kind+"/"+p.Addr.Name)
		if v := read(t, c, p.Addr.Kind, p.Addr.Name); string(v) != string(p.Value) {
			t.Errorf("%s reads %s; Parts said %s", p.Addr.Name, v, p.Value)
		}
	}
	want := []string{"lambda_permission/" + functionName + "/AllowProductionBucket", "lambda_permission/" + functionName + "/ByHand"}
	for _, id := range mappings {
		want = append(want, "lambda_event_source_mapping/"+functionName+"/"+id)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("parts = %v, want %v", got, want)
	}

	// A mapping is never made or changed by xacct; it is deleted once.
	esm := kindOf(t, "lambda_event_source_mapping")
	name := functionName + "/" + mappings[0]
	if err := esm.Create(ctx, c, name, nil); err == nil {
		t.Error("an event source mapping was created")
	}
	if err := esm.Update(ctx, c, name, nil, nil); err == nil {
		t.Error("an event source mapping was updated")
	}
	for range 2 {
		if err := esm.Delete(ctx, c, name, nil); err != nil {
			t.Fatalf("delete %s: %v", name, err)
		}
	}
	if v := read(t, c, "lambda_event_source_mapping", name); v != nil {
		t.Errorf("deleted mapping reads %s", v)
	}
	if v := read(t, c, "lambda_event_source_mapping", "another-name/"+mappings[1]); v != nil {
		t.Errorf("a mapping read under another function's name: %s", v)
	}
	if parts, err := pf.Parts(ctx, c, "absent"); err != nil || parts != nil {
		t.Errorf("parts of an absent function = %v, %v", parts, err)
	}
}

// TestLogGroupCreateTags checks that a log group gets the run's tags when it
// is created, the only time xacct sets them.
func TestLogGroupCreateTags(t *testing.T) {
	t.Parallel()
	c, f := resourcetest.New(prodAccount, region)
	c.Tags = stackTags()
	name := "/aws/lambda/" + functionName
	if err := kindOf(t, "logs_log_group").Create(context.Background(), c, name, value(t, resource.LogGroupValue{Name: name, RetentionDays: 14})); err != nil {
		t.Fatal(err)
	}
	calls := f.Calls()
	in, ok := calls[0].Input.(*cloudwatchlogs.CreateLogGroupInput)
	if !ok {
		t.Fatalf("first call %s, want CreateLogGroup", calls[0].Op)
	}
	if !maps.Equal(in.Tags, stackTags()) {
		t.Errorf("CreateLogGroup tags = %v, want %v", in.Tags, stackTags())
	}
}

// TestLogGroupNamePrefix reads a log group whose name is a prefix of
// others'.
func TestLogGroupNamePrefix(t *testing.T) {
	t.Parallel()
	c, _ := resourcetest.New(prodAccount, region)
	k := kindOf(t, "logs_log_group")
	name := "/aws/lambda/" + functionName
	longer := name + "-canary"
	if err := k.Create(context.Background(), c, longer, value(t, resource.LogGroupValue{Name: longer, RetentionDays: 7})); err != nil {
		t.Fatal(err)
	}
	if got := read(t, c, "logs_log_group", name); got != nil {
		t.Fatalf("Read = %s, want absent", got)
	}
	want := value(t, resource.LogGroupValue{Name: name, RetentionDays: 14})
	if err := k.Create(context.Background(), c, name, want); err != nil {
		t.Fatal(err)
	}
	wantValue(t, c, "logs_log_group", name, want)
}
