package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/xacct/xacct/internal/cli"
)

func TestSavedPlans(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, "")
	planFile := filepath.Join(e.dir, "plan.xacct")
	yaml, _ := os.ReadFile(e.cfg)

	// Config edited after the plan: refused.
	e.mustRun("plan", "--out", planFile)
	e.write(string(yaml) + "tags: { team: other }\n")
	code, out, errOut := e.run("apply", planFile)
	if code != cli.ExitError || !strings.Contains(errOut, "the config, the policy templates or the processor package changed") || strings.Contains(out, "Creating") {
		t.Fatalf("apply of a plan whose config changed: exit %d\n%s%s", code, out, errOut)
	}
	e.write(string(yaml))

	// Drift in AWS after the plan: refused.
	e.mustRun("plan", "--out", planFile)
	c := e.loadConfig()
	repAdmin := orgAdmin(t, "333333333333")
	if _, err := repAdmin.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(c.Reporting.Bucket)}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = e.run("apply", planFile)
	if code != cli.ExitError || !strings.Contains(errOut, "changed since the plan read them: reporting/s3_bucket/"+c.Reporting.Bucket) || strings.Contains(out, "Creating") {
		t.Fatalf("apply of a plan after drift: exit %d\n%s%s", code, out, errOut)
	}
	if _, err := repAdmin.s3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(c.Reporting.Bucket)}); err != nil {
		t.Fatal(err)
	}

	// The file edited to widen the testers' policy: refused, nothing made.
	e.mustRun("plan", "--out", planFile)
	b, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	widened := strings.Replace(string(b), `"s3:ListBucket"`, `"s3:*"`, 1)
	if widened == string(b) {
		t.Fatal("nothing to widen in the plan file")
	}
	if err := os.WriteFile(planFile, []byte(widened), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = e.runBare("apply", planFile)
	if code != cli.ExitError || !strings.Contains(errOut, "was the file edited?") || !strings.Contains(errOut, "its after is not the config's") || strings.Contains(out, "Creating") {
		t.Fatalf("apply of an edited plan: exit %d\n%s%s", code, out, errOut)
	}
	if v, err := repAdmin.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(c.Reporting.Bucket)}); err == nil {
		t.Fatalf("the refused plan made the reporting bucket: %v", v)
	}

	// Nothing changed: applied, exactly as shown, with the command plan
	// printed (no -c: the plan names its config).
	planOut := e.mustRun("plan", "--out", planFile)
	if !strings.Contains(planOut, "To apply exactly these changes: xacct apply "+planFile+"\n") {
		t.Errorf("plan --out does not print the apply command:\n%s", planOut)
	}
	_, shown, _ := run(t, "", "show", planFile)
	if !strings.Contains(planOut, strings.TrimSpace(strings.Split(shown, "Plan:")[0])) {
		t.Errorf("show differs from the plan that was saved:\n%s\n---\n%s", shown, planOut)
	}
	code, out, errOut = e.runBare("apply", planFile)
	if code != cli.ExitOK || !strings.Contains(out, "Apply complete! Resources: 25 added, 0 changed, 0 destroyed.") {
		t.Fatalf("apply of the saved plan: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := e.run("plan", "--detailed-exitcode"); code != cli.ExitOK {
		t.Fatalf("the result differs from what the plan showed:\n%s", out)
	}
	// The state has moved on since that plan: applying it again is refused.
	code, _, errOut = e.run("apply", planFile)
	if code != cli.ExitError || !strings.Contains(errOut, "the state moved on") {
		t.Errorf("re-applying a used plan: exit %d %s", code, errOut)
	}
	if code, out, _ := run(t, "", "show", planFile, "--json"); code != cli.ExitOK || !strings.Contains(out, `"format_version": 1`) {
		t.Errorf("show --json: %d\n%s", code, out)
	}
}
