package audit

import (
	"context"
	"time"
)

// Follow reads the range as Read does, then, every Poll, lists only the
// newest day prefixes from the last poll's minute (StartAfter) and reads
// the files not seen yet, until ctx ends (which is not an error). Entries
// are in time order within each poll's files.
func Follow(ctx context.Context, api BucketAPI, o Options, emit func(Entry) error) error {
	if err := o.defaults(); err != nil {
		return err
	}
	o.Until = time.Time{}
	c := &counter{}
	start := o.Now()
	seen := map[string]time.Time{}
	read := func(from, to time.Time) error {
		files, err := listFiles(ctx, api, &o, c, from, to)
		if err != nil {
			return err
		}
		fresh := files[:0]
		for _, f := range files {
			if _, ok := seen[f.Key]; !ok {
				seen[f.Key] = f.Time
				fresh = append(fresh, f)
			}
		}
		st := &Stats{}
		return readFiles(ctx, api, &o, c, fresh, o.Since, time.Time{}, start, st, emit)
	}
	last := start
	if err := read(o.Since, start.Add(o.MaxDelay)); err != nil {
		return quiet(ctx, err)
	}
	tick := time.NewTicker(o.Poll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		now := o.Now()
		// A file is named when it is written, which may be a minute
		// before it is listed: look back two, and skip what was seen.
		from := last.Add(-2 * time.Minute)
		if from.Before(o.Since) {
			from = o.Since
		}
		for k, t := range seen {
			if t.Before(from.Add(-time.Minute)) {
				delete(seen, k)
			}
		}
		if err := read(from, now.Add(o.MaxDelay)); err != nil {
			return quiet(ctx, err)
		}
		last = now
	}
}

// quiet turns the end of a follow (ctx done) into no error.
func quiet(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}
