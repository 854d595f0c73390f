package e2e

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

// The second attacker review's classes 1, 2 and 4 (issue 22): requests an
// attacker sends with the SDK, each refused with AWS's error and without
// its side effect, and the allowed variants that must keep working.

// tinyZip is a function package Lambda accepts; it is never run here.
func tinyZip(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w := must(zw.Create("bootstrap"))(t)
	_, _ = w.Write([]byte("#!/bin/sh\n"))
	must(0, zw.Close())(t)
	return buf.Bytes()
}

// lambdaRoleFor creates a Production role Lambda may assume.
func lambdaRoleFor(t *testing.T, prod *client, prefix string) string {
	t.Helper()
	name := uniq(t, prefix)
	must(prod.iam.CreateRole(context.Background(), &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}))(t)
	return "arn:aws:iam::" + prodID + ":role/" + name
}

// TestAttackUpdateFunctionConfigurationNeedsPassRole (class 1): a caller
// who may update a function's configuration but not pass the new role
// cannot swap the function's execution role for an administrator's.
func TestAttackUpdateFunctionConfigurationNeedsPassRole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	prod := orgAdmin(t, prodID)
	execRole := lambdaRoleFor(t, prod, "exec-swap")
	adminRole := lambdaRoleFor(t, prod, "admin-swap")
	must(prod.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(adminRole[strings.LastIndexByte(adminRole, '/')+1:]),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}))(t)
	fn := uniq(t, "swap")
	fnARN := "arn:aws:lambda:" + shared.Region + ":" + prodID + ":function:" + fn
	lc := lambda.NewFromConfig(prod.cfg)
	must(lc.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(fn), Runtime: lambdatypes.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Role: aws.String(execRole), Code: &lambdatypes.FunctionCode{ZipFile: tinyZip(t)}}))(t)
	role := func() string {
		t.Helper()
		return aws.ToString(must(lc.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(fn)}))(t).Role)
	}

	user := uniq(t, "swapper")
	must(prod.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user)}))(t)
	must(prod.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String("configure"), PolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["lambda:UpdateFunctionConfiguration","lambda:GetFunctionConfiguration"],"Resource":"` + fnARN + `"}]}`)}))(t)
	attacker := lambda.NewFromConfig(userKey(t, prod, user).cfg)
	swap := func() error {
		_, err := attacker.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(fn), Role: aws.String(adminRole)})
		return err
	}
	refused := func(t *testing.T) {
		t.Helper()
		err := swap()
		wantCode(t, err, "AccessDeniedException")
		if !strings.Contains(err.Error(), "iam:PassRole") || !strings.Contains(err.Error(), adminRole) {
			t.Errorf("error %v does not name iam:PassRole on %s", err, adminRole)
		}
		if got := role(); got != execRole {
			t.Fatalf("the role was swapped: %s", got)
		}
	}
	passRole := func(cond string) {
		must(prod.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String("pass"), PolicyDocument: aws.String(
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"` + adminRole + `","Condition":` + cond + `}]}`)}))(t)
	}

	t.Run("no PassRole", refused)
	// Other settings without a Role need no PassRole.
	t.Run("no role in the request", func(t *testing.T) {
		must(attacker.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(fn), Description: aws.String("harmless")}))(t)
	})
	passRole(`{"StringEquals":{"iam:PassedToService":"ec2.amazonaws.com"}}`)
	t.Run("PassRole to another service", refused)
	passRole(`{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"},"ArnEquals":{"iam:AssociatedResourceArn":"` + fnARN + `-other"}}`)
	t.Run("PassRole for another function", refused)
	passRole(`{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"},"ArnEquals":{"iam:AssociatedResourceArn":"` + fnARN + `"}}`)
	t.Run("PassRole for this function to Lambda", func(t *testing.T) {
		must(0, swap())(t)
		if got := role(); got != adminRole {
			t.Fatalf("role %s, want %s", got, adminRole)
		}
	})
}

// logGroupARN is the ARN of a log group of the shared sandbox's region.
func logGroupARN(account, name string) string {
	return "arn:aws:logs:" + shared.Region + ":" + account + ":log-group:" + name
}

// secretAndPublicLogGroups makes /secret/… and /public/… log groups, each
// with a stream "s" holding one line, for the log-group attacks.
func secretAndPublicLogGroups(t *testing.T, admin *cloudwatchlogs.Client, tag string) (secret, public string) {
	t.Helper()
	ctx := context.Background()
	secret, public = "/secret/"+uniq(t, tag), "/public/"+uniq(t, tag)
	for _, g := range []string{secret, public} {
		must(admin.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(g)}))(t)
		must(admin.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(g), LogStreamName: aws.String("s")}))(t)
		must(admin.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(g), LogStreamName: aws.String("s"),
			LogEvents: []logstypes.InputLogEvent{{Message: aws.String("line of " + g), Timestamp: aws.Int64(1700000000000)}}}))(t)
	}
	return secret, public
}

// TestAttackLogGroupIdentifier (class 2): a Deny on log-group:/secret/*
// holds whether the group is named by logGroupName, by logGroupIdentifier
// (name or ARN) or by the resourceArn of the tagging operations; an ARN of
// another account is refused and never reaches the caller's group of the
// same name.
func TestAttackLogGroupIdentifier(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	prod := orgAdmin(t, prodID)
	admin := cloudwatchlogs.NewFromConfig(prod.cfg)
	secret, public := secretAndPublicLogGroups(t, admin, "g")
	user := uniq(t, "logreader")
	must(prod.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user)}))(t)
	must(prod.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String("logs"), PolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"*"},` +
			`{"Effect":"Deny","Action":"logs:*","Resource":"arn:aws:logs:*:` + prodID + `:log-group:/secret/*"}]}`)}))(t)
	attacker := cloudwatchlogs.NewFromConfig(userKey(t, prod, user).cfg)
	tags := func(name string) map[string]string {
		t.Helper()
		return must(admin.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String(logGroupARN(prodID, name))}))(t).Tags
	}

	denied := []struct {
		name string
		call func() (any, error)
	}{
		{"FilterLogEvents by name (the baseline)", func() (any, error) {
			return attacker.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(secret)})
		}},
		{"FilterLogEvents by identifier name", func() (any, error) {
			return attacker.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupIdentifier: aws.String(secret)})
		}},
		{"FilterLogEvents by identifier ARN", func() (any, error) {
			return attacker.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupIdentifier: aws.String(logGroupARN(prodID, secret))})
		}},
		{"GetLogEvents by identifier ARN", func() (any, error) {
			return attacker.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupIdentifier: aws.String(logGroupARN(prodID, secret)), LogStreamName: aws.String("s")})
		}},
		{"DescribeLogStreams by identifier", func() (any, error) {
			return attacker.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupIdentifier: aws.String(secret)})
		}},
		{"ListTagsForResource", func() (any, error) {
			return attacker.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String(logGroupARN(prodID, secret))})
		}},
		{"TagResource", func() (any, error) {
			return attacker.TagResource(ctx, &cloudwatchlogs.TagResourceInput{ResourceArn: aws.String(logGroupARN(prodID, secret)), Tags: map[string]string{"owned": "yes"}})
		}},
		{"UntagResource", func() (any, error) {
			return attacker.UntagResource(ctx, &cloudwatchlogs.UntagResourceInput{ResourceArn: aws.String(logGroupARN(prodID, secret)), TagKeys: []string{"keep"}})
		}},
		// Another account's ARN naming a group that exists, under that
		// name, in the caller's own account.
		{"FilterLogEvents by another account's ARN", func() (any, error) {
			return attacker.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupIdentifier: aws.String(logGroupARN(repID, public))})
		}},
		{"TagResource on another account's ARN", func() (any, error) {
			return attacker.TagResource(ctx, &cloudwatchlogs.TagResourceInput{ResourceArn: aws.String(logGroupARN(repID, public)), Tags: map[string]string{"owned": "yes"}})
		}},
	}
	must(admin.TagResource(ctx, &cloudwatchlogs.TagResourceInput{ResourceArn: aws.String(logGroupARN(prodID, secret)), Tags: map[string]string{"keep": "1"}}))(t)
	for _, tc := range denied {
		t.Run(tc.name, func(t *testing.T) {
			out, err := tc.call()
			wantCode(t, err, "AccessDeniedException")
			if !strings.Contains(err.Error(), "is not authorized to perform: logs:") {
				t.Errorf("error %v is not IAM's refusal", err)
			}
			if ev, ok := out.(*cloudwatchlogs.FilterLogEventsOutput); ok && ev != nil && len(ev.Events) > 0 {
				t.Errorf("log events returned: %v", ev.Events)
			}
		})
	}
	if got := tags(secret); got["keep"] != "1" || got["owned"] != "" {
		t.Errorf("the secret group's tags changed: %v", got)
	}
	if got := tags(public); got["owned"] != "" {
		t.Errorf("another account's ARN tagged the caller's group: %v", got)
	}

	t.Run("an identifier ending in :* is not valid", func(t *testing.T) {
		_, err := attacker.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupIdentifier: aws.String(logGroupARN(prodID, public) + ":*")})
		wantCode(t, err, "InvalidParameterException")
	})
	t.Run("name and identifier together are not valid", func(t *testing.T) {
		_, err := attacker.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(public), LogGroupIdentifier: aws.String(secret)})
		wantCode(t, err, "InvalidParameterException")
	})

	// Without the Deny the same requests read and tag the group.
	for _, id := range []string{public, logGroupARN(prodID, public)} {
		t.Run("FilterLogEvents allowed by "+id, func(t *testing.T) {
			out := must(attacker.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupIdentifier: aws.String(id)}))(t)
			if len(out.Events) != 1 || aws.ToString(out.Events[0].Message) != "line of "+public {
				t.Fatalf("events %+v", out.Events)
			}
			streams := must(attacker.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupIdentifier: aws.String(id)}))(t)
			if len(streams.LogStreams) != 1 {
				t.Fatalf("streams %+v", streams.LogStreams)
			}
			ev := must(attacker.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupIdentifier: aws.String(id), LogStreamName: aws.String("s")}))(t)
			if len(ev.Events) != 1 {
				t.Fatalf("events %+v", ev.Events)
			}
		})
	}
	t.Run("tagging allowed", func(t *testing.T) {
		must(attacker.TagResource(ctx, &cloudwatchlogs.TagResourceInput{ResourceArn: aws.String(logGroupARN(prodID, public)), Tags: map[string]string{"team": "a"}}))(t)
		got := must(attacker.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String(logGroupARN(prodID, public))}))(t).Tags
		if got["team"] != "a" {
			t.Fatalf("tags %v", got)
		}
	})
}

// assumeWith assumes roleARN as c with session policies.
func assumeWith(t *testing.T, c *client, roleARN, session, inline string, arns ...string) (*client, error) {
	t.Helper()
	in := &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String(session)}
	if inline != "" {
		in.Policy = aws.String(inline)
	}
	for _, a := range arns {
		in.PolicyArns = append(in.PolicyArns, ststypes.PolicyDescriptorType{Arn: aws.String(a)})
	}
	out, err := c.sts.AssumeRole(context.Background(), in)
	if err != nil {
		return nil, err
	}
	cr := out.Credentials
	return newClient(t, c.sb, c.sb.URL, aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken)), nil
}

// TestAttackManagedSessionPolicies (class 4): managed session policies
// (PolicyArns, alone or with an inline Policy) narrow a role session to
// what they and the role both allow, along role chains too.
func TestAttackManagedSessionPolicies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	prod := orgAdmin(t, prodID)
	bucket := uniq(t, "sessionpol")
	must(prod.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}))(t)
	must(prod.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("a.txt"), Body: strings.NewReader("a")}))(t)
	objects := "arn:aws:s3:::" + bucket + "/*"
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + prodID + `:root"},"Action":"sts:AssumeRole"}]}`
	role, next := uniq(t, "narrowed"), uniq(t, "chained")
	roleARN, nextARN := "arn:aws:iam::"+prodID+":role/"+role, "arn:aws:iam::"+prodID+":role/"+next
	for _, r := range []string{role, next} {
		must(prod.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(r), AssumeRolePolicyDocument: aws.String(trust)}))(t)
		must(prod.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(r), PolicyName: aws.String("objects"), PolicyDocument: aws.String(
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"` + objects + `"},` +
				`{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"` + nextARN + `"}]}`)}))(t)
	}
	readOnly := aws.ToString(must(prod.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(uniq(t, "read-objects")), PolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"` + objects + `"}]}`)}))(t).Policy.Arn)
	assumeOnly := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`

	read := func(c *client) error {
		out, err := c.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("a.txt")})
		if err == nil {
			_, _ = io.Copy(io.Discard, out.Body)
			out.Body.Close()
		}
		return err
	}
	write := func(c *client, key string) error {
		_, err := c.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader("x")})
		return err
	}
	absent := func(t *testing.T, key string) {
		t.Helper()
		_, err := prod.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err == nil {
			t.Fatalf("%s was written", key)
		}
	}

	cases := []struct {
		name           string
		inline         string
		arns           []string
		canRead, canWr bool
	}{
		{"inline alone", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`, nil, true, false},
		{"customer managed read-only", "", []string{readOnly}, true, false},
		{"AWS managed ReadOnlyAccess", "", []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}, true, false},
		{"two managed, one allows writing", "", []string{readOnly, "arn:aws:iam::aws:policy/AmazonS3FullAccess"}, true, true},
		{"inline and managed allow together", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"*"}]}`, []string{readOnly}, true, true},
		{"an inline Deny holds over a managed Allow", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"s3:GetObject","Resource":"*"}]}`,
			[]string{"arn:aws:iam::aws:policy/AdministratorAccess"}, false, true},
		{"managed AdministratorAccess grants no more than the role", "", []string{"arn:aws:iam::aws:policy/AdministratorAccess"}, true, true},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := must(assumeWith(t, prod, roleARN, "narrow", tc.inline, tc.arns...))(t)
			if err := read(s); tc.canRead != (err == nil) {
				t.Errorf("GetObject: %v, want allowed %v", err, tc.canRead)
			} else if err != nil {
				wantCode(t, err, "AccessDenied")
			}
			key := "w" + string(rune('0'+i)) + ".txt"
			err := write(s, key)
			if tc.canWr != (err == nil) {
				t.Errorf("PutObject: %v, want allowed %v", err, tc.canWr)
			}
			if err != nil {
				wantCode(t, err, "AccessDenied")
				absent(t, key)
			}
			// What the role itself lacks stays refused.
			_, err = s.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("a.txt")})
			wantCode(t, err, "AccessDenied")
		})
	}

	t.Run("unknown policy ARN", func(t *testing.T) {
		_, err := assumeWith(t, prod, roleARN, "narrow", "", "arn:aws:iam::"+prodID+":policy/does-not-exist")
		wantCode(t, err, "InvalidParameterValue")
		_, err = assumeWith(t, prod, roleARN, "narrow", "", "arn:aws:iam::aws:policy/NoSuchAWSPolicy")
		wantCode(t, err, "InvalidParameterValue")
	})
	t.Run("a policy of another account", func(t *testing.T) {
		_, err := assumeWith(t, prod, roleARN, "narrow", "", strings.Replace(readOnly, prodID, repID, 1))
		wantCode(t, err, "InvalidParameterValue")
	})
	t.Run("not an ARN", func(t *testing.T) {
		_, err := assumeWith(t, prod, roleARN, "narrow", "", "arn:aws:s3:::"+bucket)
		wantCode(t, err, "ValidationError")
	})

	t.Run("role chain", func(t *testing.T) {
		first := must(assumeWith(t, prod, roleARN, "first", assumeOnly, readOnly))(t)
		if err := write(first, "chain-first.txt"); err == nil {
			t.Fatal("the narrowed session wrote")
		}
		absent(t, "chain-first.txt")
		// The next session is narrowed by what it is given, not by the
		// first one's session policies: given nothing, it has its role's.
		full := must(assumeWith(t, first, nextARN, "second", ""))(t)
		must(0, write(full, "chain-full.txt"))(t)
		narrowed := must(assumeWith(t, first, nextARN, "second", "", readOnly))(t)
		must(0, read(narrowed))(t)
		err := write(narrowed, "chain-narrowed.txt")
		wantCode(t, err, "AccessDenied")
		absent(t, "chain-narrowed.txt")
		// A session whose policies do not allow sts:AssumeRole cannot chain.
		readOnlySession := must(assumeWith(t, prod, roleARN, "first", "", readOnly))(t)
		_, err = assumeWith(t, readOnlySession, nextARN, "second", "")
		wantCode(t, err, "AccessDenied")
	})
}
