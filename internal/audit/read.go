package audit

import (
	"bufio"
	"compress/gzip"
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// ListAPI lists the log bucket; *s3.Client satisfies it.
type ListAPI interface {
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

// GetAPI reads an object of the log bucket; *s3.Client satisfies it.
type GetAPI interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// BucketAPI is what reading the logs calls.
type BucketAPI interface {
	ListAPI
	GetAPI
}

// DefaultMaxDelay is how long after a request xacct expects its record
// to be delivered. AWS delivers "within an average of about 5 minutes",
// without a guarantee: 15 minutes covers the usual, and a record later
// than that is still returned, only out of order (Stats.Late).
const DefaultMaxDelay = 15 * time.Minute

// Options are the inputs of Read.
type Options struct {
	// Bucket is the log bucket.
	Bucket string
	// Accounts are the IDs of the accounts whose logs are read.
	Accounts []string
	// Regions are the regions read; nil: the ones present under each
	// account's CloudTrail/ prefix (IAM and STS events are recorded in
	// us-east-1 whatever the stack's region).
	Regions []string
	// Since and Until bound the events' times; Until zero is now.
	Since, Until time.Time
	Filter       Filter
	Principals   *Principals
	// Parallel is how many files are read at once (default 8).
	Parallel int
	// MaxDelay: see DefaultMaxDelay.
	MaxDelay time.Duration
	// Raw keeps each entry's record as CloudTrail wrote it.
	Raw bool
	// Progress is called as files are read (at most every 100 ms).
	Progress func(Progress)
	Now      func() time.Time
	// Poll is how often Follow looks for new files (default 5 s).
	Poll time.Duration
}

// Progress is how far a read is.
type Progress struct {
	Files, FilesTotal int
	Events, Matched   int64
	Elapsed           time.Duration
}

// Stats say what a read did.
type Stats struct {
	// Prefixes are the day prefixes listed, in order.
	Prefixes []string
	Files    int
	Events   int64
	Matched  int64
	// Lists and Gets count the requests to the bucket.
	Lists, Gets int
	// Late counts entries delivered more than MaxDelay after they
	// happened, returned out of order.
	Late int64
	// Unreadable are the log files that could not be read, with why.
	Unreadable []FileError
	Elapsed    time.Duration
}

// FileError is a log file that could not be read.
type FileError struct {
	Key string `json:"key"`
	Err string `json:"error"`
}

func (o *Options) defaults() error {
	if o.Bucket == "" {
		return errors.New("audit: no log bucket")
	}
	if o.Parallel < 1 {
		o.Parallel = 8
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = DefaultMaxDelay
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Principals == nil {
		o.Principals = &Principals{}
	}
	if o.Poll <= 0 {
		o.Poll = 5 * time.Second
	}
	if !o.Until.IsZero() && o.Until.Before(o.Since) {
		return fmt.Errorf("--until %s is before --since %s", o.Until.Format(time.RFC3339), o.Since.Format(time.RFC3339))
	}
	return nil
}

// counter counts requests from several goroutines.
type counter struct {
	mu          sync.Mutex
	lists, gets int
	prefixes    []string
}

func (c *counter) list(prefix string) {
	c.mu.Lock()
	c.lists++
	if prefix != "" {
		c.prefixes = append(c.prefixes, prefix)
	}
	c.mu.Unlock()
}

func (c *counter) get() {
	c.mu.Lock()
	c.gets++
	c.mu.Unlock()
}

// Read calls emit with every entry of the range that the filter keeps, in
// time order.
//
// Files: for each account and region, only the day prefixes of the range
// are listed, the first one from the range's first minute (StartAfter),
// and a listing stops at the first key past the range's end (+ MaxDelay,
// for the records of the range's last minutes delivered after it).
//
// Memory: files are read at most Parallel at a time, each as a stream (one
// record in memory at a time), in the order of the times in their names;
// a file's kept entries wait in a heap until no file still to read can
// hold an earlier one (its name's time - MaxDelay), so the heap holds
// about MaxDelay's worth of kept entries, whatever the range.
func Read(ctx context.Context, api BucketAPI, o Options, emit func(Entry) error) (*Stats, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	start := o.Now()
	until := o.Until
	if until.IsZero() {
		until = start
	}
	c := &counter{}
	files, err := listFiles(ctx, api, &o, c, o.Since, until.Add(o.MaxDelay))
	if err != nil {
		return nil, err
	}
	st := &Stats{}
	err = readFiles(ctx, api, &o, c, files, o.Since, o.Until, start, st, emit)
	st.Lists, st.Gets, st.Prefixes = c.lists, c.gets, c.prefixes
	st.Elapsed = o.Now().Sub(start)
	return st, err
}

// ListFiles returns the log files whose names' times are in [from, to],
// sorted by time then key, listing only the day prefixes of the range.
func ListFiles(ctx context.Context, api ListAPI, o Options, from, to time.Time) ([]LogFile, []string, error) {
	if err := o.defaults(); err != nil {
		return nil, nil, err
	}
	c := &counter{}
	files, err := listFiles(ctx, api, &o, c, from, to)
	return files, c.prefixes, err
}

func listFiles(ctx context.Context, api ListAPI, o *Options, c *counter, from, to time.Time) ([]LogFile, error) {
	from = from.UTC().Truncate(time.Minute)
	type job struct {
		account, region string
		day             time.Time
	}
	var jobs []job
	for _, acct := range o.Accounts {
		regions := o.Regions
		if regions == nil {
			var err error
			if regions, err = listRegions(ctx, api, o.Bucket, LogsPrefix(acct), c); err != nil {
				return nil, err
			}
		}
		for _, r := range regions {
			for _, d := range Days(from, to) {
				jobs = append(jobs, job{acct, r, d})
			}
		}
	}
	var mu sync.Mutex
	var out []LogFile
	err := parallel(ctx, o.Parallel, len(jobs), func(ctx context.Context, i int) error {
		j := jobs[i]
		prefix := DayPrefix(j.account, j.region, j.day)
		startAfter := ""
		if j.day.Equal(Days(from, from)[0]) {
			startAfter = logKeyAt(j.account, j.region, from)
		}
		files, err := listDay(ctx, api, o.Bucket, prefix, startAfter, to, c)
		mu.Lock()
		out = append(out, files...)
		mu.Unlock()
		return err
	})
	if err != nil {
		return nil, err
	}
	sortFiles(out)
	return out, nil
}

func sortFiles(fs []LogFile) {
	slices.SortFunc(fs, func(a, b LogFile) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
}

// listDay lists one day prefix's log files from startAfter, up to the
// first whose time is after to.
func listDay(ctx context.Context, api ListAPI, bucket, prefix, startAfter string, to time.Time, c *counter) ([]LogFile, error) {
	var out []LogFile
	in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)}
	if startAfter != "" {
		in.StartAfter = aws.String(startAfter)
	}
	first := true
	for {
		if first {
			c.list(prefix)
			first = false
		} else {
			c.list("")
		}
		page, err := api.ListObjectsV2(ctx, in)
		if err != nil {
			return out, fmt.Errorf("list s3://%s/%s: %w", bucket, prefix, err)
		}
		for _, obj := range page.Contents {
			f, ok := ParseLogKey(aws.ToString(obj.Key))
			if !ok {
				continue
			}
			if f.Time.After(to) {
				// Keys sort by time within a day prefix: the rest is later.
				return out, nil
			}
			f.Size = aws.ToInt64(obj.Size)
			out = append(out, f)
		}
		if !aws.ToBool(page.IsTruncated) || page.NextContinuationToken == nil {
			return out, nil
		}
		in.ContinuationToken = page.NextContinuationToken
	}
}

// listRegions lists the regions under an account's CloudTrail/ (or
// CloudTrail-Digest/) prefix, with a delimiter: one short listing.
func listRegions(ctx context.Context, api ListAPI, bucket, prefix string, c *counter) ([]string, error) {
	var out []string
	in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix), Delimiter: aws.String("/")}
	for {
		if c != nil {
			c.list("")
		}
		page, err := api.ListObjectsV2(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("list s3://%s/%s: %w", bucket, prefix, err)
		}
		for _, cp := range page.CommonPrefixes {
			r := strings.TrimSuffix(strings.TrimPrefix(aws.ToString(cp.Prefix), prefix), "/")
			if r != "" {
				out = append(out, r)
			}
		}
		if !aws.ToBool(page.IsTruncated) || page.NextContinuationToken == nil {
			return out, nil
		}
		in.ContinuationToken = page.NextContinuationToken
	}
}

// parallel runs f for 0..n-1, at most limit at once, and returns the
// first error (which cancels the others).
func parallel(ctx context.Context, limit, n int, f func(context.Context, int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for i := 0; i < n; i++ {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			if err := f(ctx, i); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		}(i)
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return first
}

// fileResult is what reading one file gave.
type fileResult struct {
	entries []Entry
	events  int64
	err     error
}

// reader reads log files; each worker keeps its buffers.
type reader struct {
	api  GetAPI
	o    *Options
	m    *matcher
	c    *counter
	pool sync.Pool
}

type readBufs struct {
	br  *bufio.Reader
	gz  *gzip.Reader
	buf []byte
}

func (rd *reader) read(ctx context.Context, f LogFile, since, until time.Time) fileResult {
	rd.c.get()
	out, err := rd.api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(rd.o.Bucket), Key: aws.String(f.Key)})
	if err != nil {
		return fileResult{err: err}
	}
	defer out.Body.Close()
	b, _ := rd.pool.Get().(*readBufs)
	if b == nil {
		b = &readBufs{br: bufio.NewReaderSize(nil, 64<<10)}
	}
	defer rd.pool.Put(b)
	b.br.Reset(out.Body)
	var src io.Reader = b.br
	// CloudTrail stores gzip; a client or store that already inflated
	// it (Content-Encoding) hands over JSON.
	if head, _ := b.br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		if b.gz == nil {
			if b.gz, err = gzip.NewReader(b.br); err != nil {
				return fileResult{err: err}
			}
		} else if err := b.gz.Reset(b.br); err != nil {
			return fileResult{err: err}
		}
		src = b.gz
	}
	sp := newRecordSplitter(src, b.buf)
	var res fileResult
	var rec Record
	for {
		raw, err := sp.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			res.err = err
			break
		}
		if err := parseRecord(raw, &rec); err != nil {
			res.err = fmt.Errorf("record %d: %w", res.events+1, err)
			break
		}
		res.events++
		if e, ok := rd.m.match(&rec, since, until); ok {
			e.File = f.Key
			if rd.o.Raw {
				e.Raw = rawRecord(raw)
			}
			res.entries = append(res.entries, e)
		}
		if res.events&1023 == 0 && ctx.Err() != nil {
			res.err = ctx.Err()
			break
		}
	}
	b.buf = sp.buf
	return res
}

// entryBefore orders entries by time, then event ID (stable output).
func entryBefore(a, b *Entry) bool {
	if c := a.Time.Compare(b.Time); c != 0 {
		return c < 0
	}
	return a.EventID < b.EventID
}

// run is one file's kept entries, sorted, and how far they are emitted.
type run struct {
	es []Entry
	i  int
}

// runHeap orders the runs waiting to be merged by their next entry: a
// file's records are nearly in time order already, so the merge sifts
// among the files of the window (a handful), not among their entries (a
// heap of entries was a tenth of a million-event read).
type runHeap []*run

func (h runHeap) Len() int           { return len(h) }
func (h runHeap) Less(i, j int) bool { return entryBefore(&h[i].es[h[i].i], &h[j].es[h[j].i]) }
func (h runHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)        { *h = append(*h, x.(*run)) }
func (h *runHeap) Pop() any {
	old := *h
	r := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return r
}

// readFiles reads files (sorted by time) Parallel at a time and emits the
// kept entries in time order.
func readFiles(ctx context.Context, api GetAPI, o *Options, c *counter, files []LogFile, since, until, start time.Time, st *Stats, emit func(Entry) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rd := &reader{api: api, o: o, m: newMatcher(o.Filter, o.Principals), c: c}
	// order carries each file's result channel, in file order; a token
	// is taken before a file is read and given back once its result is
	// merged, so at most Parallel results wait in memory.
	order := make(chan chan fileResult, o.Parallel)
	tokens := make(chan struct{}, o.Parallel)
	go func() {
		defer close(order)
		for _, f := range files {
			select {
			case tokens <- struct{}{}:
			case <-ctx.Done():
				return
			}
			ch := make(chan fileResult, 1)
			select {
			case order <- ch:
			case <-ctx.Done():
				return
			}
			go func(f LogFile) { ch <- rd.read(ctx, f, since, until) }(f)
		}
	}()
	h := &runHeap{}
	var last time.Time
	lastShown := time.Time{}
	flush := func(before time.Time, all bool) error {
		for h.Len() > 0 {
			r := (*h)[0]
			e := &r.es[r.i]
			if !all && !e.Time.Before(before) {
				return nil
			}
			if e.Time.Before(last) {
				st.Late++
			} else {
				last = e.Time
			}
			if err := emit(*e); err != nil {
				return err
			}
			if r.i++; r.i == len(r.es) {
				heap.Pop(h)
			} else {
				heap.Fix(h, 0)
			}
		}
		return nil
	}
	i := 0
	for ch := range order {
		res := <-ch
		<-tokens
		f := files[i]
		i++
		st.Files++
		st.Events += res.events
		if res.err != nil {
			if ctx.Err() != nil {
				break
			}
			st.Unreadable = append(st.Unreadable, FileError{Key: f.Key, Err: res.err.Error()})
		}
		st.Matched += int64(len(res.entries))
		if es := res.entries; len(es) > 0 {
			for j := 1; j < len(es); j++ {
				if entryBefore(&es[j], &es[j-1]) {
					sort.Slice(es, func(a, b int) bool { return entryBefore(&es[a], &es[b]) })
					break
				}
			}
			heap.Push(h, &run{es: es})
		}
		if i < len(files) {
			// No file still to read holds a record earlier than this.
			if err := flush(files[i].Time.Add(-o.MaxDelay), false); err != nil {
				return err
			}
		}
		if o.Progress != nil {
			if now := o.Now(); now.Sub(lastShown) >= 100*time.Millisecond || i == len(files) {
				lastShown = now
				o.Progress(Progress{Files: i, FilesTotal: len(files), Events: st.Events, Matched: st.Matched, Elapsed: now.Sub(start)})
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return flush(time.Time{}, true)
}
