package resource

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

type notificationAPI interface {
	GetBucketNotificationConfiguration(context.Context, *s3.GetBucketNotificationConfigurationInput, ...func(*s3.Options)) (*s3.GetBucketNotificationConfigurationOutput, error)
	PutBucketNotificationConfiguration(context.Context, *s3.PutBucketNotificationConfigurationInput, ...func(*s3.Options)) (*s3.PutBucketNotificationConfigurationOutput, error)
}

// LambdaNotification is one Lambda destination of a bucket's notifications.
type LambdaNotification struct {
	ID          string   `json:"id"`
	FunctionArn string   `json:"function_arn"`
	Events      []string `json:"events"`
	Prefix      string   `json:"prefix"`
	Suffix      string   `json:"suffix"`
}

// NotificationValue is a bucket's whole notification configuration (S3 keeps
// one per bucket); its name is the bucket's.
type NotificationValue struct {
	Bucket string               `json:"bucket"`
	Lambda []LambdaNotification `json:"lambda"`
}

type notificationKind struct{}

var _ Kind = notificationKind{}

func (notificationKind) Tagged() bool { return false }

func (notificationKind) Read(ctx context.Context, c *Clients, name string) (Value, error) {
	out, err := c.S3.GetBucketNotificationConfiguration(ctx, &s3.GetBucketNotificationConfigurationInput{Bucket: aws.String(name), ExpectedBucketOwner: bucketOwner(c)})
	if isNotFound(err, "NoSuchBucket") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read notifications of bucket %s: %w", name, err)
	}
	if len(out.LambdaFunctionConfigurations) == 0 {
		return nil, nil
	}
	v := NotificationValue{Bucket: name}
	for _, f := range out.LambdaFunctionConfigurations {
		n := LambdaNotification{ID: aws.ToString(f.Id), FunctionArn: aws.ToString(f.LambdaFunctionArn)}
		for _, e := range f.Events {
			n.Events = append(n.Events, string(e))
		}
		sort.Strings(n.Events)
		if f.Filter != nil && f.Filter.Key != nil {
			for _, r := range f.Filter.Key.FilterRules {
				switch strings.ToLower(string(r.Name)) {
				case "prefix":
					n.Prefix = aws.ToString(r.Value)
				case "suffix":
					n.Suffix = aws.ToString(r.Value)
				}
			}
		}
		v.Lambda = append(v.Lambda, n)
	}
	sort.Slice(v.Lambda, func(i, j int) bool { return v.Lambda[i].ID < v.Lambda[j].ID })
	return marshal(v), nil
}

func (k notificationKind) Create(ctx context.Context, c *Clients, name string, v Value) error {
	return k.Update(ctx, c, name, nil, v)
}

func (notificationKind) Update(ctx context.Context, c *Clients, name string, _, after Value) error {
	var v NotificationValue
	if err := unmarshal(after, &v); err != nil {
		return err
	}
	cfg := &s3types.NotificationConfiguration{}
	for _, n := range v.Lambda {
		fc := s3types.LambdaFunctionConfiguration{Id: aws.String(n.ID), LambdaFunctionArn: aws.String(n.FunctionArn)}
		for _, e := range n.Events {
			fc.Events = append(fc.Events, s3types.Event(e))
		}
		var rules []s3types.FilterRule
		if n.Prefix != "" {
			rules = append(rules, s3types.FilterRule{Name: s3types.FilterRuleNamePrefix, Value: aws.String(n.Prefix)})
		}
		if n.Suffix != "" {
			rules = append(rules, s3types.FilterRule{Name: s3types.FilterRuleNameSuffix, Value: aws.String(n.Suffix)})
		}
		if len(rules) > 0 {
			fc.Filter = &s3types.NotificationConfigurationFilter{Key: &s3types.S3KeyFilter{FilterRules: rules}}
		}
		cfg.LambdaFunctionConfigurations = append(cfg.LambdaFunctionConfigurations, fc)
	}
	if _, err := c.S3.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{Bucket: aws.String(name), ExpectedBucketOwner: bucketOwner(c), NotificationConfiguration: cfg}); err != nil {
		return fmt.Errorf("put notifications of bucket %s: %w", name, err)
	}
	return nil
}

// Delete empties the bucket's notification configuration.
func (notificationKind) Delete(ctx context.Context, c *Clients, name string, _ Value) error {
	_, err := c.S3.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{Bucket: aws.String(name), ExpectedBucketOwner: bucketOwner(c),
		NotificationConfiguration: &s3types.NotificationConfiguration{}})
	if err != nil && !isNotFound(err, "NoSuchBucket") {
		return fmt.Errorf("remove notifications of bucket %s: %w", name, err)
	}
	return nil
}
