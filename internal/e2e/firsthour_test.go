package e2e

// The first hour of a new user (issue 21): validate and output offline, a
// member made on the sandbox acting through its group's role with the
// real AWS CLI, members checked before any change, the summary of a
// failing apply, advice for swapped and mistyped account IDs, and the data
// a destroy --force-delete-data deletes.

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/xacct/xacct/internal/sandbox"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/xacct/xacct/internal/cli"
)

// newFirstHourEnv is a stack of the shared sandbox (logs off: see
// logsSetting).
func newFirstHourEnv(t *testing.T, extra string) *env {
	t.Helper()
	return newEnv(t, extra)
}

// TestValidateExitCodesAndNoAWSCall: validate checks the config, the
// templates and the package with no request at all (the env's transport
// counts every one, and sign-in is never asked for credentials).
func TestValidateExitCodesAndNoAWSCall(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	f, out, errOut := e.factory("")
	f.AWS = func(context.Context, string) (aws.Config, error) {
		t.Error("validate asked for AWS credentials")
		return aws.Config{}, nil
	}
	if code := cli.Run(f, []string{"validate", "-c", e.cfg}); code != cli.ExitOK || !strings.Contains(out.String(), e.cfg+" is valid: stack "+e.stack) {
		t.Fatalf("validate: exit %d\n%s%s", code, out, errOut)
	}
	// A mistyped action, then a package that is not there: exit 1, each
	// named with where it is.
	b, _ := os.ReadFile(e.cfg)
	e.write(strings.Replace(string(b), "developers: { group_name:", "developers: { actions: [s3:GetObjekt], group_name:", 1))
	code, _, stderr := e.run("validate")
	if code != cli.ExitError || !regexp.MustCompile(`xacct\.yaml:\d+: groups\.developers\.actions\[0\]: "s3:GetObjekt" is not an S3 action .*\(did you mean s3:GetObject\?\)`).MatchString(stderr) {
		t.Errorf("validate with a mistyped action: exit %d\n%s", code, stderr)
	}
	e.write(string(b))
	if err := os.Remove(filepath.Join(e.dir, "processor.zip")); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := e.run("validate"); code != cli.ExitError || !strings.Contains(stderr, "processor.zip does not exist") {
		t.Errorf("validate without the package: exit %d\n%s", code, stderr)
	}
	if n := e.calls.n.Load(); n != 0 {
		t.Errorf("validate sent %d requests, want none", n)
	}
}

// TestOutputJSONKeys: output --json has every value a user passes on, from
// the config alone, and NAME prints one bare.
func TestOutputJSONKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t, logsOn) // the logs' outputs are there only when the logs are on
	var got map[string]any
	if err := json.Unmarshal([]byte(e.mustRun("output", "--json")), &got); err != nil {
		t.Fatal(err)
	}
	want := []string{"account_ids", "backfill_role_arn", "failure_bucket", "group_names", "group_role_arns", "log_bucket",
		"processor_function_arn", "processor_role_arn", "production_bucket", "region", "reporting_bucket", "reporting_prefix", "trail_arns", "writer_role_arn"}
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, want) {
		t.Errorf("output --json keys = %v, want %v", keys, want)
	}
	roles, _ := got["group_role_arns"].(map[string]any)
	if roles["developers"] != fmt.Sprintf("arn:aws:iam::%s:role/%s-developers", prodID, e.stack) {
		t.Errorf("group_role_arns = %v", got["group_role_arns"])
	}
	if trails, _ := got["trail_arns"].(map[string]any); trails["production"] != fmt.Sprintf("arn:aws:cloudtrail:us-east-1:%s:trail/%s-trail", prodID, e.stack) {
		t.Errorf("trail_arns = %v", got["trail_arns"])
	}
	if out := e.mustRun("output", "production_bucket"); out != e.stack+"-prod\n" {
		t.Errorf("output production_bucket = %q", out)
	}
	if n := e.calls.n.Load(); n != 0 {
		t.Errorf("output sent %d requests, want none", n)
	}
}

// awsCLI is one AWS CLI found on this machine.
type awsCLIInstall struct {
	path string
	// endpointURL says whether it reads a profile's endpoint_url (AWS CLI
	// 2.13 and 1.29 on).
	endpointURL bool
}

// awsCLIs finds the AWS CLIs a user may have: the one on PATH (here the
// AWS CLI 1.45 of pyenv) and Debian's /usr/bin/aws (2.9). Without any, the
// test skips, or fails in CI, where .ci/run installs Debian's.
func awsCLIs(t *testing.T) []awsCLIInstall {
	t.Helper()
	var paths []string
	if p, err := exec.LookPath("aws"); err == nil {
		paths = append(paths, p)
	}
	if _, err := os.Stat(awsCLI); err == nil {
		paths = append(paths, awsCLI)
	}
	var out []awsCLIInstall
	seen := map[string]bool{}
	for _, p := range paths {
		v, err := exec.Command(p, "--version").CombinedOutput()
		m := regexp.MustCompile(`aws-cli/(\d+)\.(\d+)\.`).FindSubmatch(v)
		if err != nil || m == nil {
			continue
		}
		if seen[string(m[0])] {
			continue
		}
		seen[string(m[0])] = true
		major, _ := strconv.Atoi(string(m[1]))
		minor, _ := strconv.Atoi(string(m[2]))
		out = append(out, awsCLIInstall{path: p, endpointURL: major == 1 && minor >= 29 || major == 2 && minor >= 13 || major > 2})
	}
	if len(out) == 0 {
		if os.Getenv("CI") != "" {
			t.Fatalf("no AWS CLI: %s is missing (.ci/run installs awscli)", awsCLI)
		}
		t.Skipf("no AWS CLI; install one with: apt-get install -y awscli")
	}
	return out
}

// TestMemberProfileWithTheAWSCLI: a member made with sandbox user create,
// its keys in a credentials file and the profile output --aws-config
// prints in a config file, uploads to the Production bucket with the real
// AWS CLI through the group's role (with MFA where the group requires it);
// a CLI that ignores endpoint_url uses the --credential-process profile.
func TestMemberProfileWithTheAWSCLI(t *testing.T) {
	t.Parallel()
	clis := awsCLIs(t)
	name := newEnv(t, "").stack
	e := newFirstHourEnv(t, fmt.Sprintf("groups:\n  developers: { group_name: %[1]s-Developers }\n  testers: { group_name: %[1]s-Testers, require_mfa: true, actions: [s3:GetObject, s3:PutObject] }\n", name))
	e.mustRun("apply", "--auto-approve")
	for _, group := range []string{"developers", "testers"} {
		user := e.stack + "-" + group[:3]
		f, out, errOut := e.factory("")
		f.Getenv = func(k string) string { return map[string]string{"AWS_CA_BUNDLE": e.sb.CAFile}[k] }
		if code := cli.Run(f, []string{"sandbox", "user", "create", user, "--group", group, "-c", e.cfg}); code != cli.ExitOK {
			t.Fatalf("sandbox user create: exit %d\n%s", code, errOut)
		}
		creds := regexp.MustCompile(`(?m)^\[` + user + `\]\naws_access_key_id = \S+\naws_secret_access_key = \S+\n`).FindString(out.String())
		if creds == "" {
			t.Fatalf("sandbox user create printed no keys:\n%s", out)
		}
		// The MFA group's member gets a virtual MFA device from sandbox
		// user create, which prints its seed once: the sandbox checks the
		// code against it.
		seed := ""
		if m := regexp.MustCompile(`(?m)^mfa_seed = (\S+)$`).FindStringSubmatch(out.String()); m != nil {
			seed = m[1]
		}
		if (seed != "") != (group == "testers") {
			t.Fatalf("sandbox user create for %s (require_mfa %v) printed seed %q:\n%s", group, group == "testers", seed, out)
		}
		for _, c := range clis {
			t.Run(group+" "+c.path, func(t *testing.T) {
				args := []string{"output", "--aws-config", group, "--user", user, "--ca-bundle", e.sb.CAFile}
				if !c.endpointURL {
					if group == "testers" {
						t.Skip("a credential_process cannot ask for an MFA code: MFA needs an AWS CLI that reads endpoint_url")
					}
					args = append(args, "--credential-process")
				}
				profile := e.mustRun(args...)
				dir := t.TempDir()
				write := func(name, s string) string {
					p := filepath.Join(dir, name)
					if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
						t.Fatal(err)
					}
					return p
				}
				key := "from-" + filepath.Base(filepath.Dir(c.path)) + ".txt"
				cmdArgs := []string{"--profile", e.stack + "-" + group, "s3", "cp", write("hello.txt", "hello"), "s3://" + e.stack + "-prod/" + key}
				if !c.endpointURL {
					cmdArgs = append([]string{"--endpoint-url", e.sb.URL}, cmdArgs...)
				}
				cmd := exec.Command(c.path, cmdArgs...)
				// Nothing of this machine's AWS setup: the two files, and
				// the credential_process's aws found where the CLI is.
				cmd.Env = []string{"PATH=" + filepath.Dir(c.path) + ":/usr/bin:/bin", "HOME=" + dir, "LC_ALL=C.UTF-8",
					"AWS_CONFIG_FILE=" + write("config", profile), "AWS_SHARED_CREDENTIALS_FILE=" + write("credentials", creds),
					"AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER="}
				// The CLI asks for the MFA code on the terminal, or on
				// standard input when it has none (a session of its own).
				code := "123456"
				if seed != "" {
					code = must(sandbox.TOTP(seed, time.Now()))(t)
				}
				cmd.Stdin = strings.NewReader(code + "\n")
				cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("aws %s: %v\n%s\nprofile:\n%s", strings.Join(cmdArgs, " "), err, out, profile)
				}
				got := must(e.orgAdmin(prodID).s3.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(e.stack + "-prod"), Key: aws.String(key)}))(t)
				if aws.ToInt64(got.ContentLength) != 5 {
					t.Errorf("the uploaded object has %d bytes", aws.ToInt64(got.ContentLength))
				}
				if group == "testers" && !strings.Contains(profile, "mfa_serial = arn:aws:iam::"+devID+":mfa/"+user) {
					t.Errorf("the MFA group's profile has no mfa_serial:\n%s", profile)
				}
			})
		}
	}
}

// TestSandboxHelpExampleWithEachAWSCLI: the AWS CLI line of xacct sandbox
// --help, run as written with the environment the sandbox prints, works
// with each AWS CLI on the machine (Debian's 2.9 ignores AWS_ENDPOINT_URL,
// the v1 on PATH ignores AWS_REGION).
func TestSandboxHelpExampleWithEachAWSCLI(t *testing.T) {
	t.Parallel()
	clis := awsCLIs(t)
	code, help, _ := run(t, "", "sandbox", "--help")
	line := regexp.MustCompile(`(?m)^  \. \.xacct/sandbox\.env && (aws [^#]+?)\s+#`).FindStringSubmatch(help)
	if code != cli.ExitOK || line == nil {
		t.Fatalf("no AWS CLI line in xacct sandbox --help:\n%s", help)
	}
	for _, c := range clis {
		cmd := exec.Command("/bin/sh", "-c", line[1])
		cmd.Env = append([]string{"PATH=" + filepath.Dir(c.path) + ":/usr/bin:/bin", "HOME=" + t.TempDir(), "AWS_CONFIG_FILE=/dev/null",
			"AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER="}, shared.EnvLines()...)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), `"Account"`) {
			t.Errorf("%s: %s: %v\n%s", c.path, line[1], err, out)
		}
	}
}

// TestMissingMemberStopsPlanAndApply: a member that does not exist is
// named at its line by plan and by apply, before any change.
func TestMissingMemberStopsPlanAndApply(t *testing.T) {
	t.Parallel()
	name := newEnv(t, "").stack
	ghost := name + "-ghost"
	e := newFirstHourEnv(t, fmt.Sprintf("groups:\n  developers:\n    group_name: %[1]s-Developers\n    members:\n      - %[2]s\n  testers: { group_name: %[1]s-Testers }\n", name, ghost))
	want := regexp.MustCompile(`(?s)Error: a member does not exist in the development account ` + devID + `; nothing was changed:\n  \S+xacct\.yaml:14: groups\.developers\.members\[0\]: user ` + ghost + ` does not exist\nHint: .*xacct sandbox user create NAME --group GROUP`)
	for _, args := range [][]string{{"plan"}, {"apply", "--auto-approve"}} {
		code, out, stderr := e.run(args...)
		if code != cli.ExitError || !want.MatchString(stderr) || strings.Contains(out, "Creating") {
			t.Errorf("%v: exit %d\n%s\n%s", args, code, out, stderr)
		}
	}
	_, err := e.orgAdmin(devID).iam.GetGroup(context.Background(), &iam.GetGroupInput{GroupName: aws.String(name + "-Developers")})
	wantCode(t, err, "NoSuchEntity")
	if _, err := os.Stat(filepath.Join(e.dir, "state.json")); err == nil {
		t.Error("the refused apply wrote a state")
	}
}

// TestFailingApplyPrintsItsSummary: an apply that fails half-way (the
// Development administrator may not create one group) says what it did,
// what failed and why, what it did not start, and what to run next.
func TestFailingApplyPrintsItsSummary(t *testing.T) {
	t.Parallel()
	e := newFirstHourEnv(t, "")
	// A deny on this test's group alone: the shared role serves the other
	// tests unchanged.
	ctx := context.Background()
	dev := e.orgAdmin(devID)
	deny := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:CreateGroup","Resource":"arn:aws:iam::%s:group/%s-Testers"}]}`, devID, e.stack)
	must(dev.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("OrganizationAccountAccessRole"), PolicyName: aws.String(e.stack + "-deny"), PolicyDocument: aws.String(deny)}))(t)
	t.Cleanup(func() {
		_, _ = dev.iam.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("OrganizationAccountAccessRole"), PolicyName: aws.String(e.stack + "-deny")})
	})
	code, out, stderr := e.run("apply", "--auto-approve")
	summary := regexp.MustCompile(`(?s)\nApply stopped: (\d+) of (\d+) changes done, 1 failed, (\d+) not made\.\nDone \(saved in the state\):\n.*  \+ development/iam_group/` + e.stack + `-Developers\n.*Failed:\n  \+ development/iam_group/` + e.stack + `-Testers: .*AccessDenied.*\nNot made:\n.*  \+ development/iam_group_policy/` + e.stack + `-Testers/.*\nNext: fix what failed, then run xacct apply again: it resumes where this run stopped`)
	if code != cli.ExitError || !summary.MatchString(out) || !strings.Contains(stderr, "Error: apply stopped:") {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
}

// TestSwappedAndMistypedAccountIDsAreNamed: with the Production and
// Reporting IDs swapped after an apply, plan says they look swapped and
// where they are written; with a mistyped ID in both id and role_arn, the
// sign-in error names the account's keys and the ID.
func TestSwappedAndMistypedAccountIDsAreNamed(t *testing.T) {
	t.Parallel()
	e := newFirstHourEnv(t, "")
	e.mustRun("apply", "--auto-approve")
	b, _ := os.ReadFile(e.cfg)
	orig := string(b)
	swapped := strings.NewReplacer(
		`production: { id: "222222222222", role_arn: "arn:aws:iam::222222222222:`, `production: { id: "333333333333", role_arn: "arn:aws:iam::333333333333:`,
		`reporting: { id: "333333333333", role_arn: "arn:aws:iam::333333333333:`, `reporting: { id: "222222222222", role_arn: "arn:aws:iam::222222222222:`).Replace(orig)
	if swapped == orig {
		t.Fatal("the env's config changed: nothing swapped")
	}
	e.write(swapped)
	code, out, stderr := e.run("plan")
	want := regexp.MustCompile(`Error: the account IDs look swapped: .*bucket ` + e.stack + `-prod, meant for the production account 333333333333, is in the reporting account 222222222222.*; nothing was changed\nHint: swap accounts\.production\.id \(\S+xacct\.yaml:5\) and accounts\.reporting\.id \(\S+xacct\.yaml:6\) back`)
	if code != cli.ExitError || !want.MatchString(stderr) {
		t.Errorf("swapped: exit %d\n%s\n%s", code, out, stderr)
	}
	e.write(strings.ReplaceAll(orig, devID, "111111111112"))
	code, out, stderr = e.run("plan")
	if code != cli.ExitError || !strings.Contains(stderr, "Hint: is accounts.development.id 111111111112 ("+e.cfg+":4) and accounts.development.role_arn right? A mistyped ID in both gives this error") {
		t.Errorf("mistyped: exit %d\n%s\n%s", code, out, stderr)
	}
}

// TestForcedDestroySaysWhatItDeletes: destroy --force-delete-data says,
// before it deletes, what each bucket it empties holds.
func TestForcedDestroySaysWhatItDeletes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newFirstHourEnv(t, "")
	e.mustRun("apply", "--auto-approve")
	prod := e.orgAdmin(prodID).s3
	for _, o := range []struct{ key, body string }{{"a.txt", "hello"}, {"a.txt", "hello"}, {"b.txt", "hi"}} {
		must(prod.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(e.stack + "-prod"), Key: aws.String(o.key), Body: strings.NewReader(o.body)}))(t)
	}
	out := e.mustRun("destroy", "--auto-approve", "--force-delete-data")
	data := strings.Index(out, "--force-delete-data empties these buckets first; what they hold is deleted for good:\n")
	first := strings.Index(out, "Destroying...")
	if data < 0 || first < data || !strings.Contains(out, "\n  production/s3_bucket/"+e.stack+"-prod: 2 objects, 3 versions, 12 bytes\n") ||
		!strings.Contains(out, "\n  production/s3_bucket/"+e.stack+"-processor-failures: empty\n") {
		t.Errorf("destroy --force-delete-data:\n%s", out)
	}
}
