package cli

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestDocsCommandsExist holds every xacct command line of the README and
// docs/ to the CLI: each command (and subcommand) it names exists and each
// flag it gives is one of that command's. A user copies these lines; a
// renamed flag must not leave them failing with "unknown flag".
func TestDocsCommandsExist(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("..", "..", "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join("..", "..", "README.md"))
	root := NewRootCmd(&Factory{IO: &IOStreams{}})
	n := 0
	for _, f := range files {
		for _, l := range docsCommandLines(t, f) {
			n++
			if err := checkDocsCommand(root, l.text); err != nil {
				t.Errorf("%s:%d: %q: %v", f, l.line, l.text, err)
			}
		}
	}
	t.Logf("%d command lines checked", n)
	if n < 50 {
		t.Errorf("only %d xacct command lines found in the docs: the extraction is broken", n)
	}
}

// TestDocsCommandCheck: the check itself refuses what a user could not run.
func TestDocsCommandCheck(t *testing.T) {
	t.Parallel()
	root := NewRootCmd(&Factory{IO: &IOStreams{}})
	for _, tt := range []struct {
		line string
		want string // "" for a line that must pass
	}{
		{"xacct plan -c x.yaml --detailed-exitcode", ""},
		{"xacct audit [--since D|TIME] [--who USER|ARN] [--json]", ""},
		{"xacct sandbox user create alice --group developers --mfa", ""},
		{"xacct output --aws-config=testers --user bob > \"$AWS_CONFIG_FILE\"", ""},
		{"xacct plan --detailed-exit-code", "unknown flag --detailed-exit-code"},
		{"xacct plna -c x.yaml", `unknown command "plna"`},
		{"xacct sandbox user crete alice", `"crete"`},
		{"xacct apply -z", "unknown flag -z"},
		{`xacct sandbox mfa-code "$(sed -n 's/x//p' a.txt)" --json`, "unknown flag --json"},
	} {
		err := checkDocsCommand(root, tt.line)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%q: %v", tt.line, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%q: %v, want an error containing %s", tt.line, err, tt.want)
		}
	}
}

type docsLine struct {
	line int
	text string
}

var (
	// inlineXacct is an inline code span that is a command line.
	inlineXacct = regexp.MustCompile("`(xacct [a-z][^`]*)`")
	// shellSubst is a command substitution, an argument of the line.
	shellSubst = regexp.MustCompile(`"?\$\([^)]*\)"?`)
	// codeXacct is a line of a code block that runs xacct, after any
	// variable assignments: xacct, bin/xacct or "$xacct".
	codeXacct = regexp.MustCompile(`^(?:\$ )?(?:[A-Z_]+=\S* )*(?:xacct|bin/xacct|"\$xacct"|\$xacct|\./xacct)( .*)?$`)
)

// docsCommandLines finds the xacct command lines of a Markdown file: the
// lines of code blocks that run it and the inline code spans that start
// with it.
func docsCommandLines(t *testing.T, file string) []docsLine {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []docsLine
	inCode := false
	sc := bufio.NewScanner(f)
	for i := 1; sc.Scan(); i++ {
		l := sc.Text()
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			inCode = !inCode
			continue
		}
		if inCode {
			if m := codeXacct.FindStringSubmatch(strings.TrimSpace(l)); m != nil {
				out = append(out, docsLine{i, "xacct" + m[1]})
			}
			continue
		}
		for _, m := range inlineXacct.FindAllStringSubmatch(l, -1) {
			out = append(out, docsLine{i, m[1]})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkDocsCommand checks one command line against the command tree: the
// words before the first flag or argument name commands, and every flag
// is the command's own or one it inherits. Shell syntax ends the line (a
// comment, a pipe, a redirection); [ ] and | of usage lines are read as
// alternatives, each checked.
func checkDocsCommand(root *cobra.Command, line string) error {
	line = strings.ReplaceAll(line, `\|`, "|")
	line = shellSubst.ReplaceAllString(line, "ARG")
	words := strings.Fields(line)[1:]
	cmd := root
	positional := false
	for _, w := range words {
		if w == "#" || w == "|" || w == "&&" || w == ";" || w == "&" || strings.HasPrefix(w, ">") || strings.HasPrefix(w, "<") || strings.HasPrefix(w, "2>") {
			break
		}
		w = strings.Trim(w, "[]")
		for _, alt := range strings.Split(w, "|") {
			if alt == "" || alt == "..." || alt == "…" {
				continue
			}
			if !strings.HasPrefix(alt, "-") {
				if positional {
					continue
				}
				if sub := subcommand(cmd, alt); sub != nil {
					cmd = sub
					continue
				}
				if cmd.HasAvailableSubCommands() && !cmd.Runnable() {
					return fmt.Errorf("unknown command %q for %q", alt, cmd.CommandPath())
				}
				if cmd == root {
					return fmt.Errorf("unknown command %q for %q", alt, cmd.CommandPath())
				}
				positional = true
				continue
			}
			if alt == "-" || alt == "--" {
				continue
			}
			if err := checkFlag(cmd, alt); err != nil {
				return err
			}
		}
	}
	return nil
}

// subcommand is cmd's subcommand of that name or alias.
func subcommand(cmd *cobra.Command, name string) *cobra.Command {
	for _, c := range cmd.Commands() {
		if c.Name() == name || c.HasAlias(name) {
			return c
		}
	}
	return nil
}

// checkFlag checks that --name (or --name=value, or -x) is a flag of cmd.
func checkFlag(cmd *cobra.Command, w string) error {
	if name, ok := strings.CutPrefix(w, "--"); ok {
		name, _, _ = strings.Cut(name, "=")
		if name == "help" || cmd.Flag(name) != nil {
			return nil
		}
		return fmt.Errorf("unknown flag --%s for %q", name, cmd.CommandPath())
	}
	short := strings.TrimPrefix(w, "-")
	if short == "h" {
		return nil
	}
	for c := cmd; c != nil; c = c.Parent() {
		if f := c.Flags().ShorthandLookup(short[:1]); f != nil && len(short) == 1 {
			return nil
		}
		if f := c.PersistentFlags().ShorthandLookup(short[:1]); f != nil && len(short) == 1 {
			return nil
		}
	}
	return fmt.Errorf("unknown flag -%s for %q", short, cmd.CommandPath())
}
