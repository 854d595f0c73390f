package e2e

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/xacct/xacct/internal/sandbox"
)

// TestVerifyWithMFARequired: the README's example for real AWS requires MFA;
// a correct deployment verifies, offline and deployed, and live probes
// (keys, no MFA) are refused the roles as intended.
func TestVerifyWithMFARequired(t *testing.T) {
	t.Parallel()
	lockVerifySandbox(t)
	name := newVerifyEnv(t, "").stack
	e := newVerifyEnv(t, fmt.Sprintf("groups:\n  developers: { group_name: %[1]s-Developers, require_mfa: true }\n  testers: { group_name: %[1]s-Testers, require_mfa: true }\n", name))
	e.mustRun("apply", "--auto-approve")
	// The matrix shows each member's path to its role both ways: with MFA
	// intended and allowed, without it intended and denied.
	role := fmt.Sprintf("arn:aws:iam::%s:role/%s-developers", prodID, e.stack)
	withMFA := regexp.MustCompile(`(?m)^` + name + `-Developers member with MFA +sts:AssumeRole +` + regexp.QuoteMeta(role) + ` +allow +allow$`)
	withoutMFA := regexp.MustCompile(`(?m)^` + name + `-Developers member without MFA +sts:AssumeRole +` + regexp.QuoteMeta(role) + ` +deny +deny$`)
	for _, args := range [][]string{{"verify", "--rendered", "--matrix"}, {"verify", "--matrix"}} {
		out := e.mustRun(args...)
		if !strings.Contains(out, "Verified.") || !withMFA.MatchString(out) || !withoutMFA.MatchString(out) || !strings.Contains(out, "Developers member with MFA via") {
			t.Errorf("%v:\n%s", args, out)
		}
	}
	out := e.mustRun("verify", "--live", "--live-wait", "10s")
	if !strings.Contains(out, "Verified live.") || !strings.Contains(out, "Testers member without MFA") {
		t.Errorf("verify --live:\n%s", out)
	}
	assertNoProbes(t, e)
}

// TestSandboxVirtualMFADevice: the sandbox's virtual MFA devices work as
// AWS's: CreateVirtualMFADevice returns a Base32 seed; EnableMFADevice
// wants two consecutive codes of it; AssumeRole with the serial and the
// current code carries MFA, with a wrong code or another user's device it
// is refused, and so does GetSessionToken; the device lists, deactivates
// and deletes.
func TestSandboxVirtualMFADevice(t *testing.T) {
	ctx := context.Background()
	dev := orgAdmin(t, devID)
	name := uniq(t, "mfa-device")
	must(dev.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}))(t)
	must(dev.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("assume"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)}))(t)
	user := userKey(t, dev, name)
	role := uniq(t, "mfa-role")
	must(dev.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + devID + `:root"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`)}))(t)
	roleARN := aws.String("arn:aws:iam::" + devID + ":role/" + role)

	d := must(dev.iam.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String(name)}))(t).VirtualMFADevice
	serial, seed := aws.ToString(d.SerialNumber), string(d.Base32StringSeed)
	if serial != "arn:aws:iam::"+devID+":mfa/"+name || len(seed) != 32 {
		t.Fatalf("device %s, seed %q", serial, seed)
	}
	now := time.Now()
	code := func(at time.Time) string { return must(sandbox.TOTP(seed, at))(t) }
	_, err := dev.iam.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String(name), SerialNumber: aws.String(serial),
		AuthenticationCode1: aws.String(code(now)), AuthenticationCode2: aws.String(code(now))})
	wantCode(t, err, "InvalidAuthenticationCode")
	must(dev.iam.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String(name), SerialNumber: aws.String(serial),
		AuthenticationCode1: aws.String(code(now.Add(-30 * time.Second))), AuthenticationCode2: aws.String(code(now))}))(t)
	listed := must(dev.iam.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: aws.String(name)}))(t).MFADevices
	if len(listed) != 1 || aws.ToString(listed[0].SerialNumber) != serial {
		t.Errorf("ListMFADevices: %+v", listed)
	}

	_, err = user.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: roleARN, RoleSessionName: aws.String("nomfa")})
	wantCode(t, err, "AccessDenied")
	wrong := fmt.Sprintf("%06d", (must(strconv.Atoi(code(time.Now())))(t)+1)%1_000_000)
	_, err = user.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: roleARN, RoleSessionName: aws.String("wrong"), SerialNumber: aws.String(serial), TokenCode: aws.String(wrong)})
	wantCode(t, err, "AccessDenied")
	must(user.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: roleARN, RoleSessionName: aws.String("mfa"), SerialNumber: aws.String(serial), TokenCode: aws.String(code(time.Now()))}))(t)
	// GetSessionToken checks the code the same way; its credentials then
	// carry MFA to the role.
	_, err = user.sts.GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: aws.String(serial), TokenCode: aws.String(wrong)})
	wantCode(t, err, "AccessDenied")
	sc := must(user.sts.GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: aws.String(serial), TokenCode: aws.String(code(time.Now()))}))(t).Credentials
	session := newClient(t, shared, shared.URL, aws.ToString(sc.AccessKeyId), aws.ToString(sc.SecretAccessKey), aws.ToString(sc.SessionToken))
	must(session.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: roleARN, RoleSessionName: aws.String("session-mfa")}))(t)

	_, err = dev.iam.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)})
	wantCode(t, err, "DeleteConflict")
	must(dev.iam.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: aws.String(name), SerialNumber: aws.String(serial)}))(t)
	_, err = user.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: roleARN, RoleSessionName: aws.String("gone"), SerialNumber: aws.String(serial), TokenCode: aws.String(code(time.Now()))})
	wantCode(t, err, "AccessDenied")
	must(dev.iam.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)}))(t)
	if l := must(dev.iam.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: aws.String(name)}))(t).MFADevices; len(l) != 0 {
		t.Errorf("devices after delete: %+v", l)
	}
}

// TestVerifyLiveProvesEveryPath: a config whose only writing group
// requires MFA, and a group whose actions are version reads. verify --live
// signs the writer's probe user in with a virtual MFA device and proves
// its upload and the processor's record; the version group's actions are
// intent checks of the matrix and live probes; repeated runs leave
// nothing behind (users, devices, keys, objects, records).
func TestVerifyLiveProvesEveryPath(t *testing.T) {
	t.Parallel()
	lockVerifySandbox(t)
	name := newVerifyEnv(t, "").stack
	e := newVerifyEnv(t, fmt.Sprintf("groups:\n  developers: { group_name: %[1]s-Developers, require_mfa: true, actions: [s3:GetObject, s3:PutObject] }\n"+
		"  auditors: { group_name: %[1]s-Auditors, actions: [s3:GetObjectVersion, s3:ListBucketVersions] }\n", name))
	e.mustRun("apply", "--auto-approve")
	developers, auditors := e.stack+"-developers", e.stack+"-auditors"
	matrix := e.mustRun("verify", "--matrix")
	for _, want := range []string{
		name + "-Auditors member via " + auditors + " +s3:GetObjectVersion +arn:aws:s3:::" + e.stack + "-prod/\\* +allow +allow",
		name + "-Auditors member via " + auditors + " +s3:ListBucketVersions +arn:aws:s3:::" + e.stack + "-prod +allow +allow",
	} {
		if !regexp.MustCompile(want).MatchString(matrix) {
			t.Errorf("the matrix lacks %q:\n%s", want, matrix)
		}
	}
	const runs = 5
	start := time.Now()
	for i := range runs {
		out := e.mustRun("verify", "--live", "--live-wait", "10s")
		for _, want := range []string{
			`(?m)^` + name + `-Developers member without MFA +sts:AssumeRole +\S+/` + developers + ` +deny +deny$`,
			`(?m)^` + name + `-Developers member with MFA +sts:AssumeRole +\S+/` + developers + ` +allow +allow$`,
			`(?m)^` + name + `-Developers member with MFA via ` + developers + ` +s3:PutObject +\S+ +allow +allow$`,
			`(?m)^metadata processor +record \S+/developers\.txt +\S+ +allow +allow$`,
			`(?m)^` + name + `-Auditors member via ` + auditors + ` +s3:GetObjectVersion +\S+ +allow +allow$`,
			`(?m)^` + name + `-Auditors member via ` + auditors + ` +s3:ListBucketVersions +\S+ +allow +allow$`,
			`Verified live\.`,
			`The metadata record of the developer's probe upload:\n\{`,
		} {
			if !regexp.MustCompile(want).MatchString(out) {
				t.Errorf("run %d: verify --live lacks %s:\n%s", i+1, want, out)
			}
		}
		assertNoProbes(t, e)
	}
	t.Logf("%d verify --live runs, each checked for leftovers: %v", runs, time.Since(start).Round(time.Millisecond))
}
