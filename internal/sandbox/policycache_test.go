package sandbox

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/xacct/xacct/internal/iampolicy"
)

// TestBucketPolicyCacheKeepsNoReplacedPolicy: the gateway authorizes with
// the bucket policy kumo holds once a write of it has answered, whatever
// reads of the old one were under way: a read begun before the write and
// finished after it, and a read made while the write is in flight, store
// nothing.
func TestBucketPolicyCacheKeepsNoReplacedPolicy(t *testing.T) {
	t.Parallel()
	const (
		allow = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`
		deny  = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}]}`
	)
	// kumo's GetBucketPolicy: the policy it holds when the request arrives,
	// answered when hold lets it (the first request only).
	var held atomic.Value
	held.Store(allow)
	arrived, hold := make(chan struct{}), make(chan struct{})
	var reads atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		doc := held.Load().(string)
		if reads.Add(1) == 1 {
			close(arrived)
			<-hold
		}
		_, _ = w.Write([]byte(doc))
	}))
	t.Cleanup(srv.Close)
	b := &backend{id: "222222222222", s3: s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")})}
	g := &gateway{cache: newPolicyCache()}
	effect := func() iampolicy.Effect {
		t.Helper()
		np, err := g.bucketPolicy(context.Background(), "b", b)
		if err != nil || np == nil {
			t.Fatalf("bucket policy: %v, %v", np, err)
		}
		return np.Policy.Statements[0].Effect
	}

	// A read begins; a write of the policy starts, lands in kumo and
	// ends; then the read answers with the old policy.
	first := make(chan struct{})
	go func() {
		defer close(first)
		_, _ = g.bucketPolicy(context.Background(), "b", b)
	}()
	<-arrived
	done := g.cache.writeBucket("b")
	held.Store(deny)
	done()
	close(hold)
	<-first
	if got := effect(); got != iampolicy.Deny {
		t.Fatalf("after the write the gateway authorizes with a policy whose effect is %s, want the written Deny", got)
	}

	// A write in flight: kumo holds the new policy before the write has
	// answered; what is read meanwhile is not kept past the write.
	done = g.cache.writeBucket("b")
	held.Store(allow)
	if got := effect(); got != iampolicy.Allow {
		t.Fatalf("during the write: %s, want what kumo holds", got)
	}
	held.Store(deny)
	done()
	if got := effect(); got != iampolicy.Deny {
		t.Errorf("after the second write the gateway authorizes with %s, want Deny", got)
	}
}
