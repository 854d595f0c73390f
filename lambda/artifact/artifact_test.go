package artifact

import (
	"archive/zip"
	"bytes"
	"context"
	"debug/elf"
	"io"
	"testing"
)

func TestBuildIsReproducible(t *testing.T) {
	t.Parallel()
	for _, arch := range []string{"arm64", "x86_64"} {
		t.Run(arch, func(t *testing.T) {
			t.Parallel()
			a, err := Build(context.Background(), "../..", arch, "")
			if err != nil {
				t.Fatal(err)
			}
			b, err := Build(context.Background(), "../..", arch, "")
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a, b) {
				t.Fatalf("two builds differ: %s vs %s", CodeSha256(a), CodeSha256(b))
			}
			if len(a) > 10<<20 {
				t.Errorf("package is %d bytes, over 10 MiB", len(a))
			}
			zr, err := zip.NewReader(bytes.NewReader(a), int64(len(a)))
			if err != nil {
				t.Fatal(err)
			}
			if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" || zr.File[0].Mode().Perm() != 0o755 {
				t.Fatalf("zip entries: %+v", zr.File)
			}
			rc, _ := zr.File[0].Open()
			data, _ := io.ReadAll(rc)
			rc.Close()
			ef, err := elf.NewFile(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]elf.Machine{"arm64": elf.EM_AARCH64, "x86_64": elf.EM_X86_64}[arch]
			if ef.Machine != want || ef.Type != elf.ET_EXEC {
				t.Errorf("bootstrap is %v %v, want %v executable", ef.Machine, ef.Type, want)
			}
		})
	}
}

func TestGoArch(t *testing.T) {
	t.Parallel()
	if g, _ := GoArch("x86_64"); g != "amd64" {
		t.Errorf("x86_64 -> %s", g)
	}
	if _, err := GoArch("amd64"); err == nil {
		t.Error("amd64 is not a Lambda architecture name")
	}
}
