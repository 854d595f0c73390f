package audittest

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/xacct/xacct/internal/audit"
)

// Synthetic is the audit benchmarks' log bucket: Files log files of
// Records records in AWS's key layout, the accounts delivering a file each
// in turn every Every from Start, with records of the shape CloudTrail
// writes (S3 data events of the group roles' sessions on acme-data-prod in
// Production, IAM management events elsewhere) and unique keys and IDs, so
// that gzip compresses them as it does real logs (about 10:1). The same
// Synthetic renders the same bytes: the in-memory benchmark
// (internal/audit) and the sandbox's (internal/e2e) read the same files.
type Synthetic struct {
	// Accounts deliver in turn: file i is Accounts[i%len(Accounts)]'s.
	Accounts []string
	// Production's files are in eu-west-1 and 80% S3 data events; the
	// other accounts' are in us-east-1 and IAM reads.
	Production     string
	Start          time.Time
	Every          time.Duration
	Files, Records int
}

// Time is the i-th file's delivery time, the time in its name; its
// records are spread over the Every before it.
func (s Synthetic) Time(i int) time.Time {
	return s.Start.Add(time.Duration(i/len(s.Accounts)) * s.Every)
}

// End is the last file's time.
func (s Synthetic) End() time.Time { return s.Time(s.Files - 1) }

// File renders the i-th file: its key, its gzip bytes, and the size of
// the JSON they inflate to.
func (s Synthetic) File(i int) (key string, body []byte, raw int64) {
	acct, at := s.Accounts[i%len(s.Accounts)], s.Time(i)
	rng := rand.New(rand.NewPCG(uint64(i), 7))
	var buf bytes.Buffer
	buf.WriteString(`{"Records":[`)
	users := []string{"alice", "bob", "carol", "dave", "erin"}
	window := max(1, int(s.Every/time.Second))
	for j := 0; j < s.Records; j++ {
		if j > 0 {
			buf.WriteByte(',')
		}
		tm := at.Add(-time.Duration(rng.IntN(window)) * time.Second).Format(time.RFC3339)
		id := fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", rng.Uint32(), rng.IntN(1<<16), rng.IntN(1<<12), rng.IntN(1<<12), rng.Uint64()&(1<<48-1))
		user := users[rng.IntN(len(users))]
		switch r := rng.IntN(10); {
		case r < 8 && acct == s.Production:
			role, name := "acme-data-developers", "PutObject"
			if r%2 == 0 {
				role, name = "acme-data-testers", "GetObject"
			}
			fmt.Fprintf(&buf, `{"eventVersion":"1.11","userIdentity":{"type":"AssumedRole","principalId":"AROA3EXAMPLE%[1]s:%[2]s","arn":"arn:aws:sts::%[3]s:assumed-role/%[1]s/%[2]s","accountId":"%[3]s","accessKeyId":"ASIA%[4]X","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROA3EXAMPLE%[1]s","arn":"arn:aws:iam::%[3]s:role/%[1]s","accountId":"%[3]s","userName":"%[1]s"},"attributes":{"creationDate":"%[5]s","mfaAuthenticated":"false"},"sourceIdentity":"%[2]s"}},"eventTime":"%[5]s","eventSource":"s3.amazonaws.com","eventName":"%[6]s","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.%[7]d","userAgent":"[aws-cli/2.15.%[7]d Python/3.11.6 Linux/6.1 exe/x86_64 command/s3.cp]","requestParameters":{"bucketName":"acme-data-prod","Host":"acme-data-prod.s3.eu-west-1.amazonaws.com","key":"reports/2026/%[8]d/%[9]s.csv"},"responseElements":{"x-amz-server-side-encryption":"AES256","x-amz-version-id":"%[10]s"},"additionalEventData":{"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":%[11]d,"SSEApplied":"Default_SSE_S3","AuthenticationMethod":"AuthHeader","x-amz-id-2":"%[12]x","bytesTransferredOut":0},"requestID":"%[13]X","eventID":"%[9]s","readOnly":%[14]t,"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::acme-data-prod/reports/2026/%[8]d/%[9]s.csv"},{"accountId":"%[3]s","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::acme-data-prod"}],"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"%[3]s","eventCategory":"Data","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"acme-data-prod.s3.eu-west-1.amazonaws.com"}}`,
				role, user, acct, rng.Uint64(), tm, name, rng.IntN(250), rng.IntN(12)+1, id, fmt.Sprintf("%x", rng.Uint64()), rng.IntN(1<<20), rng.Uint64(), rng.Uint64(), name == "GetObject")
		default:
			fmt.Fprintf(&buf, `{"eventVersion":"1.11","userIdentity":{"type":"IAMUser","principalId":"AIDA%[4]X","arn":"arn:aws:iam::%[3]s:user/%[2]s","accountId":"%[3]s","accessKeyId":"AKIA%[4]X","userName":"%[2]s"},"eventTime":"%[5]s","eventSource":"iam.amazonaws.com","eventName":"GetRole","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.%[6]d","userAgent":"aws-sdk-go-v2/1.30.%[6]d os/linux lang/go#1.26","requestParameters":{"roleName":"acme-data-developers"},"responseElements":null,"requestID":"%[7]x","eventID":"%[1]s","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"%[3]s","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"iam.amazonaws.com"}}`,
				id, user, acct, rng.Uint64(), tm, rng.IntN(250), rng.Uint64())
		}
	}
	buf.WriteString(`]}`)
	var z bytes.Buffer
	w, _ := gzip.NewWriterLevel(&z, gzip.BestSpeed)
	_, _ = w.Write(buf.Bytes())
	_ = w.Close()
	region := "eu-west-1"
	if acct != s.Production {
		region = "us-east-1"
	}
	key = audit.DayPrefix(acct, region, at) + fmt.Sprintf("%s_CloudTrail_%s_%s_%016x.json.gz", acct, region, at.UTC().Format("20060102T1504Z"), i)
	return key, z.Bytes(), int64(buf.Len())
}
