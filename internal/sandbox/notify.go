package sandbox

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
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
	c := &call{r: (&http.Request{}).WithContext(ctx)}
	rp := g.functionPolicy(c, b, name)
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

var sequencer atomic.Uint64

// objectCreated delivers the bucket's notifications for a new object.
func (g *gateway) objectCreated(c *call, op s3Op, owner string, _ int, _ []byte) {
	var cfg []functionConfig
	g.st.view(func() {
		if m := g.st.Buckets[op.bucket]; m != nil && m.Notification != nil {
			_ = json.Unmarshal(m.Notification, &cfg)
		}
	})
	if len(cfg) == 0 {
		return
	}
	event := "ObjectCreated:Put"
	switch {
	case c.r.Header.Get("X-Amz-Copy-Source") != "":
		event = "ObjectCreated:Copy"
	case c.r.Method == http.MethodPost:
		event = "ObjectCreated:CompleteMultipartUpload"
	}
	principalID := "AWS:anonymous"
	if p := c.principal(); p != nil {
		principalID = "AWS:" + p.UserID
		if p.Kind == "session" {
			principalID = "AWS:" + p.RoleID + ":" + p.SessionName
		}
	}
	seq := sequencer.Add(1)
	now := time.Now().UTC()
	reqID, sourceIP := c.reqID, c.sourceIP
	versionID := c.w.Header().Get("X-Amz-Version-Id")
	go func() {
		ctx, cancel := g.runtimes.background(30 * time.Second)
		defer cancel()
		in := &s3.HeadObjectInput{Bucket: aws.String(op.bucket), Key: aws.String(op.key)}
		if versionID != "" && versionID != "null" {
			in.VersionId = aws.String(versionID)
		}
		head, err := g.sb.accounts[owner].s3.HeadObject(ctx, in)
		if err != nil {
			g.sb.logf("sandbox: notification for s3://%s/%s: head object: %v", op.bucket, op.key, err)
			return
		}
		for _, fc := range cfg {
			if !eventMatches(fc, event, op.key) {
				continue
			}
			if !g.canDeliver(ctx, op.bucket, owner, fc.Function) {
				g.sb.logf("sandbox: s3://%s: %s does not allow s3.amazonaws.com to invoke it for this bucket; event dropped", op.bucket, fc.Function)
				continue
			}
			obj := map[string]any{
				"key":       s3EventKey(op.key),
				"size":      aws.ToInt64(head.ContentLength),
				"eTag":      strings.Trim(aws.ToString(head.ETag), `"`),
				"sequencer": fmt.Sprintf("%016X", seq),
			}
			// The version this request created (HeadObject may already see a
			// newer one).
			if v := versionID; v != "" && v != "null" {
				obj["versionId"] = v
			}
			rec := map[string]any{
				"eventVersion":      "2.1",
				"eventSource":       "aws:s3",
				"awsRegion":         g.sb.Region,
				"eventTime":         now.Format("2006-01-02T15:04:05.000Z"),
				"eventName":         event,
				"userIdentity":      map[string]string{"principalId": principalID},
				"requestParameters": map[string]string{"sourceIPAddress": sourceIP},
				"responseElements":  map[string]string{"x-amz-request-id": reqID, "x-amz-id-2": reqID},
				"s3": map[string]any{
					"s3SchemaVersion": "1.0",
					"configurationId": fc.ID,
					"bucket": map[string]any{
						"name":          op.bucket,
						"ownerIdentity": map[string]string{"principalId": owner},
						"arn":           "arn:aws:s3:::" + op.bucket,
					},
					"object": obj,
				},
			}
			payload, _ := json.Marshal(map[string]any{"Records": []any{rec}})
			account, name, _ := parseFunctionARN(fc.Function)
			if err := g.runtimes.invokeAsync(ctx, account, name, payload); err != nil {
				g.sb.logf("sandbox: deliver %s of s3://%s/%s to %s: %v", event, op.bucket, op.key, fc.Function, err)
			}
		}
	}()
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
