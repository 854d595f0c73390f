package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/xacct/xacct/internal/sandbox"
)

// TestClientsWorkUnderTheConnectionBound starts a sandbox whose gateway
// keeps at most four connections open and drives it with more clients than
// that at once: sixteen SDK clients (each with connections of its own) and
// the AWS CLI copying files ten at a time. Every call succeeds: clients
// beyond the bound wait for a connection, and idle HTTP/1.1 keep-alive
// connections are closed to make room, which the clients handle as they
// handle any server's idle timeout (idle HTTP/2 connections are left to
// the idle timeout itself, which says GOAWAY first).
func TestClientsWorkUnderTheConnectionBound(t *testing.T) {
	t.Parallel() // nothing it checks depends on what other tests do at the same time
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	sb, err := startSandbox(ctx, sandbox.Options{Accounts: threeAccounts(), Listen: "127.0.0.1:0", MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	prod := adminOf(t, sb).assume(t, "arn:aws:iam::"+prodID+":role/"+sandbox.DefaultAdminRoleName, "conns")
	bucket := "conns-bound"
	must(prod.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}))(t)
	cr := must(prod.cfg.Credentials.Retrieve(ctx))(t)

	var wg sync.WaitGroup
	errs := make(chan error, 16*5*3) // room for every call to fail: a full channel would hang the test
	for i := range 16 {
		// Half of them speak HTTP/2, as the SDK's default transport does
		// (newClient's): an idle HTTP/2 connection the bound closed would
		// fail the request a client was starting on it, so the bound
		// leaves them to the idle timeout's GOAWAY. The others speak
		// HTTP/1.1 only, as the AWS CLI does.
		c := newClient(t, sb, sb.URL, cr.AccessKeyID, cr.SecretAccessKey, cr.SessionToken)
		if i%2 == 0 {
			c = newClientWith(t, sb, c, &http.Client{Transport: transport(t, sb)})
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 5 {
				key := aws.String(fmt.Sprintf("sdk/%d/%d", i, j))
				out, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
				if err != nil {
					errs <- err
				} else if raw, ok := awsmiddleware.GetRawResponse(out.ResultMetadata).(*smithyhttp.Response); !ok || (raw.ProtoMajor == 2) != (i%2 == 1) {
					errs <- fmt.Errorf("client %d (HTTP/2 asked: %v) was answered in another protocol", i, i%2 == 1)
				}
				if _, err := c.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: key, Body: strings.NewReader("x")}); err != nil {
					errs <- err
				}
				if _, err := c.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: key}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	needRealClients(t)
	dir := t.TempDir()
	for i := range 40 {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%02d", i)), []byte("cli"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(awsCLI, "--endpoint-url", sb.URL, "s3", "cp", "--recursive", "--only-show-errors", dir, "s3://"+bucket+"/cli/")
	cmd.Env = []string{
		"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "LC_ALL=C.UTF-8",
		"AWS_CA_BUNDLE=" + sb.CAFile, "AWS_DEFAULT_REGION=" + sb.Region,
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_ACCESS_KEY_ID=" + cr.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + cr.SecretAccessKey, "AWS_SESSION_TOKEN=" + cr.SessionToken,
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("aws s3 cp --recursive under the bound: %v\n%s", err, stderr.String())
	}
	out := must(prod.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("cli/")}))(t)
	if len(out.Contents) != 40 {
		t.Errorf("%d objects copied by the CLI, want 40", len(out.Contents))
	}
}
