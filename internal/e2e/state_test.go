package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/xacct/xacct/internal/cli"
)

func TestStateCommands(t *testing.T) {
	t.Parallel()
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
	if err := json.Unmarshal([]byte(e.mustRun("state", "list", "--json")), &list); err != nil || list.FormatVersion != 1 || len(list.Resources) != 25 {
		t.Fatalf("state list --json: %v %+v", err, list)
	}
	show := e.mustRun("state", "show", addr)
	if !strings.Contains(show, `"DenyInsecureTransport"`) || !strings.Contains(show, `"kind": "s3_bucket_policy"`) {
		t.Errorf("state show:\n%s", show)
	}
	if code, _, errOut := e.run("state", "show", "production/iam_role/nope"); code != cli.ExitError || !strings.Contains(errOut, "is not in the state") {
		t.Errorf("state show of an unknown address: %d %s", code, errOut)
	}
	// Forgetting the bucket policy leaves it in AWS; the bucket is still
	// ours, so the policy is its part and plan is clean again.
	e.mustRun("state", "rm", addr)
	if strings.Contains(e.mustRun("state", "list"), addr+"\n") {
		t.Error("state rm did not forget")
	}
	if code, out, errOut := e.run("plan", "--detailed-exitcode"); code != cli.ExitOK {
		t.Errorf("plan after state rm of a part: exit %d\n%s%s", code, out, errOut)
	}
}

func TestJSONOutputs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	var p struct {
		FormatVersion int `json:"format_version"`
		Changes       []struct {
			Address, Account, Kind, Name, Action string
			Before, After                        json.RawMessage
			DependsOn                            []string `json:"depends_on"`
		} `json:"changes"`
		Forget      []string `json:"forget"`
		AccessDelta []struct {
			Grants                   bool
			Principal, Via, Resource string
			Actions                  []string
		} `json:"access_delta"`
		Summary struct{ Add, Change, Destroy int } `json:"summary"`
	}
	out := e.mustRun("plan", "--json")
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil || p.FormatVersion != 1 || p.Summary.Add != 25 || len(p.Changes) != 25 {
		t.Fatalf("plan --json: %v\n%s", err, out)
	}
	// A first apply grants each intended path.
	if len(p.AccessDelta) == 0 || !p.AccessDelta[0].Grants || !strings.Contains(p.AccessDelta[0].Principal, "Developers") {
		t.Errorf("plan --json access_delta: %+v", p.AccessDelta)
	}
	if code, _, errOut := e.run("apply", "--json"); code != cli.ExitError || !strings.Contains(errOut, "--json needs --auto-approve") {
		t.Errorf("apply --json without --auto-approve: %d %s", code, errOut)
	}
	out = e.mustRun("apply", "--json", "--auto-approve")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	started, finished := 0, 0
	for i, line := range lines {
		var ev struct {
			FormatVersion                int `json:"format_version"`
			Type, Address, Action, Error string
			ElapsedMS                    *int64 `json:"elapsed_ms"`
			Added, Changed, Destroyed    *int
		}
		d := json.NewDecoder(strings.NewReader(line))
		d.DisallowUnknownFields()
		if err := d.Decode(&ev); err != nil || ev.FormatVersion != 1 {
			t.Fatalf("line %d is not an event: %v: %s", i, err, line)
		}
		switch ev.Type {
		case "change_started":
			started++
		case "change_finished":
			finished++
			if ev.ElapsedMS == nil || ev.Action != "create" {
				t.Errorf("finished event without elapsed time or action: %s", line)
			}
		case "change_progress":
			// A change that runs long (ten seconds and more) says so.
		case "summary":
			if i != len(lines)-1 || ev.Added == nil || *ev.Added != 25 {
				t.Errorf("summary: %s (line %d of %d)", line, i, len(lines))
			}
		default:
			t.Errorf("unknown event type: %s", line)
		}
	}
	if started != 25 || finished != 25 {
		t.Errorf("%d started, %d finished, want 25 each", started, finished)
	}
	out = e.mustRun("destroy", "--json", "--auto-approve", "--force-delete-data")
	if !strings.Contains(out, `"type":"summary"`) || !strings.Contains(out, `"destroyed":25`) {
		t.Errorf("destroy --json:\n%s", out)
	}
}
