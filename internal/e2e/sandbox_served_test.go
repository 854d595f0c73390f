package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// TestSandboxAccessKeysOfTheCaller: DeleteAccessKey without UserName acts
// on the caller's own user, as IAM does, and is authorized on that user
// (the authorization table refuses an action authorized on "*" when the
// reference gives it a resource).
func TestSandboxAccessKeysOfTheCaller(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dev := orgAdmin(t, devID)
	user := uniq(t, "keeper")
	must(dev.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user)}))(t)
	key := must(dev.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(user)}))(t)
	id := key.AccessKey.AccessKeyId
	must(dev.iam.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String(user), AccessKeyId: id}))(t)
	// A user deletes its own key without naming itself.
	own := userKey(t, dev, user)
	ownKey := must(dev.iam.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(user)}))(t)
	_, err := own.iam.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: ownKey.AccessKeyMetadata[0].AccessKeyId})
	wantCode(t, err, "AccessDenied") // no identity policy lets the user manage its keys
	must(dev.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String("own-keys"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:DeleteAccessKey","Resource":"arn:aws:iam::` + devID + `:user/` + user + `"}]}`)}))(t)
	waitFor(t, 10*time.Second, "the user's own key deleted once its policy allows it on its ARN", func() bool {
		_, err := own.iam.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: ownKey.AccessKeyMetadata[0].AccessKeyId})
		return err == nil
	})
}
