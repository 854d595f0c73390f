package main

import (
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/xacct/xacct/"

// mayImport is the layout table of DESIGN.md (the README's Development
// section): which of the module's packages each package may import. The
// SDK and the standard library are allowed everywhere, except that
// internal/cli imports no SDK service package. A package missing from the
// table fails the test: a new package is placed in the layout on purpose.
//
// Beyond the table: internal/stack and internal/apply import
// internal/resource, whose value types they build and whose kinds they
// run; resourcetest is internal/resource's fake; golden is a test helper
// that only tests import; internal/awserr (AWS error codes) imports nothing
// of ours, and the packages that tell AWS errors apart use it.
var mayImport = map[string][]string{
	"cmd/xacct":                      {"internal/cli"},
	"internal/cli":                   {"internal/operation", "internal/config", "internal/plan", "internal/verify", "internal/sandbox", "internal/graph", "internal/iampolicy"},
	"internal/operation":             {"*"},
	"internal/config":                {},
	"policies":                       {"internal/iampolicy"},
	"internal/iampolicy":             {},
	"internal/awsacct":               {},
	"internal/stack":                 {"internal/config", "policies", "internal/resource"},
	"internal/resource":              {"internal/iampolicy", "internal/awserr"},
	"internal/resource/resourcetest": {"internal/resource", "internal/iampolicy"},
	"internal/plan":                  {"internal/resource", "internal/state", "internal/iampolicy"},
	"internal/apply":                 {"internal/plan", "internal/state", "internal/resource"},
	"internal/state":                 {"internal/awserr"},
	"internal/awserr":                {},
	"internal/verify":                {"internal/iampolicy", "internal/config", "internal/stack", "internal/awserr"},
	"internal/graph":                 {"internal/config", "internal/stack"},
	"internal/sandbox":               {"internal/iampolicy", "internal/awserr"},
	"internal/sandbox/testfn":        {},
	"internal/golden":                {},
	"internal/e2e":                   {"*"},
	"lambda/processor":               {},
	"lambda/artifact":                {},
	"lambda/bootstrap":               {"lambda/processor"},
	"lambda/mkzip":                   {"lambda/artifact"},
}

// importedOnlyByTests may appear only in test files' imports.
var importedOnlyByTests = []string{"internal/golden", "internal/resource/resourcetest", "internal/e2e"}

type pkg struct {
	ImportPath string
	Imports    []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports", module+"...")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < len(mayImport)/2 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

func TestImportsFollowTheLayout(t *testing.T) {
	for _, p := range listPackages(t) {
		name := strings.TrimPrefix(p.ImportPath, module)
		allowed, ok := mayImport[name]
		if !ok {
			t.Errorf("%s is not in the layout table: add it to DESIGN's layout, the README and this test", name)
			continue
		}
		for _, imp := range p.Imports {
			if name == "internal/cli" && strings.HasPrefix(imp, "github.com/aws/aws-sdk-go-v2/service/") {
				t.Errorf("internal/cli imports the SDK service package %s: AWS calls belong to internal/operation and below", imp)
			}
			dep, ours := strings.CutPrefix(imp, module)
			if !ours {
				continue
			}
			if slices.Contains(importedOnlyByTests, dep) {
				t.Errorf("%s imports %s, which only tests may import", name, dep)
			}
			if !slices.Contains(allowed, "*") && !slices.Contains(allowed, dep) {
				t.Errorf("%s imports %s; the layout allows only %v", name, dep, allowed)
			}
		}
	}
}
