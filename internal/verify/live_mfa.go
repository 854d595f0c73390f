package verify

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
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

// sweepProbeDevices deletes the virtual MFA devices named after probe
// users (xacct-probe-…) whose user no longer exists: a run killed after
// CreateVirtualMFADevice and before EnableMFADevice leaves its device
// unassigned, and deleting the user does not delete it. A device whose
// user exists belongs to that user's run (or its clean-up) and is kept.
// It returns the serials deleted.
func sweepProbeDevices(ctx context.Context, c LiveIAM) ([]string, error) {
	var deleted []string
	var errs []error
	var marker *string
	for {
		out, err := c.ListVirtualMFADevices(ctx, &iam.ListVirtualMFADevicesInput{AssignmentStatus: iamtypes.AssignmentStatusTypeUnassigned, Marker: marker})
		if err != nil {
			return deleted, fmt.Errorf("list virtual MFA devices: %w", err)
		}
		for _, d := range out.VirtualMFADevices {
			serial := aws.ToString(d.SerialNumber)
			_, name, _ := strings.Cut(serial, ":mfa/")
			name = name[strings.LastIndexByte(name, '/')+1:]
			if !strings.HasPrefix(name, probeUser) {
				continue
			}
			if _, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(name)}); err == nil {
				continue
			} else if code(err) != "NoSuchEntity" {
				errs = append(errs, fmt.Errorf("read user %s: %w", name, err))
				continue
			}
			if _, err := c.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)}); err != nil {
				if code(err) != "NoSuchEntity" {
					errs = append(errs, fmt.Errorf("delete the MFA device %s: %w", serial, err))
				}
				continue
			}
			deleted = append(deleted, serial)
		}
		if !out.IsTruncated || out.Marker == nil {
			break
		}
		marker = out.Marker
	}
	return deleted, errors.Join(errs...)
}
