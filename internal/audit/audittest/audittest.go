// Package audittest holds the in-memory log bucket and the synthetic
// CloudTrail files (log files in AWS's layout, digests signed with a test
// key) that internal/audit's tests, the CLI's tests and the benchmark use.
package audittest

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/xacct/xacct/internal/audit"
)

// Object is one stored object.
type Object struct {
	Body     []byte
	Metadata map[string]string
}

// Bucket is an in-memory S3 bucket with the listing semantics the reader
// relies on: keys in order, Prefix, StartAfter, Delimiter, pages of
// MaxKeys (1,000 by default).
type Bucket struct {
	Name string
	mu   sync.Mutex
	objs map[string]Object
	keys []string // sorted, rebuilt lazily
	// Gets, Heads and Lists count the requests.
	Gets, Heads, Lists atomic.Int64
	// ListedPrefixes records each listing's Prefix (first pages and next
	// pages alike).
	listed []string
}

var _ audit.BucketAPI = (*Bucket)(nil)

// NewBucket returns an empty bucket.
func NewBucket(name string) *Bucket { return &Bucket{Name: name, objs: map[string]Object{}} }

// Put stores an object.
func (b *Bucket) Put(key string, body []byte, meta map[string]string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.objs[key]; !ok {
		b.keys = nil
	}
	b.objs[key] = Object{Body: body, Metadata: meta}
}

// Delete removes an object.
func (b *Bucket) Delete(key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.objs, key)
	b.keys = nil
}

// Get returns an object.
func (b *Bucket) Get(key string) (Object, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	o, ok := b.objs[key]
	return o, ok
}

// Keys lists every key, sorted.
func (b *Bucket) Keys() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.sorted())
}

// Listed returns the prefixes listed so far.
func (b *Bucket) Listed() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.listed)
}

func (b *Bucket) sorted() []string {
	if b.keys == nil {
		b.keys = make([]string, 0, len(b.objs))
		for k := range b.objs {
			b.keys = append(b.keys, k)
		}
		sort.Strings(b.keys)
	}
	return b.keys
}

// ListObjectsV2 lists keys; the continuation token is the last key.
func (b *Bucket) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, _ ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	b.Lists.Add(1)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if aws.ToString(in.Bucket) != b.Name {
		return nil, &s3types.NoSuchBucket{Message: aws.String("no bucket " + aws.ToString(in.Bucket))}
	}
	prefix, delim := aws.ToString(in.Prefix), aws.ToString(in.Delimiter)
	b.listed = append(b.listed, prefix)
	after := aws.ToString(in.StartAfter)
	if t := aws.ToString(in.ContinuationToken); t != "" {
		after = t
	}
	max := int(aws.ToInt32(in.MaxKeys))
	if max <= 0 {
		max = 1000
	}
	keys := b.sorted()
	i := sort.SearchStrings(keys, prefix)
	out := &s3.ListObjectsV2Output{}
	seen := map[string]bool{}
	n := 0
	for ; i < len(keys) && strings.HasPrefix(keys[i], prefix); i++ {
		k := keys[i]
		if k <= after {
			continue
		}
		if n == max {
			out.IsTruncated = aws.Bool(true)
			out.NextContinuationToken = aws.String(keys[i-1])
			return out, nil
		}
		if delim != "" {
			if j := strings.Index(k[len(prefix):], delim); j >= 0 {
				cp := k[:len(prefix)+j+len(delim)]
				if !seen[cp] {
					seen[cp] = true
					out.CommonPrefixes = append(out.CommonPrefixes, s3types.CommonPrefix{Prefix: aws.String(cp)})
					n++
				}
				continue
			}
		}
		out.Contents = append(out.Contents, s3types.Object{Key: aws.String(k), Size: aws.Int64(int64(len(b.objs[k].Body)))})
		n++
	}
	out.IsTruncated = aws.Bool(false)
	return out, nil
}

// GetObject returns an object's bytes and metadata.
func (b *Bucket) GetObject(ctx context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	b.Gets.Add(1)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	o, ok := b.Get(aws.ToString(in.Key))
	if !ok || aws.ToString(in.Bucket) != b.Name {
		return nil, &s3types.NoSuchKey{Message: aws.String("The specified key does not exist.")}
	}
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(o.Body)), Metadata: o.Metadata, ContentLength: aws.Int64(int64(len(o.Body)))}, nil
}

// HeadObject returns an object's metadata.
func (b *Bucket) HeadObject(ctx context.Context, in *s3.HeadObjectInput, _ ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	b.Heads.Add(1)
	o, ok := b.Get(aws.ToString(in.Key))
	if !ok {
		return nil, &s3types.NotFound{Message: aws.String("Not Found")}
	}
	return &s3.HeadObjectOutput{Metadata: o.Metadata, ContentLength: aws.Int64(int64(len(o.Body)))}, nil
}

// Event describes one synthetic record; Record renders it in CloudTrail's
// shape.
type Event struct {
	Time      time.Time
	Account   string // recipientAccountId
	Region    string
	Source    string // s3.amazonaws.com
	Name      string // PutObject
	Identity  map[string]any
	Params    map[string]any
	Error     string
	ReadOnly  bool
	Mgmt      bool
	ID        string
	Resources []map[string]any
}

// Record renders e as CloudTrail writes it.
func (e Event) Record() map[string]any {
	r := map[string]any{
		"eventVersion": "1.11", "userIdentity": e.Identity, "eventTime": e.Time.UTC().Format(time.RFC3339),
		"eventSource": e.Source, "eventName": e.Name, "awsRegion": e.Region, "sourceIPAddress": "203.0.113.10",
		"userAgent": "aws-cli/2.15.0", "requestParameters": e.Params, "responseElements": nil,
		"requestID": "REQ" + e.ID, "eventID": e.ID, "readOnly": e.ReadOnly, "eventType": "AwsApiCall",
		"managementEvent": e.Mgmt, "recipientAccountId": e.Account, "eventCategory": map[bool]string{true: "Management", false: "Data"}[e.Mgmt],
	}
	if e.Resources != nil {
		r["resources"] = e.Resources
	}
	if e.Error != "" {
		r["errorCode"] = e.Error
		r["errorMessage"] = "User is not authorized to perform: " + e.Source + " " + e.Name
	}
	return r
}

// IAMUser is the userIdentity of an IAM user.
func IAMUser(account, name string) map[string]any {
	return map[string]any{"type": "IAMUser", "principalId": "AIDA" + strings.ToUpper(name), "arn": "arn:aws:iam::" + account + ":user/" + name,
		"accountId": account, "accessKeyId": "AKIAEXAMPLE", "userName": name}
}

// AssumedRole is the userIdentity of a role session; sourceIdentity is
// left out when "".
func AssumedRole(account, role, session, sourceIdentity string) map[string]any {
	sc := map[string]any{
		"sessionIssuer": map[string]any{"type": "Role", "principalId": "AROA" + strings.ToUpper(role), "arn": "arn:aws:iam::" + account + ":role/" + role,
			"accountId": account, "userName": role},
		"attributes": map[string]any{"creationDate": "2026-12-06T09:00:00Z", "mfaAuthenticated": "false"},
	}
	if sourceIdentity != "" {
		sc["sourceIdentity"] = sourceIdentity
	}
	return map[string]any{"type": "AssumedRole", "principalId": "AROA" + strings.ToUpper(role) + ":" + session,
		"arn": "arn:aws:sts::" + account + ":assumed-role/" + role + "/" + session, "accountId": account, "accessKeyId": "ASIAEXAMPLE", "sessionContext": sc}
}

// AWSService is the userIdentity of a request an AWS service made.
func AWSService(service string) map[string]any {
	return map[string]any{"type": "AWSService", "invokedBy": service}
}

// Root is the userIdentity of an account's root user.
func Root(account string) map[string]any {
	return map[string]any{"type": "Root", "principalId": account, "arn": "arn:aws:iam::" + account + ":root", "accountId": account}
}

// LogFile renders records as a gzip log file and returns its key, named
// at t (the delivery time).
func LogFile(account, region string, t time.Time, unique string, records []map[string]any) (string, []byte) {
	key := audit.DayPrefix(account, region, t) + fmt.Sprintf("%s_CloudTrail_%s_%s_%s.json.gz", account, region, t.UTC().Format("20060102T1504Z"), unique)
	body, err := json.Marshal(map[string]any{"Records": records})
	if err != nil {
		panic(err)
	}
	return key, Gzip(body)
}

// Gzip compresses b.
func Gzip(b []byte) []byte {
	var buf bytes.Buffer
	w := gzipWriter(&buf)
	if _, err := w.Write(b); err != nil {
		panic(err)
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// Trail signs digests as CloudTrail does, with a key of its own.
type Trail struct {
	Account, Region, Name, Bucket string
	Key                           *rsa.PrivateKey
	// prevSig and prev* chain each digest to the last one.
	prevSig, prevKey, prevHash string
}

// NewTrail makes a trail with a fresh 2048-bit key.
func NewTrail(bucket, account, region, name string) *Trail {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return &Trail{Account: account, Region: region, Name: name, Bucket: bucket, Key: k}
}

// Fingerprint names the trail's public key (hex MD5-sized, as AWS's look).
func (t *Trail) Fingerprint() string {
	sum := sha256.Sum256(x509.MarshalPKCS1PublicKey(&t.Key.PublicKey))
	return hex.EncodeToString(sum[:16])
}

// PublicKey is the trail's key as cloudtrail:ListPublicKeys returns it:
// Value is the base64 text of the DER PKCS #1 key (the AWS CLI decodes it
// once more after the API's own base64).
func (t *Trail) PublicKey() cttypes.PublicKey {
	der := x509.MarshalPKCS1PublicKey(&t.Key.PublicKey)
	return cttypes.PublicKey{Fingerprint: aws.String(t.Fingerprint()), Value: []byte(base64.StdEncoding.EncodeToString(der)),
		ValidityStartTime: aws.Time(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)), ValidityEndTime: aws.Time(time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC))}
}

// Digest writes into b the digest of the log files (keys in b) delivered
// in (start, end], chained to the trail's previous digest, and returns its
// key.
func (t *Trail) Digest(b *Bucket, start, end time.Time, logKeys []string) string {
	key := audit.DigestsPrefix(t.Account) + t.Region + "/" + end.UTC().Format("2006/01/02") + "/" +
		fmt.Sprintf("%s_CloudTrail-Digest_%s_%s_%s_%s.json.gz", t.Account, t.Region, t.Name, t.Region, end.UTC().Format("20060102T150405Z"))
	logs := []map[string]any{}
	for _, k := range logKeys {
		o, ok := b.Get(k)
		if !ok {
			panic("no log file " + k)
		}
		sum := sha256.Sum256(Gunzip(o.Body))
		logs = append(logs, map[string]any{"s3Bucket": b.Name, "s3Object": k, "hashValue": hex.EncodeToString(sum[:]), "hashAlgorithm": "SHA-256",
			"newestEventTime": end.UTC().Format(time.RFC3339), "oldestEventTime": start.UTC().Format(time.RFC3339)})
	}
	d := map[string]any{
		"awsAccountId": t.Account, "digestStartTime": start.UTC().Format(time.RFC3339), "digestEndTime": end.UTC().Format(time.RFC3339),
		"digestS3Bucket": b.Name, "digestS3Object": key, "digestPublicKeyFingerprint": t.Fingerprint(), "digestSignatureAlgorithm": "SHA256withRSA",
		"newestEventTime": nil, "oldestEventTime": nil, "previousDigestS3Bucket": nil, "previousDigestS3Object": nil,
		"previousDigestHashValue": nil, "previousDigestHashAlgorithm": nil, "previousDigestSignature": nil, "logFiles": logs,
	}
	if t.prevKey != "" {
		d["previousDigestS3Bucket"], d["previousDigestS3Object"] = b.Name, t.prevKey
		d["previousDigestHashValue"], d["previousDigestHashAlgorithm"] = t.prevHash, "SHA-256"
		d["previousDigestSignature"] = t.prevSig
	}
	body, err := json.Marshal(d)
	if err != nil {
		panic(err)
	}
	sig := t.Sign(end.UTC().Format(time.RFC3339), b.Name, key, body, t.prevSig)
	b.Put(key, Gzip(body), map[string]string{"signature": sig, "signature-algorithm": "SHA256withRSA"})
	sum := sha256.Sum256(body)
	t.prevSig, t.prevKey, t.prevHash = sig, key, hex.EncodeToString(sum[:])
	return key
}

// Sign signs a digest the way the AWS CLI's validator checks it, written
// here independently of internal/audit so that each checks the other.
func (t *Trail) Sign(endTime, bucket, key string, inflated []byte, prevSig string) string {
	if prevSig == "" {
		prevSig = "null"
	}
	h := sha256.Sum256(inflated)
	msg := endTime + "\n" + bucket + "/" + key + "\n" + hex.EncodeToString(h[:]) + "\n" + prevSig
	d := sha256.Sum256([]byte(msg))
	sig, err := rsa.SignPKCS1v15(rand.Reader, t.Key, crypto.SHA256, d[:])
	if err != nil {
		panic(err)
	}
	return hex.EncodeToString(sig)
}

// Keys answers cloudtrail:ListPublicKeys with the trails' keys.
type Keys struct {
	Trails []*Trail
	Calls  atomic.Int64
}

// ListPublicKeys returns every trail's key.
func (k *Keys) ListPublicKeys(ctx context.Context, in *cloudtrail.ListPublicKeysInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.ListPublicKeysOutput, error) {
	k.Calls.Add(1)
	out := &cloudtrail.ListPublicKeysOutput{}
	for _, t := range k.Trails {
		out.PublicKeyList = append(out.PublicKeyList, t.PublicKey())
	}
	return out, nil
}

// Chain makes the next digest name sig as its previous signature (a
// broken chain, validly signed).
func (t *Trail) Chain(sig string) { t.prevSig = sig }
