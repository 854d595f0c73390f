package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/xacct/xacct/internal/audit"
	"github.com/xacct/xacct/internal/operation"
)

// auditOptions are the inputs of `xacct audit`.
type auditOptions struct {
	stackOptions
	Since, Until string
	Who, Action  string
	Key          string
	Denied       bool
	Changes      bool
	Validate     bool
	Follow       bool
	JSON         bool
	Athena       bool
}

func newCmdAudit(f *Factory, runF func(*auditOptions) error) *cobra.Command {
	o := &auditOptions{}
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Who did what: read the stack's CloudTrail logs in the Reporting account",
		Long: `Read the log files the stack's trails (one in each account) deliver to the log
bucket in Reporting, for a time range only, and print one line per request:
time, who, action, object or resource, and result.

Who is a person where the logs allow it: an IAM user's name, and for a session
of a group's role the Development user behind it (the role's trust makes the
session name the user's name): "alice → acme-data-developers". The
processor's, the writer's and the backfill roles are named with their service;
AWS services by their name; the root user as "root of <account>".

Only the day prefixes of the range are listed (IAM and STS events are under
us-east-1 whatever the stack's region), files are read in parallel as streams,
and entries come out in time order.

--validate checks the digest chain of each trail over the range, as the AWS
CLI's validate-logs does (signatures with the keys of ListPublicKeys, the
chain, every log file's SHA-256), and names each missing or altered file.

A year of a busy bucket is more than one machine should scan: --athena prints
the Amazon Athena table for the log bucket (partition projection over the key
layout) and the query for the same filters, and calls nothing.

Exit status: 0 ok, 1 on error, 3 when --validate finds a missing or altered
log file or digest.`,
		Example: `  # The last hour (the default), everything
  xacct audit
  # What alice did in the last day
  xacct audit --since 24h --who alice
  # Refused uploads to the Production bucket under reports/
  xacct audit --since 7d --action 's3:Put*' --key reports/ --denied
  # Who changed the stack (roles, policies, buckets, the function, the trails)
  xacct audit --since 30d --changes
  # Is the log archive intact?
  xacct audit --since 7d --validate
  # Keep printing new entries, as JSON lines
  xacct audit --follow --json
  # The same question for Athena
  xacct audit --since 365d --changes --athena`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.validate(); err != nil {
				return err
			}
			if err := o.check(time.Now()); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return auditRun(cmd.Context(), f, o)
		},
	}
	o.flags(cmd)
	fl := cmd.Flags()
	fl.StringVar(&o.Since, "since", "1h", "from `WHEN`: a duration back from now (30m, 24h, 7d) or an RFC 3339 time")
	fl.StringVar(&o.Until, "until", "", "up to `WHEN` (default now)")
	fl.StringVar(&o.Who, "who", "", "only the requests of `WHO`: a Development user, a role's name or an ARN")
	fl.StringVar(&o.Action, "action", "", "only the actions matching `GLOB` (s3:Put*, iam:*Role*)")
	fl.StringVar(&o.Key, "key", "", "only the requests on objects of the Production bucket under `PREFIX`")
	fl.BoolVar(&o.Denied, "denied", false, "only the requests that failed (refused ones among them)")
	fl.BoolVar(&o.Changes, "changes", false, "only the changes to what the stack owns, in any of the three accounts")
	fl.BoolVar(&o.Validate, "validate", false, "check the digest chain and every log file it covers (exit 3 when one is missing or altered)")
	fl.BoolVar(&o.Follow, "follow", false, "keep printing new entries until interrupted")
	fl.BoolVar(&o.JSON, "json", false, "one JSON object per line: the entry and the record as CloudTrail wrote it")
	fl.BoolVar(&o.Athena, "athena", false, "print the Athena table and query for these filters, and call nothing")
	return cmd
}

// check refuses flags that do not go together, and bad values, before any
// I/O.
func (o *auditOptions) check(now time.Time) error {
	since, err := audit.ParseTime(o.Since, now)
	if err != nil {
		return fmt.Errorf("--since: %w", err)
	}
	until, err := audit.ParseTime(o.Until, now)
	if err != nil {
		return fmt.Errorf("--until: %w", err)
	}
	if o.Until != "" && until.Before(since) {
		return fmt.Errorf("--until %s is before --since %s", until.Format(time.RFC3339), since.Format(time.RFC3339))
	}
	if err := audit.ValidateGlob(o.Action); err != nil {
		return err
	}
	switch {
	case o.Follow && o.Until != "":
		return errors.New("--follow reads up to now and on: it does not go with --until")
	case o.Follow && o.Validate:
		return errors.New("--validate checks a range once: it does not go with --follow")
	case o.Athena && (o.Follow || o.Validate):
		return errors.New("--athena only prints SQL: it does not go with --follow or --validate")
	case o.Validate && (o.Who != "" || o.Action != "" || o.Key != "" || o.Denied || o.Changes):
		return errors.New("--validate checks whole files: it does not go with --who, --action, --key, --denied or --changes")
	}
	return nil
}

func (o *auditOptions) operationOptions(now time.Time) operation.AuditOptions {
	since, _ := audit.ParseTime(o.Since, now)
	until, _ := audit.ParseTime(o.Until, now)
	return operation.AuditOptions{
		Since: since, Until: until, Raw: o.JSON, Parallel: o.Parallelism,
		Filter: audit.Filter{Who: o.Who, Action: o.Action, KeyPrefix: o.Key, Denied: o.Denied, Changes: o.Changes},
	}
}

func auditRun(ctx context.Context, f *Factory, o *auditOptions) error {
	ctx, cancel := signalContext(ctx)
	defer cancel()
	now := time.Now
	if f.Now != nil {
		now = f.Now
	}
	ao := o.operationOptions(now())
	if o.Athena {
		sql, err := operation.AthenaSQL(o.Config, ao)
		if err != nil {
			return err
		}
		_, err = fmt.Fprint(f.IO.Out, sql)
		return err
	}
	// Logs off is said before signing in.
	if err := operation.LogsConfigured(o.Config); err != nil {
		return err
	}
	s, err := operation.Open(ctx, f.env(), o.operation(false), "audit", false, operation.NeedNames)
	if err != nil {
		return err
	}
	defer s.Close()
	if o.Validate {
		v, err := s.ValidateLogs(ctx, ao.Since, ao.Until)
		if err != nil {
			return err
		}
		if o.JSON {
			err = validationJSON(f.IO.Out, v)
		} else {
			err = validationText(f.IO.Out, v, s.Config.Reporting.Logs.Bucket, f.color())
		}
		if err != nil {
			return err
		}
		if !v.OK() {
			return &exitError{code: ExitLogsInvalid}
		}
		return nil
	}
	view := newAuditView(f, o.JSON, o.Follow)
	if f.IO.IsTTY {
		ao.Progress = view.progress
	}
	if o.Follow {
		err := s.FollowAudit(ctx, ao, view.entry)
		return errors.Join(err, view.end())
	}
	st, err := s.Audit(ctx, ao, view.entry)
	if err := errors.Join(err, view.end()); err != nil {
		return err
	}
	if err := view.summary(st, ao.Since, ao.Until, now()); err != nil {
		return err
	}
	if len(st.Unreadable) > 0 {
		return fmt.Errorf("%d log file(s) could not be read, first %s: %s", len(st.Unreadable), st.Unreadable[0].Key, st.Unreadable[0].Err)
	}
	return nil
}
