package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/xacct/xacct/internal/operation"
)

func TestConfirm(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		tty      bool
		answer   string
		wantErr  string
		wantHint string
	}{
		{name: "yes on a terminal", tty: true, answer: "yes\n"},
		{name: "yes with spaces", tty: true, answer: "  yes  \n"},
		{name: "anything else cancels", tty: true, answer: "y\n", wantErr: "cancelled: nothing was changed"},
		{name: "end of input cancels", tty: true, answer: "", wantErr: "cancelled: nothing was changed"},
		{name: "no terminal", tty: false, answer: "yes\n", wantErr: "no terminal to confirm on", wantHint: "review the plan, then pass --auto-approve"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			err := confirm(&IOStreams{In: strings.NewReader(tt.answer), Out: &out, IsTTY: tt.tty}, "Do you want to perform these actions?")
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
			} else if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("error = %v, want %q", err, tt.wantErr)
			}
			var h *operation.HintError
			if tt.wantHint != "" && (!errors.As(err, &h) || h.Hint != tt.wantHint) {
				t.Errorf("hint = %v, want %q", h, tt.wantHint)
			}
			asked := strings.Contains(out.String(), "Only 'yes' will be accepted")
			if asked != tt.tty {
				t.Errorf("asked = %v on tty = %v: %q", asked, tt.tty, out.String())
			}
		})
	}
}

// TestInputsAreCheckedBeforeAnyCall: with no config and no AWS at all,
// these commands fail on their own arguments first.
func TestInputsAreCheckedBeforeAnyCall(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"json without approval", []string{"apply", "--json"},
			"Error: --json needs --auto-approve: there is no prompt in JSON mode\nHint: review the plan with xacct plan --json first\n"},
		{"saved plan missing", []string{"apply", "missing.plan", "-c", "missing.yaml"},
			"Error: read saved plan: open missing.plan: no such file or directory\n"},
		{"import ID", []string{"import", "production/s3_bucket/b", "c", "-c", "missing.yaml"},
			"Error: ID \"c\" does not match the address's name \"b\": xacct names resources by their AWS name\n"},
		{"state rm address", []string{"state", "rm", "b", "-c", "missing.yaml"},
			"Error: \"b\" is not a resource address (account/kind/name)\n"},
		{"parallelism", []string{"destroy", "--parallelism", "0", "-c", "missing.yaml"}, "Error: --parallelism must be at least 1\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out, errOut bytes.Buffer
			f := &Factory{IO: &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}}
			if code := Run(f, tt.args); code != ExitError {
				t.Errorf("exit %d, want %d", code, ExitError)
			}
			if errOut.String() != tt.want || out.Len() != 0 {
				t.Errorf("stderr %q, stdout %q; want stderr %q", errOut.String(), out.String(), tt.want)
			}
		})
	}
}
