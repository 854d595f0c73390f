package e2e

import (
	"context"
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/xacct/xacct/internal/cli"
	"github.com/xacct/xacct/internal/stack"
)

func TestVerifyDeployedAndRendered(t *testing.T) {
	t.Parallel()
	lockVerifySandbox(t)
	ctx := context.Background()
	e := newVerifyEnv(t, "")
	// Offline, before anything exists: the templates match the intent.
	code, out, errOut := e.run("verify", "--rendered")
	if code != cli.ExitOK || !strings.Contains(out, "Verified.") {
		t.Fatalf("verify --rendered: exit %d\n%s%s", code, out, errOut)
	}
	if n := e.calls.n.Load(); n != 0 {
		t.Errorf("verify --rendered made %d AWS calls", n)
	}
	// Nothing deployed: the intended grants are missing.
	if code, _, _ := e.run("verify"); code != cli.ExitMismatch {
		t.Errorf("verify before apply: exit %d, want 3", code)
	}
	e.mustRun("apply", "--auto-approve")
	if code, out, errOut := e.run("verify"); code != cli.ExitOK {
		t.Fatalf("verify after apply: exit %d\n%s%s", code, out, errOut)
	}
	// Testers given s3:PutObject behind xacct's back.
	c := e.loadConfig()
	prodAdmin := e.orgAdmin("222222222222")
	tester := c.Groups[1].RoleName
	doc := `{"Version":"2012-10-17","Statement":[{"Sid":"ObjectAccess","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::` + c.Production.Bucket + `/*"},` +
		`{"Sid":"BucketAccess","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::` + c.Production.Bucket + `"}]}`
	if _, err := prodAdmin.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(tester), PolicyName: aws.String(stack.RolePolicyName), PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	code, out, _ = e.run("verify")
	want := "decided by production/iam_role_policy/" + tester + "/" + stack.RolePolicyName + " statement ObjectAccess (Allow)"
	if code != cli.ExitMismatch || !strings.Contains(out, c.Groups[1].GroupName+" member via "+tester+" s3:PutObject on arn:aws:s3:::"+c.Production.Bucket+"/*: intended deny, effective allow") || !strings.Contains(out, want) {
		t.Fatalf("verify after drift: exit %d\n%s", code, out)
	}
	code, out, _ = e.run("verify", "--json")
	if code != cli.ExitMismatch || !strings.Contains(out, `"ok": false`) {
		t.Errorf("verify --json after drift: exit %d\n%s", code, out)
	}
}

func TestVerifyLive(t *testing.T) {
	t.Parallel()
	lockVerifySandbox(t)
	ctx := context.Background()
	e := newVerifyEnv(t, "")
	e.mustRun("apply", "--auto-approve")
	code, out, errOut := e.run("verify", "--live", "--live-wait", "10s")
	if code != cli.ExitOK || !strings.Contains(out, "Verified live.") || !strings.Contains(out, `"schema_version":2`) {
		t.Fatalf("verify --live: exit %d\n%s\n%s", code, out, errOut)
	}
	live := out[strings.Index(out, "Live probes:"):]
	for _, want := range []string{e.stack + "-Developers member via " + e.stack + "-developers", e.stack + "-Testers member via " + e.stack + "-testers", "metadata processor", "Development user in no group",
		"record deletion of xacct-probe/"} {
		if !strings.Contains(live, want) {
			t.Errorf("no live probe of %q:\n%s", want, live)
		}
	}
	assertNoProbes(t, e)
	// The probes are in the logs under the probe users' names: the
	// developer's upload, and the tester's refused one.
	m := regexp.MustCompile(`xacct-probe/([0-9a-f]+)/`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no probe key in verify --live's output:\n%s", out)
	}
	for _, p := range []struct{ group, result string }{{"developers", "ok"}, {"testers", "AccessDenied"}} {
		who := "xacct-probe-" + m[1] + "-" + p.group
		waitFor(t, 10*time.Second, "the probe's upload by "+who+" ("+p.result+") in xacct audit", func() bool {
			for _, l := range e.audit(t, "--since", "10m", "--who", who, "--action", "s3:PutObject") {
				if l.Result == p.result && l.Who.User == who {
					return true
				}
			}
			return false
		})
	}

	// Drift: testers may now write. Both verifications catch it.
	c := e.loadConfig()
	prodAdmin := e.orgAdmin("222222222222")
	tester := c.Groups[1].RoleName
	doc := `{"Version":"2012-10-17","Statement":[{"Sid":"ObjectAccess","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::` + c.Production.Bucket + `/*"},` +
		`{"Sid":"BucketAccess","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::` + c.Production.Bucket + `"}]}`
	if _, err := prodAdmin.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(tester), PolicyName: aws.String(stack.RolePolicyName), PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = e.run("verify", "--live", "--live-wait", "10s")
	if code != cli.ExitMismatch || !strings.Contains(out, "statement ObjectAccess (Allow)") {
		t.Fatalf("verify --live after drift: exit %d\n%s\n%s", code, out, errOut)
	}
	live = out[strings.Index(out, "Live probes:"):]
	if !strings.Contains(live, c.Groups[1].GroupName+" member via "+tester+" s3:PutObject") || !strings.Contains(live, "intended deny, effective allow") {
		t.Errorf("the live probes do not show the tester's write:\n%s", live)
	}
	assertNoProbes(t, e)
}

// assertNoProbes checks that verify --live left no probe user or object.
func assertNoProbes(t *testing.T, e *env) {
	t.Helper()
	ctx := context.Background()
	c := e.loadConfig()
	devAdmin := e.orgAdmin("111111111111")
	users, err := devAdmin.iam.ListUsers(ctx, &iam.ListUsersInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users.Users {
		if strings.HasPrefix(aws.ToString(u.UserName), "xacct-probe-") {
			t.Errorf("probe user %s left behind", aws.ToString(u.UserName))
		}
	}
	devices, err := devAdmin.iam.ListVirtualMFADevices(ctx, &iam.ListVirtualMFADevicesInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range devices.VirtualMFADevices {
		if strings.Contains(aws.ToString(d.SerialNumber), ":mfa/xacct-probe-") {
			t.Errorf("probe MFA device %s left behind", aws.ToString(d.SerialNumber))
		}
	}
	// The clean-up's deletes are events too: their records must not arrive
	// after it (the processor answers in well under a second here).
	time.Sleep(1500 * time.Millisecond)
	for _, b := range []struct{ account, bucket string }{{"222222222222", c.Production.Bucket}, {"333333333333", c.Reporting.Bucket}} {
		s := e.orgAdmin(b.account).s3
		out, err := s.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(b.bucket)})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range out.Contents {
			if strings.Contains(aws.ToString(o.Key), "xacct-probe/") {
				t.Errorf("probe object s3://%s/%s left behind", b.bucket, aws.ToString(o.Key))
			}
		}
	}
}

func TestVerifyLiveCleansUpWhenInterrupted(t *testing.T) {
	t.Parallel()
	lockVerifySandbox(t)
	e := newVerifyEnv(t, "")
	e.mustRun("apply", "--auto-approve")
	cmd, sc := startXacct(t, e.sb, true, "verify", "--live", "--live-wait", "10s", "-c", e.cfg)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if strings.Contains(sc.Text(), "probe user") && strings.Contains(sc.Text(), "created") {
			_ = cmd.Process.Signal(syscall.SIGINT)
			break
		}
	}
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	_ = cmd.Wait()
	if !strings.Contains(strings.Join(lines, "\n"), "cleaned up") {
		t.Errorf("no clean-up reported after the interrupt:\n%s", strings.Join(lines, "\n"))
	}
	assertNoProbes(t, e)
}

func TestVerifyNeedsNoPackage(t *testing.T) {
	t.Parallel()
	lockVerifySandbox(t)
	e := newVerifyEnv(t, "")
	e.mustRun("apply", "--auto-approve")
	if err := os.Remove(e.dir + "/processor.zip"); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := e.run("verify"); code != cli.ExitOK {
		t.Fatalf("verify without the package: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := e.run("plan"); code != cli.ExitError || !strings.Contains(errOut, "make lambda") {
		t.Errorf("plan without the package: exit %d %s", code, errOut)
	}
}

// TestVerifyCleanupAfterAKill: a verify --live killed with SIGKILL cannot
// clean up; verify --cleanup finds what it left by tag and prefix (and a
// virtual MFA device made for a probe user, never enabled), removes it,
// says what it removed, and touches nothing else.
func TestVerifyCleanupAfterAKill(t *testing.T) {
	t.Parallel()
	lockVerifySandbox(t)
	ctx := context.Background()
	e := newVerifyEnv(t, "")
	e.mustRun("apply", "--auto-approve")
	dev := e.orgAdmin(devID)
	// Named like a probe but not tagged for this stack: never touched.
	other := "xacct-probe-other-" + e.stack
	must(dev.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(other)}))(t)
	defer func() { _, _ = dev.iam.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(other)}) }()

	cmd, sc := startXacct(t, e.sb, true, "verify", "--live", "--live-wait", "10s", "-c", e.cfg)
	created := 0
	for sc.Scan() {
		if strings.Contains(sc.Text(), "probe user") && strings.Contains(sc.Text(), "created") {
			if created++; created == 2 {
				_ = cmd.Process.Kill()
				break
			}
		}
	}
	_ = cmd.Wait()
	if created < 2 {
		t.Fatalf("verify --live created %d probe users before it ended", created)
	}

	// A run killed between CreateVirtualMFADevice and EnableMFADevice: the
	// device is named after its probe user and never enabled; another
	// probe-named user's device stays with its user.
	killed := "xacct-probe-killed-" + e.stack
	orphan := aws.ToString(must(dev.iam.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String(killed)}))(t).VirtualMFADevice.SerialNumber)
	kept := aws.ToString(must(dev.iam.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String(other)}))(t).VirtualMFADevice.SerialNumber)
	defer func() {
		_, _ = dev.iam.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(kept)})
	}()

	out := e.mustRun("verify", "--cleanup")
	if strings.Count(out, "Removed probe user xacct-probe-") != 2 || strings.Contains(out, other) || !strings.Contains(out, "probe objects and metadata records") ||
		!strings.Contains(out, "Removed virtual MFA device "+orphan+" (made for a probe user, never enabled)") {
		t.Errorf("verify --cleanup:\n%s", out)
	}
	if _, err := dev.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(other)}); err != nil {
		t.Errorf("a user that is not this stack's probe was deleted: %v", err)
	}
	if _, err := dev.iam.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(kept)}); err != nil {
		t.Errorf("the device of a user that exists was deleted: %v", err)
	}
	if _, err := dev.iam.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(other)}); err != nil {
		t.Fatal(err)
	}
	assertNoProbes(t, e)
	if out := e.mustRun("verify", "--cleanup"); out != "Nothing left behind by verify --live.\n" {
		t.Errorf("a second clean-up: %q", out)
	}
}
