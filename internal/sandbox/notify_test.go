package sandbox

import (
	"encoding/json"
	"testing"
	"time"
)

func TestS3EventRecord(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 4, 5, 6, 7, 890e6, time.UTC)
	base := s3Event{bucket: "src", owner: "222222222222", key: "a b/c+d.txt", sequencer: 0x1A, time: at,
		principalID: "AWS:AROAX:fn", sourceIP: "10.0.0.1", requestID: "REQ"}
	size := int64(8)
	tests := []struct {
		name       string
		ev         func(s3Event) s3Event
		wantObject string
	}{
		{"created with version", func(e s3Event) s3Event {
			e.name, e.versionID, e.size, e.eTag = "ObjectCreated:Put", "v1id", &size, "abc"
			return e
		}, `{"eTag":"abc","key":"a+b/c%2Bd.txt","sequencer":"000000000000001A","size":8,"versionId":"v1id"}`},
		{"delete marker", func(e s3Event) s3Event {
			e.name, e.versionID = "ObjectRemoved:DeleteMarkerCreated", "markerid"
			return e
		}, `{"key":"a+b/c%2Bd.txt","sequencer":"000000000000001A","versionId":"markerid"}`},
		{"unversioned delete", func(e s3Event) s3Event {
			e.name = "ObjectRemoved:Delete"
			return e
		}, `{"key":"a+b/c%2Bd.txt","sequencer":"000000000000001A"}`},
		{"null version left out", func(e s3Event) s3Event {
			e.name, e.versionID = "ObjectRemoved:Delete", "null"
			return e
		}, `{"key":"a+b/c%2Bd.txt","sequencer":"000000000000001A"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := tc.ev(base)
			rec := ev.record("us-east-1", "cfg-1")
			b, _ := json.Marshal(rec)
			var got struct {
				EventName         string
				EventTime         string
				UserIdentity      struct{ PrincipalID string }
				RequestParameters struct{ SourceIPAddress string }
				ResponseElements  map[string]string
				S3                struct {
					ConfigurationID string
					Bucket          struct{ Name, Arn string }
					Object          json.RawMessage
				}
			}
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			if got.EventName != ev.name || got.EventTime != "2026-03-04T05:06:07.890Z" || got.UserIdentity.PrincipalID != "AWS:AROAX:fn" ||
				got.RequestParameters.SourceIPAddress != "10.0.0.1" || got.ResponseElements["x-amz-request-id"] != "REQ" ||
				got.S3.ConfigurationID != "cfg-1" || got.S3.Bucket.Name != "src" || got.S3.Bucket.Arn != "arn:aws:s3:::src" {
				t.Errorf("record = %s", b)
			}
			if string(got.S3.Object) != tc.wantObject {
				t.Errorf("object = %s, want %s", got.S3.Object, tc.wantObject)
			}
		})
	}
}

func TestDeletedRemovals(t *testing.T) {
	t.Parallel()
	result := []byte(`<?xml version="1.0" encoding="UTF-8"?><DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
		`<Deleted><Key>a</Key><DeleteMarker>true</DeleteMarker><DeleteMarkerVersionId>M1</DeleteMarkerVersionId></Deleted>` +
		`<Deleted><Key>b</Key><VersionId>V2</VersionId></Deleted>` +
		`<Deleted><Key>c</Key><VersionId>M3</VersionId><DeleteMarker>true</DeleteMarker><DeleteMarkerVersionId>M3</DeleteMarkerVersionId></Deleted>` +
		`<Deleted><Key>d</Key></Deleted>` +
		`<Deleted><Key>f</Key><VersionId>M6</VersionId></Deleted>` +
		`<Error><Key>e</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error></DeleteResult>`)
	got := deletedRemovals(result, true, map[string]bool{"a": true, "d": true, "f": true})
	want := []removal{{key: "a", versionID: "M1", marker: true}, {key: "b", versionID: "V2"}, {key: "c", versionID: "M3"}, {key: "d", marker: true}, {key: "f", versionID: "M6", marker: true}}
	if len(got) != len(want) {
		t.Fatalf("versioned: %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("versioned [%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
	if got := deletedRemovals([]byte(`<DeleteResult><Deleted><Key>x</Key></Deleted></DeleteResult>`), false, map[string]bool{"x": true}); len(got) != 1 || got[0] != (removal{key: "x"}) {
		t.Errorf("unversioned: %+v", got)
	}
	if quiet := deletedEntries.ReplaceAll(result, nil); len(deletedRemovals(quiet, true, nil)) != 0 {
		t.Errorf("quiet result still lists deletions: %s", quiet)
	}
}
