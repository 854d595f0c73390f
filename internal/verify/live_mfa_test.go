package verify

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
)

// deviceIAM is the IAM a device sweep sees: some users, some devices.
// Calls it does not stub panic (the embedded nil interface).
type deviceIAM struct {
	LiveIAM
	users   map[string]bool
	devices []string // serials, unassigned
	deleted []string
}

var _ LiveIAM = (*deviceIAM)(nil)

func (f *deviceIAM) ListVirtualMFADevices(_ context.Context, in *iam.ListVirtualMFADevicesInput, _ ...func(*iam.Options)) (*iam.ListVirtualMFADevicesOutput, error) {
	if in.AssignmentStatus != iamtypes.AssignmentStatusTypeUnassigned {
		panic("the sweep lists only unassigned devices")
	}
	out := &iam.ListVirtualMFADevicesOutput{}
	for _, s := range f.devices {
		out.VirtualMFADevices = append(out.VirtualMFADevices, iamtypes.VirtualMFADevice{SerialNumber: aws.String(s)})
	}
	return out, nil
}

func (f *deviceIAM) GetUser(_ context.Context, in *iam.GetUserInput, _ ...func(*iam.Options)) (*iam.GetUserOutput, error) {
	if !f.users[aws.ToString(in.UserName)] {
		return nil, &smithy.GenericAPIError{Code: "NoSuchEntity", Message: "no such user"}
	}
	return &iam.GetUserOutput{User: &iamtypes.User{UserName: in.UserName}}, nil
}

func (f *deviceIAM) DeleteVirtualMFADevice(_ context.Context, in *iam.DeleteVirtualMFADeviceInput, _ ...func(*iam.Options)) (*iam.DeleteVirtualMFADeviceOutput, error) {
	f.deleted = append(f.deleted, aws.ToString(in.SerialNumber))
	return &iam.DeleteVirtualMFADeviceOutput{}, nil
}

// TestSweepProbeDevices: a device named after a probe user that no longer
// exists is deleted (a run killed between creating and enabling it); the
// device of a probe user that exists, and any device not named after a
// probe user, are kept.
func TestSweepProbeDevices(t *testing.T) {
	t.Parallel()
	const mfa = "arn:aws:iam::111111111111:mfa/"
	cases := []struct {
		name    string
		users   []string
		devices []string
		want    []string
	}{
		{"a killed run's device, its user gone", nil, []string{mfa + "xacct-probe-ab12-developers"}, []string{mfa + "xacct-probe-ab12-developers"}},
		{"a device on a path", nil, []string{mfa + "team/xacct-probe-ab12-testers"}, []string{mfa + "team/xacct-probe-ab12-testers"}},
		{"a run in progress: its user exists", []string{"xacct-probe-cd34-developers"}, []string{mfa + "xacct-probe-cd34-developers"}, nil},
		{"someone's own device", nil, []string{mfa + "alice"}, nil},
		{"both at once", []string{"xacct-probe-cd34-developers"}, []string{mfa + "alice", mfa + "xacct-probe-cd34-developers", mfa + "xacct-probe-ab12-developers"},
			[]string{mfa + "xacct-probe-ab12-developers"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := &deviceIAM{users: map[string]bool{}, devices: tc.devices}
			for _, u := range tc.users {
				f.users[u] = true
			}
			got, err := sweepProbeDevices(context.Background(), f)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) || !slices.Equal(f.deleted, tc.want) {
				t.Errorf("reported %v, deleted %v; want %v", got, f.deleted, tc.want)
			}
		})
	}
}
