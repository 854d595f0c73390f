package cli

import (
	"fmt"
	"strings"

	"github.com/xacct/xacct/internal/verify"
)

// publicAccessText writes what Block Public Access does for the stack's
// buckets: its findings (a setting off, a public grant it does not block)
// and the public grants it blocks.
func publicAccessText(b *strings.Builder, r *verify.PublicAccessReport, paint func(string, string) string) {
	if len(r.Findings) == 0 && len(r.Blocked) == 0 {
		fmt.Fprintln(b, "Block Public Access: on for every stack bucket; no public grant.")
		return
	}
	fmt.Fprintln(b, "\nBlock Public Access:")
	for _, f := range r.Findings {
		fmt.Fprintln(b, "  "+paint("\x1b[31m", f))
	}
	for _, f := range r.Blocked {
		fmt.Fprintln(b, "  "+f)
	}
}
