package resource_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/xacct/xacct/internal/resource"
	"github.com/xacct/xacct/internal/resource/resourcetest"
)

const trailName = "acme-data-trail"

func trailValue() resource.TrailValue {
	return resource.CanonicalTrail(resource.TrailValue{
		Bucket: "acme-data-logs", MultiRegion: true, GlobalServiceEvents: true, LogFileValidation: true, Logging: true,
		Selectors: []resource.TrailSelector{
			{Name: "Management events", Fields: []resource.TrailField{{Field: "eventCategory", Equals: []string{"Management"}}}},
			{Name: "Production bucket objects", Fields: []resource.TrailField{
				{Field: "resources.type", Equals: []string{"AWS::S3::Object"}},
				{Field: "eventCategory", Equals: []string{"Data"}},
				{Field: "resources.ARN", StartsWith: []string{"arn:aws:s3:::acme-data-production/"}},
			}},
		},
		Tags: map[string]string{resource.TagStack: "acme-data", resource.TagManagedBy: "xacct"},
	})
}

// TestTrailRoundTrip: a created trail reads back as desired (logging, the
// advanced selectors in place of the default basic one), and a trail that
// does not exist reads as absent.
func TestTrailRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, f := resourcetest.New(prodAccount, region)
	k := kindOf(t, "cloudtrail_trail")
	if v, err := k.Read(ctx, c, trailName); err != nil || v != nil {
		t.Fatalf("Read of a missing trail = %s, %v; want absent", v, err)
	}
	want := value(t, trailValue())
	if err := k.Create(ctx, c, trailName, want); err != nil {
		t.Fatal(err)
	}
	wantValue(t, c, "cloudtrail_trail", trailName, want)
	ops := strings.Join(f.Ops(), " ")
	for _, op := range []string{"CreateTrail", "PutEventSelectors", "StartLogging"} {
		if !strings.Contains(ops, op) {
			t.Errorf("create called %s, want %s among them", ops, op)
		}
	}
	if err := k.Delete(ctx, c, trailName, want); err != nil {
		t.Fatal(err)
	}
	if v, _ := k.Read(ctx, c, trailName); v != nil {
		t.Errorf("after Delete the trail reads %s", v)
	}
	if err := k.Delete(ctx, c, trailName, want); err != nil {
		t.Errorf("Delete of a deleted trail = %v, want nil", err)
	}
}

// TestTrailDrift: each change someone can make to a trail by hand shows in
// its value, and Update from that value brings the trail back.
func TestTrailDrift(t *testing.T) {
	t.Parallel()
	arn := "arn:aws:cloudtrail:" + region + ":" + prodAccount + ":trail/" + trailName
	tests := []struct {
		name  string
		drift func(context.Context, *resource.Clients, *resourcetest.Fake) error
	}{
		{"logging stopped", func(ctx context.Context, c *resource.Clients, _ *resourcetest.Fake) error {
			_, err := c.CloudTrail.StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String(trailName)})
			return err
		}},
		{"data events narrowed", func(ctx context.Context, c *resource.Clients, _ *resourcetest.Fake) error {
			_, err := c.CloudTrail.PutEventSelectors(ctx, &cloudtrail.PutEventSelectorsInput{TrailName: aws.String(trailName),
				AdvancedEventSelectors: []cttypes.AdvancedEventSelector{{Name: aws.String("Management events"),
					FieldSelectors: []cttypes.AdvancedFieldSelector{{Field: aws.String("eventCategory"), Equals: []string{"Management"}}}}}})
			return err
		}},
		{"basic selectors", func(_ context.Context, _ *resource.Clients, f *resourcetest.Fake) error {
			f.SetBasicSelectors(trailName, []cttypes.EventSelector{{ReadWriteType: cttypes.ReadWriteTypeWriteOnly, IncludeManagementEvents: aws.Bool(true)}})
			return nil
		}},
		{"delivery moved", func(ctx context.Context, c *resource.Clients, _ *resourcetest.Fake) error {
			_, err := c.CloudTrail.UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{Name: aws.String(trailName), S3BucketName: aws.String("elsewhere"),
				EnableLogFileValidation: aws.Bool(false), IsMultiRegionTrail: aws.Bool(false)})
			return err
		}},
		{"tag removed and added", func(ctx context.Context, c *resource.Clients, _ *resourcetest.Fake) error {
			if _, err := c.CloudTrail.RemoveTags(ctx, &cloudtrail.RemoveTagsInput{ResourceId: aws.String(arn), TagsList: []cttypes.Tag{{Key: aws.String(resource.TagManagedBy)}}}); err != nil {
				return err
			}
			_, err := c.CloudTrail.AddTags(ctx, &cloudtrail.AddTagsInput{ResourceId: aws.String(arn), TagsList: []cttypes.Tag{{Key: aws.String("owner"), Value: aws.String("mallory")}}})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			c, f := resourcetest.New(prodAccount, region)
			k := kindOf(t, "cloudtrail_trail")
			want := value(t, trailValue())
			if err := k.Create(ctx, c, trailName, want); err != nil {
				t.Fatal(err)
			}
			if err := tt.drift(ctx, c, f); err != nil {
				t.Fatal(err)
			}
			got := read(t, c, "cloudtrail_trail", trailName)
			if string(got) == string(want) {
				t.Fatalf("after the drift the trail still reads as desired: %s", got)
			}
			if err := k.Update(ctx, c, trailName, got, want); err != nil {
				t.Fatal(err)
			}
			wantValue(t, c, "cloudtrail_trail", trailName, want)
		})
	}
}

// TestCanonicalTrail: selectors, their fields and values are sets.
func TestCanonicalTrail(t *testing.T) {
	t.Parallel()
	a := trailValue()
	b := a
	b.Selectors = []resource.TrailSelector{a.Selectors[1], a.Selectors[0]}
	b.Selectors[0].Fields = []resource.TrailField{b.Selectors[0].Fields[2], b.Selectors[0].Fields[0], b.Selectors[0].Fields[1]}
	if got, want := string(value(t, resource.CanonicalTrail(b))), string(value(t, a)); got != want {
		t.Errorf("canonical\n  %s\nwant\n  %s", got, want)
	}
}

// TestTrailOfAnotherRegion: a multi-region trail whose home is another
// region is not taken for the stack's.
func TestTrailOfAnotherRegion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := resourcetest.New(prodAccount, "us-west-2")
	if err := kindOf(t, "cloudtrail_trail").Create(ctx, c, trailName, value(t, trailValue())); err != nil {
		t.Fatal(err)
	}
	c.Region = region
	if _, err := kindOf(t, "cloudtrail_trail").Read(ctx, c, trailName); err == nil || !strings.Contains(err.Error(), "lives in region us-west-2") {
		t.Errorf("Read = %v, want an error naming the trail's home region", err)
	}
}

// overlapping is the CloudTrail of a test that counts how many of its
// reads are in flight at once: each waits (up to a second) for the others
// of a trail's read to arrive.
type overlapping struct {
	resource.CloudTrailAPI
	mu      sync.Mutex
	flight  int
	most    int
	arrived chan struct{}
}

func (o *overlapping) enter() func() {
	o.mu.Lock()
	o.flight++
	o.most = max(o.most, o.flight)
	all := o.flight == 4
	o.mu.Unlock()
	if all {
		close(o.arrived)
	}
	select {
	case <-o.arrived:
	case <-time.After(time.Second):
	}
	return func() {
		o.mu.Lock()
		o.flight--
		o.mu.Unlock()
	}
}

func (o *overlapping) GetTrail(ctx context.Context, in *cloudtrail.GetTrailInput, opts ...func(*cloudtrail.Options)) (*cloudtrail.GetTrailOutput, error) {
	defer o.enter()()
	return o.CloudTrailAPI.GetTrail(ctx, in, opts...)
}

func (o *overlapping) GetTrailStatus(ctx context.Context, in *cloudtrail.GetTrailStatusInput, opts ...func(*cloudtrail.Options)) (*cloudtrail.GetTrailStatusOutput, error) {
	defer o.enter()()
	return o.CloudTrailAPI.GetTrailStatus(ctx, in, opts...)
}

func (o *overlapping) GetEventSelectors(ctx context.Context, in *cloudtrail.GetEventSelectorsInput, opts ...func(*cloudtrail.Options)) (*cloudtrail.GetEventSelectorsOutput, error) {
	defer o.enter()()
	return o.CloudTrailAPI.GetEventSelectors(ctx, in, opts...)
}

func (o *overlapping) ListTags(ctx context.Context, in *cloudtrail.ListTagsInput, opts ...func(*cloudtrail.Options)) (*cloudtrail.ListTagsOutput, error) {
	defer o.enter()()
	return o.CloudTrailAPI.ListTags(ctx, in, opts...)
}

// TestTrailReadIsOneRoundTrip: a plan reads a trail's four parts at once
// (on AWS each sequential round trip adds its latency to every plan), and
// the value read that way is the trail's.
func TestTrailReadIsOneRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := resourcetest.New(prodAccount, region)
	k := kindOf(t, "cloudtrail_trail")
	want := value(t, trailValue())
	if err := k.Create(ctx, c, trailName, want); err != nil {
		t.Fatal(err)
	}
	o := &overlapping{CloudTrailAPI: c.CloudTrail, arrived: make(chan struct{})}
	c.CloudTrail = o
	got, err := k.Read(ctx, c, trailName)
	if err != nil || string(got) != string(want) {
		t.Fatalf("Read = %s, %v; want %s", got, err, want)
	}
	if o.most != 4 {
		t.Errorf("at most %d of the trail's 4 reads were in flight at once, want all 4", o.most)
	}
}
