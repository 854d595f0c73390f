package artifact

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestHostBuildProvenance: a host build loads for the zip it was made
// with, on its platform, and for nothing else.
func TestHostBuildProvenance(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the processor")
	}
	dir := t.TempDir()
	zip := []byte("the linux package")
	m, err := BuildHost(context.Background(), "../..", dir, zip)
	if err != nil {
		t.Fatal(err)
	}
	if m.Module != Module || m.GOOS != runtime.GOOS || m.ZipSHA256 != sha256Hex(zip) {
		t.Fatalf("manifest %+v", m)
	}
	if _, _, err := LoadHost(dir, zip, runtime.GOOS, runtime.GOARCH); err != nil {
		t.Fatalf("LoadHost of its own build: %v", err)
	}
	tests := []struct {
		name   string
		zip    []byte
		goos   string
		change func(t *testing.T)
		want   string
	}{
		{"another zip", []byte("another package"), runtime.GOOS, nil, "host build of another package"},
		{"another platform", zip, "plan9", nil, "not plan9/"},
		{"another commit in the manifest", zip, runtime.GOOS, func(t *testing.T) {
			rewrite(t, dir, `"revision": "`+m.Revision+`"`, `"revision": "0123456789abcdef"`)
		}, "the binary is of commit"},
		{"a binary swapped", zip, runtime.GOOS, func(t *testing.T) {
			if err := os.WriteFile(filepath.Join(dir, m.Bootstrap), []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}, "not the one the manifest names"},
	}
	for _, tt := range tests {
		if tt.change != nil {
			tt.change(t)
		}
		if _, _, err := LoadHost(dir, tt.zip, tt.goos, runtime.GOARCH); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: LoadHost = %v, want an error with %q", tt.name, err, tt.want)
		}
	}
}

func rewrite(t *testing.T, dir, old, new string) {
	t.Helper()
	p := filepath.Join(dir, HostManifestName)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("manifest has no %s:\n%s", old, b)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}
