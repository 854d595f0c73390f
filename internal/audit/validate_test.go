package audit_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xacct/xacct/internal/audit"
	"github.com/xacct/xacct/internal/audit/audittest"
)

// trailWorld is four hours of a trail in Production (us-east-1), a
// digest at the end of each hour listing that hour's two log files, and
// one log file delivered after the last digest.
type trailWorld struct {
	b       *audittest.Bucket
	trail   *audittest.Trail
	logs    [][]string // by hour
	digests []string
	newest  string
}

func newTrailWorld(t *testing.T, edit func(w *trailWorld, hour int)) *trailWorld {
	t.Helper()
	w := &trailWorld{b: audittest.NewBucket(logBucket), trail: audittest.NewTrail(logBucket, prod, "us-east-1", "acme-data-trail")}
	logFile := func(at time.Time, n string) string {
		key, body := audittest.LogFile(prod, "us-east-1", at, n, []map[string]any{audittest.Event{Time: at.Add(-time.Minute), Account: prod, Region: "us-east-1",
			Source: "iam.amazonaws.com", Name: "GetRole", Identity: audittest.IAMUser(prod, "ops"), ID: n, ReadOnly: true, Mgmt: true}.Record()})
		w.b.Put(key, body, nil)
		return key
	}
	for h := 0; h < 4; h++ {
		start := t0.Add(time.Duration(h) * time.Hour)
		keys := []string{logFile(start.Add(10*time.Minute), fmt.Sprintf("h%da", h)), logFile(start.Add(40*time.Minute), fmt.Sprintf("h%db", h))}
		w.logs = append(w.logs, keys)
		if edit != nil {
			edit(w, h)
		}
		w.digests = append(w.digests, w.trail.Digest(w.b, start, start.Add(time.Hour), keys))
	}
	w.newest = logFile(t0.Add(4*time.Hour+5*time.Minute), "newest")
	return w
}

func (w *trailWorld) validate(t *testing.T) *audit.Validation {
	t.Helper()
	v, err := audit.Validate(context.Background(), w.b, audit.ValidateOptions{
		Bucket: logBucket, Accounts: []string{prod}, Keys: map[string]audit.KeysAPI{prod: &audittest.Keys{Trails: []*audittest.Trail{w.trail}}},
		Trail: "acme-data-trail", HomeRegion: "us-east-1", Since: t0, Until: t0.Add(4*time.Hour + 30*time.Minute),
		Now: func() time.Time { return t0.Add(5 * time.Hour) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// edit changes the world while it is made (hour by hour), then
		// after (after == nil: nothing).
		during func(w *trailWorld, hour int)
		after  func(w *trailWorld)
		want   func(w *trailWorld) []audit.Problem
		valid  int // valid digests
		// uncovered are the hours whose log files no valid digest lists
		// (besides the newest file, which none does yet).
		uncovered []int
	}{
		{name: "valid chain", valid: 4, want: func(*trailWorld) []audit.Problem { return []audit.Problem{} }},
		{name: "a log file deleted", valid: 4, after: func(w *trailWorld) { w.b.Delete(w.logs[1][0]) },
			want: func(w *trailWorld) []audit.Problem {
				return []audit.Problem{{Kind: audit.MissingLog, Key: w.logs[1][0], Detail: "listed in a digest, not in the bucket"}}
			}},
		{name: "a log file edited", valid: 4, after: func(w *trailWorld) {
			o, _ := w.b.Get(w.logs[2][1])
			body := strings.Replace(string(audittest.Gunzip(o.Body)), `"ops"`, `"someone-else"`, 1)
			w.b.Put(w.logs[2][1], audittest.Gzip([]byte(body)), nil)
		}, want: func(w *trailWorld) []audit.Problem {
			return []audit.Problem{{Kind: audit.AlteredLog, Key: w.logs[2][1]}}
		}},
		{name: "a digest deleted", valid: 3, uncovered: []int{1}, after: func(w *trailWorld) { w.b.Delete(w.digests[1]) },
			want: func(w *trailWorld) []audit.Problem {
				return []audit.Problem{{Kind: audit.MissingDigest, Key: w.digests[1], Detail: "named as the previous digest of " + w.digests[2]}}
			}},
		{name: "a digest with a bad signature", valid: 3, uncovered: []int{2}, after: func(w *trailWorld) {
			o, _ := w.b.Get(w.digests[2])
			meta := map[string]string{"signature": strings.Repeat("ab", 256), "signature-algorithm": "SHA256withRSA"}
			w.b.Put(w.digests[2], o.Body, meta)
		}, want: func(w *trailWorld) []audit.Problem {
			return []audit.Problem{{Kind: audit.InvalidDigest, Key: w.digests[2], Detail: "signature verification failed"}}
		}},
		{name: "a digest's content edited, its signature kept", valid: 3, uncovered: []int{0}, after: func(w *trailWorld) {
			o, _ := w.b.Get(w.digests[0])
			body := strings.Replace(string(audittest.Gunzip(o.Body)), w.logs[0][0], w.logs[0][0]+"x", 1)
			w.b.Put(w.digests[0], audittest.Gzip([]byte(body)), o.Metadata)
		}, want: func(w *trailWorld) []audit.Problem {
			return []audit.Problem{{Kind: audit.InvalidDigest, Key: w.digests[0], Detail: "signature verification failed"}}
		}},
		{name: "a broken chain", valid: 4, during: func(w *trailWorld, hour int) {
			if hour == 2 {
				// The trail signs hour 2's digest over another previous
				// signature: valid on its own, not chained.
				w.trail.Chain(strings.Repeat("00", 256))
			}
		}, want: func(w *trailWorld) []audit.Problem {
			return []audit.Problem{{Kind: audit.BrokenChain, Key: w.digests[2], Detail: "its previousDigestSignature is not the signature of " + w.digests[1]}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newTrailWorld(t, tt.during)
			if tt.after != nil {
				tt.after(w)
			}
			v := w.validate(t)
			want := tt.want(w)
			// Details that carry hashes are checked by kind and key only.
			got := v.Problems
			for i := range got {
				if got[i].Kind == audit.AlteredLog {
					got[i].Detail = ""
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if v.OK() != (len(want) == 0) {
				t.Errorf("OK() = %v with %d problems", v.OK(), len(want))
			}
			if len(v.Trails) != 1 || v.Trails[0].ValidDigests != tt.valid {
				t.Errorf("trails = %+v, want one with %d valid digests", v.Trails, tt.valid)
			}
			var uncovered []string
			for _, h := range tt.uncovered {
				uncovered = append(uncovered, w.logs[h]...)
			}
			if diff := cmp.Diff(append(uncovered, w.newest), v.Uncovered); diff != "" {
				t.Errorf("uncovered (-want +got):\n%s", diff)
			}
		})
	}
}

// TestStringToSign is the AWS CLI validator's string, field by field.
func TestStringToSign(t *testing.T) {
	t.Parallel()
	prev := "abcd"
	got := audit.StringToSign("2026-12-06T11:00:00Z", "b", "AWSLogs/k.json.gz", []byte("{}"), &prev)
	want := "2026-12-06T11:00:00Z\nb/AWSLogs/k.json.gz\n44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\nabcd"
	if got != want {
		t.Errorf("StringToSign = %q, want %q", got, want)
	}
	if got := audit.StringToSign("t", "b", "k", []byte("{}"), nil); !strings.HasSuffix(got, "\nnull") {
		t.Errorf("no previous signature: %q, want it to end in null", got)
	}
}
