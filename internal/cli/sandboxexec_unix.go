//go:build unix

package cli

import (
	"fmt"
	"os"
	"syscall"
)

// replaceProcess execs bin in place of this process, with the same
// environment: the sandbox keeps this process's ID, so a script that
// started `xacct sandbox &` stops it with kill $!. It returns only on
// failure.
func replaceProcess(bin string, args []string) (int, error) {
	err := syscall.Exec(bin, append([]string{bin}, args...), os.Environ())
	return ExitError, fmt.Errorf("run %s: %w", bin, err)
}
