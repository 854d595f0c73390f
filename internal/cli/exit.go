package cli

import (
	"fmt"

	"github.com/xacct/xacct/internal/operation"
)

// Exit codes: the whole list.
const (
	ExitOK      = 0
	ExitError   = 1
	ExitChanges = 2 // plan --detailed-exitcode: changes present
	// ExitMismatch is verify's: the access is not the intended one.
	ExitMismatch = 3
	// ExitLogsInvalid is audit --validate's: a log file or a digest is
	// missing or altered.
	ExitLogsInvalid = 3
)

// exitError ends a command with an exit code and nothing printed.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// withHint adds advice on what to do to an error; Run prints it as Hint.
func withHint(err error, hint string) error { return &operation.HintError{Err: err, Hint: hint} }
