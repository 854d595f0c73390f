package artifact

import (
	"bytes"
	"context"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// A host build is the processor's bootstrap built for the machine the
// sandbox runs on, for a sandbox on a host that cannot run the Linux
// package (macOS, Windows). It lives beside the package, in HostDir, with a
// manifest that ties it to the package it stands for: the sandbox runs it
// only for a deployed zip whose SHA-256 the manifest names, and only when
// the binary is the one the manifest describes (same module, same commit).
// AWS never sees it: plan and apply deploy and compare the Linux zip.

// Module is the processor's module path, as a host build's build info
// carries it.
const Module = "github.com/xacct/xacct"

// bootstrapPackage is the processor's main package.
const bootstrapPackage = Module + "/lambda/bootstrap"

// HostManifestName is the manifest's file name in a host build's directory.
const HostManifestName = "manifest.json"

// HostManifest describes a host build.
type HostManifest struct {
	Module    string `json:"module"`   // Module
	Revision  string `json:"revision"` // the commit it was built from (vcs.revision; empty outside a checkout)
	Modified  bool   `json:"modified"` // built from a tree with uncommitted changes
	GOOS      string `json:"goos"`
	GOARCH    string `json:"goarch"`
	Bootstrap string `json:"bootstrap"` // its file name in the directory
	// BootstrapSHA256 is the binary's SHA-256 (hex); ZipSHA256 the Linux
	// package's, built from the same tree in the same run.
	BootstrapSHA256 string `json:"bootstrap_sha256"`
	ZipSHA256       string `json:"zip_sha256"`
}

// HostDir is where the host build of the package at pkgPath lives:
// dist/metadata-processor.zip → dist/metadata-processor.host.
func HostDir(pkgPath string) string {
	return strings.TrimSuffix(pkgPath, filepath.Ext(pkgPath)) + ".host"
}

func hostBootstrapName(goos string) string {
	if goos == "windows" {
		return "bootstrap.exe"
	}
	return "bootstrap"
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// BuildHost builds the bootstrap in moduleDir for this machine (with the
// commit in its build info) into outDir, beside a manifest naming pkg, the
// Linux package built from the same tree.
func BuildHost(ctx context.Context, moduleDir, outDir string, pkg []byte) (*HostManifest, error) {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, err
	}
	name := hostBootstrapName(runtime.GOOS)
	bin := filepath.Join(outDir, name)
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-tags", "lambda.norpc", "-o", bin, "./lambda/bootstrap")
	cmd.Dir = moduleDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build bootstrap for %s/%s: %w\n%s", runtime.GOOS, runtime.GOARCH, err, out)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	bi, err := buildinfo.Read(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("build info of the host bootstrap: %w", err)
	}
	m := &HostManifest{Module: bi.Main.Path, GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, Bootstrap: name,
		BootstrapSHA256: sha256Hex(data), ZipSHA256: sha256Hex(pkg)}
	m.Revision, m.Modified = vcs(bi)
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return m, os.WriteFile(filepath.Join(outDir, HostManifestName), append(b, '\n'), 0o644)
}

func vcs(bi *buildinfo.BuildInfo) (revision string, modified bool) {
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	return revision, modified
}

// LoadHost finds the host build in dir that stands for pkg on goos/goarch
// and checks its provenance: the manifest names pkg's SHA-256 and this
// platform, the binary is the one it names (SHA-256), and the binary's
// build info says it is the processor's main package of Module, built
// from the manifest's commit for this platform. It returns the binary.
func LoadHost(dir string, pkg []byte, goos, goarch string) ([]byte, *HostManifest, error) {
	mb, err := os.ReadFile(filepath.Join(dir, HostManifestName))
	if err != nil {
		return nil, nil, err
	}
	var m HostManifest
	if err := json.Unmarshal(mb, &m); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", filepath.Join(dir, HostManifestName), err)
	}
	switch {
	case m.ZipSHA256 != sha256Hex(pkg):
		return nil, &m, fmt.Errorf("%s is the host build of another package (zip sha256 %s, the deployed one is %s): rebuild both with make lambda", dir, m.ZipSHA256, sha256Hex(pkg))
	case m.GOOS != goos || m.GOARCH != goarch:
		return nil, &m, fmt.Errorf("%s is built for %s/%s, not %s/%s", dir, m.GOOS, m.GOARCH, goos, goarch)
	case m.Module != Module:
		return nil, &m, fmt.Errorf("%s is a build of module %q, not %s", dir, m.Module, Module)
	case m.Bootstrap != hostBootstrapName(goos):
		return nil, &m, fmt.Errorf("%s names the binary %q, not %s", dir, m.Bootstrap, hostBootstrapName(goos))
	}
	data, err := os.ReadFile(filepath.Join(dir, m.Bootstrap))
	if err != nil {
		return nil, &m, err
	}
	if sha256Hex(data) != m.BootstrapSHA256 {
		return nil, &m, fmt.Errorf("%s: the binary is not the one the manifest names (sha256 %s, manifest %s)", dir, sha256Hex(data), m.BootstrapSHA256)
	}
	bi, err := buildinfo.Read(bytes.NewReader(data))
	if err != nil {
		return nil, &m, fmt.Errorf("%s: no Go build info: %w", dir, err)
	}
	rev, modified := vcs(bi)
	var os_, arch string
	for _, s := range bi.Settings {
		switch s.Key {
		case "GOOS":
			os_ = s.Value
		case "GOARCH":
			arch = s.Value
		}
	}
	switch {
	case bi.Path != bootstrapPackage || bi.Main.Path != m.Module:
		return nil, &m, fmt.Errorf("%s: the binary is %s of module %s, not %s", dir, bi.Path, bi.Main.Path, bootstrapPackage)
	case rev != m.Revision || modified != m.Modified:
		return nil, &m, fmt.Errorf("%s: the binary is of commit %q (modified %v), the manifest says %q (modified %v)", dir, rev, modified, m.Revision, m.Modified)
	case os_ != goos || arch != goarch:
		return nil, &m, fmt.Errorf("%s: the binary is built for %s/%s, not %s/%s", dir, os_, arch, goos, goarch)
	}
	return data, &m, nil
}
