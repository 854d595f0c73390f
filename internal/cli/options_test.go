package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// parse runs a command built with a runF that captures its options, and
// returns them, or the error the flags gave before any I/O.
func parse[T any](t *testing.T, build func(*Factory, func(*T) error) *cobra.Command, args []string) (*T, error) {
	t.Helper()
	var got *T
	f := &Factory{IO: &IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}}
	cmd := build(f, func(o *T) error { got = o; return nil })
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	err := cmd.Execute()
	return got, err
}

type optionsCase[T comparable] struct {
	name    string
	args    []string
	want    T
	wantErr string
}

func checkOptions[T comparable](t *testing.T, build func(*Factory, func(*T) error) *cobra.Command, tests []optionsCase[T]) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parse(t, build, tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
				}
				if got != nil {
					t.Errorf("the command ran with invalid flags: %+v", *got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if *got != tt.want {
				t.Errorf("options = %+v, want %+v", *got, tt.want)
			}
		})
	}
}

var defaults = stackOptions{Config: "xacct.yaml", Parallelism: 10}

func TestPlanFlags(t *testing.T) {
	t.Parallel()
	checkOptions(t, newCmdPlan, []optionsCase[planOptions]{
		{name: "defaults", want: planOptions{stackOptions: defaults}},
		{name: "every flag", args: []string{"-c", "x.yaml", "--parallelism", "3", "--detailed-exitcode", "--json", "--out", "p.plan"},
			want: planOptions{stackOptions: stackOptions{Config: "x.yaml", Parallelism: 3}, DetailedExitCode: true, JSON: true, Out: "p.plan"}},
		{name: "parallelism below one", args: []string{"--parallelism", "0"}, wantErr: "--parallelism must be at least 1"},
		{name: "no arguments", args: []string{"extra"}, wantErr: "unknown command"},
	})
}

func TestApplyFlags(t *testing.T) {
	t.Parallel()
	checkOptions(t, newCmdApply, []optionsCase[applyOptions]{
		{name: "defaults", want: applyOptions{stackOptions: defaults}},
		{name: "every flag", args: []string{"--config", "x.yaml", "--parallelism", "2", "--auto-approve", "--adopt", "--json"},
			want: applyOptions{stackOptions: stackOptions{Config: "x.yaml", Parallelism: 2}, AutoApprove: true, Adopt: true, JSON: true, ConfigGiven: true}},
		{name: "saved plan", args: []string{"p.plan", "-c", "x.yaml"},
			want: applyOptions{stackOptions: stackOptions{Config: "x.yaml", Parallelism: 10}, PlanFile: "p.plan", ConfigGiven: true}},
		{name: "saved plan as JSON needs no approval", args: []string{"p.plan", "--json"},
			want: applyOptions{stackOptions: defaults, PlanFile: "p.plan", JSON: true}},
		{name: "json without auto-approve", args: []string{"--json"}, wantErr: "--json needs --auto-approve"},
		{name: "parallelism below one", args: []string{"--parallelism", "-1"}, wantErr: "--parallelism must be at least 1"},
		{name: "two plan files", args: []string{"a.plan", "b.plan"}, wantErr: "accepts at most 1 arg"},
	})
}

func TestDestroyFlags(t *testing.T) {
	t.Parallel()
	checkOptions(t, newCmdDestroy, []optionsCase[applyOptions]{
		{name: "defaults", want: applyOptions{stackOptions: defaults, Destroy: true}},
		{name: "every flag", args: []string{"-c", "x.yaml", "--auto-approve", "--json", "--force-delete-data"},
			want: applyOptions{stackOptions: stackOptions{Config: "x.yaml", Parallelism: 10}, Destroy: true, AutoApprove: true, JSON: true, ForceDeleteData: true}},
		{name: "json without auto-approve", args: []string{"--json"}, wantErr: "--json needs --auto-approve"},
		{name: "no adopt", args: []string{"--adopt"}, wantErr: "unknown flag: --adopt"},
	})
}

func TestVerifyFlags(t *testing.T) {
	t.Parallel()
	checkOptions(t, newCmdVerify, []optionsCase[verifyOptions]{
		{name: "defaults", want: verifyOptions{stackOptions: defaults, Format: "text", LiveWait: time.Minute}},
		{name: "rendered json", args: []string{"--rendered", "--json", "-c", "x.yaml"},
			want: verifyOptions{stackOptions: stackOptions{Config: "x.yaml", Parallelism: 10}, Rendered: true, JSON: true, Format: "json", LiveWait: time.Minute}},
		{name: "live", args: []string{"--live", "--live-wait", "10s"}, want: verifyOptions{stackOptions: defaults, Format: "text", Live: true, LiveWait: 10 * time.Second}},
		{name: "mermaid strict", args: []string{"--format", "mermaid", "--strict"}, want: verifyOptions{stackOptions: defaults, Format: "mermaid", Strict: true, LiveWait: time.Minute}},
		{name: "matrix", args: []string{"--matrix"}, want: verifyOptions{stackOptions: defaults, Format: "text", Matrix: true, LiveWait: time.Minute}},
		{name: "bad format", args: []string{"--format", "yaml"}, wantErr: `--format "yaml": want text, json or mermaid`},
		{name: "json and mermaid", args: []string{"--json", "--format", "mermaid"}, wantErr: "--json and --format mermaid cannot be used together"},
		{name: "json and text", args: []string{"--json", "--format", "text"}, wantErr: "--json and --format text cannot be used together"},
		{name: "mermaid live", args: []string{"--format", "mermaid", "--live"}, wantErr: "cannot be used with --live"},
		{name: "rendered and live", args: []string{"--rendered", "--live"}, wantErr: "--rendered and --live cannot be used together"},
		{name: "cleanup", args: []string{"--cleanup"}, want: verifyOptions{stackOptions: defaults, Format: "text", Cleanup: true, LiveWait: time.Minute}},
		{name: "cleanup with strict", args: []string{"--cleanup", "--strict"}, wantErr: "--cleanup is used alone"},
		{name: "cleanup with live", args: []string{"--cleanup", "--live"}, wantErr: "--cleanup is used alone"},
		{name: "bad wait", args: []string{"--live-wait", "soon"}, wantErr: "invalid argument"},
	})
}

func TestImportFlags(t *testing.T) {
	t.Parallel()
	checkOptions(t, newCmdImport, []optionsCase[importOptions]{
		{name: "address and id", args: []string{"production/s3_bucket/b", "b"}, want: importOptions{Config: "xacct.yaml", Address: "production/s3_bucket/b", ID: "b"}},
		{name: "config", args: []string{"-c", "x.yaml", "production/iam_role/r", "r"}, want: importOptions{Config: "x.yaml", Address: "production/iam_role/r", ID: "r"}},
		{name: "not an address", args: []string{"bucket", "b"}, wantErr: "is not a resource address"},
		{name: "ID is not the name", args: []string{"production/s3_bucket/b", "c"}, wantErr: `ID "c" does not match the address's name "b"`},
		{name: "no id", args: []string{"production/s3_bucket/b"}, wantErr: "accepts 2 arg(s)"},
	})
}

func TestShowFlags(t *testing.T) {
	t.Parallel()
	checkOptions(t, newCmdShow, []optionsCase[showOptions]{
		{name: "text", args: []string{"p.plan"}, want: showOptions{PlanFile: "p.plan"}},
		{name: "json", args: []string{"--json", "p.plan"}, want: showOptions{PlanFile: "p.plan", JSON: true}},
		{name: "no file", wantErr: "accepts 1 arg(s)"},
	})
}

func TestForceUnlockFlags(t *testing.T) {
	t.Parallel()
	checkOptions(t, newCmdForceUnlock, []optionsCase[forceUnlockOptions]{
		{name: "id", args: []string{"abc123"}, want: forceUnlockOptions{Config: "xacct.yaml", LockID: "abc123"}},
		{name: "config", args: []string{"-c", "x.yaml", "abc123"}, want: forceUnlockOptions{Config: "x.yaml", LockID: "abc123"}},
		{name: "no id", wantErr: "accepts 1 arg(s)"},
	})
}

func TestGraphFlags(t *testing.T) {
	t.Parallel()
	checkOptions(t, newCmdGraph, []optionsCase[graphOptions]{
		{name: "defaults", want: graphOptions{Config: "xacct.yaml", Format: "mermaid"}},
		{name: "dot", args: []string{"--format", "dot", "-c", "x.yaml"}, want: graphOptions{Config: "x.yaml", Format: "dot"}},
		{name: "unknown format", args: []string{"--format", "png"}, wantErr: `--format "png": must be mermaid or dot`},
	})
}

func TestStateFlags(t *testing.T) {
	t.Parallel()
	type sub func(*Factory, *stateOptions, func(*stateOptions) error) *cobra.Command
	// state's subcommands share the parent's --config.
	under := func(s sub) func(*Factory, func(*stateOptions) error) *cobra.Command {
		return func(f *Factory, runF func(*stateOptions) error) *cobra.Command {
			opts := &stateOptions{}
			parent := &cobra.Command{Use: "state"}
			parent.PersistentFlags().StringVarP(&opts.Config, "config", "c", "xacct.yaml", "")
			parent.AddCommand(s(f, opts, runF))
			return parent
		}
	}
	checkOptions(t, under(newCmdStateList), []optionsCase[stateOptions]{
		{name: "list", args: []string{"list"}, want: stateOptions{Config: "xacct.yaml"}},
		{name: "list json", args: []string{"list", "--json", "-c", "x.yaml"}, want: stateOptions{Config: "x.yaml", JSON: true}},
	})
	checkOptions(t, under(newCmdStateShow), []optionsCase[stateOptions]{
		{name: "show", args: []string{"show", "production/iam_role/r"}, want: stateOptions{Config: "xacct.yaml", Address: "production/iam_role/r"}},
		{name: "show without address", args: []string{"show"}, wantErr: "accepts 1 arg(s)"},
	})
	checkOptions(t, under(newCmdStateRm), []optionsCase[stateOptions]{
		{name: "rm", args: []string{"rm", "production/iam_role/r"}, want: stateOptions{Config: "xacct.yaml", Address: "production/iam_role/r"}},
		{name: "rm of a non-address", args: []string{"rm", "r"}, wantErr: "is not a resource address"},
	})
	checkOptions(t, under(newCmdStateBootstrap), []optionsCase[stateOptions]{
		{name: "bootstrap", args: []string{"bootstrap", "-c", "x.yaml"}, want: stateOptions{Config: "x.yaml"}},
	})
	checkOptions(t, under(newCmdStateMigrate), []optionsCase[stateOptions]{
		{name: "migrate to s3", args: []string{"migrate", "--to", "s3"}, want: stateOptions{Config: "xacct.yaml", To: "s3"}},
		{name: "migrate to local", args: []string{"migrate", "--to", "local"}, want: stateOptions{Config: "xacct.yaml", To: "local"}},
		{name: "migrate nowhere", args: []string{"migrate"}, wantErr: `--to "": must be s3 or local`},
		{name: "migrate to a file", args: []string{"migrate", "--to", "gcs"}, wantErr: `--to "gcs": must be s3 or local`},
	})
}

func TestReconcileFlags(t *testing.T) {
	t.Parallel()
	checkOptions(t, newCmdReconcile, []optionsCase[reconcileOptions]{
		{name: "defaults", want: reconcileOptions{stackOptions: defaults, Threshold: 10000, Partitions: 8}},
		{name: "prefix json", args: []string{"--prefix", "reports/", "--json"}, want: reconcileOptions{stackOptions: defaults, Prefix: "reports/", JSON: true, Threshold: 10000, Partitions: 8}},
		{name: "repair", args: []string{"--repair", "--auto-approve", "--threshold", "1"},
			want: reconcileOptions{stackOptions: defaults, Repair: true, AutoApprove: true, Threshold: 1, Partitions: 8}},
		{name: "auto-approve alone", args: []string{"--auto-approve"}, wantErr: "--auto-approve goes with --repair"},
		{name: "negative threshold", args: []string{"--repair", "--threshold", "-1"}, wantErr: "--threshold must be 0 or more"},
		{name: "no partitions", args: []string{"--partitions", "0"}, wantErr: "--partitions must be at least 1"},
		{name: "arguments", args: []string{"reports/"}, wantErr: "unknown command"},
	})
}
