package e2e

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// sessionWith makes a role in account with the given inline policy, trusting
// the management account, and returns a session of it.
func sessionWith(t testing.TB, account, policy string) (*client, string) {
	t.Helper()
	ctx := context.Background()
	adm := orgAdmin(t, account)
	role := uniq(t, "r")
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + shared.ManagementAccount + `:root"},"Action":"sts:AssumeRole"}]}`
	must(adm.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(trust)}))(t)
	must(adm.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String("p"), PolicyDocument: aws.String(policy)}))(t)
	arn := "arn:aws:iam::" + account + ":role/" + role
	return admin(t).assume(t, arn, "session"), arn
}

func allowS3(bucket, actions string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":` + actions + `,"Resource":["arn:aws:s3:::` + bucket + `","arn:aws:s3:::` + bucket + `/*"]}]}`
}

func TestBucketPolicyExplicitDenyBeatsIdentityAllow(t *testing.T) {
	ctx := context.Background()
	prod := orgAdmin(t, prodID)
	bucket := uniq(t, "deny")
	must(prod.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}))(t)
	sess, roleARN := sessionWith(t, prodID, allowS3(bucket, `"s3:*"`))
	must(sess.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: strings.NewReader("1")}))(t)
	must(prod.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Sid":"NoWrites","Effect":"Deny","Principal":{"AWS":"` + roleARN + `"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::` + bucket + `/*"}]}`)}))(t)
	_, err := sess.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: strings.NewReader("2")})
	wantCode(t, err, "AccessDenied")
	if !strings.Contains(err.Error(), "explicit deny in a resource-based policy") {
		t.Errorf("message does not say why: %v", err)
	}
}

func TestCrossAccountWriteNeedsBucketPolicy(t *testing.T) {
	ctx := context.Background()
	rep := orgAdmin(t, repID)
	bucket := uniq(t, "reports")
	must(rep.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}))(t)
	writer, writerARN := sessionWith(t, prodID, allowS3(bucket, `"s3:PutObject"`))
	put := func() error {
		_, err := writer.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("rec.json"), Body: strings.NewReader("{}")})
		return err
	}
	wantCode(t, put(), "AccessDenied")
	must(rep.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + writerARN + `"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::` + bucket + `/*"}]}`)}))(t)
	if err := put(); err != nil {
		t.Fatalf("write with both sides allowing: %v", err)
	}
}

func TestPlainHTTPToTLSOnlyBucketIsDenied(t *testing.T) {
	ctx := context.Background()
	prod := orgAdmin(t, prodID)
	bucket := uniq(t, "tls")
	must(prod.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}))(t)
	must(prod.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::` + bucket + `","arn:aws:s3:::` + bucket + `/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`)}))(t)
	must(prod.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: strings.NewReader("1")}))(t)

	cr := prod.cfg.Credentials
	v, err := cr.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	plain := newClient(t, shared, shared.HTTPURL, v.AccessKeyID, v.SecretAccessKey, v.SessionToken)
	_, err = plain.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
	wantCode(t, err, "AccessDenied")
}

func TestUnknownKeyAndBadSignatureAreRejected(t *testing.T) {
	ctx := context.Background()
	unknown := newClient(t, shared, shared.URL, "AKIAUNKNOWNUNKNOWN00", "secret", "")
	_, err := unknown.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantCode(t, err, "InvalidClientTokenId")
	_, err = unknown.s3.ListBuckets(ctx, &s3.ListBucketsInput{})
	wantCode(t, err, "InvalidAccessKeyId")

	forged := newClient(t, shared, shared.URL, shared.AdminKey, "not-the-secret", "")
	_, err = forged.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantCode(t, err, "SignatureDoesNotMatch")
	_, err = forged.iam.ListUsers(ctx, &iam.ListUsersInput{})
	wantCode(t, err, "SignatureDoesNotMatch")
}

func TestBucketNamesAreGlobal(t *testing.T) {
	ctx := context.Background()
	prod, rep := orgAdmin(t, prodID), orgAdmin(t, repID)
	bucket := uniq(t, "global")
	must(prod.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}))(t)
	_, err := rep.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	wantCode(t, err, "BucketAlreadyExists")
	_, err = prod.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	wantCode(t, err, "BucketAlreadyOwnedByYou")
	// The Reporting administrator has no access to Production's bucket.
	_, err = rep.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: strings.NewReader("x")})
	wantCode(t, err, "AccessDenied")
}

func TestIAMGroups(t *testing.T) {
	ctx := context.Background()
	dev := orgAdmin(t, devID)
	group := uniq(t, "G")
	must(dev.iam.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(group)}))(t)
	_, err := dev.iam.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(group)})
	wantCode(t, err, "EntityAlreadyExists")
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}`
	must(dev.iam.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String(group), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)}))(t)
	user := uniq(t, "u")
	devUser(t, dev, user, group)

	got := must(dev.iam.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String(group)}))(t)
	if len(got.Users) != 1 || aws.ToString(got.Users[0].UserName) != user || aws.ToString(got.Group.Arn) != "arn:aws:iam::"+devID+":group/"+group {
		t.Errorf("GetGroup = %+v", got)
	}
	pol := must(dev.iam.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: aws.String(group), PolicyName: aws.String("p")}))(t)
	if !strings.Contains(aws.ToString(pol.PolicyDocument), "ListAllMyBuckets") {
		t.Errorf("GetGroupPolicy document = %q", aws.ToString(pol.PolicyDocument))
	}
	names := must(dev.iam.ListGroupPolicies(ctx, &iam.ListGroupPoliciesInput{GroupName: aws.String(group)}))(t)
	if len(names.PolicyNames) != 1 {
		t.Errorf("ListGroupPolicies = %v", names.PolicyNames)
	}
	forUser := must(dev.iam.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String(user)}))(t)
	if len(forUser.Groups) != 1 {
		t.Errorf("ListGroupsForUser = %v", forUser.Groups)
	}
	_, err = dev.iam.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String(group)})
	wantCode(t, err, "DeleteConflict")
	_, err = dev.iam.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String(group), PolicyName: aws.String("bad"), PolicyDocument: aws.String(`{"Statement":{"Effect":"Allow"}}`)})
	wantCode(t, err, "MalformedPolicyDocument")
	must(dev.iam.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String(group), UserName: aws.String(user)}))(t)
	must(dev.iam.DeleteGroupPolicy(ctx, &iam.DeleteGroupPolicyInput{GroupName: aws.String(group), PolicyName: aws.String("p")}))(t)
	must(dev.iam.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String(group)}))(t)
	_, err = dev.iam.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String(group)})
	wantCode(t, err, "NoSuchEntity")
}

func TestOwnershipControls(t *testing.T) {
	ctx := context.Background()
	prod := orgAdmin(t, prodID)
	bucket := uniq(t, "own")
	must(prod.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}))(t)
	_, err := prod.s3.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: aws.String(bucket)})
	wantCode(t, err, "OwnershipControlsNotFoundError")
	must(prod.s3.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{Bucket: aws.String(bucket),
		OwnershipControls: &s3types.OwnershipControls{Rules: []s3types.OwnershipControlsRule{{ObjectOwnership: s3types.ObjectOwnershipBucketOwnerEnforced}}}}))(t)
	got := must(prod.s3.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: aws.String(bucket)}))(t)
	if got.OwnershipControls.Rules[0].ObjectOwnership != s3types.ObjectOwnershipBucketOwnerEnforced {
		t.Errorf("ownership = %v", got.OwnershipControls.Rules[0].ObjectOwnership)
	}
	_, err = prod.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: strings.NewReader("x"), ACL: s3types.ObjectCannedACLPublicRead})
	wantCode(t, err, "AccessControlListNotSupported")
}

func TestManagedPoliciesOnUsersAndGroups(t *testing.T) {
	ctx := context.Background()
	dev := orgAdmin(t, devID)
	pol := must(dev.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(uniq(t, "list")),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}`)}))(t)
	arn := aws.ToString(pol.Policy.Arn)
	if !strings.HasPrefix(arn, "arn:aws:iam::"+devID+":policy/") {
		t.Fatalf("policy ARN %s is not in the development account", arn)
	}
	group := uniq(t, "Listers")
	must(dev.iam.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(group)}))(t)
	user := devUser(t, dev, uniq(t, "carol"), group)
	_, err := user.iam.ListUsers(ctx, &iam.ListUsersInput{})
	wantCode(t, err, "AccessDenied")
	must(dev.iam.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String(group), PolicyArn: aws.String(arn)}))(t)
	must(user.iam.ListUsers(ctx, &iam.ListUsersInput{}))(t)
	att := must(dev.iam.ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String(group)}))(t)
	if len(att.AttachedPolicies) != 1 || aws.ToString(att.AttachedPolicies[0].PolicyArn) != arn {
		t.Errorf("attached = %+v", att.AttachedPolicies)
	}
	_, err = dev.iam.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String(group)})
	wantCode(t, err, "DeleteConflict")
}

func TestPermissionsBoundaryLimitsARole(t *testing.T) {
	ctx := context.Background()
	prod := orgAdmin(t, prodID)
	bucket := uniq(t, "bounded")
	must(prod.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}))(t)
	must(prod.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: strings.NewReader("1")}))(t)
	boundary := must(prod.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(uniq(t, "read-only")),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)}))(t)
	role := uniq(t, "bounded")
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + shared.ManagementAccount + `:root"},"Action":"sts:AssumeRole"}]}`
	must(prod.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(trust), PermissionsBoundary: boundary.Policy.Arn}))(t)
	must(prod.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String("all"), PolicyDocument: aws.String(allowS3(bucket, `"s3:*"`))}))(t)
	got := must(prod.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role)}))(t)
	if got.Role.PermissionsBoundary == nil || aws.ToString(got.Role.PermissionsBoundary.PermissionsBoundaryArn) != aws.ToString(boundary.Policy.Arn) {
		t.Fatalf("GetRole does not show the boundary: %+v", got.Role.PermissionsBoundary)
	}
	sess := admin(t).assume(t, "arn:aws:iam::"+prodID+":role/"+role, "session")
	obj := must(sess.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")}))(t)
	obj.Body.Close()
	_, err := sess.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k2"), Body: strings.NewReader("2")})
	wantCode(t, err, "AccessDenied")
	must(prod.iam.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String(role)}))(t)
	must(sess.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k2"), Body: strings.NewReader("2")}))(t)
}

func TestDeleteObjectsAuthorizesEachKey(t *testing.T) {
	ctx := context.Background()
	prod := orgAdmin(t, prodID)
	bucket := uniq(t, "batch")
	must(prod.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}))(t)
	for _, k := range []string{"a/1", "b/1"} {
		must(prod.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), Body: strings.NewReader("x")}))(t)
	}
	sess, _ := sessionWith(t, prodID, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::`+bucket+`/a/*"}]}`)
	out := must(sess.s3.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &s3types.Delete{
		Objects: []s3types.ObjectIdentifier{{Key: aws.String("a/1")}, {Key: aws.String("b/1")}}}}))(t)
	if len(out.Deleted) != 1 || aws.ToString(out.Deleted[0].Key) != "a/1" || len(out.Errors) != 1 || aws.ToString(out.Errors[0].Key) != "b/1" || aws.ToString(out.Errors[0].Code) != "AccessDenied" {
		t.Fatalf("DeleteObjects result: deleted %+v, errors %+v", out.Deleted, out.Errors)
	}
	if _, err := prod.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("b/1")}); err != nil {
		t.Errorf("the refused key was deleted: %v", err)
	}
	if _, err := prod.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("a/1")}); err == nil {
		t.Errorf("the allowed key is still there")
	}
}

func TestPresignedURLs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	prod := orgAdmin(t, prodID)
	bucket := uniq(t, "presign")
	must(prod.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}))(t)
	must(prod.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("report.csv"), Body: strings.NewReader("a,b")}))(t)
	reader, _ := sessionWith(t, prodID, allowS3(bucket, `"s3:GetObject"`))
	presign := s3.NewPresignClient(reader.s3)
	httpc := &http.Client{Transport: transport(t, shared)}
	get := func(u string) (int, string) {
		resp, err := httpc.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	req := must(presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("report.csv")}))(t)
	if code, body := get(req.URL); code != 200 || body != "a,b" {
		t.Fatalf("presigned GET: %d %s", code, body)
	}
	if code, body := get(strings.Replace(req.URL, "X-Amz-Signature=", "X-Amz-Signature=0", 1)); code != 403 || !strings.Contains(body, "SignatureDoesNotMatch") {
		t.Errorf("tampered presigned GET: %d %s", code, body)
	}
	put := must(presign.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("other.csv")}))(t)
	r, _ := http.NewRequest(http.MethodPut, put.URL, strings.NewReader("x"))
	resp, err := httpc.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("presigned PUT by a read-only role: %d, want 403", resp.StatusCode)
	}
	short := must(presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("report.csv")}, s3.WithPresignExpires(time.Second)))(t)
	time.Sleep(1500 * time.Millisecond)
	if code, body := get(short.URL); code != 403 || !strings.Contains(body, "Request has expired") {
		t.Errorf("expired presigned GET: %d %s", code, body)
	}
}
