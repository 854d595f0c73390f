package main

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/xacct/xacct/"

// mayImport is the layout table of DESIGN.md (docs/development.md's
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
	"cmd/xacct-sandbox":              {"internal/cli", "internal/sandboxhost"},
	"internal/cli":                   {"internal/operation", "internal/config", "internal/plan", "internal/verify", "internal/reconcile", "internal/audit", "internal/graph", "internal/iampolicy"},
	"internal/sandboxhost":           {"internal/cli", "internal/sandbox", "lambda/artifact"},
	"internal/operation":             {"*"},
	"internal/config":                {},
	"internal/config/gen":            {},
	"policies":                       {"internal/iampolicy"},
	"internal/iampolicy":             {},
	"internal/awsacct":               {"internal/awserr"},
	"internal/stack":                 {"internal/config", "policies", "internal/resource"},
	"internal/resource":              {"internal/iampolicy", "internal/awserr"},
	"internal/resource/resourcetest": {"internal/resource", "internal/iampolicy"},
	"internal/plan":                  {"internal/resource", "internal/state", "internal/iampolicy"},
	"internal/apply":                 {"internal/plan", "internal/state", "internal/resource"},
	"internal/state":                 {"internal/awserr"},
	"internal/awserr":                {},
	"internal/verify":                {"internal/iampolicy", "internal/config", "internal/stack", "internal/awserr"},
	"internal/graph":                 {"internal/config", "internal/stack"},
	"internal/reconcile":             {"lambda/processor"},
	"internal/audit":                 {"internal/config", "internal/iampolicy"},
	"internal/audit/audittest":       {"internal/audit"},
	"internal/sandbox":               {"internal/iampolicy", "internal/awserr", "lambda/artifact"},
	"internal/sandbox/testfn":        {},
	"internal/golden":                {},
	"internal/e2e":                   {"*"},
	"lambda/processor":               {},
	"lambda/artifact":                {},
	"lambda/bootstrap":               {"lambda/processor"},
	"lambda/mkzip":                   {"lambda/artifact"},
}

// importedOnlyByTests may appear only in test files' imports.
var importedOnlyByTests = []string{"internal/golden", "internal/resource/resourcetest", "internal/audit/audittest", "internal/e2e"}

type pkg struct {
	ImportPath   string
	Name         string
	Dir          string
	GoFiles      []string
	Imports      []string
	TestImports  []string
	XTestImports []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Name,Dir,GoFiles,Imports,TestImports,XTestImports", module+"...")
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
			t.Errorf("%s is not in the layout table: add it to DESIGN's layout, docs/development.md and this test", name)
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

// TestXacctLinksNoSandbox: the binary a user installs for AWS carries
// neither the sandbox nor kumo (its ~85 services cost start-up time and
// tens of megabytes); xacct-sandbox carries them. Nor text/template: its
// executor makes the linker keep every exported method of every type (each
// AWS SDK client's every operation), about 20 MB (policies/render.go).
// cobra imports text/template but the linker proves its executor
// unreachable; what matters is that reflect.Value.MethodByName is not
// linked, so the test builds xacct and reads its symbols.
func TestXacctLinksNoSandbox(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "./").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 50 {
		t.Fatalf("go list -deps found only %d packages", len(deps))
	}
	for _, d := range deps {
		if d == module+"internal/sandbox" || d == module+"internal/sandboxhost" || strings.HasPrefix(d, "github.com/sivchari/kumo") {
			t.Errorf("cmd/xacct links %s: only cmd/xacct-sandbox may", d)
		}
	}
	bin := filepath.Join(t.TempDir(), "xacct")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	syms, err := exec.Command("go", "tool", "nm", bin).Output()
	if err != nil {
		t.Fatalf("go tool nm: %v", err)
	}
	if !strings.Contains(string(syms), " T main.main\n") {
		t.Fatal("go tool nm lists no main.main")
	}
	for _, l := range strings.Split(string(syms), "\n") {
		if strings.HasSuffix(l, " T reflect.Value.MethodByName") || strings.HasSuffix(l, " T reflect.Value.Method") {
			t.Errorf("xacct links %s: something reaches text/template's executor (or calls methods by name), and the linker keeps every exported method", l[strings.LastIndex(l, " ")+1:])
		}
	}
}

// TestOnlyE2EStartsTheSandbox: the unit layer's tests start nothing, and
// internal/resource's tests do not reach up into the planner.
func TestOnlyE2EStartsTheSandbox(t *testing.T) {
	for _, p := range listPackages(t) {
		name := strings.TrimPrefix(p.ImportPath, module)
		for _, imp := range slices.Concat(p.TestImports, p.XTestImports) {
			dep, ours := strings.CutPrefix(imp, module)
			if !ours {
				continue
			}
			// internal/sandboxhost's own code starts the sandbox; its tests
			// only compare its defaults and parse faults.
			if dep == "internal/sandbox" && name != "internal/e2e" && !slices.Contains(p.Imports, imp) {
				t.Errorf("the tests of %s import internal/sandbox: tests that start the sandbox belong in internal/e2e", name)
			}
			if name == "internal/resource" && (dep == "internal/plan" || dep == "internal/apply") {
				t.Errorf("the tests of internal/resource import %s", dep)
			}
		}
	}
}

// TestOnlyMainsAndTheCLITouchTheProcess: outside internal/cli and the main
// packages, nothing prints to the process's streams, reads the
// environment or exits.
func TestOnlyMainsAndTheCLITouchTheProcess(t *testing.T) {
	forbidden := map[string][]string{
		"fmt": {"Print", "Printf", "Println"},
		// os.Environ is allowed: handing the environment on to a child
		// process (kumo, go build) reads no setting.
		"os": {"Exit", "Getenv", "LookupEnv", "Stdout", "Stderr", "Stdin"},
	}
	for _, p := range listPackages(t) {
		name := strings.TrimPrefix(p.ImportPath, module)
		if p.Name == "main" || name == "internal/cli" {
			continue
		}
		for _, file := range p.GoFiles {
			path := filepath.Join(p.Dir, file)
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				if x, ok := sel.X.(*ast.Ident); ok && slices.Contains(forbidden[x.Name], sel.Sel.Name) {
					t.Errorf("%s/%s uses %s.%s: only internal/cli and main packages touch the process", name, file, x.Name, sel.Sel.Name)
				}
				return true
			})
		}
	}
}
