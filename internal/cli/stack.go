package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/xacct/xacct/internal/config"
	"github.com/xacct/xacct/internal/operation"
)

// stackOptions are the flags of every command that works on a stack.
type stackOptions struct {
	Config      string
	Parallelism int
}

func (o *stackOptions) flags(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&o.Config, "config", "c", config.DefaultFile, "the config `file`")
	cmd.Flags().IntVar(&o.Parallelism, "parallelism", 10, "how many AWS requests may run at once, per service and account")
}

// validate checks the flags before anything is read or called.
func (o *stackOptions) validate() error {
	if o.Parallelism < 1 {
		return fmt.Errorf("--parallelism must be at least 1")
	}
	return nil
}

func (o *stackOptions) operation(adopt bool) operation.Options {
	return operation.Options{Config: o.Config, Parallelism: o.Parallelism, Adopt: adopt}
}

// signalContext is cancelled by Ctrl-C, SIGTERM or SIGHUP (a closed
// terminal), so that a run stops starting changes, records what it did,
// cleans up and releases its lock.
func signalContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
}

// confirm asks for "yes" on a terminal; without one it refuses.
func confirm(io *IOStreams, question string) error {
	if !io.IsTTY {
		return withHint(errors.New("no terminal to confirm on"), "review the plan, then pass --auto-approve")
	}
	fmt.Fprintf(io.Out, "\n%s\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ", question)
	line, _ := bufio.NewReader(io.In).ReadString('\n')
	if strings.TrimSpace(line) != "yes" {
		return errors.New("cancelled: nothing was changed")
	}
	return nil
}
