package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/xacct/xacct/internal/operation"
)

// outputText prints outputs as Terraform does (name = "value", a map as a
// block); one output alone is printed bare, for scripts: a string as it
// is, a map as key = value lines.
func outputText(w io.Writer, outs []operation.Output, bare bool) error {
	var b strings.Builder
	for _, o := range outs {
		switch {
		case bare && o.Map == nil:
			fmt.Fprintln(&b, o.Value)
		case bare:
			for _, k := range slices.Sorted(maps.Keys(o.Map)) {
				fmt.Fprintf(&b, "%s = %s\n", k, o.Map[k])
			}
		case o.Map == nil:
			fmt.Fprintf(&b, "%s = %s\n", o.Name, strconv.Quote(o.Value))
		default:
			fmt.Fprintf(&b, "%s = {\n", o.Name)
			for _, k := range slices.Sorted(maps.Keys(o.Map)) {
				fmt.Fprintf(&b, "  %s = %s\n", k, strconv.Quote(o.Map[k]))
			}
			fmt.Fprintln(&b, "}")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// outputJSON prints the outputs as one object by name (keys sorted), or
// one output's value alone.
func outputJSON(w io.Writer, outs []operation.Output, bare bool) error {
	value := func(o operation.Output) any {
		if o.Map != nil {
			return o.Map
		}
		return o.Value
	}
	var v any
	if bare {
		v = value(outs[0])
	} else {
		m := map[string]any{}
		for _, o := range outs {
			m[o.Name] = value(o)
		}
		v = m
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// profileOptions shape the AWS CLI profiles awsConfigText prints.
type profileOptions struct {
	// SourceProfile holds the member's keys; "" for the user's name.
	SourceProfile string
	// CABundle is the sandbox's CA file ("" when unknown).
	CABundle string
	// CredentialProcess assumes the role with `aws sts assume-role
	// --endpoint-url` for AWS CLIs that ignore a profile's endpoint_url.
	CredentialProcess bool
}

// awsConfigText prints the AWS CLI profile of each member.
func awsConfigText(w io.Writer, profiles []operation.MemberProfile, o profileOptions) error {
	var b strings.Builder
	for i, p := range profiles {
		name := p.Group.RoleName
		if len(profiles) > 1 {
			name += "-" + p.User
		}
		if i > 0 {
			b.WriteString("\n")
		}
		if err := writeProfile(&b, name, p, o); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeProfile writes one member's profile. The comments say what each
// line needs, because the file is pasted and then read by a person.
func writeProfile(b *strings.Builder, name string, p operation.MemberProfile, o profileOptions) error {
	source := o.SourceProfile
	if source == "" {
		source = p.User
	}
	sandbox := p.EndpointURL != ""
	fmt.Fprintf(b, "# %s: %s, a member of %s, through the role %s.\n", p.Stack, p.User, p.Group.GroupName, p.Group.RoleName)
	fmt.Fprintf(b, "# %s's own access keys are the profile %s (in ~/.aws/credentials: [%s]).\n", p.User, source, source)
	fmt.Fprintf(b, "[profile %s]\n", name)
	if o.CredentialProcess {
		if !sandbox {
			return errors.New("--credential-process is for the local sandbox (an account with endpoint_url): on AWS, every AWS CLI assumes the role from role_arn")
		}
		if p.MFASerial != "" {
			return withHint(fmt.Errorf("the group %s requires MFA, which a credential_process cannot ask for", p.Group.Key),
				"use an AWS CLI that reads endpoint_url (2.13 or later, 1.29 or later) and the profile without --credential-process")
		}
		// The CLI runs credential_process without a shell; the inner
		// call names its endpoint, CA and region itself, so that
		// it never goes to AWS.
		args := []string{"aws", "sts", "assume-role", "--endpoint-url", p.EndpointURL}
		if o.CABundle != "" {
			args = append(args, "--ca-bundle", o.CABundle)
		}
		args = append(args, "--region", p.Region, "--profile", source, "--role-arn", p.RoleARN, "--role-session-name", p.User, "--output", "json",
			"--query", `"{Version: `+"`1`"+`, AccessKeyId: Credentials.AccessKeyId, SecretAccessKey: Credentials.SecretAccessKey, SessionToken: Credentials.SessionToken, Expiration: Credentials.Expiration}"`)
		fmt.Fprintf(b, "# For AWS CLIs that ignore endpoint_url (before 2.13 and 1.29): the role is assumed by this command, at the sandbox;\n")
		fmt.Fprintf(b, "# give each command --endpoint-url %s too.\n", p.EndpointURL)
		fmt.Fprintf(b, "credential_process = %s\n", strings.Join(args, " "))
	} else {
		fmt.Fprintf(b, "role_arn = %s\n", p.RoleARN)
		fmt.Fprintf(b, "source_profile = %s\n", source)
		fmt.Fprintf(b, "# The role's trust requires the session to be named after your IAM user.\n")
		fmt.Fprintf(b, "role_session_name = %s\n", p.User)
		if p.MFASerial != "" {
			fmt.Fprintf(b, "# MFA: your MFA device's ARN (aws iam list-mfa-devices --user-name %s); the CLI asks for its code.\n", p.User)
			fmt.Fprintf(b, "mfa_serial = %s\n", p.MFASerial)
		}
	}
	fmt.Fprintf(b, "region = %s\n", p.Region)
	if sandbox {
		if !o.CredentialProcess {
			fmt.Fprintf(b, "# The local sandbox: AWS CLI 2.13+ and 1.29+ send every request here, AssumeRole included; older ones\n")
			fmt.Fprintf(b, "# ignore endpoint_url and would call AWS: for them, xacct output --aws-config %s --user %s --credential-process.\n", p.Group.Key, p.User)
		}
		fmt.Fprintf(b, "endpoint_url = %s\n", p.EndpointURL)
		if o.CABundle != "" {
			fmt.Fprintf(b, "ca_bundle = %s\n", o.CABundle)
		} else {
			fmt.Fprintf(b, "# ca_bundle = the sandbox's CA file (AWS_CA_BUNDLE in the file xacct sandbox --env-file wrote)\n")
		}
	}
	return nil
}
