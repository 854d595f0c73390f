// Package reconcile answers "is there a metadata record for every object
// version of the Production bucket?" and repairs what is missing: it
// compares the bucket's versions and delete markers with the records the
// processor wrote in Reporting (lambda/processor's key scheme), counts the
// failed events waiting in the processor's failure bucket, and sends what
// is missing back through the same function — by itself for a few, or as
// an S3 Batch Operations job above a threshold (repair.go).
//
// The comparison is a streaming merge of two sorted listings, split by the
// first byte after the prefix into partitions that run in parallel; memory
// does not grow with the bucket (see stream.go for the bound).
package reconcile

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/xacct/xacct/lambda/processor"
)

// Class is a kind of difference.
type Class string

// The classes, in the order they are reported.
const (
	// MissingVersion: an object version without its record.
	MissingVersion Class = "version-without-record"
	// MissingDeletion: a delete marker without its record.
	MissingDeletion Class = "deletion-without-record"
	// Orphan: a record of a version that no longer exists, and no record
	// of its deletion.
	Orphan Class = "record-without-version"
	// FailedEvent: an event the processor failed, waiting in its failure
	// bucket.
	FailedEvent Class = "failed-event"
	// WrongDeletion: a record of a version's permanent deletion while the
	// version exists. The processor writes none (it checks with S3), so it
	// was written by someone else; records are never overwritten, so it is
	// reported, not repaired.
	WrongDeletion Class = "deletion-record-of-an-existing-version"
)

// Classes lists the classes in report order.
var Classes = []Class{MissingVersion, MissingDeletion, Orphan, FailedEvent, WrongDeletion}

// Item is one difference.
type Item struct {
	Class     Class  `json:"class"`
	Key       string `json:"key,omitempty"`
	VersionID string `json:"version_id,omitempty"`
	// RecordKey is the record expected (missing) or found (orphan).
	RecordKey string `json:"record_key,omitempty"`
	// File and FileVersion name a failed event's file.
	File        string `json:"file,omitempty"`
	FileVersion string `json:"file_version,omitempty"`
	// Hashed: the record key is hashed (a long key); an orphan's key and
	// version are then read from the record itself.
	Hashed bool `json:"hashed,omitempty"`
}

// ProductionAPI lists the Production bucket and the failure bucket.
type ProductionAPI interface {
	ListObjectVersions(context.Context, *s3.ListObjectVersionsInput, ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error)
}

// ReportingAPI lists the records.
type ReportingAPI interface {
	ListObjectsV2(context.Context, *s3.ListObjectsV2Input, ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

// Options say what to compare.
type Options struct {
	Bucket       string // the Production bucket
	Prefix       string // only keys under it (--prefix)
	ReportBucket string
	ReportPrefix string // the records' prefix (reporting.prefix)
	// FailureBucket and FailurePrefix locate the failed events
	// (aws/lambda/async/<function>/); empty: not counted.
	FailureBucket, FailurePrefix string
	// ProductionOwner and ReportingOwner are the accounts expected to own
	// the buckets (x-amz-expected-bucket-owner).
	ProductionOwner, ReportingOwner string
	// Parallel is how many partitions are listed at once (default 8).
	Parallel int
	// PageSize is the listings' MaxKeys (default 1000).
	PageSize int32
	// Sink receives every difference, one call at a time.
	Sink func(Item)
	// Progress is called about twice a second and once at the end.
	Progress func(Progress)
	Now      func() time.Time
}

// Progress is how far a comparison is.
type Progress struct {
	Compared   int64 // versions and delete markers read
	Records    int64 // records read
	Partitions int
	Done       int // partitions finished
	Elapsed    time.Duration
	// Fraction estimates the share of the versions compared, from where
	// each partition's listing stands in its range of keys (progress.go
	// says what it assumes); 0 while nothing can be said, 1 once every
	// partition is done.
	Fraction float64
}

// Report is a comparison's result.
type Report struct {
	Bucket        string          `json:"bucket"`
	Prefix        string          `json:"prefix"`
	ReportBucket  string          `json:"report_bucket"`
	Versions      int64           `json:"versions"`
	DeleteMarkers int64           `json:"delete_markers"`
	Records       int64           `json:"records"`
	Missing       map[Class]int64 `json:"missing"`
	// Samples are the first few differences of each class.
	Samples    map[Class][]Item `json:"samples"`
	Partitions int              `json:"partitions"`
	// HashedOrphansChecked is false under a prefix: hashed records cannot
	// be told apart by key without reading each one.
	HashedOrphansChecked bool          `json:"hashed_orphans_checked"`
	Elapsed              time.Duration `json:"-"`
}

// Complete reports whether nothing is missing.
func (r *Report) Complete() bool {
	for _, n := range r.Missing {
		if n > 0 {
			return false
		}
	}
	return true
}

// Total is the number of differences.
func (r *Report) Total() int64 {
	var n int64
	for _, c := range r.Missing {
		n += c
	}
	return n
}

const samplesPerClass = 10

// run is one comparison's shared state.
type run struct {
	opts     Options
	pp       string // the records of the bucket: <report prefix><bucket>/
	prod     ProductionAPI
	rep      ReportingAPI
	compared atomic.Int64
	records  atomic.Int64
	done     atomic.Int64
	parts    []partState // by partition, for the progress

	mu     sync.Mutex
	report *Report
	hashed map[string]Item // expected hashed records (long keys)
	// maybeOrphans are records whose deletion record would be hashed:
	// hashedPass decides.
	maybeOrphans []Item
	markers      atomic.Int64
}

func (r *run) emit(it Item) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.report.Missing[it.Class]++
	// The samples are the first by key, whatever order the partitions
	// finish in.
	sm := append(r.report.Samples[it.Class], it)
	slices.SortFunc(sm, func(a, b Item) int { return strings.Compare(a.RecordKey+a.File, b.RecordKey+b.File) })
	if len(sm) > samplesPerClass {
		sm = sm[:samplesPerClass]
	}
	r.report.Samples[it.Class] = sm
	if r.opts.Sink != nil {
		r.opts.Sink(it)
	}
}

// Compare lists both sides and reports every difference.
func Compare(ctx context.Context, prod ProductionAPI, rep ReportingAPI, opts Options) (*Report, error) {
	if opts.Bucket == "" || opts.ReportBucket == "" {
		return nil, errors.New("reconcile: the Production and Reporting buckets are needed")
	}
	if opts.Parallel < 1 {
		opts.Parallel = 8
	}
	if opts.PageSize < 1 {
		opts.PageSize = 1000
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	start := opts.Now()
	r := &run{opts: opts, pp: opts.ReportPrefix + opts.Bucket + "/", prod: prod, rep: rep, hashed: map[string]Item{},
		report: &Report{Bucket: opts.Bucket, Prefix: opts.Prefix, ReportBucket: opts.ReportBucket, Missing: map[Class]int64{}, Samples: map[Class][]Item{},
			HashedOrphansChecked: opts.Prefix == ""}}
	for _, c := range Classes {
		r.report.Missing[c] = 0
	}
	prefix, err := r.descend(ctx, opts.Prefix)
	if err != nil {
		return nil, err
	}
	parts := partitions(prefix)
	r.report.Partitions = len(parts)
	r.parts = make([]partState, len(parts))

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopProgress := r.progress(parts, start)
	errs := make([]error, len(parts)+1)
	var wg sync.WaitGroup
	sem := make(chan struct{}, opts.Parallel)
	for i, p := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			defer func() { <-sem }()
			if errs[i] = r.partition(ctx, p, &r.parts[i]); errs[i] != nil {
				cancel()
			} else {
				r.parts[i].done.Store(true)
			}
			r.done.Add(1)
		}()
	}
	if opts.FailureBucket != "" {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[len(parts)] = r.failedEvents(ctx); errs[len(parts)] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	if err := firstError(errs); err != nil {
		stopProgress()
		return nil, err
	}
	if err := r.hashedPass(ctx); err != nil {
		stopProgress()
		return nil, err
	}
	stopProgress()
	r.report.Versions = r.compared.Load() - r.markers.Load()
	r.report.DeleteMarkers = r.markers.Load()
	r.report.Records = r.records.Load()
	r.report.Elapsed = opts.Now().Sub(start)
	return r.report, nil
}

// firstError prefers a real error to the cancellations it caused.
func firstError(errs []error) error {
	var canceled error
	for _, err := range errs {
		switch {
		case err == nil:
		case errors.Is(err, context.Canceled):
			canceled = err
		default:
			return err
		}
	}
	return canceled
}

func (r *run) progress(parts []partition, start time.Time) (stop func()) {
	if r.opts.Progress == nil {
		return func() {}
	}
	snap := func() Progress {
		return Progress{Compared: r.compared.Load(), Records: r.records.Load(), Partitions: len(parts), Done: int(r.done.Load()), Elapsed: r.opts.Now().Sub(start),
			Fraction: estimate(parts, r.parts)}
	}
	quit := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				r.opts.Progress(snap())
			case <-quit:
				return
			}
		}
	}()
	return func() {
		close(quit)
		<-finished
		r.opts.Progress(snap())
	}
}

// descend narrows the prefix while the bucket and the records hold one
// folder and nothing beside it, so that the partitions split what is
// really there (a bucket whose keys all start with reports/ is split by
// the byte after reports/).
func (r *run) descend(ctx context.Context, prefix string) (string, error) {
	for range 16 {
		pv, err := r.prod.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(r.opts.Bucket), Prefix: aws.String(prefix),
			Delimiter: aws.String("/"), MaxKeys: aws.Int32(2), ExpectedBucketOwner: owner(r.opts.ProductionOwner)})
		if err != nil {
			return "", fmt.Errorf("list s3://%s/%s: %w", r.opts.Bucket, prefix, err)
		}
		if len(pv.Versions)+len(pv.DeleteMarkers) > 0 || len(pv.CommonPrefixes) != 1 || aws.ToBool(pv.IsTruncated) {
			return prefix, nil
		}
		next := aws.ToString(pv.CommonPrefixes[0].Prefix)
		rv, err := r.rep.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(r.opts.ReportBucket), Prefix: aws.String(r.pp + prefix),
			Delimiter: aws.String("/"), MaxKeys: aws.Int32(3), ExpectedBucketOwner: owner(r.opts.ReportingOwner)})
		if err != nil {
			return "", fmt.Errorf("list s3://%s/%s%s: %w", r.opts.ReportBucket, r.pp, prefix, err)
		}
		if len(rv.Contents) > 0 || aws.ToBool(rv.IsTruncated) {
			return prefix, nil
		}
		for _, cp := range rv.CommonPrefixes {
			p := aws.ToString(cp.Prefix)
			// The hashed records are compared on their own (hashedPass).
			if p != r.pp+next && (prefix != "" || p != r.pp+processor.HashedDir) {
				return prefix, nil
			}
		}
		prefix = next
	}
	return prefix, nil
}

func owner(account string) *string {
	if account == "" {
		return nil
	}
	return aws.String(account)
}

// recordOf splits a readable record key (less the bucket's record prefix)
// into the object key and version, and says whether it is a deletion
// record. ok is false for a key that is not a record's.
func recordOf(rest string) (key, version string, deletion, ok bool) {
	name := rest
	if n, cut := strings.CutSuffix(rest, processor.DeletionSuffix); cut {
		name, deletion = n, true
	} else if n, cut := strings.CutSuffix(rest, processor.RecordSuffix); cut {
		name = n
	} else {
		return "", "", false, false
	}
	i := strings.LastIndexByte(name, '/')
	if i <= 0 || i == len(name)-1 {
		return "", "", false, false
	}
	return name[:i], name[i+1:], deletion, true
}
