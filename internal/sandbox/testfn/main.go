// Command testfn is the sandbox tests' function: for each S3 record it assumes the
// role in WRITER_ROLE_ARN and writes a small JSON record to REPORT_BUCKET.
package main

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"strings"

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
	lambda.Start(func(ctx context.Context, ev events.S3Event) error {
		for _, r := range ev.Records {
			key, err := url.QueryUnescape(r.S3.Object.Key)
			if err != nil {
				return err
			}
			rec, _ := json.Marshal(map[string]any{"bucket": r.S3.Bucket.Name, "key": key, "size": r.S3.Object.Size,
				"etag": r.S3.Object.ETag, "event": r.EventName, "principal": r.PrincipalID.PrincipalID})
			_, err = out.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(os.Getenv("REPORT_BUCKET")),
				Key: aws.String("metadata/" + r.S3.Bucket.Name + "/" + key + ".json"), Body: strings.NewReader(string(rec))})
			if err != nil {
				return err
			}
		}
		return nil
	})
}
