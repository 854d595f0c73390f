package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// logBucketPolicy lets cloudtrail.amazonaws.com read the bucket's ACL and
// write each account's logs, for that account's trail only, as the
// CloudTrail User Guide's bucket policy for several accounts does, behind
// a TLS-only deny.
func logBucketPolicy(bucket string, trailARNs map[string]string) string {
	var arns, writes []string
	for account, arn := range trailARNs {
		arns = append(arns, `"`+arn+`"`)
		writes = append(writes, `{"Sid":"Write`+account+`","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject",`+
			`"Resource":"arn:aws:s3:::`+bucket+`/AWSLogs/`+account+`/*","Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control","aws:SourceArn":"`+arn+`"}}}`)
	}
	return `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::` + bucket + `","arn:aws:s3:::` + bucket + `/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}},` +
		`{"Sid":"AclCheck","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::` + bucket + `","Condition":{"StringEquals":{"aws:SourceArn":[` + strings.Join(arns, ",") + `]}}},` +
		strings.Join(writes, ",") + `]}`
}

// trailEnv is a log bucket in Reporting and the trail of one account
// delivering to it, logging, with the settings xacct uses.
type trailEnv struct {
	bucket   string // the log bucket
	data     string // a bucket of the trail's account whose objects are data events
	account  string
	name     string
	arn      string
	rep, adm *client // Reporting's and the trail account's administrators
	ct       *cloudtrail.Client
}

// newTrailEnv sets a trail up with the SDK (xacct's own resources are
// another change's): the log bucket with BucketOwnerEnforced and the
// CloudTrail policy, the trail (multi-region, global events, validation),
// management events plus data events on the data bucket, logging. It is
// stopped and deleted when the test ends.
func newTrailEnv(t testing.TB, account string) *trailEnv {
	t.Helper()
	return newDataTrailEnv(t, account, "")
}

// newDataTrailEnv is newTrailEnv whose data events are those on the
// objects of data, a bucket of the account that exists ("": a new one).
func newDataTrailEnv(t testing.TB, account, data string) *trailEnv {
	t.Helper()
	ctx := context.Background()
	e := &trailEnv{bucket: uniq(t, "logs"), data: data, account: account, name: uniq(t, "trail"), rep: orgAdmin(t, repID), adm: orgAdmin(t, account)}
	e.arn = "arn:aws:cloudtrail:" + shared.Region + ":" + account + ":trail/" + e.name
	e.ct = cloudtrail.NewFromConfig(e.adm.cfg)
	must(e.rep.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(e.bucket)}))(t)
	must(e.rep.s3.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{Bucket: aws.String(e.bucket),
		OwnershipControls: &s3types.OwnershipControls{Rules: []s3types.OwnershipControlsRule{{ObjectOwnership: s3types.ObjectOwnershipBucketOwnerEnforced}}}}))(t)
	must(e.rep.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(e.bucket), Policy: aws.String(logBucketPolicy(e.bucket, map[string]string{account: e.arn}))}))(t)
	if e.data == "" {
		e.data = uniq(t, "data")
		must(e.adm.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(e.data)}))(t)
	}
	must(e.ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String(e.name), S3BucketName: aws.String(e.bucket),
		IsMultiRegionTrail: aws.Bool(true), IncludeGlobalServiceEvents: aws.Bool(true), EnableLogFileValidation: aws.Bool(true)}))(t)
	t.Cleanup(func() {
		_, _ = e.ct.StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String(e.name)})
		_, _ = e.ct.DeleteTrail(ctx, &cloudtrail.DeleteTrailInput{Name: aws.String(e.name)})
	})
	must(e.ct.PutEventSelectors(ctx, &cloudtrail.PutEventSelectorsInput{TrailName: aws.String(e.name), AdvancedEventSelectors: []cttypes.AdvancedEventSelector{
		{Name: aws.String("management"), FieldSelectors: []cttypes.AdvancedFieldSelector{{Field: aws.String("eventCategory"), Equals: []string{"Management"}}}},
		{Name: aws.String("data"), FieldSelectors: []cttypes.AdvancedFieldSelector{
			{Field: aws.String("eventCategory"), Equals: []string{"Data"}},
			{Field: aws.String("resources.type"), Equals: []string{"AWS::S3::Object"}},
			{Field: aws.String("resources.ARN"), StartsWith: []string{"arn:aws:s3:::" + e.data + "/"}},
		}},
	}}))(t)
	must(e.ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String(e.name)}))(t)
	return e
}

// logRecord is the part of a CloudTrail record the tests read.
type logRecord struct {
	EventVersion string `json:"eventVersion"`
	UserIdentity struct {
		Type           string `json:"type"`
		ARN            string `json:"arn"`
		AccountID      string `json:"accountId"`
		SessionContext struct {
			SessionIssuer struct {
				Type     string `json:"type"`
				UserName string `json:"userName"`
			} `json:"sessionIssuer"`
		} `json:"sessionContext"`
	} `json:"userIdentity"`
	EventSource        string         `json:"eventSource"`
	EventName          string         `json:"eventName"`
	AWSRegion          string         `json:"awsRegion"`
	ErrorCode          string         `json:"errorCode"`
	RequestParameters  map[string]any `json:"requestParameters"`
	EventCategory      string         `json:"eventCategory"`
	RecipientAccountID string         `json:"recipientAccountId"`
	ReadOnly           bool           `json:"readOnly"`
	Resources          []struct {
		Type      string `json:"type"`
		ARN       string `json:"ARN"`
		ARNPrefix string `json:"ARNPrefix"` // of a list's objects
	} `json:"resources"`
}

// logFiles are the keys of the log files delivered for the env's account.
func (e *trailEnv) logFiles(t testing.TB, kind string) []string {
	t.Helper()
	out := must(e.rep.s3.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(e.bucket),
		Prefix: aws.String("AWSLogs/" + e.account + "/" + kind + "/")}))(t)
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys
}

// records reads every delivered log file's records.
func (e *trailEnv) records(t testing.TB) []logRecord {
	t.Helper()
	var all []logRecord
	for _, key := range e.logFiles(t, "CloudTrail") {
		all = append(all, readLogFile(t, e.rep, e.bucket, key)...)
	}
	return all
}

func readLogFile(t testing.TB, c *client, bucket, key string) []logRecord {
	t.Helper()
	obj := must(c.s3.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}))(t)
	defer obj.Body.Close()
	raw := must(io.ReadAll(obj.Body))(t)
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%s is not gzip: %v", key, err)
	}
	var f struct{ Records []logRecord }
	if err := json.NewDecoder(zr).Decode(&f); err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return f.Records
}

// waitRecord polls the delivered log files until one record satisfies ok,
// for at most limit.
func (e *trailEnv) waitRecord(t testing.TB, limit time.Duration, ok func(logRecord) bool) logRecord {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		for _, r := range e.records(t) {
			if ok(r) {
				return r
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no such record delivered within %s; the sandbox said:\n%s", limit, sandboxLog)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestTrailRefusesBucketWithoutPolicy: CloudTrail refuses a trail whose
// bucket's policy does not let it deliver, as AWS does.
func TestTrailRefusesBucketWithoutPolicy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rep, prod := orgAdmin(t, repID), orgAdmin(t, prodID)
	ct := cloudtrail.NewFromConfig(prod.cfg)
	bucket := uniq(t, "nologs")
	must(rep.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}))(t)
	name := uniq(t, "trail")
	create := func() error {
		_, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String(name), S3BucketName: aws.String(bucket), IsMultiRegionTrail: aws.Bool(true)})
		return err
	}
	wantCode(t, create(), "InsufficientS3BucketPolicyException")
	// A TLS-only policy without CloudTrail's statements is no better.
	must(rep.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::` + bucket + `","arn:aws:s3:::` + bucket + `/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`)}))(t)
	wantCode(t, create(), "InsufficientS3BucketPolicyException")
	// The policy of another trail's ARN does not let this one deliver.
	other := "arn:aws:cloudtrail:" + shared.Region + ":" + prodID + ":trail/someone-else"
	must(rep.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(logBucketPolicy(bucket, map[string]string{prodID: other}))}))(t)
	wantCode(t, create(), "InsufficientS3BucketPolicyException")
	_, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String(name), S3BucketName: aws.String(uniq(t, "missing"))})
	wantCode(t, err, "S3BucketDoesNotExistException")
	_, err = ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("-bad..name"), S3BucketName: aws.String(bucket)})
	wantCode(t, err, "InvalidTrailNameException")
	_, err = ct.GetTrail(ctx, &cloudtrail.GetTrailInput{Name: aws.String(name)})
	wantCode(t, err, "TrailNotFoundException")

	// With the trail's own ARN in the policy it is created, once.
	arn := "arn:aws:cloudtrail:" + shared.Region + ":" + prodID + ":trail/" + name
	must(rep.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(logBucketPolicy(bucket, map[string]string{prodID: arn}))}))(t)
	if err := create(); err != nil {
		t.Fatalf("create with CloudTrail's policy: %v", err)
	}
	t.Cleanup(func() { _, _ = ct.DeleteTrail(ctx, &cloudtrail.DeleteTrailInput{Name: aws.String(name)}) })
	wantCode(t, create(), "TrailAlreadyExistsException")
	got := must(ct.GetTrail(ctx, &cloudtrail.GetTrailInput{Name: aws.String(arn)}))(t)
	if aws.ToString(got.Trail.TrailARN) != arn || aws.ToString(got.Trail.HomeRegion) != shared.Region || !aws.ToBool(got.Trail.IsMultiRegionTrail) {
		t.Fatalf("GetTrail = %+v", got.Trail)
	}
	// Someone else's account sees no such trail.
	_, err = cloudtrail.NewFromConfig(orgAdmin(t, devID).cfg).GetTrail(ctx, &cloudtrail.GetTrailInput{Name: aws.String(arn)})
	wantCode(t, err, "TrailNotFoundException")
}

// TestTrailRecordsAndDelivers: the Production trail logs its management
// events, the data events on its bucket (a refused one with its error),
// and IAM's global events, in a log file in Reporting's bucket within ten
// seconds; a bucket policy that stops letting CloudTrail write shows as the
// trail's LatestDeliveryError.
func TestTrailRecordsAndDelivers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newTrailEnv(t, prodID)
	start := time.Now()
	must(e.adm.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(e.data), Key: aws.String("in/report.csv"), Body: strings.NewReader("a,b")}))(t)
	// The Development administrator may not read Production's bucket.
	_, err := orgAdmin(t, devID).s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(e.data), Key: aws.String("in/report.csv")})
	wantCode(t, err, "AccessDenied")
	role := uniq(t, "changed")
	must(e.adm.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}))(t)

	put := e.waitRecord(t, 10*time.Second, func(r logRecord) bool {
		return r.EventName == "PutObject" && r.RequestParameters["key"] == "in/report.csv"
	})
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("the upload reached the log bucket after %s, want within 10s", took)
	}
	if put.EventCategory != "Data" || put.UserIdentity.Type != "AssumedRole" || put.UserIdentity.SessionContext.SessionIssuer.UserName != "OrganizationAccountAccessRole" ||
		put.RecipientAccountID != prodID || put.ErrorCode != "" || put.ReadOnly || put.EventSource != "s3.amazonaws.com" ||
		len(put.Resources) != 2 || put.Resources[0].ARN != "arn:aws:s3:::"+e.data+"/in/report.csv" {
		t.Fatalf("the upload's record: %+v", put)
	}
	denied := e.waitRecord(t, 10*time.Second, func(r logRecord) bool { return r.EventName == "GetObject" && r.ErrorCode != "" })
	if denied.ErrorCode != "AccessDenied" || denied.UserIdentity.AccountID != devID || denied.RecipientAccountID != prodID {
		t.Fatalf("the refused read's record: %+v", denied)
	}
	changed := e.waitRecord(t, 10*time.Second, func(r logRecord) bool { return r.EventName == "CreateRole" && r.RequestParameters["roleName"] == role })
	if changed.EventSource != "iam.amazonaws.com" || changed.AWSRegion != "us-east-1" || changed.EventCategory != "Management" || changed.EventVersion == "" {
		t.Fatalf("the role change's record: %+v", changed)
	}
	// The data bucket's listing is a data event too; Reporting's trail
	// (none here) would see nothing of Production's bucket.
	st := must(e.ct.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(e.name)}))(t)
	if !aws.ToBool(st.IsLogging) || st.LatestDeliveryTime == nil || aws.ToString(st.LatestDeliveryError) != "" {
		t.Fatalf("GetTrailStatus = %+v", st)
	}

	// A policy that no longer lets CloudTrail write: delivery is refused.
	must(e.rep.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(e.bucket), Policy: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::` + e.bucket + `","arn:aws:s3:::` + e.bucket + `/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`)}))(t)
	must(e.adm.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(e.data), Key: aws.String("after"), Body: strings.NewReader("1")}))(t)
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := must(e.ct.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(e.name)}))(t)
		if aws.ToString(st.LatestDeliveryError) == "AccessDenied" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("LatestDeliveryError = %q, want AccessDenied", aws.ToString(st.LatestDeliveryError))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// BenchmarkS3GetObjectTrail is BenchmarkS3GetObject's gateway-tls case
// with a trail logging every GetObject on the bucket as a data event: the
// difference of the medians is what recording adds to a request.
func BenchmarkS3GetObjectTrail(b *testing.B) {
	ctx := context.Background()
	e := newTrailEnv(b, prodID)
	must(e.adm.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(e.data), Key: aws.String("k"), Body: bytes.NewReader(make([]byte, 1024))}))(b)
	reader, _ := sessionWith(b, prodID, allowS3(e.data, `["s3:GetObject"]`))
	lat := make([]time.Duration, 0, b.N)
	for b.Loop() {
		start := time.Now()
		out, err := reader.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(e.data), Key: aws.String("k")})
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, out.Body)
		out.Body.Close()
		lat = append(lat, time.Since(start))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
