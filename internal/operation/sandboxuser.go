package operation

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/xacct/xacct/internal/awsacct"
	"github.com/xacct/xacct/internal/awserr"
	"github.com/xacct/xacct/internal/config"
)

// SandboxUserTag marks the users `xacct sandbox user create` made, with
// the stack's name, so that they can be told from any other.
const SandboxUserTag = "xacct:sandbox-user"

// SandboxUser is a Development user made for trying the stack on the
// sandbox, with its access key, and the profile that acts through its
// group's role.
type SandboxUser struct {
	ARN             string
	AccessKeyID     string
	SecretAccessKey string
	Profile         MemberProfile
	// MFASeed is the Base32 seed of the user's virtual MFA device (its
	// serial is Profile.MFASerial), "" when it has none: what an
	// authenticator app holds, returned by IAM this once.
	MFASeed string
}

// sandboxUserAPI is what making a sandbox user calls.
type sandboxUserAPI interface {
	GetGroup(context.Context, *iam.GetGroupInput, ...func(*iam.Options)) (*iam.GetGroupOutput, error)
	CreateUser(context.Context, *iam.CreateUserInput, ...func(*iam.Options)) (*iam.CreateUserOutput, error)
	AddUserToGroup(context.Context, *iam.AddUserToGroupInput, ...func(*iam.Options)) (*iam.AddUserToGroupOutput, error)
	CreateAccessKey(context.Context, *iam.CreateAccessKeyInput, ...func(*iam.Options)) (*iam.CreateAccessKeyOutput, error)
	CreateVirtualMFADevice(context.Context, *iam.CreateVirtualMFADeviceInput, ...func(*iam.Options)) (*iam.CreateVirtualMFADeviceOutput, error)
	EnableMFADevice(context.Context, *iam.EnableMFADeviceInput, ...func(*iam.Options)) (*iam.EnableMFADeviceOutput, error)
}

// CreateSandboxUser makes the IAM user name in the Development account of
// a local sandbox, adds it to the group (by key or IAM group name), and
// makes its access key. It refuses a config whose Development account has
// no endpoint_url: real AWS accounts get their users from their owners,
// never from a demo command. Where the group requires MFA, or mfa asks for
// it, the user also gets a virtual MFA device, enabled as a person enables
// one (two consecutive codes of its seed), and the profile its mfa_serial:
// the sandbox checks the codes against the seed, as AWS does.
func CreateSandboxUser(ctx context.Context, env Env, configPath, name, group string, mfa bool) (*SandboxUser, error) {
	cfg, err := loadConfig(configPath)
	if err != nil {
		return nil, err
	}
	dev := cfg.Accounts.Development
	if !isLocal(dev.EndpointURL) {
		return nil, withHint(fmt.Errorf("%s: accounts.development.endpoint_url is not a local sandbox (%q): sandbox user create makes users only there", cfg.Where("accounts.development"), dev.EndpointURL),
			"on AWS, ask the Development account's administrators for a user, then list it in groups.<key>.members")
	}
	profiles, err := MemberProfiles(cfg, group, name)
	if err != nil {
		return nil, err
	}
	p := profiles[0]
	if mfa && p.MFASerial == "" {
		p.MFASerial = fmt.Sprintf("arn:aws:iam::%s:mfa/%s", dev.ID, name)
	}
	cfgs, err := signInTo(ctx, env, cfg, []awsacct.Account{account(dev)})
	if err != nil {
		return nil, err
	}
	now := env.Now
	if now == nil {
		now = time.Now
	}
	return createSandboxUser(ctx, iam.NewFromConfig(cfgs[dev.Name]), cfg, p, now)
}

func createSandboxUser(ctx context.Context, api sandboxUserAPI, cfg *config.Config, p MemberProfile, now func() time.Time) (*SandboxUser, error) {
	group, name := p.Group.GroupName, p.User
	if _, err := api.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String(group), MaxItems: aws.Int32(1)}); err != nil {
		if awserr.Is(err, "NoSuchEntity") {
			return nil, withHint(fmt.Errorf("the group %s (groups.%s) does not exist in the development account %s", group, p.Group.Key, cfg.Accounts.Development.ID),
				"deploy the stack first: xacct apply -c "+cfg.File)
		}
		return nil, fmt.Errorf("read IAM group %s: %w", group, err)
	}
	u, err := api.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name),
		Tags: []iamtypes.Tag{{Key: aws.String(SandboxUserTag), Value: aws.String(cfg.Stack)}}})
	if err != nil {
		if awserr.Is(err, "EntityAlreadyExists") {
			return nil, withHint(fmt.Errorf("the user %s already exists in the development account %s; nothing was changed", name, cfg.Accounts.Development.ID),
				"choose another name; its keys were printed when it was made, and only then")
		}
		return nil, fmt.Errorf("create IAM user %s: %w", name, err)
	}
	if _, err := api.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String(group), UserName: aws.String(name)}); err != nil {
		return nil, fmt.Errorf("add %s to IAM group %s (the user was made): %w", name, group, err)
	}
	k, err := api.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("create an access key for %s (the user was made and added to %s): %w", name, group, err)
	}
	if k.AccessKey == nil {
		return nil, errors.New("create an access key for " + name + ": IAM returned none")
	}
	arn := fmt.Sprintf("arn:aws:iam::%s:user/%s", cfg.Accounts.Development.ID, name)
	if u.User != nil && u.User.Arn != nil {
		arn = *u.User.Arn
	}
	su := &SandboxUser{ARN: arn, AccessKeyID: aws.ToString(k.AccessKey.AccessKeyId),
		SecretAccessKey: aws.ToString(k.AccessKey.SecretAccessKey), Profile: p}
	if p.MFASerial == "" {
		return su, nil
	}
	// The device is named after the user, so that its serial is the
	// profile's mfa_serial (arn:aws:iam::DEV:mfa/NAME).
	d, err := api.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("create a virtual MFA device for %s (the user, its membership of %s and its key were made): %w", name, group, err)
	}
	if d.VirtualMFADevice == nil {
		return nil, errors.New("create a virtual MFA device for " + name + ": IAM returned none")
	}
	su.Profile.MFASerial = aws.ToString(d.VirtualMFADevice.SerialNumber)
	su.MFASeed = string(d.VirtualMFADevice.Base32StringSeed)
	t := now()
	prev, err := TOTP(su.MFASeed, t.Add(-30*time.Second))
	if err != nil {
		return nil, fmt.Errorf("the seed of the MFA device %s: %w", su.Profile.MFASerial, err)
	}
	cur, _ := TOTP(su.MFASeed, t)
	if _, err := api.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String(name), SerialNumber: aws.String(su.Profile.MFASerial),
		AuthenticationCode1: aws.String(prev), AuthenticationCode2: aws.String(cur)}); err != nil {
		return nil, fmt.Errorf("enable the MFA device %s for %s: %w", su.Profile.MFASerial, name, err)
	}
	return su, nil
}

// TOTP is the six-digit RFC 6238 code (HMAC-SHA1, 30-second steps) of a
// Base32 seed at t: what an authenticator app shows for a virtual MFA
// device whose Base32StringSeed is seed.
func TOTP(seed string, t time.Time) (string, error) {
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.TrimRight(strings.ToUpper(strings.ReplaceAll(seed, " ", "")), "="))
	if err != nil || len(key) == 0 {
		return "", fmt.Errorf("%q is not a Base32 MFA seed (the Base32StringSeed of a virtual MFA device)", seed)
	}
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(t.Unix()/30))
	h := hmac.New(sha1.New, key)
	h.Write(msg[:])
	sum := h.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	return fmt.Sprintf("%06d", (binary.BigEndian.Uint32(sum[off:off+4])&0x7fffffff)%1_000_000), nil
}

// isLocal reports whether an endpoint is on this machine (the sandbox's
// gateway listens on a loopback address).
func isLocal(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil || endpoint == "" {
		return false
	}
	switch h := u.Hostname(); h {
	case "localhost", "127.0.0.1", "::1":
		return true
	default:
		return false
	}
}
