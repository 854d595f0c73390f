package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// otherRegion is a region the shared sandbox does not serve.
func otherRegion() string {
	if shared.Region == "eu-west-1" {
		return "us-west-2"
	}
	return "eu-west-1"
}

// sigReq is a request signed as a client of another region or clock would
// sign it: header-signed, or presigned when expires is set.
type sigReq struct {
	method  string
	uri     string
	body    []byte
	header  map[string]string
	service string        // default s3
	region  string        // default the sandbox's
	at      time.Time     // default now
	expires time.Duration // >0: presigned, X-Amz-Expires
	// after runs on the signed request (e.g. to add a second mechanism).
	after func(t *testing.T, r *http.Request)
}

func (sr sigReq) build(t *testing.T, cr aws.Credentials) *http.Request {
	t.Helper()
	service, region, at := sr.service, sr.region, sr.at
	if service == "" {
		service = "s3"
	}
	if region == "" {
		region = shared.Region
	}
	if at.IsZero() {
		at = time.Now()
	}
	req, err := http.NewRequest(sr.method, shared.URL+sr.uri, bytes.NewReader(sr.body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range sr.header {
		req.Header.Set(k, v)
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = service == "s3" })
	if sr.expires > 0 {
		q := req.URL.Query()
		q.Set("X-Amz-Expires", strconv.Itoa(int(sr.expires/time.Second)))
		req.URL.RawQuery = q.Encode()
		signed, hdr, err := signer.PresignHTTP(context.Background(), cr, req, "UNSIGNED-PAYLOAD", service, region, at)
		if err != nil {
			t.Fatal(err)
		}
		out, err := http.NewRequest(sr.method, signed, bytes.NewReader(sr.body))
		if err != nil {
			t.Fatal(err)
		}
		for k, vs := range hdr {
			if k != "Host" {
				out.Header[k] = vs
			}
		}
		req = out
	} else {
		payload := sha256hex(sr.body)
		if service == "s3" {
			req.Header.Set("X-Amz-Content-Sha256", payload)
		}
		if err := signer.SignHTTP(context.Background(), cr, req, payload, service, region, at); err != nil {
			t.Fatal(err)
		}
	}
	if sr.after != nil {
		sr.after(t, req)
	}
	return req
}

// s3Put is a PutObject of a string.
func s3Put(bucket, key, body string) *s3.PutObjectInput {
	return &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)}
}

// TestAttackSignatures is issue 22's class 6: signatures held to what AWS
// checks. A request dated beyond the 15 minutes of skew ahead (presigned or
// not), a credential scope naming another region than the endpoint's, and
// a request carrying both a presigned query and an Authorization header are
// refused with AWS's error and change nothing; the honest variants (10
// minutes ahead, the endpoint's region, IAM and STS scoped to us-east-1)
// still work.
func TestAttackSignatures(t *testing.T) {
	s := newAttackScene(t)
	a := s.victimA
	cr := s.attacker
	other := otherRegion()
	absent := func(key string) func(t *testing.T) {
		return func(t *testing.T) {
			if got := s.object(t, a, key); got != "" {
				t.Errorf("%s/%s was written: %q", a, key, got)
			}
		}
	}
	written := func(key, want string) func(t *testing.T) {
		return func(t *testing.T) {
			if got := s.object(t, a, key); got != want {
				t.Errorf("%s/%s = %q, want %q", a, key, got, want)
			}
		}
	}
	must(s.prod.s3.PutObject(context.Background(), s3Put(a, "readable.txt", "readable")))(t)
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	me := must(newClient(t, shared, shared.URL, cr.AccessKeyID, cr.SecretAccessKey, "").sts.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}))(t)
	userName := aws.ToString(me.Arn)[strings.LastIndex(aws.ToString(me.Arn), "/")+1:]
	getUser := []byte("Action=GetUser&Version=2010-05-08&UserName=" + url.QueryEscape(userName))
	callerID := []byte("Action=GetCallerIdentity&Version=2011-06-15")
	logsHdr := map[string]string{"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "Logs_20140328.DescribeLogGroups"}
	future := time.Now().Add(20 * time.Minute)
	// A second mechanism: the presigned request also carries a (valid)
	// Authorization header of its own.
	alsoHeader := func(t *testing.T, r *http.Request) {
		h, _ := http.NewRequest(r.Method, r.URL.String(), nil)
		h.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
		if err := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }).SignHTTP(context.Background(), cr, h, "UNSIGNED-PAYLOAD", "s3", shared.Region, time.Now()); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"Authorization", "X-Amz-Date", "X-Amz-Content-Sha256"} {
			r.Header.Set(k, h.Header.Get(k))
		}
	}
	tests := []struct {
		name       string
		req        sigReq
		status     int
		code       string
		inBody     string
		sideEffect func(t *testing.T)
	}{
		// Dated in the future.
		{"S3 header-signed 20 minutes ahead", sigReq{method: "PUT", uri: "/" + a + "/ahead.txt", body: []byte("x"), at: future}, 403, "RequestTimeTooSkewed", "", absent("ahead.txt")},
		{"S3 header-signed 10 minutes ahead", sigReq{method: "PUT", uri: "/" + a + "/ahead-ok.txt", body: []byte("ok"), at: time.Now().Add(10 * time.Minute)}, 200, "", "", written("ahead-ok.txt", "ok")},
		{"STS header-signed 20 minutes ahead", sigReq{method: "POST", uri: "/", service: "sts", body: callerID, header: form, at: future}, 403, "SignatureDoesNotMatch", "Signature not yet current", nil},
		{"IAM header-signed 20 minutes ahead", sigReq{method: "POST", uri: "/", service: "iam", body: getUser, header: form, at: future}, 403, "SignatureDoesNotMatch", "Signature not yet current", nil},
		{"presigned GET dated a day ahead", sigReq{method: "GET", uri: "/" + a + "/readable.txt", at: time.Now().Add(24 * time.Hour), expires: time.Hour}, 403, "AccessDenied", "Request is not yet valid", nil},
		{"presigned GET dated 20 minutes ahead", sigReq{method: "GET", uri: "/" + a + "/readable.txt", at: future, expires: 7 * 24 * time.Hour}, 403, "AccessDenied", "Request is not yet valid", nil},
		{"presigned PUT dated 6 days ahead", sigReq{method: "PUT", uri: "/" + a + "/later.txt", body: []byte("x"), at: time.Now().Add(6 * 24 * time.Hour), expires: 7 * 24 * time.Hour}, 403, "AccessDenied", "Request is not yet valid", absent("later.txt")},
		{"presigned GET dated 10 minutes ahead", sigReq{method: "GET", uri: "/" + a + "/readable.txt", at: time.Now().Add(10 * time.Minute), expires: time.Hour}, 200, "", "readable", nil},
		{"presigned GET now", sigReq{method: "GET", uri: "/" + a + "/readable.txt", expires: time.Hour}, 200, "", "readable", nil},
		// Scoped to another region.
		{"S3 header-signed for another region", sigReq{method: "PUT", uri: "/" + a + "/region.txt", body: []byte("x"), region: other}, 400, "AuthorizationHeaderMalformed",
			"the region '" + other + "' is wrong; expecting '" + shared.Region + "'</Message><Region>" + shared.Region + "</Region>", absent("region.txt")},
		{"S3 GET header-signed for another region", sigReq{method: "GET", uri: "/" + a + "/readable.txt", region: other}, 400, "AuthorizationHeaderMalformed", "", nil},
		{"S3 presigned for another region", sigReq{method: "PUT", uri: "/" + a + "/region-p.txt", body: []byte("x"), region: other, expires: time.Hour}, 400, "AuthorizationQueryParametersError",
			"expecting '" + shared.Region + "'", absent("region-p.txt")},
		{"IAM signed for another region", sigReq{method: "POST", uri: "/", service: "iam", body: getUser, header: form, region: other}, 403, "SignatureDoesNotMatch", "Credential should be scoped to a valid region", nil},
		{"IAM signed for us-east-1", sigReq{method: "POST", uri: "/", service: "iam", body: getUser, header: form, region: "us-east-1"}, 200, "", "<GetUserResult>", nil},
		{"STS signed for another region", sigReq{method: "POST", uri: "/", service: "sts", body: callerID, header: form, region: other}, 403, "SignatureDoesNotMatch", "Credential should be scoped to a valid region", nil},
		{"STS signed for us-east-1 (the global endpoint)", sigReq{method: "POST", uri: "/", service: "sts", body: callerID, header: form, region: "us-east-1"}, 200, "", prodID, nil},
		{"Logs signed for another region", sigReq{method: "POST", uri: "/", service: "logs", body: []byte("{}"), header: logsHdr, region: other}, 403, "InvalidSignatureException", "Credential should be scoped to a valid region", nil},
		{"Logs signed for the sandbox's region", sigReq{method: "POST", uri: "/", service: "logs", body: []byte("{}"), header: logsHdr}, 200, "", "logGroups", nil},
		{"Lambda signed for another region", sigReq{method: "GET", uri: "/2015-03-31/functions/", service: "lambda", region: other}, 403, "InvalidSignatureException", "Credential should be scoped to a valid region", nil},
		// Two authentication mechanisms.
		{"presigned PUT with an Authorization header too", sigReq{method: "PUT", uri: "/" + a + "/both.txt", body: []byte("x"), expires: time.Hour, after: alsoHeader}, 400, "InvalidArgument",
			"Only one auth mechanism allowed", absent("both.txt")},
		{"presigned GET with an Authorization header too", sigReq{method: "GET", uri: "/" + a + "/readable.txt", expires: time.Hour, after: alsoHeader}, 400, "InvalidArgument", "Only one auth mechanism allowed", nil},
		{"header-signed with a forged X-Amz-Signature query", sigReq{method: "PUT", uri: "/" + a + "/both2.txt", body: []byte("x"), after: func(t *testing.T, r *http.Request) {
			q := r.URL.Query()
			q.Set("X-Amz-Signature", strings.Repeat("0", 64))
			r.URL.RawQuery = q.Encode()
		}}, 400, "InvalidArgument", "Only one auth mechanism allowed", absent("both2.txt")},
		{"SigV2 query with an Authorization header too", sigReq{method: "GET", uri: "/" + a + "/readable.txt?AWSAccessKeyId=" + url.QueryEscape(cr.AccessKeyID) + "&Signature=abc%3D&Expires=9999999999"},
			400, "InvalidArgument", "Only one auth mechanism allowed", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, code, body := send(t, tc.req.build(t, cr))
			if status != tc.status || code != tc.code {
				t.Errorf("got %d %s, want %d %s; body: %.400s", status, code, tc.status, tc.code, body)
			}
			if tc.inBody != "" && !strings.Contains(body, tc.inBody) {
				t.Errorf("want %q in the body: %.400s", tc.inBody, body)
			}
			if tc.status != 200 && strings.Contains(body, "readable") && !strings.Contains(body, "<Error>") {
				t.Errorf("a refused request returned the object: %.200s", body)
			}
			if tc.sideEffect != nil {
				tc.sideEffect(t)
			}
		})
	}
}

// TestAttackBucketNameRace is issue 22's class 5: two accounts create the
// same bucket name at the same moment, 100 rounds (200 attempts), a new name
// each round. Each name has exactly one owner: one 200, the other account
// 409 BucketAlreadyExists, the same account again 409
// BucketAlreadyOwnedByYou; ListBuckets shows each name in its owner's
// account only, and the loser cannot write to the winner's bucket.
func TestAttackBucketNameRace(t *testing.T) {
	ctx := context.Background()
	accounts := []string{prodID, devID}
	clients := []*client{orgAdmin(t, prodID), orgAdmin(t, devID)}
	const rounds, parallel = 100, 10
	names := make([]string, rounds)
	base := uniq(t, "race")
	for i := range names {
		names[i] = base + "-" + strconv.Itoa(i)
	}
	type result struct{ codes [2]string }
	results := make([]result, rounds)
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i := range names {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			start := make(chan struct{})
			var inner sync.WaitGroup
			for j, c := range clients {
				inner.Add(1)
				go func() {
					defer inner.Done()
					<-start
					_, err := c.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(names[i])})
					results[i].codes[j] = "200"
					if err != nil {
						results[i].codes[j] = errorCode(err)
						if results[i].codes[j] == "" {
							results[i].codes[j] = err.Error()
						}
					}
				}()
			}
			close(start)
			inner.Wait()
		}()
	}
	wg.Wait()
	winner := map[string]int{}
	for i, r := range results {
		switch {
		case r.codes[0] == "200" && r.codes[1] == "BucketAlreadyExists":
			winner[names[i]] = 0
		case r.codes[1] == "200" && r.codes[0] == "BucketAlreadyExists":
			winner[names[i]] = 1
		default:
			t.Errorf("%s: %s got %s, %s got %s; want one 200 and one BucketAlreadyExists", names[i], accounts[0], r.codes[0], accounts[1], r.codes[1])
		}
	}
	t.Cleanup(func() {
		for n, w := range winner {
			_, _ = clients[w].s3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(n)})
		}
	})
	wins := [2]int{}
	for _, w := range winner {
		wins[w]++
	}
	t.Logf("%d rounds: %s won %d, %s won %d", rounds, accounts[0], wins[0], accounts[1], wins[1])
	for j, c := range clients {
		listed := map[string]bool{}
		for _, b := range must(c.s3.ListBuckets(ctx, &s3.ListBucketsInput{}))(t).Buckets {
			listed[aws.ToString(b.Name)] = true
		}
		for _, n := range names {
			w, ok := winner[n]
			if ok && listed[n] != (w == j) {
				t.Errorf("%s: listed in %s = %v, but %s owns it", n, accounts[j], listed[n], accounts[w])
			}
		}
	}
	// The same account again, the other account again, and the loser's
	// write: refused, nothing written.
	for _, n := range names[:3] {
		w, ok := winner[n]
		if !ok {
			continue
		}
		_, err := clients[w].s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(n)})
		wantCode(t, err, "BucketAlreadyOwnedByYou")
		_, err = clients[1-w].s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(n)})
		wantCode(t, err, "BucketAlreadyExists")
		_, err = clients[1-w].s3.PutObject(ctx, s3Put(n, "from-the-loser", "x"))
		wantCode(t, err, "AccessDenied")
		_, err = clients[w].s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(n), Key: aws.String("from-the-loser")})
		if err == nil {
			t.Errorf("%s/from-the-loser was written", n)
		}
	}
}

// TestAttackExistingObjectTag is issue 22's class 3: a Deny on
// s3:ExistingObjectTag/<key> applies to the requests on an existing object
// (that version's tags), in an identity policy or a bucket policy, and
// s3:RequestObjectTag/<key> and s3:RequestObjectTagKeys come from
// x-amz-tagging on PutObject. The untagged objects stay readable.
func TestAttackExistingObjectTag(t *testing.T) {
	ctx := context.Background()
	prod := orgAdmin(t, prodID)
	bucket := uniq(t, "tagged")
	must(prod.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}))(t)
	must(prod.s3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}))(t)
	put := func(key, body, tagging string) string {
		in := s3Put(bucket, key, body)
		if tagging != "" {
			in.Tagging = aws.String(tagging)
		}
		return aws.ToString(must(prod.s3.PutObject(ctx, in))(t).VersionId)
	}
	put("secret.txt", "the secret", "classification=secret&team=a")
	put("public.txt", "public", "classification=public")
	put("plain.txt", "plain", "")
	oldSecret := put("was-secret.txt", "old secret", "classification=secret")
	newPlain := put("was-secret.txt", "now plain", "")
	objects := `"arn:aws:s3:::` + bucket + `/*"`
	sess, _ := sessionWith(t, prodID, `{"Version":"2012-10-17","Statement":[`+
		`{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::`+bucket+`",`+objects+`]},`+
		`{"Effect":"Deny","Action":["s3:GetObject","s3:GetObjectVersion","s3:GetObjectTagging","s3:PutObjectTagging","s3:DeleteObjectTagging"],"Resource":`+objects+`,`+
		`"Condition":{"StringEquals":{"s3:ExistingObjectTag/classification":"secret"}}},`+
		`{"Effect":"Deny","Action":"s3:PutObject","Resource":`+objects+`,"Condition":{"StringEquals":{"s3:RequestObjectTag/classification":"secret"}}},`+
		`{"Effect":"Deny","Action":"s3:PutObject","Resource":`+objects+`,"Condition":{"ForAnyValue:StringEquals":{"s3:RequestObjectTagKeys":"owner"}}}]}`)
	c := sess.s3
	get := func(key, version string) (string, error) {
		in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
		if version != "" {
			in.VersionId = aws.String(version)
		}
		out, err := c.GetObject(ctx, in)
		if err != nil {
			return "", err
		}
		defer out.Body.Close()
		b, _ := io.ReadAll(out.Body)
		return string(b), nil
	}
	tagsOf := func(t *testing.T, key string) string {
		out := must(prod.s3.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String(key)}))(t)
		var kv []string
		for _, tg := range out.TagSet {
			kv = append(kv, aws.ToString(tg.Key)+"="+aws.ToString(tg.Value))
		}
		sort.Strings(kv)
		return strings.Join(kv, "&")
	}
	tests := []struct {
		name       string
		do         func() error
		code       string // "" allowed
		sideEffect func(t *testing.T)
	}{
		{"GetObject of a secret object", func() error { b, err := get("secret.txt", ""); return leak(b, err) }, "AccessDenied", nil},
		{"HeadObject of a secret object", func() error {
			_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("secret.txt")})
			return err
		}, "Forbidden", nil},
		{"GetObject of an untagged object", func() error { _, err := get("plain.txt", ""); return err }, "", nil},
		{"GetObject of a public object", func() error { _, err := get("public.txt", ""); return err }, "", nil},
		{"GetObject of the secret version", func() error { b, err := get("was-secret.txt", oldSecret); return leak(b, err) }, "AccessDenied", nil},
		{"GetObject of the untagged current version", func() error { _, err := get("was-secret.txt", newPlain); return err }, "", nil},
		{"GetObject of the current version without versionId", func() error { _, err := get("was-secret.txt", ""); return err }, "", nil},
		{"GetObjectTagging of a secret object", func() error {
			_, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("secret.txt")})
			return err
		}, "AccessDenied", nil},
		{"PutObjectTagging lifting the secret tag", func() error {
			_, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("secret.txt"),
				Tagging: &s3types.Tagging{TagSet: []s3types.Tag{{Key: aws.String("classification"), Value: aws.String("public")}}}})
			return err
		}, "AccessDenied", func(t *testing.T) {
			if got := tagsOf(t, "secret.txt"); got != "classification=secret&team=a" {
				t.Errorf("secret.txt's tags are now %q", got)
			}
		}},
		{"DeleteObjectTagging of a secret object", func() error {
			_, err := c.DeleteObjectTagging(ctx, &s3.DeleteObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("secret.txt")})
			return err
		}, "AccessDenied", func(t *testing.T) {
			if got := tagsOf(t, "secret.txt"); got != "classification=secret&team=a" {
				t.Errorf("secret.txt's tags are now %q", got)
			}
		}},
		{"PutObjectTagging of an untagged object", func() error {
			_, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("plain.txt"),
				Tagging: &s3types.Tagging{TagSet: []s3types.Tag{{Key: aws.String("team"), Value: aws.String("b")}}}})
			return err
		}, "", nil},
		{"CopyObject out of a secret object", func() error {
			_, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("copied.txt"), CopySource: aws.String(bucket + "/secret.txt")})
			return err
		}, "AccessDenied", func(t *testing.T) {
			if _, err := prod.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("copied.txt")}); err == nil {
				t.Error("copied.txt was written")
			}
		}},
		{"PutObject tagged secret", func() error {
			in := s3Put(bucket, "new-secret.txt", "x")
			in.Tagging = aws.String("classification=secret")
			_, err := c.PutObject(ctx, in)
			return err
		}, "AccessDenied", func(t *testing.T) {
			if _, err := prod.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("new-secret.txt")}); err == nil {
				t.Error("new-secret.txt was written")
			}
		}},
		{"PutObject with a denied tag key", func() error {
			in := s3Put(bucket, "owned.txt", "x")
			in.Tagging = aws.String("team=a&owner=me")
			_, err := c.PutObject(ctx, in)
			return err
		}, "AccessDenied", nil},
		{"PutObject tagged public", func() error {
			in := s3Put(bucket, "new-public.txt", "x")
			in.Tagging = aws.String("classification=public")
			_, err := c.PutObject(ctx, in)
			return err
		}, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do()
			switch {
			case tc.code == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.code != "" && errorCode(err) != tc.code:
				t.Errorf("got %v, want %s", err, tc.code)
			}
			if tc.sideEffect != nil {
				tc.sideEffect(t)
			}
		})
	}

	// The same Deny in the bucket policy binds the bucket's own administrator.
	must(prod.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(`{"Version":"2012-10-17","Statement":[` +
		`{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":` + objects + `,"Condition":{"StringEquals":{"s3:ExistingObjectTag/classification":"secret"}}}]}`)}))(t)
	_, err := prod.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("secret.txt")})
	wantCode(t, err, "AccessDenied")
	out := must(prod.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("plain.txt")}))(t)
	out.Body.Close()
}

// leak turns a body returned by a request that should have been refused
// into an error naming it.
func leak(body string, err error) error {
	if err == nil {
		return fmt.Errorf("the request succeeded and returned %q", body)
	}
	return err
}
