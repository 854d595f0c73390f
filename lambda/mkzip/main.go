// Command mkzip builds the metadata processor's deployment package
// (make lambda): mkzip -arch arm64 -o dist/metadata-processor.zip. Where
// this machine cannot run that package (not Linux, or another
// architecture), it also writes the host build the local sandbox runs in
// its place, with its manifest, to dist/metadata-processor.host (see
// artifact.BuildHost); -host forces or skips it.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/xacct/xacct/lambda/artifact"
)

func main() {
	arch := flag.String("arch", "arm64", "Lambda architecture: arm64 or x86_64")
	out := flag.String("o", "dist/metadata-processor.zip", "where to write the zip")
	host := flag.String("host", "auto", "also build the processor for this machine, for the sandbox: auto (when it cannot run the zip), yes or no")
	flag.Parse()
	pkg, err := artifact.Build(context.Background(), ".", *arch, "")
	if err != nil {
		fail(err)
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		fail(err)
	}
	if err := os.WriteFile(*out, pkg, 0o644); err != nil {
		fail(err)
	}
	sum := sha256.Sum256(pkg)
	fmt.Printf("%s: %d bytes, %s, sha256 %s\n", *out, len(pkg), *arch, hex.EncodeToString(sum[:]))
	goarch, _ := artifact.GoArch(*arch)
	if *host == "yes" || *host == "auto" && (runtime.GOOS != "linux" || runtime.GOARCH != goarch) {
		dir := artifact.HostDir(*out)
		m, err := artifact.BuildHost(context.Background(), ".", dir, pkg)
		if err != nil {
			fail(err)
		}
		fmt.Printf("%s: the same processor for %s/%s (commit %s), which the sandbox runs for that zip on this machine\n", dir, m.GOOS, m.GOARCH, m.Revision)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "Error:", err)
	os.Exit(1)
}
