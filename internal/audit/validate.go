package audit

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// KeysAPI lists a trail account's digest-signing public keys;
// *cloudtrail.Client satisfies it.
type KeysAPI interface {
	ListPublicKeys(ctx context.Context, in *cloudtrail.ListPublicKeysInput, opts ...func(*cloudtrail.Options)) (*cloudtrail.ListPublicKeysOutput, error)
}

// ValidateOptions are the inputs of Validate.
type ValidateOptions struct {
	Bucket string
	// Accounts are the trails' accounts, by ID; Keys answers each one's
	// ListPublicKeys.
	Accounts []string
	Keys     map[string]KeysAPI
	// Trail is the trails' name (the same in each account) and
	// HomeRegion the region they were made in.
	Trail      string
	HomeRegion string
	// Regions: nil, the ones present under each account's
	// CloudTrail-Digest/ prefix.
	Regions      []string
	Since, Until time.Time
	Parallel     int
	Now          func() time.Time
}

// Problem kinds: each fails a validation.
const (
	MissingLog    = "log file missing"
	AlteredLog    = "log file altered"
	UnreadableLog = "log file unreadable"
	MissingDigest = "digest missing"
	InvalidDigest = "digest invalid"
	BrokenChain   = "digest chain broken"
)

// Problem is one thing that failed validation, by key.
type Problem struct {
	Kind   string `json:"kind"`
	Key    string `json:"key"`
	Detail string `json:"detail,omitempty"`
}

// TrailCheck counts what was checked of one trail in one region.
type TrailCheck struct {
	Account      string `json:"account"`
	Region       string `json:"region"`
	Digests      int    `json:"digests"`
	ValidDigests int    `json:"valid_digests"`
	LogFiles     int    `json:"log_files"`
	ValidLogs    int    `json:"valid_log_files"`
}

// Validation is the result of Validate.
type Validation struct {
	Trails   []TrailCheck `json:"trails"`
	Problems []Problem    `json:"problems"`
	// Uncovered are log files of the range that no digest lists yet: the
	// newest (a digest covers the hour before it), or files that were
	// delivered while validation was off. A note, not a failure.
	Uncovered []string `json:"uncovered"`
	// Gaps are the chain's starts (previousDigestSignature null) after
	// the first digest: logging was off for a while. A note.
	Gaps []string `json:"gaps"`
}

// OK says whether nothing failed.
func (v *Validation) OK() bool { return len(v.Problems) == 0 }

// digestDoc is a digest file's content (AWS's "CloudTrail digest file
// structure").
type digestDoc struct {
	DigestStartTime            string  `json:"digestStartTime"`
	DigestEndTime              string  `json:"digestEndTime"`
	DigestS3Bucket             string  `json:"digestS3Bucket"`
	DigestS3Object             string  `json:"digestS3Object"`
	DigestPublicKeyFingerprint string  `json:"digestPublicKeyFingerprint"`
	PreviousDigestS3Bucket     *string `json:"previousDigestS3Bucket"`
	PreviousDigestS3Object     *string `json:"previousDigestS3Object"`
	PreviousDigestHashValue    *string `json:"previousDigestHashValue"`
	PreviousDigestSignature    *string `json:"previousDigestSignature"`
	LogFiles                   []struct {
		S3Bucket  string `json:"s3Bucket"`
		S3Object  string `json:"s3Object"`
		HashValue string `json:"hashValue"`
	} `json:"logFiles"`
}

// requiredDigestKeys must be present (previousDigestSignature may be
// null), as the AWS CLI's validator requires.
var requiredDigestKeys = []string{"digestPublicKeyFingerprint", "digestS3Bucket", "digestS3Object", "previousDigestSignature", "digestEndTime", "digestStartTime"}

// loadedDigest is a digest read and checked.
type loadedDigest struct {
	file      DigestFile
	doc       digestDoc
	signature string
	hash      string // SHA-256 of the inflated digest
	valid     bool
}

// Validate checks, for each trail (account × region with digests in the
// range), the digest chain of [Since, Until] as the AWS CLI's
// validate-logs does, and every log file the valid digests list:
//
//   - each digest's signature (SHA256withRSA, the key of its
//     digestPublicKeyFingerprint from the account's ListPublicKeys) over
//     digestEndTime \n digestS3Bucket/digestS3Object \n
//     hex(SHA-256(inflated digest)) \n previousDigestSignature (or "null");
//   - that the digest is where it says it is (digestS3Bucket/Object);
//   - the chain: a digest's previousDigestS3Object exists (when it falls in
//     the range), its signature is previousDigestSignature and the
//     SHA-256 of its inflated content is previousDigestHashValue;
//   - each listed log file exists and the SHA-256 of its inflated content
//     is its hashValue (the CLI hashes the inflated bytes, not the gzip).
func Validate(ctx context.Context, api BucketAPI, o ValidateOptions) (*Validation, error) {
	if o.Parallel < 1 {
		o.Parallel = 8
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	until := o.Until
	if until.IsZero() {
		until = o.Now()
	}
	v := &Validation{Problems: []Problem{}, Uncovered: []string{}, Gaps: []string{}}
	covered := map[string]bool{}
	for _, acct := range o.Accounts {
		regions := o.Regions
		if regions == nil {
			var err error
			if regions, err = listRegions(ctx, api, o.Bucket, DigestsPrefix(acct), nil); err != nil {
				return nil, err
			}
		}
		var keys map[string]*rsa.PublicKey
		for _, region := range regions {
			// A digest ends the hour it covers: the range's last files
			// are in the digest of the hour after it.
			digests, seen, err := listDigests(ctx, api, o.Bucket, acct, region, o.Trail, o.HomeRegion, o.Since, until.Add(time.Hour))
			if err != nil {
				return nil, err
			}
			if len(digests) == 0 {
				continue
			}
			if keys == nil {
				if keys, err = publicKeys(ctx, o.Keys[acct], o.Since, until.Add(2*time.Hour)); err != nil {
					return nil, fmt.Errorf("public keys of account %s: %w", acct, err)
				}
			}
			tc := TrailCheck{Account: acct, Region: region}
			checkChain(ctx, api, o, digests, seen, keys, v, &tc, covered)
			v.Trails = append(v.Trails, tc)
		}
	}
	// The range's log files that no valid digest lists.
	lo := Options{Bucket: o.Bucket, Accounts: o.Accounts, Regions: o.Regions, Parallel: o.Parallel}
	files, _, err := ListFiles(ctx, api, lo, o.Since, until)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		if !covered[f.Key] {
			v.Uncovered = append(v.Uncovered, f.Key)
		}
	}
	sort.Slice(v.Problems, func(i, j int) bool {
		if v.Problems[i].Key != v.Problems[j].Key {
			return v.Problems[i].Key < v.Problems[j].Key
		}
		return v.Problems[i].Kind < v.Problems[j].Kind
	})
	return v, nil
}

// listDigests lists a trail's digests whose names' times are in
// [from, to], oldest first, by day prefix; seen holds every digest key of
// the day prefixes listed, in the range or not.
func listDigests(ctx context.Context, api ListAPI, bucket, account, region, trail, home string, from, to time.Time) (out []DigestFile, seen map[string]bool, err error) {
	seen = map[string]bool{}
	for _, d := range Days(from, to) {
		prefix := digestDayPrefix(account, region, d)
		in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)}
		for {
			page, err := api.ListObjectsV2(ctx, in)
			if err != nil {
				return nil, nil, fmt.Errorf("list s3://%s/%s: %w", bucket, prefix, err)
			}
			for _, obj := range page.Contents {
				seen[aws.ToString(obj.Key)] = true
				f, ok := ParseDigestKey(aws.ToString(obj.Key))
				if !ok || f.Trail != trail || !strings.HasSuffix(strings.TrimSuffix(strings.TrimSuffix(f.Key, ".json.gz"), "_backfill"), "_"+home+"_"+f.End.Format(digestFileTime)) {
					continue
				}
				if f.End.Before(from.Truncate(time.Second)) || f.End.After(to) {
					continue
				}
				out = append(out, f)
			}
			if !aws.ToBool(page.IsTruncated) || page.NextContinuationToken == nil {
				break
			}
			in.ContinuationToken = page.NextContinuationToken
		}
	}
	slices.SortFunc(out, func(a, b DigestFile) int {
		if c := a.End.Compare(b.End); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out, seen, nil
}

// publicKeys returns an account's digest keys by fingerprint.
func publicKeys(ctx context.Context, api KeysAPI, from, to time.Time) (map[string]*rsa.PublicKey, error) {
	if api == nil {
		return nil, errors.New("no CloudTrail client")
	}
	out := map[string]*rsa.PublicKey{}
	in := &cloudtrail.ListPublicKeysInput{StartTime: aws.Time(from.Add(-time.Hour)), EndTime: aws.Time(to)}
	for {
		page, err := api.ListPublicKeys(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, k := range page.PublicKeyList {
			if pub, err := parsePublicKey(k.Value); err == nil {
				out[aws.ToString(k.Fingerprint)] = pub
			}
		}
		if page.NextToken == nil || aws.ToString(page.NextToken) == "" {
			return out, nil
		}
		in.NextToken = page.NextToken
	}
}

// parsePublicKey reads a ListPublicKeys value: the base64 text of a DER
// PKCS #1 RSA key (what the AWS CLI decodes), or the DER itself.
func parsePublicKey(v []byte) (*rsa.PublicKey, error) {
	der := v
	if d, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(v))); err == nil {
		der = d
	}
	if k, err := x509.ParsePKCS1PublicKey(der); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, err
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("not an RSA key")
	}
	return rk, nil
}

// StringToSign is what a digest's signature signs, as the AWS CLI's
// validator builds it.
func StringToSign(endTime, bucket, key string, inflated []byte, previousSignature *string) string {
	prev := "null"
	if previousSignature != nil {
		prev = *previousSignature
	}
	h := sha256.Sum256(inflated)
	return endTime + "\n" + bucket + "/" + key + "\n" + hex.EncodeToString(h[:]) + "\n" + prev
}

// loadDigest reads a digest and checks its format, place and signature.
func loadDigest(ctx context.Context, api GetAPI, bucket string, f DigestFile, keys map[string]*rsa.PublicKey) (*loadedDigest, *Problem) {
	out, err := api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(f.Key)})
	if err != nil {
		if isNotFound(err) {
			return nil, &Problem{Kind: MissingDigest, Key: f.Key, Detail: "listed, then not found"}
		}
		return nil, &Problem{Kind: InvalidDigest, Key: f.Key, Detail: err.Error()}
	}
	defer out.Body.Close()
	inflated, err := inflate(out.Body)
	if err != nil {
		return nil, &Problem{Kind: InvalidDigest, Key: f.Key, Detail: "invalid format: " + err.Error()}
	}
	d := &loadedDigest{file: f}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(inflated, &fields); err != nil {
		return nil, &Problem{Kind: InvalidDigest, Key: f.Key, Detail: "invalid format: " + err.Error()}
	}
	for _, k := range requiredDigestKeys {
		if _, ok := fields[k]; !ok {
			return nil, &Problem{Kind: InvalidDigest, Key: f.Key, Detail: "invalid format: no " + k}
		}
	}
	if err := json.Unmarshal(inflated, &d.doc); err != nil {
		return nil, &Problem{Kind: InvalidDigest, Key: f.Key, Detail: "invalid format: " + err.Error()}
	}
	if d.doc.DigestS3Bucket != bucket || d.doc.DigestS3Object != f.Key {
		return nil, &Problem{Kind: InvalidDigest, Key: f.Key, Detail: "moved from where it was delivered (" + d.doc.DigestS3Bucket + "/" + d.doc.DigestS3Object + ")"}
	}
	d.signature = out.Metadata["signature"]
	if d.signature == "" || out.Metadata["signature-algorithm"] == "" {
		return nil, &Problem{Kind: InvalidDigest, Key: f.Key, Detail: "no signature in its metadata"}
	}
	if alg := out.Metadata["signature-algorithm"]; alg != "SHA256withRSA" {
		return nil, &Problem{Kind: InvalidDigest, Key: f.Key, Detail: "signature algorithm " + alg + ", not SHA256withRSA"}
	}
	pub, ok := keys[d.doc.DigestPublicKeyFingerprint]
	if !ok {
		return nil, &Problem{Kind: InvalidDigest, Key: f.Key, Detail: "no public key with fingerprint " + d.doc.DigestPublicKeyFingerprint}
	}
	sig, err := hex.DecodeString(d.signature)
	if err != nil {
		return nil, &Problem{Kind: InvalidDigest, Key: f.Key, Detail: "signature is not hex"}
	}
	msg := sha256.Sum256([]byte(StringToSign(d.doc.DigestEndTime, d.doc.DigestS3Bucket, d.doc.DigestS3Object, inflated, d.doc.PreviousDigestSignature)))
	if rsa.VerifyPKCS1v15(pub, crypto.SHA256, msg[:], sig) != nil {
		return nil, &Problem{Kind: InvalidDigest, Key: f.Key, Detail: "signature verification failed"}
	}
	h := sha256.Sum256(inflated)
	d.hash = hex.EncodeToString(h[:])
	d.valid = true
	return d, nil
}

// checkChain validates one trail's digests (oldest first) and their log
// files.
func checkChain(ctx context.Context, api BucketAPI, o ValidateOptions, files []DigestFile, seen map[string]bool, keys map[string]*rsa.PublicKey, v *Validation, tc *TrailCheck, covered map[string]bool) {
	loaded := make([]*loadedDigest, len(files))
	problems := make([]*Problem, len(files))
	_ = parallel(ctx, o.Parallel, len(files), func(ctx context.Context, i int) error {
		loaded[i], problems[i] = loadDigest(ctx, api, o.Bucket, files[i], keys)
		return nil
	})
	byKey := map[string]*loadedDigest{}
	listed := map[string]bool{}
	for i, f := range files {
		listed[f.Key] = true
		if loaded[i] != nil {
			byKey[f.Key] = loaded[i]
		}
	}
	tc.Digests = len(files)
	type logRef struct{ key, hash string }
	var logs []logRef
	first := true
	for i, f := range files {
		if problems[i] != nil {
			v.Problems = append(v.Problems, *problems[i])
			continue
		}
		d := loaded[i]
		tc.ValidDigests++
		for _, lf := range d.doc.LogFiles {
			if lf.S3Bucket != o.Bucket {
				continue
			}
			covered[lf.S3Object] = true
			logs = append(logs, logRef{lf.S3Object, lf.HashValue})
		}
		if f.Backfill {
			continue
		}
		prevKey := d.doc.PreviousDigestS3Object
		if prevKey == nil || d.doc.PreviousDigestSignature == nil {
			if !first {
				v.Gaps = append(v.Gaps, f.Key)
			}
			first = false
			continue
		}
		first = false
		prevFile, ok := ParseDigestKey(*prevKey)
		prev, have := byKey[*prevKey]
		switch {
		case have:
			if prev.signature != *d.doc.PreviousDigestSignature {
				v.Problems = append(v.Problems, Problem{Kind: BrokenChain, Key: f.Key, Detail: "its previousDigestSignature is not the signature of " + *prevKey})
			} else if d.doc.PreviousDigestHashValue != nil && *d.doc.PreviousDigestHashValue != prev.hash {
				v.Problems = append(v.Problems, Problem{Kind: BrokenChain, Key: f.Key, Detail: "its previousDigestHashValue is not the SHA-256 of " + *prevKey})
			}
		case listed[*prevKey]:
			// The previous digest failed on its own: reported above.
		case seen[*prevKey]:
			// Before the range: not this run's to check.
		case ok && !prevFile.End.Before(dayOf(o.Since)):
			// Its day prefix was listed and it is not there.
			v.Problems = append(v.Problems, Problem{Kind: MissingDigest, Key: *prevKey, Detail: "named as the previous digest of " + f.Key})
		}
	}
	// Every listed log file: present, and its inflated content hashes to
	// what the digest says.
	results := make([]*Problem, len(logs))
	_ = parallel(ctx, o.Parallel, len(logs), func(ctx context.Context, i int) error {
		results[i] = checkLog(ctx, api, o.Bucket, logs[i].key, logs[i].hash)
		return nil
	})
	tc.LogFiles = len(logs)
	for _, p := range results {
		if p != nil {
			v.Problems = append(v.Problems, *p)
		} else {
			tc.ValidLogs++
		}
	}
}

// dayOf is the start of t's UTC day.
func dayOf(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }

func checkLog(ctx context.Context, api GetAPI, bucket, key, want string) *Problem {
	out, err := api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		if isNotFound(err) {
			return &Problem{Kind: MissingLog, Key: key, Detail: "listed in a digest, not in the bucket"}
		}
		return &Problem{Kind: UnreadableLog, Key: key, Detail: err.Error()}
	}
	defer out.Body.Close()
	h := sha256.New()
	zr, err := gzip.NewReader(out.Body)
	if err == nil {
		_, err = io.Copy(h, zr)
	}
	if err != nil {
		return &Problem{Kind: AlteredLog, Key: key, Detail: "not a gzip file any more: " + err.Error()}
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return &Problem{Kind: AlteredLog, Key: key, Detail: "SHA-256 " + got + ", the digest says " + want}
	}
	return nil
}

func inflate(r io.Reader) ([]byte, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if _, err := io.Copy(&b, zr); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// isNotFound tells S3's NoSuchKey (and a HEAD's 404) apart.
func isNotFound(err error) bool {
	var nsk *s3types.NoSuchKey
	var nf *s3types.NotFound
	if errors.As(err, &nsk) || errors.As(err, &nf) {
		return true
	}
	var ae smithy.APIError
	return errors.As(err, &ae) && (ae.ErrorCode() == "NoSuchKey" || ae.ErrorCode() == "NotFound")
}
