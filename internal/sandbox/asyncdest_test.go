package sandbox

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestAsyncRecordKey(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))
	got := asyncRecordKey("my-fn", at, "0f1e2d3c-0000-4000-8000-000000000000")
	want := "aws/lambda/async/my-fn/2026/01/02/2026-01-02T02.04.05-0f1e2d3c-0000-4000-8000-000000000000"
	if got != want {
		t.Errorf("key = %s, want %s", got, want)
	}
}

func TestCheckDestinationShape(t *testing.T) {
	t.Parallel()
	s := func(v string) *string { return &v }
	tests := []struct {
		name string
		dc   destinationConfig
		want string // "" accepted
	}{
		{"s3 on failure", destinationConfig{OnFailure: asyncDestination{s("arn:aws:s3:::dlq-bucket")}}, ""},
		{"s3 on success", destinationConfig{OnSuccess: asyncDestination{s("arn:aws:s3:::dlq-bucket")}},
			"The provided destination config DestinationConfig(onSuccess=OnSuccess(destination=arn:aws:s3:::dlq-bucket), onFailure=null) is invalid."},
		{"s3 object, not bucket", destinationConfig{OnFailure: asyncDestination{s("arn:aws:s3:::dlq-bucket/prefix")}}, "The destination ARN arn:aws:s3:::dlq-bucket/prefix is invalid."},
		{"other kinds kept", destinationConfig{OnSuccess: asyncDestination{s("arn:aws:sqs:us-east-1:222222222222:q")}}, ""},
		{"none", destinationConfig{}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := checkDestinationShape(tc.dc)
			switch {
			case tc.want == "" && e != nil:
				t.Errorf("refused: %s", e.msg)
			case tc.want != "" && e == nil:
				t.Errorf("accepted, want %q", tc.want)
			case e != nil && (e.msg != tc.want || e.code != "InvalidParameterValueException"):
				t.Errorf("refusal %s %q, want InvalidParameterValueException %q", e.code, e.msg, tc.want)
			}
		})
	}
}

func TestInvocationRecord(t *testing.T) {
	t.Parallel()
	ev := asyncEvent{requestID: "req-1", payload: []byte(`{"Records":[{"s3":{"object":{"key":"k"}}}]}`), condition: conditionRetriesExhausted, invokeCount: 3,
		response: &asyncResponse{statusCode: 200, functionError: "Unhandled", payload: []byte(`{"errorMessage":"boom","errorType":"errorString"}`)}}
	b := invocationRecord("arn:aws:lambda:us-east-1:222222222222:function:f", ev, time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC))
	var rec struct {
		Version        string
		Timestamp      string
		RequestContext struct {
			RequestID              string
			FunctionArn            string
			Condition              string
			ApproximateInvokeCount int
		}
		RequestPayload  map[string]any
		ResponseContext struct {
			StatusCode      int
			ExecutedVersion string
			FunctionError   string
		}
		ResponsePayload map[string]any
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if rec.Version != "1.0" || rec.Timestamp != "2026-01-02T03:04:05.006Z" || rec.RequestContext.RequestID != "req-1" ||
		rec.RequestContext.FunctionArn != "arn:aws:lambda:us-east-1:222222222222:function:f:$LATEST" ||
		rec.RequestContext.Condition != "RetriesExhausted" || rec.RequestContext.ApproximateInvokeCount != 3 ||
		rec.RequestPayload["Records"] == nil || rec.ResponseContext.StatusCode != 200 || rec.ResponseContext.ExecutedVersion != "$LATEST" ||
		rec.ResponseContext.FunctionError != "Unhandled" || rec.ResponsePayload["errorMessage"] != "boom" {
		t.Errorf("record = %s", b)
	}
	// A payload that is not JSON is kept as a string; an event that never
	// ran has no response.
	b = invocationRecord("arn:f", asyncEvent{payload: []byte("not json"), condition: conditionEventAgeExceeded}, time.Now())
	if !strings.Contains(string(b), `"requestPayload":"not json"`) || strings.Contains(string(b), "responseContext") {
		t.Errorf("record = %s", b)
	}
}
