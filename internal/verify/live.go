package verify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/xacct/xacct/internal/awserr"
	"github.com/xacct/xacct/internal/config"
)

// LiveInput is what live probing needs.
type LiveInput struct {
	Cfg *config.Config
	// IAM is the Development account's IAM as xacct signs in to it: it
	// creates the probe users and deletes them again.
	IAM LiveIAM
	// Production and Reporting are those accounts' S3 as xacct signs in:
	// they seed probe objects, read the processor's records and clean up.
	Production, Reporting LiveS3
	// RecordKey is the key of the processor's record of an object
	// (processor.RecordKey).
	RecordKey func(prefix, bucket, key, versionID string) string
	// UserConfig returns an AWS config for the Development account signed
	// with the given credentials (endpoint, CA and region as xacct's own).
	UserConfig func(creds aws.CredentialsProvider) (aws.Config, error)
	// Logf reports progress.
	Logf func(format string, args ...any)
	// Wait bounds the waits for IAM to accept new users and for the
	// processor's record (default one minute).
	Wait time.Duration
	// Findings are the reach analysis's findings: those a group's probe
	// user can take (a new member of the group through its role) are
	// probed for real where the action is one of probedFindings'.
	Findings []Finding
}

// probedFindings are the actions a finding is probed with, on the probe's
// own objects only: a read, a write, a tag, a delete of a version.
var probedFindings = []string{"s3:GetObjectVersion", "s3:GetObjectTagging", "s3:PutObjectTagging", "s3:DeleteObjectVersion"}

// findingsOf are the findings a new member of the group reaches through
// the group's role on the Production bucket with a probed action, once
// per action.
func findingsOf(fs []Finding, cfg *config.Config, g config.Group) []Finding {
	var out []Finding
	seen := map[string]bool{}
	for _, f := range fs {
		if f.Principal != "a new member of "+g.GroupName+" (development)" || len(f.Path) != 1 || f.Path[0].Kind != "assume" ||
			roleNameOf(f.Path[0].To) != g.RoleName || f.Bucket != cfg.Production.Bucket || !slices.Contains(probedFindings, f.Action) || seen[f.Action] {
			continue
		}
		seen[f.Action] = true
		out = append(out, f)
	}
	return out
}

// LiveIAM is what live probing calls on the Development account's IAM.
type LiveIAM interface {
	CreateUser(context.Context, *iam.CreateUserInput, ...func(*iam.Options)) (*iam.CreateUserOutput, error)
	AddUserToGroup(context.Context, *iam.AddUserToGroupInput, ...func(*iam.Options)) (*iam.AddUserToGroupOutput, error)
	CreateAccessKey(context.Context, *iam.CreateAccessKeyInput, ...func(*iam.Options)) (*iam.CreateAccessKeyOutput, error)
	ListAccessKeys(context.Context, *iam.ListAccessKeysInput, ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error)
	DeleteAccessKey(context.Context, *iam.DeleteAccessKeyInput, ...func(*iam.Options)) (*iam.DeleteAccessKeyOutput, error)
	ListGroupsForUser(context.Context, *iam.ListGroupsForUserInput, ...func(*iam.Options)) (*iam.ListGroupsForUserOutput, error)
	RemoveUserFromGroup(context.Context, *iam.RemoveUserFromGroupInput, ...func(*iam.Options)) (*iam.RemoveUserFromGroupOutput, error)
	DeleteUser(context.Context, *iam.DeleteUserInput, ...func(*iam.Options)) (*iam.DeleteUserOutput, error)
	ListUsers(context.Context, *iam.ListUsersInput, ...func(*iam.Options)) (*iam.ListUsersOutput, error)
	GetUser(context.Context, *iam.GetUserInput, ...func(*iam.Options)) (*iam.GetUserOutput, error)
	// A probe of a group that requires MFA signs in with a virtual device
	// (live_mfa.go).
	CreateVirtualMFADevice(context.Context, *iam.CreateVirtualMFADeviceInput, ...func(*iam.Options)) (*iam.CreateVirtualMFADeviceOutput, error)
	EnableMFADevice(context.Context, *iam.EnableMFADeviceInput, ...func(*iam.Options)) (*iam.EnableMFADeviceOutput, error)
	ListMFADevices(context.Context, *iam.ListMFADevicesInput, ...func(*iam.Options)) (*iam.ListMFADevicesOutput, error)
	DeactivateMFADevice(context.Context, *iam.DeactivateMFADeviceInput, ...func(*iam.Options)) (*iam.DeactivateMFADeviceOutput, error)
	DeleteVirtualMFADevice(context.Context, *iam.DeleteVirtualMFADeviceInput, ...func(*iam.Options)) (*iam.DeleteVirtualMFADeviceOutput, error)
	// Clean-up finds the devices a killed run made but never enabled.
	ListVirtualMFADevices(context.Context, *iam.ListVirtualMFADevicesInput, ...func(*iam.Options)) (*iam.ListVirtualMFADevicesOutput, error)
}

// LiveS3 is what live probing calls on S3 as xacct.
type LiveS3 interface {
	GetBucketPolicy(context.Context, *s3.GetBucketPolicyInput, ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error)
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	ListObjectVersions(context.Context, *s3.ListObjectVersionsInput, ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error)
	ListObjectsV2(context.Context, *s3.ListObjectsV2Input, ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	DeleteObject(context.Context, *s3.DeleteObjectInput, ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
}

var (
	_ LiveIAM = (*iam.Client)(nil)
	_ LiveS3  = (*s3.Client)(nil)
)

// Probe is one real call and what it got.
type Probe struct {
	Principal string `json:"principal"`
	Action    string `json:"action"`
	Resource  string `json:"resource"`
	Intended  bool   `json:"intended"`
	Live      bool   `json:"live"`
	Detail    string `json:"detail,omitempty"`
}

// OK reports whether the call got the intended answer.
func (p Probe) OK() bool { return p.Intended == p.Live }

// LiveReport is every probe, and the metadata record a developer's probe
// upload produced.
type LiveReport struct {
	ID     string  `json:"probe_id"`
	Probes []Probe `json:"probes"`
	Record string  `json:"record,omitempty"`
	// Unproven are the intended paths no probe exercised, each with why:
	// while there is one, the report does not say "Verified live".
	Unproven []string `json:"unproven,omitempty"`
}

// Mismatches counts probes that did not get the intended answer.
func (r *LiveReport) Mismatches() int {
	n := 0
	for _, p := range r.Probes {
		if !p.OK() {
			n++
		}
	}
	return n
}

// Describe says what Live will create (and delete again), for the user to
// read before it starts.
func Describe(cfg *config.Config) string {
	var b strings.Builder
	fmt.Fprintf(&b, "verify --live creates, then deletes again (also when interrupted or when a probe fails):\n")
	for _, g := range cfg.Groups {
		device := ""
		if g.RequireMFA {
			device = " and a virtual MFA device"
		}
		fmt.Fprintf(&b, "  - in account %s: an IAM user xacct-probe-<id>-%s in group %s, with an access key%s\n", cfg.Accounts.Development.ID, g.Key, g.GroupName, device)
	}
	fmt.Fprintf(&b, "  - in account %s: an IAM user xacct-probe-<id>-nogroup in no group, with an access key\n", cfg.Accounts.Development.ID)
	fmt.Fprintf(&b, "  - objects under s3://%s/xacct-probe/<id>/ and their metadata records in s3://%s/%s%s/xacct-probe/<id>/\n",
		cfg.Production.Bucket, cfg.Reporting.Bucket, cfg.Reporting.Prefix, cfg.Production.Bucket)
	return b.String()
}

func newProbeID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// code is an error's AWS error code, or its text when it has none.
func code(err error) string {
	if c := awserr.Code(err); c != "" || err == nil {
		return c
	}
	return err.Error()
}

// denied tells an authorization refusal from any other failure, which is
// an error of the probe itself.
func denied(err error) bool {
	switch code(err) {
	case "AccessDenied", "AccessDeniedException", "Forbidden", "403":
		return true
	}
	return false
}

// Live proves the matrix with real calls.
func Live(ctx context.Context, in LiveInput) (rep *LiveReport, err error) {
	if in.Wait == 0 {
		in.Wait = time.Minute
	}
	cfg := in.Cfg
	rep = &LiveReport{ID: newProbeID()}
	dev, prodS3, repS3 := in.IAM, in.Production, in.Reporting
	prefix := probePrefix + rep.ID + "/"
	var users []string
	devices := map[string]string{} // probe user -> its MFA device's serial

	// Everything made is deleted, whatever happens, with a context of its
	// own: an interrupt must not leave probes behind.
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		var errs []error
		for _, u := range users {
			if serial, ok := devices[u]; ok {
				errs = append(errs, deleteMFADevices(cctx, dev, u, serial))
			}
			errs = append(errs, deleteUser(cctx, dev, u))
		}
		errs = append(errs, emptyProbes(cctx, in, prefix, min(in.Wait, probeDeletionWait))...)
		if cerr := errors.Join(errs...); cerr != nil {
			err = errors.Join(err, fmt.Errorf("clean up probes %s: %w", rep.ID, cerr))
		} else {
			in.Logf("probes %s cleaned up: users, keys, MFA devices, objects and records deleted", rep.ID)
		}
	}()

	policy, err := prodS3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(cfg.Production.Bucket)})
	if err != nil {
		return rep, fmt.Errorf("read the production bucket policy: %w", err)
	}
	seed := func() error {
		_, err := prodS3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(cfg.Production.Bucket), Key: aws.String(prefix + "seed.txt"), Body: strings.NewReader("seed")})
		return err
	}
	unproven := func(format string, args ...any) { rep.Unproven = append(rep.Unproven, fmt.Sprintf(format, args...)) }

	userName := func(suffix string) string { return probeUser + rep.ID + "-" + suffix }
	makeUser := func(suffix, group string) (aws.Config, error) {
		name := userName(suffix)
		if _, err := dev.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name),
			Tags: []iamtypes.Tag{{Key: aws.String("xacct:probe"), Value: aws.String(cfg.Stack)}}}); err != nil {
			return aws.Config{}, fmt.Errorf("create probe user %s: %w", name, err)
		}
		users = append(users, name)
		if group != "" {
			if _, err := dev.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String(group), UserName: aws.String(name)}); err != nil {
				return aws.Config{}, fmt.Errorf("add probe user %s to %s: %w", name, group, err)
			}
		}
		key, err := dev.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
		if err != nil {
			return aws.Config{}, fmt.Errorf("create an access key for %s: %w", name, err)
		}
		in.Logf("probe user %s created", name)
		uc, err := in.UserConfig(credentials.NewStaticCredentialsProvider(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), ""))
		if err != nil {
			return aws.Config{}, fmt.Errorf("sign in as probe user %s: %w", name, err)
		}
		return uc, nil
	}
	roleARN := func(role string) string {
		return fmt.Sprintf("arn:aws:iam::%s:role/%s", cfg.Accounts.Production.ID, role)
	}
	// assume tries AssumeRole. While IAM propagates a new user and its key,
	// the key may be unknown for a while (always retried within the wait);
	// when the call is expected to succeed, a refusal is retried too. The
	// session is named after the user, as the group roles' trust requires,
	// so that the logs name the probe user.
	assume := func(uc aws.Config, user, role string, expectAllow bool, d *mfaDevice) (*sts.AssumeRoleOutput, error) {
		deadline := time.Now().Add(in.Wait)
		for {
			ain := &sts.AssumeRoleInput{RoleArn: aws.String(roleARN(role)), RoleSessionName: aws.String(user)}
			if d != nil {
				ain.SerialNumber, ain.TokenCode = aws.String(d.serial), aws.String(d.code(time.Now()))
			}
			out, err := sts.NewFromConfig(uc).AssumeRole(ctx, ain)
			retry := code(err) == "InvalidClientTokenId" || (expectAllow && code(err) == "AccessDenied")
			if err == nil || !retry || time.Now().After(deadline) {
				return out, err
			}
			select {
			case <-time.After(2 * time.Second):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
	}
	record := func(p Probe, err error) error {
		if err != nil && !denied(err) {
			return fmt.Errorf("probe %s %s on %s: %w", p.Principal, p.Action, p.Resource, err)
		}
		p.Live = err == nil
		if err != nil {
			p.Detail = code(err)
		}
		rep.Probes = append(rep.Probes, p)
		return nil
	}

	for _, g := range cfg.Groups {
		uc, err := makeUser(g.Key, g.GroupName)
		if err != nil {
			return rep, err
		}
		who := g.GroupName + " member"
		// Where the group requires MFA, the role must refuse the probe
		// user's keys alone, and take them with a code of its device, as
		// a person signs in.
		var device *mfaDevice
		if g.RequireMFA {
			who = g.GroupName + " member without MFA"
			_, nerr := assume(uc, userName(g.Key), g.RoleName, false, nil)
			if err := record(Probe{Principal: who, Action: "sts:AssumeRole", Resource: roleARN(g.RoleName)}, nerr); err != nil {
				return rep, err
			}
			d, derr := newMFADevice(ctx, dev, userName(g.Key), time.Now)
			if d != nil {
				devices[userName(g.Key)] = d.serial
			}
			if derr != nil {
				unproven("%s's paths (the role requires MFA): %v", g.GroupName, derr)
				continue
			}
			device = d
			who = g.GroupName + " member with MFA"
		}
		out, aerr := assume(uc, userName(g.Key), g.RoleName, true, device)
		if err := record(Probe{Principal: who, Action: "sts:AssumeRole", Resource: roleARN(g.RoleName), Intended: true}, aerr); err != nil {
			return rep, err
		}
		for _, other := range cfg.Groups {
			if other.Key == g.Key {
				continue
			}
			_, oerr := assume(uc, userName(g.Key), other.RoleName, false, device)
			if err := record(Probe{Principal: who, Action: "sts:AssumeRole", Resource: roleARN(other.RoleName)}, oerr); err != nil {
				return rep, err
			}
		}
		if aerr != nil {
			unproven("%s's actions: its role could not be assumed", g.GroupName)
			continue
		}
		sc := uc.Copy()
		sc.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken))
		s := s3.NewFromConfig(sc, func(o *s3.Options) {
			o.UsePathStyle = sc.BaseEndpoint != nil
			o.DisableLogOutputChecksumValidationSkipped = true
		})
		allowed := map[string]bool{}
		for _, a := range g.Actions {
			allowed[a] = true
		}
		if err := seed(); err != nil {
			return rep, fmt.Errorf("seed probe object: %w", err)
		}
		who = g.GroupName + " member via " + g.RoleName
		if device != nil {
			who = g.GroupName + " member with MFA via " + g.RoleName
		}
		prodObj := "arn:aws:s3:::" + cfg.Production.Bucket + "/" + prefix
		key := prefix + g.Key + ".txt"
		put, perr := s.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(cfg.Production.Bucket), Key: aws.String(key), Body: strings.NewReader("probe from " + g.GroupName)})
		if err := record(Probe{Principal: who, Action: "s3:PutObject", Resource: prodObj + g.Key + ".txt", Intended: allowed["s3:PutObject"]}, perr); err != nil {
			return rep, err
		}
		got, gerr := s.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(cfg.Production.Bucket), Key: aws.String(prefix + "seed.txt")})
		if gerr == nil {
			got.Body.Close()
		}
		if err := record(Probe{Principal: who, Action: "s3:GetObject", Resource: prodObj + "seed.txt", Intended: allowed["s3:GetObject"]}, gerr); err != nil {
			return rep, err
		}
		_, lerr := s.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(cfg.Production.Bucket), Prefix: aws.String(prefix)})
		if err := record(Probe{Principal: who, Action: "s3:ListBucket", Resource: "arn:aws:s3:::" + cfg.Production.Bucket, Intended: allowed["s3:ListBucket"]}, lerr); err != nil {
			return rep, err
		}
		_, derr := s.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(cfg.Production.Bucket), Key: aws.String(prefix + "seed.txt")})
		if err := record(Probe{Principal: who, Action: "s3:DeleteObject", Resource: prodObj + "seed.txt", Intended: allowed["s3:DeleteObject"]}, derr); err != nil {
			return rep, err
		}
		// Every other action of the group's, where it can be exercised on
		// an object of the probe's own; the rest are said unproven.
		if err := probeActions(ctx, in, s, g, prefix, rep.ID, who, record, unproven); err != nil {
			return rep, err
		}
		// Re-putting the policy that is there changes nothing even if it
		// were allowed.
		_, bperr := s.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(cfg.Production.Bucket), Policy: policy.Policy})
		if err := record(Probe{Principal: who, Action: "s3:PutBucketPolicy", Resource: "arn:aws:s3:::" + cfg.Production.Bucket, Intended: allowed["s3:PutBucketPolicy"]}, bperr); err != nil {
			return rep, err
		}
		// The findings this member reaches, probed on an object of the
		// probe's own (its version deleted last).
		if fs := findingsOf(in.Findings, cfg, g); len(fs) > 0 {
			vkey := prefix + g.Key + "-versioned.txt"
			seeded, err := prodS3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(cfg.Production.Bucket), Key: aws.String(vkey), Body: strings.NewReader("versioned probe")})
			if err != nil {
				return rep, fmt.Errorf("seed probe object: %w", err)
			}
			vid := seeded.VersionId
			slices.SortStableFunc(fs, func(a, b Finding) int {
				return boolCmp(a.Action == "s3:DeleteObjectVersion", b.Action == "s3:DeleteObjectVersion")
			})
			for _, f := range fs {
				var ferr error
				switch f.Action {
				case "s3:GetObjectVersion":
					var out *s3.GetObjectOutput
					if out, ferr = s.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(cfg.Production.Bucket), Key: aws.String(vkey), VersionId: vid}); ferr == nil {
						out.Body.Close()
					}
				case "s3:GetObjectTagging":
					_, ferr = s.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(cfg.Production.Bucket), Key: aws.String(vkey)})
				case "s3:PutObjectTagging":
					_, ferr = s.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String(cfg.Production.Bucket), Key: aws.String(vkey),
						Tagging: &s3types.Tagging{TagSet: []s3types.Tag{{Key: aws.String("xacct-probe"), Value: aws.String(rep.ID)}}}})
				case "s3:DeleteObjectVersion":
					_, ferr = s.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(cfg.Production.Bucket), Key: aws.String(vkey), VersionId: vid})
				}
				if err := record(Probe{Principal: "finding: " + who, Action: f.Action, Resource: prodObj + g.Key + "-versioned.txt"}, ferr); err != nil {
					return rep, err
				}
			}
		}
		_, rerr := s.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(cfg.Reporting.Bucket), Key: aws.String(prefix + g.Key + ".txt"), Body: strings.NewReader("probe")})
		if err := record(Probe{Principal: who, Action: "s3:PutObject", Resource: "arn:aws:s3:::" + cfg.Reporting.Bucket + "/" + prefix + g.Key + ".txt"}, rerr); err != nil {
			return rep, err
		}
		if perr == nil {
			recKey := in.RecordKey(cfg.Reporting.Prefix, cfg.Production.Bucket, key, aws.ToString(put.VersionId))
			body, werr := waitForObject(ctx, repS3, cfg.Reporting.Bucket, recKey, in.Wait)
			p := Probe{Principal: "metadata processor", Action: "record " + key, Resource: "arn:aws:s3:::" + cfg.Reporting.Bucket + "/" + recKey, Intended: true, Live: werr == nil}
			if werr != nil {
				p.Detail = werr.Error()
			} else if rep.Record == "" {
				rep.Record = string(body)
				// A deletion is recorded too: the probe object, deleted (a
				// delete marker), gets the marker's record.
				rep.Probes = append(rep.Probes, p)
				p = deletionProbe(ctx, in, key)
			}
			rep.Probes = append(rep.Probes, p)
		}
	}
	uc, err := makeUser("nogroup", "")
	if err != nil {
		return rep, err
	}
	for _, g := range cfg.Groups {
		_, aerr := assume(uc, userName("nogroup"), g.RoleName, false, nil)
		if err := record(Probe{Principal: "Development user in no group", Action: "sts:AssumeRole", Resource: roleARN(g.RoleName)}, aerr); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

func waitForObject(ctx context.Context, c LiveS3, bucket, key string, wait time.Duration) ([]byte, error) {
	deadline := time.Now().Add(wait)
	for {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err == nil {
			defer out.Body.Close()
			return io.ReadAll(out.Body)
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("no record s3://%s/%s after %v: %w", bucket, key, wait, err)
		}
		select {
		case <-time.After(200 * time.Millisecond):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// emptyPrefix deletes every version of every object under prefix, a
// listing's page at a time, and returns how many it deleted.
func emptyPrefix(ctx context.Context, c LiveS3, bucket, prefix string) (int, error) {
	deleted := 0
	for range 100 {
		out, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
		if err != nil {
			return deleted, err
		}
		var errs []error
		n := 0
		del := func(key, version *string) {
			in := &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: key}
			if v := aws.ToString(version); v != "" && v != "null" {
				in.VersionId = version
			}
			if _, err := c.DeleteObject(ctx, in); err != nil {
				errs = append(errs, err)
				return
			}
			n++
		}
		for _, v := range out.Versions {
			del(v.Key, v.VersionId)
		}
		for _, m := range out.DeleteMarkers {
			del(m.Key, m.VersionId)
		}
		// A store that keeps no versions lists plain objects.
		if list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)}); err == nil {
			for _, o := range list.Contents {
				del(o.Key, nil)
			}
		}
		deleted += n
		if len(errs) > 0 || n == 0 {
			return deleted, errors.Join(errs...)
		}
	}
	return deleted, fmt.Errorf("s3://%s/%s: objects are still listed after 100 rounds of deletes", bucket, prefix)
}

// probePrefix is where live probing writes; probeUser starts its users'
// names.
const (
	probePrefix = "xacct-probe/"
	probeUser   = "xacct-probe-"
)

// CleanupReport is what Cleanup removed.
type CleanupReport struct {
	Users []string
	// Devices are the serials of virtual MFA devices made for probe users
	// and never enabled (a run killed between the two calls).
	Devices []string
	Objects int
}

// Cleanup deletes what live probing leaves behind when it is killed before
// it can clean up: this stack's probe users (named xacct-probe-…, tagged
// xacct:probe=<stack>) with their keys and memberships, and every object
// and metadata record under the probe prefixes, and the virtual MFA
// devices named after probe users that no longer exist (made, never
// enabled: live_mfa.go). Users of other stacks or not tagged as probes
// are never touched, nor the devices of users that exist.
func Cleanup(ctx context.Context, in LiveInput) (*CleanupReport, error) {
	cfg := in.Cfg
	rep := &CleanupReport{}
	var errs []error
	var marker *string
	for {
		out, err := in.IAM.ListUsers(ctx, &iam.ListUsersInput{Marker: marker})
		if err != nil {
			return rep, fmt.Errorf("list users: %w", err)
		}
		for _, u := range out.Users {
			name := aws.ToString(u.UserName)
			if !strings.HasPrefix(name, probeUser) {
				continue
			}
			got, err := in.IAM.GetUser(ctx, &iam.GetUserInput{UserName: u.UserName})
			if err != nil {
				errs = append(errs, fmt.Errorf("read user %s: %w", name, err))
				continue
			}
			ours := false
			for _, t := range got.User.Tags {
				ours = ours || (aws.ToString(t.Key) == "xacct:probe" && aws.ToString(t.Value) == cfg.Stack)
			}
			if !ours {
				continue
			}
			if err := deleteUser(ctx, in.IAM, name); err != nil {
				errs = append(errs, err)
				continue
			}
			rep.Users = append(rep.Users, name)
		}
		if !out.IsTruncated || out.Marker == nil {
			break
		}
		marker = out.Marker
	}
	devices, err := sweepProbeDevices(ctx, in.IAM)
	rep.Devices = devices
	if err != nil {
		errs = append(errs, err)
	}
	n, err := emptyPrefix(ctx, in.Production, cfg.Production.Bucket, probePrefix)
	rep.Objects += n
	if err != nil {
		errs = append(errs, fmt.Errorf("empty s3://%s/%s: %w", cfg.Production.Bucket, probePrefix, err))
	}
	recordPrefix := cfg.Reporting.Prefix + cfg.Production.Bucket + "/" + probePrefix
	if n > 0 {
		waitForDeletionRecords(ctx, in.Reporting, cfg.Reporting.Bucket, recordPrefix, n, probeDeletionWait)
	}
	for _, p := range []string{recordPrefix, probePrefix} {
		n, err := emptyPrefix(ctx, in.Reporting, cfg.Reporting.Bucket, p)
		rep.Objects += n
		if err != nil {
			errs = append(errs, fmt.Errorf("empty s3://%s/%s: %w", cfg.Reporting.Bucket, p, err))
		}
	}
	return rep, errors.Join(errs...)
}

// probeDeletionWait bounds how long a clean-up waits for the processor to
// record the deletions of the probe objects it removed.
const probeDeletionWait = 20 * time.Second

// emptyProbes deletes the probe objects under prefix, waits (up to wait)
// until the processor has recorded each deletion, then deletes the probe's
// records, so that no record arrives after the clean-up.
func emptyProbes(ctx context.Context, in LiveInput, prefix string, wait time.Duration) []error {
	cfg := in.Cfg
	recordPrefix := cfg.Reporting.Prefix + cfg.Production.Bucket + "/" + prefix
	// The record of every version and delete marker the probes made is
	// awaited too: the processor may still be handling their events.
	var created []string
	if in.RecordKey != nil {
		created = probeRecordKeys(ctx, in, prefix)
	}
	n, err := emptyPrefix(ctx, in.Production, cfg.Production.Bucket, prefix)
	errs := []error{err}
	if n > 0 {
		if !waitForDeletionRecords(ctx, in.Reporting, cfg.Reporting.Bucket, recordPrefix, n, wait) || !waitForRecords(ctx, in.Reporting, cfg.Reporting.Bucket, created, wait) {
			errs = append(errs, fmt.Errorf("the processor has not recorded every probe event after %v: records may still arrive under s3://%s/%s (xacct verify --cleanup removes them)",
				wait, cfg.Reporting.Bucket, recordPrefix))
		}
	}
	for _, p := range []string{recordPrefix, prefix} {
		_, err := emptyPrefix(ctx, in.Reporting, cfg.Reporting.Bucket, p)
		errs = append(errs, err)
	}
	return errs
}

// probeRecordKeys are the keys of the records of every version and
// delete marker under prefix.
func probeRecordKeys(ctx context.Context, in LiveInput, prefix string) []string {
	cfg := in.Cfg
	var keys []string
	lin := &s3.ListObjectVersionsInput{Bucket: aws.String(cfg.Production.Bucket), Prefix: aws.String(prefix)}
	for range 100 {
		out, err := in.Production.ListObjectVersions(ctx, lin)
		if err != nil {
			return keys
		}
		for _, v := range out.Versions {
			keys = append(keys, in.RecordKey(cfg.Reporting.Prefix, cfg.Production.Bucket, aws.ToString(v.Key), aws.ToString(v.VersionId)))
		}
		for _, m := range out.DeleteMarkers {
			keys = append(keys, in.RecordKey(cfg.Reporting.Prefix, cfg.Production.Bucket, aws.ToString(m.Key), aws.ToString(m.VersionId)))
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		lin.KeyMarker, lin.VersionIdMarker = out.NextKeyMarker, out.NextVersionIdMarker
	}
	return keys
}

// waitForRecords waits until every key exists, or wait has passed; it
// reports whether they all do.
func waitForRecords(ctx context.Context, c LiveS3, bucket string, keys []string, wait time.Duration) bool {
	deadline := time.Now().Add(wait)
	for _, k := range keys {
		for {
			_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), Range: aws.String("bytes=0-0")})
			if err == nil {
				break
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				return false
			}
			select {
			case <-time.After(200 * time.Millisecond):
			case <-ctx.Done():
			}
		}
	}
	return true
}

// waitForDeletionRecords waits until n deletion records are under prefix,
// or wait has passed (a processor that is down records nothing; the
// clean-up goes on); it reports whether they are all there.
func waitForDeletionRecords(ctx context.Context, c LiveS3, bucket, prefix string, n int, wait time.Duration) bool {
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		found := 0
		in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)}
		for {
			out, err := c.ListObjectsV2(ctx, in)
			if err != nil {
				return false
			}
			for _, o := range out.Contents {
				if strings.HasSuffix(aws.ToString(o.Key), deletionSuffix) {
					found++
				}
			}
			if !aws.ToBool(out.IsTruncated) {
				break
			}
			in.ContinuationToken = out.NextContinuationToken
		}
		if found >= n {
			return true
		}
		select {
		case <-time.After(200 * time.Millisecond):
		case <-ctx.Done():
		}
	}
	return false
}

// deletionSuffix ends the record of a permanently deleted version
// (processor.DeletionSuffix; verify does not import the processor).
const deletionSuffix = ".deleted.json"

// deletionProbe deletes key (xacct's own session: a delete marker) and
// waits for the processor's record of the marker.
func deletionProbe(ctx context.Context, in LiveInput, key string) Probe {
	cfg := in.Cfg
	p := Probe{Principal: "metadata processor", Action: "record deletion of " + key, Intended: true}
	out, err := in.Production.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(cfg.Production.Bucket), Key: aws.String(key)})
	if err != nil {
		p.Detail = "delete the probe object: " + err.Error()
		return p
	}
	recKey := in.RecordKey(cfg.Reporting.Prefix, cfg.Production.Bucket, key, aws.ToString(out.VersionId))
	p.Resource = "arn:aws:s3:::" + cfg.Reporting.Bucket + "/" + recKey
	if _, err := waitForObject(ctx, in.Reporting, cfg.Reporting.Bucket, recKey, in.Wait); err != nil {
		p.Detail = err.Error()
		return p
	}
	p.Live = true
	return p
}

func deleteUser(ctx context.Context, c LiveIAM, name string) error {
	if err := deleteMFADevices(ctx, c, name); err != nil {
		return err
	}
	keys, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(name)})
	if err == nil {
		for _, k := range keys.AccessKeyMetadata {
			_, _ = c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String(name), AccessKeyId: k.AccessKeyId})
		}
	}
	groups, err := c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String(name)})
	if err == nil {
		for _, g := range groups.Groups {
			_, _ = c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: g.GroupName, UserName: aws.String(name)})
		}
	}
	if _, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(name)}); err != nil && code(err) != "NoSuchEntity" {
		return fmt.Errorf("delete probe user %s: %w", name, err)
	}
	return nil
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
