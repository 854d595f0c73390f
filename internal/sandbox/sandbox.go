// Package sandbox is a local AWS with three real account boundaries, built
// on kumo: one kumo process per account behind one gateway that checks every
// request's SigV4 signature, answers STS, routes each request to the account
// it belongs to, fills what kumo lacks (IAM groups and user policies, S3
// ownership controls and notifications), runs Lambda bootstraps against
// kumo's Runtime API, and authorizes every request with internal/iampolicy,
// as AWS would.
package sandbox

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Account is one member account of the sandbox's organization.
type Account struct {
	Name string // development, production, reporting
	ID   string
	// AdminRoleName is the role the management account assumes into the
	// account with AdministratorAccess (default OrganizationAccountAccessRole).
	AdminRoleName string
}

// DefaultAdminRoleName is the role AWS Organizations creates in member accounts.
const DefaultAdminRoleName = "OrganizationAccountAccessRole"

// Options configure a sandbox.
type Options struct {
	Accounts []Account
	Region   string // default us-east-1
	// Listen is the TLS address of the gateway (default 127.0.0.1:4566;
	// port 0 picks one). HTTPListen is its plain-HTTP address, used for
	// kumo's callbacks and to show that TLS-only buckets refuse plain HTTP
	// (default 127.0.0.1:0).
	Listen     string
	HTTPListen string
	// DataDir keeps the accounts' data, the gateway's state and the CA across
	// restarts. Empty: everything lives in a temporary directory removed by
	// Close.
	DataDir string
	// ChildCommand is the command that runs a kumo child process; the
	// sandbox appends the child argument (see IsChild). Default: this
	// process's own executable.
	ChildCommand []string
	// Logf receives the sandbox's log lines (nil: discarded).
	Logf func(format string, args ...any)
	// Faults are AWS's own errors, injected at random (xacct sandbox
	// --faults); zero: none.
	Faults Faults
	// MaxConns bounds the open connections of each gateway listener
	// (listener.go); zero: 256.
	MaxConns int
	// TrailDelivery is how often CloudTrail delivers each logging trail's
	// log files, TrailDigest its digest files; zero: DefaultTrailDelivery,
	// DefaultTrailDigest (cloudtrail.go says why those).
	TrailDelivery, TrailDigest time.Duration
	// EventBudget is how long the sandbox tries to deliver an asynchronous
	// event (an S3 notification, an Invoke of type Event) before it sends
	// the event to the function's on-failure destination as
	// EventAgeExceeded; zero: DefaultEventBudget (notify.go says why that).
	// A test of that path sets a second or two.
	EventBudget time.Duration
	// HostBuildDirs are where make lambda writes the processor's host
	// build (artifact.HostDir of the package), which the sandbox runs where
	// it cannot run a package's Linux bootstrap (hostbuild.go).
	HostBuildDirs []string
	// ForceHostBuild takes that path even where the Linux bootstrap could
	// run: the tests of the non-Linux path, on Linux.
	ForceHostBuild bool
}

// Sandbox is a running sandbox. Close stops it and every process it started.
type Sandbox struct {
	// faults injects AWS's errors into authenticated requests.
	faults atomic.Pointer[injector]
	// URL is the gateway's TLS endpoint (AWS_ENDPOINT_URL); HTTPURL its
	// plain-HTTP endpoint.
	URL, HTTPURL string
	// CAFile holds the CA that signed the gateway's certificate (AWS_CA_BUNDLE).
	CAFile string
	Region string
	// ManagementAccount is the organization's management account; AdminKey
	// and AdminSecret are its administrator's access key.
	ManagementAccount     string
	AdminKey, AdminSecret string
	Accounts              []Account
	accounts              map[string]*backend
	dataDir               string
	tempDir               bool
	st                    *state
	gw                    *gateway
	servers               []*http.Server
	closeOnce             sync.Once
	logf                  func(string, ...any)
	hostBuildDirs         []string
	forceHostBuild        bool
	eventBudget           time.Duration
}

// backend is one account's kumo process and the SDK clients the gateway
// uses to read it directly. The child listens on a Unix socket only (see
// RunChild): url is a placeholder base URL whose host kumo does not read as a
// bucket, and client dials the socket whatever the URL says.
type backend struct {
	id     string
	name   string
	url    *url.URL
	sock   string
	client *http.Client
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	done   chan struct{}
	iam    *iam.Client
	s3     *s3.Client
	lambda *lambda.Client
	logs   *cloudwatchlogs.Client
}

var accountIDRE = regexp.MustCompile(`^[0-9]{12}$`)

// Start starts the accounts' kumo processes and the gateway, creates the
// management administrator and each member account's admin role, and
// returns once the gateway serves.
func Start(ctx context.Context, opts Options) (sb *Sandbox, err error) {
	if len(opts.Accounts) == 0 {
		return nil, errors.New("sandbox: no accounts")
	}
	seen := map[string]string{}
	for i, a := range opts.Accounts {
		if !accountIDRE.MatchString(a.ID) {
			return nil, fmt.Errorf("sandbox: account %s: id %q is not 12 digits", a.Name, a.ID)
		}
		if other, dup := seen[a.ID]; dup {
			return nil, fmt.Errorf("sandbox: accounts %s and %s share id %s", other, a.Name, a.ID)
		}
		seen[a.ID] = a.Name
		if a.AdminRoleName == "" {
			opts.Accounts[i].AdminRoleName = DefaultAdminRoleName
		}
	}
	mgmt := "999999999999"
	for seen[mgmt] != "" {
		mgmt = fmt.Sprintf("%012d", mustAtoi(mgmt)-1)
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Listen == "" {
		opts.Listen = "127.0.0.1:4566"
	}
	if opts.HTTPListen == "" {
		opts.HTTPListen = "127.0.0.1:0"
	}
	if len(opts.ChildCommand) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("sandbox: find own executable: %w", err)
		}
		opts.ChildCommand = []string{exe}
	}
	sb = &Sandbox{
		Region:            opts.Region,
		ManagementAccount: mgmt,
		Accounts:          opts.Accounts,
		accounts:          map[string]*backend{},
		dataDir:           opts.DataDir,
		logf:              opts.Logf,
		hostBuildDirs:     opts.HostBuildDirs,
		forceHostBuild:    opts.ForceHostBuild,
		eventBudget:       opts.EventBudget,
	}
	if sb.eventBudget <= 0 {
		sb.eventBudget = DefaultEventBudget
	}
	if sb.logf == nil {
		sb.logf = func(string, ...any) {}
	}
	defer func() {
		if err != nil {
			sb.Close()
			sb = nil
		}
	}()
	if sb.dataDir == "" {
		if sb.dataDir, err = os.MkdirTemp("", "xacct-sandbox-"); err != nil {
			return sb, err
		}
		sb.tempDir = true
	} else if err := os.MkdirAll(sb.dataDir, 0o700); err != nil {
		return sb, err
	}
	ca, err := loadOrCreateCA(sb.dataDir)
	if err != nil {
		return sb, err
	}
	sb.CAFile = ca.caPath
	if sb.st, err = loadState(map[bool]string{true: "", false: sb.dataDir}[sb.tempDir]); err != nil {
		return sb, err
	}

	// One kumo per account, started together.
	all := append([]Account{{Name: "management", ID: mgmt}}, opts.Accounts...)
	var wg sync.WaitGroup
	errs := make([]error, len(all))
	backends := make([]*backend, len(all))
	for i, a := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			backends[i], errs[i] = sb.startChild(ctx, a, opts.ChildCommand)
		}()
	}
	wg.Wait()
	for i, b := range backends {
		if b != nil {
			sb.accounts[b.id] = b
		}
		if errs[i] != nil {
			return sb, errs[i]
		}
	}

	sb.SetFaults(opts.Faults)
	sb.gw = newGateway(sb)
	if sb.gw.trail, err = newCloudTrail(sb.gw, sb.dataDir, opts.TrailDelivery, opts.TrailDigest); err != nil {
		return sb, err
	}
	if err := sb.bootstrap(ctx); err != nil {
		return sb, fmt.Errorf("sandbox: bootstrap accounts: %w", err)
	}

	tlsLn, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return sb, fmt.Errorf("sandbox: listen on %s: %w", opts.Listen, err)
	}
	httpLn, err := net.Listen("tcp", opts.HTTPListen)
	if err != nil {
		tlsLn.Close()
		return sb, fmt.Errorf("sandbox: listen on %s: %w", opts.HTTPListen, err)
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = maxConns
	}
	tlsLim, httpLim := newLimitListener(tlsLn, opts.MaxConns), newLimitListener(httpLn, opts.MaxConns)
	sb.URL = "https://" + tlsLn.Addr().String()
	sb.HTTPURL = "http://" + httpLn.Addr().String()
	sb.gw.httpURL = sb.HTTPURL
	tlsSrv := &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sb.gw.serve(w, r, true) }),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{ca.server}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
		// HTTP/2 as well as HTTP/1.1, as IAM, STS and Lambda answer: the
		// SDK's transport asks for it, and then a process's requests share
		// one connection instead of a TLS handshake each (a no-op plan
		// made 43). The connection bound never closes an HTTP/2
		// connection (a request a client was starting on it would fail);
		// the idle timeout does, with a GOAWAY the client heeds, so it is
		// short: an Accept waiting at the bound waits at most this long.
		IdleTimeout:    tlsIdleTimeout,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       discardLog(),
		ConnState:      tlsLim.connState,
	}
	httpSrv := &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sb.gw.serve(w, r, false) }),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          discardLog(),
		ConnState:         httpLim.connState,
	}
	sb.servers = []*http.Server{tlsSrv, httpSrv}
	go func() { _ = tlsSrv.ServeTLS(tlsLim, "", "") }()
	go func() { _ = httpSrv.Serve(httpLim) }()
	return sb, nil
}

// startChild starts one account's kumo and waits for its URL.
func (sb *Sandbox) startChild(ctx context.Context, a Account, command []string) (*backend, error) {
	args := append(append([]string(nil), command[1:]...), childArg)
	// kumo reads its settings from KUMO_* variables; none of the caller's
	// may reach it (KUMO_PPROF would open a TCP port).
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KUMO_") {
			env = append(env, kv)
		}
	}
	// kumo writes the region of AWS_DEFAULT_REGION into its ARNs and finds
	// a function by ARN only in that region: the sandbox's, whatever the
	// caller's environment says.
	env = slices.DeleteFunc(env, func(kv string) bool {
		return strings.HasPrefix(kv, "AWS_DEFAULT_REGION=") || strings.HasPrefix(kv, "AWS_REGION=")
	})
	env = append(env, "KUMO_LOG_LEVEL=error", "AWS_DEFAULT_REGION="+sb.Region, "AWS_REGION="+sb.Region)
	if !sb.tempDir {
		dir := filepath.Join(sb.dataDir, "accounts", a.ID)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		// kumo snapshots its data dir on a debounce; flush often and give the
		// last flush time to land when the child is stopped.
		env = append(env, "KUMO_DATA_DIR="+dir, "KUMO_PERSIST_FLUSH_INTERVAL_MS=100")
		args = append(args, flushWaitArg+"300ms")
	}
	cmd := exec.Command(command[0], args...)
	cmd.Env = env
	setChildAttrs(cmd)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("sandbox: start kumo for %s account: %w", a.Name, err)
	}
	b := &backend{id: a.ID, name: a.Name, cmd: cmd, stdin: stdin, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(b.done) }()
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- strings.TrimSpace(s)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case s := <-line:
		if !filepath.IsAbs(s) || filepath.Base(s) != socketName {
			b.stop()
			return nil, fmt.Errorf("sandbox: kumo for %s account did not start (said %q)", a.Name, s)
		}
		b.sock = s
	case <-time.After(60 * time.Second):
		b.stop()
		return nil, fmt.Errorf("sandbox: kumo for %s account did not start within 60s", a.Name)
	case <-ctx.Done():
		b.stop()
		return nil, ctx.Err()
	}
	b.url = &url.URL{Scheme: "http", Host: "localhost"}
	b.client = unixClient(b.sock)
	cfg := aws.Config{
		Region:      sb.Region,
		Credentials: credentials.NewStaticCredentialsProvider("kumo", "kumo", ""),
		HTTPClient:  b.client,
	}
	b.iam = iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = aws.String(b.url.String()) })
	b.s3 = s3.NewFromConfig(cfg, func(o *s3.Options) { o.BaseEndpoint = aws.String(b.url.String()); o.UsePathStyle = true })
	b.lambda = lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.BaseEndpoint = aws.String(b.url.String()) })
	b.logs = cloudwatchlogs.NewFromConfig(cfg, func(o *cloudwatchlogs.Options) { o.BaseEndpoint = aws.String(b.url.String()) })
	return b, nil
}

// unixClient is an HTTP client that sends every request to the Unix socket
// at sock, whatever its URL's host. It has no timeout: the Runtime API's
// /next is a long poll.
func unixClient(sock string) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy: nil,
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "unix", sock)
			},
			MaxIdleConns:        256,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     90 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// stop closes the child's standard input, which ends it, and kills it if it
// has not gone within five seconds. The child removes its socket directory;
// stop removes it too in case the child was killed.
func (b *backend) stop() {
	_ = b.stdin.Close()
	select {
	case <-b.done:
	case <-time.After(5 * time.Second):
		_ = b.cmd.Process.Kill()
		<-b.done
	}
	if b.client != nil {
		b.client.CloseIdleConnections()
	}
	if dir := filepath.Dir(b.sock); b.sock != "" && strings.HasPrefix(filepath.Base(dir), "xacct-kumo-") {
		_ = os.RemoveAll(dir)
	}
}

// EnvLines are the lines a shell can source to use the sandbox as the
// management account's administrator.
func (sb *Sandbox) EnvLines() []string {
	return []string{
		"AWS_ENDPOINT_URL=" + sb.URL,
		"AWS_CA_BUNDLE=" + sb.CAFile,
		"AWS_REGION=" + sb.Region,
		// The AWS CLI v1 (and boto3 before 1.28) read the region from
		// AWS_DEFAULT_REGION only.
		"AWS_DEFAULT_REGION=" + sb.Region,
		"AWS_ACCESS_KEY_ID=" + sb.AdminKey,
		"AWS_SECRET_ACCESS_KEY=" + sb.AdminSecret,
	}
}

// ChildPIDs are the process IDs of the kumo children.
func (sb *Sandbox) ChildPIDs() []int {
	var out []int
	for _, b := range sb.accounts {
		if b.cmd != nil && b.cmd.Process != nil {
			out = append(out, b.cmd.Process.Pid)
		}
	}
	sort.Ints(out)
	return out
}

// KumoClient returns a base URL and an HTTP client that reach the kumo
// process of the account with the given ID directly, over its Unix socket
// ("" and nil for an unknown account). kumo answers any credential and
// enforces nothing: this is there to measure what the gateway adds, from
// inside the sandbox's process; no other process can reach a child.
func (sb *Sandbox) KumoClient(accountID string) (string, *http.Client) {
	b, ok := sb.accounts[accountID]
	if !ok || b.client == nil {
		return "", nil
	}
	return b.url.String(), b.client
}

// Close stops the gateway, the Lambda runtimes and every kumo process, and
// removes the temporary data directory.
func (sb *Sandbox) Close() {
	sb.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, s := range sb.servers {
			_ = s.Shutdown(ctx)
		}
		if counts := sb.FaultCounts(); len(counts) > 0 {
			sb.logf("faults injected: %v", counts)
		}
		if sb.gw != nil {
			sb.gw.close()
		}
		var wg sync.WaitGroup
		for _, b := range sb.accounts {
			wg.Add(1)
			go func() { defer wg.Done(); b.stop() }()
		}
		wg.Wait()
		if sb.tempDir {
			_ = os.RemoveAll(sb.dataDir)
		}
	})
}

func mustAtoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// SetFaults changes the faults injected from now on (a test turns them on
// and off around what it checks); the counts start again.
func (sb *Sandbox) SetFaults(f Faults) { sb.faults.Store(newInjector(f)) }

// FaultCounts says how many faults were injected since the last
// SetFaults, by error code.
func (sb *Sandbox) FaultCounts() map[string]int {
	in := sb.faults.Load()
	in.mu.Lock()
	defer in.mu.Unlock()
	return maps.Clone(in.counts)
}
