package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/xacct/xacct/internal/golden"
)

// TestHelpGolden pins the --help text of every command.
func TestHelpGolden(t *testing.T) {
	t.Parallel()
	var paths [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		paths = append(paths, path)
		for _, sub := range c.Commands() {
			if sub.Hidden || sub.Name() == "help" {
				continue
			}
			walk(sub, append(append([]string(nil), path...), sub.Name()))
		}
	}
	walk(NewRootCmd(&Factory{IO: &IOStreams{}}), nil)
	for _, p := range paths {
		name := "xacct"
		if len(p) > 0 {
			name += "_" + strings.Join(p, "_")
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := run(t, "", append(append([]string(nil), p...), "--help")...)
			if code != ExitOK || errOut != "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			golden.Check(t, filepath.Join("testdata", "help", name+".txt"), []byte(out))
		})
	}
}
