package e2e

// The docs run as written (issue 21): the README's quick start and the
// sandbox page's recipes, from a fresh copy of the repository, word for
// word, with the AWS CLI a user has.

import (
	"bufio"
	"context"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// repoRoot is the repository, seen from this package.
const repoRoot = "../.."

// docBlocks returns, in order, the fenced sh blocks of a markdown file
// that follow a `<!-- docs-test: name -->` line. A marker not followed by
// an sh block fails the test, so a marker cannot silently mark nothing.
func docBlocks(t *testing.T, path, name string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	var blocks []string
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "<!-- docs-test: "+name+" -->" {
			continue
		}
		if i+1 >= len(lines) || lines[i+1] != "```sh" {
			t.Fatalf("%s:%d: the docs-test marker is not followed by a ```sh block", path, i+1)
		}
		var block []string
		j := i + 2
		for ; j < len(lines) && lines[j] != "```"; j++ {
			block = append(block, lines[j])
		}
		if j == len(lines) {
			t.Fatalf("%s:%d: the block never ends", path, i+2)
		}
		blocks = append(blocks, strings.Join(block, "\n")+"\n")
		i = j
	}
	if len(blocks) == 0 {
		t.Fatalf("%s has no block marked docs-test: %s", path, name)
	}
	return blocks
}

// freshCopy copies the repository as a clone would have it: no build
// output (bin, dist), no state (.xacct), no git metadata.
func freshCopy(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "xacct")
	skip := map[string]bool{".git": true, "bin": true, "dist": true, ".xacct": true}
	err := filepath.WalkDir(repoRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(repoRoot, p)
		if d.IsDir() {
			if !strings.Contains(rel, string(filepath.Separator)) && skip[rel] {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if strings.HasSuffix(p, ".test") || !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, info.Mode().Perm())
	})
	if err != nil {
		t.Fatalf("copy the repository: %v", err)
	}
	return dst
}

// recipeEnv is a newcomer's environment: PATH with Go, make and the given
// AWS CLI, a HOME of its own (no ~/.aws), no AWS variables, and this
// machine's Go caches (so that a build is not a download).
func recipeEnv(t *testing.T, awsDir string) []string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal("no go on PATH")
	}
	caches, err := exec.Command(goBin, "env", "GOCACHE", "GOMODCACHE", "GOPATH", "GOPROXY", "GOFLAGS").Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	v := strings.Split(strings.TrimRight(string(caches), "\n"), "\n")
	home := t.TempDir()
	return []string{
		"PATH=" + awsDir + ":" + filepath.Dir(goBin) + ":/usr/local/bin:/usr/bin:/bin",
		"HOME=" + home, "LC_ALL=C.UTF-8", "NO_COLOR=1", "AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true",
		"GOCACHE=" + v[0], "GOMODCACHE=" + v[1], "GOPATH=" + v[2], "GOPROXY=" + v[3], "GOFLAGS=" + v[4],
	}
}

// runScript runs a shell script in dir, in a session of its own (no
// terminal: the AWS CLI then reads an MFA code from standard input), and
// returns its output. When the AWS CLI asks for an MFA code, it is given
// the last six-digit line the script printed, as a person reads the code
// xacct sandbox mfa-code printed and types it. The whole process group is
// stopped at the end, whatever happened.
func runScript(t *testing.T, dir string, env []string, script string, timeout time.Duration) (string, int, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "recipe.sh")
	if err := os.WriteFile(path, []byte("set -euo pipefail\nset -x\n"+script), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", path)
	cmd.Dir, cmd.Env = dir, env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	t.Cleanup(func() {
		// Anything the script left (a sandbox after a failure) goes
		// with its session.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		time.Sleep(200 * time.Millisecond)
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	})
	var (
		mu      sync.Mutex
		out     strings.Builder
		prompts int
		done    = make(chan struct{})
	)
	codeRE := regexp.MustCompile(`(?m)^([0-9]{6})$`)
	go func() {
		defer close(done)
		r := bufio.NewReader(pr)
		buf := make([]byte, 4096)
		for {
			n, err := r.Read(buf)
			mu.Lock()
			out.Write(buf[:n])
			s := out.String()
			if c := strings.Count(s, "Enter MFA code for "); c > prompts {
				prompts = c
				if m := codeRE.FindAllStringSubmatch(s, -1); m != nil {
					_, _ = io.WriteString(stdin, m[len(m)-1][1]+"\n")
				}
			}
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	err = cmd.Wait()
	<-done
	mu.Lock()
	defer mu.Unlock()
	return out.String(), prompts, err
}

// endpointURLCLI is an AWS CLI here that reads a profile's endpoint_url,
// which the sandbox page's recipes need (the page says so).
func endpointURLCLI(t *testing.T) string {
	t.Helper()
	for _, c := range awsCLIs(t) {
		if c.endpointURL {
			return c.path
		}
	}
	t.Fatalf("no AWS CLI that reads endpoint_url (2.13+ or 1.29+) among %v: install one (pip install awscli)", awsCLIs(t))
	return ""
}

// TestDocsQuickStartAndSandboxRecipes: in a fresh copy of the repository,
// the README's quick start (make demo; make test is what CI runs) and then
// every block of docs/sandbox.md marked docs-test, as written: the sandbox
// started, the stack applied, members made (one with a virtual MFA
// device), their profiles from xacct output --aws-config, an upload
// through the developers' role with the MFA code xacct sandbox mfa-code
// printed, a tester refused the same, the metadata record read in
// Reporting, the old-CLI profile, destroy and stop.
func TestDocsQuickStartAndSandboxRecipes(t *testing.T) {
	t.Parallel()
	quick := docBlocks(t, filepath.Join(repoRoot, "README.md"), "quickstart")
	if len(quick) != 1 {
		t.Fatalf("the README has %d quick-start blocks, want 1", len(quick))
	}
	var commands []string
	for _, l := range strings.Split(strings.TrimSpace(quick[0]), "\n") {
		cmd, _, _ := strings.Cut(l, "#")
		commands = append(commands, strings.TrimSpace(cmd))
	}
	if strings.Join(commands, "; ") != "make demo; make test" {
		t.Fatalf("the quick start's commands are %q, want exactly make demo and make test", commands)
	}
	// make test is the suite this test is part of: CI runs it (.ci/run
	// runs make check, which runs make test); the test runs make demo.
	ci, _ := os.ReadFile(filepath.Join(repoRoot, ".ci/run"))
	mk, _ := os.ReadFile(filepath.Join(repoRoot, "Makefile"))
	if !regexp.MustCompile(`(?m)^make check$`).Match(ci) || !regexp.MustCompile(`(?m)^check:\n(\t.*\n)*\t@\$\(MAKE\) --no-print-directory test$`).Match(mk) {
		t.Errorf(".ci/run no longer runs make check, or make check no longer runs make test")
	}
	recipes := docBlocks(t, filepath.Join(repoRoot, "docs/sandbox.md"), "sandbox")

	dir := freshCopy(t)
	// The recipes' sandbox listens where examples/sandbox.yaml says; in the
	// copy, that is a free port, so that the test cannot meet a sandbox a
	// person runs on 4566. The recipes' words are unchanged.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).AddrPort().String()
	l.Close()
	cfgPath := filepath.Join(dir, "examples/sandbox.yaml")
	cfg, _ := os.ReadFile(cfgPath)
	if strings.Count(string(cfg), "127.0.0.1:4566") != 3 {
		t.Fatalf("examples/sandbox.yaml does not name the sandbox at 127.0.0.1:4566 three times:\n%s", cfg)
	}
	if err := os.WriteFile(cfgPath, []byte(strings.ReplaceAll(string(cfg), "127.0.0.1:4566", port)), 0o644); err != nil {
		t.Fatal(err)
	}
	env := recipeEnv(t, filepath.Dir(endpointURLCLI(t)))

	start := time.Now()
	out, _, err := runScript(t, dir, env, strings.SplitN(quick[0], "\n", 2)[0]+"\n", 5*time.Minute)
	if err != nil || !strings.Contains(out, "Verified live.") || !strings.Contains(out, "Stopped; no process is left running.") {
		t.Fatalf("the quick start's make demo: %v\n%s", err, out)
	}
	t.Logf("make demo in a fresh copy: %v", time.Since(start).Round(100*time.Millisecond))

	start = time.Now()
	out, prompts, err := runScript(t, dir, env, strings.Join(recipes, ""), 5*time.Minute)
	if err != nil {
		t.Fatalf("docs/sandbox.md's recipes: %v\n%s", err, out)
	}
	t.Logf("docs/sandbox.md's %d blocks: %v", len(recipes), time.Since(start).Round(100*time.Millisecond))
	for what, re := range map[string]string{
		"the administrator's identity":                  `"Account": "999999999999"`,
		"the apply":                                     `Apply complete! Resources: \d+ added, 0 changed, 0 destroyed\.`,
		"alice's upload":                                `upload: \./hello\.txt to s3://acme-data-prod/hello\.txt`,
		"bob's listing":                                 `(?m)^\S+ \S+ +6 hello\.txt$`,
		"bob's refused upload":                          `(?m)^refused, as intended: testers may not upload$`,
		"the record, naming alice's session":            `"source":\{"bucket":"acme-data-prod","key":"hello\.txt".*"principal":"AWS:AROA[A-Z0-9]+:alice"`,
		"bob's listing with the credential_process CLI": `(?s)config-old-cli.*\n\S+ \S+ +6 hello\.txt\n`,
		"the destroy":                                   `Destroy complete! Resources: 0 added, 0 changed, \d+ destroyed\.`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("the recipes' output lacks %s (%s)", what, re)
		}
	}
	// The profile from xacct output --aws-config has alice's device, and
	// the CLI asked for its code once (then kept the session).
	profile, err := os.ReadFile(filepath.Join(dir, ".xacct/config"))
	if err != nil || !strings.Contains(string(profile), "[profile acme-data-developers]") || !strings.Contains(string(profile), "mfa_serial = arn:aws:iam::111111111111:mfa/alice") {
		t.Errorf("the members' AWS CLI config: %v\n%s", err, profile)
	}
	if alice, err := os.ReadFile(filepath.Join(dir, "alice.txt")); err != nil || !regexp.MustCompile(`(?m)^mfa_seed = [A-Z2-7]{32}$`).Match(alice) {
		t.Errorf("alice.txt has no MFA seed: %v\n%s", err, alice)
	}
	if prompts != 1 {
		t.Errorf("the AWS CLI asked for an MFA code %d times, want once", prompts)
	}
	if t.Failed() {
		t.Logf("output:\n%s", out)
	}
}
