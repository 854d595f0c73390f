package sandboxhost

import (
	"testing"

	"github.com/xacct/xacct/internal/cli"
	"github.com/xacct/xacct/internal/sandbox"
)

// The CLI's flag defaults are the sandbox's, which xacct cannot import.
func TestTrailDefaultsAreTheSandboxs(t *testing.T) {
	if cli.DefaultTrailDelivery != sandbox.DefaultTrailDelivery || cli.DefaultTrailDigest != sandbox.DefaultTrailDigest {
		t.Errorf("cli's trail defaults %v/%v, the sandbox's %v/%v",
			cli.DefaultTrailDelivery, cli.DefaultTrailDigest, sandbox.DefaultTrailDelivery, sandbox.DefaultTrailDigest)
	}
}

func TestCheckFaults(t *testing.T) {
	for spec, ok := range map[string]bool{"": true, "throttle=0.1,error=0.03": true, "throttle=2": false, "weather=1": false} {
		if err := (Host{}).CheckFaults(spec); (err == nil) != ok {
			t.Errorf("CheckFaults(%q) = %v, want ok %v", spec, err, ok)
		}
	}
}
