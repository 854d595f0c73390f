package resource

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
)

type logGroupAPI interface {
	DescribeLogGroups(context.Context, *cloudwatchlogs.DescribeLogGroupsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogGroupsOutput, error)
	CreateLogGroup(context.Context, *cloudwatchlogs.CreateLogGroupInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.CreateLogGroupOutput, error)
	PutRetentionPolicy(context.Context, *cloudwatchlogs.PutRetentionPolicyInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutRetentionPolicyOutput, error)
	DeleteLogGroup(context.Context, *cloudwatchlogs.DeleteLogGroupInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DeleteLogGroupOutput, error)
}

// LogGroupValue is a CloudWatch Logs log group. Its tags are set when it is
// created but not compared: ownership is the state's (see DESIGN.md).
type LogGroupValue struct {
	Name          string            `json:"name"`
	RetentionDays int32             `json:"retention_days"`
	Tags          map[string]string `json:"-"`
}

type logGroupKind struct{}

var _ Kind = logGroupKind{}

func (logGroupKind) Tagged() bool { return false }

func (logGroupKind) Read(ctx context.Context, c *Clients, name string) (Value, error) {
	var token *string
	for {
		out, err := c.Logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(name), NextToken: token})
		if err != nil {
			return nil, fmt.Errorf("read log group %s: %w", name, err)
		}
		for _, g := range out.LogGroups {
			if aws.ToString(g.LogGroupName) == name {
				return marshal(LogGroupValue{Name: name, RetentionDays: aws.ToInt32(g.RetentionInDays)}), nil
			}
		}
		if out.NextToken == nil {
			return nil, nil
		}
		token = out.NextToken
	}
}

func (k logGroupKind) Create(ctx context.Context, c *Clients, name string, v Value) error {
	var lg LogGroupValue
	if err := unmarshal(v, &lg); err != nil {
		return err
	}
	if _, err := c.Logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(name), Tags: c.Tags}); err != nil {
		return fmt.Errorf("create log group %s: %w", name, err)
	}
	return k.Update(ctx, c, name, marshal(LogGroupValue{Name: name}), v)
}

func (logGroupKind) Update(ctx context.Context, c *Clients, name string, before, after Value) error {
	var a LogGroupValue
	if err := unmarshal(after, &a); err != nil {
		return err
	}
	if _, err := c.Logs.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String(name), RetentionInDays: aws.Int32(a.RetentionDays)}); err != nil {
		return fmt.Errorf("set retention of log group %s: %w", name, err)
	}
	return nil
}

func (logGroupKind) Delete(ctx context.Context, c *Clients, name string, _ Value) error {
	_, err := c.Logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(name)})
	if err != nil && !isNotFound(err, "ResourceNotFoundException") {
		return fmt.Errorf("delete log group %s: %w", name, err)
	}
	return nil
}
