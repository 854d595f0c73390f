// Package policies holds the JSON policy templates xacct deploys, embedded
// in the binary, and renders them. Every rendered document is parsed by the
// policy engine before it is returned, so a template that renders invalid
// JSON or an invalid policy fails loudly, and the tests render every one.
package policies

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"sort"
	"sync"
	"text/template/parse"

	"github.com/xacct/xacct/internal/iampolicy"
)

//go:embed *.json.tmpl
var files embed.FS

// templates are parsed on first use (render.go executes them).
var templates = sync.OnceValues(parseTemplates)

// mustTemplates is every parsed template; they are embedded, and a test
// renders each one.
func mustTemplates() map[string]*parse.Tree {
	t, err := templates()
	if err != nil {
		panic(fmt.Sprintf("policies: the embedded templates: %v", err))
	}
	return t
}

// The templates and the kind of policy each renders.
var kinds = map[string]iampolicy.Kind{
	"group-assume-role.json.tmpl":      iampolicy.Identity,
	"group-role-trust.json.tmpl":       iampolicy.Trust,
	"group-role-permissions.json.tmpl": iampolicy.Identity,
	"tls-only-bucket.json.tmpl":        iampolicy.Resource,
	"processor-trust.json.tmpl":        iampolicy.Trust,
	"processor-permissions.json.tmpl":  iampolicy.Identity,
	"writer-trust.json.tmpl":           iampolicy.Trust,
	"writer-permissions.json.tmpl":     iampolicy.Identity,
	"batch-trust.json.tmpl":            iampolicy.Trust,
	"batch-permissions.json.tmpl":      iampolicy.Identity,
}

// Names lists the templates.
func Names() []string {
	out := make([]string, 0, len(kinds))
	for name := range mustTemplates() {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// Render renders the named template with data and returns the document
// parsed and in canonical form.
func Render(name string, data any) (*iampolicy.Policy, error) {
	kind, ok := kinds[name]
	if !ok {
		return nil, fmt.Errorf("render %s: no such policy template", name)
	}
	t, ok := mustTemplates()[name]
	if !ok {
		return nil, fmt.Errorf("render %s: no such policy template", name)
	}
	var buf bytes.Buffer
	if err := execute(&buf, t, data); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	p, err := iampolicy.Parse(buf.Bytes(), kind)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	return p, nil
}

// Data for the templates.
type (
	// GroupAssumeRole renders group-assume-role.
	GroupAssumeRole struct{ RoleARN string }
	// GroupRoleTrust renders group-role-trust.
	GroupRoleTrust struct {
		DevelopmentAccount string
		RequireMFA         bool
	}
	// GroupRolePermissions renders group-role-permissions.
	GroupRolePermissions struct {
		Bucket                       string
		ObjectActions, BucketActions []string
	}
	// Bucket renders tls-only-bucket; with ReportWriterARN, it also lets
	// that role (the backfill job's, another account's) write job reports
	// under ReportPrefix; with OnlyWriterARN, nobody but that role may put
	// objects under OnlyWriterPrefix (the records, the failed events:
	// written by one principal, whatever other grants say).
	//
	// With CloudTrail, it is a log bucket: CloudTrail may read its ACL
	// for the trails listed and write, as each trail, under
	// AWSLogs/<its account>/ only (aws:SourceArn names the trail, so no
	// other trail, of any account, can deliver here).
	Bucket struct {
		Bucket, ReportWriterARN, ReportPrefix string
		OnlyWriterARN, OnlyWriterPrefix       string
		CloudTrail                            []TrailSource
	}
	// TrailSource is a trail that delivers to a log bucket, and its
	// account.
	TrailSource struct{ Account, TrailARN string }
	// ProcessorTrust renders processor-trust.
	ProcessorTrust struct{ ProductionAccount string }
	// ProcessorPermissions renders processor-permissions.
	ProcessorPermissions struct {
		Region, ProductionAccount, LogGroup, Bucket, WriterRoleARN string
		// FailureBucket is the on-failure destination; Lambda writes
		// under aws/lambda/async/<FunctionName>/.
		FailureBucket, FunctionName string
	}
	// BatchTrust renders batch-trust.
	BatchTrust struct{ ProductionAccount string }
	// BatchPermissions renders batch-permissions: invoke the processor,
	// read manifests, write reports, nothing else.
	BatchPermissions struct {
		FunctionARN                    string
		ManifestBucket, ManifestPrefix string
		ReportBucket, ReportPrefix     string
	}
	// WriterTrust renders writer-trust.
	WriterTrust struct{ ProductionAccount, ProcessorRoleARN string }
	// WriterPermissions renders writer-permissions.
	WriterPermissions struct{ Bucket, Prefix string }
)

// Digest is a hash of every template, so a saved plan can tell that the
// templates changed since it was made.
func Digest() string {
	h := sha256.New()
	for _, n := range Names() {
		b, _ := files.ReadFile(n)
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}
