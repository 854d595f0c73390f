package e2e

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/xacct/xacct/internal/sandbox"
)

// createUsers makes n users under path, in parallel, and returns their names.
func createUsers(t *testing.T, c *client, path string, n int) []string {
	t.Helper()
	names := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		names[i] = fmt.Sprintf("pg-%02d-%s", n-i, strings.Trim(path, "/"))
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.iam.CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String(names[i]), Path: aws.String(path)})
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	slices.Sort(names)
	return names
}

func TestIAMListUsersPagesEveryUserOnceInOrder(t *testing.T) {
	ctx := context.Background()
	dev := orgAdmin(t, devID)
	path := "/" + uniq(t, "paging") + "/"
	want := createUsers(t, dev, path, 26)

	first := must(dev.iam.ListUsers(ctx, &iam.ListUsersInput{PathPrefix: aws.String(path), MaxItems: aws.Int32(10)}))(t)
	if !first.IsTruncated || aws.ToString(first.Marker) == "" || len(first.Users) != 10 {
		t.Fatalf("first page: %d users, IsTruncated %v, Marker %q; want 10, true and a marker", len(first.Users), first.IsTruncated, aws.ToString(first.Marker))
	}
	for round := range 2 { // the same order every time
		var got []string
		p := iam.NewListUsersPaginator(dev.iam, &iam.ListUsersInput{PathPrefix: aws.String(path), MaxItems: aws.Int32(7)})
		pages := 0
		for p.HasMorePages() {
			page := must(p.NextPage(ctx))(t)
			pages++
			for _, u := range page.Users {
				got = append(got, aws.ToString(u.UserName))
			}
		}
		if !slices.Equal(got, want) || pages != 4 {
			t.Fatalf("round %d: %d pages gave %v, want 4 pages of %v", round, pages, got, want)
		}
	}
	last := must(dev.iam.ListUsers(ctx, &iam.ListUsersInput{PathPrefix: aws.String(path)}))(t)
	if last.IsTruncated || last.Marker != nil || len(last.Users) != 26 {
		t.Errorf("unpaged list: %d users, IsTruncated %v, Marker %v", len(last.Users), last.IsTruncated, last.Marker)
	}
	_, err := dev.iam.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(0)})
	wantCode(t, err, "ValidationError")
}

func TestIAMListRolesAndGroupsPage(t *testing.T) {
	ctx := context.Background()
	dev := orgAdmin(t, devID)
	path := "/" + uniq(t, "rolepaging") + "/"
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	var roles, groups []string
	for i := range 5 {
		roles = append(roles, fmt.Sprintf("r%d-%s", i, strings.Trim(path, "/")))
		groups = append(groups, fmt.Sprintf("G%d-%s", i, strings.Trim(path, "/")))
		must(dev.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(roles[i]), Path: aws.String(path), AssumeRolePolicyDocument: aws.String(trust)}))(t)
		must(dev.iam.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(groups[i]), Path: aws.String(path)}))(t)
	}
	var gotRoles []string
	rp := iam.NewListRolesPaginator(dev.iam, &iam.ListRolesInput{PathPrefix: aws.String(path), MaxItems: aws.Int32(2)})
	for rp.HasMorePages() {
		for _, r := range must(rp.NextPage(ctx))(t).Roles {
			gotRoles = append(gotRoles, aws.ToString(r.RoleName))
			if !regexp.MustCompile(`^AROA[A-Z0-9]{17}$`).MatchString(aws.ToString(r.RoleId)) {
				t.Errorf("role ID %q is not AWS-shaped", aws.ToString(r.RoleId))
			}
		}
	}
	if !slices.Equal(gotRoles, roles) {
		t.Errorf("roles %v, want %v", gotRoles, roles)
	}
	one := must(dev.iam.ListGroups(ctx, &iam.ListGroupsInput{PathPrefix: aws.String(path), MaxItems: aws.Int32(3)}))(t)
	if len(one.Groups) != 3 || !one.IsTruncated {
		t.Fatalf("ListGroups MaxItems 3: %d groups, IsTruncated %v", len(one.Groups), one.IsTruncated)
	}
	var gotGroups []string
	gp := iam.NewListGroupsPaginator(dev.iam, &iam.ListGroupsInput{PathPrefix: aws.String(path), MaxItems: aws.Int32(3)})
	for gp.HasMorePages() {
		for _, g := range must(gp.NextPage(ctx))(t).Groups {
			gotGroups = append(gotGroups, aws.ToString(g.GroupName))
		}
	}
	if !slices.Equal(gotGroups, groups) {
		t.Errorf("groups %v, want %v", gotGroups, groups)
	}
	// GetGroup pages its members the same way.
	users := createUsers(t, dev, path, 3)
	for _, u := range users {
		must(dev.iam.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String(groups[0]), UserName: aws.String(u)}))(t)
	}
	var members []string
	mp := iam.NewGetGroupPaginator(dev.iam, &iam.GetGroupInput{GroupName: aws.String(groups[0]), MaxItems: aws.Int32(2)})
	for mp.HasMorePages() {
		for _, u := range must(mp.NextPage(ctx))(t).Users {
			members = append(members, aws.ToString(u.UserName))
		}
	}
	if !slices.Equal(members, users) {
		t.Errorf("GetGroup members %v, want %v", members, users)
	}
}

func TestIAMDeleteConflicts(t *testing.T) {
	ctx := context.Background()
	dev := orgAdmin(t, devID)
	role := uniq(t, "conflicted")
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	must(dev.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(trust)}))(t)
	must(dev.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String("inline"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)}))(t)
	must(dev.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String("another"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)}))(t)
	first := must(dev.iam.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String(role), MaxItems: aws.Int32(1)}))(t)
	if !first.IsTruncated || !slices.Equal(first.PolicyNames, []string{"another"}) {
		t.Errorf("ListRolePolicies MaxItems 1 = %v, IsTruncated %v", first.PolicyNames, first.IsTruncated)
	}
	_, err := dev.iam.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(role)})
	wantCode(t, err, "DeleteConflict")
	must(dev.iam.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String("inline")}))(t)
	must(dev.iam.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String("another")}))(t)
	basic := "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
	must(dev.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(role), PolicyArn: aws.String(basic)}))(t)
	_, err = dev.iam.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(role)})
	wantCode(t, err, "DeleteConflict")
	must(dev.iam.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(role), PolicyArn: aws.String(basic)}))(t)
	must(dev.iam.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(role)}))(t)

	user := uniq(t, "keyholder")
	must(dev.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user)}))(t)
	userKey(t, dev, user)
	_, err = dev.iam.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(user)})
	wantCode(t, err, "DeleteConflict")
}

func TestIAMNamesAreValidated(t *testing.T) {
	ctx := context.Background()
	dev := orgAdmin(t, devID)
	trust := aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	for name, call := range map[string]func() error{
		"user with a slash": func() error {
			_, err := dev.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("a/b")})
			return err
		},
		"user of 65": func() error {
			_, err := dev.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(strings.Repeat("u", 65))})
			return err
		},
		"role of 65": func() error {
			_, err := dev.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(strings.Repeat("r", 65)), AssumeRolePolicyDocument: trust})
			return err
		},
		"role path without slash": func() error {
			_, err := dev.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), Path: aws.String("x"), AssumeRolePolicyDocument: trust})
			return err
		},
		"group of 129": func() error {
			_, err := dev.iam.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(strings.Repeat("g", 129))})
			return err
		},
		"policy with a space": func() error {
			_, err := dev.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("a b"),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)})
			return err
		},
	} {
		t.Run(name, func(t *testing.T) { wantCode(t, call(), "ValidationError") })
	}
	must(dev.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(strings.Repeat("u", 50) + "+=,.@-_9")}))(t)
}

func TestAWSManagedPolicies(t *testing.T) {
	ctx := context.Background()
	prod := orgAdmin(t, prodID)
	admin := "arn:aws:iam::aws:policy/AdministratorAccess"
	att := must(prod.iam.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(sandbox.DefaultAdminRoleName)}))(t)
	if len(att.AttachedPolicies) != 1 || aws.ToString(att.AttachedPolicies[0].PolicyArn) != admin {
		t.Errorf("OrganizationAccountAccessRole has %+v attached, want AdministratorAccess", att.AttachedPolicies)
	}
	inline := must(prod.iam.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String(sandbox.DefaultAdminRoleName)}))(t)
	if len(inline.PolicyNames) != 0 {
		t.Errorf("OrganizationAccountAccessRole has inline policies %v", inline.PolicyNames)
	}
	pol := must(prod.iam.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")}))(t)
	ver := must(prod.iam.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: pol.Policy.Arn, VersionId: pol.Policy.DefaultVersionId}))(t)
	doc, _ := url.QueryUnescape(aws.ToString(ver.PolicyVersion.Document))
	if !strings.Contains(doc, `"s3:Get*"`) || !ver.PolicyVersion.IsDefaultVersion {
		t.Errorf("AmazonS3ReadOnlyAccess %s: %s", aws.ToString(ver.PolicyVersion.VersionId), doc)
	}
	_, err := prod.iam.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/NoSuchPolicyHere")})
	wantCode(t, err, "NoSuchEntity")
	listed := map[string]bool{}
	lp := iam.NewListPoliciesPaginator(prod.iam, &iam.ListPoliciesInput{Scope: "AWS", MaxItems: aws.Int32(4)})
	for lp.HasMorePages() {
		for _, p := range must(lp.NextPage(ctx))(t).Policies {
			listed[aws.ToString(p.PolicyName)] = true
		}
	}
	for _, n := range []string{"AdministratorAccess", "PowerUserAccess", "ReadOnlyAccess", "IAMFullAccess", "IAMReadOnlyAccess", "AmazonS3FullAccess",
		"AmazonS3ReadOnlyAccess", "AWSLambdaBasicExecutionRole", "AWSLambda_FullAccess", "CloudWatchLogsFullAccess"} {
		if !listed[n] {
			t.Errorf("ListPolicies Scope=AWS lacks %s", n)
		}
	}

	// Attached to a role, an AWS-managed policy is enforced.
	bucket := uniq(t, "managed")
	must(prod.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}))(t)
	must(prod.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: strings.NewReader("1")}))(t)
	role := uniq(t, "reader")
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + shared.ManagementAccount + `:root"},"Action":"sts:AssumeRole"}]}`
	must(prod.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(trust)}))(t)
	must(prod.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(role), PolicyArn: pol.Policy.Arn}))(t)
	sess := adminOf(t, shared).assume(t, "arn:aws:iam::"+prodID+":role/"+role, "reader")
	obj := must(sess.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")}))(t)
	obj.Body.Close()
	_, err = sess.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k2"), Body: strings.NewReader("2")})
	wantCode(t, err, "AccessDenied")
	got := must(prod.iam.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: pol.Policy.Arn}))(t)
	if aws.ToInt32(got.Policy.AttachmentCount) < 1 {
		t.Errorf("AttachmentCount %d after attaching", aws.ToInt32(got.Policy.AttachmentCount))
	}

	// And to a user: IAMReadOnlyAccess reads IAM and writes nothing.
	dev := orgAdmin(t, devID)
	name := uniq(t, "auditor")
	user := devUser(t, dev, name, "")
	must(dev.iam.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(name), PolicyArn: aws.String("arn:aws:iam::aws:policy/IAMReadOnlyAccess")}))(t)
	must(user.iam.ListRoles(ctx, &iam.ListRolesInput{}))(t)
	_, err = user.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(uniq(t, "nope"))})
	wantCode(t, err, "AccessDenied")
}

func TestIDsAreAWSShaped(t *testing.T) {
	ctx := context.Background()
	dev := orgAdmin(t, devID)
	name := uniq(t, "shaped")
	u := must(dev.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}))(t)
	if id := aws.ToString(u.User.UserId); !regexp.MustCompile(`^AIDA[A-Z0-9]{17}$`).MatchString(id) {
		t.Errorf("user ID %q", id)
	}
	got := must(dev.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(name)}))(t)
	if aws.ToString(got.User.UserId) != aws.ToString(u.User.UserId) {
		t.Errorf("GetUser ID %q, CreateUser said %q", aws.ToString(got.User.UserId), aws.ToString(u.User.UserId))
	}
	key := must(dev.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)}))(t)
	if id := aws.ToString(key.AccessKey.AccessKeyId); !regexp.MustCompile(`^AKIA[A-Z0-9]{16}$`).MatchString(id) {
		t.Errorf("access key ID %q", id)
	}
	user := newClient(t, shared, shared.URL, aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), "")
	who := must(user.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))(t)
	if aws.ToString(who.UserId) != aws.ToString(u.User.UserId) {
		t.Errorf("GetCallerIdentity UserId %q, want %q", aws.ToString(who.UserId), aws.ToString(u.User.UserId))
	}
	out := must(admin(t).sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + devID + ":role/" + sandbox.DefaultAdminRoleName), RoleSessionName: aws.String("shape")}))(t)
	if id := aws.ToString(out.Credentials.AccessKeyId); !regexp.MustCompile(`^ASIA[A-Z0-9]{16}$`).MatchString(id) {
		t.Errorf("session key ID %q", id)
	}
	if id := aws.ToString(out.AssumedRoleUser.AssumedRoleId); !regexp.MustCompile(`^AROA[A-Z0-9]{17}:shape$`).MatchString(id) {
		t.Errorf("assumed role ID %q", id)
	}
}

func TestIAMNamesIgnoreCase(t *testing.T) {
	ctx := context.Background()
	dev := orgAdmin(t, devID)
	name := uniq(t, "Casey")
	must(dev.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}))(t)
	_, err := dev.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(strings.ToLower(name))})
	wantCode(t, err, "EntityAlreadyExists")
	group := uniq(t, "Crew")
	must(dev.iam.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(group)}))(t)
	_, err = dev.iam.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(strings.ToUpper(group))})
	wantCode(t, err, "EntityAlreadyExists")
}

func TestAttachIsLimitedByPolicyARNCondition(t *testing.T) {
	ctx := context.Background()
	dev := orgAdmin(t, devID)
	name := uniq(t, "delegate")
	must(dev.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}))(t)
	must(dev.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("attach-read-only"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:AttachUserPolicy","iam:ListAttachedUserPolicies"],"Resource":"*",` +
			`"Condition":{"ArnEqualsIfExists":{"iam:PolicyARN":"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}}}]}`)}))(t)
	user := userKey(t, dev, name)
	_, err := user.iam.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(name), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})
	wantCode(t, err, "AccessDenied")
	for _, p := range []string{"AmazonS3ReadOnlyAccess"} {
		must(user.iam.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(name), PolicyArn: aws.String("arn:aws:iam::aws:policy/" + p)}))(t)
	}
	must(dev.iam.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(name), PolicyArn: aws.String("arn:aws:iam::aws:policy/IAMReadOnlyAccess")}))(t)
	page := must(user.iam.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String(name), MaxItems: aws.Int32(1)}))(t)
	if len(page.AttachedPolicies) != 1 || !page.IsTruncated || aws.ToString(page.AttachedPolicies[0].PolicyName) != "AmazonS3ReadOnlyAccess" {
		t.Fatalf("first page %+v, IsTruncated %v", page.AttachedPolicies, page.IsTruncated)
	}
	next := must(user.iam.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String(name), MaxItems: aws.Int32(1), Marker: page.Marker}))(t)
	if len(next.AttachedPolicies) != 1 || next.IsTruncated || aws.ToString(next.AttachedPolicies[0].PolicyName) != "IAMReadOnlyAccess" {
		t.Fatalf("second page %+v, IsTruncated %v", next.AttachedPolicies, next.IsTruncated)
	}
}

func TestIAMAndSTSLimits(t *testing.T) {
	ctx := context.Background()
	dev := orgAdmin(t, devID)
	name := uniq(t, "twokeys")
	must(dev.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}))(t)
	for range 2 {
		must(dev.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)}))(t)
	}
	_, err := dev.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	wantCode(t, err, "LimitExceeded")
	var keys []string
	kp := iam.NewListAccessKeysPaginator(dev.iam, &iam.ListAccessKeysInput{UserName: aws.String(name), MaxItems: aws.Int32(1)})
	for kp.HasMorePages() {
		page := must(kp.NextPage(ctx))(t)
		for _, k := range page.AccessKeyMetadata {
			keys = append(keys, aws.ToString(k.AccessKeyId))
			if k.Status != "Active" {
				t.Errorf("key %s is %q", aws.ToString(k.AccessKeyId), k.Status)
			}
		}
	}
	if len(keys) != 2 || keys[0] == keys[1] {
		t.Errorf("ListAccessKeys pages gave %v, want the two keys", keys)
	}

	// A session is not a user: IAM wants the user's name.
	_, err = dev.iam.GetUser(ctx, &iam.GetUserInput{})
	wantCode(t, err, "ValidationError")

	role := "arn:aws:iam::" + prodID + ":role/" + sandbox.DefaultAdminRoleName
	_, err = admin(t).sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("long"), DurationSeconds: aws.Int32(7200)})
	wantCode(t, err, "ValidationError") // the role's MaxSessionDuration is an hour
	must(admin(t).sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("hour"), DurationSeconds: aws.Int32(3600)}))(t)
}

func TestDenyOnARolePathHolds(t *testing.T) {
	ctx := context.Background()
	dev := orgAdmin(t, devID)
	path := "/" + uniq(t, "guarded") + "/"
	role := uniq(t, "guarded")
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	must(dev.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), Path: aws.String(path), AssumeRolePolicyDocument: aws.String(trust)}))(t)
	name := uniq(t, "iamadmin")
	must(dev.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}))(t)
	must(dev.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("all-but-guarded"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"},` +
			`{"Effect":"Deny","Action":"iam:*","Resource":"arn:aws:iam::` + devID + `:role` + path + `*"}]}`)}))(t)
	user := userKey(t, dev, name)
	_, err := user.iam.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(role), PolicyDocument: aws.String(trust)})
	wantCode(t, err, "AccessDenied")
	_, err = user.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(role), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})
	wantCode(t, err, "AccessDenied")
	must(user.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(name)}))(t)
}

func TestManagedPolicyVersions(t *testing.T) {
	ctx := context.Background()
	prod := orgAdmin(t, prodID)
	bucket := uniq(t, "versioned-policy")
	must(prod.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}))(t)
	doc := func(actions string) *string {
		return aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[` + actions + `],"Resource":"arn:aws:s3:::` + bucket + `/*"}]}`)
	}
	pol := must(prod.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(uniq(t, "objects")), PolicyDocument: doc(`"s3:GetObject"`)}))(t)
	arn := pol.Policy.Arn
	role := uniq(t, "versioned")
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + shared.ManagementAccount + `:root"},"Action":"sts:AssumeRole"}]}`
	must(prod.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(trust)}))(t)
	must(prod.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(role), PolicyArn: arn}))(t)
	sess := admin(t).assume(t, "arn:aws:iam::"+prodID+":role/"+role, "versions")
	put := func() error {
		_, err := sess.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: strings.NewReader("1")})
		return err
	}
	wantCode(t, put(), "AccessDenied")

	v2 := must(prod.iam.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: doc(`"s3:GetObject","s3:PutObject"`), SetAsDefault: true}))(t)
	if aws.ToString(v2.PolicyVersion.VersionId) != "v2" || !v2.PolicyVersion.IsDefaultVersion {
		t.Fatalf("CreatePolicyVersion = %+v", v2.PolicyVersion)
	}
	must(put(), nil)(t)
	got := must(prod.iam.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: arn}))(t)
	if aws.ToString(got.Policy.DefaultVersionId) != "v2" || aws.ToInt32(got.Policy.AttachmentCount) != 1 {
		t.Errorf("GetPolicy: DefaultVersionId %s, AttachmentCount %d; want v2, 1", aws.ToString(got.Policy.DefaultVersionId), aws.ToInt32(got.Policy.AttachmentCount))
	}
	list := must(prod.iam.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: arn}))(t)
	if len(list.Versions) != 2 || aws.ToString(list.Versions[0].VersionId) != "v2" || !list.Versions[0].IsDefaultVersion || list.Versions[1].IsDefaultVersion {
		t.Errorf("ListPolicyVersions = %+v", list.Versions)
	}
	_, err := prod.iam.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v2")})
	wantCode(t, err, "DeleteConflict")
	must(prod.iam.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v1")}))(t)
	wantCode(t, put(), "AccessDenied")
	v1 := must(prod.iam.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v1")}))(t)
	if d, _ := url.QueryUnescape(aws.ToString(v1.PolicyVersion.Document)); strings.Contains(d, "PutObject") || !v1.PolicyVersion.IsDefaultVersion {
		t.Errorf("v1 = %s (default %v)", d, v1.PolicyVersion.IsDefaultVersion)
	}
	for range 3 {
		must(prod.iam.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: doc(`"s3:GetObject"`)}))(t)
	}
	_, err = prod.iam.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: doc(`"s3:GetObject"`)})
	wantCode(t, err, "LimitExceeded")
	_, err = prod.iam.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess"), PolicyDocument: doc(`"s3:*"`)})
	wantCode(t, err, "AccessDenied")

	must(prod.iam.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(role), PolicyArn: arn}))(t)
	_, err = prod.iam.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: arn})
	wantCode(t, err, "DeleteConflict") // versions other than the default remain
	for _, v := range []string{"v2", "v3", "v4", "v5"} {
		must(prod.iam.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: arn, VersionId: aws.String(v)}))(t)
	}
	must(prod.iam.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: arn}))(t)
}

func TestListEntitiesForPolicyAndBoundaries(t *testing.T) {
	ctx := context.Background()
	dev := orgAdmin(t, devID)
	pol := must(dev.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(uniq(t, "shared")),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)}))(t)
	arn := pol.Policy.Arn
	group, user, role := uniq(t, "Holders"), uniq(t, "holder"), uniq(t, "holder-role")
	must(dev.iam.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(group)}))(t)
	must(dev.iam.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String(group), PolicyArn: arn}))(t)
	// A user created with a boundary shows it, as AWS shows it.
	u := must(dev.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user), PermissionsBoundary: arn}))(t)
	if u.User.PermissionsBoundary == nil || aws.ToString(u.User.PermissionsBoundary.PermissionsBoundaryArn) != aws.ToString(arn) {
		t.Errorf("CreateUser does not show the boundary: %+v", u.User.PermissionsBoundary)
	}
	got := must(dev.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(user)}))(t)
	if got.User.PermissionsBoundary == nil || aws.ToString(got.User.PermissionsBoundary.PermissionsBoundaryArn) != aws.ToString(arn) {
		t.Errorf("GetUser does not show the boundary: %+v", got.User.PermissionsBoundary)
	}
	must(dev.iam.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(user), PolicyArn: arn}))(t)
	trust := aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	_, err := dev.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: trust,
		PermissionsBoundary: aws.String("arn:aws:iam::" + devID + ":policy/no-such-policy")})
	wantCode(t, err, "NoSuchEntity")
	must(dev.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: trust}))(t)
	must(dev.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(role), PolicyArn: arn}))(t)
	must(dev.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(role), PolicyArn: aws.String("arn:aws:iam::aws:policy/AWSLambda_FullAccess")}))(t)

	ents := must(dev.iam.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: arn}))(t)
	if len(ents.PolicyGroups) != 1 || aws.ToString(ents.PolicyGroups[0].GroupName) != group ||
		len(ents.PolicyUsers) != 1 || aws.ToString(ents.PolicyUsers[0].UserName) != user ||
		len(ents.PolicyRoles) != 1 || aws.ToString(ents.PolicyRoles[0].RoleName) != role {
		t.Errorf("ListEntitiesForPolicy = groups %+v users %+v roles %+v", ents.PolicyGroups, ents.PolicyUsers, ents.PolicyRoles)
	}
	roles := must(dev.iam.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/AWSLambda_FullAccess"), EntityFilter: "Role"}))(t)
	if len(roles.PolicyRoles) != 1 || aws.ToString(roles.PolicyRoles[0].RoleName) != role || len(roles.PolicyUsers)+len(roles.PolicyGroups) != 0 {
		t.Errorf("ListEntitiesForPolicy of AWSLambda_FullAccess = %+v", roles)
	}
	p := must(dev.iam.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: arn}))(t)
	if aws.ToInt32(p.Policy.AttachmentCount) != 3 {
		t.Errorf("AttachmentCount %d, want 3", aws.ToInt32(p.Policy.AttachmentCount))
	}
}

func TestGetSessionTokenAndSessionTags(t *testing.T) {
	ctx := context.Background()
	dev := orgAdmin(t, devID)
	name := uniq(t, "mfa-user")
	must(dev.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}))(t)
	must(dev.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("assume-and-read"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession","iam:GetUser"],"Resource":"*"}]}`)}))(t)
	user := userKey(t, dev, name)
	// A role that wants MFA and a team tag of the caller's session.
	role := uniq(t, "mfa-only")
	trust := `{"Version":"2012-10-17","Statement":[` +
		`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + devID + `:root"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}},` +
		`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + devID + `:root"},"Action":"sts:TagSession","Condition":{"StringEquals":{"aws:RequestTag/team":"data"}}}]}`
	must(dev.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(trust)}))(t)
	roleARN := aws.String("arn:aws:iam::" + devID + ":role/" + role)

	_, err := user.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: roleARN, RoleSessionName: aws.String("nomfa")})
	wantCode(t, err, "AccessDenied")
	plain := must(user.sts.GetSessionToken(ctx, &sts.GetSessionTokenInput{}))(t).Credentials
	noMFA := newClient(t, shared, shared.URL, aws.ToString(plain.AccessKeyId), aws.ToString(plain.SecretAccessKey), aws.ToString(plain.SessionToken))
	_, err = noMFA.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(name)})
	wantCode(t, err, "InvalidClientTokenId") // IAM wants MFA with these
	_, err = noMFA.sts.GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	wantCode(t, err, "AccessDenied")
	who := must(noMFA.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))(t)
	if aws.ToString(who.Arn) != "arn:aws:iam::"+devID+":user/"+name {
		t.Errorf("GetSessionToken credentials are %s", aws.ToString(who.Arn))
	}

	// The user's virtual MFA device, and its current code.
	d := must(dev.iam.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String(name)}))(t).VirtualMFADevice
	code := func(at time.Time) *string { return aws.String(must(sandbox.TOTP(string(d.Base32StringSeed), at))(t)) }
	now := time.Now()
	must(dev.iam.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String(name), SerialNumber: d.SerialNumber,
		AuthenticationCode1: code(now.Add(-30 * time.Second)), AuthenticationCode2: code(now)}))(t)
	mfa := must(user.sts.GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: d.SerialNumber,
		TokenCode: code(time.Now()), DurationSeconds: aws.Int32(900)}))(t).Credentials
	withMFA := newClient(t, shared, shared.URL, aws.ToString(mfa.AccessKeyId), aws.ToString(mfa.SecretAccessKey), aws.ToString(mfa.SessionToken))
	must(withMFA.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(name)}))(t)
	must(withMFA.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: roleARN, RoleSessionName: aws.String("mfa")}))(t)
	// Session tags: the trust policy decides on their values.
	_, err = withMFA.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: roleARN, RoleSessionName: aws.String("tagged"),
		Tags: []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("web")}}})
	wantCode(t, err, "AccessDenied")
	must(withMFA.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: roleARN, RoleSessionName: aws.String("tagged"),
		Tags: []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("data")}}}))(t)

	// Temporary credentials are not access keys: the user may have a second.
	must(dev.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)}))(t)
}

// TestPolicyDocumentsAreRFC3986Encoded: IAM returns inline and managed
// policy documents URL-encoded with a space as %20, so a client that decodes
// a path segment (not a form) gets back the document it put, '+' included;
// and a boundary is typed PermissionsBoundaryPolicy.
func TestPolicyDocumentsAreRFC3986Encoded(t *testing.T) {
	ctx := context.Background()
	dev := orgAdmin(t, devID)
	name := uniq(t, "enc")
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*","Condition":{"StringEquals":{"aws:username":"a b+c"}}}]}`
	pol := must(dev.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(name), PolicyDocument: aws.String(doc)}))(t)
	must(dev.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name), PermissionsBoundary: pol.Policy.Arn}))(t)
	must(dev.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)}))(t)
	defer func() {
		_, _ = dev.iam.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p")})
		_, _ = dev.iam.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(name)})
		_, _ = dev.iam.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: pol.Policy.Arn})
	}()
	inline := must(dev.iam.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p")}))(t)
	version := must(dev.iam.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: pol.Policy.Arn, VersionId: aws.String("v1")}))(t)
	for what, enc := range map[string]string{"GetUserPolicy": aws.ToString(inline.PolicyDocument), "GetPolicyVersion": aws.ToString(version.PolicyVersion.Document)} {
		if got, err := url.PathUnescape(enc); err != nil || got != doc {
			t.Errorf("%s: %q decodes to %q, %v; want the document put", what, enc, got, err)
		}
	}
	u := must(dev.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(name)}))(t)
	if b := u.User.PermissionsBoundary; b == nil || b.PermissionsBoundaryType != "PermissionsBoundaryPolicy" {
		t.Errorf("GetUser boundary = %+v, want type PermissionsBoundaryPolicy", b)
	}
}
