package resource_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/xacct/xacct/internal/resource"
	"github.com/xacct/xacct/internal/resource/resourcetest"
)

func locationIn(region string) *s3types.CreateBucketConfiguration {
	if region == "us-east-1" {
		return nil
	}
	return &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(region)}
}

// TestBucketCreateInRegion creates a bucket where S3 wants no location
// constraint (us-east-1) and where it wants the region's.
func TestBucketCreateInRegion(t *testing.T) {
	t.Parallel()
	for _, r := range []string{"us-east-1", "eu-west-1", "ap-southeast-2"} {
		t.Run(r, func(t *testing.T) {
			t.Parallel()
			c, _ := resourcetest.New(prodAccount, r)
			want := value(t, bucketValue())
			if err := kindOf(t, "s3_bucket").Create(context.Background(), c, bucketName, want); err != nil {
				t.Fatalf("Create: %v", err)
			}
			wantValue(t, c, "s3_bucket", bucketName, want)
		})
	}
}

// TestBucketCreateOwned creates a bucket this account already has (an
// interrupted apply, a state bucket made before): the settings are applied.
func TestBucketCreateOwned(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := resourcetest.New(prodAccount, region)
	if _, err := c.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucketName), CreateBucketConfiguration: locationIn(region)}); err != nil {
		t.Fatal(err)
	}
	want := value(t, bucketValue())
	if err := kindOf(t, "s3_bucket").Create(ctx, c, bucketName, want); err != nil {
		t.Fatalf("Create: %v", err)
	}
	wantValue(t, c, "s3_bucket", bucketName, want)
}

// TestBucketOfAnotherAccount: a bucket of the config's name that another
// account owns is never read as this account's, even when its policy lets
// this account read it (every read names the expected owner), and a
// refused read of the account's own bucket is not mistaken for one.
func TestBucketOfAnotherAccount(t *testing.T) {
	t.Parallel()
	denied := resourcetest.APIError("AccessDenied", "Access Denied")
	tests := []struct {
		name    string
		setup   func(*resourcetest.Fake, *resource.Clients)
		wantErr []string
		foreign bool
	}{
		{name: "another account's", setup: func(f *resourcetest.Fake, _ *resource.Clients) { f.AddForeignBucket(bucketName, "999999999999") },
			wantErr: []string{bucketName, "belongs to another account"}, foreign: true},
		{name: "this account's, its read refused", setup: func(f *resourcetest.Fake, c *resource.Clients) {
			if _, err := c.S3.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucketName), CreateBucketConfiguration: locationIn(region)}); err != nil {
				t.Fatal(err)
			}
			f.FailNext("GetBucketVersioning", denied)
		}, wantErr: []string{bucketName, "is this account's, but its credentials may not read it", "AccessDenied"}},
		{name: "unknown: the account's list refused too", setup: func(f *resourcetest.Fake, _ *resource.Clients) {
			f.AddForeignBucket(bucketName, "999999999999")
			f.FailNext("ListBuckets", denied)
		}, wantErr: []string{bucketName, "another account owns it", "or this account's credentials may not read it"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := resourcetest.New(prodAccount, region)
			tt.setup(f, c)
			v, err := kindOf(t, "s3_bucket").Read(context.Background(), c, bucketName)
			if err == nil {
				t.Fatalf("Read = %s, want an error", v)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Read error %q does not say %q", err, w)
				}
			}
			var fe *resource.ForeignBucketError
			if errors.As(err, &fe) != tt.foreign {
				t.Errorf("Read error %v: ForeignBucketError %v, want %v", err, !tt.foreign, tt.foreign)
			}
		})
	}
}

// TestBucketCallsNameTheirOwner: every S3 call the bucket kinds make but
// CreateBucket carries ExpectedBucketOwner, the account's own ID, so that
// no read, change or deletion lands on a bucket another account owns.
func TestBucketCallsNameTheirOwner(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, f := resourcetest.New(prodAccount, region)
	bucket, policy, notification := kindOf(t, "s3_bucket"), kindOf(t, "s3_bucket_policy"), kindOf(t, "s3_bucket_notification")
	want := value(t, bucketValue())
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(bucket.Create(ctx, c, bucketName, want))
	changed := bucketValue()
	changed.Tags = withTags(changed.Tags, map[string]string{"cost-center": "42"})
	changed.ExpirationDays = 30
	must(bucket.Update(ctx, c, bucketName, want, value(t, changed)))
	pol := value(t, resource.BucketPolicyValue{Bucket: bucketName, Policy: json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::` + bucketName + `/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`)})
	must(policy.Create(ctx, c, bucketName, pol))
	note := value(t, resource.NotificationValue{Bucket: bucketName, Lambda: []resource.LambdaNotification{{ID: "n", FunctionArn: "arn:aws:lambda:" + region + ":" + prodAccount + ":function:f", Events: []string{"s3:ObjectCreated:*"}}}})
	must(notification.Create(ctx, c, bucketName, note))
	for _, k := range []resource.Kind{bucket, policy, notification} {
		if _, err := k.Read(ctx, c, bucketName); err != nil {
			t.Fatal(err)
		}
	}
	holder := bucket.(resource.DataHolder)
	if _, err := resource.Usage(ctx, c, bucketName, 10); err != nil {
		t.Fatal(err)
	}
	must(holder.Empty(ctx, c, bucketName))
	must(notification.Delete(ctx, c, bucketName, note))
	must(policy.Delete(ctx, c, bucketName, pol))
	must(bucket.Delete(ctx, c, bucketName, want))

	seen := map[string]bool{}
	for _, call := range f.Calls() {
		in := reflect.ValueOf(call.Input)
		if in.Kind() != reflect.Pointer || in.Elem().Type().PkgPath() != reflect.TypeFor[s3.GetBucketPolicyInput]().PkgPath() {
			continue
		}
		seen[call.Op] = true
		field := in.Elem().FieldByName("ExpectedBucketOwner")
		if call.Op == "CreateBucket" {
			continue // S3 takes none: the bucket is new, and this account's
		}
		if !field.IsValid() {
			t.Errorf("%s takes no ExpectedBucketOwner", call.Op)
			continue
		}
		got, _ := field.Interface().(*string)
		if aws.ToString(got) != prodAccount {
			t.Errorf("%s: ExpectedBucketOwner %q, want %s", call.Op, aws.ToString(got), prodAccount)
		}
	}
	for _, op := range []string{"GetBucketVersioning", "PutBucketTagging", "PutBucketLifecycleConfiguration", "PutBucketPolicy", "GetBucketNotificationConfiguration", "ListObjectVersions", "DeleteBucketPolicy", "DeleteBucket"} {
		if !seen[op] {
			t.Errorf("the kinds never called %s: the test no longer covers it", op)
		}
	}
}

// TestBucketUpdate changes one setting at a time: each takes its own call
// and no other.
func TestBucketUpdate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		change  func(*resource.BucketValue)
		wantOps []string
	}{
		{name: "tag added", change: func(b *resource.BucketValue) { b.Tags = withTags(b.Tags, map[string]string{"cost-center": "42"}) }, wantOps: []string{"PutBucketTagging"}},
		{name: "tag removed", change: func(b *resource.BucketValue) { b.Tags = withTags(b.Tags, nil, "team") }, wantOps: []string{"PutBucketTagging"}},
		{name: "versioning", change: func(b *resource.BucketValue) { b.Versioning = "Suspended" }, wantOps: []string{"PutBucketVersioning"}},
		{name: "encryption", change: func(b *resource.BucketValue) { b.Encryption = "aws:kms" }, wantOps: []string{"PutBucketEncryption"}},
		{name: "ownership", change: func(b *resource.BucketValue) { b.Ownership = "BucketOwnerPreferred" }, wantOps: []string{"PutBucketOwnershipControls"}},
		{name: "public access", change: func(b *resource.BucketValue) { b.PublicAccessBlock.RestrictPublicBuckets = false }, wantOps: []string{"PutPublicAccessBlock"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			c, f := resourcetest.New(prodAccount, region)
			k := kindOf(t, "s3_bucket")
			b := bucketValue()
			before := value(t, b)
			if err := k.Create(ctx, c, bucketName, before); err != nil {
				t.Fatal(err)
			}
			tt.change(&b)
			after := value(t, b)
			n := len(f.Calls())
			if err := k.Update(ctx, c, bucketName, before, after); err != nil {
				t.Fatalf("Update: %v", err)
			}
			wantOps(t, "Update", opsSince(f, n), tt.wantOps)
			wantValue(t, c, "s3_bucket", bucketName, after)
		})
	}
}

// TestBucketCountAndEmpty counts what destroy would lose, every version and
// delete marker, then empties the bucket so that it can be deleted.
func TestBucketCountAndEmpty(t *testing.T) {
	t.Parallel()
	type step struct {
		versioning string // set before the writes below, "" to leave it
		put        []string
		del        []string // deleted without a version ID
	}
	tests := []struct {
		name  string
		steps []step
		want  int
	}{
		{name: "empty", want: 0},
		{name: "unversioned objects", steps: []step{{put: []string{"a", "b"}}}, want: 2},
		{name: "versions and a delete marker", steps: []step{{versioning: "Enabled", put: []string{"a", "a", "b"}, del: []string{"a"}}}, want: 4},
		{name: "written before versioning was enabled", steps: []step{{put: []string{"a"}}, {versioning: "Enabled", put: []string{"a"}}}, want: 2},
		{name: "versioning suspended", steps: []step{
			{versioning: "Enabled", put: []string{"a", "b"}},
			{versioning: "Suspended", put: []string{"a"}, del: []string{"b"}},
		}, want: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// A kind that loops forever over what it cannot delete fails
			// here instead of hanging.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			c, f := resourcetest.New(prodAccount, region)
			b := aws.String(bucketName)
			if _, err := c.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b, CreateBucketConfiguration: locationIn(region)}); err != nil {
				t.Fatal(err)
			}
			for _, s := range tt.steps {
				if s.versioning != "" {
					if _, err := c.S3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: b,
						VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatus(s.versioning)}}); err != nil {
						t.Fatal(err)
					}
				}
				for _, key := range s.put {
					if err := f.PutObject(bucketName, key); err != nil {
						t.Fatal(err)
					}
				}
				for _, key := range s.del {
					if _, err := c.S3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: aws.String(key)}); err != nil {
						t.Fatal(err)
					}
				}
			}
			k := kindOf(t, "s3_bucket").(resource.DataHolder)
			if n, err := k.Count(ctx, c, bucketName, 1000); err != nil || n != tt.want {
				t.Fatalf("Count = %d, %v; want %d", n, err, tt.want)
			}
			if n, err := k.Count(ctx, c, bucketName, 1); err != nil || n != min(tt.want, 1) {
				t.Fatalf("Count up to 1 = %d, %v; want %d", n, err, min(tt.want, 1))
			}
			if err := k.Empty(ctx, c, bucketName); err != nil {
				t.Fatalf("Empty: %v", err)
			}
			if n, err := k.Count(ctx, c, bucketName, 1000); err != nil || n != 0 {
				t.Fatalf("after Empty, Count = %d, %v; want 0", n, err)
			}
			if err := kindOf(t, "s3_bucket").Delete(ctx, c, bucketName, nil); err != nil {
				t.Fatalf("Delete after Empty: %v", err)
			}
		})
	}
}

func TestBucketCountAndEmptyAbsent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := resourcetest.New(prodAccount, region)
	k := kindOf(t, "s3_bucket").(resource.DataHolder)
	if n, err := k.Count(ctx, c, bucketName, 1); err != nil || n != 0 {
		t.Errorf("Count = %d, %v; want 0, nil", n, err)
	}
	if err := k.Empty(ctx, c, bucketName); err != nil {
		t.Errorf("Empty: %v", err)
	}
}

func TestBucketEmptyFails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, f := resourcetest.New(prodAccount, region)
	if err := kindOf(t, "s3_bucket").Create(ctx, c, bucketName, value(t, bucketValue())); err != nil {
		t.Fatal(err)
	}
	if err := f.PutObject(bucketName, "incoming/a.json"); err != nil {
		t.Fatal(err)
	}
	k := kindOf(t, "s3_bucket").(resource.DataHolder)
	for _, op := range []string{"ListObjectVersions", "DeleteObject"} {
		f.FailNext(op, resourcetest.APIError("InternalError", "injected failure"))
		if err := k.Empty(ctx, c, bucketName); err == nil || !strings.Contains(err.Error(), bucketName) {
			t.Errorf("Empty with %s failing = %v, want an error naming the bucket", op, err)
		}
	}
	f.FailNext("ListObjectVersions", resourcetest.APIError("InternalError", "injected failure"))
	if _, err := k.Count(ctx, c, bucketName, 1); err == nil || !strings.Contains(err.Error(), bucketName) {
		t.Errorf("Count with ListObjectVersions failing = %v, want an error naming the bucket", err)
	}
}

// TestBucketExpiration sets, changes and removes the expiry rule xacct owns
// and keeps a rule made by hand.
func TestBucketExpiration(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := resourcetest.New(prodAccount, region)
	k := kindOf(t, "s3_bucket")
	bv := bucketValue()
	bv.ExpirationDays, bv.NoncurrentDays = 14, 1
	want := value(t, bv)
	if err := k.Create(ctx, c, bucketName, want); err != nil {
		t.Fatal(err)
	}
	wantValue(t, c, "s3_bucket", bucketName, want)
	// A rule of the owner's own, beside xacct's.
	out, _ := c.S3.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(bucketName)})
	rules := append(out.Rules, s3types.LifecycleRule{ID: aws.String("archive"), Status: s3types.ExpirationStatusEnabled,
		Filter: &s3types.LifecycleRuleFilter{Prefix: aws.String("old/")}, Expiration: &s3types.LifecycleExpiration{Days: aws.Int32(400)}})
	if _, err := c.S3.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String(bucketName),
		LifecycleConfiguration: &s3types.BucketLifecycleConfiguration{Rules: rules}}); err != nil {
		t.Fatal(err)
	}
	wantValue(t, c, "s3_bucket", bucketName, want) // the hand-made rule is not xacct's
	// A log bucket keeps replaced versions as long as current ones.
	for _, days := range []int32{30, 0} {
		bv.ExpirationDays, bv.NoncurrentDays = days, days
		next := value(t, bv)
		if err := k.Update(ctx, c, bucketName, want, next); err != nil {
			t.Fatal(err)
		}
		wantValue(t, c, "s3_bucket", bucketName, next)
		want = next
	}
	out, err := c.S3.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(bucketName)})
	if err != nil || len(out.Rules) != 1 || aws.ToString(out.Rules[0].ID) != "archive" {
		t.Errorf("after removing the expiry: rules %+v, err %v", out, err)
	}
}

// TestBucketUsage counts what a destroy that empties a bucket deletes,
// across pages, and stops at its limit saying there is more.
func TestBucketUsage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, f := resourcetest.New(prodAccount, region)
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucketName), CreateBucketConfiguration: locationIn(region)}))
	must(c.S3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(bucketName), VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}))
	// 1,500 keys (two pages), one of them twice, one deleted: the fake's
	// sizes are the keys' lengths.
	var bytes int64
	for i := range 1500 {
		key := fmt.Sprintf("k%04d", i)
		must(nil, f.PutObject(bucketName, key))
		bytes += int64(len(key))
	}
	must(nil, f.PutObject(bucketName, "k0000"))
	must(c.S3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucketName), Key: aws.String("k0001")}))
	got, err := resource.Usage(ctx, c, bucketName, resource.UsageLimit)
	want := resource.BucketUsage{Objects: 1499, Versions: 1501, DeleteMarkers: 1, Bytes: bytes + 5}
	if err != nil || got != want {
		t.Errorf("Usage = %+v, %v; want %+v", got, err, want)
	}
	if got, err := resource.Usage(ctx, c, bucketName, 1000); err != nil || !got.More || got.Versions+got.DeleteMarkers != 1000 {
		t.Errorf("Usage with limit 1000 = %+v, %v; want 1000 entries and More", got, err)
	}
	if got, err := resource.Usage(ctx, c, "absent-bucket", 10); err != nil || got != (resource.BucketUsage{}) {
		t.Errorf("Usage of an absent bucket = %+v, %v", got, err)
	}
}
