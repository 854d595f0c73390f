//go:build !unix

package cli

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
)

// replaceProcess runs bin as a child with this process's streams and
// environment (there is no exec here) and returns its exit code. An
// interrupt reaches both; the child stops the sandbox.
func replaceProcess(bin string, args []string) (int, error) {
	cmd := exec.Command(bin, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	signal.Ignore(os.Interrupt)
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), nil
	}
	if err != nil {
		return ExitError, fmt.Errorf("run %s: %w", bin, err)
	}
	return ExitOK, nil
}
