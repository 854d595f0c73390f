package cli

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// sandboxBinary is the name of the binary that carries the sandbox
// (cmd/xacct-sandbox): xacct with the sandbox and kumo linked in.
const sandboxBinary = "xacct-sandbox"

// findSandboxBinary looks for xacct-sandbox next to this executable (make
// build puts both in bin/), then on PATH.
func findSandboxBinary() (string, error) {
	name := sandboxBinary
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	if exe, err := os.Executable(); err == nil {
		if exe, err = filepath.EvalSymlinks(exe); err == nil {
			p := filepath.Join(filepath.Dir(exe), name)
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				return p, nil
			}
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return "", withHint(errors.New("xacct sandbox runs "+sandboxBinary+", the binary that carries the local AWS, and it is neither next to xacct nor on PATH"),
		"make build puts it in bin/ beside xacct; or go install github.com/xacct/xacct/cmd/xacct-sandbox@<the same version>")
}

// execSandbox hands this command line to xacct-sandbox, which runs the
// same command with the sandbox in its own process.
func execSandbox(f *Factory) error {
	bin, err := findSandboxBinary()
	if err != nil {
		return err
	}
	code, err := replaceProcess(bin, f.args)
	if err != nil {
		return err
	}
	if code != ExitOK {
		return &exitError{code: code}
	}
	return nil
}
