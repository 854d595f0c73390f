package config

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestEveryKeyIsDocumented holds docs/config.md to the keys the decoder
// knows: the page's complete example (the yaml block after
// `<!-- config-example: complete -->`) is a valid config that gives every
// key; each key has one row in the page's tables with its type, default,
// what it does and an example; and each row names a key that exists. A key
// added to the decoder fails this test until the page documents it.
func TestEveryKeyIsDocumented(t *testing.T) {
	t.Parallel()
	const page = "../../docs/config.md"
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	_, after, ok := strings.Cut(doc, "<!-- config-example: complete -->\n```yaml\n")
	example, _, closed := strings.Cut(after, "\n```\n")
	if !ok || !closed {
		t.Fatalf("%s has no complete example (a ```yaml block after <!-- config-example: complete -->)", page)
	}
	known := map[string]bool{}
	cfg, err := parse([]byte(example+"\n"), page+" (complete example)", known)
	if err != nil {
		t.Fatalf("the complete example is not a valid config: %v", err)
	}
	given := map[string]bool{}
	for k := range cfg.lines {
		given[schemaKey(k)] = true
	}
	rowRE := regexp.MustCompile("^\\| `([^`]+)` \\|")
	documented := map[string]int{}
	for i, line := range strings.Split(doc, "\n") {
		m := rowRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		documented[m[1]]++
		cells := strings.Split(strings.Trim(line, "|"), " | ")
		if len(cells) != 5 || slices.ContainsFunc(cells, func(c string) bool { return strings.TrimSpace(c) == "" }) {
			t.Errorf("%s:%d: the row of %s wants five filled cells (key, type, default, what it does, example): %q", page, i+1, m[1], line)
		}
	}
	if len(known) < 40 {
		t.Fatalf("the decoder's keys were not collected (%d): %v", len(known), known)
	}
	for _, k := range sortedKeys(known) {
		if documented[k] == 0 {
			t.Errorf("%s is a config key, and %s has no row for it: add | `%s` | type | default | what it does | example |", k, page, k)
		}
		if !given[k] {
			t.Errorf("the complete example in %s does not give %s", page, k)
		}
	}
	for _, k := range sortedKeys(documented) {
		if !known[k] {
			t.Errorf("%s documents %s, which is not a config key", page, k)
		}
		if documented[k] > 1 {
			t.Errorf("%s documents %s %d times", page, k, documented[k])
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
