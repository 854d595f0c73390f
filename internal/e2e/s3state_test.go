package e2e

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/xacct/xacct/internal/cli"
	"github.com/xacct/xacct/internal/state"
)

func TestS3StateBackend(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, "")
	yaml, _ := os.ReadFile(e.cfg)
	bucket := e.stack + "-state"
	e.write(strings.Replace(string(yaml), "state: { path:", "state: { backend: s3, s3: { account: development, bucket: "+bucket+", key: xacct/state.json }, path:", 1))

	e.mustRun("state", "bootstrap")
	devAdmin := orgAdmin(t, "111111111111")
	ver, err := devAdmin.s3.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(bucket)})
	if err != nil || ver.Status != "Enabled" {
		t.Fatalf("state bucket versioning: %v %v", err, ver)
	}
	if pol, err := devAdmin.s3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)}); err != nil || !strings.Contains(aws.ToString(pol.Policy), "aws:SecureTransport") {
		t.Fatalf("state bucket policy: %v", err)
	}
	e.mustRun("apply", "--auto-approve")
	if code, out, _ := e.run("plan", "--detailed-exitcode"); code != cli.ExitOK {
		t.Fatalf("plan with S3 state after apply:\n%s", out)
	}
	if !strings.Contains(e.mustRun("state", "list"), "production/s3_bucket/"+e.stack+"-prod") {
		t.Error("state list does not read the S3 state")
	}

	// Another engineer's apply holds the lock: this one fails at once,
	// naming the holder and the lock's age.
	other, err := state.OpenS3(ctx, devAdmin.s3, bucket, "xacct/state.json", e.stack)
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Acquire(ctx, "bob@ci", "apply", time.Now().Add(-90*time.Second)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	code, out, errOut := e.run("apply", "--auto-approve")
	if code != cli.ExitError || !strings.Contains(errOut, "locked by bob@ci") || !strings.Contains(errOut, "ago") || strings.Contains(out, "Creating") {
		t.Fatalf("apply while locked: exit %d\n%s%s", code, out, errOut)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the locked apply took %v to fail", d)
	}
	if err := other.Release(ctx); err != nil {
		t.Fatal(err)
	}

	// Two runs racing for the lock: exactly one wins.
	var wins int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := state.OpenS3(ctx, devAdmin.s3, bucket, "xacct/state.json", e.stack)
			if err != nil {
				t.Error(err)
				return
			}
			if st.Acquire(ctx, "racer", "apply", time.Now()) == nil {
				mu.Lock()
				wins++
				mu.Unlock()
				defer func() { _ = st.Release(ctx) }()
				time.Sleep(100 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d runs got the lock, want exactly 1", wins)
	}

	// Two writers that read the same state: the second never overwrites the
	// first's update.
	a, _ := state.OpenS3(ctx, devAdmin.s3, bucket, "xacct/state.json", e.stack)
	b, _ := state.OpenS3(ctx, devAdmin.s3, bucket, "xacct/state.json", e.stack)
	if err := a.Put(ctx, "production/iam_role/from-a", state.Entry{Kind: "iam_role", Account: "production", Name: "from-a"}); err != nil {
		t.Fatal(err)
	}
	err = b.Put(ctx, "production/iam_role/from-b", state.Entry{Kind: "iam_role", Account: "production", Name: "from-b"})
	var ce *state.ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("the second writer's Put: %v, want a conflict", err)
	}
	now, _ := state.OpenS3(ctx, devAdmin.s3, bucket, "xacct/state.json", e.stack)
	res := now.Snapshot().Resources
	if res["production/iam_role/from-a"] == nil || res["production/iam_role/from-b"] != nil {
		t.Errorf("state after the race: a=%v b=%v", res["production/iam_role/from-a"] != nil, res["production/iam_role/from-b"] != nil)
	}
	if err := a.Remove(ctx, "production/iam_role/from-a"); err != nil {
		t.Fatal(err)
	}

	// Move it to a local file and back.
	out = e.mustRun("state", "migrate", "--to", "local")
	if !strings.Contains(out, "Copied 25 resources") {
		t.Errorf("migrate to local: %s", out)
	}
	local, err := state.Open(e.dir+"/state.json", e.stack)
	if err != nil || len(local.Snapshot().Resources) != 25 || local.Snapshot().Lineage != now.Snapshot().Lineage {
		t.Errorf("local state after migrate: %v", err)
	}
}
