package resourcetest

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/xacct/xacct/internal/resource"
)

// CloudTrail is the fake's CloudTrail: trails of this account and region,
// which a new trail creates with AWS's default basic event selector
// (management events, read and write) and not logging.
type CloudTrail struct {
	resource.CloudTrailAPI
	f *Fake
}

var _ resource.CloudTrailAPI = (*CloudTrail)(nil)

type trail struct {
	bucket, prefix             string
	multiRegion, global, valid bool
	logging                    bool
	basic                      []cttypes.EventSelector
	advanced                   []cttypes.AdvancedEventSelector
	tags                       map[string]string
}

func trailNotFound(name string) error {
	return apiErr("TrailNotFoundException", "Unknown trail: %s for the user: %s", name, "fake")
}

func (x *CloudTrail) arn(name string) string {
	return "arn:aws:cloudtrail:" + x.f.region + ":" + x.f.accountID + ":trail/" + name
}

// trail finds a trail by name or ARN.
func (x *CloudTrail) trail(nameOrARN string) (string, *trail, error) {
	name := nameOrARN
	if strings.HasPrefix(nameOrARN, "arn:") {
		_, n, ok := strings.Cut(nameOrARN, ":trail/")
		if !ok || nameOrARN != x.arn(n) {
			return "", nil, trailNotFound(nameOrARN)
		}
		name = n
	}
	t := x.f.trails[name]
	if t == nil {
		return "", nil, trailNotFound(nameOrARN)
	}
	return name, t, nil
}

// CreateTrail creates a trail that does not log yet.
func (x *CloudTrail) CreateTrail(ctx context.Context, in *cloudtrail.CreateTrailInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.CreateTrailOutput, error) {
	var out *cloudtrail.CreateTrailOutput
	err := x.f.call(ctx, "CloudTrail", "CreateTrail", in, func() error {
		name := aws.ToString(in.Name)
		if x.f.trails[name] != nil {
			return apiErr("TrailAlreadyExistsException", "Trail %s already exists for customer: %s", name, x.f.accountID)
		}
		t := &trail{bucket: aws.ToString(in.S3BucketName), prefix: aws.ToString(in.S3KeyPrefix), multiRegion: aws.ToBool(in.IsMultiRegionTrail),
			global: in.IncludeGlobalServiceEvents == nil || aws.ToBool(in.IncludeGlobalServiceEvents), valid: aws.ToBool(in.EnableLogFileValidation),
			basic: []cttypes.EventSelector{{ReadWriteType: cttypes.ReadWriteTypeAll, IncludeManagementEvents: aws.Bool(true)}}, tags: map[string]string{}}
		for _, tg := range in.TagsList {
			t.tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
		}
		x.f.trails[name] = t
		out = &cloudtrail.CreateTrailOutput{Name: aws.String(name), TrailARN: aws.String(x.arn(name)), S3BucketName: in.S3BucketName}
		return nil
	})
	return out, err
}

// GetTrail describes a trail.
func (x *CloudTrail) GetTrail(ctx context.Context, in *cloudtrail.GetTrailInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.GetTrailOutput, error) {
	var out *cloudtrail.GetTrailOutput
	err := x.f.call(ctx, "CloudTrail", "GetTrail", in, func() error {
		name, t, err := x.trail(aws.ToString(in.Name))
		if err != nil {
			return err
		}
		tr := &cttypes.Trail{Name: aws.String(name), TrailARN: aws.String(x.arn(name)), HomeRegion: aws.String(x.f.region),
			S3BucketName: aws.String(t.bucket), IsMultiRegionTrail: aws.Bool(t.multiRegion), IncludeGlobalServiceEvents: aws.Bool(t.global),
			LogFileValidationEnabled: aws.Bool(t.valid), HasCustomEventSelectors: aws.Bool(len(t.advanced) > 0)}
		if t.prefix != "" {
			tr.S3KeyPrefix = aws.String(t.prefix)
		}
		out = &cloudtrail.GetTrailOutput{Trail: tr}
		return nil
	})
	return out, err
}

// GetTrailStatus says whether a trail logs.
func (x *CloudTrail) GetTrailStatus(ctx context.Context, in *cloudtrail.GetTrailStatusInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.GetTrailStatusOutput, error) {
	var out *cloudtrail.GetTrailStatusOutput
	err := x.f.call(ctx, "CloudTrail", "GetTrailStatus", in, func() error {
		_, t, err := x.trail(aws.ToString(in.Name))
		if err != nil {
			return err
		}
		out = &cloudtrail.GetTrailStatusOutput{IsLogging: aws.Bool(t.logging)}
		return nil
	})
	return out, err
}

// GetEventSelectors returns a trail's basic or advanced selectors.
func (x *CloudTrail) GetEventSelectors(ctx context.Context, in *cloudtrail.GetEventSelectorsInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.GetEventSelectorsOutput, error) {
	var out *cloudtrail.GetEventSelectorsOutput
	err := x.f.call(ctx, "CloudTrail", "GetEventSelectors", in, func() error {
		name, t, err := x.trail(aws.ToString(in.TrailName))
		if err != nil {
			return err
		}
		out = &cloudtrail.GetEventSelectorsOutput{TrailARN: aws.String(x.arn(name)), EventSelectors: slices.Clone(t.basic), AdvancedEventSelectors: slices.Clone(t.advanced)}
		return nil
	})
	return out, err
}

// PutEventSelectors replaces a trail's selectors: advanced ones replace
// basic ones and the other way round, as on AWS.
func (x *CloudTrail) PutEventSelectors(ctx context.Context, in *cloudtrail.PutEventSelectorsInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.PutEventSelectorsOutput, error) {
	err := x.f.call(ctx, "CloudTrail", "PutEventSelectors", in, func() error {
		_, t, err := x.trail(aws.ToString(in.TrailName))
		if err != nil {
			return err
		}
		if (len(in.EventSelectors) > 0) == (len(in.AdvancedEventSelectors) > 0) {
			return apiErr("InvalidParameterCombinationException", "Specify either EventSelectors or AdvancedEventSelectors.")
		}
		t.basic, t.advanced = slices.Clone(in.EventSelectors), slices.Clone(in.AdvancedEventSelectors)
		return nil
	})
	return &cloudtrail.PutEventSelectorsOutput{}, err
}

// SetBasicSelectors gives a trail basic event selectors, as a hand edit
// in the console would.
func (f *Fake) SetBasicSelectors(name string, s []cttypes.EventSelector) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.trails[name]
	t.basic, t.advanced = s, nil
}

// UpdateTrail changes a trail's delivery and settings.
func (x *CloudTrail) UpdateTrail(ctx context.Context, in *cloudtrail.UpdateTrailInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.UpdateTrailOutput, error) {
	err := x.f.call(ctx, "CloudTrail", "UpdateTrail", in, func() error {
		_, t, err := x.trail(aws.ToString(in.Name))
		if err != nil {
			return err
		}
		if in.S3BucketName != nil {
			t.bucket = aws.ToString(in.S3BucketName)
		}
		if in.S3KeyPrefix != nil {
			t.prefix = aws.ToString(in.S3KeyPrefix)
		}
		if in.IsMultiRegionTrail != nil {
			t.multiRegion = *in.IsMultiRegionTrail
		}
		if in.IncludeGlobalServiceEvents != nil {
			t.global = *in.IncludeGlobalServiceEvents
		}
		if in.EnableLogFileValidation != nil {
			t.valid = *in.EnableLogFileValidation
		}
		return nil
	})
	return &cloudtrail.UpdateTrailOutput{}, err
}

// StartLogging starts a trail.
func (x *CloudTrail) StartLogging(ctx context.Context, in *cloudtrail.StartLoggingInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.StartLoggingOutput, error) {
	err := x.f.call(ctx, "CloudTrail", "StartLogging", in, func() error {
		_, t, err := x.trail(aws.ToString(in.Name))
		if err == nil {
			t.logging = true
		}
		return err
	})
	return &cloudtrail.StartLoggingOutput{}, err
}

// StopLogging stops a trail.
func (x *CloudTrail) StopLogging(ctx context.Context, in *cloudtrail.StopLoggingInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.StopLoggingOutput, error) {
	err := x.f.call(ctx, "CloudTrail", "StopLogging", in, func() error {
		_, t, err := x.trail(aws.ToString(in.Name))
		if err == nil {
			t.logging = false
		}
		return err
	})
	return &cloudtrail.StopLoggingOutput{}, err
}

// DeleteTrail deletes a trail.
func (x *CloudTrail) DeleteTrail(ctx context.Context, in *cloudtrail.DeleteTrailInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.DeleteTrailOutput, error) {
	err := x.f.call(ctx, "CloudTrail", "DeleteTrail", in, func() error {
		name, _, err := x.trail(aws.ToString(in.Name))
		if err == nil {
			delete(x.f.trails, name)
		}
		return err
	})
	return &cloudtrail.DeleteTrailOutput{}, err
}

// ListTags lists the tags of trails named by ARN.
func (x *CloudTrail) ListTags(ctx context.Context, in *cloudtrail.ListTagsInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.ListTagsOutput, error) {
	var out *cloudtrail.ListTagsOutput
	err := x.f.call(ctx, "CloudTrail", "ListTags", in, func() error {
		out = &cloudtrail.ListTagsOutput{}
		for _, id := range in.ResourceIdList {
			_, t, err := x.trail(id)
			if err != nil {
				return apiErr("ResourceNotFoundException", "Resource not found: %s", id)
			}
			rt := cttypes.ResourceTag{ResourceId: aws.String(id)}
			for _, k := range slices.Sorted(maps.Keys(t.tags)) {
				rt.TagsList = append(rt.TagsList, cttypes.Tag{Key: aws.String(k), Value: aws.String(t.tags[k])})
			}
			out.ResourceTagList = append(out.ResourceTagList, rt)
		}
		return nil
	})
	return out, err
}

// AddTags sets tags on a trail.
func (x *CloudTrail) AddTags(ctx context.Context, in *cloudtrail.AddTagsInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.AddTagsOutput, error) {
	err := x.f.call(ctx, "CloudTrail", "AddTags", in, func() error {
		_, t, err := x.trail(aws.ToString(in.ResourceId))
		if err != nil {
			return apiErr("ResourceNotFoundException", "Resource not found: %s", aws.ToString(in.ResourceId))
		}
		for _, tg := range in.TagsList {
			t.tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
		}
		return nil
	})
	return &cloudtrail.AddTagsOutput{}, err
}

// RemoveTags removes tags from a trail.
func (x *CloudTrail) RemoveTags(ctx context.Context, in *cloudtrail.RemoveTagsInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.RemoveTagsOutput, error) {
	err := x.f.call(ctx, "CloudTrail", "RemoveTags", in, func() error {
		_, t, err := x.trail(aws.ToString(in.ResourceId))
		if err != nil {
			return apiErr("ResourceNotFoundException", "Resource not found: %s", aws.ToString(in.ResourceId))
		}
		for _, tg := range in.TagsList {
			delete(t.tags, aws.ToString(tg.Key))
		}
		return nil
	})
	return &cloudtrail.RemoveTagsOutput{}, err
}
