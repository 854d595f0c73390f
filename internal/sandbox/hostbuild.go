package sandbox

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/xacct/xacct/lambda/artifact"
)

// A function's package holds a Linux bootstrap. Where the sandbox cannot
// run it (its host is not Linux, or of another architecture) it runs the
// host build of the same processor source that make lambda wrote beside
// the package (artifact.BuildHost), once that build's provenance is
// checked against the deployed zip (artifact.LoadHost). What was deployed,
// and what plan compares, is still the Linux zip.

// needsHostBuild says whether a bootstrap built for linux/arch cannot run
// here (or Options.ForceHostBuild asks for the host build anyway).
func (sb *Sandbox) needsHostBuild(arch string) bool {
	return sb.forceHostBuild || runtime.GOOS != "linux" || arch != runtime.GOARCH
}

// hostBuild is the verified host build that stands for the zip of fn,
// from the first of Options.HostBuildDirs that holds one.
func (sb *Sandbox) hostBuild(fn string, zip []byte, arch string) ([]byte, error) {
	var tried []string
	for _, dir := range sb.hostBuildDirs {
		bin, m, err := artifact.LoadHost(dir, zip, runtime.GOOS, runtime.GOARCH)
		if err != nil {
			tried = append(tried, err.Error())
			continue
		}
		sb.logf("lambda %s: its bootstrap is built for linux/%s and the sandbox runs on %s/%s: running the host build in %s instead (module %s, commit %s, for the zip with sha256 %s)",
			fn, arch, runtime.GOOS, runtime.GOARCH, dir, m.Module, m.Revision, m.ZipSHA256)
		return bin, nil
	}
	why := "no host build was given to the sandbox"
	if len(tried) > 0 {
		why = strings.Join(tried, "; ")
	}
	return nil, fmt.Errorf("function %s: its bootstrap is built for linux/%s but the sandbox runs on %s/%s, and there is no host build of this package to run in its place (%s); make lambda (or make demo) writes one beside the zip",
		fn, arch, runtime.GOOS, runtime.GOARCH, why)
}
