package e2e

import (
	"bytes"
	"context"
	"io"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// BenchmarkS3GetObject measures a 1 KiB GetObject straight to the
// Production account's kumo and through the gateway (TLS and plain HTTP),
// as a role session whose identity policy allows it and with a TLS-only
// bucket policy, so the gateway does its full work: signature check,
// routing, policy evaluation, proxying. It reports the median and p99 per
// request; the gateway's added latency is the difference of the medians.
func BenchmarkS3GetObject(b *testing.B) {
	ctx := context.Background()
	prod := orgAdmin(b, prodID)
	bucket := uniq(b, "bench")
	must(prod.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}))(b)
	must(prod.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::` + bucket + `","arn:aws:s3:::` + bucket + `/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`)}))(b)
	must(prod.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: bytes.NewReader(make([]byte, 1024))}))(b)
	reader, _ := sessionWith(b, prodID, allowS3(bucket, `["s3:GetObject"]`))

	// kumo listens on a Unix socket only the sandbox reaches: the direct
	// client borrows the sandbox's own connection to it.
	kumoURL, kumoHTTP := shared.KumoClient(prodID)
	direct := newClient(b, shared, kumoURL, "kumo", "kumo", "")
	direct.cfg.HTTPClient = kumoHTTP
	direct.s3 = s3.NewFromConfig(direct.cfg, func(o *s3.Options) { o.UsePathStyle = true })
	cases := []struct {
		name string
		c    *client
	}{
		{"kumo-direct", direct},
		{"gateway-tls", reader},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			for b.Loop() {
				start := time.Now()
				out, err := tc.c.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
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
		})
	}
}
