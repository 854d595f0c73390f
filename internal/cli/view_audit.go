package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/xacct/xacct/internal/audit"
)

// auditView prints audit's entries as they come: a table for a person, or
// one JSON object per line. Entries are buffered (a write(2) each was 12 %
// of audit's CPU over a million events) and flushed before a progress line,
// at the end, and after each entry with --follow, where they must show as
// they arrive.
type auditView struct {
	out    *bufio.Writer
	errOut io.Writer
	follow bool
	json   bool
	color  bool
	tty    bool
	header bool
	shown  bool // a progress line is on stderr
	n      int
	enc    *json.Encoder
}

func newAuditView(f *Factory, asJSON, follow bool) *auditView {
	v := &auditView{out: bufio.NewWriterSize(f.IO.Out, 64<<10), errOut: f.IO.ErrOut, follow: follow, json: asJSON, color: f.color(), tty: f.IO.IsTTY}
	v.enc = json.NewEncoder(v.out)
	return v
}

const auditRow = "%-20s  %-34s  %-26s  %-48s  %s\n"

// entry prints one entry.
func (v *auditView) entry(e audit.Entry) error {
	v.clear()
	v.n++
	if err := v.write(e); err != nil {
		return err
	}
	if v.follow {
		return v.out.Flush()
	}
	return nil
}

func (v *auditView) write(e audit.Entry) error {
	if v.json {
		return v.enc.Encode(e)
	}
	if !v.header {
		v.header = true
		fmt.Fprintf(v.out, auditRow, "TIME", "WHO", "ACTION", "RESOURCE", "RESULT")
	}
	result := e.Result
	if result != "ok" {
		result = paint(v.color, red, result)
	}
	if e.Who.Note != "" {
		result += "  (" + e.Who.Note + ")"
	}
	_, err := fmt.Fprintf(v.out, auditRow, e.Time.UTC().Format(time.RFC3339), e.Who.Path(), e.Action, e.Resource, result)
	return err
}

// progress shows how far the read is, on a terminal.
func (v *auditView) progress(p audit.Progress) {
	_ = v.out.Flush() // the entries so far, above the line; a write error shows at the next entry
	rate := 0.0
	if s := p.Elapsed.Seconds(); s > 0 {
		rate = float64(p.Events) / s
	}
	fmt.Fprintf(v.errOut, "\r\033[KRead %d of %d log files, %d events (%.0f/s), %d kept, %s", p.Files, p.FilesTotal, p.Events, rate, p.Matched, p.Elapsed.Round(time.Second))
	v.shown = true
}

func (v *auditView) clear() {
	if v.shown {
		fmt.Fprint(v.errOut, "\r\033[K")
		v.shown = false
	}
}

// end clears the progress line and writes what is buffered.
func (v *auditView) end() error {
	v.clear()
	return v.out.Flush()
}

// summary says what was read; on a terminal and in the table only (JSON
// lines stay entries only).
func (v *auditView) summary(st *audit.Stats, since, until, now time.Time) error {
	if v.json {
		return nil
	}
	if until.IsZero() {
		until = now
	}
	span := since.UTC().Format(time.RFC3339) + " and " + until.UTC().Format(time.RFC3339)
	if v.n == 0 {
		fmt.Fprintf(v.out, "No entries between %s (%d log files, %d events read).\n", span, st.Files, st.Events)
		return v.out.Flush()
	}
	fmt.Fprintf(v.out, "\n%d entries between %s, of %d events in %d log files.\n", v.n, span, st.Events, st.Files)
	if st.Late > 0 {
		fmt.Fprintf(v.out, "%d entries were delivered more than %s after they happened and are shown out of order.\n", st.Late, audit.DefaultMaxDelay)
	}
	return v.out.Flush()
}

func validationText(w io.Writer, v *audit.Validation, bucket string, color bool) error {
	var b strings.Builder
	if len(v.Trails) == 0 {
		b.WriteString("No digest files in the range: nothing to validate (log file validation makes one an hour).\n")
	}
	for _, t := range v.Trails {
		fmt.Fprintf(&b, "Trail of account %s in %s: %d of %d digests valid, %d of %d log files valid.\n",
			t.Account, t.Region, t.ValidDigests, t.Digests, t.ValidLogs, t.LogFiles)
	}
	if len(v.Problems) > 0 {
		b.WriteString("\n")
		for _, p := range v.Problems {
			fmt.Fprintf(&b, "  %s  s3://%s/%s\n", paint(color, red, fmt.Sprintf("%-20s", p.Kind)), bucket, p.Key)
			if p.Detail != "" {
				fmt.Fprintf(&b, "  %-20s  %s\n", "", p.Detail)
			}
		}
	}
	if len(v.Gaps) > 0 {
		fmt.Fprintf(&b, "\nNote: the chain starts again at %d digest(s) (logging or validation was off before them), first %s.\n", len(v.Gaps), v.Gaps[0])
	}
	if len(v.Uncovered) > 0 {
		fmt.Fprintf(&b, "\nNote: %d log file(s) of the range are not in a digest yet (a digest covers the hour before it), newest %s.\n",
			len(v.Uncovered), v.Uncovered[len(v.Uncovered)-1])
	}
	switch {
	case len(v.Trails) == 0 && v.OK():
		// Nothing was proved: not a failure (a new trail has no digest
		// for its first hour), not a pass either.
	case v.OK():
		b.WriteString("\n" + paint(color, green, "Valid: every digest and every log file it lists are as CloudTrail delivered them.") + "\n")
	default:
		fmt.Fprintf(&b, "\n%s\n", paint(color, red, fmt.Sprintf("Invalid: %d log or digest file(s) missing or altered.", len(v.Problems))))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// validationJSON is --validate --json's document.
func validationJSON(w io.Writer, v *audit.Validation) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		FormatVersion int  `json:"format_version"`
		Valid         bool `json:"valid"`
		*audit.Validation
	}{1, v.OK(), v})
}
