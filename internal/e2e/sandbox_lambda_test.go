package e2e

import (
	"archive/zip"
	"bytes"
	"context"
	"debug/elf"
	"encoding/binary"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/xacct/xacct/internal/sandbox"
)

var (
	fnZipOnce sync.Once
	fnZips    = map[string][]byte{}
	fnZipErr  error
)

// functionZip builds testfn for linux/goarch (an ELF header alone for the
// architecture this machine does not run) and zips it as bootstrap.
func functionZip(t *testing.T, goarch string) []byte {
	t.Helper()
	fnZipOnce.Do(func() {
		dir, err := os.MkdirTemp("", "xacct-testfn-")
		if err != nil {
			fnZipErr = err
			return
		}
		defer os.RemoveAll(dir)
		// The test function for this machine; for the other architecture an
		// ELF header that names it is enough: it must never run (and
		// compiling the runtime for another architecture on a fresh
		// machine took a minute of the suite).
		for _, arch := range []string{"amd64", "arm64"} {
			bin := filepath.Join(dir, "bootstrap-"+arch)
			if arch != runtime.GOARCH {
				if err := os.WriteFile(bin, elfHeaderFor(arch), 0o700); err != nil {
					fnZipErr = err
					return
				}
			} else {
				cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", bin, "github.com/xacct/xacct/internal/sandbox/testfn")
				cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
				if out, err := cmd.CombinedOutput(); err != nil {
					fnZipErr = err
					t.Logf("%s", out)
					return
				}
			}
			data, err := os.ReadFile(bin)
			if err != nil {
				fnZipErr = err
				return
			}
			var buf bytes.Buffer
			zw := zip.NewWriter(&buf)
			h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
			h.SetMode(0o755)
			w, _ := zw.CreateHeader(h)
			_, _ = w.Write(data)
			_ = zw.Close()
			fnZips[arch] = buf.Bytes()
		}
	})
	if fnZipErr != nil {
		t.Fatalf("build test function: %v", fnZipErr)
	}
	return fnZips[goarch]
}

// elfHeaderFor is the header of a Linux executable for arch, and nothing
// else: what the sandbox reads to tell a bootstrap's architecture.
func elfHeaderFor(arch string) []byte {
	h := elf.Header64{Type: uint16(elf.ET_EXEC), Machine: uint16(elf.EM_X86_64), Version: uint32(elf.EV_CURRENT), Ehsize: 64, Phentsize: 56, Shentsize: 64}
	if arch == "arm64" {
		h.Machine = uint16(elf.EM_AARCH64)
	}
	copy(h.Ident[:], elf.ELFMAG)
	h.Ident[elf.EI_CLASS], h.Ident[elf.EI_DATA], h.Ident[elf.EI_VERSION] = byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)
	var buf bytes.Buffer
	_ = binary.Write(&buf, binary.LittleEndian, h)
	return buf.Bytes()
}

// pattern is the seed's Lambda leg: a Production bucket whose new objects
// trigger a function that writes a record into Reporting through a role it
// assumes there.
type pattern struct {
	src, report, fn, fnARN, execRole, writerRole string
}

func setupPattern(t *testing.T, goarch string, permit bool) pattern {
	t.Helper()
	return setupPatternOn(t, shared, goarch, permit)
}

// setupPatternOn is setupPattern in sb.
func setupPatternOn(t *testing.T, sb *sandbox.Sandbox, goarch string, permit bool) pattern {
	t.Helper()
	ctx := context.Background()
	prod, rep := orgAdminOn(t, sb, prodID), orgAdminOn(t, sb, repID)
	p := pattern{src: uniq(t, "src"), report: uniq(t, "report"), fn: uniq(t, "proc"), execRole: uniq(t, "exec"), writerRole: uniq(t, "writer")}
	p.fnARN = "arn:aws:lambda:us-east-1:" + prodID + ":function:" + p.fn
	execARN := "arn:aws:iam::" + prodID + ":role/" + p.execRole
	writerARN := "arn:aws:iam::" + repID + ":role/" + p.writerRole

	must(rep.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(p.report)}))(t)
	must(rep.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(p.writerRole), AssumeRolePolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + prodID + `:root"},"Action":"sts:AssumeRole","Condition":{"ArnEquals":{"aws:PrincipalArn":"` + execARN + `"}}}]}`)}))(t)
	must(rep.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(p.writerRole), PolicyName: aws.String("write"), PolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::` + p.report + `/metadata/*"}]}`)}))(t)

	must(prod.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(p.src)}))(t)
	must(prod.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(p.execRole), AssumeRolePolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"` + prodID + `"}}}]}`)}))(t)
	must(prod.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(p.execRole), PolicyName: aws.String("exec"), PolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"` + writerARN + `"}]}`)}))(t)
	lc := lambda.NewFromConfig(prod.cfg)
	must(lc.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(p.fn), Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Role: aws.String(execARN), Code: &lambdatypes.FunctionCode{ZipFile: functionZip(t, goarch)},
		Architectures: []lambdatypes.Architecture{map[string]lambdatypes.Architecture{"amd64": lambdatypes.ArchitectureX8664, "arm64": lambdatypes.ArchitectureArm64}[goarch]},
		Environment:   &lambdatypes.Environment{Variables: map[string]string{"WRITER_ROLE_ARN": writerARN, "REPORT_BUCKET": p.report}},
		// Lambda's default of 3 s is shorter than a cold start under -race
		// on a loaded machine; the tests that fail the function on purpose
		// must see its own error, not a timeout.
		Timeout: aws.Int32(30),
	}))(t)
	if permit {
		must(lc.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String(p.fn), StatementId: aws.String("s3"),
			Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("s3.amazonaws.com"),
			SourceArn: aws.String("arn:aws:s3:::" + p.src), SourceAccount: aws.String(prodID)}))(t)
	}
	return p
}

func (p pattern) notify(ctx context.Context, prod *client) error {
	_, err := prod.s3.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{
		Bucket: aws.String(p.src),
		NotificationConfiguration: &s3types.NotificationConfiguration{LambdaFunctionConfigurations: []s3types.LambdaFunctionConfiguration{{
			LambdaFunctionArn: aws.String(p.fnARN), Events: []s3types.Event{"s3:ObjectCreated:*"},
		}}},
	})
	return err
}

func TestS3NotificationRunsFunctionThatWritesToAnotherAccount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	prod, rep := orgAdmin(t, prodID), orgAdmin(t, repID)
	p := setupPattern(t, runtime.GOARCH, true)
	if err := p.notify(ctx, prod); err != nil {
		t.Fatalf("configure notification: %v", err)
	}
	got := must(prod.s3.GetBucketNotificationConfiguration(ctx, &s3.GetBucketNotificationConfigurationInput{Bucket: aws.String(p.src)}))(t)
	if len(got.LambdaFunctionConfigurations) != 1 || aws.ToString(got.LambdaFunctionConfigurations[0].LambdaFunctionArn) != p.fnARN {
		t.Fatalf("notification configuration read back: %+v", got.LambdaFunctionConfigurations)
	}

	key := "reports/Q1 summary+final.csv"
	start := time.Now()
	must(prod.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(p.src), Key: aws.String(key), Body: strings.NewReader("a,b\n1,2\n")}))(t)
	recKey := "metadata/" + p.src + "/" + key + ".json"
	var rec map[string]any
	for {
		obj, err := rep.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(p.report), Key: aws.String(recKey)})
		if err == nil {
			b, _ := io.ReadAll(obj.Body)
			obj.Body.Close()
			if err := json.Unmarshal(b, &rec); err != nil {
				t.Fatalf("record %s: %v", b, err)
			}
			break
		}
		// The record usually follows in well under a second (logged
		// below); the bound is for the function's cold start on a loaded
		// two-core machine, which has taken over five seconds.
		if time.Since(start) > 30*time.Second {
			t.Fatalf("no record %s in %s after 30s (last error %v); sandbox log:\n%s", recKey, p.report, err, sandboxLog)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("record written %v after the upload", time.Since(start).Round(time.Millisecond))
	if rec["key"] != key || rec["size"] != float64(8) || rec["event"] != "ObjectCreated:Put" || rec["etag"] == "" {
		t.Errorf("record = %v", rec)
	}
}

func TestNotificationWithoutPermissionIsRejected(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	prod := orgAdmin(t, prodID)
	p := setupPattern(t, runtime.GOARCH, false)
	err := p.notify(ctx, prod)
	wantCode(t, err, "InvalidArgument")
	if !strings.Contains(err.Error(), "Unable to validate the following destination configurations") {
		t.Errorf("error %v does not say which destination", err)
	}
}

func TestBootstrapForAnotherArchitectureIsLogged(t *testing.T) {
	ctx := context.Background()
	other := map[string]string{"amd64": "arm64", "arm64": "amd64"}[runtime.GOARCH]
	prod := orgAdmin(t, prodID)
	p := setupPattern(t, other, true)
	if err := p.notify(ctx, prod); err != nil {
		t.Fatal(err)
	}
	must(prod.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(p.src), Key: aws.String("x"), Body: strings.NewReader("x")}))(t)
	want := "function " + p.fn + ": its bootstrap is built for linux/" + other
	for start := time.Now(); !sandboxLog.contains(want); time.Sleep(50 * time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("no log line %q", want)
		}
	}
}
