package sandbox

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/xacct/xacct/internal/iampolicy"
)

// notificationXML is an S3 NotificationConfiguration; the sandbox delivers
// to Lambda functions only.
type notificationXML struct {
	XMLName   xml.Name         `xml:"NotificationConfiguration"`
	Xmlns     string           `xml:"xmlns,attr,omitempty"`
	Functions []functionConfig `xml:"CloudFunctionConfiguration"`
	Queues    []struct{}       `xml:"QueueConfiguration"`
	Topics    []struct{}       `xml:"TopicConfiguration"`
	EventBus  *struct{}        `xml:"EventBridgeConfiguration"`
}

type functionConfig struct {
	ID       string   `xml:"Id,omitempty" json:"id,omitempty"`
	Function string   `xml:"CloudFunction" json:"function"`
	Events   []string `xml:"Event" json:"events"`
	Filter   *struct {
		Rules []filterRule `xml:"S3Key>FilterRule" json:"rules"`
	} `xml:"Filter,omitempty" json:"filter,omitempty"`
}

type filterRule struct {
	Name  string `xml:"Name" json:"name"`
	Value string `xml:"Value" json:"value"`
}

// notificationConfig serves Put/GetBucketNotificationConfiguration. The
// gateway keeps the configuration itself (kumo would try to deliver through
// a hard-coded port), and delivers the events.
func (g *gateway) notificationConfig(c *call, op s3Op, owner string) {
	switch c.r.Method {
	case http.MethodGet:
		var cfg []functionConfig
		g.st.view(func() {
			if m := g.st.Buckets[op.bucket]; m != nil && m.Notification != nil {
				_ = json.Unmarshal(m.Notification, &cfg)
			}
		})
		out := notificationXML{Xmlns: "http://s3.amazonaws.com/doc/2006-03-01/", Functions: cfg}
		b, _ := xml.Marshal(out)
		c.w.Header().Set("Content-Type", "application/xml")
		_, _ = c.w.Write(append([]byte(xml.Header), b...))
	case http.MethodPut:
		var in notificationXML
		if err := xml.Unmarshal(c.body, &in); err != nil {
			g.fail(c, http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
			return
		}
		if len(in.Queues) > 0 || len(in.Topics) > 0 || in.EventBus != nil {
			g.fail(c, http.StatusBadRequest, "InvalidArgument", "the xacct sandbox delivers bucket notifications to Lambda functions only")
			return
		}
		var bad []string
		for i, fc := range in.Functions {
			if fc.ID == "" {
				in.Functions[i].ID = fmt.Sprintf("notification-%d", i+1)
			}
			if len(fc.Events) == 0 {
				g.fail(c, http.StatusBadRequest, "InvalidArgument", "A notification configuration must name at least one event")
				return
			}
			_, fresh := g.permissionFresh(fc.Function)
			if fresh || !g.canDeliver(c.r.Context(), op.bucket, owner, fc.Function) {
				bad = append(bad, fc.Function)
			}
		}
		if len(bad) > 0 {
			g.fail(c, http.StatusBadRequest, "InvalidArgument", "Unable to validate the following destination configurations: "+strings.Join(bad, ", "))
			return
		}
		raw, _ := json.Marshal(in.Functions)
		if len(in.Functions) == 0 {
			raw = nil
		}
		_ = g.st.update(func() error { g.st.Buckets[op.bucket].Notification = raw; return nil })
		c.w.WriteHeader(http.StatusOK)
	default:
		g.fail(c, http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.")
	}
}

// canDeliver reports whether the function exists and its resource policy
// lets s3.amazonaws.com invoke it for this bucket, as AWS checks when the
// notification is configured and again for every event.
func (g *gateway) canDeliver(ctx context.Context, bucket, owner, fnARN string) bool {
	account, name, ok := parseFunctionARN(fnARN)
	b := g.sb.accounts[account]
	if !ok || b == nil {
		return false
	}
	if _, err := b.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)}); err != nil {
		return false
	}
	rp := g.functionResourcePolicy(account, name)
	if rp == nil {
		return false
	}
	res, err := iampolicy.Evaluate(&iampolicy.Request{
		Principal:       "s3.amazonaws.com",
		Action:          "lambda:InvokeFunction",
		Resource:        g.functionARN(account, name),
		ResourceAccount: account,
		Context:         map[string][]string{"aws:SourceArn": {"arn:aws:s3:::" + bucket}, "aws:SourceAccount": {owner}},
		ResourcePolicy:  rp,
	})
	return err == nil && res.Decision == iampolicy.Allowed
}

func parseFunctionARN(arn string) (account, name string, ok bool) {
	parts := strings.SplitN(arn, ":", 7)
	if len(parts) < 7 || parts[0] != "arn" || parts[2] != "lambda" || parts[5] != "function" || !accountIDRE.MatchString(parts[4]) {
		return "", "", false
	}
	name = functionName(arn)
	return parts[4], name, name != ""
}

// s3Event is one S3 event notification as the request that caused it left
// it; record renders it for one notification configuration.
type s3Event struct {
	name        string // ObjectCreated:Put, ObjectRemoved:DeleteMarkerCreated…
	bucket      string
	owner       string // the bucket owner's account
	key         string
	versionID   string // "" (and "null") are left out of the record
	size        *int64 // ObjectCreated only: S3 sends neither size nor eTag on removals
	eTag        string
	sequencer   uint64
	time        time.Time
	principalID string
	sourceIP    string
	requestID   string
}

// record is the event's record as S3 sends it to a function, for the
// notification configuration configID.
func (e s3Event) record(region, configID string) map[string]any {
	obj := map[string]any{"key": s3EventKey(e.key), "sequencer": fmt.Sprintf("%016X", e.sequencer)}
	if e.size != nil {
		obj["size"] = *e.size
		obj["eTag"] = e.eTag
	}
	if e.versionID != "" && e.versionID != nullVersion {
		obj["versionId"] = e.versionID
	}
	return map[string]any{
		"eventVersion":      "2.1",
		"eventSource":       "aws:s3",
		"awsRegion":         region,
		"eventTime":         e.time.UTC().Format("2006-01-02T15:04:05.000Z"),
		"eventName":         e.name,
		"userIdentity":      map[string]string{"principalId": e.principalID},
		"requestParameters": map[string]string{"sourceIPAddress": e.sourceIP},
		"responseElements":  map[string]string{"x-amz-request-id": e.requestID, "x-amz-id-2": e.requestID},
		"s3": map[string]any{
			"s3SchemaVersion": "1.0",
			"configurationId": configID,
			"bucket": map[string]any{
				"name":          e.bucket,
				"ownerIdentity": map[string]string{"principalId": e.owner},
				"arn":           "arn:aws:s3:::" + e.bucket,
			},
			"object": obj,
		},
	}
}

// newS3Event starts the event of a request that succeeded: who made it, from
// where, and its place in the bucket's sequence (taken now, in the order the
// requests completed).
func (g *gateway) newS3Event(c *call, name, bucket, owner, key, versionID string) s3Event {
	principalID := "AWS:anonymous"
	if p := c.principal(); p != nil {
		principalID = "AWS:" + p.UserID
		if p.Kind == "session" {
			principalID = "AWS:" + p.RoleID + ":" + p.SessionName
		}
	}
	return s3Event{name: name, bucket: bucket, owner: owner, key: key, versionID: versionID, sequencer: g.sequencer.Add(1),
		time: time.Now().UTC(), principalID: principalID, sourceIP: c.sourceIP, requestID: c.reqID}
}

// notifications is the bucket's notification configuration; nil when none.
func (g *gateway) notifications(bucket string) []functionConfig {
	var cfg []functionConfig
	g.st.view(func() {
		if m := g.st.Buckets[bucket]; m != nil && m.Notification != nil {
			_ = json.Unmarshal(m.Notification, &cfg)
		}
	})
	return cfg
}

// allowsDelivery is canDeliver for an event on its way, with a context of
// its own: whether S3 may invoke the function is not for the event's budget
// to decide. An event whose budget has run out is still handed to
// invokeAsync, which sends it to the on-failure destination as
// EventAgeExceeded; it is not dropped as if the function refused S3.
func (g *gateway) allowsDelivery(bucket, owner, fnARN string) bool {
	ctx, cancel := g.runtimes.background(30 * time.Second)
	defer cancel()
	return g.canDeliver(ctx, bucket, owner, fnARN)
}

// deliver sends each event, in order, to every function whose configuration
// matches it, one record per invocation, as S3 does.
func (g *gateway) deliver(ctx context.Context, cfg []functionConfig, events []s3Event) {
	for _, ev := range events {
		for _, fc := range cfg {
			if !eventMatches(fc, ev.name, ev.key) {
				continue
			}
			if !g.allowsDelivery(ev.bucket, ev.owner, fc.Function) {
				g.sb.logf("sandbox: s3://%s: %s does not allow s3.amazonaws.com to invoke it for this bucket; event dropped", ev.bucket, fc.Function)
				continue
			}
			payload, _ := json.Marshal(map[string]any{"Records": []any{ev.record(g.sb.Region, fc.ID)}})
			account, name, _ := parseFunctionARN(fc.Function)
			if err := g.runtimes.invokeAsync(ctx, account, name, payload); err != nil {
				g.sb.logf("sandbox: deliver %s of s3://%s/%s to %s: %v", ev.name, ev.bucket, ev.key, fc.Function, err)
			}
		}
	}
}

// objectCreated delivers the bucket's notifications for a new object.
func (g *gateway) objectCreated(c *call, op s3Op, owner string) {
	cfg := g.notifications(op.bucket)
	if len(cfg) == 0 {
		return
	}
	name := "ObjectCreated:Put"
	switch {
	case c.r.Header.Get("X-Amz-Copy-Source") != "":
		name = "ObjectCreated:Copy"
	case c.r.Method == http.MethodPost:
		name = "ObjectCreated:CompleteMultipartUpload"
	}
	// The version this request created (HeadObject may already see a newer
	// one).
	ev := g.newS3Event(c, name, op.bucket, owner, op.key, c.w.Header().Get("X-Amz-Version-Id"))
	// What the request itself says, for when the object is gone before the
	// event is built (a delete right after the upload): S3 delivers the
	// event all the same.
	respETag, bodySize := strings.Trim(c.w.Header().Get("ETag"), `"`), int64(len(c.body))
	go func() {
		ctx, cancel := g.runtimes.background(g.sb.eventBudget)
		defer cancel()
		in := &s3.HeadObjectInput{Bucket: aws.String(op.bucket), Key: aws.String(op.key)}
		if v := ev.versionID; v != "" && v != nullVersion {
			if kv, ok := g.bucketVersions(op.bucket).codec.decode(v); ok {
				in.VersionId = aws.String(kv)
			}
		}
		head, err := g.sb.accounts[owner].s3.HeadObject(ctx, in)
		if err != nil {
			g.sb.logf("sandbox: notification for s3://%s/%s: head object: %v (the event carries the request's size and ETag)", op.bucket, op.key, err)
			ev.size, ev.eTag = aws.Int64(bodySize), respETag
		} else {
			ev.size = aws.Int64(aws.ToInt64(head.ContentLength))
			ev.eTag = strings.Trim(aws.ToString(head.ETag), `"`)
		}
		g.deliver(ctx, cfg, []s3Event{ev})
	}()
}

// removal is one object version a request removed: the version it deleted
// for good, or the delete marker it created.
type removal struct {
	key       string
	versionID string // as clients see it; "" for an unversioned bucket
	marker    bool   // a delete marker was created
}

// objectRemoved delivers the bucket's notifications for the removals of one
// request (DeleteObject, or each key DeleteObjects deleted), one event
// each: ObjectRemoved:DeleteMarkerCreated with the marker's version, or
// ObjectRemoved:Delete with the version deleted.
func (g *gateway) objectRemoved(c *call, bucket, owner string, rs []removal) {
	cfg := g.notifications(bucket)
	if len(cfg) == 0 || len(rs) == 0 {
		return
	}
	events := make([]s3Event, 0, len(rs))
	for _, r := range rs {
		events = append(events, g.newS3Event(c, removedEventName(r.marker), bucket, owner, r.key, r.versionID))
	}
	// Its events are delivered one after another under one context: a
	// request that removed many keys has 30 s for each (or the budget, if
	// shorter) where that adds up to more than the budget.
	budget := g.sb.eventBudget
	budget = max(budget, time.Duration(len(events))*min(budget, 30*time.Second))
	go func() {
		ctx, cancel := g.runtimes.background(budget)
		defer cancel()
		g.deliver(ctx, cfg, events)
	}()
}

// DefaultEventBudget is how long the sandbox tries to deliver one
// asynchronous event unless Options.EventBudget says otherwise (Lambda
// keeps an asynchronous event for its maximum age, six hours by default).
// Events queue behind each other at a function, and a loaded machine is
// slow: 30 s dropped ten of twenty retried events under load 11. An event
// whose budget ends goes to the function's on-failure destination
// (EventAgeExceeded), as Lambda sends one it gave up on.
const DefaultEventBudget = 15 * time.Minute

func removedEventName(marker bool) string {
	if marker {
		return "ObjectRemoved:DeleteMarkerCreated"
	}
	return "ObjectRemoved:Delete"
}

func eventMatches(fc functionConfig, event, key string) bool {
	ok := false
	for _, e := range fc.Events {
		if e == "s3:"+event || (strings.HasSuffix(e, ":*") && strings.HasPrefix("s3:"+event, strings.TrimSuffix(e, "*"))) {
			ok = true
		}
	}
	if !ok {
		return false
	}
	if fc.Filter != nil {
		for _, r := range fc.Filter.Rules {
			switch strings.ToLower(r.Name) {
			case "prefix":
				if !strings.HasPrefix(key, r.Value) {
					return false
				}
			case "suffix":
				if !strings.HasSuffix(key, r.Value) {
					return false
				}
			}
		}
	}
	return true
}

// s3EventKey encodes a key the way S3 event records do: form-encoded (a
// space is '+'), with '/' left alone.
func s3EventKey(key string) string {
	return strings.ReplaceAll(url.QueryEscape(key), "%2F", "/")
}
