package cli

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xacct/xacct/internal/golden"
	"github.com/xacct/xacct/internal/operation"
	"github.com/xacct/xacct/internal/plan"
	"github.com/xacct/xacct/internal/resource"
)

func TestApplyView(t *testing.T) {
	t.Parallel()
	role := plan.Change{Addr: resource.Address{Account: "production", Kind: "iam_role", Name: "r"}, Action: plan.Create}
	bucket := plan.Change{Addr: resource.Address{Account: "production", Kind: "s3_bucket", Name: "b"}, Action: plan.Adopt}
	events := []operation.Event{
		{Change: role},
		{Change: role, Still: true, Waiting: "IAM to propagate", Elapsed: 10*time.Second + 40*time.Millisecond},
		{Change: role, Done: true, Elapsed: 1234 * time.Millisecond},
		{Change: bucket},
		{Change: bucket, Done: true, Err: errors.New("AccessDenied"), Elapsed: 50 * time.Millisecond},
	}
	tests := []struct {
		name    string
		json    bool
		destroy bool
		result  operation.Result
		err     error
		want    string
	}{
		{name: "apply", result: operation.Result{Added: 1, Changed: 2}, want: `production/iam_role/r: Creating...
production/iam_role/r: Still creating... [10s elapsed, waiting for IAM to propagate]
production/iam_role/r: Creation complete after 1.2s
production/s3_bucket/b: Adopting...
production/s3_bucket/b: Adoption failed after 100ms

Apply complete! Resources: 1 added, 2 changed, 0 destroyed.
`},
		{name: "adopted are counted", result: operation.Result{Adopted: 1, Destroyed: 3}, destroy: true, want: `production/iam_role/r: Creating...
production/iam_role/r: Still creating... [10s elapsed, waiting for IAM to propagate]
production/iam_role/r: Creation complete after 1.2s
production/s3_bucket/b: Adopting...
production/s3_bucket/b: Adoption failed after 100ms

Destroy complete! Resources: 1 adopted, 0 added, 0 changed, 3 destroyed.
`},
		{name: "stopped: no summary line", err: errors.New("stopped"), want: `production/iam_role/r: Creating...
production/iam_role/r: Still creating... [10s elapsed, waiting for IAM to propagate]
production/iam_role/r: Creation complete after 1.2s
production/s3_bucket/b: Adopting...
production/s3_bucket/b: Adoption failed after 100ms
`},
		{name: "json", json: true, result: operation.Result{Added: 1, Adopted: 1}, err: errors.New("stopped"), want: `{"format_version":1,"type":"change_started","address":"production/iam_role/r","action":"create"}
{"format_version":1,"type":"change_progress","address":"production/iam_role/r","action":"create","elapsed_ms":10040,"waiting":"IAM to propagate"}
{"format_version":1,"type":"change_finished","address":"production/iam_role/r","action":"create","elapsed_ms":1234}
{"format_version":1,"type":"change_started","address":"production/s3_bucket/b","action":"adopt"}
{"format_version":1,"type":"change_failed","address":"production/s3_bucket/b","action":"adopt","elapsed_ms":50,"error":"AccessDenied"}
{"format_version":1,"type":"summary","added":1,"changed":0,"destroyed":0,"adopted":1}
`},
		{name: "throttled", result: operation.Result{Added: 1, Throttled: 7}, want: `production/iam_role/r: Creating...
production/iam_role/r: Still creating... [10s elapsed, waiting for IAM to propagate]
production/iam_role/r: Creation complete after 1.2s
production/s3_bucket/b: Adopting...
production/s3_bucket/b: Adoption failed after 100ms

Apply complete! Resources: 1 added, 0 changed, 0 destroyed.
AWS throttled 7 requests; xacct slowed down and retried them.
`},
		{name: "json throttled", json: true, result: operation.Result{Added: 1, Throttled: 7}, want: `{"format_version":1,"type":"change_started","address":"production/iam_role/r","action":"create"}
{"format_version":1,"type":"change_progress","address":"production/iam_role/r","action":"create","elapsed_ms":10040,"waiting":"IAM to propagate"}
{"format_version":1,"type":"change_finished","address":"production/iam_role/r","action":"create","elapsed_ms":1234}
{"format_version":1,"type":"change_started","address":"production/s3_bucket/b","action":"adopt"}
{"format_version":1,"type":"change_failed","address":"production/s3_bucket/b","action":"adopt","elapsed_ms":50,"error":"AccessDenied"}
{"format_version":1,"type":"summary","added":1,"changed":0,"destroyed":0,"throttled":7}
`},
		{name: "json without adoptions", json: true, result: operation.Result{Destroyed: 2}, want: `{"format_version":1,"type":"change_started","address":"production/iam_role/r","action":"create"}
{"format_version":1,"type":"change_progress","address":"production/iam_role/r","action":"create","elapsed_ms":10040,"waiting":"IAM to propagate"}
{"format_version":1,"type":"change_finished","address":"production/iam_role/r","action":"create","elapsed_ms":1234}
{"format_version":1,"type":"change_started","address":"production/s3_bucket/b","action":"adopt"}
{"format_version":1,"type":"change_failed","address":"production/s3_bucket/b","action":"adopt","elapsed_ms":50,"error":"AccessDenied"}
{"format_version":1,"type":"summary","added":0,"changed":0,"destroyed":2}
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			v := newApplyView(&Factory{IO: &IOStreams{Out: &out}}, tt.json, tt.destroy)
			for _, e := range events {
				v.event(e)
			}
			v.done(tt.result, tt.err)
			if out.String() != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", out.String(), tt.want)
			}
			if strings.Contains(out.String(), "\x1b[") {
				t.Error("color in progress output")
			}
		})
	}
}

// TestApplyViewStoppedSummary: a run that stops says what it did, what
// failed and why, what it never started, and what to run next, on a
// terminal and piped alike.
func TestApplyViewStoppedSummary(t *testing.T) {
	t.Parallel()
	ch := func(kind, name string, a plan.Action) plan.Change {
		return plan.Change{Addr: resource.Address{Account: "development", Kind: kind, Name: name}, Action: a}
	}
	group, member, policy := ch("iam_group", "Developers", plan.Create), ch("iam_group_membership", "Developers/alice", plan.Create), ch("iam_group_policy", "Developers/assume", plan.Update)
	p := &plan.Plan{Changes: []plan.Change{group, member, policy}}
	for _, tty := range []bool{true, false} {
		var out bytes.Buffer
		v := newApplyView(&Factory{IO: &IOStreams{Out: &out, IsTTY: tty}}, false, false)
		v.plan = p
		for _, e := range []operation.Event{{Change: group}, {Change: group, Done: true}, {Change: member},
			{Change: member, Done: true, Err: errors.New("add alice to IAM group Developers: the user does not exist")}} {
			v.event(e)
		}
		v.done(operation.Result{Added: 1}, errors.New("stopped"))
		golden.Check(t, filepath.Join("testdata", "apply", "stopped.txt"), out.Bytes())
	}
}

// TestDataText: what destroy --force-delete-data deletes, bucket by bucket,
// with "more than" where the count stopped; the same on a terminal and
// piped.
func TestDataText(t *testing.T) {
	t.Parallel()
	b := func(account, name string) resource.Address {
		return resource.Address{Account: account, Kind: "s3_bucket", Name: name}
	}
	data := []operation.BucketData{
		{Addr: b("production", "acme-data-prod"), Usage: operation.BucketUsage{Objects: 3, Versions: 5, DeleteMarkers: 1, Bytes: 3500}},
		{Addr: b("production", "acme-data-processor-failures"), Usage: operation.BucketUsage{}},
		{Addr: b("reporting", "acme-data-logs-333333333333"), Usage: operation.BucketUsage{Objects: 1, Versions: 1, Bytes: 1}},
		{Addr: b("reporting", "acme-data-reporting"), Usage: operation.BucketUsage{Objects: 99000, Versions: 100000, Bytes: 5 << 30, More: true}},
	}
	for _, tty := range []bool{true, false} {
		var out bytes.Buffer
		f := &Factory{IO: &IOStreams{Out: &out, IsTTY: tty}}
		dataText(f.IO.Out, data)
		golden.Check(t, filepath.Join("testdata", "apply", "force-delete-data.txt"), out.Bytes())
	}
}
