package resource

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

type bucketAPI interface {
	HeadBucket(context.Context, *s3.HeadBucketInput, ...func(*s3.Options)) (*s3.HeadBucketOutput, error)
	ListBuckets(context.Context, *s3.ListBucketsInput, ...func(*s3.Options)) (*s3.ListBucketsOutput, error)
	CreateBucket(context.Context, *s3.CreateBucketInput, ...func(*s3.Options)) (*s3.CreateBucketOutput, error)
	DeleteBucket(context.Context, *s3.DeleteBucketInput, ...func(*s3.Options)) (*s3.DeleteBucketOutput, error)
	GetBucketVersioning(context.Context, *s3.GetBucketVersioningInput, ...func(*s3.Options)) (*s3.GetBucketVersioningOutput, error)
	PutBucketVersioning(context.Context, *s3.PutBucketVersioningInput, ...func(*s3.Options)) (*s3.PutBucketVersioningOutput, error)
	GetBucketEncryption(context.Context, *s3.GetBucketEncryptionInput, ...func(*s3.Options)) (*s3.GetBucketEncryptionOutput, error)
	PutBucketEncryption(context.Context, *s3.PutBucketEncryptionInput, ...func(*s3.Options)) (*s3.PutBucketEncryptionOutput, error)
	GetPublicAccessBlock(context.Context, *s3.GetPublicAccessBlockInput, ...func(*s3.Options)) (*s3.GetPublicAccessBlockOutput, error)
	PutPublicAccessBlock(context.Context, *s3.PutPublicAccessBlockInput, ...func(*s3.Options)) (*s3.PutPublicAccessBlockOutput, error)
	GetBucketOwnershipControls(context.Context, *s3.GetBucketOwnershipControlsInput, ...func(*s3.Options)) (*s3.GetBucketOwnershipControlsOutput, error)
	PutBucketOwnershipControls(context.Context, *s3.PutBucketOwnershipControlsInput, ...func(*s3.Options)) (*s3.PutBucketOwnershipControlsOutput, error)
	GetBucketTagging(context.Context, *s3.GetBucketTaggingInput, ...func(*s3.Options)) (*s3.GetBucketTaggingOutput, error)
	PutBucketTagging(context.Context, *s3.PutBucketTaggingInput, ...func(*s3.Options)) (*s3.PutBucketTaggingOutput, error)
	ListObjectVersions(context.Context, *s3.ListObjectVersionsInput, ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error)
	DeleteObject(context.Context, *s3.DeleteObjectInput, ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
	GetBucketLifecycleConfiguration(context.Context, *s3.GetBucketLifecycleConfigurationInput, ...func(*s3.Options)) (*s3.GetBucketLifecycleConfigurationOutput, error)
	PutBucketLifecycleConfiguration(context.Context, *s3.PutBucketLifecycleConfigurationInput, ...func(*s3.Options)) (*s3.PutBucketLifecycleConfigurationOutput, error)
	DeleteBucketLifecycle(context.Context, *s3.DeleteBucketLifecycleInput, ...func(*s3.Options)) (*s3.DeleteBucketLifecycleOutput, error)
}

// ExpirationRuleID is the lifecycle rule xacct owns on a bucket with an
// expiry; rules of other IDs are left as they are.
const ExpirationRuleID = "xacct-expiration"

// PublicAccessBlock is a bucket's four Block Public Access settings.
type PublicAccessBlock struct {
	BlockPublicAcls       bool `json:"block_public_acls"`
	BlockPublicPolicy     bool `json:"block_public_policy"`
	IgnorePublicAcls      bool `json:"ignore_public_acls"`
	RestrictPublicBuckets bool `json:"restrict_public_buckets"`
}

// BucketValue is an S3 bucket and its hardening.
type BucketValue struct {
	Name              string            `json:"name"`
	Encryption        string            `json:"encryption"` // default encryption algorithm, "" for none
	Ownership         string            `json:"ownership"`  // object ownership, "" when not set
	PublicAccessBlock PublicAccessBlock `json:"public_access_block"`
	Tags              map[string]string `json:"tags"`
	Versioning        string            `json:"versioning"` // Enabled, Suspended or ""
	// ExpirationDays: objects expire this many days after they are written
	// and their noncurrent versions NoncurrentDays after they stopped being
	// current (the lifecycle rule ExpirationRuleID); 0 for none.
	ExpirationDays int32 `json:"expiration_days,omitempty"`
	NoncurrentDays int32 `json:"noncurrent_expiration_days,omitempty"`
}

type bucketKind struct{}

// ForeignBucketError is a bucket of the config that exists in an account
// other than the one it is meant for (the name is taken: bucket names are
// global).
type ForeignBucketError struct {
	Bucket string
	// AccountID is the account the bucket was read from, and meant for.
	AccountID string
}

func (e *ForeignBucketError) Error() string {
	return fmt.Sprintf("bucket %s exists but belongs to another account than %s (bucket names are global): choose another name", e.Bucket, e.AccountID)
}

// refusedBucket says why S3 refused (403) to read a bucket of the account's
// name: the account's own list of buckets tells a bucket another account
// owns from one of this account that its credentials may not read (an SCP,
// a boundary, a Deny in the bucket's policy); without that list, it says
// both.
func refusedBucket(ctx context.Context, c *Clients, name string, refused error) error {
	in := &s3.ListBucketsInput{}
	for {
		out, err := c.S3.ListBuckets(ctx, in)
		if err != nil {
			return fmt.Errorf("read bucket %s: access denied: another account owns it (bucket names are global), or this account's credentials may not read it (listing the account's buckets to tell which was refused too: %v): %w", name, err, refused)
		}
		for _, b := range out.Buckets {
			if aws.ToString(b.Name) == name {
				return fmt.Errorf("read bucket %s: the bucket is this account's, but its credentials may not read it: %w", name, refused)
			}
		}
		if aws.ToString(out.ContinuationToken) == "" {
			return &ForeignBucketError{Bucket: name, AccountID: c.AccountID}
		}
		in.ContinuationToken = out.ContinuationToken
	}
}

// BucketExists reports whether the account of c owns the bucket.
func BucketExists(ctx context.Context, c *Clients, name string) (bool, error) {
	_, err := c.S3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(name), ExpectedBucketOwner: bucketOwner(c)})
	switch {
	case err == nil:
		return true, nil
	case isNotFound(err, "NotFound", "NoSuchBucket", "Forbidden", "AccessDenied", "403"):
		return false, nil
	}
	return false, fmt.Errorf("read bucket %s: %w", name, err)
}

var (
	_ Kind       = bucketKind{}
	_ DataHolder = bucketKind{}
)

func (bucketKind) Tagged() bool { return true }

// bucketOwner is the ExpectedBucketOwner of every call on a bucket of c's
// account but its creation: S3 refuses (403) a call on a bucket another
// account owns, even one whose policy would let this account in, so xacct
// never reads or changes another account's bucket as if it were its own.
func bucketOwner(c *Clients) *string {
	if c.AccountID == "" {
		return nil
	}
	return aws.String(c.AccountID)
}

func (bucketKind) Read(ctx context.Context, c *Clients, name string) (Value, error) {
	b := aws.String(name)
	owner := bucketOwner(c)
	// Every part is read at once: a bucket that does not exist (or is
	// another account's) costs a few answered errors, one that does costs
	// one round trip instead of six. Whether it exists, and is this
	// account's, is what the versioning read answers: NoSuchBucket, or
	// 403 for a bucket of another account (ExpectedBucketOwner).
	var (
		wg                     sync.WaitGroup
		ver                    *s3.GetBucketVersioningOutput
		enc                    *s3.GetBucketEncryptionOutput
		pab                    *s3.GetPublicAccessBlockOutput
		own                    *s3.GetBucketOwnershipControlsOutput
		tags                   *s3.GetBucketTaggingOutput
		verErr, encErr, pabErr error
		ownErr, tagsErr        error
		life                   *s3.GetBucketLifecycleConfigurationOutput
		lifeErr                error
	)
	for _, read := range []func(){
		func() {
			ver, verErr = c.S3.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: b, ExpectedBucketOwner: owner})
		},
		func() {
			enc, encErr = c.S3.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: b, ExpectedBucketOwner: owner})
		},
		func() {
			pab, pabErr = c.S3.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: b, ExpectedBucketOwner: owner})
		},
		func() {
			own, ownErr = c.S3.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: b, ExpectedBucketOwner: owner})
		},
		func() {
			tags, tagsErr = c.S3.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: b, ExpectedBucketOwner: owner})
		},
		func() {
			life, lifeErr = c.S3.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: b, ExpectedBucketOwner: owner})
		},
	} {
		wg.Go(read)
	}
	wg.Wait()
	if err := verErr; err != nil {
		if isNotFound(err, "NotFound", "NoSuchBucket") {
			return nil, nil
		}
		if isNotFound(err, "Forbidden", "AccessDenied", "403") {
			return nil, refusedBucket(ctx, c, name, err)
		}
		return nil, fmt.Errorf("read bucket %s: %w", name, err)
	}
	v := BucketValue{Name: name, Tags: map[string]string{}}
	v.Versioning = string(ver.Status)
	switch err := encErr; {
	case isNotFound(err, "ServerSideEncryptionConfigurationNotFoundError"):
	case err != nil:
		return nil, fmt.Errorf("read encryption of bucket %s: %w", name, err)
	case enc.ServerSideEncryptionConfiguration != nil && len(enc.ServerSideEncryptionConfiguration.Rules) > 0:
		if d := enc.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault; d != nil {
			v.Encryption = string(d.SSEAlgorithm)
		}
	}
	switch err := pabErr; {
	case isNotFound(err, "NoSuchPublicAccessBlockConfiguration"):
	case err != nil:
		return nil, fmt.Errorf("read public access block of bucket %s: %w", name, err)
	case pab.PublicAccessBlockConfiguration != nil:
		p := pab.PublicAccessBlockConfiguration
		v.PublicAccessBlock = PublicAccessBlock{aws.ToBool(p.BlockPublicAcls), aws.ToBool(p.BlockPublicPolicy), aws.ToBool(p.IgnorePublicAcls), aws.ToBool(p.RestrictPublicBuckets)}
	}
	switch err := ownErr; {
	case isNotFound(err, "OwnershipControlsNotFoundError"):
	case err != nil:
		return nil, fmt.Errorf("read ownership controls of bucket %s: %w", name, err)
	case own.OwnershipControls != nil && len(own.OwnershipControls.Rules) > 0:
		v.Ownership = string(own.OwnershipControls.Rules[0].ObjectOwnership)
	}
	switch err := tagsErr; {
	case isNotFound(err, "NoSuchTagSet", "NoSuchTagSetError"):
	case err != nil:
		return nil, fmt.Errorf("read tags of bucket %s: %w", name, err)
	default:
		for _, t := range tags.TagSet {
			if !reservedTag(aws.ToString(t.Key)) {
				v.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
		}
	}
	switch err := lifeErr; {
	case isNotFound(err, "NoSuchLifecycleConfiguration"):
	case err != nil:
		return nil, fmt.Errorf("read lifecycle of bucket %s: %w", name, err)
	default:
		for _, r := range life.Rules {
			if aws.ToString(r.ID) == ExpirationRuleID && r.Status == s3types.ExpirationStatusEnabled && r.Expiration != nil {
				v.ExpirationDays = aws.ToInt32(r.Expiration.Days)
				if r.NoncurrentVersionExpiration != nil {
					v.NoncurrentDays = aws.ToInt32(r.NoncurrentVersionExpiration.NoncurrentDays)
				}
			}
		}
	}
	return marshal(v), nil
}

// putExpiration sets (days > 0) or removes the rule ExpirationRuleID and
// keeps every other rule of the bucket's lifecycle.
func putExpiration(ctx context.Context, c *Clients, name string, days, noncurrent int32) error {
	bk := aws.String(name)
	var rules []s3types.LifecycleRule
	out, err := c.S3.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: bk, ExpectedBucketOwner: bucketOwner(c)})
	switch {
	case isNotFound(err, "NoSuchLifecycleConfiguration"):
	case err != nil:
		return fmt.Errorf("read lifecycle of bucket %s: %w", name, err)
	default:
		rules = slices.DeleteFunc(out.Rules, func(r s3types.LifecycleRule) bool { return aws.ToString(r.ID) == ExpirationRuleID })
	}
	if days > 0 {
		rules = append(rules, s3types.LifecycleRule{
			ID: aws.String(ExpirationRuleID), Status: s3types.ExpirationStatusEnabled,
			Filter:                         &s3types.LifecycleRuleFilter{Prefix: aws.String("")},
			Expiration:                     &s3types.LifecycleExpiration{Days: aws.Int32(days)},
			NoncurrentVersionExpiration:    &s3types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(max(noncurrent, 1))},
			AbortIncompleteMultipartUpload: &s3types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(1)},
		})
	}
	if len(rules) == 0 {
		if _, err := c.S3.DeleteBucketLifecycle(ctx, &s3.DeleteBucketLifecycleInput{Bucket: bk, ExpectedBucketOwner: bucketOwner(c)}); err != nil {
			return fmt.Errorf("remove the lifecycle of bucket %s: %w", name, err)
		}
		return nil
	}
	if _, err := c.S3.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: bk, ExpectedBucketOwner: bucketOwner(c),
		LifecycleConfiguration: &s3types.BucketLifecycleConfiguration{Rules: rules}}); err != nil {
		return fmt.Errorf("set the lifecycle of bucket %s: %w", name, err)
	}
	return nil
}

func (k bucketKind) Create(ctx context.Context, c *Clients, name string, v Value) error {
	in := &s3.CreateBucketInput{Bucket: aws.String(name)}
	if c.Region != "" && c.Region != "us-east-1" {
		in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(c.Region)}
	}
	if _, err := c.S3.CreateBucket(ctx, in); err != nil && !isNotFound(err, "BucketAlreadyOwnedByYou") {
		return fmt.Errorf("create bucket %s: %w", name, err)
	}
	return k.Update(ctx, c, name, marshal(BucketValue{Name: name}), v)
}

// Update applies every setting that differs. Block Public Access and
// ownership come first, so the bucket is never open while it is set up.
func (bucketKind) Update(ctx context.Context, c *Clients, name string, before, after Value) error {
	var b, a BucketValue
	if err := unmarshal(before, &b); err != nil {
		return err
	}
	if err := unmarshal(after, &a); err != nil {
		return err
	}
	bk := aws.String(name)
	if a.PublicAccessBlock != b.PublicAccessBlock {
		p := a.PublicAccessBlock
		if _, err := c.S3.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: bk, ExpectedBucketOwner: bucketOwner(c), PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{
			BlockPublicAcls: aws.Bool(p.BlockPublicAcls), BlockPublicPolicy: aws.Bool(p.BlockPublicPolicy),
			IgnorePublicAcls: aws.Bool(p.IgnorePublicAcls), RestrictPublicBuckets: aws.Bool(p.RestrictPublicBuckets)}}); err != nil {
			return fmt.Errorf("block public access on bucket %s: %w", name, err)
		}
	}
	if a.Ownership != b.Ownership && a.Ownership != "" {
		if _, err := c.S3.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{Bucket: bk, ExpectedBucketOwner: bucketOwner(c), OwnershipControls: &s3types.OwnershipControls{
			Rules: []s3types.OwnershipControlsRule{{ObjectOwnership: s3types.ObjectOwnership(a.Ownership)}}}}); err != nil {
			return fmt.Errorf("set object ownership of bucket %s: %w", name, err)
		}
	}
	if a.Encryption != b.Encryption && a.Encryption != "" {
		if _, err := c.S3.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: bk, ExpectedBucketOwner: bucketOwner(c), ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{
			Rules: []s3types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryption(a.Encryption)}}}}}); err != nil {
			return fmt.Errorf("set default encryption of bucket %s: %w", name, err)
		}
	}
	if a.Versioning != b.Versioning && a.Versioning != "" {
		if _, err := c.S3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: bk, ExpectedBucketOwner: bucketOwner(c), VersioningConfiguration: &s3types.VersioningConfiguration{
			Status: s3types.BucketVersioningStatus(a.Versioning)}}); err != nil {
			return fmt.Errorf("set versioning of bucket %s: %w", name, err)
		}
	}
	if a.ExpirationDays != b.ExpirationDays || a.NoncurrentDays != b.NoncurrentDays {
		if err := putExpiration(ctx, c, name, a.ExpirationDays, a.NoncurrentDays); err != nil {
			return err
		}
	}
	if !sameTags(a.Tags, b.Tags) {
		var set []s3types.Tag
		for _, k := range slices.Sorted(maps.Keys(a.Tags)) {
			set = append(set, s3types.Tag{Key: aws.String(k), Value: aws.String(a.Tags[k])})
		}
		if _, err := c.S3.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: bk, ExpectedBucketOwner: bucketOwner(c), Tagging: &s3types.Tagging{TagSet: set}}); err != nil {
			return fmt.Errorf("tag bucket %s: %w", name, err)
		}
	}
	return nil
}

func sameTags(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
	}
	return true
}

func (bucketKind) Delete(ctx context.Context, c *Clients, name string, _ Value) error {
	_, err := c.S3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(name), ExpectedBucketOwner: bucketOwner(c)})
	if err != nil && !isNotFound(err, "NoSuchBucket", "NotFound") {
		return fmt.Errorf("delete bucket %s: %w", name, err)
	}
	return nil
}

// Count counts object versions and delete markers, up to limit.
func (bucketKind) Count(ctx context.Context, c *Clients, name string, limit int) (int, error) {
	out, err := c.S3.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(name), ExpectedBucketOwner: bucketOwner(c), MaxKeys: aws.Int32(int32(limit))})
	if isNotFound(err, "NoSuchBucket") {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("list objects of bucket %s: %w", name, err)
	}
	return len(out.Versions) + len(out.DeleteMarkers), nil
}

// BucketUsage is what a bucket holds, as a destroy that empties it
// deletes it.
type BucketUsage struct {
	// Objects are the keys whose current version is an object (not a
	// delete marker); Versions every object version, current or not;
	// DeleteMarkers the delete markers; Bytes the versions' sizes.
	Objects, Versions, DeleteMarkers int
	Bytes                            int64
	// More says the count stopped at its limit: the bucket holds more.
	More bool
}

// UsageLimit is where Usage stops counting: past it, a listing of a
// thousand entries a page would take long enough to delay the question it
// informs, and "more than 100,000 versions" says what matters.
const UsageLimit = 100_000

// Usage counts a bucket's objects, versions, delete markers and bytes with
// ListObjectVersions, up to limit entries (then More is set). A bucket
// that does not exist holds nothing.
func Usage(ctx context.Context, c *Clients, name string, limit int) (BucketUsage, error) {
	var u BucketUsage
	in := &s3.ListObjectVersionsInput{Bucket: aws.String(name), ExpectedBucketOwner: bucketOwner(c)}
	for {
		out, err := c.S3.ListObjectVersions(ctx, in)
		if isNotFound(err, "NoSuchBucket") {
			return BucketUsage{}, nil
		}
		if err != nil {
			return u, fmt.Errorf("list objects of bucket %s: %w", name, err)
		}
		for _, v := range out.Versions {
			u.Versions++
			u.Bytes += aws.ToInt64(v.Size)
			if aws.ToBool(v.IsLatest) {
				u.Objects++
			}
		}
		u.DeleteMarkers += len(out.DeleteMarkers)
		if u.Versions+u.DeleteMarkers >= limit && aws.ToBool(out.IsTruncated) {
			u.More = true
			return u, nil
		}
		if !aws.ToBool(out.IsTruncated) {
			return u, nil
		}
		in.KeyMarker, in.VersionIdMarker = out.NextKeyMarker, out.NextVersionIdMarker
	}
}

// Empty deletes every object version and delete marker.
func (bucketKind) Empty(ctx context.Context, c *Clients, name string) error {
	var previous []string
	for {
		out, err := c.S3.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(name), ExpectedBucketOwner: bucketOwner(c)})
		if isNotFound(err, "NoSuchBucket") {
			return nil
		}
		if err != nil {
			return fmt.Errorf("list objects of bucket %s: %w", name, err)
		}
		type kv struct{ key, version *string }
		var all []kv
		for _, v := range out.Versions {
			all = append(all, kv{v.Key, v.VersionId})
		}
		for _, m := range out.DeleteMarkers {
			all = append(all, kv{m.Key, m.VersionId})
		}
		if len(all) == 0 {
			return nil
		}
		// Each pass deletes what it listed: the same listing twice means
		// the deletes do not take, and another pass would not either.
		listed := make([]string, len(all))
		for i, o := range all {
			listed[i] = aws.ToString(o.key) + "\x00" + aws.ToString(o.version)
		}
		if slices.Equal(listed, previous) {
			return fmt.Errorf("empty bucket %s: %d objects are still listed after they were deleted", name, len(all))
		}
		previous = listed
		for _, o := range all {
			// Always by version ID, "null" included: without one, a
			// versioned bucket only gets another delete marker.
			in := &s3.DeleteObjectInput{Bucket: aws.String(name), ExpectedBucketOwner: bucketOwner(c), Key: o.key}
			if aws.ToString(o.version) != "" {
				in.VersionId = o.version
			}
			if _, err := c.S3.DeleteObject(ctx, in); err != nil {
				return fmt.Errorf("delete s3://%s/%s: %w", name, aws.ToString(o.key), err)
			}
		}
	}
}
