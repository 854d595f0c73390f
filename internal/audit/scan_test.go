package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// jsonRecord is what encoding/json reads of the fields parseRecord reads:
// the reference the fast parser is held to.
type jsonRecord struct {
	EventTime          string
	EventSource        string
	EventName          string
	AWSRegion          string `json:"awsRegion"`
	SourceIPAddress    string
	UserAgent          string
	ErrorCode          string
	ErrorMessage       string
	RecipientAccountID string `json:"recipientAccountId"`
	EventID            string `json:"eventID"`
	EventType          string
	EventCategory      string
	ReadOnly           any // true, or "true" in older records
	ManagementEvent    any
	UserIdentity       struct {
		Type, PrincipalID, ARN, AccountID, UserName, InvokedBy string
		SessionContext                                         struct {
			SourceIdentity string
			SessionIssuer  struct{ Type, ARN, AccountID, UserName string }
			Attributes     struct{ MfaAuthenticated string }
		}
	}
	RequestParameters map[string]any
	Resources         []struct{ ARN string }
}

func fromJSON(t *testing.T, b []byte) Record {
	t.Helper()
	var j jsonRecord
	if err := json.Unmarshal(b, &j); err != nil {
		t.Fatal(err)
	}
	tm, err := time.Parse(time.RFC3339, j.EventTime)
	if err != nil {
		t.Fatal(err)
	}
	s := func(k string) string { v, _ := j.RequestParameters[k].(string); return v }
	u := j.UserIdentity
	r := Record{
		EventTime: tm.UTC(), EventSource: j.EventSource, EventName: j.EventName, AWSRegion: j.AWSRegion, SourceIP: j.SourceIPAddress,
		UserAgent: j.UserAgent, ErrorCode: j.ErrorCode, ErrorMessage: j.ErrorMessage, RecipientAccountID: j.RecipientAccountID,
		EventID: j.EventID, EventType: j.EventType, EventCategory: j.EventCategory, ReadOnly: truth(j.ReadOnly), ManagementEvent: truth(j.ManagementEvent),
		Identity: Identity{Type: u.Type, PrincipalID: u.PrincipalID, ARN: u.ARN, AccountID: u.AccountID, UserName: u.UserName, InvokedBy: u.InvokedBy,
			IssuerType: u.SessionContext.SessionIssuer.Type, IssuerARN: u.SessionContext.SessionIssuer.ARN, IssuerAccountID: u.SessionContext.SessionIssuer.AccountID,
			IssuerUserName: u.SessionContext.SessionIssuer.UserName, SourceIdentity: u.SessionContext.SourceIdentity, MFA: u.SessionContext.Attributes.MfaAuthenticated},
		Params: Params{BucketName: s("bucketName"), Key: s("key"), RoleName: s("roleName"), RoleARN: s("roleArn"), RoleSessionName: s("roleSessionName"),
			SourceIdentity: s("sourceIdentity"), PolicyName: s("policyName"), PolicyARN: s("policyArn"), GroupName: s("groupName"), UserName: s("userName"),
			FunctionName: s("functionName"), StatementID: s("statementId"), LogGroupName: s("logGroupName"), Name: s("name")},
	}
	for _, res := range j.Resources {
		r.Resources = append(r.Resources, res.ARN)
	}
	return r
}

func truth(v any) bool { return v == true || v == "true" }

// records are written the ways CloudTrail and other writers do: keys in
// any order, nulls, escapes, non-ASCII, nested values the parser skips.
var records = []string{
	`{"eventVersion":"1.11","userIdentity":{"type":"IAMUser","principalId":"AIDA1","arn":"arn:aws:iam::111111111111:user/alice","accountId":"111111111111","userName":"alice"},"eventTime":"2026-12-06T10:00:00Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"us-east-1","requestParameters":{"roleArn":"arn:aws:iam::222222222222:role/acme-data-developers","roleSessionName":"alice","durationSeconds":3600,"tags":[{"key":"a","value":"b"}]},"responseElements":{"credentials":{"accessKeyId":"ASIA"}},"readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111111111111","eventCategory":"Management"}`,
	`{
	  "eventTime" : "2026-12-06T10:00:01Z" , "eventSource":"s3.amazonaws.com", "eventName":"PutObject",
	  "userIdentity": {"type":"AssumedRole","arn":"arn:aws:sts::222222222222:assumed-role/acme-data-developers/alice","sessionContext":{"attributes":{"mfaAuthenticated":"true","creationDate":"2026-12-06T09:00:00Z"},"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::222222222222:role/acme-data-developers","accountId":"222222222222","userName":"acme-data-developers"},"sourceIdentity":"alice","ec2RoleDelivery":null}},
	  "requestParameters": {"bucketName":"acme-data-prod","key":"caf\u00e9/r\u00e9sum\u00e9 \"quoted\" \\ back\/slash \ud83d\ude00.csv","Host":"x"},
	  "additionalEventData": {"bytesTransferredIn": 1024.5, "nested": [[1,2],[{"a":"]}"}]]},
	  "resources": [{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::acme-data-prod/café"},{"accountId":"222222222222","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::acme-data-prod"}],
	  "readOnly": false, "managementEvent": false, "eventCategory": "Data", "recipientAccountId": "222222222222", "eventID": "e2"
	}`,
	`{"eventTime":"2026-12-06T10:00:02Z","eventSource":"iam.amazonaws.com","eventName":"PutRolePolicy","userIdentity":{"type":"Root","principalId":"222222222222","arn":"arn:aws:iam::222222222222:root","accountId":"222222222222","sessionContext":null},"requestParameters":{"roleName":"acme-data-developers","policyName":"s3-access","policyDocument":"{\"Version\":\"2012-10-17\"}"},"errorCode":"AccessDenied","errorMessage":"not \"allowed\" and ends in a backslash \\\\","sourceIPAddress":"\\\\\\\"","readOnly":"false","managementEvent":"true","recipientAccountId":"222222222222","resources":null}`,
	`{"eventTime":"2026-12-06T10:00:03Z","eventSource":"s3.amazonaws.com","eventName":"PutObject","userIdentity":{"type":"AWSService","invokedBy":"s3.amazonaws.com"},"requestParameters":null,"responseElements":null,"readOnly":false,"recipientAccountId":"333333333333"}`,
	`{"eventTime":"2026-12-06T10:00:04+02:00","eventSource":"lambda.amazonaws.com","eventName":"UpdateFunctionConfiguration20150331v2","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::222222222222:assumed-role/Admin/bob"},"requestParameters":{"functionName":"arn:aws:lambda:eu-west-1:222222222222:function:acme-data-metadata-processor","emptyObj":{},"emptyArr":[],"t":true,"f":false,"n":null,"num":-1.5e3},"readOnly":false,"managementEvent":true}`,
}

func TestParseRecordAgreesWithEncodingJSON(t *testing.T) {
	t.Parallel()
	for i, src := range records {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			var got Record
			if err := parseRecord([]byte(src), &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(fromJSON(t, []byte(src)), got); diff != "" {
				t.Errorf("parseRecord differs from encoding/json (-json +parseRecord):\n%s", diff)
			}
		})
	}
}

func TestParseRecordErrors(t *testing.T) {
	t.Parallel()
	for _, src := range []string{
		`{"eventTime":"2026-12-06T10:00:00Z","eventName":"x"`,
		`{"eventTime":"yesterday"}`,
		`{"eventTime":"2026-12-06T10:00:00Z" "eventName":"x"}`,
		`{"eventTime":"2026-12-06T10:00:00Z","userIdentity":{"type":"IAMUser"`,
		`["not","an","object"]`,
	} {
		var r Record
		if err := parseRecord([]byte(src), &r); err == nil {
			t.Errorf("parseRecord(%s) = nil error, want one", src)
		}
	}
}

// TestSplitterYieldsEachRecord reads files one byte at a time and with a
// tiny buffer, so that every record straddles reads.
func TestSplitterYieldsEachRecord(t *testing.T) {
	t.Parallel()
	body := `{"Other": {"Records": "not this one"}, "n": null, "Records" : [` + strings.Join(records, " ,\n") + `], "after": [1]}`
	for name, r := range map[string]func() io.Reader{
		"whole":    func() io.Reader { return strings.NewReader(body) },
		"one byte": func() io.Reader { return iotest.OneByteReader(strings.NewReader(body)) },
		"half":     func() io.Reader { return iotest.HalfReader(strings.NewReader(body)) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sp := newRecordSplitter(r(), make([]byte, 16))
			sp.buf = sp.buf[:16] // force growth and refills
			var got []string
			for {
				b, err := sp.next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, string(b))
			}
			if len(got) != len(records) {
				t.Fatalf("got %d records, want %d", len(got), len(records))
			}
			for i := range got {
				if !json.Valid([]byte(got[i])) || compact(t, got[i]) != compact(t, records[i]) {
					t.Errorf("record %d = %s, want %s", i, got[i], records[i])
				}
			}
		})
	}
}

func compact(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestSplitterEdgeCases(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		want       int
		wantErr    string
	}{
		{name: "empty array", body: `{"Records":[]}`, want: 0},
		{name: "null", body: `{"Records":null}`, want: 0},
		{name: "no records", body: `{"Other":1}`, wantErr: "no \"Records\""},
		{name: "truncated", body: `{"Records":[{"a":1},{"b":`, wantErr: "unexpected EOF"},
		{name: "not an object", body: `{"Records":[1]}`, wantErr: "not an object"},
		{name: "empty file", body: ``, wantErr: "unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sp := newRecordSplitter(strings.NewReader(tt.body), nil)
			n := 0
			var err error
			for {
				_, err = sp.next()
				if err != nil {
					break
				}
				n++
			}
			if tt.wantErr != "" {
				if err == io.EOF || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != io.EOF || n != tt.want {
				t.Fatalf("got %d records, error %v; want %d and EOF", n, err, tt.want)
			}
		})
	}
}
