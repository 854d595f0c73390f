package sandbox

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	s3ctypes "github.com/aws/aws-sdk-go-v2/service/s3control/types"
)

// The S3 and S3 Control cases of TestAuthzFromSDKRequests.

// sdkJobID is the Batch Operations job the test plants: priority 5,
// suspended awaiting its confirmation.
const sdkJobID = "6d8f1f2a-aaaa-4bbb-8ccc-444455556666"

// s3Client is an S3 client of the recorder, path-style (the recorder has
// no bucket host names).
func (s *sdkRequests) s3Client() *s3.Client {
	return s3.NewFromConfig(s.cfg, func(o *s3.Options) { o.UsePathStyle = true })
}

// s3ControlClient is an S3 Control client of the recorder: S3 Control puts
// the account in the host name, so its connections go to the recorder
// whatever the host.
func (s *sdkRequests) s3ControlClient() *s3control.Client {
	return s3control.NewFromConfig(s.cfg, func(o *s3control.Options) {
		o.HTTPClient = &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, s.srv.Listener.Addr().String())
		}}}
	})
}

// s3RequestKeys are the keys of how an S3 request was made, which every
// S3 action takes: signed in its Authorization header with SigV4, over
// TLS 1.3 (the test sets it: the gateway serves S3 over TLS), with the
// payload hash it declares, a signature of some age.
var s3RequestKeys = map[string]string{
	"s3:authType": "REST-HEADER", "s3:signatureversion": "AWS4-HMAC-SHA256", "s3:TlsVersion": "1.3",
	"s3:x-amz-content-sha256": sha256Header, "s3:signatureAge": anyValue,
}

// s3Keys are the keys a request for action carries: s3RequestKeys (those
// the reference lists for it), s3:ResourceAccount the account that holds
// the resource, and kv.
func s3Keys(action, account string, kv ...string) map[string]string {
	ra := authzReference()[action]
	m := map[string]string{}
	for k, v := range s3RequestKeys {
		if ra != nil && slices.Contains(ra.keys, k) {
			m[k] = v
		}
	}
	m["s3:ResourceAccount"] = account
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// s3Case is a case of one authorization, with the keys s3Keys gives
// (the resource held by account) and, where the reference lists
// s3:ExistingObjectTag, the object's tags offered lazily.
func s3Case(action, name, resource, account string, do func(ctx context.Context) error, kv ...string) sdkAuthzCase {
	tc := sdkAuthzCase{action: action, name: name, resources: []string{resource}, keys: s3Keys(action, account, kv...), do: do}
	if ra := authzReference()[action]; ra != nil && slices.Contains(ra.keys, "s3:ExistingObjectTag/<key>") {
		tc.fromState = []string{"s3:ExistingObjectTag/<key>"}
	}
	if ra := authzReference()[action]; ra != nil && slices.Contains(ra.keys, "s3:RequestObjectTag/<key>") && tc.keys["s3:RequestObjectTagKeys"] == "" {
		tc.absent = []string{"s3:RequestObjectTag/<key>", "s3:RequestObjectTagKeys"}
	}
	return tc
}

func s3SDKCases(c *s3.Client, acct, other string) []sdkAuthzCase {
	const bucket, obj = "arn:aws:s3:::b", "arn:aws:s3:::b/dir/k"
	s := aws.String
	b, k, v := s("b"), s("dir/k"), s("v1")
	one := func(action, resource string, do func(ctx context.Context) error, kv ...string) sdkAuthzCase {
		return s3Case(action, "", resource, acct, do, kv...)
	}
	named := func(action, name, resource string, do func(ctx context.Context) error, kv ...string) sdkAuthzCase {
		return s3Case(action, name, resource, acct, do, kv...)
	}
	tags := []s3types.Tag{{Key: s("Env"), Value: s("prod")}}
	policy := s(`{"Version":"2012-10-17","Statement":[]}`)
	return []sdkAuthzCase{
		{action: "s3:ListAllMyBuckets", resources: []string{"arn:aws:s3:::*"}, keys: s3Keys("s3:ListAllMyBuckets", acct), do: func(ctx context.Context) error {
			_, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
			return err
		}},
		{action: "s3:CreateBucket", resources: []string{"arn:aws:s3:::nb"},
			keys: s3Keys("s3:CreateBucket", acct, "s3:locationconstraint", "eu-west-1", "s3:x-amz-acl", "private", "s3:x-amz-object-ownership", "BucketOwnerPreferred",
				"aws:RequestTag/Env", "prod", "aws:TagKeys", "Env"),
			do: func(ctx context.Context) error {
				_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: s("nb"), ACL: s3types.BucketCannedACLPrivate, ObjectOwnership: s3types.ObjectOwnershipBucketOwnerPreferred,
					CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraintEuWest1, Tags: tags}})
				return err
			}},
		{action: "s3:CreateBucket", name: "with grants", resources: []string{"arn:aws:s3:::nb"}, absent: []string{"aws:RequestTag/${TagKey}", "aws:TagKeys"},
			keys: s3Keys("s3:CreateBucket", acct, "s3:x-amz-grant-full-control", "id=f", "s3:x-amz-grant-read", "id=r", "s3:x-amz-grant-read-acp", "id=ra",
				"s3:x-amz-grant-write", "id=w", "s3:x-amz-grant-write-acp", "id=wa"),
			do: func(ctx context.Context) error {
				_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: s("nb"), GrantFullControl: s("id=f"), GrantRead: s("id=r"), GrantReadACP: s("id=ra"),
					GrantWrite: s("id=w"), GrantWriteACP: s("id=wa")})
				return err
			}},
		one("s3:DeleteBucket", bucket, func(ctx context.Context) error {
			_, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: b})
			return err
		}),
		one("s3:ListBucket", bucket, func(ctx context.Context) error {
			_, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b, Prefix: s("dir/"), Delimiter: s("/"), MaxKeys: aws.Int32(7)})
			return err
		}, "s3:prefix", "dir/", "s3:delimiter", "/", "s3:max-keys", "7"),
		named("s3:ListBucket", "version 1", bucket, func(ctx context.Context) error {
			_, err := c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: b, Prefix: s("dir/"), Delimiter: s("/"), MaxKeys: aws.Int32(7)})
			return err
		}, "s3:prefix", "dir/", "s3:delimiter", "/", "s3:max-keys", "7"),
		named("s3:ListBucket", "HeadBucket", bucket, func(ctx context.Context) error {
			_, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: b})
			return err
		}),
		s3Case("s3:ListBucket", "another account's bucket", "arn:aws:s3:::x", other, func(ctx context.Context) error {
			_, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: s("x")})
			return err
		}),
		one("s3:ListBucketVersions", bucket, func(ctx context.Context) error {
			_, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: b, Prefix: s("dir/"), Delimiter: s("/"), MaxKeys: aws.Int32(7)})
			return err
		}, "s3:prefix", "dir/", "s3:delimiter", "/", "s3:max-keys", "7"),
		one("s3:ListBucketMultipartUploads", bucket, func(ctx context.Context) error {
			_, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: b, Prefix: s("dir/")})
			return err
		}),
		one("s3:GetBucketPolicy", bucket, func(ctx context.Context) error {
			_, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: b})
			return err
		}),
		s3Case("s3:GetBucketPolicy", "another account's bucket", "arn:aws:s3:::x", other, func(ctx context.Context) error {
			_, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: s("x")})
			return err
		}),
		one("s3:PutBucketPolicy", bucket, func(ctx context.Context) error {
			_, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: b, Policy: policy})
			return err
		}),
		one("s3:DeleteBucketPolicy", bucket, func(ctx context.Context) error {
			_, err := c.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: b})
			return err
		}),
		one("s3:GetBucketPublicAccessBlock", bucket, func(ctx context.Context) error {
			_, err := c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: b})
			return err
		}),
		one("s3:PutBucketPublicAccessBlock", bucket, func(ctx context.Context) error {
			_, err := c.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: b, PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{BlockPublicAcls: aws.Bool(true)}})
			return err
		}),
		named("s3:PutBucketPublicAccessBlock", "DeletePublicAccessBlock", bucket, func(ctx context.Context) error {
			_, err := c.DeletePublicAccessBlock(ctx, &s3.DeletePublicAccessBlockInput{Bucket: b})
			return err
		}),
		one("s3:GetEncryptionConfiguration", bucket, func(ctx context.Context) error {
			_, err := c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: b})
			return err
		}),
		one("s3:PutEncryptionConfiguration", bucket, func(ctx context.Context) error {
			_, err := c.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: b, ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{
				Rules: []s3types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAes256}}}}})
			return err
		}),
		named("s3:PutEncryptionConfiguration", "DeleteBucketEncryption", bucket, func(ctx context.Context) error {
			_, err := c.DeleteBucketEncryption(ctx, &s3.DeleteBucketEncryptionInput{Bucket: b})
			return err
		}),
		one("s3:GetBucketVersioning", bucket, func(ctx context.Context) error {
			_, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: b})
			return err
		}),
		one("s3:PutBucketVersioning", bucket, func(ctx context.Context) error {
			_, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: b, VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}})
			return err
		}),
		one("s3:GetBucketTagging", bucket, func(ctx context.Context) error {
			_, err := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: b})
			return err
		}),
		one("s3:PutBucketTagging", bucket, func(ctx context.Context) error {
			_, err := c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: b, Tagging: &s3types.Tagging{TagSet: tags}})
			return err
		}),
		named("s3:PutBucketTagging", "DeleteBucketTagging", bucket, func(ctx context.Context) error {
			_, err := c.DeleteBucketTagging(ctx, &s3.DeleteBucketTaggingInput{Bucket: b})
			return err
		}),
		one("s3:GetBucketOwnershipControls", bucket, func(ctx context.Context) error {
			_, err := c.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: b})
			return err
		}),
		one("s3:PutBucketOwnershipControls", bucket, func(ctx context.Context) error {
			_, err := c.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{Bucket: b, OwnershipControls: &s3types.OwnershipControls{
				Rules: []s3types.OwnershipControlsRule{{ObjectOwnership: s3types.ObjectOwnershipBucketOwnerEnforced}}}})
			return err
		}),
		named("s3:PutBucketOwnershipControls", "DeleteBucketOwnershipControls", bucket, func(ctx context.Context) error {
			_, err := c.DeleteBucketOwnershipControls(ctx, &s3.DeleteBucketOwnershipControlsInput{Bucket: b})
			return err
		}),
		one("s3:GetBucketNotification", bucket, func(ctx context.Context) error {
			_, err := c.GetBucketNotificationConfiguration(ctx, &s3.GetBucketNotificationConfigurationInput{Bucket: b})
			return err
		}),
		one("s3:PutBucketNotification", bucket, func(ctx context.Context) error {
			_, err := c.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{Bucket: b, NotificationConfiguration: &s3types.NotificationConfiguration{}})
			return err
		}),
		one("s3:GetBucketAcl", bucket, func(ctx context.Context) error {
			_, err := c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: b})
			return err
		}),
		one("s3:PutBucketAcl", bucket, func(ctx context.Context) error {
			_, err := c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: b, ACL: s3types.BucketCannedACLPublicRead})
			return err
		}, "s3:x-amz-acl", "public-read"),
		named("s3:PutBucketAcl", "with grants", bucket, func(ctx context.Context) error {
			_, err := c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: b, GrantFullControl: s("id=f"), GrantRead: s("id=r"), GrantReadACP: s("id=ra"),
				GrantWrite: s("id=w"), GrantWriteACP: s("id=wa")})
			return err
		}, "s3:x-amz-grant-full-control", "id=f", "s3:x-amz-grant-read", "id=r", "s3:x-amz-grant-read-acp", "id=ra",
			"s3:x-amz-grant-write", "id=w", "s3:x-amz-grant-write-acp", "id=wa"),
		one("s3:GetBucketCORS", bucket, func(ctx context.Context) error {
			_, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: b})
			return err
		}),
		one("s3:PutBucketCORS", bucket, func(ctx context.Context) error {
			_, err := c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: b, CORSConfiguration: &s3types.CORSConfiguration{
				CORSRules: []s3types.CORSRule{{AllowedMethods: []string{"GET"}, AllowedOrigins: []string{"*"}}}}})
			return err
		}),
		named("s3:PutBucketCORS", "DeleteBucketCors", bucket, func(ctx context.Context) error {
			_, err := c.DeleteBucketCors(ctx, &s3.DeleteBucketCorsInput{Bucket: b})
			return err
		}),
		one("s3:GetLifecycleConfiguration", bucket, func(ctx context.Context) error {
			_, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: b})
			return err
		}),
		one("s3:PutLifecycleConfiguration", bucket, func(ctx context.Context) error {
			_, err := c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: b, LifecycleConfiguration: &s3types.BucketLifecycleConfiguration{
				Rules: []s3types.LifecycleRule{{Status: s3types.ExpirationStatusEnabled, Filter: &s3types.LifecycleRuleFilter{Prefix: s("tmp/")}, Expiration: &s3types.LifecycleExpiration{Days: aws.Int32(1)}}}}})
			return err
		}),
		named("s3:PutLifecycleConfiguration", "DeleteBucketLifecycle", bucket, func(ctx context.Context) error {
			_, err := c.DeleteBucketLifecycle(ctx, &s3.DeleteBucketLifecycleInput{Bucket: b})
			return err
		}),
		one("s3:GetBucketWebsite", bucket, func(ctx context.Context) error {
			_, err := c.GetBucketWebsite(ctx, &s3.GetBucketWebsiteInput{Bucket: b})
			return err
		}),
		one("s3:PutBucketWebsite", bucket, func(ctx context.Context) error {
			_, err := c.PutBucketWebsite(ctx, &s3.PutBucketWebsiteInput{Bucket: b, WebsiteConfiguration: &s3types.WebsiteConfiguration{IndexDocument: &s3types.IndexDocument{Suffix: s("index.html")}}})
			return err
		}),
		named("s3:PutBucketWebsite", "DeleteBucketWebsite", bucket, func(ctx context.Context) error {
			_, err := c.DeleteBucketWebsite(ctx, &s3.DeleteBucketWebsiteInput{Bucket: b})
			return err
		}),
		one("s3:GetBucketLogging", bucket, func(ctx context.Context) error {
			_, err := c.GetBucketLogging(ctx, &s3.GetBucketLoggingInput{Bucket: b})
			return err
		}),
		one("s3:PutBucketLogging", bucket, func(ctx context.Context) error {
			_, err := c.PutBucketLogging(ctx, &s3.PutBucketLoggingInput{Bucket: b, BucketLoggingStatus: &s3types.BucketLoggingStatus{}})
			return err
		}),
		one("s3:GetBucketObjectLockConfiguration", bucket, func(ctx context.Context) error {
			_, err := c.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: b})
			return err
		}),
		one("s3:PutBucketObjectLockConfiguration", bucket, func(ctx context.Context) error {
			_, err := c.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{Bucket: b, ObjectLockConfiguration: &s3types.ObjectLockConfiguration{ObjectLockEnabled: s3types.ObjectLockEnabledEnabled}})
			return err
		}),
		one("s3:GetBucketLocation", bucket, func(ctx context.Context) error {
			_, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: b})
			return err
		}),
		one("s3:GetBucketPolicyStatus", bucket, func(ctx context.Context) error {
			_, err := c.GetBucketPolicyStatus(ctx, &s3.GetBucketPolicyStatusInput{Bucket: b})
			return err
		}),

		// Objects.
		one("s3:GetObject", obj, func(ctx context.Context) error {
			_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: k})
			return err
		}),
		named("s3:GetObject", "HeadObject", obj, func(ctx context.Context) error {
			_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: k})
			return err
		}),
		s3Case("s3:GetObject", "another account's bucket", "arn:aws:s3:::x/dir/k", other, func(ctx context.Context) error {
			_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: s("x"), Key: k})
			return err
		}),
		one("s3:GetObjectVersion", obj, func(ctx context.Context) error {
			_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: k, VersionId: v})
			return err
		}, "s3:versionid", "v1"),
		one("s3:GetObjectAttributes", obj, func(ctx context.Context) error {
			_, err := c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: b, Key: k, ObjectAttributes: []s3types.ObjectAttributes{s3types.ObjectAttributesEtag}})
			return err
		}),
		one("s3:GetObjectVersionAttributes", obj, func(ctx context.Context) error {
			_, err := c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: b, Key: k, VersionId: v, ObjectAttributes: []s3types.ObjectAttributes{s3types.ObjectAttributesEtag}})
			return err
		}, "s3:versionid", "v1"),
		one("s3:GetObjectTagging", obj, func(ctx context.Context) error {
			_, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: b, Key: k})
			return err
		}),
		one("s3:GetObjectVersionTagging", obj, func(ctx context.Context) error {
			_, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: b, Key: k, VersionId: v})
			return err
		}, "s3:versionid", "v1"),
		one("s3:GetObjectAcl", obj, func(ctx context.Context) error {
			_, err := c.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: b, Key: k})
			return err
		}),
		one("s3:GetObjectVersionAcl", obj, func(ctx context.Context) error {
			_, err := c.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: b, Key: k, VersionId: v})
			return err
		}, "s3:versionid", "v1"),
		one("s3:PutObject", obj, func(ctx context.Context) error {
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: k, Body: bytes.NewReader([]byte("data")), ACL: s3types.ObjectCannedACLBucketOwnerFullControl,
				Tagging: s("Env=prod"), ServerSideEncryption: s3types.ServerSideEncryptionAes256, StorageClass: s3types.StorageClassStandardIa,
				WebsiteRedirectLocation: s("/elsewhere"), IfNoneMatch: s("*")})
			return err
		}, "s3:x-amz-acl", "bucket-owner-full-control", "s3:RequestObjectTag/Env", "prod", "s3:RequestObjectTagKeys", "Env",
			"s3:x-amz-server-side-encryption", "AES256", "s3:x-amz-storage-class", "STANDARD_IA", "s3:x-amz-website-redirect-location", "/elsewhere",
			"s3:if-none-match", "*", "s3:ObjectCreationOperation", "PutObject"),
		named("s3:PutObject", "with KMS and grants", obj, func(ctx context.Context) error {
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: k, Body: bytes.NewReader([]byte("data")), ServerSideEncryption: s3types.ServerSideEncryptionAwsKms,
				SSEKMSKeyId: s("alias/k"), GrantRead: s("id=r"), GrantReadACP: s("id=ra"), GrantWriteACP: s("id=wa"), GrantFullControl: s("id=f"), IfMatch: s(`"etag"`)})
			return err
		}, "s3:x-amz-server-side-encryption", "aws:kms", "s3:x-amz-server-side-encryption-aws-kms-key-id", "alias/k", "s3:x-amz-grant-read", "id=r",
			"s3:x-amz-grant-read-acp", "id=ra", "s3:x-amz-grant-write-acp", "id=wa", "s3:x-amz-grant-full-control", "id=f", "s3:if-match", `"etag"`,
			"s3:ObjectCreationOperation", "PutObject"),
		named("s3:PutObject", "CopyObject", obj, func(ctx context.Context) error {
			_, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: b, Key: k, CopySource: s("b/src"), MetadataDirective: s3types.MetadataDirectiveReplace})
			return err
		}, "s3:x-amz-copy-source", "b/src", "s3:x-amz-metadata-directive", "REPLACE", "s3:ObjectCreationOperation", "CopyObject"),
		named("s3:PutObject", "CreateMultipartUpload", obj, func(ctx context.Context) error {
			_, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: b, Key: k, Tagging: s("Env=prod")})
			return err
		}, "s3:RequestObjectTag/Env", "prod", "s3:RequestObjectTagKeys", "Env", "s3:ObjectCreationOperation", "CreateMultipartUpload"),
		named("s3:PutObject", "UploadPart", obj, func(ctx context.Context) error {
			_, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: b, Key: k, UploadId: s("u"), PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("data"))})
			return err
		}, "s3:ObjectCreationOperation", "UploadPart"),
		named("s3:PutObject", "UploadPartCopy", obj, func(ctx context.Context) error {
			_, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: b, Key: k, UploadId: s("u"), PartNumber: aws.Int32(1), CopySource: s("b/src")})
			return err
		}, "s3:x-amz-copy-source", "b/src", "s3:ObjectCreationOperation", "UploadPartCopy"),
		named("s3:PutObject", "CompleteMultipartUpload", obj, func(ctx context.Context) error {
			_, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: b, Key: k, UploadId: s("u"),
				MultipartUpload: &s3types.CompletedMultipartUpload{Parts: []s3types.CompletedPart{{ETag: s(`"e"`), PartNumber: aws.Int32(1)}}}})
			return err
		}, "s3:ObjectCreationOperation", "CompleteMultipartUpload"),
		one("s3:PutObjectTagging", obj, func(ctx context.Context) error {
			_, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: b, Key: k, Tagging: &s3types.Tagging{TagSet: tags}})
			return err
		}, "s3:RequestObjectTag/Env", "prod", "s3:RequestObjectTagKeys", "Env"),
		one("s3:PutObjectVersionTagging", obj, func(ctx context.Context) error {
			_, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: b, Key: k, VersionId: v, Tagging: &s3types.Tagging{TagSet: tags}})
			return err
		}, "s3:versionid", "v1", "s3:RequestObjectTag/Env", "prod", "s3:RequestObjectTagKeys", "Env"),
		one("s3:PutObjectAcl", obj, func(ctx context.Context) error {
			_, err := c.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: b, Key: k, ACL: s3types.ObjectCannedACLPublicRead})
			return err
		}, "s3:x-amz-acl", "public-read"),
		named("s3:PutObjectAcl", "with grants", obj, func(ctx context.Context) error {
			_, err := c.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: b, Key: k, GrantFullControl: s("id=f"), GrantRead: s("id=r"), GrantReadACP: s("id=ra"),
				GrantWrite: s("id=w"), GrantWriteACP: s("id=wa")})
			return err
		}, "s3:x-amz-grant-full-control", "id=f", "s3:x-amz-grant-read", "id=r", "s3:x-amz-grant-read-acp", "id=ra",
			"s3:x-amz-grant-write", "id=w", "s3:x-amz-grant-write-acp", "id=wa"),
		one("s3:PutObjectVersionAcl", obj, func(ctx context.Context) error {
			_, err := c.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: b, Key: k, VersionId: v, ACL: s3types.ObjectCannedACLPrivate})
			return err
		}, "s3:versionid", "v1", "s3:x-amz-acl", "private"),
		one("s3:DeleteObject", obj, func(ctx context.Context) error {
			_, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: k, IfMatch: s(`"etag"`)})
			return err
		}, "s3:if-match", `"etag"`),
		one("s3:DeleteObjectVersion", obj, func(ctx context.Context) error {
			_, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: k, VersionId: v})
			return err
		}, "s3:versionid", "v1"),
		{action: "s3:DeleteObject", name: "DeleteObjects", actions: []string{"s3:DeleteObject", "s3:DeleteObjectVersion"},
			resources: []string{obj, "arn:aws:s3:::b/dir/old"}, keys: s3Keys("s3:DeleteObjectVersion", acct, "s3:versionid", "v1"),
			do: func(ctx context.Context) error {
				_, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: b, Delete: &s3types.Delete{Objects: []s3types.ObjectIdentifier{{Key: k}, {Key: s("dir/old"), VersionId: v}}}})
				return err
			}},
		one("s3:DeleteObjectTagging", obj, func(ctx context.Context) error {
			_, err := c.DeleteObjectTagging(ctx, &s3.DeleteObjectTaggingInput{Bucket: b, Key: k})
			return err
		}),
		one("s3:DeleteObjectVersionTagging", obj, func(ctx context.Context) error {
			_, err := c.DeleteObjectTagging(ctx, &s3.DeleteObjectTaggingInput{Bucket: b, Key: k, VersionId: v})
			return err
		}, "s3:versionid", "v1"),
		one("s3:AbortMultipartUpload", obj, func(ctx context.Context) error {
			_, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: b, Key: k, UploadId: s("u")})
			return err
		}),
		one("s3:ListMultipartUploadParts", obj, func(ctx context.Context) error {
			_, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: b, Key: k, UploadId: s("u")})
			return err
		}),
	}
}

func s3ControlSDKCases(c *s3control.Client, acct string) []sdkAuthzCase {
	s := aws.String
	job := "arn:aws:s3:us-east-1:" + acct + ":job/" + sdkJobID
	noTags := []string{"aws:RequestTag/${TagKey}", "aws:TagKeys"}
	existing := []string{"s3:ExistingJobPriority", "5", "s3:ExistingJobOperation", "LambdaInvoke"}
	return []sdkAuthzCase{
		{action: "s3:CreateJob", resources: []string{"*"},
			keys: s3Keys("s3:CreateJob", acct, "s3:RequestJobPriority", "10", "s3:RequestJobOperation", "LambdaInvoke", "aws:RequestTag/Env", "prod", "aws:TagKeys", "Env"),
			do: func(ctx context.Context) error {
				_, err := c.CreateJob(ctx, &s3control.CreateJobInput{AccountId: s(acct), ClientRequestToken: s("t"), Priority: aws.Int32(10),
					RoleArn: s("arn:aws:iam::" + acct + ":role/batch"), ConfirmationRequired: aws.Bool(true),
					Operation: &s3ctypes.JobOperation{LambdaInvoke: &s3ctypes.LambdaInvokeOperation{FunctionArn: s("arn:aws:lambda:us-east-1:" + acct + ":function:f")}},
					Report:    &s3ctypes.JobReport{Enabled: false},
					Manifest: &s3ctypes.JobManifest{Spec: &s3ctypes.JobManifestSpec{Format: s3ctypes.JobManifestFormatS3BatchOperationsCsv20180820, Fields: []s3ctypes.JobManifestFieldName{"Bucket", "Key"}},
						Location: &s3ctypes.JobManifestLocation{ObjectArn: s("arn:aws:s3:::b/manifest.csv"), ETag: s("e")}},
					Tags: []s3ctypes.S3Tag{{Key: s("Env"), Value: s("prod")}}})
				return err
			}},
		{action: "s3:DescribeJob", resources: []string{job}, keys: s3Keys("s3:DescribeJob", acct), absent: noTags, do: func(ctx context.Context) error {
			_, err := c.DescribeJob(ctx, &s3control.DescribeJobInput{AccountId: s(acct), JobId: s(sdkJobID)})
			return err
		}},
		{action: "s3:ListJobs", resources: []string{"*"}, keys: s3Keys("s3:ListJobs", acct), do: func(ctx context.Context) error {
			_, err := c.ListJobs(ctx, &s3control.ListJobsInput{AccountId: s(acct), JobStatuses: []s3ctypes.JobStatus{s3ctypes.JobStatusSuspended}})
			return err
		}},
		{action: "s3:UpdateJobPriority", resources: []string{job}, keys: s3Keys("s3:UpdateJobPriority", acct, append(existing, "s3:RequestJobPriority", "7")...), absent: noTags,
			do: func(ctx context.Context) error {
				_, err := c.UpdateJobPriority(ctx, &s3control.UpdateJobPriorityInput{AccountId: s(acct), JobId: s(sdkJobID), Priority: 7})
				return err
			}},
		{action: "s3:UpdateJobStatus", resources: []string{job}, keys: s3Keys("s3:UpdateJobStatus", acct, append(existing, "s3:JobSuspendedCause", "AwaitingConfirmation")...), absent: noTags,
			do: func(ctx context.Context) error {
				_, err := c.UpdateJobStatus(ctx, &s3control.UpdateJobStatusInput{AccountId: s(acct), JobId: s(sdkJobID), RequestedJobStatus: s3ctypes.RequestedJobStatusReady})
				return err
			}},
		{action: "s3:GetAccountPublicAccessBlock", resources: []string{"*"}, keys: s3Keys("s3:GetAccountPublicAccessBlock", acct), do: func(ctx context.Context) error {
			_, err := c.GetPublicAccessBlock(ctx, &s3control.GetPublicAccessBlockInput{AccountId: s(acct)})
			return err
		}},
		{action: "s3:PutAccountPublicAccessBlock", resources: []string{"*"}, keys: s3Keys("s3:PutAccountPublicAccessBlock", acct), do: func(ctx context.Context) error {
			_, err := c.PutPublicAccessBlock(ctx, &s3control.PutPublicAccessBlockInput{AccountId: s(acct),
				PublicAccessBlockConfiguration: &s3ctypes.PublicAccessBlockConfiguration{BlockPublicAcls: aws.Bool(true)}})
			return err
		}},
		{action: "s3:PutAccountPublicAccessBlock", name: "DeletePublicAccessBlock", resources: []string{"*"}, keys: s3Keys("s3:PutAccountPublicAccessBlock", acct),
			do: func(ctx context.Context) error {
				_, err := c.DeletePublicAccessBlock(ctx, &s3control.DeletePublicAccessBlockInput{AccountId: s(acct)})
				return err
			}},
	}
}
