// Command mkzip builds the metadata processor's deployment package
// (make lambda): mkzip -arch arm64 -o dist/metadata-processor.zip.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/xacct/xacct/lambda/artifact"
)

func main() {
	arch := flag.String("arch", "arm64", "Lambda architecture: arm64 or x86_64")
	out := flag.String("o", "dist/metadata-processor.zip", "where to write the zip")
	flag.Parse()
	pkg, err := artifact.Build(context.Background(), ".", *arch, "")
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, pkg, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
	sum := sha256.Sum256(pkg)
	fmt.Printf("%s: %d bytes, %s, sha256 %s\n", *out, len(pkg), *arch, hex.EncodeToString(sum[:]))
}
