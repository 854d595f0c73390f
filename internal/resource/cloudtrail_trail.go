package resource

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
)

type trailAPI interface {
	GetTrail(context.Context, *cloudtrail.GetTrailInput, ...func(*cloudtrail.Options)) (*cloudtrail.GetTrailOutput, error)
	GetTrailStatus(context.Context, *cloudtrail.GetTrailStatusInput, ...func(*cloudtrail.Options)) (*cloudtrail.GetTrailStatusOutput, error)
	GetEventSelectors(context.Context, *cloudtrail.GetEventSelectorsInput, ...func(*cloudtrail.Options)) (*cloudtrail.GetEventSelectorsOutput, error)
	ListTags(context.Context, *cloudtrail.ListTagsInput, ...func(*cloudtrail.Options)) (*cloudtrail.ListTagsOutput, error)
	CreateTrail(context.Context, *cloudtrail.CreateTrailInput, ...func(*cloudtrail.Options)) (*cloudtrail.CreateTrailOutput, error)
	UpdateTrail(context.Context, *cloudtrail.UpdateTrailInput, ...func(*cloudtrail.Options)) (*cloudtrail.UpdateTrailOutput, error)
	PutEventSelectors(context.Context, *cloudtrail.PutEventSelectorsInput, ...func(*cloudtrail.Options)) (*cloudtrail.PutEventSelectorsOutput, error)
	StartLogging(context.Context, *cloudtrail.StartLoggingInput, ...func(*cloudtrail.Options)) (*cloudtrail.StartLoggingOutput, error)
	StopLogging(context.Context, *cloudtrail.StopLoggingInput, ...func(*cloudtrail.Options)) (*cloudtrail.StopLoggingOutput, error)
	AddTags(context.Context, *cloudtrail.AddTagsInput, ...func(*cloudtrail.Options)) (*cloudtrail.AddTagsOutput, error)
	RemoveTags(context.Context, *cloudtrail.RemoveTagsInput, ...func(*cloudtrail.Options)) (*cloudtrail.RemoveTagsOutput, error)
	DeleteTrail(context.Context, *cloudtrail.DeleteTrailInput, ...func(*cloudtrail.Options)) (*cloudtrail.DeleteTrailOutput, error)
}

// TrailValue is a CloudTrail trail: where it delivers, what it records, and
// whether it is logging. Selectors are advanced event selectors; a trail
// that uses basic event selectors (set by hand) has BasicSelectors, which
// xacct never wants, so the plan shows them as a change.
type TrailValue struct {
	Bucket              string            `json:"s3_bucket"`
	KeyPrefix           string            `json:"s3_key_prefix,omitempty"`
	MultiRegion         bool              `json:"multi_region"`
	GlobalServiceEvents bool              `json:"include_global_service_events"`
	LogFileValidation   bool              `json:"log_file_validation"`
	Logging             bool              `json:"logging"`
	Selectors           []TrailSelector   `json:"advanced_event_selectors"`
	BasicSelectors      []string          `json:"basic_event_selectors,omitempty"`
	Tags                map[string]string `json:"tags"`
}

// TrailSelector is one advanced event selector: events that match every
// field are recorded.
type TrailSelector struct {
	Name   string       `json:"name"`
	Fields []TrailField `json:"field_selectors"`
}

// TrailField is one field condition of an advanced event selector.
type TrailField struct {
	Field         string   `json:"field"`
	Equals        []string `json:"equals,omitempty"`
	StartsWith    []string `json:"starts_with,omitempty"`
	EndsWith      []string `json:"ends_with,omitempty"`
	NotEquals     []string `json:"not_equals,omitempty"`
	NotStartsWith []string `json:"not_starts_with,omitempty"`
	NotEndsWith   []string `json:"not_ends_with,omitempty"`
}

// CanonicalTrail orders a trail's selectors, their fields and values, which
// AWS keeps as sets, so that equal trails marshal to equal bytes.
func CanonicalTrail(v TrailValue) TrailValue {
	sel := make([]TrailSelector, 0, len(v.Selectors))
	for _, s := range v.Selectors {
		fs := make([]TrailField, 0, len(s.Fields))
		for _, f := range s.Fields {
			for _, l := range []*[]string{&f.Equals, &f.StartsWith, &f.EndsWith, &f.NotEquals, &f.NotStartsWith, &f.NotEndsWith} {
				if len(*l) == 0 {
					*l = nil
					continue
				}
				*l = slices.Compact(slices.Sorted(slices.Values(*l)))
			}
			fs = append(fs, f)
		}
		slices.SortFunc(fs, func(a, b TrailField) int { return strings.Compare(a.Field, b.Field) })
		sel = append(sel, TrailSelector{Name: s.Name, Fields: fs})
	}
	slices.SortFunc(sel, func(a, b TrailSelector) int { return strings.Compare(a.Name, b.Name) })
	v.Selectors = sel
	if v.Tags == nil {
		v.Tags = map[string]string{}
	}
	return v
}

type trailKind struct{}

var _ Kind = trailKind{}

func (trailKind) Tagged() bool { return true }

// trailARN is the ARN of a trail of the client's account in its region,
// which the tag operations take.
func trailARN(c *Clients, name string) string {
	return fmt.Sprintf("arn:aws:cloudtrail:%s:%s:trail/%s", c.Region, c.AccountID, name)
}

func (trailKind) Read(ctx context.Context, c *Clients, name string) (Value, error) {
	// The four reads go at once: the status, selectors and tags of a trail
	// that GetTrail says is absent (or another region's) are not looked
	// at, and a trail that exists costs one round trip instead of four.
	// The tags are read by the ARN a trail of this account and region has.
	var (
		wg                         sync.WaitGroup
		out                        *cloudtrail.GetTrailOutput
		st                         *cloudtrail.GetTrailStatusOutput
		sel                        *cloudtrail.GetEventSelectorsOutput
		tags                       *cloudtrail.ListTagsOutput
		err, stErr, selErr, tagErr error
	)
	for _, read := range []func(){
		func() { out, err = c.CloudTrail.GetTrail(ctx, &cloudtrail.GetTrailInput{Name: aws.String(name)}) },
		func() {
			st, stErr = c.CloudTrail.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(name)})
		},
		func() {
			sel, selErr = c.CloudTrail.GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: aws.String(name)})
		},
		func() {
			tags, tagErr = c.CloudTrail.ListTags(ctx, &cloudtrail.ListTagsInput{ResourceIdList: []string{trailARN(c, name)}})
		},
	} {
		wg.Go(read)
	}
	wg.Wait()
	if isNotFound(err, "TrailNotFoundException") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read trail %s: %w", name, err)
	}
	t := out.Trail
	if t == nil {
		return nil, nil
	}
	// A multi-region trail of another region answers GetTrail everywhere;
	// only its home region's is ours to manage.
	if home := aws.ToString(t.HomeRegion); home != "" && home != c.Region {
		return nil, fmt.Errorf("read trail %s: a trail of that name lives in region %s, not %s: choose another reporting.logs.trail_name", name, home, c.Region)
	}
	v := TrailValue{
		Bucket: aws.ToString(t.S3BucketName), KeyPrefix: aws.ToString(t.S3KeyPrefix),
		MultiRegion: aws.ToBool(t.IsMultiRegionTrail), GlobalServiceEvents: aws.ToBool(t.IncludeGlobalServiceEvents),
		LogFileValidation: aws.ToBool(t.LogFileValidationEnabled), Tags: map[string]string{},
	}
	if stErr != nil {
		return nil, fmt.Errorf("read status of trail %s: %w", name, stErr)
	}
	v.Logging = aws.ToBool(st.IsLogging)
	if selErr != nil {
		return nil, fmt.Errorf("read event selectors of trail %s: %w", name, selErr)
	}
	for _, s := range sel.AdvancedEventSelectors {
		ts := TrailSelector{Name: aws.ToString(s.Name)}
		for _, f := range s.FieldSelectors {
			ts.Fields = append(ts.Fields, TrailField{Field: aws.ToString(f.Field), Equals: f.Equals, StartsWith: f.StartsWith,
				EndsWith: f.EndsWith, NotEquals: f.NotEquals, NotStartsWith: f.NotStartsWith, NotEndsWith: f.NotEndsWith})
		}
		v.Selectors = append(v.Selectors, ts)
	}
	for _, s := range sel.EventSelectors {
		v.BasicSelectors = append(v.BasicSelectors, basicSelector(s))
	}
	if tagErr != nil {
		return nil, fmt.Errorf("read tags of trail %s: %w", name, tagErr)
	}
	for _, r := range tags.ResourceTagList {
		for _, tg := range r.TagsList {
			if k := aws.ToString(tg.Key); !reservedTag(k) {
				v.Tags[k] = aws.ToString(tg.Value)
			}
		}
	}
	return marshal(CanonicalTrail(v)), nil
}

// basicSelector says what a basic event selector records, in one line.
func basicSelector(s cttypes.EventSelector) string {
	var data []string
	for _, d := range s.DataResources {
		data = append(data, aws.ToString(d.Type)+"="+strings.Join(d.Values, ","))
	}
	return fmt.Sprintf("read_write=%s management=%t data=[%s]", s.ReadWriteType, aws.ToBool(s.IncludeManagementEvents), strings.Join(data, " "))
}

func (k trailKind) Create(ctx context.Context, c *Clients, name string, v Value) error {
	var t TrailValue
	if err := unmarshal(v, &t); err != nil {
		return err
	}
	in := &cloudtrail.CreateTrailInput{
		Name: aws.String(name), S3BucketName: aws.String(t.Bucket),
		IsMultiRegionTrail: aws.Bool(t.MultiRegion), IncludeGlobalServiceEvents: aws.Bool(t.GlobalServiceEvents),
		EnableLogFileValidation: aws.Bool(t.LogFileValidation), TagsList: trailTags(t.Tags),
	}
	if t.KeyPrefix != "" {
		in.S3KeyPrefix = aws.String(t.KeyPrefix)
	}
	if _, err := c.CloudTrail.CreateTrail(ctx, in); err != nil {
		return fmt.Errorf("create trail %s: %w", name, err)
	}
	// A new trail records management events with a default basic selector
	// and does not log until started: the rest is an update from that.
	created := TrailValue{Bucket: t.Bucket, KeyPrefix: t.KeyPrefix, MultiRegion: t.MultiRegion, GlobalServiceEvents: t.GlobalServiceEvents,
		LogFileValidation: t.LogFileValidation, Tags: t.Tags, BasicSelectors: []string{"default"}}
	return k.Update(ctx, c, name, marshal(created), v)
}

func (trailKind) Update(ctx context.Context, c *Clients, name string, before, after Value) error {
	var b, a TrailValue
	if err := unmarshal(before, &b); err != nil {
		return err
	}
	if err := unmarshal(after, &a); err != nil {
		return err
	}
	if b.Bucket != a.Bucket || b.KeyPrefix != a.KeyPrefix || b.MultiRegion != a.MultiRegion ||
		b.GlobalServiceEvents != a.GlobalServiceEvents || b.LogFileValidation != a.LogFileValidation {
		if _, err := c.CloudTrail.UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{
			Name: aws.String(name), S3BucketName: aws.String(a.Bucket), S3KeyPrefix: aws.String(a.KeyPrefix),
			IsMultiRegionTrail: aws.Bool(a.MultiRegion), IncludeGlobalServiceEvents: aws.Bool(a.GlobalServiceEvents),
			EnableLogFileValidation: aws.Bool(a.LogFileValidation),
		}); err != nil {
			return fmt.Errorf("update trail %s: %w", name, err)
		}
	}
	if len(b.BasicSelectors) > 0 || !sameSelectors(b.Selectors, a.Selectors) {
		in := &cloudtrail.PutEventSelectorsInput{TrailName: aws.String(name)}
		for _, s := range a.Selectors {
			as := cttypes.AdvancedEventSelector{Name: aws.String(s.Name)}
			for _, f := range s.Fields {
				as.FieldSelectors = append(as.FieldSelectors, cttypes.AdvancedFieldSelector{Field: aws.String(f.Field), Equals: f.Equals,
					StartsWith: f.StartsWith, EndsWith: f.EndsWith, NotEquals: f.NotEquals, NotStartsWith: f.NotStartsWith, NotEndsWith: f.NotEndsWith})
			}
			in.AdvancedEventSelectors = append(in.AdvancedEventSelectors, as)
		}
		if _, err := c.CloudTrail.PutEventSelectors(ctx, in); err != nil {
			return fmt.Errorf("set event selectors of trail %s: %w", name, err)
		}
	}
	if err := updateTrailTags(ctx, c, name, b.Tags, a.Tags); err != nil {
		return err
	}
	switch {
	case a.Logging && !b.Logging:
		if _, err := c.CloudTrail.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String(name)}); err != nil {
			return fmt.Errorf("start logging of trail %s: %w", name, err)
		}
	case !a.Logging && b.Logging:
		if _, err := c.CloudTrail.StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String(name)}); err != nil {
			return fmt.Errorf("stop logging of trail %s: %w", name, err)
		}
	}
	return nil
}

func sameSelectors(a, b []TrailSelector) bool {
	return string(marshal(CanonicalTrail(TrailValue{Selectors: a}).Selectors)) == string(marshal(CanonicalTrail(TrailValue{Selectors: b}).Selectors))
}

func trailTags(m map[string]string) []cttypes.Tag {
	var out []cttypes.Tag
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, cttypes.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

func updateTrailTags(ctx context.Context, c *Clients, name string, before, after map[string]string) error {
	arn := trailARN(c, name)
	var remove []cttypes.Tag
	for _, k := range slices.Sorted(maps.Keys(before)) {
		if _, keep := after[k]; !keep {
			remove = append(remove, cttypes.Tag{Key: aws.String(k)})
		}
	}
	if len(remove) > 0 {
		if _, err := c.CloudTrail.RemoveTags(ctx, &cloudtrail.RemoveTagsInput{ResourceId: aws.String(arn), TagsList: remove}); err != nil {
			return fmt.Errorf("remove tags of trail %s: %w", name, err)
		}
	}
	set := map[string]string{}
	for k, v := range after {
		if bv, ok := before[k]; !ok || bv != v {
			set[k] = v
		}
	}
	if len(set) > 0 {
		if _, err := c.CloudTrail.AddTags(ctx, &cloudtrail.AddTagsInput{ResourceId: aws.String(arn), TagsList: trailTags(set)}); err != nil {
			return fmt.Errorf("tag trail %s: %w", name, err)
		}
	}
	return nil
}

// Delete stops the trail's logging, then deletes it. The log files it
// delivered stay in the log bucket (destroy decides about those).
func (trailKind) Delete(ctx context.Context, c *Clients, name string, _ Value) error {
	if _, err := c.CloudTrail.StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String(name)}); err != nil && !isNotFound(err, "TrailNotFoundException") {
		return fmt.Errorf("stop logging of trail %s: %w", name, err)
	}
	if _, err := c.CloudTrail.DeleteTrail(ctx, &cloudtrail.DeleteTrailInput{Name: aws.String(name)}); err != nil && !isNotFound(err, "TrailNotFoundException") {
		return fmt.Errorf("delete trail %s: %w", name, err)
	}
	return nil
}
