package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/xacct/xacct/internal/reconcile"
)

var classTitles = map[reconcile.Class]string{
	reconcile.MissingVersion:  "versions without a record",
	reconcile.MissingDeletion: "deletions without a record",
	reconcile.Orphan:          "records of versions that no longer exist, without a deletion record",
	reconcile.FailedEvent:     "failed events waiting in the failure bucket",
	reconcile.WrongDeletion:   "records of a permanent deletion of a version that exists (not written by the processor: look into who wrote them; --repair leaves them)",
}

func reconcileText(w io.Writer, r *reconcile.Report, color bool) error {
	where := "s3://" + r.Bucket + "/" + r.Prefix
	fmt.Fprintf(w, "Compared %d versions and %d delete markers of %s with %d records in s3://%s (%s).\n",
		r.Versions, r.DeleteMarkers, where, r.Records, r.ReportBucket, r.Elapsed.Round(1e6))
	if r.Complete() {
		fmt.Fprintln(w, paint(color, green, "Complete: every version has its record and no failed event is waiting."))
		return nil
	}
	for _, c := range reconcile.Classes {
		n := r.Missing[c]
		if n == 0 {
			continue
		}
		fmt.Fprintf(w, "\n  %d %s\n", n, classTitles[c])
		for _, it := range r.Samples[c] {
			switch {
			case it.File != "":
				fmt.Fprintf(w, "      %s\n", it.File)
			case it.Key == "":
				fmt.Fprintf(w, "      %s (a long key's record)\n", it.RecordKey)
			default:
				fmt.Fprintf(w, "      %s (version %s)\n", it.Key, it.VersionID)
			}
		}
		if int64(len(r.Samples[c])) < n {
			fmt.Fprintf(w, "      … and %d more\n", n-int64(len(r.Samples[c])))
		}
	}
	if !r.HashedOrphansChecked {
		fmt.Fprintln(w, "\n  (Under --prefix, records of long keys are not checked for versions that no longer exist.)")
	}
	fmt.Fprintln(w, "\n"+paint(color, red, fmt.Sprintf("Incomplete: %d differences.", r.Total()))+" Run xacct reconcile --repair to repair them.")
	return nil
}

func repairText(w io.Writer, r *reconcile.RepairResult) error {
	fmt.Fprintln(w)
	if r.Replayed+r.ReplayFailed > 0 {
		fmt.Fprintf(w, "Failed events replayed: %d (their files removed), %d kept.\n", r.Replayed, r.ReplayFailed)
		for _, e := range r.ReplayErrors {
			fmt.Fprintf(w, "  kept %s\n", e)
		}
	}
	if j := r.Job; j != nil {
		fmt.Fprintf(w, "Batch job %s: %s, %d succeeded, %d failed.\n  manifest %s\n  report   %s\n", j.ID, j.Status, j.Succeeded, j.Failed, j.Manifest, j.Report)
		if j.Reason != "" {
			fmt.Fprintf(w, "  %s\n", j.Reason)
		}
	} else if r.Tasks > 0 {
		fmt.Fprintf(w, "Records written by the processor: %d of %d.\n", r.Written, r.Tasks)
	}
	for _, f := range r.Failures {
		fmt.Fprintf(w, "  not written: %s (version %s): %s\n", f.Key, f.VersionID, f.Reason)
	}
	return nil
}

// reconcileJSON is reconcile --json's document.
type reconcileJSON struct {
	FormatVersion int                     `json:"format_version"`
	Complete      bool                    `json:"complete"`
	Report        *reconcile.Report       `json:"report"`
	Repair        *reconcile.RepairResult `json:"repair,omitempty"`
	After         *reconcile.Report       `json:"after_repair,omitempty"`
}

func reconcileReport(f *Factory, o *reconcileOptions, before *reconcile.Report, rep *reconcile.RepairResult, after *reconcile.Report) error {
	if !o.JSON {
		return reconcileText(f.IO.Out, before, f.color())
	}
	final := before
	if after != nil {
		final = after
	}
	enc := json.NewEncoder(f.IO.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(reconcileJSON{FormatVersion: 1, Complete: final.Complete(), Report: before, Repair: rep, After: after})
}

// paint colors s when color is on.
func paint(color bool, c, s string) string {
	if !color {
		return s
	}
	return c + s + reset
}

// progressLine shows how far a long run is, on a terminal only.
type progressLine struct {
	f     *Factory
	shown bool
	eta   eta
}

func newProgressLine(f *Factory) *progressLine {
	if !f.IO.IsTTY {
		return nil
	}
	return &progressLine{f: f}
}

func (p *progressLine) compare(pr reconcile.Progress) {
	rate := 0.0
	if s := pr.Elapsed.Seconds(); s > 0 {
		rate = float64(pr.Compared) / s
	}
	line := fmt.Sprintf("Compared %d versions with %d records (%.0f/s), %d of %d key ranges done, %s", pr.Compared, pr.Records, rate,
		pr.Done, pr.Partitions, pr.Elapsed.Round(time.Second))
	if left, ok := p.eta.update(pr.Elapsed, pr.Fraction); ok {
		line += ", ~" + formatLeft(left) + " left"
	}
	p.show(line)
}

// The time left is shown from etaAfter on, once the fraction done is at
// least etaMinFraction: before, it says more about the first pages'
// latency than about the bucket.
const (
	etaAfter       = 2 * time.Second
	etaMinFraction = 0.01
	// etaTau is the smoothing's time constant: a new estimate moves the
	// one shown by 1-exp(-dt/etaTau) of the difference (about a tenth per
	// half-second update).
	etaTau = 5 * time.Second
)

// eta estimates the time left from the fraction done: the whole run is
// elapsed/fraction, smoothed exponentially over time, so that a range
// finishing early or a slow page moves it gradually; the time left is
// that minus the time elapsed, so it counts down between estimates.
type eta struct {
	total time.Duration // the smoothed estimate of the whole run; 0: none yet
	at    time.Duration // elapsed at the last estimate
}

// update takes a progress snapshot and says the time left, if there is
// anything meaningful to say.
func (e *eta) update(elapsed time.Duration, fraction float64) (time.Duration, bool) {
	if elapsed < e.at {
		*e = eta{} // another run
	}
	if elapsed < etaAfter || fraction < etaMinFraction || fraction >= 1 {
		return 0, false
	}
	raw := time.Duration(float64(elapsed) / fraction)
	if e.total == 0 {
		e.total = raw
	} else {
		a := 1 - math.Exp(-float64(elapsed-e.at)/float64(etaTau))
		e.total += time.Duration(a * float64(raw-e.total))
	}
	e.at = elapsed
	return max(e.total-elapsed, time.Second), true
}

// formatLeft rounds a time left to what an estimate can claim: seconds
// under a minute, ten seconds under an hour, minutes above.
func formatLeft(d time.Duration) string {
	switch {
	case d < time.Minute:
		d = max(d.Round(time.Second), time.Second)
	case d < time.Hour:
		d = d.Round(10 * time.Second)
	default:
		d = d.Round(time.Minute)
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func (p *progressLine) repair(pr reconcile.RepairProgress) {
	line := fmt.Sprintf("Repairing %s: %d of %d", pr.Phase, pr.Done, pr.Total)
	if pr.JobStatus != "" {
		line += " (job " + pr.JobStatus + ")"
	}
	p.show(line)
}

func (p *progressLine) show(line string) {
	fmt.Fprintf(p.f.IO.ErrOut, "\r\033[K%s", line)
	p.shown = true
}

func (p *progressLine) end() {
	if p != nil && p.shown {
		fmt.Fprint(p.f.IO.ErrOut, "\r\033[K")
		p.shown = false
	}
}
