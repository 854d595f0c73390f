package e2e

import (
	"context"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/xacct/xacct/internal/cli"
	"github.com/xacct/xacct/internal/stack"
	"github.com/xacct/xacct/lambda/artifact"
)

func TestApplyFromEmptyThenNoChanges(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	desired, err := stack.Build(e.loadConfig(), artifact.CodeSha256(pkg))
	if err != nil {
		t.Fatal(err)
	}
	out := e.mustRun("plan")
	if want := fmt.Sprintf("Plan: %d to add, 0 to change, 0 to destroy.", len(desired)); !strings.Contains(out, want) {
		t.Fatalf("first plan lacks %q:\n%s", want, out)
	}
	for _, r := range desired {
		if !strings.Contains(out, "  + "+r.Addr.String()+"\n") {
			t.Errorf("plan does not create %s", r.Addr)
		}
	}
	out = e.mustRun("apply", "--auto-approve")
	if want := fmt.Sprintf("Apply complete! Resources: %d added, 0 changed, 0 destroyed.", len(desired)); !strings.Contains(out, want) {
		t.Fatalf("apply output lacks %q:\n%s", want, out)
	}
	code, out, errOut := e.run("plan", "--detailed-exitcode")
	if code != cli.ExitOK {
		t.Fatalf("plan after apply: exit %d, want 0 (a diff right after apply is a canonicalization bug)\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "No changes.") {
		t.Errorf("plan after apply:\n%s", out)
	}
	// The deployed pattern works: a tester's role reads but cannot write.
	c := e.loadConfig()
	prodAdmin := orgAdmin(t, "222222222222")
	role, err := prodAdmin.iam.GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String(c.Groups[1].RoleName)})
	if err != nil || !strings.Contains(aws.ToString(role.Role.Arn), "222222222222") {
		t.Fatalf("tester role: %v", err)
	}
	if _, err := prodAdmin.s3.GetBucketPolicy(context.Background(), &s3.GetBucketPolicyInput{Bucket: aws.String(c.Production.Bucket)}); err != nil {
		t.Errorf("production bucket policy: %v", err)
	}
	ctx := context.Background()
	if _, err := prodAdmin.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(c.Production.Bucket), Key: aws.String("reports/q1.csv"), Body: strings.NewReader("quarter,total\n")}); err != nil {
		t.Fatal(err)
	}
	// A Development user in the Testers group (added by hand, as an
	// administrator would) assumes the testers' role through the group's
	// policy and the role's trust.
	member := devUser(t, orgAdmin(t, "111111111111"), e.stack+"-tess", c.Groups[1].GroupName)
	// The session must carry the member's name (the trust requires
	// sts:RoleSessionName = ${aws:username}), so the logs name her.
	_, err = member.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String("tess")})
	wantCode(t, err, "AccessDenied")
	tester := member.assume(t, aws.ToString(role.Role.Arn), e.stack+"-tess").s3
	obj, err := tester.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(c.Production.Bucket), Key: aws.String("reports/q1.csv")})
	if err != nil {
		t.Fatalf("tester read: %v", err)
	}
	body, err := io.ReadAll(obj.Body)
	obj.Body.Close()
	if err != nil || string(body) != "quarter,total\n" {
		t.Errorf("tester read %q, %v", body, err)
	}
	_, err = tester.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(c.Production.Bucket), Key: aws.String("reports/tess.csv"), Body: strings.NewReader("x")})
	if errorCode(err) != "AccessDenied" {
		t.Errorf("tester upload: %v, want AccessDenied", err)
	}
}

func TestDriftIsShownAndReverted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, "")
	e.mustRun("apply", "--auto-approve")
	c := e.loadConfig()
	prodAdmin := orgAdmin(t, "222222222222")
	tester := c.Groups[1].RoleName
	got, err := prodAdmin.iam.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(tester), PolicyName: aws.String(stack.RolePolicyName)})
	if err != nil {
		t.Fatal(err)
	}
	// A document AWS merely re-orders is not a change.
	reordered := `{"Statement":[{"Resource":"arn:aws:s3:::` + c.Production.Bucket + `","Action":"s3:ListBucket","Effect":"Allow","Sid":"BucketAccess"},` +
		`{"Sid":"ObjectAccess","Resource":["arn:aws:s3:::` + c.Production.Bucket + `/*"],"Effect":"Allow","Action":["s3:GetObject"]}],"Version":"2012-10-17"}`
	if _, err := prodAdmin.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(tester), PolicyName: aws.String(stack.RolePolicyName), PolicyDocument: aws.String(reordered)}); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := e.run("plan", "--detailed-exitcode"); code != cli.ExitOK {
		t.Fatalf("a re-ordered document shows as a change (exit %d):\n%s\noriginal: %s", code, out, aws.ToString(got.PolicyDocument))
	}
	// Granting testers DeleteObject behind xacct's back is.
	drift := strings.Replace(reordered, `"Action":["s3:GetObject"]`, `"Action":["s3:GetObject","s3:DeleteObject"]`, 1)
	if _, err := prodAdmin.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(tester), PolicyName: aws.String(stack.RolePolicyName), PolicyDocument: aws.String(drift)}); err != nil {
		t.Fatal(err)
	}
	code, out, _ := e.run("plan", "--detailed-exitcode")
	if code != cli.ExitChanges {
		t.Fatalf("plan after drift: exit %d, want 2\n%s", code, out)
	}
	addr := "production/iam_role_policy/" + tester + "/" + stack.RolePolicyName
	// Only the element that drifted is shown, and what reverting it takes
	// away from whom.
	if !strings.Contains(out, "~ "+addr) || !strings.Contains(out, "~ statement ObjectAccess") || !regexp.MustCompile(`~ Action\n +- "s3:DeleteObject"\n`).MatchString(out) {
		t.Errorf("plan does not show the drifted statement:\n%s", out)
	}
	if !strings.Contains(out, "! removes access: a new member of "+e.stack+"-Testers (development) via role "+tester+" (production) -> s3:DeleteObject (Write) on arn:aws:s3:::"+e.stack+"-prod/*") {
		t.Errorf("plan does not show the access the revert removes:\n%s", out)
	}
	if !strings.Contains(out, "Plan: 0 to add, 1 to change, 0 to destroy.") {
		t.Errorf("plan summary:\n%s", out)
	}
	e.mustRun("apply", "--auto-approve")
	if code, out, _ := e.run("plan", "--detailed-exitcode"); code != cli.ExitOK {
		t.Fatalf("apply did not revert the drift:\n%s", out)
	}
}

func TestRenamingARoleReplacesIt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, "")
	e.mustRun("apply", "--auto-approve")
	old := e.stack + "-testers"
	yaml, _ := os.ReadFile(e.cfg)
	e.write(strings.Replace(string(yaml), "testers: { group_name: "+e.stack+"-Testers }", "testers: { group_name: "+e.stack+"-Testers, role_name: "+e.stack+"-qa }", 1))
	out := e.mustRun("plan")
	for _, want := range []string{
		"- production/iam_role/" + old + "\n", "- production/iam_role_policy/" + old + "/s3-access\n",
		"+ production/iam_role/" + e.stack + "-qa\n", "~ development/iam_group_policy/" + e.stack + "-Testers/assume-production-role\n",
		"Plan: 2 to add, 1 to change, 2 to destroy.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	e.mustRun("apply", "--auto-approve")
	prodAdmin := orgAdmin(t, "222222222222")
	if _, err := prodAdmin.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(old)}); err == nil {
		t.Errorf("the old role %s is left behind", old)
	}
	if code, out, _ := e.run("plan", "--detailed-exitcode"); code != cli.ExitOK {
		t.Errorf("plan after the rename:\n%s", out)
	}
}

func TestDestroyLeavesNothingAndProtectsData(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, "")
	e.mustRun("apply", "--auto-approve")
	c := e.loadConfig()
	prodAdmin := orgAdmin(t, "222222222222")
	if _, err := prodAdmin.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(c.Production.Bucket), Key: aws.String("keep.txt"), Body: strings.NewReader("data")}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := e.run("destroy", "--auto-approve")
	if code != cli.ExitError || !strings.Contains(errOut, "holds objects") || !strings.Contains(errOut, "--force-delete-data") {
		t.Fatalf("destroy of a non-empty bucket: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, err := prodAdmin.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(c.Production.Bucket)}); err != nil {
		t.Fatalf("the refused destroy deleted something: %v", err)
	}
	desired, _ := stack.Build(c, artifact.CodeSha256(pkg))
	out = e.mustRun("destroy", "--auto-approve", "--force-delete-data")
	if want := fmt.Sprintf("Destroy complete! Resources: 0 added, 0 changed, %d destroyed.", len(desired)); !strings.Contains(out, want) {
		t.Errorf("destroy output lacks %q:\n%s", want, out)
	}
	// Nothing of the stack is left in any account.
	if left := inventory(t, e); len(left) != 0 {
		t.Errorf("left after destroy:\n%s", strings.Join(left, "\n"))
	}
}

func TestWrongAccountStopsBeforeAnyChange(t *testing.T) {
	e := newEnv(t, "")
	yaml, _ := os.ReadFile(e.cfg)
	// The reporting account's role really is in 333333333333; claim 444444444444.
	bad := strings.Replace(string(yaml), `reporting: { id: "333333333333", role_arn: "arn:aws:iam::333333333333:`, `reporting: { id: "444444444444", role_arn: "arn:aws:iam::444444444444:`, 1)
	e.write(bad)
	code, out, errOut := e.run("apply", "--auto-approve")
	if code != cli.ExitError {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if !strings.Contains(errOut, "reporting account 444444444444") {
		t.Errorf("stderr does not name the account: %s", errOut)
	}
	if strings.Contains(out, "Creating") {
		t.Errorf("something was created:\n%s", out)
	}
	// Credentials that work but belong to another account: no role_arn, so
	// the base credentials (the management account's) are used as they are.
	e.write(strings.Replace(string(yaml), `reporting: { id: "333333333333", role_arn: "arn:aws:iam::333333333333:role/OrganizationAccountAccessRole", `, `reporting: { id: "333333333333", `, 1))
	code, out, errOut = e.run("apply", "--auto-approve")
	if code != cli.ExitError || !strings.Contains(errOut, "the reporting account is 333333333333 in the config, but its credentials are for account "+shared.ManagementAccount) {
		t.Errorf("account guard: exit %d\n%s\n%s", code, out, errOut)
	}
	if strings.Contains(out, "Creating") {
		t.Errorf("something was created:\n%s", out)
	}
	// A role_arn in another account than the one it is for.
	e.write(strings.Replace(string(yaml), `production: { id: "222222222222", role_arn: "arn:aws:iam::222222222222:`, `production: { id: "222222222222", role_arn: "arn:aws:iam::111111111111:`, 1))
	if code, _, errOut := e.run("plan"); code != cli.ExitError || !strings.Contains(errOut, "role arn:aws:iam::111111111111:role/OrganizationAccountAccessRole is in account 111111111111") {
		t.Errorf("role in the wrong account: exit %d, %s", code, errOut)
	}
}

func TestBadConfigMakesNoAWSCall(t *testing.T) {
	for _, tc := range []struct{ name, edit, want string }{
		{"unknown key", "bukcet: x\n", "bukcet: unknown key"},
		{"non-S3 action", "groups:\n  developers:\n    actions: [iam:PassRole]\n", `"iam:PassRole" is not an S3 action`},
		{"empty actions", "groups:\n  developers:\n    actions: []\n", "groups.developers.actions: empty"},
		{"bad architecture", "", "architecture"},
		{"missing package", "", "does not exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.edit)
			yaml, _ := os.ReadFile(e.cfg)
			switch tc.name {
			case "bad architecture":
				e.write(strings.Replace(string(yaml), "architecture: "+hostArch, "architecture: amd64", 1))
			case "missing package":
				e.write(strings.Replace(string(yaml), "processor.zip", "nope.zip", 1))
			}
			cmds := [][]string{{"plan"}, {"apply", "--auto-approve"}, {"destroy", "--auto-approve"}}
			if tc.name == "missing package" {
				cmds = cmds[:2] // destroy deletes what the state holds: it needs no package
			}
			for _, cmd := range cmds {
				code, out, errOut := e.run(cmd...)
				where := e.cfg + ":" // config errors name file and line
				if tc.name == "missing package" {
					where = "Hint: build it in the repository: make lambda ARCH=" + hostArch
				}
				if code != cli.ExitError || out != "" || !strings.Contains(errOut, tc.want) || !strings.Contains(errOut, where) {
					t.Errorf("%v: exit %d, stdout %q, stderr %q", cmd, code, out, errOut)
				}
			}
			if n := e.calls.n.Load(); n != 0 {
				t.Errorf("%d AWS calls for a bad config", n)
			}
		})
	}
}

func TestApplyAsksForYesOnATerminalAndRefusesWithoutOne(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	code, out, errOut := e.run("apply")
	if code != cli.ExitError || !strings.Contains(errOut, "no terminal to confirm on") || !strings.Contains(errOut, "--auto-approve") || strings.Contains(out, "Creating") {
		t.Fatalf("apply without a terminal: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, tc := range []struct {
		answer string
		want   int
	}{{"no\n", cli.ExitError}, {"yes\n", cli.ExitOK}} {
		f, out, errOut := e.factory(tc.answer)
		f.IO.IsTTY = true
		f.NoColor = true
		if code := cli.Run(f, []string{"apply", "-c", e.cfg}); code != tc.want {
			t.Fatalf("answer %q: exit %d\n%s\n%s", tc.answer, code, out, errOut)
		}
		if !strings.Contains(out.String(), "Only 'yes' will be accepted") {
			t.Errorf("no prompt:\n%s", out)
		}
		if tc.want == cli.ExitError && (strings.Contains(out.String(), "Creating") || !strings.Contains(errOut.String(), "cancelled")) {
			t.Errorf("answer %q changed something:\n%s\n%s", tc.answer, out, errOut)
		}
	}
}

func TestExistingResourceNotOwnedIsRefusedWithAdvice(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "")
	c := e.loadConfig()
	prodAdmin := orgAdmin(t, "222222222222")
	if _, err := prodAdmin.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(c.Production.Bucket)}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := e.run("plan")
	if code != cli.ExitError || !strings.Contains(errOut, "production/s3_bucket/"+c.Production.Bucket+" already exists and xacct does not manage it") ||
		!strings.Contains(errOut, "To adopt it as it is, tag it xacct:stack="+e.stack) {
		t.Fatalf("plan with a hand-made bucket: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = e.run("apply", "--auto-approve")
	if code != cli.ExitError || strings.Contains(out, "Creating") {
		t.Fatalf("apply went ahead: exit %d\n%s", code, out)
	}
}
