package iampolicy

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	goldenfile "github.com/xacct/xacct/internal/golden"
)

// golden compares got with the file at path, or rewrites it under -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	goldenfile.Check(t, path, got)
}

func kindFromDir(t *testing.T, dir string) Kind {
	t.Helper()
	switch {
	case strings.HasPrefix(dir, "identity-"):
		return Identity
	case strings.HasPrefix(dir, "resource-"):
		return Resource
	case strings.HasPrefix(dir, "trust-"):
		return Trust
	}
	t.Fatalf("testdata case %s: name must start with identity-, resource- or trust-", dir)
	return 0
}

func TestCanonicalGolden(t *testing.T) {
	t.Parallel()
	dirs, err := os.ReadDir(filepath.Join("testdata", "canonical"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		t.Run(d.Name(), func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join("testdata", "canonical", d.Name())
			kind := kindFromDir(t, d.Name())
			in, err := os.ReadFile(filepath.Join(dir, "input.json"))
			if os.IsNotExist(err) {
				in, err = os.ReadFile(filepath.Join(dir, "input.txt"))
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := CanonicalDocument(string(in), kind)
			if err != nil {
				t.Fatal(err)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, got, "", "  "); err != nil {
				t.Fatal(err)
			}
			pretty.WriteByte('\n')
			golden(t, filepath.Join(dir, "want.json"), pretty.Bytes())

			// The canonical form is a fixed point.
			again, err := CanonicalDocument(string(got), kind)
			if err != nil {
				t.Fatalf("canonical form does not parse: %v", err)
			}
			if !bytes.Equal(again, got) {
				t.Errorf("canonicalizing twice changed it:\n%s\n%s", got, again)
			}
		})
	}
}

func TestEqual(t *testing.T) {
	t.Parallel()
	const base = `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::b/*"}]}`
	tests := []struct {
		name  string
		other string
		kind  Kind
		want  bool
	}{
		{"identical", base, Identity, true},
		{"single string vs list, reordered", `{"Statement":{"Resource":["arn:aws:s3:::b/*"],"Action":["s3:PutObject","s3:GetObject"],"Effect":"Allow","Sid":"A"},"Version":"2012-10-17"}`, Identity, true},
		{"duplicate action", `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:GetObject"],"Resource":"arn:aws:s3:::b/*"}]}`, Identity, true},
		{"action case differs", `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":["S3:getobject","s3:PutObject"],"Resource":"arn:aws:s3:::b/*"}]}`, Identity, true},
		{"URL-encoded as IAM returns it", "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Sid%22%3A%22A%22%2C%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%5B%22s3%3APutObject%22%2C%22s3%3AGetObject%22%5D%2C%22Resource%22%3A%22arn%3Aaws%3As3%3A%3A%3Ab%2F*%22%7D%5D%7D", Identity, true},
		{"an action added", `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::b/*"}]}`, Identity, false},
		{"resource case differs", `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::B/*"}]}`, Identity, false},
		{"Sid differs", `{"Version":"2012-10-17","Statement":[{"Sid":"B","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::b/*"}]}`, Identity, false},
		{"Version dropped", `{"Statement":[{"Sid":"A","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::b/*"}]}`, Identity, false},
	}
	a := MustParse(base, Identity)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := ParseEncoded(tt.other, tt.kind)
			if err != nil {
				t.Fatal(err)
			}
			if got := Equal(a, b); got != tt.want {
				t.Errorf("Equal = %v, want %v\n%s\n%s", got, tt.want, Canonical(a), Canonical(b))
			}
			if got := Compare(a, b).Empty(); got != tt.want {
				t.Errorf("Compare(...).Empty() = %v, want %v", got, tt.want)
			}
		})
	}

	principals := []struct {
		name, a, b string
		want       bool
	}{
		{"bare account ID is its root ARN", `{"AWS":"111111111111"}`, `{"AWS":"arn:aws:iam::111111111111:root"}`, true},
		{"{\"AWS\":\"*\"} is \"*\"", `{"AWS":"*"}`, `"*"`, true},
		{"service principal case", `{"Service":"Lambda.amazonaws.com"}`, `{"Service":["lambda.amazonaws.com"]}`, true},
		{"different accounts", `{"AWS":"111111111111"}`, `{"AWS":"222222222222"}`, false},
	}
	for _, tt := range principals {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc := func(p string) *Policy {
				return MustParse(`{"Statement":{"Effect":"Allow","Principal":`+p+`,"Action":"sts:AssumeRole"}}`, Trust)
			}
			if got := Equal(doc(tt.a), doc(tt.b)); got != tt.want {
				t.Errorf("Equal = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCompareGolden(t *testing.T) {
	t.Parallel()
	dirs, err := os.ReadDir(filepath.Join("testdata", "diff"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		t.Run(d.Name(), func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join("testdata", "diff", d.Name())
			read := func(name string) *Policy {
				b, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				p, err := Parse(b, Identity)
				if err != nil {
					t.Fatal(err)
				}
				return p
			}
			golden(t, filepath.Join(dir, "want.txt"), []byte(Compare(read("before.json"), read("after.json")).String()))
		})
	}
}

func TestCompareAbsent(t *testing.T) {
	t.Parallel()
	p := MustParse(`{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Effect":"Allow","Action":"s3:PutObject","Resource":"*"}]}`, Identity)
	created := Compare(nil, p)
	if len(created.Statements) != 2 || created.Statements[0].Kind != Added || created.Statements[1].Kind != Added {
		t.Errorf("Compare(nil, p) = %+v, want two additions", created.Statements)
	}
	deleted := Compare(p, nil)
	if len(deleted.Statements) != 2 || deleted.Statements[0].Kind != Removed {
		t.Errorf("Compare(p, nil) = %+v, want two removals", deleted.Statements)
	}
	if created.Empty() || deleted.Empty() {
		t.Error("a created or deleted policy is not an empty diff")
	}
}
