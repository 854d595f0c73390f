package sandbox

// Delivery: each logging trail's records go to its bucket as one gzip JSON
// file per region and interval, at CloudTrail's key layout; with log file
// validation on, a digest file per region and interval lists the log files
// delivered since the last one, signed (SHA256withRSA) and chained to the
// previous digest as the AWS CloudTrail User Guide's "CloudTrail digest
// file structure" describes and the AWS CLI's validate-logs checks. Every
// object is written as cloudtrail.amazonaws.com through the gateway's own
// S3 path, so the bucket's policy decides, with aws:SourceArn,
// aws:SourceAccount and s3:x-amz-acl as CloudTrail sends them.

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"
)

// logFileRef is a delivered log file, as the next digest lists it.
type logFileRef struct {
	Bucket string `json:"s3Bucket"`
	Key    string `json:"s3Object"`
	Hash   string `json:"hashValue"`
	Algo   string `json:"hashAlgorithm"`
	Newest string `json:"newestEventTime"`
	Oldest string `json:"oldestEventTime"`
}

// digChain is the last digest of a trail in a region: where the next one
// points back to.
type digChain struct {
	Bucket    string    `json:"bucket"`
	Key       string    `json:"key"`
	Hash      string    `json:"hash"`
	Signature string    `json:"signature"`
	End       time.Time `json:"end"`
}

// run delivers log files every delivery interval (or when a buffer is
// full) and digests every digest interval, until close; then it delivers
// what is left.
func (ct *cloudTrail) run() {
	defer close(ct.done)
	logs := time.NewTicker(ct.delivery)
	digests := time.NewTicker(ct.digest)
	defer logs.Stop()
	defer digests.Stop()
	ctx := context.Background()
	for {
		select {
		case <-ct.stop:
			// The last records, and a digest that covers them, so that a
			// sandbox stopped now leaves nothing undigested behind.
			ct.deliverAll(ctx)
			ct.digestAll(ctx)
			return
		case <-logs.C:
			ct.deliverAll(ctx)
		case <-ct.kick:
			ct.deliverAll(ctx)
		case <-digests.C:
			ct.digestAll(ctx)
		}
	}
}

// trailCopy is a trail's settings at delivery time.
func (ct *cloudTrail) trailCopy(key string) (trail, bool) {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	t := ct.trails[key]
	if t == nil {
		return trail{}, false
	}
	return *t, true
}

// deliverAll writes every trail's buffered records.
func (ct *cloudTrail) deliverAll(ctx context.Context) {
	ct.mu.Lock()
	retired := ct.retired
	ct.retired = nil
	ct.mu.Unlock()
	if n := ct.droppedPending.Swap(0); n > 0 {
		ct.g.sb.logf("sandbox: cloudtrail: %d requests not recorded: more than %d waited to become records", n, maxPending)
	}
	sinks := append(slices.Clone(*ct.sinks.Load()), retired...)
	for _, s := range sinks {
		recs := s.take()
		if n := s.takeDropped(); n > 0 {
			ct.mu.Lock()
			if t := ct.trails[s.key]; t != nil {
				t.DroppedRecords += n
			}
			ct.mu.Unlock()
			ct.g.sb.logf("sandbox: trail %s: %d records dropped: more than %d waited for one delivery", s.key, n, maxBuffered)
		}
		if len(recs) == 0 {
			continue
		}
		t, ok := ct.trailCopy(s.key)
		if !ok {
			continue // deleted: what it held goes nowhere
		}
		byRegion := map[string][]*ctRecord{}
		for _, r := range recs {
			byRegion[r.AWSRegion] = append(byRegion[r.AWSRegion], r)
		}
		for _, region := range slices.Sorted(maps.Keys(byRegion)) {
			if err := ct.deliverLog(ctx, &t, region, byRegion[region]); err != nil && !slices.Contains(retired, s) {
				s.putBack(byRegion[region])
			}
		}
	}
}

func (s *trailSink) takeDropped() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.dropped
	s.dropped = 0
	return n
}

// logKey is a log file's key:
// [prefix/]AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<unique>.json.gz
func logKey(t *trail, region string, at time.Time, unique string) string {
	at = at.UTC()
	return t.keyPrefix() + "CloudTrail/" + region + "/" + at.Format("2006/01/02") + "/" + t.Account + "_CloudTrail_" + region + "_" +
		at.Format("20060102T1504Z") + "_" + unique + ".json.gz"
}

// digestKey is a digest file's key:
// [prefix/]AWSLogs/<account>/CloudTrail-Digest/<region>/YYYY/MM/DD/<account>_CloudTrail-Digest_<region>_<trail>_<home region>_<YYYYMMDDTHHmmssZ>.json.gz
func digestKey(t *trail, region string, end time.Time) string {
	end = end.UTC()
	return t.keyPrefix() + "CloudTrail-Digest/" + region + "/" + end.Format("2006/01/02") + "/" + t.Account + "_CloudTrail-Digest_" + region + "_" +
		t.Name + "_" + t.HomeRegion + "_" + end.Format("20060102T150405Z") + ".json.gz"
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// uniqueID is the 16 random letters and digits that end a log file's name.
func uniqueID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alnum[int(b[i])%len(alnum)]
	}
	return string(b)
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}

// deliverLog writes one log file of the trail's records of one region
// and, with validation on, keeps it for the region's next digest.
func (ct *cloudTrail) deliverLog(ctx context.Context, t *trail, region string, recs []*ctRecord) error {
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].time.Before(recs[j].time) })
	raw, err := json.Marshal(struct {
		Records []*ctRecord `json:"Records"`
	}{recs})
	if err != nil {
		return err
	}
	now := ct.now()
	key := logKey(t, region, now, uniqueID())
	code, err := ct.put(ctx, t, key, gzipBytes(raw), nil)
	ct.mu.Lock()
	defer ct.mu.Unlock()
	live := ct.trails[t.Account+"/"+t.Name]
	if live == nil {
		return nil
	}
	live.LatestDeliveryTry = now
	if err != nil {
		if live.LatestDeliveryErr != code {
			// Once per change of error: the code, never a credential.
			ct.g.sb.logf("sandbox: trail %s: log file delivery to s3://%s refused: %s", t.arn(), t.Bucket, code)
		}
		live.LatestDeliveryErr = code
		return err
	}
	live.LatestDelivery, live.LatestDeliveryOK, live.LatestDeliveryErr = now, now, ""
	if live.LogFileValidation {
		sum := sha256.Sum256(raw)
		if live.pendingLogs == nil {
			live.pendingLogs = map[string][]logFileRef{}
		}
		live.pendingLogs[region] = append(live.pendingLogs[region], logFileRef{Bucket: t.Bucket, Key: key, Hash: hex.EncodeToString(sum[:]),
			Algo: "SHA-256", Oldest: recs[0].EventTime, Newest: recs[len(recs)-1].EventTime})
	}
	return nil
}

// regions are the regions whose digests a trail writes: its home region,
// and us-east-1 where CloudTrail records the global services' events.
func (t *trail) regions() []string {
	r := []string{t.HomeRegion}
	if t.IncludeGlobal && t.HomeRegion != "us-east-1" && t.MultiRegion {
		r = append(r, "us-east-1")
	}
	return r
}

// digestAll writes a digest for every logging trail with validation on,
// in each of its regions, whether or not log files were delivered since
// the last one (AWS does the same).
func (ct *cloudTrail) digestAll(ctx context.Context) {
	ct.mu.Lock()
	var keys []string
	for k, t := range ct.trails {
		if t.Logging && t.LogFileValidation {
			keys = append(keys, k)
		}
	}
	ct.mu.Unlock()
	sort.Strings(keys)
	for _, k := range keys {
		t, ok := ct.trailCopy(k)
		if !ok {
			continue
		}
		for _, region := range t.regions() {
			ct.deliverDigest(ctx, &t, region)
		}
	}
}

// digestFile is a digest's content, its fields in AWS's order.
type digestFile struct {
	AWSAccountID                string       `json:"awsAccountId"`
	DigestStartTime             string       `json:"digestStartTime"`
	DigestEndTime               string       `json:"digestEndTime"`
	DigestS3Bucket              string       `json:"digestS3Bucket"`
	DigestS3Object              string       `json:"digestS3Object"`
	DigestPublicKeyFingerprint  string       `json:"digestPublicKeyFingerprint"`
	DigestSignatureAlgorithm    string       `json:"digestSignatureAlgorithm"`
	NewestEventTime             *string      `json:"newestEventTime"`
	OldestEventTime             *string      `json:"oldestEventTime"`
	PreviousDigestS3Bucket      *string      `json:"previousDigestS3Bucket"`
	PreviousDigestS3Object      *string      `json:"previousDigestS3Object"`
	PreviousDigestHashValue     *string      `json:"previousDigestHashValue"`
	PreviousDigestHashAlgorithm *string      `json:"previousDigestHashAlgorithm"`
	PreviousDigestSignature     *string      `json:"previousDigestSignature"`
	LogFiles                    []logFileRef `json:"logFiles"`
}

// digestStringToSign is what a digest's signature covers: its end time,
// its place, the SHA-256 of its uncompressed content, and the previous
// digest's signature ("null" for the first of a chain).
func digestStringToSign(end, bucket, key string, content []byte, prevSig string) []byte {
	if prevSig == "" {
		prevSig = "null"
	}
	sum := sha256.Sum256(content)
	return []byte(end + "\n" + bucket + "/" + key + "\n" + hex.EncodeToString(sum[:]) + "\n" + prevSig)
}

// buildDigest makes a digest's content and signature.
func buildDigest(t *trail, region string, start, end time.Time, logs []logFileRef, prev *digChain, key *digestKeyPair) (content []byte, sig string, err error) {
	d := digestFile{
		AWSAccountID: t.Account, DigestStartTime: start.UTC().Format(ctTime), DigestEndTime: end.UTC().Format(ctTime),
		DigestS3Bucket: t.Bucket, DigestS3Object: digestKey(t, region, end), DigestPublicKeyFingerprint: key.fingerprint,
		DigestSignatureAlgorithm: "SHA256withRSA", LogFiles: logs,
	}
	if d.LogFiles == nil {
		d.LogFiles = []logFileRef{}
	}
	for _, l := range logs {
		if d.NewestEventTime == nil || l.Newest > *d.NewestEventTime {
			d.NewestEventTime = &l.Newest
		}
		if d.OldestEventTime == nil || l.Oldest < *d.OldestEventTime {
			d.OldestEventTime = &l.Oldest
		}
	}
	prevSig := ""
	if prev != nil {
		algo := "SHA-256"
		d.PreviousDigestS3Bucket, d.PreviousDigestS3Object, d.PreviousDigestHashValue = &prev.Bucket, &prev.Key, &prev.Hash
		d.PreviousDigestHashAlgorithm, d.PreviousDigestSignature = &algo, &prev.Signature
		prevSig = prev.Signature
	}
	content, err = json.Marshal(d)
	if err != nil {
		return nil, "", err
	}
	h := sha256.Sum256(digestStringToSign(d.DigestEndTime, d.DigestS3Bucket, d.DigestS3Object, content, prevSig))
	s, err := rsa.SignPKCS1v15(rand.Reader, key.priv, crypto.SHA256, h[:])
	if err != nil {
		return nil, "", err
	}
	return content, hex.EncodeToString(s), nil
}

// deliverDigest writes the trail's next digest for one region.
func (ct *cloudTrail) deliverDigest(ctx context.Context, t *trail, region string) {
	key, err := ct.keys.current()
	if err != nil {
		ct.g.sb.logf("sandbox: trail %s: no signing key: %v", t.arn(), err)
		return
	}
	end := ct.now().UTC().Truncate(time.Second)
	ct.mu.Lock()
	live := ct.trails[t.Account+"/"+t.Name]
	if live == nil {
		ct.mu.Unlock()
		return
	}
	prev := live.Chains[region]
	start := live.StartLogging
	if prev != nil {
		start = prev.End
	}
	logs := slices.Clone(live.pendingLogs[region])
	ct.mu.Unlock()
	if !end.After(start) {
		return // one digest per second at most: its key names the second
	}
	content, sig, err := buildDigest(t, region, start, end, logs, prev, key)
	if err != nil {
		return
	}
	dkey := digestKey(t, region, end)
	code, err := ct.put(ctx, t, dkey, gzipBytes(content), map[string]string{"signature": sig, "signature-algorithm": "SHA256withRSA"})
	ct.mu.Lock()
	defer ct.mu.Unlock()
	if live = ct.trails[t.Account+"/"+t.Name]; live == nil {
		return
	}
	if err != nil {
		if live.LatestDigestErr != code {
			ct.g.sb.logf("sandbox: trail %s: digest delivery to s3://%s refused: %s", t.arn(), t.Bucket, code)
		}
		live.LatestDigestErr = code
		return
	}
	sum := sha256.Sum256(content)
	if live.Chains == nil {
		live.Chains = map[string]*digChain{}
	}
	live.Chains[region] = &digChain{Bucket: t.Bucket, Key: dkey, Hash: hex.EncodeToString(sum[:]), Signature: sig, End: end}
	if len(logs) > 0 && len(live.pendingLogs[region]) >= len(logs) {
		// Only what this digest listed: a file delivered meanwhile waits
		// for the next one.
		live.pendingLogs[region] = live.pendingLogs[region][len(logs):]
	}
	live.LatestDigest, live.LatestDigestErr = ct.now(), ""
	ct.saveLocked()
}

// bufferWriter is the ResponseWriter of the sandbox's own S3 requests.
type bufferWriter struct {
	h      http.Header
	status int
	body   bytes.Buffer
}

func (w *bufferWriter) Header() http.Header { return w.h }
func (w *bufferWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *bufferWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}

// put writes one object as cloudtrail.amazonaws.com for trail t, through
// the gateway's S3 path: authorized by the bucket's policy alone (a service
// principal has no identity policies), owned by the bucket owner. On a
// refusal it returns S3's error code.
func (ct *cloudTrail) put(ctx context.Context, t *trail, key string, body []byte, meta map[string]string) (string, error) {
	u := &url.URL{Scheme: "https", Host: "localhost", Path: "/" + t.Bucket + "/" + key}
	r, err := http.NewRequestWithContext(ctx, http.MethodPut, u.String(), bytes.NewReader(body))
	if err != nil {
		return "InternalError", err
	}
	r.URL.Path, r.URL.RawPath = u.Path, ""
	sum := sha256.Sum256(body)
	r.Header.Set("X-Amz-Acl", "bucket-owner-full-control")
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Content-Encoding", "gzip")
	r.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
	for k, v := range meta {
		r.Header.Set("X-Amz-Meta-"+k, v)
	}
	r.ContentLength = int64(len(body))
	var owner string
	ct.g.st.view(func() {
		if m := ct.g.st.Buckets[t.Bucket]; m != nil {
			owner = m.Owner
		}
	})
	cx := deliveryContext(t, owner)
	delete(cx, "aws:ResourceAccount")
	delete(cx, "s3:ResourceAccount")
	w := &bufferWriter{h: http.Header{}}
	c := &call{w: w, r: r, secure: true, sourceIP: cloudTrailPrincipal, service: "s3", region: ct.g.sb.Region, reqID: newRequestID(),
		payload: hex.EncodeToString(sum[:]),
		cred:    &credential{Principal: principal{Kind: "service", ARN: cloudTrailPrincipal, ServiceContext: cx}}}
	ct.g.serveS3(c)
	if w.status/100 == 2 {
		return "", nil
	}
	code := between(w.body.String(), "<Code>", "</Code>")
	if code == "" {
		code = http.StatusText(w.status)
	}
	return code, errors.New(code)
}

// digestKeyPair is the RSA key digests are signed with, and its public half as
// ListPublicKeys shows it: PKCS #1 DER, fingerprinted by the hex MD5 of
// those bytes.
type digestKeyPair struct {
	priv                *rsa.PrivateKey
	der                 []byte
	fingerprint         string
	notBefore, notAfter time.Time
}

// signingKeys is the sandbox's digest signing key, made on first use and
// kept in the data dir (cloudtrail-signing-key.pem, 0600), so that digests
// written before a restart still validate after it.
type signingKeys struct {
	path string
	mu   sync.Mutex
	key  *digestKeyPair
}

// keyValidity is how long a signing key is valid for: AWS rotates its
// keys; the sandbox's lives as long as its data dir, within a year.
const keyValidity = 365 * 24 * time.Hour

func loadSigningKeys(dir string) (*signingKeys, error) {
	ks := &signingKeys{}
	if dir == "" {
		return ks, nil
	}
	ks.path = filepath.Join(dir, "cloudtrail-signing-key.pem")
	b, err := os.ReadFile(ks.path)
	if errors.Is(err, os.ErrNotExist) {
		return ks, nil
	}
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "RSA PRIVATE KEY" {
		return nil, fmt.Errorf("sandbox: %s holds no RSA private key", ks.path)
	}
	priv, err := x509.ParsePKCS1PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %s: %w", ks.path, err)
	}
	created, err := time.Parse(time.RFC3339, blk.Headers["Created"])
	if err != nil {
		return nil, fmt.Errorf("sandbox: %s: no Created header: %w", ks.path, err)
	}
	ks.key = newSigningKey(priv, created)
	return ks, nil
}

func newSigningKey(priv *rsa.PrivateKey, created time.Time) *digestKeyPair {
	der := x509.MarshalPKCS1PublicKey(&priv.PublicKey)
	sum := md5.Sum(der)
	return &digestKeyPair{priv: priv, der: der, fingerprint: hex.EncodeToString(sum[:]), notBefore: created.UTC(), notAfter: created.UTC().Add(keyValidity)}
}

// current is the key, made (and saved) when there is none yet.
func (ks *signingKeys) current() (*digestKeyPair, error) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if ks.key != nil {
		return ks.key, nil
	}
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	created := time.Now().UTC().Truncate(time.Second)
	if ks.path != "" {
		b := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Headers: map[string]string{"Created": created.Format(time.RFC3339)},
			Bytes: x509.MarshalPKCS1PrivateKey(priv)})
		if err := os.WriteFile(ks.path, b, 0o600); err != nil {
			return nil, err
		}
	}
	ks.key = newSigningKey(priv, created)
	return ks.key, nil
}

// all are the keys ListPublicKeys shows.
func (ks *signingKeys) all() []*digestKeyPair {
	k, err := ks.current()
	if err != nil {
		return nil
	}
	return []*digestKeyPair{k}
}
