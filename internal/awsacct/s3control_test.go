package awsacct

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
)

func TestS3ControlTalksToTheBaseEndpointAsIs(t *testing.T) {
	var host, path, account, auth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, path, account, auth = r.Host, r.URL.Path, r.Header.Get("X-Amz-Account-Id"), r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/xml")
		_, _ = w.Write([]byte(`<DescribeJobResult><Job><JobId>j1</JobId><Status>New</Status></Job></DescribeJobResult>`))
	}))
	defer srv.Close()
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""), BaseEndpoint: aws.String(srv.URL)}
	out, err := S3Control(cfg).DescribeJob(context.Background(), &s3control.DescribeJobInput{AccountId: aws.String("222222222222"), JobId: aws.String("j1")})
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimPrefix(srv.URL, "http://"); host != want || path != "/v20180820/jobs/j1" || account != "222222222222" {
		t.Fatalf("request to host %q path %q account %q, want host %q", host, path, account, want)
	}
	if !strings.Contains(auth, "/us-east-1/s3/aws4_request") || aws.ToString(out.Job.JobId) != "j1" {
		t.Fatalf("signed %q, job %+v", auth, out.Job)
	}
}
