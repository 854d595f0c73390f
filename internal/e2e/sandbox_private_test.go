package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// rawHTTP sends request to addr exactly as written (no client cleans or
// escapes its path) and returns the status code and body of the response.
func rawHTTP(t *testing.T, addr, request string) (int, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, request); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	status, err := br.ReadString('\n')
	if err != nil {
		t.Fatalf("read status line: %v", err)
	}
	fields := strings.Fields(status)
	if len(fields) < 2 {
		t.Fatalf("status line %q", status)
	}
	code, _ := strconv.Atoi(fields[1])
	rest, _ := io.ReadAll(br)
	_, body, _ := strings.Cut(string(rest), "\r\n\r\n")
	return code, body
}

func httpAddr() string { return strings.TrimPrefix(shared.HTTPURL, "http://") }

// TestRuntimeAPIIsNotAWayAroundTheGateway: the plain-HTTP port's Runtime
// API proxy answers only the Runtime API's own operations, for the secret of
// a function process the sandbox runs; a traversal to S3 or IAM, a guessed
// secret and the secret of a stopped process are all refused, and nothing
// they asked for happened.
func TestRuntimeAPIIsNotAWayAroundTheGateway(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	prod := orgAdmin(t, prodID)
	bucket := uniq(t, "victim")
	must(prod.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}))(t)
	must(prod.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("secret.txt"), Body: strings.NewReader("original")}))(t)
	objectIs := func(key, want string) {
		t.Helper()
		obj, err := prod.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if want == "" {
			if errorCode(err) != "NoSuchKey" {
				t.Errorf("object %s: %v, want NoSuchKey", key, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("object %s: %v", key, err)
		}
		b, _ := io.ReadAll(obj.Body)
		obj.Body.Close()
		if string(b) != want {
			t.Errorf("object %s = %q, want %q", key, b, want)
		}
	}
	host := "Host: " + httpAddr() + "\r\nConnection: close\r\n"
	refused := func(name, request string, leaks ...string) {
		t.Helper()
		code, body := rawHTTP(t, httpAddr(), request)
		if code != 403 && code != 404 {
			t.Errorf("%s: %d %s, want 403 or 404", name, code, body)
		}
		for _, s := range leaks {
			if strings.Contains(body, s) {
				t.Errorf("%s: the answer shows %q:\n%s", name, s, body)
			}
		}
	}

	for _, prefix := range []string{"/_runtime/" + prodID + "/..", "/_runtime/" + prodID + "/%2e%2e", "/_runtime/" + prodID + "/x/../.."} {
		refused("GET "+prefix, "GET "+prefix+"/"+bucket+"/secret.txt HTTP/1.1\r\n"+host+"\r\n", "original")
		refused("PUT "+prefix, "PUT "+prefix+"/"+bucket+"/secret.txt HTTP/1.1\r\n"+host+"Content-Length: 4\r\n\r\nevil")
		refused("PUT new "+prefix, "PUT "+prefix+"/"+bucket+"/planted.txt HTTP/1.1\r\n"+host+"Content-Length: 4\r\n\r\nevil")
		form := "Action=ListRoles&Version=2010-05-08"
		refused("IAM "+prefix, "POST "+prefix+"/ HTTP/1.1\r\n"+host+"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: "+strconv.Itoa(len(form))+"\r\n\r\n"+form,
			"ListRolesResult", "OrganizationAccountAccessRole")
		refused("ListBuckets "+prefix, "GET "+prefix+"/ HTTP/1.1\r\n"+host+"\r\n", bucket)
	}
	objectIs("secret.txt", "original")
	objectIs("planted.txt", "")

	guess := make([]byte, 32)
	_, _ = rand.Read(guess)
	refused("a guessed secret", "GET /_runtime/"+hex.EncodeToString(guess)+"/2018-06-01/runtime/invocation/next HTTP/1.1\r\n"+host+"\r\n")

	// A running function's own secret, read from its process as a local
	// attacker with the same user could: still only the Runtime API.
	p := setupPattern(t, runtime.GOARCH, true)
	lc := lambda.NewFromConfig(prod.cfg)
	out := must(lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(p.fn), Payload: []byte(`{"Records":[]}`)}))(t)
	if out.FunctionError != nil {
		t.Fatalf("invoke: function error %s: %s", aws.ToString(out.FunctionError), out.Payload)
	}
	api := runtimeAPIOf(t, p.fn)
	secretPath := api[strings.Index(api, "/"):]
	if !strings.HasPrefix(secretPath, "/_runtime/") || strings.Contains(secretPath, prodID) || strings.Contains(secretPath, p.fn) {
		t.Fatalf("AWS_LAMBDA_RUNTIME_API=%s: want /_runtime/<secret>", api)
	}
	refused("the secret, then a traversal", "GET "+secretPath+"/../../"+bucket+"/secret.txt HTTP/1.1\r\n"+host+"\r\n", "original")
	refused("the secret, then an encoded traversal", "PUT "+secretPath+"/2018-06-01/runtime/invocation/%2e%2e%2f%2e%2e%2f"+bucket+"%2fsecret.txt/response HTTP/1.1\r\n"+host+"Content-Length: 4\r\n\r\nevil")
	refused("the secret, another path", "GET "+secretPath+"/2018-06-01/runtime/invocation/next/x HTTP/1.1\r\n"+host+"\r\n")
	objectIs("secret.txt", "original")

	// Stopping the process (a configuration change) retires its secret.
	must(lc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(p.fn), MemorySize: aws.Int32(256)}))(t)
	refused("a stopped process's secret", "GET "+secretPath+"/2018-06-01/runtime/invocation/next HTTP/1.1\r\n"+host+"\r\n")
	// The function still runs: its next process has a new secret.
	out = must(lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(p.fn), Payload: []byte(`{"Records":[]}`)}))(t)
	if out.FunctionError != nil {
		t.Fatalf("invoke after the change: function error %s: %s", aws.ToString(out.FunctionError), out.Payload)
	}
	if next := runtimeAPIOf(t, p.fn); next == api {
		t.Errorf("the new process got the stopped one's secret")
	}
}

// runtimeAPIOf reads AWS_LAMBDA_RUNTIME_API from the environment of the
// running bootstrap process of function fn (a child of this test binary).
func runtimeAPIOf(t *testing.T, fn string) string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || !alive(pid) {
			continue
		}
		exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		if err != nil || !strings.HasSuffix(exe, "/"+fn+".run/bootstrap") {
			continue
		}
		env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		if err != nil {
			continue
		}
		for _, kv := range bytes.Split(env, []byte{0}) {
			if v, ok := strings.CutPrefix(string(kv), "AWS_LAMBDA_RUNTIME_API="); ok {
				return v
			}
		}
	}
	t.Fatalf("no running bootstrap process of %s", fn)
	return ""
}

// TestKumoChildrenHaveNoTCPPort: each account's kumo answers any caller with
// any credential, so no child holds a TCP socket at all; each serves on a
// Unix socket in a directory only this user can open.
func TestKumoChildrenHaveNoTCPPort(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	pids := shared.ChildPIDs()
	if len(pids) != 4 {
		t.Fatalf("ChildPIDs = %v, want 4 kumo processes", pids)
	}
	for _, pid := range pids {
		inodes := socketInodes(t, pid)
		if len(inodes) == 0 {
			t.Fatalf("kumo child %d holds no socket", pid)
		}
		for _, table := range []string{"tcp", "tcp6", "udp", "udp6"} {
			for _, ino := range procNetInodes(t, pid, table, 9) {
				if inodes[ino] {
					t.Errorf("kumo child %d holds a %s socket (inode %s)", pid, table, ino)
				}
			}
		}
		// The listener and the connections it accepted all name the path.
		socks := kumoSockets(t, pid)
		if len(socks) != 1 {
			t.Fatalf("kumo child %d listens on Unix sockets %v, want one kumo.sock", pid, socks)
		}
		for path, want := range map[string]fs.FileMode{socks[0]: 0o600, filepath.Dir(socks[0]): 0o700} {
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != want {
				t.Errorf("%s has mode %v, want %v", path, got, want)
			}
		}
	}
	// Another user cannot reach a child's socket; its owner can (so the
	// refusal is the permissions', not a broken socket).
	if curl, err := exec.LookPath("curl"); err == nil && os.Geteuid() == 0 {
		sock := kumoSocketOf(t, pids[0])
		health := func(cred *syscall.Credential) error {
			cmd := exec.Command(curl, "-sf", "--max-time", "5", "--unix-socket", sock, "http://localhost/health")
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
			out, err := cmd.CombinedOutput()
			if err == nil && !strings.Contains(string(out), "healthy") {
				return fmt.Errorf("answered %q", out)
			}
			return err
		}
		if err := health(nil); err != nil {
			t.Fatalf("the sandbox's user cannot reach %s: %v", sock, err)
		}
		var exit *exec.ExitError
		switch err := health(&syscall.Credential{Uid: 65534, Gid: 65534}); {
		case err == nil:
			t.Errorf("user nobody reached kumo at %s", sock)
		case !errors.As(err, &exit) || exit.ExitCode() != 7: // curl: could not connect
			t.Errorf("curl as user nobody: %v, want exit 7 (could not connect)", err)
		}
	} else {
		t.Log("not root or no curl: the socket is not tried as another user")
	}
	// The gateway's plain-HTTP port is no back door to kumo either: an
	// unsigned ListBuckets is not kumo's answer.
	code, body := rawHTTP(t, httpAddr(), "GET / HTTP/1.1\r\nHost: "+httpAddr()+"\r\nConnection: close\r\n\r\n")
	if code == 200 || strings.Contains(body, "<Bucket>") {
		t.Errorf("unsigned ListBuckets on the plain-HTTP port: %d %s", code, body)
	}
}

// kumoSockets are the paths of the kumo.sock Unix sockets process pid holds
// (the listener and the connections it accepted all name the path).
func kumoSockets(t *testing.T, pid int) []string {
	t.Helper()
	inodes := socketInodes(t, pid)
	var socks []string
	for _, line := range procNetLines(t, pid, "unix") {
		f := strings.Fields(line)
		if len(f) >= 8 && inodes[f[6]] && strings.HasSuffix(f[7], "/kumo.sock") && !slices.Contains(socks, f[7]) {
			socks = append(socks, f[7])
		}
	}
	return socks
}

func kumoSocketOf(t *testing.T, pid int) string {
	t.Helper()
	socks := kumoSockets(t, pid)
	if len(socks) != 1 {
		t.Fatalf("kumo child %d: sockets %v", pid, socks)
	}
	return socks[0]
}

// socketInodes are the inodes of the sockets process pid holds.
func socketInodes(t *testing.T, pid int) map[string]bool {
	t.Helper()
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, e := range entries {
		link, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		if ino, ok := strings.CutPrefix(link, "socket:["); ok {
			out[strings.TrimSuffix(ino, "]")] = true
		}
	}
	return out
}

func procNetLines(t *testing.T, pid int, table string) []string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, table))
	if err != nil {
		return nil // no IPv6, say
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[1:]
}

// procNetInodes is the inode column (field col) of a /proc/net table.
func procNetInodes(t *testing.T, pid int, table string, col int) []string {
	var out []string
	for _, line := range procNetLines(t, pid, table) {
		if f := strings.Fields(line); len(f) > col {
			out = append(out, f[col])
		}
	}
	return out
}

// TestFunctionNamesNeverBecomePaths: a FunctionName that is not one (dot
// segments, slashes, encoded dots, too long) is refused with Lambda's
// ValidationException, and no file appears anywhere under the temporary
// directory (where the sandbox keeps its data).
func TestFunctionNamesNeverBecomePaths(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	prod := orgAdmin(t, prodID)
	lc := lambda.NewFromConfig(prod.cfg)
	marker := uniq(t, "evil")
	before := filesNamed(t, os.TempDir(), marker)
	zip := functionZip(t, runtime.GOARCH)
	names := []string{
		"../" + marker,
		"../../../../../../tmp/" + marker,
		"a/" + marker,
		"%2e%2e/" + marker,
		"%2e%2e%2f" + marker,
		"..",
		strings.Repeat("a", 65),
		marker + ".zip",
	}
	for _, name := range names {
		_, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{
			FunctionName: aws.String(name), Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
			Role: aws.String("arn:aws:iam::" + prodID + ":role/" + marker), Code: &lambdatypes.FunctionCode{ZipFile: zip},
		})
		if errorCode(err) != "ValidationException" {
			t.Errorf("CreateFunction %q: %v, want ValidationException", name, err)
		}
		_, err = lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(`{}`)})
		if code := errorCode(err); code != "ValidationException" && !(name == ".." && code == "ResourceNotFoundException") {
			t.Errorf("Invoke %q: %v, want ValidationException", name, err)
		}
		_, err = lc.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(name), ZipFile: zip})
		if code := errorCode(err); code != "ValidationException" && !(name == ".." && code == "ResourceNotFoundException") {
			t.Errorf("UpdateFunctionCode %q: %v, want ValidationException", name, err)
		}
	}
	if after := filesNamed(t, os.TempDir(), marker); len(after) != len(before) {
		t.Errorf("files named after %s appeared: %v", marker, after)
	}
}

// filesNamed lists the paths under root (four levels deep) whose name
// contains s.
func filesNamed(t *testing.T, root, s string) []string {
	t.Helper()
	var out []string
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if strings.Contains(d.Name(), s) {
			out = append(out, path)
		}
		if d.IsDir() && strings.Count(strings.TrimPrefix(path, root), string(filepath.Separator)) >= 4 {
			return fs.SkipDir
		}
		return nil
	})
	return out
}
