package e2e

import (
	"context"
	"encoding/json"
	"io"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// testfnMode sets the test function's TESTFN_MODE (see
// internal/sandbox/testfn), keeping its other variables.
func (p pattern) testfnMode(t *testing.T, lc *lambda.Client, mode string) {
	t.Helper()
	must(lc.UpdateFunctionConfiguration(context.Background(), &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(p.fn),
		Environment: &lambdatypes.Environment{Variables: map[string]string{
			"WRITER_ROLE_ARN": "arn:aws:iam::" + repID + ":role/" + p.writerRole, "REPORT_BUCKET": p.report, "TESTFN_MODE": mode}}}))(t)
}

// eventRecord is what the test function in "record" mode keeps of an S3
// event record.
type eventRecord struct {
	EventName string `json:"eventName"`
	S3        struct {
		Object map[string]any `json:"object"`
	} `json:"s3"`
}

// recordedEvents waits until the test function has recorded n events of
// bucket, and returns them in sequencer order.
func recordedEvents(t *testing.T, rep *client, p pattern, bucket string, n int) []eventRecord {
	t.Helper()
	ctx := context.Background()
	prefix := "metadata/events/" + bucket + "/"
	var keys []string
	for start := time.Now(); ; time.Sleep(100 * time.Millisecond) {
		out := must(rep.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(p.report), Prefix: aws.String(prefix)}))(t)
		keys = keys[:0]
		for _, o := range out.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
		if len(keys) >= n {
			break
		}
		if time.Since(start) > 20*time.Second {
			t.Fatalf("%d events of %s recorded after 20s, want %d: %v\nsandbox log:\n%s", len(keys), bucket, n, keys, sandboxLog)
		}
	}
	sort.Strings(keys) // sequencers of one length sort as they compare
	var evs []eventRecord
	for _, k := range keys {
		obj := must(rep.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(p.report), Key: aws.String(k)}))(t)
		b, _ := io.ReadAll(obj.Body)
		obj.Body.Close()
		var ev eventRecord
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatalf("%s: %v: %s", k, err, b)
		}
		evs = append(evs, ev)
	}
	return evs
}

// TestS3RemovalEventsReachTheFunction: DeleteObject without a version on a
// versioned bucket sends ObjectRemoved:DeleteMarkerCreated with the marker's
// version; with a version (an object's or a marker's), ObjectRemoved:Delete
// with that version; DeleteObjects one event per key deleted; an unversioned
// bucket's delete has no version. Removal events carry no size or eTag, and
// the sequencer orders a bucket's created and removed events as the
// requests were made.
func TestS3RemovalEventsReachTheFunction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	prod, rep := orgAdmin(t, prodID), orgAdmin(t, repID)
	p := setupPattern(t, runtime.GOARCH, true)
	lc := lambda.NewFromConfig(prod.cfg)
	p.testfnMode(t, lc, "record")
	plain := uniq(t, "plain")
	must(prod.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(plain)}))(t)
	must(lc.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String(p.fn), StatementId: aws.String("s3-plain"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("s3.amazonaws.com"),
		SourceArn: aws.String("arn:aws:s3:::" + plain), SourceAccount: aws.String(prodID)}))(t)
	must(prod.s3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(p.src),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}))(t)
	for _, b := range []string{p.src, plain} {
		must(prod.s3.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{Bucket: aws.String(b),
			NotificationConfiguration: &s3types.NotificationConfiguration{LambdaFunctionConfigurations: []s3types.LambdaFunctionConfiguration{{
				LambdaFunctionArn: aws.String(p.fnARN), Events: []s3types.Event{"s3:ObjectCreated:*", "s3:ObjectRemoved:*"},
			}}},
		}))(t)
	}

	put := func(bucket, key string) string {
		out := must(prod.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader("data")}))(t)
		return aws.ToString(out.VersionId)
	}
	v1 := put(p.src, "k1")
	del := must(prod.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(p.src), Key: aws.String("k1")}))(t)
	marker := aws.ToString(del.VersionId)
	if !aws.ToBool(del.DeleteMarker) || marker == "" {
		t.Fatalf("DeleteObject on a versioned bucket: delete marker %v, version %q", aws.ToBool(del.DeleteMarker), marker)
	}
	must(prod.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(p.src), Key: aws.String("k1"), VersionId: aws.String(v1)}))(t)
	must(prod.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(p.src), Key: aws.String("k1"), VersionId: aws.String(marker)}))(t)
	put(p.src, "k 2")
	v3 := put(p.src, "k3")
	dels := must(prod.s3.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(p.src), Delete: &s3types.Delete{Quiet: aws.Bool(true), Objects: []s3types.ObjectIdentifier{
		{Key: aws.String("k 2")}, {Key: aws.String("k3"), VersionId: aws.String(v3)},
	}}}))(t)
	if len(dels.Deleted) != 0 || len(dels.Errors) != 0 {
		t.Errorf("quiet DeleteObjects listed %d deleted, %d errors", len(dels.Deleted), len(dels.Errors))
	}
	put(plain, "p1")
	must(prod.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(plain), Key: aws.String("p1")}))(t)

	got := recordedEvents(t, rep, p, p.src, 8)
	want := []struct{ name, key, version string }{
		{"ObjectCreated:Put", "k1", v1},
		{"ObjectRemoved:DeleteMarkerCreated", "k1", marker},
		{"ObjectRemoved:Delete", "k1", v1},
		{"ObjectRemoved:Delete", "k1", marker},
		{"ObjectCreated:Put", "k+2", "*"},
		{"ObjectCreated:Put", "k3", v3},
		{"ObjectRemoved:DeleteMarkerCreated", "k+2", "*"},
		{"ObjectRemoved:Delete", "k3", v3},
	}
	if len(got) != len(want) {
		t.Fatalf("%d events, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		ev, obj := got[i], got[i].S3.Object
		v, _ := obj["versionId"].(string)
		if ev.EventName != w.name || obj["key"] != w.key || (w.version == "*" && v == "") || (w.version != "*" && v != w.version) {
			t.Errorf("event %d: %s %v %q, want %s %s %s", i, ev.EventName, obj["key"], v, w.name, w.key, w.version)
		}
		_, size := obj["size"]
		_, etag := obj["eTag"]
		if removed := strings.HasPrefix(ev.EventName, "ObjectRemoved:"); removed == size || removed == etag {
			t.Errorf("event %d (%s): size present %v, eTag present %v", i, ev.EventName, size, etag)
		}
	}
	if m := got[6].S3.Object["versionId"]; m == got[4].S3.Object["versionId"] {
		t.Errorf("the delete marker of k 2 has the version of the object it hides: %v", m)
	}

	plainEvents := recordedEvents(t, rep, p, plain, 2)
	if ev := plainEvents[1]; ev.EventName != "ObjectRemoved:Delete" || ev.S3.Object["key"] != "p1" || ev.S3.Object["versionId"] != nil {
		t.Errorf("unversioned delete: %+v", ev)
	}
}
