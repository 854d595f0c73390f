package sandbox

// Destinations of asynchronous invocations, as Lambda has them: the
// function's event invoke configuration names where the record of an event
// goes when it fails every attempt or grows too old ("on failure"). The
// sandbox delivers to an S3 bucket, which Lambda allows on failure only: it
// writes the invocation record at Lambda's key, as the function's execution
// role, through the gateway like any request of that role. (AWS Lambda
// Developer Guide, "Capturing records of Lambda asynchronous invocations".)

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/xacct/xacct/internal/iampolicy"
)

// The conditions under which Lambda sends an event's record on failure.
const (
	conditionRetriesExhausted = "RetriesExhausted"
	conditionEventAgeExceeded = "EventAgeExceeded"
)

// defaultMaxEventAge is how long Lambda keeps an asynchronous event unless
// the function's configuration says otherwise: six hours.
const defaultMaxEventAge = 6 * time.Hour

// asyncDestination is one side of a DestinationConfig; Lambda shows an
// unset one as {}.
type asyncDestination struct {
	Destination *string `json:",omitempty"`
}

// destinationConfig is an event invoke configuration's DestinationConfig.
type destinationConfig struct {
	OnSuccess asyncDestination
	OnFailure asyncDestination
}

// invalidParameter is Lambda's refusal of a parameter value.
func invalidParameter(msg string) *apiError {
	return &apiError{http.StatusBadRequest, "InvalidParameterValueException", msg}
}

// s3DestinationBucket is the bucket of an S3 destination ARN
// (arn:aws:s3:::bucket); ok is false for any other ARN.
func s3DestinationBucket(arn string) (bucket string, ok bool) {
	bucket, ok = strings.CutPrefix(arn, "arn:aws:s3:::")
	return bucket, ok
}

// String is how Lambda writes a DestinationConfig in its error
// messages.
func (dc destinationConfig) String() string {
	side := func(name string, d asyncDestination) string {
		if d.Destination == nil {
			return name + "=null"
		}
		return fmt.Sprintf("%s=%s(destination=%s)", name, strings.ToUpper(name[:1])+name[1:], *d.Destination)
	}
	return "DestinationConfig(" + side("onSuccess", dc.OnSuccess) + ", " + side("onFailure", dc.OnFailure) + ")"
}

// checkDestinationShape refuses what Lambda refuses of a DestinationConfig
// by its shape alone: an S3 bucket on success (S3 is an on-failure
// destination only), or an S3 ARN that names anything but a bucket.
// Destinations of the other kinds are kept as they are: the sandbox has
// none of those services and delivers nothing to them.
func checkDestinationShape(dc destinationConfig) *apiError {
	if d := dc.OnSuccess.Destination; d != nil {
		if _, ok := s3DestinationBucket(*d); ok {
			return invalidParameter(fmt.Sprintf("The provided destination config %s is invalid.", dc))
		}
	}
	if d := dc.OnFailure.Destination; d != nil {
		if b, ok := s3DestinationBucket(*d); ok && (b == "" || !validBucketName(b)) {
			return invalidParameter(fmt.Sprintf("The destination ARN %s is invalid.", *d))
		}
	}
	return nil
}

// checkS3Destination holds an S3 on-failure destination to what Lambda
// checks when it is configured: the bucket exists, and the function's
// execution role may write Lambda's records there and list the bucket (the
// two permissions the Developer Guide names for an S3 destination), by its
// identity policies and the bucket's policy, as any request of that role.
//
// Not confirmed in AWS's documentation, and chosen here: that Lambda checks
// the role's permissions at configuration time (a third party reports that
// Lambda takes the destination only if the role may write the bucket and
// list it); which object ARN it checks (here any key under
// aws/lambda/async/<function>/); and the wording of both refusals, which
// follow Lambda's messages for the other destination kinds.
func (g *gateway) checkS3Destination(ctx context.Context, account, fn, bucket string) *apiError {
	var owner string
	g.st.view(func() {
		if m := g.st.Buckets[bucket]; m != nil {
			owner = m.Owner
		}
	})
	if owner == "" {
		return invalidParameter(fmt.Sprintf("The destination ARN arn:aws:s3:::%s is invalid.", bucket))
	}
	out, err := g.sb.accounts[account].lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)})
	if err != nil {
		return &apiError{http.StatusNotFound, "ResourceNotFoundException", "Function not found: " + g.functionARN(account, fn)}
	}
	p, err := g.executionRolePrincipal(ctx, account, fn, out.Configuration)
	if err != nil {
		return invalidParameter("The provided execution role does not have permissions to call PutObject on S3")
	}
	bp, err := g.bucketPolicy(ctx, bucket, g.sb.accounts[owner])
	if err != nil {
		return &apiError{http.StatusInternalServerError, "ServiceException", err.Error()}
	}
	c := &call{r: (&http.Request{}).WithContext(ctx), secure: true, sourceIP: "127.0.0.1", cred: &credential{Principal: p}}
	extra := map[string][]string{"aws:ResourceAccount": {owner}, "s3:ResourceAccount": {owner}}
	for _, chk := range []struct{ action, resource, name string }{
		{"s3:PutObject", "arn:aws:s3:::" + bucket + "/" + asyncRecordPrefix(fn) + "*", "PutObject"},
		{"s3:ListBucket", "arn:aws:s3:::" + bucket, "ListBucket"},
	} {
		res, err := g.authorize(ctx, c, authzRequest{action: chk.action, resource: chk.resource, resourceAccount: owner, context: extra, resourcePolicy: bp})
		if err != nil || res.Decision != iampolicy.Allowed {
			return invalidParameter(fmt.Sprintf("The provided execution role does not have permissions to call %s on S3", chk.name))
		}
	}
	return nil
}

// asyncRecordPrefix is where Lambda writes a function's records in an S3
// destination.
func asyncRecordPrefix(fn string) string { return "aws/lambda/async/" + fn + "/" }

// asyncRecordKey is the key of one record:
// aws/lambda/async/<function-name>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<uuid>.
func asyncRecordKey(fn string, t time.Time, id string) string {
	t = t.UTC()
	return asyncRecordPrefix(fn) + t.Format("2006/01/02/2006-01-02T15.04.05") + "-" + id
}

// asyncEvent is an asynchronous event on its way through the function's
// attempts.
type asyncEvent struct {
	requestID   string
	received    time.Time
	payload     []byte
	condition   string // why it failed, once it has
	invokeCount int    // attempts made
	response    *asyncResponse
}

// asyncResponse is the function's answer to the last attempt.
type asyncResponse struct {
	statusCode    int32
	functionError string
	payload       []byte
}

// jsonValue is b as a JSON value: itself when it is one, else a string.
func jsonValue(b []byte) json.RawMessage {
	if len(bytes.TrimSpace(b)) > 0 && json.Valid(b) {
		return b
	}
	s, _ := json.Marshal(string(b))
	return s
}

// invocationRecord is the record Lambda sends to a destination, in the
// Developer Guide's shape: the request's payload and the function's error
// as JSON values, not strings.
func invocationRecord(functionARN string, ev asyncEvent, now time.Time) []byte {
	type requestContext struct {
		RequestID              string `json:"requestId"`
		FunctionArn            string `json:"functionArn"`
		Condition              string `json:"condition"`
		ApproximateInvokeCount int    `json:"approximateInvokeCount"`
	}
	type responseContext struct {
		StatusCode      int32  `json:"statusCode"`
		ExecutedVersion string `json:"executedVersion"`
		FunctionError   string `json:"functionError,omitempty"`
	}
	rec := struct {
		Version         string           `json:"version"`
		Timestamp       string           `json:"timestamp"`
		RequestContext  requestContext   `json:"requestContext"`
		RequestPayload  json.RawMessage  `json:"requestPayload"`
		ResponseContext *responseContext `json:"responseContext,omitempty"`
		ResponsePayload json.RawMessage  `json:"responsePayload,omitempty"`
	}{
		Version:   "1.0",
		Timestamp: now.UTC().Format("2006-01-02T15:04:05.000Z"),
		RequestContext: requestContext{RequestID: ev.requestID, FunctionArn: functionARN + ":$LATEST",
			Condition: ev.condition, ApproximateInvokeCount: ev.invokeCount},
		RequestPayload: jsonValue(ev.payload),
	}
	if r := ev.response; r != nil {
		rec.ResponseContext = &responseContext{StatusCode: r.statusCode, ExecutedVersion: "$LATEST", FunctionError: r.functionError}
		rec.ResponsePayload = jsonValue(r.payload)
	}
	out, _ := json.Marshal(rec)
	return out
}

// onFailureDestination is the function's on-failure destination; "" when
// none.
func (g *gateway) onFailureDestination(account, fn string) string {
	var dest string
	g.st.view(func() {
		if raw, ok := g.st.account(account).InvokeConfig[fn]; ok {
			var ic invokeConfig
			if json.Unmarshal(raw, &ic) == nil && ic.DestinationConfig != nil && ic.DestinationConfig.OnFailure.Destination != nil {
				dest = *ic.DestinationConfig.OnFailure.Destination
			}
		}
	})
	return dest
}

// sendToOnFailure sends a failed event's record to the function's
// on-failure destination, if it is an S3 bucket: where is the object it
// wrote. A refused write (Lambda's DestinationDeliveryFailures) writes
// nothing and is logged once.
func (g *gateway) sendToOnFailure(ctx context.Context, account, fn string, ev asyncEvent) (where string, ok bool) {
	bucket, isS3 := s3DestinationBucket(g.onFailureDestination(account, fn))
	if !isS3 {
		return "", false
	}
	now := time.Now()
	key := asyncRecordKey(fn, now, newUUID())
	body := invocationRecord(g.functionARN(account, fn), ev, now)
	if err := g.putAsRole(ctx, account, fn, bucket, key, body); err != nil {
		g.sb.logf("sandbox: lambda %s: DestinationDeliveryFailures: the record of request %s was not written to s3://%s: %v", fn, ev.requestID, bucket, err)
		return "", false
	}
	return "s3://" + bucket + "/" + key, true
}

// putAsRole writes one object as the function's execution role, through
// the gateway's own TLS endpoint, so that it is authenticated, authorized
// and notified like any request of that role. Like Lambda, it needs
// s3:ListBucket on the bucket (HeadBucket) as well as s3:PutObject.
func (g *gateway) putAsRole(ctx context.Context, account, fn, bucket, key string, body []byte) error {
	cred, err := g.runtimes.sessionOf(ctx, account, fn)
	if err != nil {
		return err
	}
	pem, err := os.ReadFile(g.sb.CAFile)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer hc.CloseIdleConnections()
	cl := s3.New(s3.Options{
		Region: g.sb.Region, BaseEndpoint: aws.String(g.sb.URL), UsePathStyle: true, HTTPClient: hc,
		Credentials: credentials.NewStaticCredentialsProvider(cred.AccessKey, cred.Secret, cred.Token),
	})
	if _, err := cl.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return fmt.Errorf("list bucket: %w", err)
	}
	if _, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
		Body: bytes.NewReader(body), ContentType: aws.String("application/json")}); err != nil {
		return fmt.Errorf("put object: %w", err)
	}
	return nil
}

// sessionOf is the execution role session of the function's running
// process, or a new one when it has none.
func (rt *runtimes) sessionOf(ctx context.Context, account, fn string) (*credential, error) {
	rt.mu.Lock()
	r := rt.procs[account+"/"+fn]
	rt.mu.Unlock()
	if r != nil && r.cred != nil && time.Now().Before(r.cred.Expires) {
		return r.cred, nil
	}
	out, err := rt.g.sb.accounts[account].lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)})
	if err != nil {
		return nil, err
	}
	return rt.g.executionRoleSession(ctx, account, fn, out.Configuration)
}

// asyncLimits are the function's retries after a function error and the
// age past which an event is not tried again (its configuration, else
// Lambda's defaults: 2 and six hours).
func (g *gateway) asyncLimits(account, fn string) (retries int, maxAge time.Duration) {
	retries, maxAge = 2, defaultMaxEventAge
	g.st.view(func() {
		if raw, ok := g.st.account(account).InvokeConfig[fn]; ok {
			var ic invokeConfig
			if json.Unmarshal(raw, &ic) != nil {
				return
			}
			if ic.MaximumRetryAttempts != nil {
				retries = int(*ic.MaximumRetryAttempts)
			}
			if ic.MaximumEventAgeInSeconds != nil {
				maxAge = time.Duration(*ic.MaximumEventAgeInSeconds) * time.Second
			}
		}
	})
	return retries, maxAge
}

// newUUID is a random (version 4) UUID, as Lambda's request IDs are.
func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
