package config

import (
	"maps"
	"slices"
)

// S3 actions a group may be granted, by the resource they apply to: object
// actions go on arn:aws:s3:::bucket/*, bucket actions on the bucket ARN.
// Wildcards are not accepted: a config lists exactly what it grants.
var s3Actions = map[string]string{
	"s3:AbortMultipartUpload":             ActionObject,
	"s3:DeleteObject":                     ActionObject,
	"s3:DeleteObjectTagging":              ActionObject,
	"s3:DeleteObjectVersion":              ActionObject,
	"s3:DeleteObjectVersionTagging":       ActionObject,
	"s3:GetObject":                        ActionObject,
	"s3:GetObjectAcl":                     ActionObject,
	"s3:GetObjectAttributes":              ActionObject,
	"s3:GetObjectLegalHold":               ActionObject,
	"s3:GetObjectRetention":               ActionObject,
	"s3:GetObjectTagging":                 ActionObject,
	"s3:GetObjectVersion":                 ActionObject,
	"s3:GetObjectVersionAcl":              ActionObject,
	"s3:GetObjectVersionAttributes":       ActionObject,
	"s3:GetObjectVersionTagging":          ActionObject,
	"s3:ListMultipartUploadParts":         ActionObject,
	"s3:PutObject":                        ActionObject,
	"s3:PutObjectAcl":                     ActionObject,
	"s3:PutObjectLegalHold":               ActionObject,
	"s3:PutObjectRetention":               ActionObject,
	"s3:PutObjectTagging":                 ActionObject,
	"s3:PutObjectVersionAcl":              ActionObject,
	"s3:PutObjectVersionTagging":          ActionObject,
	"s3:RestoreObject":                    ActionObject,
	"s3:GetBucketAcl":                     ActionBucket,
	"s3:GetBucketCORS":                    ActionBucket,
	"s3:GetBucketLocation":                ActionBucket,
	"s3:GetBucketLogging":                 ActionBucket,
	"s3:GetBucketNotification":            ActionBucket,
	"s3:GetBucketObjectLockConfiguration": ActionBucket,
	"s3:GetBucketOwnershipControls":       ActionBucket,
	"s3:GetBucketPolicy":                  ActionBucket,
	"s3:GetBucketPolicyStatus":            ActionBucket,
	"s3:GetBucketPublicAccessBlock":       ActionBucket,
	"s3:GetBucketTagging":                 ActionBucket,
	"s3:GetBucketVersioning":              ActionBucket,
	"s3:GetBucketWebsite":                 ActionBucket,
	"s3:GetEncryptionConfiguration":       ActionBucket,
	"s3:GetLifecycleConfiguration":        ActionBucket,
	"s3:ListBucket":                       ActionBucket,
	"s3:ListBucketMultipartUploads":       ActionBucket,
	"s3:ListBucketVersions":               ActionBucket,
	"s3:PutBucketAcl":                     ActionBucket,
	"s3:PutBucketCORS":                    ActionBucket,
	"s3:PutBucketLogging":                 ActionBucket,
	"s3:PutBucketNotification":            ActionBucket,
	"s3:PutBucketObjectLockConfiguration": ActionBucket,
	"s3:PutBucketOwnershipControls":       ActionBucket,
	"s3:PutBucketPolicy":                  ActionBucket,
	"s3:PutBucketPublicAccessBlock":       ActionBucket,
	"s3:PutBucketTagging":                 ActionBucket,
	"s3:PutBucketVersioning":              ActionBucket,
	"s3:PutBucketWebsite":                 ActionBucket,
	"s3:PutEncryptionConfiguration":       ActionBucket,
	"s3:PutLifecycleConfiguration":        ActionBucket,
	"s3:DeleteBucket":                     ActionBucket,
	"s3:DeleteBucketPolicy":               ActionBucket,
	"s3:DeleteBucketWebsite":              ActionBucket,
}

// The resources an S3 action applies to.
const (
	ActionObject = "object"
	ActionBucket = "bucket"
)

// S3ActionLevel says whether a (canonically spelled) S3 action applies to
// objects or to the bucket.
func S3ActionLevel(action string) (string, bool) {
	l, ok := s3Actions[action]
	return l, ok
}

// S3Actions lists every S3 action xacct knows, sorted.
func S3Actions() []string { return slices.Sorted(maps.Keys(s3Actions)) }
