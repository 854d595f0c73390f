package operation

import (
	"context"
	"fmt"

	"github.com/xacct/xacct/internal/awsacct"
	"github.com/xacct/xacct/internal/reconcile"
	"github.com/xacct/xacct/internal/stack"
)

// ReconcileOptions are reconcile's inputs.
type ReconcileOptions struct {
	Prefix   string
	Parallel int
	Progress func(reconcile.Progress)
}

// RepairOptions are reconcile --repair's inputs.
type RepairOptions struct {
	// Threshold: above this many versions to record, a batch job does it.
	Threshold   int
	Concurrency int
	Progress    func(reconcile.RepairProgress)
}

// Compare compares the Production bucket's versions with the records in
// Reporting; every difference also goes to sp when it is not nil.
func (s *Session) Compare(ctx context.Context, o ReconcileOptions, sp *reconcile.Spool) (*reconcile.Report, error) {
	prod, rep := s.clients["production"], s.clients["reporting"]
	pa, ok := prod.S3.(reconcile.ProductionAPI)
	ra, ok2 := rep.S3.(reconcile.ReportingAPI)
	if !ok || !ok2 {
		return nil, fmt.Errorf("reconcile: the accounts' S3 clients cannot list objects")
	}
	c := s.Config
	opts := reconcile.Options{
		Bucket: c.Production.Bucket, Prefix: o.Prefix, ReportBucket: c.Reporting.Bucket, ReportPrefix: c.Reporting.Prefix,
		FailureBucket: c.Production.Processor.FailureBucket, FailurePrefix: failurePrefix(c.Production.Processor.FunctionName),
		ProductionOwner: c.Accounts.Production.ID, ReportingOwner: c.Accounts.Reporting.ID,
		Parallel: o.Parallel, Progress: o.Progress, Now: s.env.Now,
	}
	if sp != nil {
		opts.Sink = sp.Add
	}
	return reconcile.Compare(ctx, pa, ra, opts)
}

// failurePrefix is where Lambda keeps a function's failed events in an S3
// on-failure destination.
func failurePrefix(function string) string { return "aws/lambda/async/" + function + "/" }

// Repair sends what a comparison spooled through the processor: failed
// events replayed, missing records written, by a batch job above the
// threshold.
func (s *Session) Repair(ctx context.Context, sp *reconcile.Spool, o RepairOptions) (*reconcile.RepairResult, error) {
	prod, rep := s.clients["production"], s.clients["reporting"]
	inv, ok := prod.Lambda.(reconcile.InvokeAPI)
	files, ok2 := prod.S3.(reconcile.FilesAPI)
	recs, ok3 := rep.S3.(reconcile.RecordsAPI)
	if !ok || !ok2 || !ok3 {
		return nil, fmt.Errorf("reconcile: the accounts' clients cannot invoke the processor or read objects")
	}
	c := s.Config
	r := &reconcile.Repairer{
		Opts: reconcile.RepairOptions{
			Function: c.Production.Processor.FunctionName, FunctionARN: stack.FunctionARN(c), Account: c.Accounts.Production.ID,
			Bucket: c.Production.Bucket, ReportBucket: c.Reporting.Bucket, ReportPrefix: c.Reporting.Prefix,
			FailureBucket: c.Production.Processor.FailureBucket, ManifestPrefix: stack.ManifestPrefix,
			JobRoleARN:    fmt.Sprintf("arn:aws:iam::%s:role/%s", c.Accounts.Production.ID, c.Production.BatchRoleName),
			ReportsPrefix: c.Reporting.BatchReportsPrefix, ProductionOwner: c.Accounts.Production.ID, ReportingOwner: c.Accounts.Reporting.ID,
			Threshold: o.Threshold, Concurrency: o.Concurrency, Progress: o.Progress,
		},
		Invoke: inv, Files: files, Records: recs,
		Jobs: awsacct.S3Control(s.awsCfgs["production"]),
	}
	return r.Repair(ctx, sp)
}
