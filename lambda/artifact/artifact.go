// Package artifact builds the metadata processor's deployment package
// reproducibly: the same source and Go version always give the same zip
// bytes, so a plan can compare the zip's SHA-256 with the deployed
// CodeSha256 and never see a change that is not one.
package artifact

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// GoArch maps a Lambda architecture to GOARCH.
func GoArch(arch string) (string, error) {
	switch arch {
	case "arm64":
		return "arm64", nil
	case "x86_64":
		return "amd64", nil
	}
	return "", fmt.Errorf("architecture %q: must be arm64 or x86_64", arch)
}

// epoch is the modification time of every zip entry: the zip format's first
// representable date, so no build's clock shows in the package.
var epoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// Build compiles the bootstrap in moduleDir (./lambda/bootstrap) for
// linux/<arch> with CGO_ENABLED=0 -trimpath -buildvcs=false -tags
// lambda.norpc -ldflags "-s -w -buildid=" and returns the zip. ldflags
// extra is appended (tests use it to change the code).
func Build(ctx context.Context, moduleDir, arch, extraLdflags string) ([]byte, error) {
	goarch, err := GoArch(arch)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "xacct-lambda-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "bootstrap")
	ldflags := "-s -w -buildid="
	if extraLdflags != "" {
		ldflags += " " + extraLdflags
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false", "-tags", "lambda.norpc", "-ldflags", ldflags, "-o", bin, "./lambda/bootstrap")
	cmd.Dir = moduleDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build bootstrap for linux/%s: %w\n%s", goarch, err, out)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	return Zip(data)
}

// Zip packs a bootstrap executable: one entry, mode 0755, fixed time.
func Zip(bootstrap []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate, Modified: epoch}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(bootstrap); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// CodeSha256 is Lambda's CodeSha256 of a package: base64 of its SHA-256.
func CodeSha256(pkg []byte) string {
	sum := sha256.Sum256(pkg)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// ReadCodeSha256 is the CodeSha256 of the package r reads, hashed as it
// is read.
func ReadCodeSha256(r io.Reader) (string, error) {
	h := sha256.New()
	if _, err := io.CopyBuffer(h, r, make([]byte, 256<<10)); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(h.Sum(nil)), nil
}

// Architecture says which Lambda architecture a package's bootstrap is
// built for, and rejects a zip that is no Lambda package. It reads the
// zip's directory and the bootstrap's ELF header, not the whole package.
func Architecture(pkg io.ReaderAt, size int64) (string, error) {
	zr, err := zip.NewReader(pkg, size)
	if err != nil {
		return "", fmt.Errorf("not a zip: %w", err)
	}
	for _, f := range zr.File {
		if f.Name != "bootstrap" {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return "", err
		}
		defer rc.Close()
		// The ELF header is enough: no need to inflate the whole binary.
		var hdr elf.Header64
		if err := binary.Read(rc, binary.LittleEndian, &hdr); err != nil || string(hdr.Ident[:4]) != elf.ELFMAG {
			return "", fmt.Errorf("bootstrap is not a Linux executable")
		}
		ef := struct{ Machine elf.Machine }{elf.Machine(hdr.Machine)}
		switch ef.Machine {
		case elf.EM_AARCH64:
			return "arm64", nil
		case elf.EM_X86_64:
			return "x86_64", nil
		}
		return "", fmt.Errorf("bootstrap is built for %v, which Lambda does not run", ef.Machine)
	}
	return "", fmt.Errorf("the zip holds no bootstrap at its root")
}
