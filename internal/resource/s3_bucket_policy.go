package resource

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/xacct/xacct/internal/iampolicy"
)

type bucketPolicyAPI interface {
	GetBucketPolicy(context.Context, *s3.GetBucketPolicyInput, ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error)
	PutBucketPolicy(context.Context, *s3.PutBucketPolicyInput, ...func(*s3.Options)) (*s3.PutBucketPolicyOutput, error)
	DeleteBucketPolicy(context.Context, *s3.DeleteBucketPolicyInput, ...func(*s3.Options)) (*s3.DeleteBucketPolicyOutput, error)
}

// BucketPolicyValue is a bucket's policy; its name is the bucket's.
type BucketPolicyValue struct {
	Bucket string          `json:"bucket"`
	Policy json.RawMessage `json:"policy"`
}

type bucketPolicyKind struct{}

var _ Kind = bucketPolicyKind{}

func (bucketPolicyKind) Tagged() bool { return false }

func (bucketPolicyKind) Read(ctx context.Context, c *Clients, name string) (Value, error) {
	out, err := c.S3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(name), ExpectedBucketOwner: bucketOwner(c)})
	if isNotFound(err, "NoSuchBucketPolicy", "NoSuchBucket") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read policy of bucket %s: %w", name, err)
	}
	doc, err := canonicalPolicy(aws.ToString(out.Policy), iampolicy.Resource)
	if err != nil {
		return nil, fmt.Errorf("policy of bucket %s: %w", name, err)
	}
	return marshal(BucketPolicyValue{Bucket: name, Policy: doc}), nil
}

func (k bucketPolicyKind) Create(ctx context.Context, c *Clients, name string, v Value) error {
	return k.Update(ctx, c, name, nil, v)
}

func (bucketPolicyKind) Update(ctx context.Context, c *Clients, name string, _, after Value) error {
	var p BucketPolicyValue
	if err := unmarshal(after, &p); err != nil {
		return err
	}
	if _, err := c.S3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(name), ExpectedBucketOwner: bucketOwner(c), Policy: aws.String(string(p.Policy))}); err != nil {
		return fmt.Errorf("put policy of bucket %s: %w", name, err)
	}
	return nil
}

func (bucketPolicyKind) Delete(ctx context.Context, c *Clients, name string, _ Value) error {
	_, err := c.S3.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(name), ExpectedBucketOwner: bucketOwner(c)})
	if err != nil && !isNotFound(err, "NoSuchBucket", "NoSuchBucketPolicy") {
		return fmt.Errorf("delete policy of bucket %s: %w", name, err)
	}
	return nil
}
