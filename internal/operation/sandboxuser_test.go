package operation

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/xacct/xacct/internal/config"
)

// TestTOTP: RFC 6238's SHA-1 test vectors (their last six digits), the
// seed as IAM returns one (Base32, padded or not, any case).
func TestTOTP(t *testing.T) {
	t.Parallel()
	const seed = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" // "12345678901234567890"
	for unix, want := range map[int64]string{59: "287082", 1111111109: "081804", 1111111111: "050471", 1234567890: "005924", 2000000000: "279037", 20000000000: "353130"} {
		for _, s := range []string{seed, strings.ToLower(seed)} {
			if got, err := TOTP(s, time.Unix(unix, 0)); err != nil || got != want {
				t.Errorf("TOTP(%s, %d) = %q, %v; want %q", s, unix, got, err, want)
			}
		}
	}
	for _, bad := range []string{"", "not base32!", "1"} {
		if _, err := TOTP(bad, time.Unix(59, 0)); err == nil || !strings.Contains(err.Error(), "is not a Base32 MFA seed") {
			t.Errorf("TOTP(%q): err = %v", bad, err)
		}
	}
}

// fakeSandboxIAM answers the calls of sandbox user create, recording them.
type fakeSandboxIAM struct {
	calls  []string
	enable *iam.EnableMFADeviceInput
}

var _ sandboxUserAPI = (*fakeSandboxIAM)(nil)

func (f *fakeSandboxIAM) GetGroup(context.Context, *iam.GetGroupInput, ...func(*iam.Options)) (*iam.GetGroupOutput, error) {
	f.calls = append(f.calls, "GetGroup")
	return &iam.GetGroupOutput{}, nil
}

func (f *fakeSandboxIAM) CreateUser(_ context.Context, in *iam.CreateUserInput, _ ...func(*iam.Options)) (*iam.CreateUserOutput, error) {
	f.calls = append(f.calls, "CreateUser")
	return &iam.CreateUserOutput{User: &iamtypes.User{Arn: aws.String("arn:aws:iam::111111111111:user/" + aws.ToString(in.UserName))}}, nil
}

func (f *fakeSandboxIAM) AddUserToGroup(context.Context, *iam.AddUserToGroupInput, ...func(*iam.Options)) (*iam.AddUserToGroupOutput, error) {
	f.calls = append(f.calls, "AddUserToGroup")
	return &iam.AddUserToGroupOutput{}, nil
}

func (f *fakeSandboxIAM) CreateAccessKey(context.Context, *iam.CreateAccessKeyInput, ...func(*iam.Options)) (*iam.CreateAccessKeyOutput, error) {
	f.calls = append(f.calls, "CreateAccessKey")
	return &iam.CreateAccessKeyOutput{AccessKey: &iamtypes.AccessKey{AccessKeyId: aws.String("AKIA"), SecretAccessKey: aws.String("secret")}}, nil
}

func (f *fakeSandboxIAM) CreateVirtualMFADevice(_ context.Context, in *iam.CreateVirtualMFADeviceInput, _ ...func(*iam.Options)) (*iam.CreateVirtualMFADeviceOutput, error) {
	f.calls = append(f.calls, "CreateVirtualMFADevice")
	return &iam.CreateVirtualMFADeviceOutput{VirtualMFADevice: &iamtypes.VirtualMFADevice{
		SerialNumber:     aws.String("arn:aws:iam::111111111111:mfa/" + aws.ToString(in.VirtualMFADeviceName)),
		Base32StringSeed: []byte("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")}}, nil
}

func (f *fakeSandboxIAM) EnableMFADevice(_ context.Context, in *iam.EnableMFADeviceInput, _ ...func(*iam.Options)) (*iam.EnableMFADeviceOutput, error) {
	f.calls = append(f.calls, "EnableMFADevice")
	f.enable = in
	return &iam.EnableMFADeviceOutput{}, nil
}

// TestCreateSandboxUserMFADevice: a member of a group that requires MFA
// (or made with --mfa) gets a virtual MFA device named after it, enabled
// with two consecutive codes of its seed; the profile's mfa_serial is the
// device's serial and the seed is returned. Without MFA, no device.
func TestCreateSandboxUserMFADevice(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse([]byte(`stack: acme-data
region: us-east-1
accounts:
  development: { id: "111111111111", endpoint_url: "https://127.0.0.1:4566" }
  production: { id: "222222222222", endpoint_url: "https://127.0.0.1:4566" }
  reporting: { id: "333333333333", endpoint_url: "https://127.0.0.1:4566" }
groups:
  developers: {}
  testers: { require_mfa: true }
production: { bucket: acme-data-prod }
reporting: { bucket: acme-data-reporting }
`), "xacct.yaml")
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Unix(1111111111, 0) } // step 37037037; the previous step is 1111111080's
	for _, tt := range []struct {
		group string
		mfa   bool
	}{{"developers", false}, {"developers", true}, {"testers", false}} {
		profiles, err := MemberProfiles(cfg, tt.group, "alice")
		if err != nil {
			t.Fatal(err)
		}
		p := profiles[0]
		if tt.mfa {
			p.MFASerial = "arn:aws:iam::111111111111:mfa/alice"
		}
		api := &fakeSandboxIAM{}
		u, err := createSandboxUser(context.Background(), api, cfg, p, now)
		if err != nil {
			t.Fatalf("%s mfa=%v: %v", tt.group, tt.mfa, err)
		}
		wantDevice := tt.mfa || tt.group == "testers"
		if !wantDevice {
			if u.MFASeed != "" || len(api.calls) != 4 || u.Profile.MFASerial != "" {
				t.Errorf("%s: calls %v, seed %q, mfa_serial %q: want no device", tt.group, api.calls, u.MFASeed, u.Profile.MFASerial)
			}
			continue
		}
		prev, _ := TOTP("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", now().Add(-30*time.Second))
		cur, _ := TOTP("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", now())
		if e := api.enable; e == nil || aws.ToString(e.UserName) != "alice" || aws.ToString(e.SerialNumber) != "arn:aws:iam::111111111111:mfa/alice" ||
			aws.ToString(e.AuthenticationCode1) != prev || aws.ToString(e.AuthenticationCode2) != cur || prev == cur {
			t.Errorf("%s mfa=%v: EnableMFADevice %+v, want codes %s %s", tt.group, tt.mfa, e, prev, cur)
		}
		if u.MFASeed != "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" || u.Profile.MFASerial != "arn:aws:iam::111111111111:mfa/alice" {
			t.Errorf("%s mfa=%v: seed %q, mfa_serial %q", tt.group, tt.mfa, u.MFASeed, u.Profile.MFASerial)
		}
	}
}
