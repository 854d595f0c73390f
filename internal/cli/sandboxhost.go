package cli

import (
	"context"
	"io"
	"time"
)

// SandboxHost runs the local sandbox in this process. The xacct-sandbox
// binary sets Factory.Sandbox to one (MainWithSandbox); xacct leaves it nil
// and `xacct sandbox` hands its command line to xacct-sandbox, so that the
// binary a user installs for AWS carries neither the sandbox nor kumo's
// services.
type SandboxHost interface {
	// IsChild reports whether args (os.Args) ask this process to be one
	// account's kumo, a child of a running sandbox.
	IsChild(args []string) bool
	// RunChild runs that child until stdin closes and returns its exit code.
	RunChild(args []string, stdin io.Reader, stdout io.Writer) int
	// CheckFaults rejects a --faults value the sandbox cannot inject.
	CheckFaults(spec string) error
	// Start starts the sandbox; it runs until Close.
	Start(ctx context.Context, s SandboxStart) (RunningSandbox, error)
}

// SandboxAccount is one account the sandbox serves.
type SandboxAccount struct {
	Name, ID, AdminRoleName string
}

// SandboxStart is what `xacct sandbox` starts.
type SandboxStart struct {
	Accounts                   []SandboxAccount
	Region, Listen, DataDir    string
	Faults                     string // --faults, CheckFaults accepted it
	FaultSeed                  uint64
	TrailDelivery, TrailDigest time.Duration
	// ProcessorPackage is the config's processor package: where the host
	// isn't Linux, the sandbox runs the host build make lambda wrote
	// beside it.
	ProcessorPackage string
	Logf             func(format string, args ...any)
}

// RunningSandbox is a started sandbox.
type RunningSandbox interface {
	// EnvLines are KEY=value lines that act as the management account's
	// administrator.
	EnvLines() []string
	// URLs are the gateway's TLS and plain-HTTP addresses.
	URLs() (tlsURL, httpURL string)
	Close()
}

// The defaults of --trail-interval and --trail-digest-interval: the
// sandbox's own (internal/sandboxhost's test holds them equal).
const (
	DefaultTrailDelivery = 2 * time.Second
	DefaultTrailDigest   = 10 * time.Second
)
