package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestStateCommands(t *testing.T) {
	e := newEnv(t, "")
	e.mustRun("apply", "--auto-approve")
	out := e.mustRun("state", "list")
	addr := "production/s3_bucket_policy/" + e.stack + "-prod"
	if !strings.Contains(out, addr+"\n") || !strings.Contains(out, "production/lambda_function/"+e.stack+"-metadata-processor\n") {
		t.Fatalf("state list:\n%s", out)
	}
	var list struct {
		FormatVersion int `json:"format_version"`
		Resources     []struct {
			Address, Account, Kind, Name string
		} `json:"resources"`
	}
	if err := json.Unmarshal([]byte(e.mustRun("state", "list", "--json")), &list); err != nil || list.FormatVersion != 1 || len(list.Resources) != 21 {
		t.Fatalf("state list --json: %v %+v", err, list)
	}
	show := e.mustRun("state", "show", addr)
	if !strings.Contains(show, `"DenyInsecureTransport"`) || !strings.Contains(show, `"kind": "s3_bucket_policy"`) {
		t.Errorf("state show:\n%s", show)
	}
	if code, _, errOut := e.run("state", "show", "production/iam_role/nope"); code != ExitError || !strings.Contains(errOut, "is not in the state") {
		t.Errorf("state show of an unknown address: %d %s", code, errOut)
	}
	// Forgetting the bucket policy leaves it in AWS; the bucket is still
	// ours, so the policy is its part and plan is clean again.
	e.mustRun("state", "rm", addr)
	if strings.Contains(e.mustRun("state", "list"), addr+"\n") {
		t.Error("state rm did not forget")
	}
	if code, out, errOut := e.run("plan", "--detailed-exitcode"); code != ExitOK {
		t.Errorf("plan after state rm of a part: exit %d\n%s%s", code, out, errOut)
	}
}

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
