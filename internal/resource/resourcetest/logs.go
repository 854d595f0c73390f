package resourcetest

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/xacct/xacct/internal/resource"
)

// Logs is the fake's CloudWatch Logs.
type Logs struct {
	resource.LogsAPI
	f *Fake
}

var _ resource.LogsAPI = (*Logs)(nil)

type logGroup struct {
	retention int32 // days; 0 is never expire
}

func logGroupNotFound() error {
	return apiErr("ResourceNotFoundException", "The specified log group does not exist.")
}

// DescribeLogGroups lists the log groups whose names start with the prefix,
// by name.
func (x *Logs) DescribeLogGroups(ctx context.Context, in *cloudwatchlogs.DescribeLogGroupsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogGroupsOutput, error) {
	var out *cloudwatchlogs.DescribeLogGroupsOutput
	err := x.f.call(ctx, "CloudWatch Logs", "DescribeLogGroups", in, func() error {
		out = &cloudwatchlogs.DescribeLogGroupsOutput{}
		for _, n := range slices.Sorted(maps.Keys(x.f.logGroups)) {
			if !strings.HasPrefix(n, aws.ToString(in.LogGroupNamePrefix)) {
				continue
			}
			g := logstypes.LogGroup{LogGroupName: aws.String(n), Arn: aws.String("arn:aws:logs:" + x.f.region + ":" + x.f.accountID + ":log-group:" + n + ":*")}
			if r := x.f.logGroups[n].retention; r != 0 {
				g.RetentionInDays = aws.Int32(r)
			}
			out.LogGroups = append(out.LogGroups, g)
		}
		return nil
	})
	return out, err
}

// CreateLogGroup creates a log group that never expires.
func (x *Logs) CreateLogGroup(ctx context.Context, in *cloudwatchlogs.CreateLogGroupInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.CreateLogGroupOutput, error) {
	err := x.f.call(ctx, "CloudWatch Logs", "CreateLogGroup", in, func() error {
		name := aws.ToString(in.LogGroupName)
		if x.f.logGroups[name] != nil {
			return apiErr("ResourceAlreadyExistsException", "The specified log group already exists")
		}
		x.f.logGroups[name] = &logGroup{}
		return nil
	})
	return ok(&cloudwatchlogs.CreateLogGroupOutput{}, err)
}

// PutRetentionPolicy sets how many days events are kept.
func (x *Logs) PutRetentionPolicy(ctx context.Context, in *cloudwatchlogs.PutRetentionPolicyInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutRetentionPolicyOutput, error) {
	err := x.f.call(ctx, "CloudWatch Logs", "PutRetentionPolicy", in, func() error {
		g := x.f.logGroups[aws.ToString(in.LogGroupName)]
		if g == nil {
			return logGroupNotFound()
		}
		g.retention = aws.ToInt32(in.RetentionInDays)
		return nil
	})
	return ok(&cloudwatchlogs.PutRetentionPolicyOutput{}, err)
}

// DeleteLogGroup deletes a log group.
func (x *Logs) DeleteLogGroup(ctx context.Context, in *cloudwatchlogs.DeleteLogGroupInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DeleteLogGroupOutput, error) {
	err := x.f.call(ctx, "CloudWatch Logs", "DeleteLogGroup", in, func() error {
		name := aws.ToString(in.LogGroupName)
		if x.f.logGroups[name] == nil {
			return logGroupNotFound()
		}
		delete(x.f.logGroups, name)
		return nil
	})
	return ok(&cloudwatchlogs.DeleteLogGroupOutput{}, err)
}
