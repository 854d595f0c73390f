package sandbox

import (
	"os/exec"
	"syscall"
)

// setChildAttrs makes the kernel kill a kumo child when the sandbox process
// dies, even by SIGKILL; closing its standard input is the portable way.
func setChildAttrs(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
