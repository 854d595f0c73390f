package operation

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// TestCreateSandboxUserRefusesAWS: a config whose Development account is
// not a sandbox on this machine gets no user, and no sign-in is tried.
func TestCreateSandboxUserRefusesAWS(t *testing.T) {
	t.Parallel()
	for name, endpoint := range map[string]string{"AWS": "", "another machine": "https://sandbox.example.com:4566"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "xacct.yaml")
			cfg := strings.ReplaceAll(`stack: acme-data
region: us-east-1
accounts:
  development: { id: "111111111111", endpoint_url: "ENDPOINT" }
  production: { id: "222222222222" }
  reporting: { id: "333333333333" }
production: { bucket: acme-data-prod }
reporting: { bucket: acme-data-reporting }
`, `, endpoint_url: "ENDPOINT"`, map[bool]string{true: "", false: `, endpoint_url: "` + endpoint + `"`}[endpoint == ""])
			if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			env := Env{AWS: func(context.Context, string) (aws.Config, error) {
				t.Error("signed in")
				return aws.Config{}, nil
			}}
			_, err := CreateSandboxUser(context.Background(), env, path, "alice", "developers", false)
			if err == nil || !strings.Contains(err.Error(), path+":4: accounts.development.endpoint_url is not a local sandbox") {
				t.Errorf("err = %v", err)
			}
		})
	}
}
