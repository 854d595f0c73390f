package verify

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// mfaDevice is a probe user's virtual MFA device: its serial and seed.
type mfaDevice struct {
	serial string
	seed   []byte
}

// code is the device's RFC 6238 code (HMAC-SHA1, six digits) for the 30 s
// step of t, as an authenticator app computes it.
func (d mfaDevice) code(t time.Time) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(t.Unix()/30))
	h := hmac.New(sha1.New, d.seed)
	h.Write(msg[:])
	sum := h.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	return fmt.Sprintf("%06d", (binary.BigEndian.Uint32(sum[off:off+4])&0x7fffffff)%1_000_000)
}

// newMFADevice gives a probe user a virtual MFA device, as a person sets
// one up: CreateVirtualMFADevice, then EnableMFADevice with two
// consecutive codes of its seed (the previous step's and the current).
// The device is returned as soon as it exists, so that clean-up removes
// it even when enabling fails.
func newMFADevice(ctx context.Context, c LiveIAM, user string, now func() time.Time) (*mfaDevice, error) {
	out, err := c.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String(user)})
	if err != nil {
		return nil, fmt.Errorf("create a virtual MFA device for %s: %w", user, err)
	}
	d := &mfaDevice{serial: aws.ToString(out.VirtualMFADevice.SerialNumber)}
	if d.seed, err = base32.StdEncoding.DecodeString(strings.ToUpper(string(out.VirtualMFADevice.Base32StringSeed))); err != nil {
		return d, fmt.Errorf("the MFA seed of %s: %w", d.serial, err)
	}
	t := now()
	if _, err := c.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String(user), SerialNumber: aws.String(d.serial),
		AuthenticationCode1: aws.String(d.code(t.Add(-30 * time.Second))), AuthenticationCode2: aws.String(d.code(t))}); err != nil {
		return d, fmt.Errorf("enable the MFA device of %s: %w", user, err)
	}
	return d, nil
}

// deleteMFADevices deactivates and deletes a user's MFA devices, and the
// device serials given (made but perhaps never enabled).
func deleteMFADevices(ctx context.Context, c LiveIAM, user string, serials ...string) error {
	if out, err := c.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: aws.String(user)}); err == nil {
		for _, d := range out.MFADevices {
			if _, err := c.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: aws.String(user), SerialNumber: d.SerialNumber}); err != nil && code(err) != "NoSuchEntity" {
				return fmt.Errorf("deactivate the MFA device of %s: %w", user, err)
			}
			serials = append(serials, aws.ToString(d.SerialNumber))
		}
	} else if code(err) != "NoSuchEntity" {
		return fmt.Errorf("list the MFA devices of %s: %w", user, err)
	}
	for _, s := range serials {
		if _, err := c.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(s)}); err != nil && code(err) != "NoSuchEntity" {
			return fmt.Errorf("delete the MFA device %s: %w", s, err)
		}
	}
	return nil
}
