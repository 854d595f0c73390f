package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xacct/xacct/internal/operation"
	"github.com/xacct/xacct/internal/plan"
)

// applyView shows an apply or destroy as it runs: a line per change
// starting and finishing, then the summary; or, in JSON, one event per line.
type applyView struct {
	f       *Factory
	json    *json.Encoder // nil: human text
	destroy bool
	// plan is what the run was to do; finished and failed what it did
	// (by address), for the summary of a run that stopped.
	plan     *plan.Plan
	finished map[string]bool
	failed   map[string]error
}

func newApplyView(f *Factory, asJSON, destroy bool) *applyView {
	v := &applyView{f: f, destroy: destroy}
	if asJSON {
		v.json = json.NewEncoder(f.IO.Out)
	}
	return v
}

// applyEvent is one line of apply --json and destroy --json.
type applyEvent struct {
	FormatVersion int    `json:"format_version"`
	Type          string `json:"type"` // change_started, change_progress, change_finished, change_failed, summary
	Address       string `json:"address,omitempty"`
	Action        string `json:"action,omitempty"`
	ElapsedMS     *int64 `json:"elapsed_ms,omitempty"`
	Error         string `json:"error,omitempty"`
	// Waiting says what a change in progress waits for.
	Waiting   string `json:"waiting,omitempty"`
	Added     *int   `json:"added,omitempty"`
	Changed   *int   `json:"changed,omitempty"`
	Destroyed *int   `json:"destroyed,omitempty"`
	// Adopted is left out when nothing was adopted.
	Adopted int `json:"adopted,omitempty"`
	// Throttled counts the requests AWS throttled; left out when none.
	Throttled int `json:"throttled,omitempty"`
}

// verbs are the words of a change's progress lines: starting, done,
// failed, still running.
var verbs = map[plan.Action][4]string{
	plan.Create: {"Creating...", "Creation complete", "Creation failed", "Still creating..."},
	plan.Update: {"Modifying...", "Modifications complete", "Modification failed", "Still modifying..."},
	plan.Delete: {"Destroying...", "Destruction complete", "Destruction failed", "Still destroying..."},
	plan.Adopt:  {"Adopting...", "Adoption complete", "Adoption failed", "Still adopting..."},
}

// event shows a change starting or finishing (called serialized).
func (v *applyView) event(e operation.Event) {
	if e.Done {
		if v.finished == nil {
			v.finished, v.failed = map[string]bool{}, map[string]error{}
		}
		if e.Err != nil {
			v.failed[e.Change.Addr.String()] = e.Err
		} else {
			v.finished[e.Change.Addr.String()] = true
		}
	}
	if v.json != nil {
		ev := applyEvent{FormatVersion: 1, Type: "change_started", Address: e.Change.Addr.String(), Action: plan.ActionName(e.Change.Action)}
		if e.Still {
			ms := e.Elapsed.Milliseconds()
			ev.Type, ev.ElapsedMS, ev.Waiting = "change_progress", &ms, e.Waiting
		}
		if e.Done {
			ms := e.Elapsed.Milliseconds()
			ev.ElapsedMS, ev.Type = &ms, "change_finished"
			if e.Err != nil {
				ev.Type, ev.Error = "change_failed", e.Err.Error()
			}
		}
		_ = v.json.Encode(ev)
		return
	}
	w := verbs[e.Change.Action]
	switch {
	case e.Still:
		waiting := ""
		if e.Waiting != "" {
			waiting = ", waiting for " + e.Waiting
		}
		fmt.Fprintf(v.f.IO.Out, "%s: %s [%s elapsed%s]\n", e.Change.Addr, w[3], e.Elapsed.Round(time.Second), waiting)
	case !e.Done:
		fmt.Fprintf(v.f.IO.Out, "%s: %s\n", e.Change.Addr, w[0])
	case e.Err != nil:
		fmt.Fprintf(v.f.IO.Out, "%s: %s after %s\n", e.Change.Addr, w[2], e.Elapsed.Round(100*time.Millisecond))
	default:
		fmt.Fprintf(v.f.IO.Out, "%s: %s after %s\n", e.Change.Addr, w[1], e.Elapsed.Round(100*time.Millisecond))
	}
}

// done ends the run: in JSON the summary event, always; in text the
// summary line, when the run succeeded (its error is printed by Run).
func (v *applyView) done(r operation.Result, err error) {
	if v.json != nil {
		_ = v.json.Encode(applyEvent{FormatVersion: 1, Type: "summary", Added: &r.Added, Changed: &r.Changed, Destroyed: &r.Destroyed, Adopted: r.Adopted,
			Throttled: r.Throttled})
		return
	}
	if err == nil {
		word := "Apply"
		if v.destroy {
			word = "Destroy"
		}
		fmt.Fprintf(v.f.IO.Out, "\n%s complete! Resources: %s.\n", word, resultSummary(r))
	}
	if r.Throttled > 0 {
		fmt.Fprintln(v.f.IO.Out, throttledLine(r.Throttled))
	}
	if err != nil && v.plan != nil {
		v.stopped()
	}
}

// stopped summarises a run that stopped: what was done, what failed and
// why, what was not started, and what to run next.
func (v *applyView) stopped() {
	word, again := "Apply", "xacct apply"
	if v.destroy {
		word, again = "Destroy", "xacct destroy"
	}
	var done, failed, left []string
	for _, c := range v.plan.Changes {
		a := c.Addr.String()
		line := fmt.Sprintf("  %c %s", rune(c.Action), a)
		switch {
		case v.finished[a]:
			done = append(done, line)
		case v.failed[a] != nil:
			failed = append(failed, line+": "+v.failed[a].Error())
		default:
			left = append(left, line)
		}
	}
	w := v.f.IO.Out
	fmt.Fprintf(w, "\n%s stopped: %d of %d changes done, %d failed, %d not made.\n", word, len(done), len(v.plan.Changes), len(failed), len(left))
	for _, part := range []struct {
		title string
		lines []string
	}{{"Done (saved in the state):", done}, {"Failed:", failed}, {"Not made:", left}} {
		if len(part.lines) > 0 {
			fmt.Fprintf(w, "%s\n%s\n", part.title, strings.Join(part.lines, "\n"))
		}
	}
	fmt.Fprintf(w, "Next: fix what failed, then run %s again: it resumes where this run stopped (xacct plan shows what is left).\n", again)
}

// throttledLine says how many requests AWS throttled.
func throttledLine(n int) string {
	return fmt.Sprintf("AWS throttled %d requests; xacct slowed down and retried them.", n)
}

// resultSummary is what a run did, in the words of every summary:
// "[N adopted, ]N added, N changed, N destroyed".
func resultSummary(r operation.Result) string {
	adopted := ""
	if r.Adopted > 0 {
		adopted = fmt.Sprintf("%d adopted, ", r.Adopted)
	}
	return fmt.Sprintf("%s%d added, %d changed, %d destroyed", adopted, r.Added, r.Changed, r.Destroyed)
}

// dataText says what --force-delete-data deletes: each bucket's objects,
// versions and bytes ("more than" where the count stopped).
func dataText(w io.Writer, data []operation.BucketData) {
	if len(data) == 0 {
		return
	}
	fmt.Fprintln(w, "\n--force-delete-data empties these buckets first; what they hold is deleted for good:")
	for _, d := range data {
		u := d.Usage
		more := ""
		if u.More {
			more = "more than "
		}
		line := fmt.Sprintf("%s%s, %s%s, %s%s", more, count(u.Objects, "object"), more, count(u.Versions, "version"), more, byteSize(u.Bytes))
		if u.DeleteMarkers > 0 {
			line += ", " + more + count(u.DeleteMarkers, "delete marker")
		}
		if u == (operation.BucketUsage{}) {
			line = "empty"
		}
		if u.More {
			line += fmt.Sprintf(" (counting stopped at %s entries)", thousands(operation.UsageLimit))
		}
		fmt.Fprintf(w, "  %s: %s\n", d.Addr, line)
	}
}

func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return thousands(n) + " " + what + "s"
}

// thousands writes n with thousands separators (100,000).
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// byteSize is n bytes in binary units (12 bytes, 3.4 KiB, 1.2 GiB).
func byteSize(n int64) string {
	if n < 1024 {
		if n == 1 {
			return "1 byte"
		}
		return fmt.Sprintf("%d bytes", n)
	}
	f, unit := float64(n), 0
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB"}
	for f /= 1024; f >= 1024 && unit < len(units)-1; f /= 1024 {
		unit++
	}
	return fmt.Sprintf("%.1f %s", f, units[unit])
}
