// Command testfn is the sandbox tests' function: for each S3 record it assumes the
// role in WRITER_ROLE_ARN and writes a small JSON record to REPORT_BUCKET.
//
// TESTFN_MODE changes what it does: "record" writes each record as it was
// received (under metadata/events/<bucket>/<sequencer>.json), "fail" fails
// every invocation; in "fail" mode, an event with a record whose key starts
// with sleep/<duration>/ (sleep/2s/obj.txt) fails only after that long, for
// the tests of an event that outlives its time.
//
// It also answers S3 Batch Operations events (schema 1.0 and 2.0): each task
// succeeds with the result string "key=<the decoded key> version=<its
// version or null>", unless the job's user arguments say otherwise: a key
// that starts with failPrefix fails permanently, one that starts with
// tempFailPrefix fails temporarily the first time this process sees it.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		panic(err)
	}
	wcfg := cfg.Copy()
	wcfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), os.Getenv("WRITER_ROLE_ARN")))
	out := s3.NewFromConfig(wcfg, func(o *s3.Options) { o.UsePathStyle = true })
	seen := map[string]bool{} // tempFailPrefix keys already failed once
	var mu sync.Mutex
	report := os.Getenv("REPORT_BUCKET")
	mode := os.Getenv("TESTFN_MODE")
	lambda.Start(func(ctx context.Context, raw json.RawMessage) (any, error) {
		switch mode {
		case "fail":
			if d := sleepFor(raw); d > 0 {
				select {
				case <-time.After(d):
				case <-ctx.Done():
				}
			}
			return nil, errors.New("testfn: failing on purpose")
		case "record":
			var ev struct{ Records []json.RawMessage }
			if err := json.Unmarshal(raw, &ev); err != nil {
				return nil, err
			}
			for _, r := range ev.Records {
				var h struct {
					S3 struct {
						Bucket struct{ Name string }
						Object struct{ Sequencer string }
					} `json:"s3"`
				}
				if err := json.Unmarshal(r, &h); err != nil {
					return nil, err
				}
				_, err := out.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(report),
					Key: aws.String("metadata/events/" + h.S3.Bucket.Name + "/" + h.S3.Object.Sequencer + ".json"), Body: strings.NewReader(string(r))})
				if err != nil {
					return nil, err
				}
			}
			return nil, nil
		}
		var probe struct {
			InvocationSchemaVersion string `json:"invocationSchemaVersion"`
		}
		_ = json.Unmarshal(raw, &probe)
		if probe.InvocationSchemaVersion != "" {
			var ev events.S3BatchJobEventV2
			if err := json.Unmarshal(raw, &ev); err != nil {
				return nil, err
			}
			resp := events.S3BatchJobResponse{InvocationSchemaVersion: ev.InvocationSchemaVersion, TreatMissingKeysAs: "PermanentFailure", InvocationID: ev.InvocationID}
			args := ev.Job.UserArguments
			for _, t := range ev.Tasks {
				key, err := url.QueryUnescape(t.S3Key)
				if err != nil {
					return nil, err
				}
				version := "null"
				if t.S3VersionID != "" {
					version = t.S3VersionID
				}
				res := events.S3BatchJobResult{TaskID: t.TaskID, ResultCode: "Succeeded", ResultString: "key=" + key + " version=" + version}
				mu.Lock()
				switch {
				case args["failPrefix"] != "" && strings.HasPrefix(key, args["failPrefix"]):
					res.ResultCode, res.ResultString = "PermanentFailure", "refused "+key
				case args["tempFailPrefix"] != "" && strings.HasPrefix(key, args["tempFailPrefix"]) && !seen[key]:
					seen[key] = true
					res.ResultCode, res.ResultString = "TemporaryFailure", "not yet "+key
				}
				mu.Unlock()
				resp.Results = append(resp.Results, res)
			}
			return resp, nil
		}
		var ev events.S3Event
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, err
		}
		for _, r := range ev.Records {
			key, err := url.QueryUnescape(r.S3.Object.Key)
			if err != nil {
				return nil, err
			}
			rec, _ := json.Marshal(map[string]any{"bucket": r.S3.Bucket.Name, "key": key, "size": r.S3.Object.Size,
				"etag": r.S3.Object.ETag, "event": r.EventName, "principal": r.PrincipalID.PrincipalID})
			_, err = out.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(report),
				Key: aws.String("metadata/" + r.S3.Bucket.Name + "/" + key + ".json"), Body: strings.NewReader(string(rec))})
			if err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
}

// sleepFor is how long the first record of the event whose key starts with
// sleep/<duration>/ asks the function to take; 0 when none does.
func sleepFor(raw json.RawMessage) time.Duration {
	var ev events.S3Event
	_ = json.Unmarshal(raw, &ev)
	for _, r := range ev.Records {
		key, _ := url.QueryUnescape(r.S3.Object.Key)
		rest, ok := strings.CutPrefix(key, "sleep/")
		if !ok {
			continue
		}
		d, _, _ := strings.Cut(rest, "/")
		if v, err := time.ParseDuration(d); err == nil {
			return v
		}
	}
	return 0
}
