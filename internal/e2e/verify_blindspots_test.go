package e2e

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/xacct/xacct/internal/cli"
)

// TestVerifyFindsPlantedBlindSpots: issue 20's blind spots, planted on a
// deployed stack: a delegation to a whole account (by a role's trust, a
// bucket policy, the processor's function policy), a stored policy
// version someone may make the default, and Block Public Access turned
// off on the Production bucket (alone, then with a public policy). Each
// makes verify exit 3 naming the statement and the account (or the user,
// or the bucket and setting); once undone, verify exits 0.
func TestVerifyFindsPlantedBlindSpots(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnvOn(t, ownSandbox(t), "")
	e.mustRun("apply", "--auto-approve")
	prod, rep := e.orgAdmin(prodID), e.orgAdmin(repID)
	bucket := e.stack + "-prod"
	objects := "arn:aws:s3:::" + bucket + "/*"
	writer := e.stack + "-metadata-writer"
	later := func(account string) string { return "a principal created later in account " + account }

	var writerTrust, bucketPolicy string
	processor := e.stack + "-metadata-processor"
	lc := lambda.NewFromConfig(prod.cfg)
	allOn := &s3types.PublicAccessBlockConfiguration{BlockPublicAcls: aws.Bool(true), IgnorePublicAcls: aws.Bool(true), BlockPublicPolicy: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true)}
	putBPA := func(c *s3types.PublicAccessBlockConfiguration) {
		must(prod.s3.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: aws.String(bucket), PublicAccessBlockConfiguration: c}))(t)
	}
	policyARN := "arn:aws:iam::" + prodID + ":policy/" + e.stack + "-versioned"
	versioned := e.stack + "-versioned-user"
	plants := []struct {
		name        string
		plant, undo func()
		want        []string
		// bpa: the wants are Block Public Access's findings, else the
		// reach's (before the administrators).
		bpa bool
	}{
		{
			name: "delegation by trust: the writer role also trusts the Production account",
			want: []string{later(prodID), "trust policy of " + writer + " statement AlsoProduction", "-[sts:AssumeRole]-> role " + writer + " (reporting)", "s3:PutObject (Write)"},
			plant: func() {
				r := must(rep.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(writer)}))(t)
				writerTrust = decodeDoc(t, aws.ToString(r.Role.AssumeRolePolicyDocument))
				doc := strings.Replace(writerTrust, `"Statement":[`, `"Statement":[{"Sid":"AlsoProduction","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+prodID+`:root"},"Action":"sts:AssumeRole"},`, 1)
				if doc == writerTrust {
					t.Fatalf("no statement list in %s", doc)
				}
				must(rep.iam.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(writer), PolicyDocument: aws.String(doc)}))(t)
			},
			undo: func() {
				must(rep.iam.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(writer), PolicyDocument: aws.String(writerTrust)}))(t)
			},
		},
		{
			name: "delegation by bucket policy: any principal of the Development account may read",
			want: []string{later(devID), "bucket policy of " + bucket + " statement DevAccountReads", "s3:GetObject (Read)"},
			plant: func() {
				pol := must(prod.s3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)}))(t)
				bucketPolicy = aws.ToString(pol.Policy)
				grant := `{"Sid":"DevAccountReads","Effect":"Allow","Principal":{"AWS":"` + devID + `"},"Action":"s3:GetObject","Resource":"` + objects + `"}`
				doc := strings.Replace(bucketPolicy, `"Statement":[`, `"Statement":[`+grant+`,`, 1)
				if doc == bucketPolicy {
					t.Fatalf("no statement list in %s", doc)
				}
				must(prod.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(doc)}))(t)
			},
			undo: func() {
				must(prod.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(bucketPolicy)}))(t)
			},
		},
		{
			name: "delegation by function policy: the Development account may update the processor's code",
			want: []string{later(devID), "policy of function " + processor + " statement DevUpdatesCode", "-[lambda:UpdateFunctionCode]->", "s3:GetObject (Read)"},
			plant: func() {
				must(lc.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String(processor), StatementId: aws.String("DevUpdatesCode"),
					Action: aws.String("lambda:UpdateFunctionCode"), Principal: aws.String(devID)}))(t)
			},
			undo: func() {
				must(lc.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String(processor), StatementId: aws.String("DevUpdatesCode")}))(t)
			},
		},
		{
			name: "Block Public Access: BlockPublicPolicy turned off on the Production bucket",
			bpa:  true,
			want: []string{"bucket " + bucket + ": Block Public Access is off (BlockPublicPolicy false at bucket level"},
			plant: func() {
				putBPA(&s3types.PublicAccessBlockConfiguration{BlockPublicAcls: aws.Bool(true), IgnorePublicAcls: aws.Bool(true), BlockPublicPolicy: aws.Bool(false), RestrictPublicBuckets: aws.Bool(true)})
			},
			undo: func() { putBPA(allOn) },
		},
		{
			name: "Block Public Access off and a public policy: anyone reads the Production bucket",
			bpa:  true,
			want: []string{"bucket " + bucket + ": Block Public Access is off (", "bucket " + bucket + ": policy statement AnyoneReads grants s3:GetObject to anyone (public access): not blocked"},
			plant: func() {
				pol := must(prod.s3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)}))(t)
				bucketPolicy = aws.ToString(pol.Policy)
				putBPA(&s3types.PublicAccessBlockConfiguration{BlockPublicAcls: aws.Bool(false), IgnorePublicAcls: aws.Bool(false), BlockPublicPolicy: aws.Bool(false), RestrictPublicBuckets: aws.Bool(false)})
				grant := `{"Sid":"AnyoneReads","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"` + objects + `"}`
				must(prod.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(strings.Replace(bucketPolicy, `"Statement":[`, `"Statement":[`+grant+`,`, 1))}))(t)
			},
			undo: func() {
				must(prod.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(bucketPolicy)}))(t)
				putBPA(allOn)
			},
		},
		{
			name: "a stored version: a user may set v2 of its policy as the default",
			want: []string{"user " + versioned + " (production)", "-[iam:SetDefaultPolicyVersion]->", "with v2 of " + policyARN + " as default", "s3:GetObject (Read)"},
			plant: func() {
				v1 := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:SetDefaultPolicyVersion","Resource":"` + policyARN + `"}]}`
				v2 := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"` + objects + `"}]}`
				must(prod.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(e.stack + "-versioned"), PolicyDocument: aws.String(v1)}))(t)
				must(prod.iam.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(policyARN), PolicyDocument: aws.String(v2), SetAsDefault: false}))(t)
				must(prod.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(versioned)}))(t)
				must(prod.iam.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(versioned), PolicyArn: aws.String(policyARN)}))(t)
			},
			undo: func() {
				must(prod.iam.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String(versioned), PolicyArn: aws.String(policyARN)}))(t)
				must(prod.iam.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(versioned)}))(t)
				must(prod.iam.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(policyARN), VersionId: aws.String("v2")}))(t)
				must(prod.iam.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(policyARN)}))(t)
			},
		},
	}
	if code, out, _ := e.run("verify"); code != cli.ExitOK {
		t.Fatalf("verify before any plant: exit %d\n%s", code, out)
	}
	for _, p := range plants {
		t.Run(p.name, func(t *testing.T) {
			p.plant()
			code, out, _ := e.run("verify")
			if code != cli.ExitMismatch {
				t.Errorf("verify after the plant: exit %d, want %d\n%s", code, cli.ExitMismatch, out)
			}
			findings, _, _ := strings.Cut(out, "\nAdministrators (")
			if p.bpa {
				_, findings, _ = strings.Cut(out, "\nBlock Public Access:\n")
			}
			for _, want := range p.want {
				if !strings.Contains(findings, want) {
					t.Errorf("verify's findings lack %q:\n%s", want, out)
				}
			}
			p.undo()
			if code, out, _ := e.run("verify"); code != cli.ExitOK {
				t.Errorf("verify after undoing it: exit %d\n%s", code, out)
			}
		})
	}
}

// TestMembersListedAreExclusive: with members listed in the config, a
// user added to the group by hand is a finding of verify (exit 3 naming
// the user) and drift in plan, whose access delta names the user losing
// access; apply removes the membership and keeps the user; verify then
// exits 0.
func TestMembersListedAreExclusive(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnvOn(t, ownSandbox(t), "")
	group, listed, hand := e.stack+"-Developers", e.stack+"-alice", e.stack+"-mallory"
	cfg := string(must(os.ReadFile(e.cfg))(t))
	withMembers := strings.Replace(cfg, "group_name: "+group+" }", "group_name: "+group+", members: ["+listed+"] }", 1)
	if withMembers == cfg {
		t.Fatalf("no developers group in\n%s", cfg)
	}
	e.write(withMembers)
	dev := e.orgAdmin(devID)
	must(dev.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(listed)}))(t)
	e.mustRun("apply", "--auto-approve")
	if code, out, _ := e.run("verify"); code != cli.ExitOK {
		t.Fatalf("verify with the listed member only: exit %d\n%s", code, out)
	}

	must(dev.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(hand)}))(t)
	must(dev.iam.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String(group), UserName: aws.String(hand)}))(t)
	code, out, _ := e.run("verify")
	findings, _, _ := strings.Cut(out, "\nAdministrators (")
	if code != cli.ExitMismatch || !strings.Contains(findings, "user "+hand+" (development)") || strings.Contains(findings, "user "+listed+" (development)") {
		t.Errorf("verify with a member added by hand: exit %d, want %d naming %s only\n%s", code, cli.ExitMismatch, hand, out)
	}
	code, out, _ = e.run("plan", "--detailed-exitcode")
	for _, want := range []string{group + "/" + hand, "a member added outside xacct: the user is kept", "removes access: user " + hand + " (development) via role " + e.stack + "-developers (production)"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q (exit %d):\n%s", want, code, out)
		}
	}
	if code != cli.ExitChanges {
		t.Errorf("plan --detailed-exitcode: exit %d, want %d", code, cli.ExitChanges)
	}
	e.mustRun("apply", "--auto-approve")
	must(dev.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(hand)}))(t)
	groups := must(dev.iam.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String(hand)}))(t)
	if len(groups.Groups) != 0 {
		t.Errorf("%s is still in %d groups after apply", hand, len(groups.Groups))
	}
	if code, out, _ := e.run("verify"); code != cli.ExitOK {
		t.Errorf("verify after apply: exit %d\n%s", code, out)
	}
}

// decodeDoc is a policy document as IAM returns it, URL-decoded.
func decodeDoc(t *testing.T, doc string) string {
	t.Helper()
	d, err := url.QueryUnescape(doc)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
