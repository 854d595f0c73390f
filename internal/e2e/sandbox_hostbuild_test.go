package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/xacct/xacct/internal/cli"
	"github.com/xacct/xacct/internal/sandbox"
	"github.com/xacct/xacct/lambda/artifact"
	"github.com/xacct/xacct/lambda/processor"
)

// TestSandboxRunsTheHostBuildOnANonLinuxPath takes the path of a sandbox
// on macOS or Windows, on Linux: the sandbox is made to run the host build
// of the processor in place of the zip's Linux bootstrap. Upload → record
// through the host build (its provenance checked against the deployed
// zip), plan still compares the zip (no change after apply); after new code
// is deployed without a new host build, the sandbox refuses to run the old
// one for it, and says why.
func TestSandboxRunsTheHostBuildOnANonLinuxPath(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	hostDir := filepath.Join(t.TempDir(), "metadata-processor.host")
	if _, err := artifact.BuildHost(ctx, "../..", hostDir, pkg); err != nil {
		t.Fatal(err)
	}
	sb, err := startSandbox(ctx, sandbox.Options{Accounts: threeAccounts(), Listen: "127.0.0.1:0", Logf: sandboxLog.logf,
		HostBuildDirs: []string{hostDir}, ForceHostBuild: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	e := newEnvOn(t, sb, "")
	e.mustRun("apply", "--auto-approve")
	if code, out, _ := e.run("plan", "--detailed-exitcode"); code != cli.ExitOK {
		t.Fatalf("plan after apply compares the Linux zip, and finds no change:\n%s", out)
	}
	c := e.loadConfig()
	prod := adminOf(t, sb).assume(t, "arn:aws:iam::"+prodID+":role/"+sandbox.DefaultAdminRoleName, "test-admin")
	rep := adminOf(t, sb).assume(t, "arn:aws:iam::"+repID+":role/"+sandbox.DefaultAdminRoleName, "test-admin")

	upload := func(key string) string {
		t.Helper()
		put, err := prod.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(c.Production.Bucket), Key: aws.String(key), Body: strings.NewReader("x")})
		if err != nil {
			t.Fatal(err)
		}
		return processor.RecordKey(c.Reporting.Prefix, c.Production.Bucket, key, aws.ToString(put.VersionId))
	}
	recorded := func(recKey string, within time.Duration) bool {
		for start := time.Now(); time.Since(start) < within; time.Sleep(50 * time.Millisecond) {
			if _, err := rep.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(c.Reporting.Bucket), Key: aws.String(recKey)}); err == nil {
				return true
			}
		}
		return false
	}
	if rec := upload("host/one.csv"); !recorded(rec, 15*time.Second) {
		t.Fatalf("no record %s through the host build\nsandbox log:\n%s", rec, sandboxLog)
	}
	fn := c.Production.Processor.FunctionName
	if !strings.Contains(sandboxLog.String(), "lambda "+fn+": its bootstrap is built for linux/") ||
		!strings.Contains(sandboxLog.String(), "running the host build in "+hostDir) {
		t.Errorf("the sandbox did not say it ran the host build of %s:\n%s", fn, sandboxLog)
	}

	// New code, and no host build for it: the old one is not run for it.
	changed, err := artifact.Build(ctx, "../..", hostArch, "-X main.version=changed")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.dir, "processor.zip"), changed, 0o600); err != nil {
		t.Fatal(err)
	}
	e.mustRun("apply", "--auto-approve")
	if rec := upload("host/two.csv"); recorded(rec, 3*time.Second) {
		t.Errorf("a record %s was written by a host build of other code", rec)
	}
	// The refusal is logged when the sandbox tries to start the new code,
	// which its retries of the event may do after a while under load.
	waitFor(t, 20*time.Second, "the sandbox saying why it ran no host build for the new code", func() bool {
		return strings.Contains(sandboxLog.String(), "function "+fn+": its bootstrap is built for linux/") &&
			strings.Contains(sandboxLog.String(), "is the host build of another package")
	})
	e.mustRun("destroy", "--auto-approve", "--force-delete-data")
}
