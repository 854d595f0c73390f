package sandbox

import (
	"os/exec"
	"syscall"
)

// setChildAttrs makes the kernel signal a child when the sandbox process
// dies, even by SIGKILL (closing its standard input is the portable way).
// SIGTERM, not SIGKILL: a kumo child then removes its socket directory and
// lets kumo's last snapshot land; a function's bootstrap just ends.
func setChildAttrs(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
