package resourcetest

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/xacct/xacct/internal/resource"
)

// S3 is the fake's S3.
type S3 struct {
	resource.S3API
	f *Fake
}

var _ resource.S3API = (*S3)(nil)

type bucket struct {
	// owner is the account that owns the bucket when it is not the
	// fake's (AddForeignBucket).
	owner        string
	versioning   s3types.BucketVersioningStatus
	encryption   *s3types.ServerSideEncryptionConfiguration
	publicAccess *s3types.PublicAccessBlockConfiguration
	ownership    *s3types.OwnershipControls
	tags         []s3types.Tag
	lifecycle    []s3types.LifecycleRule
	policy       *string
	notification *s3types.NotificationConfiguration
	objects      []object // oldest first
	lastVersion  int
}

// object is one version of an object, or a delete marker.
type object struct {
	key, version string
	marker       bool
}

func (x *S3) getBucket(name *string) (*bucket, error) {
	b := x.f.buckets[aws.ToString(name)]
	if b == nil {
		return nil, apiErr("NoSuchBucket", "The specified bucket does not exist")
	}
	return b, nil
}

// newVersion is the version ID of the next object or delete marker written
// without a version: a new one when versioning is enabled, else "null",
// which replaces the key's null version.
func (b *bucket) newVersion(key string) string {
	if b.versioning == s3types.BucketVersioningStatusEnabled {
		b.lastVersion++
		return fmt.Sprintf("v%d", b.lastVersion)
	}
	b.remove(key, "null")
	return "null"
}

func (b *bucket) remove(key, version string) {
	b.objects = slices.DeleteFunc(b.objects, func(o object) bool { return o.key == key && o.version == version })
}

// PutObject writes an object as S3 does under the bucket's versioning. It is
// for setting up tests and is not recorded as a call.
func (f *Fake) PutObject(bucket, key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	b := f.buckets[bucket]
	if b == nil {
		return fmt.Errorf("put s3://%s/%s: no such bucket", bucket, key)
	}
	b.objects = append(b.objects, object{key: key, version: b.newVersion(key)})
	return nil
}

// ObjectCount returns how many object versions and delete markers a
// bucket holds; an error when there is no such bucket.
func (f *Fake) ObjectCount(bucket string) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b := f.buckets[bucket]
	if b == nil {
		return 0, fmt.Errorf("s3://%s: no such bucket", bucket)
	}
	return len(b.objects), nil
}

// HeadBucket answers NotFound for a bucket that does not exist.
func (x *S3) HeadBucket(ctx context.Context, in *s3.HeadBucketInput, _ ...func(*s3.Options)) (*s3.HeadBucketOutput, error) {
	err := x.f.call(ctx, "S3", "HeadBucket", in, func() error {
		if x.f.buckets[aws.ToString(in.Bucket)] == nil {
			return apiErr("NotFound", "Not Found")
		}
		return nil
	})
	return ok(&s3.HeadBucketOutput{BucketRegion: aws.String(x.f.region)}, err)
}

// ListBuckets lists the account's own buckets, in one page.
func (x *S3) ListBuckets(ctx context.Context, in *s3.ListBucketsInput, _ ...func(*s3.Options)) (*s3.ListBucketsOutput, error) {
	out := &s3.ListBucketsOutput{}
	err := x.f.call(ctx, "S3", "ListBuckets", in, func() error {
		for _, name := range slices.Sorted(maps.Keys(x.f.buckets)) {
			if x.f.buckets[name].owner == "" {
				out.Buckets = append(out.Buckets, s3types.Bucket{Name: aws.String(name)})
			}
		}
		return nil
	})
	return ok(out, err)
}

// AddForeignBucket gives another account, owner, a bucket of that name
// whose policy lets this account in: a call that names an
// ExpectedBucketOwner other than owner is refused (403), as S3 refuses it,
// and any other is served as if the bucket were this account's.
func (f *Fake) AddForeignBucket(name, owner string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.buckets[name] = &bucket{owner: owner, versioning: s3types.BucketVersioningStatusEnabled}
}

// CreateBucket creates a bucket. As in S3, the location constraint must
// name the region, except in us-east-1 where there is none.
func (x *S3) CreateBucket(ctx context.Context, in *s3.CreateBucketInput, _ ...func(*s3.Options)) (*s3.CreateBucketOutput, error) {
	err := x.f.call(ctx, "S3", "CreateBucket", in, func() error {
		var loc string
		if in.CreateBucketConfiguration != nil {
			loc = string(in.CreateBucketConfiguration.LocationConstraint)
		}
		if want := x.f.region; loc != want && (want != "us-east-1" || loc != "") {
			return apiErr("IllegalLocationConstraintException", "The %q location constraint is incompatible for the region specific endpoint this request was sent to.", loc)
		}
		name := aws.ToString(in.Bucket)
		if x.f.buckets[name] != nil {
			return apiErr("BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.")
		}
		x.f.buckets[name] = &bucket{}
		return nil
	})
	return ok(&s3.CreateBucketOutput{Location: aws.String("/" + aws.ToString(in.Bucket))}, err)
}

// DeleteBucket deletes a bucket that holds no object versions.
func (x *S3) DeleteBucket(ctx context.Context, in *s3.DeleteBucketInput, _ ...func(*s3.Options)) (*s3.DeleteBucketOutput, error) {
	err := x.f.call(ctx, "S3", "DeleteBucket", in, func() error {
		b, err := x.getBucket(in.Bucket)
		if err != nil {
			return err
		}
		if len(b.objects) > 0 {
			return apiErr("BucketNotEmpty", "The bucket you tried to delete is not empty")
		}
		delete(x.f.buckets, aws.ToString(in.Bucket))
		return nil
	})
	return ok(&s3.DeleteBucketOutput{}, err)
}

// GetBucketVersioning returns the versioning status, empty if it was never
// set.
func (x *S3) GetBucketVersioning(ctx context.Context, in *s3.GetBucketVersioningInput, _ ...func(*s3.Options)) (*s3.GetBucketVersioningOutput, error) {
	var out *s3.GetBucketVersioningOutput
	err := x.f.call(ctx, "S3", "GetBucketVersioning", in, func() error {
		b, err := x.getBucket(in.Bucket)
		if err != nil {
			return err
		}
		out = &s3.GetBucketVersioningOutput{Status: b.versioning}
		return nil
	})
	return out, err
}

// PutBucketVersioning sets the versioning status.
func (x *S3) PutBucketVersioning(ctx context.Context, in *s3.PutBucketVersioningInput, _ ...func(*s3.Options)) (*s3.PutBucketVersioningOutput, error) {
	err := x.f.call(ctx, "S3", "PutBucketVersioning", in, func() error {
		b, err := x.getBucket(in.Bucket)
		if err != nil {
			return err
		}
		b.versioning = in.VersioningConfiguration.Status
		return nil
	})
	return ok(&s3.PutBucketVersioningOutput{}, err)
}

// GetBucketEncryption returns the default encryption.
func (x *S3) GetBucketEncryption(ctx context.Context, in *s3.GetBucketEncryptionInput, _ ...func(*s3.Options)) (*s3.GetBucketEncryptionOutput, error) {
	var out *s3.GetBucketEncryptionOutput
	err := x.f.call(ctx, "S3", "GetBucketEncryption", in, func() error {
		b, err := x.getBucket(in.Bucket)
		if err != nil {
			return err
		}
		if b.encryption == nil {
			return apiErr("ServerSideEncryptionConfigurationNotFoundError", "The server side encryption configuration was not found")
		}
		out = &s3.GetBucketEncryptionOutput{ServerSideEncryptionConfiguration: b.encryption}
		return nil
	})
	return out, err
}

// PutBucketEncryption sets the default encryption.
func (x *S3) PutBucketEncryption(ctx context.Context, in *s3.PutBucketEncryptionInput, _ ...func(*s3.Options)) (*s3.PutBucketEncryptionOutput, error) {
	err := x.f.call(ctx, "S3", "PutBucketEncryption", in, func() error {
		b, err := x.getBucket(in.Bucket)
		if err != nil {
			return err
		}
		b.encryption = in.ServerSideEncryptionConfiguration
		return nil
	})
	return ok(&s3.PutBucketEncryptionOutput{}, err)
}

// GetPublicAccessBlock returns the Block Public Access settings.
func (x *S3) GetPublicAccessBlock(ctx context.Context, in *s3.GetPublicAccessBlockInput, _ ...func(*s3.Options)) (*s3.GetPublicAccessBlockOutput, error) {
	var out *s3.GetPublicAccessBlockOutput
	err := x.f.call(ctx, "S3", "GetPublicAccessBlock", in, func() error {
		b, err := x.getBucket(in.Bucket)
		if err != nil {
			return err
		}
		if b.publicAccess == nil {
			return apiErr("NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found")
		}
		out = &s3.GetPublicAccessBlockOutput{PublicAccessBlockConfiguration: b.publicAccess}
		return nil
	})
	return out, err
}

// PutPublicAccessBlock sets the Block Public Access settings.
func (x *S3) PutPublicAccessBlock(ctx context.Context, in *s3.PutPublicAccessBlockInput, _ ...func(*s3.Options)) (*s3.PutPublicAccessBlockOutput, error) {
	err := x.f.call(ctx, "S3", "PutPublicAccessBlock", in, func() error {
		b, err := x.getBucket(in.Bucket)
		if err != nil {
			return err
		}
		b.publicAccess = in.PublicAccessBlockConfiguration
		return nil
	})
	return ok(&s3.PutPublicAccessBlockOutput{}, err)
}

// GetBucketOwnershipControls returns the Object Ownership setting.
func (x *S3) GetBucketOwnershipControls(ctx context.Context, in *s3.GetBucketOwnershipControlsInput, _ ...func(*s3.Options)) (*s3.GetBucketOwnershipControlsOutput, error) {
	var out *s3.GetBucketOwnershipControlsOutput
	err := x.f.call(ctx, "S3", "GetBucketOwnershipControls", in, func() error {
		b, err := x.getBucket(in.Bucket)
		if err != nil {
			return err
		}
		if b.ownership == nil {
			return apiErr("OwnershipControlsNotFoundError", "The bucket ownership controls were not found")
		}
		out = &s3.GetBucketOwnershipControlsOutput{OwnershipControls: b.ownership}
		return nil
	})
	return out, err
}

// PutBucketOwnershipControls sets the Object Ownership setting.
func (x *S3) PutBucketOwnershipControls(ctx context.Context, in *s3.PutBucketOwnershipControlsInput, _ ...func(*s3.Options)) (*s3.PutBucketOwnershipControlsOutput, error) {
	err := x.f.call(ctx, "S3", "PutBucketOwnershipControls", in, func() error {
		b, err := x.getBucket(in.Bucket)
		if err != nil {
			return err
		}
		b.ownership = in.OwnershipControls
		return nil
	})
	return ok(&s3.PutBucketOwnershipControlsOutput{}, err)
}

// GetBucketTagging returns the tag set, NoSuchTagSet when there is none.
func (x *S3) GetBucketTagging(ctx context.Context, in *s3.GetBucketTaggingInput, _ ...func(*s3.Options)) (*s3.GetBucketTaggingOutput, error) {
	var out *s3.GetBucketTaggingOutput
	err := x.f.call(ctx, "S3", "GetBucketTagging", in, func() error {
		b, err := x.getBucket(in.Bucket)
		if err != nil {
			return err
		}
		if len(b.tags) == 0 {
			return apiErr("NoSuchTagSet", "The TagSet does not exist")
		}
		out = &s3.GetBucketTaggingOutput{TagSet: slices.Clone(b.tags)}
		return nil
	})
	return out, err
}

// PutBucketTagging replaces the tag set.
func (x *S3) PutBucketTagging(ctx context.Context, in *s3.PutBucketTaggingInput, _ ...func(*s3.Options)) (*s3.PutBucketTaggingOutput, error) {
	err := x.f.call(ctx, "S3", "PutBucketTagging", in, func() error {
		b, err := x.getBucket(in.Bucket)
		if err != nil {
			return err
		}
		b.tags = slices.Clone(in.Tagging.TagSet)
		return nil
	})
	return ok(&s3.PutBucketTaggingOutput{}, err)
}

// GetBucketLifecycleConfiguration returns the rules,
// NoSuchLifecycleConfiguration when there are none.
func (x *S3) GetBucketLifecycleConfiguration(ctx context.Context, in *s3.GetBucketLifecycleConfigurationInput, _ ...func(*s3.Options)) (*s3.GetBucketLifecycleConfigurationOutput, error) {
	var out *s3.GetBucketLifecycleConfigurationOutput
	err := x.f.call(ctx, "S3", "GetBucketLifecycleConfiguration", in, func() error {
		b, err := x.getBucket(in.Bucket)
		if err != nil {
			return err
		}
		if len(b.lifecycle) == 0 {
			return apiErr("NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist")
		}
		out = &s3.GetBucketLifecycleConfigurationOutput{Rules: slices.Clone(b.lifecycle)}
		return nil
	})
	return out, err
}

// PutBucketLifecycleConfiguration replaces the rules.
func (x *S3) PutBucketLifecycleConfiguration(ctx context.Context, in *s3.PutBucketLifecycleConfigurationInput, _ ...func(*s3.Options)) (*s3.PutBucketLifecycleConfigurationOutput, error) {
	err := x.f.call(ctx, "S3", "PutBucketLifecycleConfiguration", in, func() error {
		b, err := x.getBucket(in.Bucket)
		if err != nil {
			return err
		}
		b.lifecycle = slices.Clone(in.LifecycleConfiguration.Rules)
		return nil
	})
	return ok(&s3.PutBucketLifecycleConfigurationOutput{}, err)
}

// DeleteBucketLifecycle removes every rule.
func (x *S3) DeleteBucketLifecycle(ctx context.Context, in *s3.DeleteBucketLifecycleInput, _ ...func(*s3.Options)) (*s3.DeleteBucketLifecycleOutput, error) {
	err := x.f.call(ctx, "S3", "DeleteBucketLifecycle", in, func() error {
		b, err := x.getBucket(in.Bucket)
		if err != nil {
			return err
		}
		b.lifecycle = nil
		return nil
	})
	return ok(&s3.DeleteBucketLifecycleOutput{}, err)
}

// ListObjectVersions lists versions and delete markers by key, newest first
// within a key, up to MaxKeys (1000 unless given) in all, from after
// KeyMarker and VersionIdMarker. A version's size is its key's length, so
// that tests can count bytes.
func (x *S3) ListObjectVersions(ctx context.Context, in *s3.ListObjectVersionsInput, _ ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error) {
	var out *s3.ListObjectVersionsOutput
	err := x.f.call(ctx, "S3", "ListObjectVersions", in, func() error {
		b, err := x.getBucket(in.Bucket)
		if err != nil {
			return err
		}
		max := int(aws.ToInt32(in.MaxKeys))
		if in.MaxKeys == nil {
			max = 1000
		}
		all := slices.Clone(b.objects)
		slices.Reverse(all)
		slices.SortStableFunc(all, func(a, b object) int { return cmp.Compare(a.key, b.key) })
		start := 0
		if in.KeyMarker != nil {
			start = slices.IndexFunc(all, func(o object) bool {
				return o.key == aws.ToString(in.KeyMarker) && o.version == aws.ToString(in.VersionIdMarker)
			}) + 1
		}
		end := min(start+max, len(all))
		out = &s3.ListObjectVersionsOutput{Name: in.Bucket, MaxKeys: aws.Int32(int32(max)), IsTruncated: aws.Bool(end < len(all))}
		if end < len(all) {
			out.NextKeyMarker, out.NextVersionIdMarker = aws.String(all[end-1].key), aws.String(all[end-1].version)
		}
		for i := start; i < end; i++ {
			o := all[i]
			latest := aws.Bool(i == 0 || all[i-1].key != o.key)
			if o.marker {
				out.DeleteMarkers = append(out.DeleteMarkers, s3types.DeleteMarkerEntry{Key: aws.String(o.key), VersionId: aws.String(o.version), IsLatest: latest})
			} else {
				out.Versions = append(out.Versions, s3types.ObjectVersion{Key: aws.String(o.key), VersionId: aws.String(o.version), IsLatest: latest, Size: aws.Int64(int64(len(o.key)))})
			}
		}
		return nil
	})
	return out, err
}

// DeleteObject deletes as S3 does: with a version ID, that version or
// delete marker for good; without one, the null version when versioning
// was never enabled, else it writes a delete marker (with version "null",
// replacing the null version, when versioning is suspended).
func (x *S3) DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, _ ...func(*s3.Options)) (*s3.DeleteObjectOutput, error) {
	var out *s3.DeleteObjectOutput
	err := x.f.call(ctx, "S3", "DeleteObject", in, func() error {
		b, err := x.getBucket(in.Bucket)
		if err != nil {
			return err
		}
		key := aws.ToString(in.Key)
		out = &s3.DeleteObjectOutput{}
		switch {
		case in.VersionId != nil:
			b.remove(key, *in.VersionId)
			out.VersionId = in.VersionId
		case b.versioning == "":
			b.remove(key, "null")
		default:
			m := object{key: key, version: b.newVersion(key), marker: true}
			b.objects = append(b.objects, m)
			out.VersionId, out.DeleteMarker = aws.String(m.version), aws.Bool(true)
		}
		return nil
	})
	return out, err
}

// GetBucketPolicy returns the policy as it was put.
func (x *S3) GetBucketPolicy(ctx context.Context, in *s3.GetBucketPolicyInput, _ ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error) {
	var out *s3.GetBucketPolicyOutput
	err := x.f.call(ctx, "S3", "GetBucketPolicy", in, func() error {
		b, err := x.getBucket(in.Bucket)
		if err != nil {
			return err
		}
		if b.policy == nil {
			return apiErr("NoSuchBucketPolicy", "The bucket policy does not exist")
		}
		out = &s3.GetBucketPolicyOutput{Policy: b.policy}
		return nil
	})
	return out, err
}

// PutBucketPolicy replaces the policy.
func (x *S3) PutBucketPolicy(ctx context.Context, in *s3.PutBucketPolicyInput, _ ...func(*s3.Options)) (*s3.PutBucketPolicyOutput, error) {
	err := x.f.call(ctx, "S3", "PutBucketPolicy", in, func() error {
		b, err := x.getBucket(in.Bucket)
		if err != nil {
			return err
		}
		b.policy = in.Policy
		return nil
	})
	return ok(&s3.PutBucketPolicyOutput{}, err)
}

// DeleteBucketPolicy deletes the policy; deleting none succeeds, as in S3.
func (x *S3) DeleteBucketPolicy(ctx context.Context, in *s3.DeleteBucketPolicyInput, _ ...func(*s3.Options)) (*s3.DeleteBucketPolicyOutput, error) {
	err := x.f.call(ctx, "S3", "DeleteBucketPolicy", in, func() error {
		b, err := x.getBucket(in.Bucket)
		if err != nil {
			return err
		}
		b.policy = nil
		return nil
	})
	return ok(&s3.DeleteBucketPolicyOutput{}, err)
}

// GetBucketNotificationConfiguration returns the configuration, empty when
// none was put, with filter rule names capitalized as S3 returns them.
func (x *S3) GetBucketNotificationConfiguration(ctx context.Context, in *s3.GetBucketNotificationConfigurationInput, _ ...func(*s3.Options)) (*s3.GetBucketNotificationConfigurationOutput, error) {
	var out *s3.GetBucketNotificationConfigurationOutput
	err := x.f.call(ctx, "S3", "GetBucketNotificationConfiguration", in, func() error {
		b, err := x.getBucket(in.Bucket)
		if err != nil {
			return err
		}
		out = &s3.GetBucketNotificationConfigurationOutput{}
		if b.notification == nil {
			return nil
		}
		for _, fc := range b.notification.LambdaFunctionConfigurations {
			if fc.Filter != nil && fc.Filter.Key != nil {
				var rules []s3types.FilterRule
				for _, r := range fc.Filter.Key.FilterRules {
					name := string(r.Name)
					if name != "" {
						name = strings.ToUpper(name[:1]) + name[1:]
					}
					rules = append(rules, s3types.FilterRule{Name: s3types.FilterRuleName(name), Value: r.Value})
				}
				fc.Filter = &s3types.NotificationConfigurationFilter{Key: &s3types.S3KeyFilter{FilterRules: rules}}
			}
			out.LambdaFunctionConfigurations = append(out.LambdaFunctionConfigurations, fc)
		}
		return nil
	})
	return out, err
}

// PutBucketNotificationConfiguration replaces the configuration.
func (x *S3) PutBucketNotificationConfiguration(ctx context.Context, in *s3.PutBucketNotificationConfigurationInput, _ ...func(*s3.Options)) (*s3.PutBucketNotificationConfigurationOutput, error) {
	err := x.f.call(ctx, "S3", "PutBucketNotificationConfiguration", in, func() error {
		b, err := x.getBucket(in.Bucket)
		if err != nil {
			return err
		}
		b.notification = in.NotificationConfiguration
		return nil
	})
	return ok(&s3.PutBucketNotificationConfigurationOutput{}, err)
}
