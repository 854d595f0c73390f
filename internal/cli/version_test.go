package cli

import (
	"strings"
	"testing"
)

func TestVersionAndCompletion(t *testing.T) {
	code, out, _ := run(t, "", "version")
	if code != ExitOK || !strings.HasPrefix(out, "xacct ") || !strings.Contains(out, "go1.") {
		t.Errorf("version: %d %q", code, out)
	}
	for _, sh := range []string{"bash", "zsh", "fish"} {
		code, out, _ := run(t, "", "completion", sh)
		if code != ExitOK || !strings.Contains(out, "xacct") {
			t.Errorf("completion %s: exit %d", sh, code)
		}
	}
	if code, _, _ := run(t, "", "completion", "ksh"); code != ExitError {
		t.Errorf("completion ksh: exit %d", code)
	}
}
