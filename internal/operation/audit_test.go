package operation

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/xacct/xacct/internal/audit/audittest"
	"github.com/xacct/xacct/internal/resource"
)

// logsS3 is the Reporting account's S3 with the log bucket in it.
type logsS3 struct {
	resource.S3API
	b *audittest.Bucket
}

func (l logsS3) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, o ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	return l.b.ListObjectsV2(ctx, in, o...)
}

func (l logsS3) GetObject(ctx context.Context, in *s3.GetObjectInput, o ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	return l.b.GetObject(ctx, in, o...)
}

// TestPlanNamesWhoChangedADriftedResource: a role policy edited by hand
// after apply is attributed to the newest PutRolePolicy on it in the logs
// (not to an older one, not to one on another role, not to a refused
// one); a change the config made is not drift; a log bucket that cannot
// be read leaves a note and no failure.
func TestPlanNamesWhoChangedADriftedResource(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "")
	w.converge(false)
	ctx := context.Background()
	role := "acme-data-testers"
	doc := `{"Version":"2012-10-17","Statement":[{"Sid":"ObjectAccess","Effect":"Allow","Action":["s3:DeleteObject","s3:GetObject"],"Resource":"arn:aws:s3:::acme-data-prod/*"}]}`
	if _, err := w.clients["production"].IAM.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String("s3-access"), PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	b := audittest.NewBucket("acme-data-logs-333333333333")
	put := func(at time.Time, user, roleName, errCode, id string) map[string]any {
		return audittest.Event{Time: at, Account: "222222222222", Region: "us-east-1", Source: "iam.amazonaws.com", Name: "PutRolePolicy",
			Identity: audittest.IAMUser("222222222222", user), Params: map[string]any{"roleName": roleName, "policyName": "s3-access"},
			Error: errCode, Mgmt: true, ID: id}.Record()
	}
	key, body := audittest.LogFile("222222222222", "us-east-1", now.Add(-2*24*time.Hour), "old", []map[string]any{put(now.Add(-2*24*time.Hour-time.Minute), "oldtimer", role, "", "e-old")})
	b.Put(key, body, nil)
	key, body = audittest.LogFile("222222222222", "us-east-1", now.Add(-9*time.Minute), "new", []map[string]any{
		put(now.Add(-12*time.Minute), "mallory", role, "", "e-mallory"),
		put(now.Add(-11*time.Minute), "eve", role, "AccessDenied", "e-refused"),
		put(now.Add(-10*time.Minute), "trent", "acme-data-developers", "", "e-other-role"),
	})
	b.Put(key, body, nil)

	s := w.open(NeedPackage, false)
	s.clients["reporting"].S3 = logsS3{S3API: s.clients["reporting"].S3, b: b}
	p, err := s.Plan(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	s.AttributeDrift(ctx, p, 5*time.Second)
	addr := resource.Address{Account: "production", Kind: "iam_role_policy", Name: role + "/s3-access"}
	at, ok := p.DriftBy[addr]
	if !ok || p.DriftNote != "" {
		t.Fatalf("DriftBy = %v, note %q; want %s attributed", p.DriftBy, p.DriftNote, addr)
	}
	if at.Who != "mallory (production)" || at.EventID != "e-mallory" || at.Action != "iam:PutRolePolicy" || at.ARN != "arn:aws:iam::222222222222:user/mallory" {
		t.Errorf("attribution = %+v, want mallory's PutRolePolicy", at)
	}
	if len(p.DriftBy) != 1 {
		t.Errorf("DriftBy = %v, want only %s", p.DriftBy, addr)
	}

	// The log bucket is not there: a note, the plan unchanged.
	s2 := w.open(NeedPackage, false)
	s2.clients["reporting"].S3 = logsS3{S3API: s2.clients["reporting"].S3, b: audittest.NewBucket("another-bucket")}
	p2, err := s2.Plan(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	before := len(p2.Changes)
	s2.AttributeDrift(ctx, p2, 5*time.Second)
	if len(p2.DriftBy) != 0 || !strings.Contains(p2.DriftNote, "the logs could not be read") || len(p2.Changes) != before {
		t.Errorf("unreadable logs: DriftBy %v, note %q", p2.DriftBy, p2.DriftNote)
	}
}

// TestNoDriftWithoutAChangeOutside: updates the config makes (the actual
// value is still the one applied) read no logs.
func TestNoDriftWithoutAChangeOutside(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "")
	w.converge(false)
	w.writeConfig("groups:\n  developers: {}\n  testers: { actions: [s3:GetObject] }\n")
	s := w.open(NeedPackage, false)
	b := audittest.NewBucket("acme-data-logs-333333333333")
	s.clients["reporting"].S3 = logsS3{S3API: s.clients["reporting"].S3, b: b}
	p, err := s.Plan(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	if _, n, _ := p.Counts(); n == 0 {
		t.Fatal("the config change planned no update")
	}
	s.AttributeDrift(context.Background(), p, 5*time.Second)
	if p.DriftBy != nil || p.DriftNote != "" || b.Lists.Load() != 0 {
		t.Errorf("a config change read the logs: DriftBy %v, note %q, %d listings", p.DriftBy, p.DriftNote, b.Lists.Load())
	}
}
