package graph

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/xacct/xacct/internal/config"
	"github.com/xacct/xacct/internal/golden"
)

const base = `stack: acme-data
region: us-east-1
accounts:
  development: { id: "111111111111" }
  production: { id: "222222222222" }
  reporting: { id: "333333333333" }
production: { bucket: acme-data-prod }
reporting: { bucket: acme-data-reporting }
`

func TestGolden(t *testing.T) {
	t.Parallel()
	configs := map[string]string{
		"default":     base,
		"third-group": base + "groups:\n  developers: {}\n  testers: {require_mfa: true}\n  auditors: {actions: [s3:ListBucket]}\n",
	}
	for name, yaml := range configs {
		c, err := config.Parse([]byte(yaml), "xacct.yaml")
		if err != nil {
			t.Fatal(err)
		}
		for format, write := range map[string]func(*bytes.Buffer, *config.Config) error{
			"mmd": func(b *bytes.Buffer, c *config.Config) error { return Mermaid(b, c) },
			"dot": func(b *bytes.Buffer, c *config.Config) error { return DOT(b, c) },
		} {
			var buf bytes.Buffer
			if err := write(&buf, c); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", name+"."+format), buf.Bytes())
		}
	}
}
