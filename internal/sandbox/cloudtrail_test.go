package sandbox

import (
	"bytes"
	"crypto"
	"crypto/md5"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/cloudtrail/*/want.json")

// testTrailGateway is a gateway with what recording reads: the region, the
// accounts, and the bucket owners.
func testTrailGateway() *gateway {
	st := &state{Buckets: map[string]*bucketMeta{"prod-data": {Owner: "222222222222"}, "logs": {Owner: "333333333333"}}}
	sb := &Sandbox{Region: "us-east-1", accounts: map[string]*backend{"111111111111": {}, "222222222222": {}, "333333333333": {}},
		logf: func(string, ...any) {}}
	g := &gateway{sb: sb, st: st}
	g.trail = &cloudTrail{g: g, now: time.Now}
	return g
}

var (
	recordTime = time.Date(2026, 3, 1, 12, 30, 45, 0, time.UTC)
	issued     = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	devUser    = &credential{AccessKey: "AKIAEXAMPLEUSER00001", Principal: principal{Account: "111111111111", Kind: "user",
		ARN: "arn:aws:iam::111111111111:user/alice", UserName: "alice", UserID: "AIDAEXAMPLEALICE0001"}}
	aliceSession = &credential{AccessKey: "ASIAEXAMPLESESSION01", Token: "secret-token", Issued: issued, Principal: principal{
		Account: "222222222222", Kind: "session", ARN: "arn:aws:sts::222222222222:assumed-role/acme-data-developers/alice",
		RoleName: "acme-data-developers", RoleARN: "arn:aws:iam::222222222222:role/acme-data-developers", RoleID: "AROAEXAMPLEDEVROLE01",
		SessionName: "alice", SourceIdentity: "alice"}}
)

// servedRequest is a request as the gateway leaves it for its record.
func servedRequest(t *testing.T, service, method, target string, body string, cred *credential, status int, respHead string) *served {
	t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.Header.Set("User-Agent", "aws-sdk-go-v2/1.41.0 os/linux")
	r.TLS = &tls.ConnectionState{Version: tls.VersionTLS13, CipherSuite: tls.TLS_AES_128_GCM_SHA256}
	if service == "cloudtrail" {
		r.Header.Set("X-Amz-Target", "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.StopLogging")
	}
	s := &served{start: recordTime, service: service, region: "us-east-1", r: r, cred: cred, sourceIP: "192.0.2.10", reqID: "REQUEST0001",
		status: status, head: []byte(respHead), bytesOut: int64(len(respHead)), bodyLen: len(body)}
	if service != "s3" {
		s.body = []byte(body)
	}
	return s
}

// TestTrailRecordShape compares each kind of caller and request with its
// record as AWS writes it (testdata/cloudtrail/<case>/want.json; -update
// rewrites them). The random IDs are fixed before comparing.
func TestTrailRecordShape(t *testing.T) {
	t.Parallel()
	g := testTrailGateway()
	cases := []struct {
		name       string
		s          *served
		recipients []string
	}{
		{"s3-put-by-role-session", servedRequest(t, "s3", http.MethodPut, "https://127.0.0.1:4566/prod-data/in/report.csv", "a,b", aliceSession, 200, ""), []string{"222222222222"}},
		{"s3-get-refused-cross-account", servedRequest(t, "s3", http.MethodGet, "https://127.0.0.1:4566/prod-data/in/report.csv", "", devUser, 403,
			`<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>User: arn:aws:iam::111111111111:user/alice is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::prod-data/in/report.csv because no resource-based policy allows the s3:GetObject action</Message></Error>`),
			[]string{"222222222222", "111111111111"}},
		{"s3-list-v2", servedRequest(t, "s3", http.MethodGet, "https://127.0.0.1:4566/prod-data?list-type=2&prefix=in%2F", "", aliceSession, 200, ""), []string{"222222222222"}},
		{"s3-put-bucket-policy", servedRequest(t, "s3", http.MethodPut, "https://127.0.0.1:4566/prod-data?policy", `{"Version":"2012-10-17"}`, aliceSession, 204, ""), []string{"222222222222"}},
		{"iam-put-role-policy-by-user", servedRequest(t, "iam", http.MethodPost, "https://127.0.0.1:4566/",
			"Action=PutRolePolicy&Version=2010-05-08&RoleName=acme-data-developers&PolicyName=p&PolicyDocument=%7B%7D", devUser, 200, ""), []string{"111111111111"}},
		{"sts-assume-role-cross-account", servedRequest(t, "sts", http.MethodPost, "https://127.0.0.1:4566/",
			"Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A222222222222%3Arole%2Facme-data-developers&RoleSessionName=alice&SourceIdentity=alice&DurationSeconds=3600",
			devUser, 200, `<AssumeRoleResponse><AssumeRoleResult><SourceIdentity>alice</SourceIdentity><AssumedRoleUser><AssumedRoleId>AROAEXAMPLEDEVROLE01:alice</AssumedRoleId><Arn>arn:aws:sts::222222222222:assumed-role/acme-data-developers/alice</Arn></AssumedRoleUser><Credentials><AccessKeyId>ASIAEXAMPLESESSION01</AccessKeyId><SecretAccessKey>must-not-appear</SecretAccessKey><SessionToken>must-not-appear</SessionToken><Expiration>2026-03-01T13:30:45Z</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>`),
			[]string{"222222222222", "111111111111"}},
		{"cloudtrail-stop-logging-refused", servedRequest(t, "cloudtrail", http.MethodPost, "https://127.0.0.1:4566/",
			`{"Name":"acme-data"}`, aliceSession, 400, `{"__type":"AccessDeniedException","message":"User: arn:aws:sts::222222222222:assumed-role/acme-data-developers/alice is not authorized to perform: cloudtrail:StopLogging"}`),
			[]string{"222222222222"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ev := g.trail.event(tc.s)
			if ev == nil {
				t.Fatal("no record")
			}
			if diff := cmp.Diff(tc.recipients, ev.recipients); diff != "" {
				t.Errorf("recipients (-want +got):\n%s", diff)
			}
			if len(ev.rec.EventID) != 36 {
				t.Errorf("eventID %q is not a UUID", ev.rec.EventID)
			}
			ev.rec.EventID = "00000000-0000-4000-8000-000000000001"
			if ev.rec.SharedEventID != "" {
				ev.rec.SharedEventID = "00000000-0000-4000-8000-000000000002"
			}
			got, err := json.MarshalIndent(ev.rec, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(got, []byte("must-not-appear")) || bytes.Contains(got, []byte("secret-token")) {
				t.Fatalf("a secret is in the record:\n%s", got)
			}
			path := filepath.Join("testdata", "cloudtrail", tc.name, "want.json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to write it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)+"\n"); diff != "" {
				t.Errorf("record (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTrailSelectors: which trail settings log which events.
func TestTrailSelectors(t *testing.T) {
	t.Parallel()
	yes, no := true, false
	put := eventFacts{category: "Data", name: "PutObject", source: "s3.amazonaws.com", dataType: "AWS::S3::Object", dataARN: "arn:aws:s3:::prod-data/in/a.csv"}
	get := put
	get.name, get.readOnly = "GetObject", true
	other := put
	other.dataARN = "arn:aws:s3:::prod-data-2/in/a.csv"
	createRole := eventFacts{category: "Management", name: "CreateRole", source: "iam.amazonaws.com", global: true}
	getRole := eventFacts{category: "Management", name: "GetRole", source: "iam.amazonaws.com", readOnly: true, global: true}
	invoke := eventFacts{category: "Data", name: "Invoke", source: "lambda.amazonaws.com", dataType: "AWS::Lambda::Function",
		dataARN: "arn:aws:lambda:us-east-1:222222222222:function:f"}

	mgmt := advancedSelector{FieldSelectors: []fieldSelector{{Field: "eventCategory", Equals: []string{"Management"}}}}
	data := func(extra ...fieldSelector) advancedSelector {
		return advancedSelector{FieldSelectors: append([]fieldSelector{{Field: "eventCategory", Equals: []string{"Data"}},
			{Field: "resources.type", Equals: []string{"AWS::S3::Object"}}, {Field: "resources.ARN", StartsWith: []string{"arn:aws:s3:::prod-data/"}}}, extra...)}
	}
	cases := []struct {
		name     string
		basic    []eventSelector
		advanced []advancedSelector
		ev       eventFacts
		want     bool
	}{
		{"default: management", nil, nil, createRole, true},
		{"default: no data events", nil, nil, put, false},
		{"advanced management only: a write", nil, []advancedSelector{mgmt}, createRole, true},
		{"advanced management only: no data", nil, []advancedSelector{mgmt}, put, false},
		{"advanced data on the bucket: its object", nil, []advancedSelector{mgmt, data()}, put, true},
		{"advanced data on the bucket: a bucket whose name starts the same", nil, []advancedSelector{mgmt, data()}, other, false},
		{"advanced data write-only: a read is left out", nil, []advancedSelector{data(fieldSelector{Field: "readOnly", Equals: []string{"false"}})}, get, false},
		{"advanced data write-only: a write is in", nil, []advancedSelector{data(fieldSelector{Field: "readOnly", Equals: []string{"false"}})}, put, true},
		{"advanced NotStartsWith leaves a prefix out", nil, []advancedSelector{data(fieldSelector{Field: "resources.ARN", NotStartsWith: []string{"arn:aws:s3:::prod-data/in/"}})}, put, false},
		{"advanced eventName Equals", nil, []advancedSelector{data(fieldSelector{Field: "eventName", Equals: []string{"GetObject", "HeadObject"}})}, get, true},
		{"advanced eventName NotEquals", nil, []advancedSelector{data(fieldSelector{Field: "eventName", NotEquals: []string{"GetObject"}})}, get, false},
		{"advanced EndsWith", nil, []advancedSelector{data(fieldSelector{Field: "resources.ARN", EndsWith: []string{".csv"}})}, put, true},
		{"advanced management read-only: a write is left out", nil, []advancedSelector{{FieldSelectors: []fieldSelector{
			{Field: "eventCategory", Equals: []string{"Management"}}, {Field: "readOnly", Equals: []string{"true"}}}}}, createRole, false},
		{"advanced Lambda type does not take S3", nil, []advancedSelector{{FieldSelectors: []fieldSelector{
			{Field: "eventCategory", Equals: []string{"Data"}}, {Field: "resources.type", Equals: []string{"AWS::Lambda::Function"}}}}}, put, false},
		{"advanced Lambda type takes Invoke", nil, []advancedSelector{{FieldSelectors: []fieldSelector{
			{Field: "eventCategory", Equals: []string{"Data"}}, {Field: "resources.type", Equals: []string{"AWS::Lambda::Function"}}}}}, invoke, true},
		{"basic WriteOnly: a read is left out", []eventSelector{{ReadWriteType: "WriteOnly", IncludeManagementEvents: &yes}}, nil, getRole, false},
		{"basic without management events", []eventSelector{{ReadWriteType: "All", IncludeManagementEvents: &no}}, nil, createRole, false},
		{"basic data resource prefix", []eventSelector{{ReadWriteType: "All", IncludeManagementEvents: &yes,
			DataResources: []dataResource{{Type: "AWS::S3::Object", Values: []string{"arn:aws:s3:::prod-data/"}}}}}, nil, put, true},
		{"basic data resource: all buckets", []eventSelector{{ReadWriteType: "All", DataResources: []dataResource{{Type: "AWS::S3::Object", Values: []string{"arn:aws:s3"}}}}}, nil, other, true},
		{"basic excluded source", []eventSelector{{ReadWriteType: "All", IncludeManagementEvents: &yes, ExcludeManagementEventSources: []string{"iam.amazonaws.com"}}}, nil, createRole, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := selects(tc.basic, tc.advanced, &tc.ev); got != tc.want {
				t.Fatalf("selects = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestTrailSelectorValidation: selectors CloudTrail refuses.
func TestTrailSelectorValidation(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		sels []advancedSelector
		ok   bool
	}{
		{"management", []advancedSelector{{FieldSelectors: []fieldSelector{{Field: "eventCategory", Equals: []string{"Management"}}}}}, true},
		{"data with type and ARN", []advancedSelector{{FieldSelectors: []fieldSelector{{Field: "eventCategory", Equals: []string{"Data"}},
			{Field: "resources.type", Equals: []string{"AWS::S3::Object"}}, {Field: "resources.ARN", StartsWith: []string{"arn:aws:s3:::b/"}}}}}, true},
		{"none", nil, false},
		{"no eventCategory", []advancedSelector{{FieldSelectors: []fieldSelector{{Field: "readOnly", Equals: []string{"true"}}}}}, false},
		{"data without a type", []advancedSelector{{FieldSelectors: []fieldSelector{{Field: "eventCategory", Equals: []string{"Data"}}}}}, false},
		{"unknown field", []advancedSelector{{FieldSelectors: []fieldSelector{{Field: "eventCategory", Equals: []string{"Management"}}, {Field: "colour", Equals: []string{"red"}}}}}, false},
		{"no condition", []advancedSelector{{FieldSelectors: []fieldSelector{{Field: "eventCategory", Equals: []string{"Management"}}, {Field: "eventName"}}}}, false},
		{"readOnly not boolean", []advancedSelector{{FieldSelectors: []fieldSelector{{Field: "eventCategory", Equals: []string{"Management"}}, {Field: "readOnly", Equals: []string{"yes"}}}}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := checkAdvanced(tc.sels)
			if (e == nil) != tc.ok {
				t.Fatalf("checkAdvanced = %v, want ok %v", e, tc.ok)
			}
			if e != nil && e.code != "InvalidEventSelectorsException" {
				t.Fatalf("code %s", e.code)
			}
		})
	}
}

// TestTrailKeyLayout: the keys of log and digest files, as the AWS CLI's
// validate-logs computes and matches them.
func TestTrailKeyLayout(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 1, 9, 5, 7, 0, time.UTC)
	tr := &trail{Account: "222222222222", Name: "acme-data", HomeRegion: "us-east-1"}
	if got, want := logKey(tr, "us-east-1", at, "ABCDEFGHIJ123456"),
		"AWSLogs/222222222222/CloudTrail/us-east-1/2026/03/01/222222222222_CloudTrail_us-east-1_20260301T0905Z_ABCDEFGHIJ123456.json.gz"; got != want {
		t.Errorf("log key\n got %s\nwant %s", got, want)
	}
	tr.Prefix = "audit"
	dk := digestKey(tr, "eu-west-1", at)
	if want := "audit/AWSLogs/222222222222/CloudTrail-Digest/eu-west-1/2026/03/01/222222222222_CloudTrail-Digest_eu-west-1_acme-data_us-east-1_20260301T090507Z.json.gz"; dk != want {
		t.Errorf("digest key\n got %s\nwant %s", dk, want)
	}
	// validate-logs reads a digest's end time from key[-24:-8].
	if got := dk[len(dk)-24 : len(dk)-8]; got != "20260301T090507Z" {
		t.Errorf("the key's time as validate-logs reads it: %s", got)
	}
	if u := uniqueID(); len(u) != 16 || strings.Trim(u, alnum) != "" {
		t.Errorf("unique part %q", u)
	}
}

// TestTrailDigestChain signs two digests and checks them the way the AWS
// CLI's validate-logs does, independently of the code that wrote them: the
// public key as ListPublicKeys serves it (PKCS #1 DER, MD5 fingerprint),
// the string to sign, the chain from the second to the first.
func TestTrailDigestChain(t *testing.T) {
	t.Parallel()
	ks, err := loadSigningKeys(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	key, err := ks.current()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.ParsePKCS1PublicKey(key.der)
	if err != nil {
		t.Fatalf("the public key is not PKCS #1 DER: %v", err)
	}
	if sum := md5.Sum(key.der); hex.EncodeToString(sum[:]) != key.fingerprint {
		t.Fatalf("fingerprint %s is not the MD5 of the key", key.fingerprint)
	}
	tr := &trail{Account: "333333333333", Name: "acme-data", HomeRegion: "us-east-1", Bucket: "logs"}
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	logs := []logFileRef{{Bucket: "logs", Key: "AWSLogs/333333333333/CloudTrail/us-east-1/2026/03/01/x.json.gz", Hash: strings.Repeat("ab", 32),
		Algo: "SHA-256", Oldest: "2026-03-01T09:00:01Z", Newest: "2026-03-01T09:00:09Z"}}
	first, sig1, err := buildDigest(tr, "us-east-1", t0, t0.Add(10*time.Second), logs, nil, key)
	if err != nil {
		t.Fatal(err)
	}
	sum1 := sha256.Sum256(first)
	prev := &digChain{Bucket: "logs", Key: digestKey(tr, "us-east-1", t0.Add(10*time.Second)), Hash: hex.EncodeToString(sum1[:]), Signature: sig1}
	second, sig2, err := buildDigest(tr, "us-east-1", t0.Add(10*time.Second), t0.Add(20*time.Second), nil, prev, key)
	if err != nil {
		t.Fatal(err)
	}

	verify := func(content []byte, sigHex string) error {
		var d map[string]any
		if err := json.Unmarshal(content, &d); err != nil {
			return err
		}
		prevSig := "null"
		if s, ok := d["previousDigestSignature"].(string); ok {
			prevSig = s
		}
		h := sha256.Sum256(content)
		toSign := d["digestEndTime"].(string) + "\n" + d["digestS3Bucket"].(string) + "/" + d["digestS3Object"].(string) + "\n" + hex.EncodeToString(h[:]) + "\n" + prevSig
		sig, err := hex.DecodeString(sigHex)
		if err != nil {
			return err
		}
		digest := sha256.Sum256([]byte(toSign))
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig)
	}
	if err := verify(first, sig1); err != nil {
		t.Fatalf("the first digest does not verify: %v", err)
	}
	if err := verify(second, sig2); err != nil {
		t.Fatalf("the second digest does not verify: %v", err)
	}
	tampered := bytes.Replace(first, []byte(strings.Repeat("ab", 32)), []byte(strings.Repeat("cd", 32)), 1)
	if err := verify(tampered, sig1); err == nil {
		t.Fatal("an edited digest still verifies")
	}

	var d1, d2 map[string]any
	_ = json.Unmarshal(first, &d1)
	_ = json.Unmarshal(second, &d2)
	for _, k := range []string{"previousDigestS3Bucket", "previousDigestS3Object", "previousDigestHashValue", "previousDigestSignature"} {
		if v, ok := d1[k]; !ok || v != nil {
			t.Errorf("the first digest's %s = %v, want null", k, v)
		}
	}
	if d2["previousDigestSignature"] != sig1 || d2["previousDigestHashValue"] != hex.EncodeToString(sum1[:]) ||
		d2["previousDigestS3Object"] != prev.Key || d2["previousDigestHashAlgorithm"] != "SHA-256" {
		t.Errorf("the second digest does not point back to the first: %v", d2)
	}
	if d2["digestStartTime"] != d1["digestEndTime"] || d1["digestPublicKeyFingerprint"] != key.fingerprint ||
		d1["digestSignatureAlgorithm"] != "SHA256withRSA" || d1["newestEventTime"] != "2026-03-01T09:00:09Z" {
		t.Errorf("digest fields: %v", d1)
	}
	if lf, ok := d2["logFiles"].([]any); !ok || len(lf) != 0 {
		t.Errorf("a digest with no log files lists %v, want []", d2["logFiles"])
	}
}

// TestTrailStateSurvivesRestart: the signing key, the trails and their
// digest chains are read back from the data dir.
func TestTrailStateSurvivesRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	g := testTrailGateway()
	ct, err := newCloudTrail(g, dir, time.Hour, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ct.keys.current()
	if err != nil {
		t.Fatal(err)
	}
	ct.mu.Lock()
	ct.trails["333333333333/t"] = &trail{Account: "333333333333", Name: "t", HomeRegion: "us-east-1", Bucket: "logs",
		Chains: map[string]*digChain{"us-east-1": {Bucket: "logs", Key: "k", Hash: "h", Signature: "s"}}}
	ct.saveLocked()
	ct.mu.Unlock()
	ct.close()
	if fi, err := os.Stat(filepath.Join(dir, "cloudtrail-signing-key.pem")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("signing key file: %v %v", fi, err)
	}

	again, err := newCloudTrail(g, dir, time.Hour, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	defer again.close()
	k2, err := again.keys.current()
	if err != nil {
		t.Fatal(err)
	}
	if k2.fingerprint != key.fingerprint || !k2.notBefore.Equal(key.notBefore) {
		t.Fatalf("key after restart %s (from %s), want %s (from %s)", k2.fingerprint, k2.notBefore, key.fingerprint, key.notBefore)
	}
	tr := again.trails["333333333333/t"]
	if tr == nil || tr.Chains["us-east-1"] == nil || tr.Chains["us-east-1"].Signature != "s" {
		t.Fatalf("trail after restart: %+v", tr)
	}
}

// TestTrailErrorOf: the error of a refusal, from each service's shape.
func TestTrailErrorOf(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, head, errType string
		status              int
		code, msg           string
	}{
		{"s3 xml", `<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>`, "", 404, "NoSuchKey", "The specified key does not exist."},
		{"iam xml", `<ErrorResponse><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>Role &quot;x&quot; not found</Message></Error></ErrorResponse>`, "", 404, "NoSuchEntity", `Role "x" not found`},
		{"json __type", `{"__type":"com.amazonaws.cloudtrail.v20131101#TrailNotFoundException","message":"Unknown trail"}`, "", 400, "TrailNotFoundException", "Unknown trail"},
		{"lambda header", `{"Type":"User","Message":"Function not found"}`, "ResourceNotFoundException", 404, "ResourceNotFoundException", "Function not found"},
		{"HEAD without body", "", "", 403, "AccessDenied", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, msg := errorOf(&served{head: []byte(tc.head), errType: tc.errType, status: tc.status})
			if code != tc.code || msg != tc.msg {
				t.Fatalf("errorOf = %q, %q; want %q, %q", code, msg, tc.code, tc.msg)
			}
		})
	}
}

// TestTrailWriter: what the recording ResponseWriter keeps of an answer.
func TestTrailWriter(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	w := &trailWriter{ResponseWriter: rec}
	w.WriteHeader(http.StatusForbidden)
	_, _ = w.Write([]byte(strings.Repeat("x", maxHead+10)))
	if w.status != 403 || len(w.head) != maxHead || w.n != int64(maxHead+10) || rec.Body.Len() != maxHead+10 {
		t.Fatalf("status %d head %d n %d", w.status, len(w.head), w.n)
	}
	ok := &trailWriter{ResponseWriter: httptest.NewRecorder()}
	_, _ = ok.Write([]byte("object data"))
	if ok.status != 200 || len(ok.head) != 0 {
		t.Fatalf("a success keeps %q", ok.head)
	}
}
