package sandbox

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// runtimes runs functions' bootstraps against their account's kumo Runtime
// API, reached through the gateway's plain-HTTP listener so that the gateway
// sees the first poll and can put the true function ARN in the headers.
type runtimes struct {
	g     *gateway
	mu    sync.Mutex
	procs map[string]*fnRuntime // account/function
	// ctx ends when the sandbox closes; closed (under mu) stops new starts.
	ctx    context.Context
	cancel context.CancelFunc
	closed bool
}

type fnRuntime struct {
	key      string
	account  string
	fn       string
	secret   string // the path segment its AWS_LAMBDA_RUNTIME_API carries
	codeSha  string
	cmd      *exec.Cmd
	cred     *credential // its execution role's session
	polled   chan struct{}
	once     sync.Once
	done     chan struct{}
	started  time.Time
	coldOnce sync.Once
	log      *functionLog
	memoryMB int
	// began is when each invocation in progress was handed to the process,
	// for its REPORT line.
	beganMu sync.Mutex
	began   map[string]time.Time
}

// invocationStarted and invocationEnded write Lambda's START, END and
// REPORT lines around one invocation.
func (r *fnRuntime) invocationStarted(requestID string) {
	r.beganMu.Lock()
	r.began[requestID] = time.Now()
	r.beganMu.Unlock()
	r.log.Printf("START RequestId: %s Version: $LATEST", requestID)
}

func (r *fnRuntime) invocationEnded(requestID string) {
	r.beganMu.Lock()
	t, ok := r.began[requestID]
	delete(r.began, requestID)
	r.beganMu.Unlock()
	if !ok {
		return
	}
	d := time.Since(t)
	r.log.Printf("END RequestId: %s", requestID)
	r.log.Printf("REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB",
		requestID, float64(d.Microseconds())/1000, d.Milliseconds()+1, r.memoryMB)
}

func newRuntimes(g *gateway) *runtimes {
	ctx, cancel := context.WithCancel(context.Background())
	return &runtimes{g: g, procs: map[string]*fnRuntime{}, ctx: ctx, cancel: cancel}
}

// background is a context for work that outlives a request (asynchronous
// invocations, notifications): it ends when the sandbox closes.
func (rt *runtimes) background(timeout time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(rt.ctx, timeout)
}

// codePath is where a function's zip is kept, and runDir where its
// bootstrap runs. Both refuse anything but an account ID and a function name,
// each a single path segment that cannot leave the data dir.
func (rt *runtimes) codePath(account, fn string) (string, error) {
	if !accountIDRE.MatchString(account) || !validFunctionName(fn) {
		return "", fmt.Errorf("function %q of account %q: not a valid function name", fn, account)
	}
	return filepath.Join(rt.g.sb.dataDir, "lambda", account, fn+".zip"), nil
}

func (rt *runtimes) runDir(account, fn string) (string, error) {
	if !accountIDRE.MatchString(account) || !validFunctionName(fn) {
		return "", fmt.Errorf("function %q of account %q: not a valid function name", fn, account)
	}
	return filepath.Join(rt.g.sb.dataDir, "lambda", account, fn+".run"), nil
}

// saveCode keeps a function's zip as it was sent, since kumo does not serve
// it back.
func (rt *runtimes) saveCode(ctx context.Context, account, fn string, body []byte, create bool) error {
	p, err := rt.codePath(account, fn)
	if err != nil {
		return err
	}
	var in struct {
		ZipFile  []byte
		S3Bucket string
		S3Key    string
		Code     *struct {
			ZipFile  []byte
			S3Bucket string
			S3Key    string
		}
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return err
	}
	if create && in.Code != nil {
		in.ZipFile, in.S3Bucket, in.S3Key = in.Code.ZipFile, in.Code.S3Bucket, in.Code.S3Key
	}
	zipBytes := in.ZipFile
	if len(zipBytes) == 0 && in.S3Bucket != "" {
		var owner string
		rt.g.st.view(func() {
			if m := rt.g.st.Buckets[in.S3Bucket]; m != nil {
				owner = m.Owner
			}
		})
		b := rt.g.sb.accounts[owner]
		if b == nil {
			return fmt.Errorf("code bucket %s does not exist", in.S3Bucket)
		}
		obj, err := b.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(in.S3Bucket), Key: aws.String(in.S3Key)})
		if err != nil {
			return err
		}
		defer obj.Body.Close()
		if zipBytes, err = io.ReadAll(obj.Body); err != nil {
			return err
		}
	}
	if len(zipBytes) == 0 {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	return os.WriteFile(p, zipBytes, 0o600)
}

// stop ends a function's process (its code or configuration changed, or it
// was deleted); the next event starts it again.
func (rt *runtimes) stop(account, fn string) {
	rt.mu.Lock()
	r := rt.procs[account+"/"+fn]
	delete(rt.procs, account+"/"+fn)
	rt.mu.Unlock()
	if r != nil {
		r.kill()
	}
}

func (r *fnRuntime) kill() {
	_ = r.cmd.Process.Kill()
	<-r.done
}

func (rt *runtimes) close() {
	rt.cancel()
	rt.mu.Lock()
	rt.closed = true
	procs := rt.procs
	rt.procs = map[string]*fnRuntime{}
	rt.mu.Unlock()
	for _, r := range procs {
		r.kill()
	}
}

// invokeAsync makes sure the function runs and delivers one event the way
// Lambda's asynchronous invocation does: the caller does not wait (it runs in
// the notification's goroutine), and a function error is retried twice with
// backoff (or as the function's event invoke configuration says). An event
// that fails every attempt, or whose time runs out (attemptAsync), goes to
// the function's on-failure destination (asyncdest.go), else it is dropped
// and logged.
func (rt *runtimes) invokeAsync(ctx context.Context, account, fn string, payload []byte) error {
	ev := asyncEvent{requestID: newUUID(), received: time.Now(), payload: payload, condition: conditionRetriesExhausted}
	// A function that cannot start drops the event (the caller logs why);
	// a budget that ran out while it started (a cold start on a loaded
	// machine) is the event's time running out, which attemptAsync sees
	// before its first attempt.
	if _, err := rt.ensure(ctx, account, fn); err != nil && ctx.Err() == nil {
		return err
	}
	b := rt.g.sb.accounts[account]
	retries, maxAge := rt.g.asyncLimits(account, fn)
	lastErr := attemptAsync(ctx, &ev, retries, maxAge, func(ctx context.Context) (*lambda.InvokeOutput, error) {
		return b.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(fn), InvocationType: lambdatypes.InvocationTypeRequestResponse, Payload: payload})
	})
	if lastErr == nil {
		return nil
	}
	// A context of its own: the event's may be what ran out.
	fctx, cancel := rt.background(30 * time.Second)
	defer cancel()
	if where, ok := rt.g.sendToOnFailure(fctx, account, fn, ev); ok {
		return fmt.Errorf("event failed (%s, %d attempts); its record is at %s: %w", ev.condition, ev.invokeCount, where, lastErr)
	}
	return fmt.Errorf("event dropped after %d attempts: %w", ev.invokeCount, lastErr)
}

// attemptAsync makes an asynchronous event's attempts with invoke: one,
// and after a function error up to retries more with backoff. It returns
// nil once an attempt succeeds; else the last attempt's error, and ev says
// how many attempts were made, the function's last answer and why the event
// failed: RetriesExhausted after the last attempt's function error, or
// EventAgeExceeded when its time ran out, either its maximum age (checked
// before each attempt, as Lambda does not cut an attempt short for it) or
// the sandbox's budget for it, ctx (which may end during an attempt: the
// event is given up then, retries left or not, and the function's late
// answer goes nowhere).
func attemptAsync(ctx context.Context, ev *asyncEvent, retries int, maxAge time.Duration, invoke func(context.Context) (*lambda.InvokeOutput, error)) error {
	var lastErr error
	for attempt := 0; attempt < 1+max(retries, 0); attempt++ {
		if attempt > 0 {
			select {
			case <-time.After(time.Duration(attempt) * 500 * time.Millisecond):
			case <-ctx.Done():
			}
		}
		if time.Since(ev.received) > maxAge || ctx.Err() != nil {
			// The event's time is up (its maximum age, or the sandbox's
			// budget for it on a machine too slow to deliver it): it goes
			// to the on-failure destination, as Lambda sends an event it
			// gave up on, never silently away.
			ev.condition = conditionEventAgeExceeded
			switch {
			case ctx.Err() != nil && lastErr == nil:
				return ctx.Err()
			case lastErr == nil:
				return fmt.Errorf("older than its maximum age (%v)", maxAge)
			}
			return lastErr
		}
		out, err := invoke(ctx)
		switch {
		case err != nil && strings.Contains(err.Error(), "has no runtime handler"):
			// The first poll has reached the gateway but not yet kumo.
			attempt--
			lastErr = err
			select {
			case <-time.After(10 * time.Millisecond):
			case <-ctx.Done():
			}
		case err != nil && ctx.Err() != nil:
			// The budget ran out while the function ran: the event's time
			// is up, even if this was its last attempt.
			ev.invokeCount++
			ev.condition = conditionEventAgeExceeded
			return err
		case err != nil:
			ev.invokeCount++
			lastErr = err
		case out.FunctionError != nil:
			ev.invokeCount++
			ev.response = &asyncResponse{statusCode: out.StatusCode, functionError: aws.ToString(out.FunctionError), payload: out.Payload}
			lastErr = fmt.Errorf("function error %s: %s", aws.ToString(out.FunctionError), out.Payload)
		default:
			return nil
		}
	}
	return lastErr
}

// ensure starts the function's bootstrap if it is not running with its
// current code, and waits for its first poll.
func (rt *runtimes) ensure(ctx context.Context, account, fn string) (*fnRuntime, error) {
	b := rt.g.sb.accounts[account]
	out, err := b.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)})
	if err != nil {
		return nil, fmt.Errorf("function %s: %w", fn, err)
	}
	conf := out.Configuration
	key := account + "/" + fn
	rt.mu.Lock()
	r := rt.procs[key]
	if r != nil && r.codeSha == aws.ToString(conf.CodeSha256) {
		select {
		case <-r.done:
			delete(rt.procs, key)
			r = nil
		default:
		}
	} else if r != nil {
		delete(rt.procs, key)
		go r.kill()
		r = nil
	}
	if r == nil && rt.closed {
		rt.mu.Unlock()
		return nil, errors.New("the sandbox is stopping")
	}
	if r == nil {
		r, err = rt.start(ctx, account, fn, conf)
		if err != nil {
			rt.mu.Unlock()
			return nil, err
		}
		rt.procs[key] = r
	}
	rt.mu.Unlock()
	select {
	case <-r.polled:
		if r.started.IsZero() {
			return r, nil
		}
		r.coldOnce.Do(func() {
			rt.g.sb.logf("lambda %s: cold start: bootstrap polled %v after it was started", fn, time.Since(r.started).Round(time.Millisecond))
		})
		return r, nil
	case <-r.done:
		return nil, fmt.Errorf("function %s: bootstrap exited before polling for work", fn)
	case <-time.After(15 * time.Second):
		return nil, fmt.Errorf("function %s: bootstrap did not poll the Runtime API within 15s", fn)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func elfArch(m elf.Machine) string {
	switch m {
	case elf.EM_AARCH64:
		return "arm64"
	case elf.EM_X86_64:
		return "amd64"
	}
	return m.String()
}

func (rt *runtimes) start(ctx context.Context, account, fn string, conf *lambdatypes.FunctionConfiguration) (*fnRuntime, error) {
	g := rt.g
	codePath, err := rt.codePath(account, fn)
	if err != nil {
		return nil, err
	}
	dir, err := rt.runDir(account, fn)
	if err != nil {
		return nil, err
	}
	zipBytes, err := os.ReadFile(codePath)
	if err != nil {
		return nil, fmt.Errorf("function %s: its code was not uploaded through the sandbox: %w", fn, err)
	}
	zr, err := zip.NewReader(bytes.NewReader(zipBytes), int64(len(zipBytes)))
	if err != nil {
		return nil, fmt.Errorf("function %s: code is not a zip: %w", fn, err)
	}
	_ = os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	var found bool
	for _, f := range zr.File {
		if f.Name != "bootstrap" {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, "bootstrap"), data, 0o755); err != nil {
			return nil, err
		}
		found = true
	}
	if !found {
		return nil, fmt.Errorf("function %s: the zip holds no bootstrap", fn)
	}
	ef, err := elf.Open(filepath.Join(dir, "bootstrap"))
	if err != nil {
		return nil, fmt.Errorf("function %s: bootstrap is not a Linux executable: %w", fn, err)
	}
	arch := elfArch(ef.Machine)
	ef.Close()
	if g.sb.needsHostBuild(arch) {
		bin, err := g.sb.hostBuild(fn, zipBytes, arch)
		if err != nil {
			g.sb.logf("sandbox: %v", err)
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, "bootstrap"), bin, 0o755); err != nil {
			return nil, err
		}
	}

	// Credentials for the execution role, only if it trusts Lambda.
	cred, err := g.executionRoleSession(ctx, account, fn, conf)
	if err != nil {
		msg := fmt.Sprintf("function %s: %v", fn, err)
		g.sb.logf("sandbox: %s", msg)
		return nil, errors.New(msg)
	}

	// The process's key to the Runtime API: it names this function, and
	// only while this process is the function's current one.
	secret := newRuntimeSecret()
	env := []string{
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"TZ=:UTC",
		"LAMBDA_TASK_ROOT=" + dir,
		"_HANDLER=" + aws.ToString(conf.Handler),
		"AWS_LAMBDA_RUNTIME_API=" + strings.TrimPrefix(g.httpURL, "http://") + "/_runtime/" + secret,
		"AWS_LAMBDA_FUNCTION_NAME=" + fn,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + strconv.Itoa(int(aws.ToInt32(conf.MemorySize))),
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + fn,
		"AWS_REGION=" + g.sb.Region,
		"AWS_DEFAULT_REGION=" + g.sb.Region,
		"AWS_ENDPOINT_URL=" + g.sb.URL,
		"AWS_CA_BUNDLE=" + g.sb.CAFile,
		"AWS_ACCESS_KEY_ID=" + cred.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + cred.Secret,
		"AWS_SESSION_TOKEN=" + cred.Token,
	}
	if conf.Environment != nil {
		for k, v := range conf.Environment.Variables {
			env = append(env, k+"="+v)
		}
	}
	cmd := exec.Command(filepath.Join(dir, "bootstrap"))
	cmd.Dir = dir
	cmd.Env = env
	setChildAttrs(cmd)
	logw := rt.newFunctionLog(account, fn, cred)
	cmd.Stdout, cmd.Stderr = logw, logw
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("function %s: start bootstrap: %w", fn, err)
	}
	r := &fnRuntime{key: account + "/" + fn, account: account, fn: fn, secret: secret, codeSha: aws.ToString(conf.CodeSha256),
		cmd: cmd, cred: cred, polled: make(chan struct{}), done: make(chan struct{}), started: time.Now(),
		log: logw, memoryMB: int(aws.ToInt32(conf.MemorySize)), began: map[string]time.Time{}}
	go func() { _ = cmd.Wait(); logw.flush(); close(r.done) }()
	return r, nil
}

// executionRolePrincipal is a session of the function's execution role as
// Lambda makes one (named after the function), if the role trusts Lambda.
func (g *gateway) executionRolePrincipal(ctx context.Context, account, fn string, conf *lambdatypes.FunctionConfiguration) (principal, error) {
	// kumo stores the account IDs it was sent in its own placeholder.
	roleARN := strings.ReplaceAll(aws.ToString(conf.Role), kumoOtherAccount, account)
	role, roleAccount, roleName, err := g.lambdaRole(ctx, account, fn, roleARN)
	if err != nil {
		return principal{}, err
	}
	return servicePrincipal(role, roleAccount, roleName, fn), nil
}

// executionRoleSession makes credentials of a session of the function's
// execution role, which the gateway then knows like any STS session's.
func (g *gateway) executionRoleSession(ctx context.Context, account, fn string, conf *lambdatypes.FunctionConfiguration) (*credential, error) {
	p, err := g.executionRolePrincipal(ctx, account, fn, conf)
	if err != nil {
		return nil, err
	}
	return g.registerSession(p, 12*time.Hour)
}

// servicePrincipal is the session an AWS service makes of a role it
// assumed (serviceRole checked that it may).
func servicePrincipal(role *iam.GetRoleOutput, roleAccount, roleName, session string) principal {
	return principal{
		Account: roleAccount, ARN: fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", roleAccount, roleName, session),
		Kind: "session", RoleName: roleName, RoleARN: strings.ReplaceAll(aws.ToString(role.Role.Arn), kumoIAMAccount, roleAccount),
		RoleID: aws.ToString(role.Role.RoleId), SessionName: session,
	}
}

// serviceSession makes a session of a role that an AWS service assumed
// (serviceRole checked that it may) and registers its credential with the
// gateway: requests signed with it are authorized as that session, like
// any other caller's.
func (g *gateway) serviceSession(role *iam.GetRoleOutput, roleAccount, roleName, session string, ttl time.Duration) (*credential, error) {
	return g.registerSession(servicePrincipal(role, roleAccount, roleName, session), ttl)
}

// registerSession makes credentials for a session principal.
func (g *gateway) registerSession(p principal, ttl time.Duration) (*credential, error) {
	cred := &credential{
		AccessKey: newAccessKeyID("ASIA"), Secret: newSecret(), Token: newSessionToken(),
		Expires: time.Now().Add(ttl).UTC(), Principal: p, Issued: time.Now().UTC().Truncate(time.Second),
	}
	if err := g.st.update(func() error { g.st.Creds[cred.AccessKey] = cred; return nil }); err != nil {
		return nil, err
	}
	return cred, nil
}

// runtimeAPIPrefix is where a bootstrap's Runtime API lives on the gateway's
// plain-HTTP port: /_runtime/<secret>/2018-06-01/runtime/...
const runtimeAPIPrefix = "/_runtime/"

// newRuntimeSecret is 256 random bits, hex: one safe path segment.
func newRuntimeSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

var (
	runtimeSecretRE = regexp.MustCompile(`^[0-9a-f]{64}$`)
	// A request ID kumo hands out is a UUID; anything that is one safe path
	// segment is passed on, and kumo answers an unknown one itself.
	runtimeRequestIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$`)
)

// runtimeCall is one Runtime API request as the gateway understood it.
type runtimeCall struct {
	secret    string
	op        string // next, response, error, init-error
	requestID string // response and error only
}

// path is the call's path below kumo's /_runtime/<function>, rebuilt from
// its parsed parts.
func (rc runtimeCall) path() string {
	switch rc.op {
	case "next":
		return "/2018-06-01/runtime/invocation/next"
	case "response", "error":
		return "/2018-06-01/runtime/invocation/" + rc.requestID + "/" + rc.op
	default: // init-error
		return "/2018-06-01/runtime/init/error"
	}
}

// parseRuntimeCall accepts exactly the Runtime API's own operations, from
// the request's escaped path: GET .../invocation/next, POST
// .../invocation/<request-id>/response and /error, POST .../init/error.
// Anything else (another method, a query, a percent-encoded or dot segment,
// a malformed secret or request ID) is not a Runtime API call.
func parseRuntimeCall(method, escapedPath, rawQuery string) (runtimeCall, bool) {
	rest, ok := strings.CutPrefix(escapedPath, runtimeAPIPrefix)
	if !ok || rawQuery != "" {
		return runtimeCall{}, false
	}
	seg := strings.Split(rest, "/")
	if len(seg) < 5 || !runtimeSecretRE.MatchString(seg[0]) || seg[1] != "2018-06-01" || seg[2] != "runtime" {
		return runtimeCall{}, false
	}
	rc := runtimeCall{secret: seg[0]}
	switch op := seg[3:]; {
	case len(op) == 2 && op[0] == "invocation" && op[1] == "next" && method == http.MethodGet:
		rc.op = "next"
	case len(op) == 3 && op[0] == "invocation" && (op[2] == "response" || op[2] == "error") && method == http.MethodPost && runtimeRequestIDRE.MatchString(op[1]):
		rc.op, rc.requestID = op[2], op[1]
	case len(op) == 2 && op[0] == "init" && op[1] == "error" && method == http.MethodPost:
		rc.op = "init-error"
	default:
		return runtimeCall{}, false
	}
	return rc, true
}

// maxRuntimeBody bounds a response or error a function posts (Lambda's
// synchronous payload limit is 6 MB).
const maxRuntimeBody = 6 << 20

// runtimeHeaders are the request headers the Runtime API reads; no other
// header is passed on.
var runtimeHeaders = []string{"Content-Type", "Lambda-Runtime-Function-Error-Type", "Lambda-Runtime-Function-Xray-Error-Cause"}

// proxy serves the Runtime API of the bootstraps the sandbox started, on the
// gateway's plain-HTTP port: a request whose secret is that of a running
// function process, for one of the Runtime API's operations, is rebuilt
// from its parsed parts and sent to that function's Runtime API in its
// account's kumo. Anything else is refused and nothing is forwarded.
func (rt *runtimes) proxy(w http.ResponseWriter, r *http.Request) {
	rc, ok := parseRuntimeCall(r.Method, r.URL.EscapedPath(), r.URL.RawQuery)
	if !ok {
		runtimeError(w, http.StatusNotFound, "InvalidRequest", "not a Runtime API operation")
		return
	}
	p := rt.bySecret(rc.secret)
	if p == nil {
		runtimeError(w, http.StatusForbidden, "AccessDenied", "not the Runtime API of a running function")
		return
	}
	b := rt.g.sb.accounts[p.account]
	if b == nil {
		runtimeError(w, http.StatusForbidden, "AccessDenied", "not the Runtime API of a running function")
		return
	}
	if rc.op == "next" {
		p.once.Do(func() { close(p.polled) })
	}
	var body []byte
	if r.Method == http.MethodPost {
		data, err := io.ReadAll(io.LimitReader(r.Body, maxRuntimeBody+1))
		if err != nil {
			runtimeError(w, http.StatusBadRequest, "InvalidRequest", "read request body")
			return
		}
		if len(data) > maxRuntimeBody {
			runtimeError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "the payload exceeds 6 MB")
			return
		}
		body = data
		if rc.op != "response" {
			// What Lambda would put in the function's log: the failure.
			rt.g.sb.logf("lambda %s: invocation failed: %s", p.fn, data)
		}
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, b.url.String()+"/_runtime/"+p.fn+rc.path(), bytes.NewReader(body))
	if err != nil {
		runtimeError(w, http.StatusInternalServerError, "ServiceException", err.Error())
		return
	}
	for _, h := range runtimeHeaders {
		if v := r.Header.Values(h); len(v) > 0 {
			req.Header[h] = v
		}
	}
	resp, err := b.client.Do(req)
	if err != nil {
		runtimeError(w, http.StatusBadGateway, "ServiceException", err.Error())
		return
	}
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	if resp.Header.Get("Lambda-Runtime-Invoked-Function-Arn") != "" {
		w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", rt.g.functionARN(p.account, p.fn))
	}
	switch id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id"); {
	case rc.op == "next" && resp.StatusCode == http.StatusOK && runtimeRequestIDRE.MatchString(id):
		p.invocationStarted(id)
	case (rc.op == "response" || rc.op == "error") && resp.StatusCode/100 == 2:
		p.invocationEnded(rc.requestID)
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

// bySecret is the running function process whose Runtime API secret this
// is; nil for any other string (a stopped or replaced process's secret
// included).
func (rt *runtimes) bySecret(secret string) *fnRuntime {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	for _, p := range rt.procs {
		if subtle.ConstantTimeCompare([]byte(p.secret), []byte(secret)) == 1 {
			select {
			case <-p.done:
				return nil
			default:
				return p
			}
		}
	}
	return nil
}

// runtimeError answers a Runtime API request in the API's error shape.
func runtimeError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"errorType": typ, "errorMessage": msg})
}
