// Package sandboxhost is the xacct-sandbox binary's side of `xacct
// sandbox`: the cli.SandboxHost that runs internal/sandbox in this process.
// It lives apart from internal/cli so that the xacct binary, which does not
// import it, links neither the sandbox nor kumo's services.
package sandboxhost

import (
	"context"
	"io"
	"path/filepath"

	"github.com/xacct/xacct/internal/cli"
	"github.com/xacct/xacct/internal/sandbox"
	"github.com/xacct/xacct/lambda/artifact"
)

// Host runs the sandbox in this process.
type Host struct{}

var _ cli.SandboxHost = Host{}

// IsChild reports whether args ask for one account's kumo process.
func (Host) IsChild(args []string) bool { return sandbox.IsChild(args) }

// RunChild runs one account's kumo until stdin closes.
func (Host) RunChild(args []string, stdin io.Reader, stdout io.Writer) int {
	return sandbox.RunChild(args, stdin, stdout)
}

// CheckFaults parses a --faults value.
func (Host) CheckFaults(spec string) error {
	_, err := sandbox.ParseFaults(spec)
	return err
}

// Start starts the sandbox.
func (Host) Start(ctx context.Context, s cli.SandboxStart) (cli.RunningSandbox, error) {
	faults, err := sandbox.ParseFaults(s.Faults)
	if err != nil {
		return nil, err
	}
	faults.Seed = s.FaultSeed
	var accounts []sandbox.Account
	for _, a := range s.Accounts {
		accounts = append(accounts, sandbox.Account{Name: a.Name, ID: a.ID, AdminRoleName: a.AdminRoleName})
	}
	var hostBuilds []string
	if s.ProcessorPackage != "" {
		dir, err := filepath.Abs(artifact.HostDir(s.ProcessorPackage))
		if err != nil {
			return nil, err
		}
		hostBuilds = append(hostBuilds, dir)
	}
	sb, err := sandbox.Start(ctx, sandbox.Options{
		HostBuildDirs: hostBuilds,
		Accounts:      accounts,
		Region:        s.Region,
		Listen:        s.Listen,
		DataDir:       s.DataDir,
		Faults:        faults,
		TrailDelivery: s.TrailDelivery,
		TrailDigest:   s.TrailDigest,
		Logf:          s.Logf,
	})
	if err != nil {
		return nil, err
	}
	return running{sb}, nil
}

type running struct{ *sandbox.Sandbox }

func (r running) URLs() (string, string) { return r.URL, r.HTTPURL }
