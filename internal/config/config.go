// Package config owns xacct.yaml, the user's contract: it loads the file
// strictly (unknown keys, wrong types and invalid values are errors that name
// the file, line and key), fills the defaults DESIGN.md gives, and validates
// every name against AWS's rules before anything calls AWS.
package config

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// DefaultFile is the config file used when none is named.
const DefaultFile = "xacct.yaml"

// Config is a loaded, defaulted and validated xacct.yaml.
type Config struct {
	File string
	// Raw is the file as it was read.
	Raw      []byte
	Stack    string
	Region   string
	Accounts Accounts
	// Groups are sorted by Key.
	Groups     []Group
	Production Production
	Reporting  Reporting
	Tags       map[string]string
	State      State
	Verify     Verify
	// lines are where each given key's value is, by dotted key
	// (groups.developers.members[0]), for errors found after loading.
	lines map[string]int
}

// Where is "file:line" of a key the file gives (a dotted path such as
// accounts.production.id or groups.developers.members[0]), or the file
// alone when the key was not written (a default).
func (c *Config) Where(key string) string {
	if n, ok := c.lines[key]; ok && n > 0 {
		return fmt.Sprintf("%s:%d", c.File, n)
	}
	return c.File
}

// Verify is what `xacct verify` accepts on purpose.
type Verify struct {
	// Allow lists the principals that may reach the data beyond the
	// intent (a break-glass role, an auditors' account), like an archive
	// rule: their access is reported as acknowledged, not as a finding.
	Allow []Allowed
}

// Allowed is one acknowledged principal.
type Allowed struct {
	// Principal is an IAM ARN (user, role, assumed-role session or an
	// account's root), * and ? matching any characters.
	Principal string
	Reason    string
	Line      int
}

// Accounts are the three accounts of the pattern.
type Accounts struct {
	Development, Production, Reporting Account
}

// All lists the three accounts in a fixed order.
func (a *Accounts) All() []*Account {
	return []*Account{&a.Development, &a.Production, &a.Reporting}
}

// Account is one account and how to reach it.
type Account struct {
	Name        string // development, production, reporting
	ID          string
	RoleARN     string // assumed from the base credentials; empty: use them as they are
	Profile     string
	ExternalID  string
	EndpointURL string
	Line        int // where the account is defined
}

// RoleName is the last path segment of RoleARN ("" when there is none).
func (a *Account) RoleName() string {
	if a.RoleARN == "" {
		return ""
	}
	return a.RoleARN[strings.LastIndexByte(a.RoleARN, '/')+1:]
}

// Group is a Development IAM group and the Production role its members assume.
type Group struct {
	Key        string
	GroupName  string
	RoleName   string
	Actions    []string // sorted, canonical spelling
	RequireMFA bool
	// Members are existing IAM users xacct adds to the group. Listed (even
	// as []), they are the group's membership exclusively: anyone else in
	// it is drift; omitted (nil), membership is managed elsewhere.
	Members []string
}

// ExclusiveMembers reports whether the config lists the group's members,
// which makes them its membership exclusively.
func (g Group) ExclusiveMembers() bool { return g.Members != nil }

// Production is the Production account's part.
type Production struct {
	Bucket    string
	Processor Processor
	// BatchRoleName is the role S3 Batch Operations assumes to run a
	// backfill job (xacct reconcile --repair above its threshold).
	BatchRoleName string
}

// Processor is the metadata processor Lambda.
type Processor struct {
	FunctionName     string
	Package          string
	Architecture     string // arm64 or x86_64
	MemoryMB         int
	TimeoutS         int
	Events           []string
	FilterPrefix     string
	FilterSuffix     string
	LogRetentionDays int
	// FailureBucket receives the events the processor failed after Lambda's
	// retries (its asynchronous on-failure destination), kept for
	// FailureRetentionDays, until xacct reconcile --repair replays them.
	FailureBucket        string
	FailureRetentionDays int
}

// Reporting is the Reporting account's part.
type Reporting struct {
	Bucket         string
	Prefix         string
	WriterRoleName string
	// BatchReportsPrefix is where backfill jobs write their completion
	// reports in the Reporting bucket (never under Prefix).
	BatchReportsPrefix string
	// Logs is the log archive: one CloudTrail trail in each account,
	// delivering to a log bucket in the Reporting account.
	Logs Logs
}

// Data event settings of Logs.DataEvents.
const (
	DataEventsReadWrite = "read-write"
	DataEventsWriteOnly = "write-only"
	DataEventsNone      = "none"
)

// Logs is the Reporting account's log archive.
type Logs struct {
	// Enabled is true unless the config says enabled: false.
	Enabled bool
	// Bucket is the log bucket in the Reporting account.
	Bucket string
	// RetentionDays is how long a log or digest file is kept (a
	// lifecycle expiry on the log bucket).
	RetentionDays int
	// DataEvents says which object-level requests on the Production
	// bucket the Production trail records: read-write, write-only or none.
	DataEvents string
	// TrailName is the name of the trail in each of the three accounts.
	TrailName string
}

// State says where xacct keeps what it owns.
type State struct {
	Backend string // local or s3
	Path    string // local
	S3      S3State
}

// S3State is the S3 backend's location.
type S3State struct {
	Account string // development, production or reporting
	Bucket  string
	Key     string
}

// Error is one problem in a config file.
type Error struct {
	File string
	Line int
	Key  string // dotted path, e.g. accounts.development.id
	Msg  string
}

func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Key == "" {
		return loc + ": " + e.Msg
	}
	return fmt.Sprintf("%s: %s: %s", loc, e.Key, e.Msg)
}

// Load reads and validates the config file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("config file %s does not exist", path)
		}
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	return Parse(data, path)
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// Parse validates a config given as bytes; file names it in errors. All
// problems found are returned together (errors.Join of *Error).
func Parse(data []byte, file string) (*Config, error) {
	return parse(data, file, nil)
}

// parse is Parse; keys, when not nil, collects every key the decoder
// knows at each mapping it visits, in schema form (schemaKey), whether or
// not the file gives it: the test that holds docs/config.md to the keys.
func parse(data []byte, file string, keys map[string]bool) (*Config, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := err.Error()
		if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
			n, _ := strconv.Atoi(m[1])
			return nil, &Error{File: file, Line: n, Msg: "invalid YAML: " + m[2]}
		}
		return nil, &Error{File: file, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
	}
	d := &decoder{file: file, keys: keys}
	c := &Config{File: file, Raw: data}
	if len(doc.Content) == 0 {
		d.errorf(nil, "", "the file is empty")
		return nil, d.err()
	}
	d.config(doc.Content[0], c)
	if len(d.errs) == 0 {
		d.defaults(c)
		d.validate(c)
	}
	if err := d.err(); err != nil {
		return nil, err
	}
	c.lines = d.lines
	return c, nil
}

// decoder walks the YAML tree, collecting errors with their lines.
type decoder struct {
	file string
	errs []error
	// lines of values, by dotted key, for checks made after decoding.
	lines map[string]int
	// keys, when not nil, collects the known keys (parse).
	keys map[string]bool
}

func (d *decoder) errorf(n *yaml.Node, key, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	} else if l, ok := d.lines[key]; ok {
		line = l
	}
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

func (d *decoder) err() error {
	if len(d.errs) == 0 {
		return nil
	}
	sort.SliceStable(d.errs, func(i, j int) bool { return d.errs[i].(*Error).Line < d.errs[j].(*Error).Line })
	return errors.Join(d.errs...)
}

func (d *decoder) note(key string, n *yaml.Node) {
	if d.lines == nil {
		d.lines = map[string]int{}
	}
	d.lines[key] = n.Line
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// mapping calls fields[key] for each key of a mapping node and reports
// unknown and repeated keys.
func (d *decoder) mapping(n *yaml.Node, path string, fields map[string]func(v *yaml.Node, key string)) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "must be a mapping, not %s", kindName(n))
		return
	}
	if d.keys != nil {
		for name := range fields {
			d.keys[schemaKey(join(path, name))] = true
		}
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := join(path, k.Value)
		if seen[k.Value] {
			d.errorf(k, key, "appears twice")
			continue
		}
		seen[k.Value] = true
		f, ok := fields[k.Value]
		if !ok {
			d.errorf(k, key, "unknown key%s", suggest(k.Value, fields))
			continue
		}
		d.note(key, v)
		f(v, key)
	}
}

var (
	schemaAccountRE = regexp.MustCompile(`^accounts\.(development|production|reporting)\b`)
	schemaGroupRE   = regexp.MustCompile(`^groups\.[^.]+\.`)
	schemaIndexRE   = regexp.MustCompile(`\[[0-9]+\]`)
)

// schemaKey is a dotted key as docs/config.md names it: the account, the
// group key and list indexes generic (accounts.<account>.id,
// groups.<key>.actions, verify.allow[].reason).
func schemaKey(key string) string {
	key = schemaAccountRE.ReplaceAllString(key, "accounts.<account>")
	key = schemaGroupRE.ReplaceAllString(key, "groups.<key>.")
	return schemaIndexRE.ReplaceAllString(key, "[]")
}

func suggest(got string, fields map[string]func(*yaml.Node, string)) string {
	var names []string
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if strings.EqualFold(strings.ReplaceAll(k, "_", ""), strings.ReplaceAll(strings.ReplaceAll(got, "-", ""), "_", "")) {
			return fmt.Sprintf(" (did you mean %q?)", k)
		}
	}
	return fmt.Sprintf(" (known keys: %s)", strings.Join(names, ", "))
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	switch n.ShortTag() {
	case "!!str":
		return "a string"
	case "!!int":
		return "a number"
	case "!!float":
		return "a number"
	case "!!bool":
		return "a boolean"
	case "!!null":
		return "empty"
	}
	return n.ShortTag()
}

func (d *decoder) str(dst *string) func(*yaml.Node, string) {
	return func(v *yaml.Node, key string) {
		if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" {
			d.errorf(v, key, "must be a string, not %s", kindName(v))
			return
		}
		*dst = v.Value
	}
}

func (d *decoder) integer(dst *int) func(*yaml.Node, string) {
	return func(v *yaml.Node, key string) {
		n, err := strconv.Atoi(v.Value)
		if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!int" || err != nil {
			d.errorf(v, key, "must be a whole number, not %s", kindName(v))
			return
		}
		*dst = n
	}
}

func (d *decoder) boolean(dst *bool) func(*yaml.Node, string) {
	return func(v *yaml.Node, key string) {
		if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!bool" {
			d.errorf(v, key, "must be true or false, not %s", kindName(v))
			return
		}
		*dst = v.Value == "true"
	}
}

func (d *decoder) strings(dst *[]string) func(*yaml.Node, string) {
	return func(v *yaml.Node, key string) {
		if v.Kind != yaml.SequenceNode {
			d.errorf(v, key, "must be a list of strings, not %s", kindName(v))
			return
		}
		out := []string{}
		for i, e := range v.Content {
			if e.Kind != yaml.ScalarNode || e.ShortTag() != "!!str" {
				d.errorf(e, fmt.Sprintf("%s[%d]", key, i), "must be a string, not %s", kindName(e))
				continue
			}
			d.note(fmt.Sprintf("%s[%d]", key, i), e)
			out = append(out, e.Value)
		}
		*dst = out
	}
}

// rawGroup remembers which group fields were given.
type rawGroup struct {
	Group
	hasActions bool
	line       int
}

func (d *decoder) config(root *yaml.Node, c *Config) {
	var groups map[string]*rawGroup
	hasGroups := false
	d.mapping(root, "", map[string]func(*yaml.Node, string){
		"stack":  d.str(&c.Stack),
		"region": d.str(&c.Region),
		"accounts": func(v *yaml.Node, key string) {
			d.mapping(v, key, map[string]func(*yaml.Node, string){
				"development": d.account(&c.Accounts.Development, "development"),
				"production":  d.account(&c.Accounts.Production, "production"),
				"reporting":   d.account(&c.Accounts.Reporting, "reporting"),
			})
		},
		"groups": func(v *yaml.Node, key string) {
			hasGroups = true
			groups = d.groups(v, key)
		},
		"production": func(v *yaml.Node, key string) {
			p := &c.Production
			d.mapping(v, key, map[string]func(*yaml.Node, string){
				"bucket":          d.str(&p.Bucket),
				"batch_role_name": d.str(&p.BatchRoleName),
				"processor": func(v *yaml.Node, key string) {
					pr := &p.Processor
					d.mapping(v, key, map[string]func(*yaml.Node, string){
						"function_name":          d.str(&pr.FunctionName),
						"package":                d.str(&pr.Package),
						"architecture":           d.str(&pr.Architecture),
						"memory_mb":              d.integer(&pr.MemoryMB),
						"timeout_s":              d.integer(&pr.TimeoutS),
						"events":                 d.strings(&pr.Events),
						"log_retention_days":     d.integer(&pr.LogRetentionDays),
						"failure_bucket":         d.str(&pr.FailureBucket),
						"failure_retention_days": d.integer(&pr.FailureRetentionDays),
						"filter": func(v *yaml.Node, key string) {
							d.mapping(v, key, map[string]func(*yaml.Node, string){
								"prefix": d.str(&pr.FilterPrefix),
								"suffix": d.str(&pr.FilterSuffix),
							})
						},
					})
				},
			})
		},
		"reporting": func(v *yaml.Node, key string) {
			r := &c.Reporting
			d.mapping(v, key, map[string]func(*yaml.Node, string){
				"bucket":               d.str(&r.Bucket),
				"prefix":               d.str(&r.Prefix),
				"writer_role_name":     d.str(&r.WriterRoleName),
				"batch_reports_prefix": d.str(&r.BatchReportsPrefix),
				"logs": func(v *yaml.Node, key string) {
					l := &r.Logs
					d.mapping(v, key, map[string]func(*yaml.Node, string){
						"enabled":        d.boolean(&l.Enabled),
						"bucket":         d.str(&l.Bucket),
						"retention_days": d.integer(&l.RetentionDays),
						"data_events":    d.str(&l.DataEvents),
						"trail_name":     d.str(&l.TrailName),
					})
				},
			})
		},
		"tags": func(v *yaml.Node, key string) {
			if v.Kind != yaml.MappingNode {
				d.errorf(v, key, "must be a mapping of tag keys to values, not %s", kindName(v))
				return
			}
			c.Tags = map[string]string{}
			for i := 0; i+1 < len(v.Content); i += 2 {
				k, val := v.Content[i], v.Content[i+1]
				tk := join(key, k.Value)
				if val.Kind != yaml.ScalarNode || val.ShortTag() != "!!str" {
					d.errorf(val, tk, "must be a string, not %s", kindName(val))
					continue
				}
				if _, dup := c.Tags[k.Value]; dup {
					d.errorf(k, tk, "appears twice")
				}
				d.note(tk, k)
				c.Tags[k.Value] = val.Value
			}
		},
		"verify": func(v *yaml.Node, key string) {
			d.mapping(v, key, map[string]func(*yaml.Node, string){
				"allow": func(v *yaml.Node, key string) {
					if v.Kind != yaml.SequenceNode {
						d.errorf(v, key, "must be a list of {principal, reason}, not %s", kindName(v))
						return
					}
					for i, e := range v.Content {
						ek := fmt.Sprintf("%s[%d]", key, i)
						a := Allowed{Line: e.Line}
						d.mapping(e, ek, map[string]func(*yaml.Node, string){
							"principal": d.str(&a.Principal),
							"reason":    d.str(&a.Reason),
						})
						switch {
						case !allowedPrincipalRE.MatchString(a.Principal):
							d.errorf(e, ek+".principal", "%q is not an IAM principal ARN (arn:aws:iam::ACCOUNT:role/NAME, user/NAME or root; arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION; * and ? match any characters)", a.Principal)
						case strings.TrimSpace(a.Reason) == "":
							d.errorf(e, ek+".reason", "required: say why this principal may reach the data")
						}
						c.Verify.Allow = append(c.Verify.Allow, a)
					}
				},
			})
		},
		"state": func(v *yaml.Node, key string) {
			s := &c.State
			d.mapping(v, key, map[string]func(*yaml.Node, string){
				"backend": d.str(&s.Backend),
				"path":    d.str(&s.Path),
				"s3": func(v *yaml.Node, key string) {
					d.mapping(v, key, map[string]func(*yaml.Node, string){
						"account": d.str(&s.S3.Account),
						"bucket":  d.str(&s.S3.Bucket),
						"key":     d.str(&s.S3.Key),
					})
				},
			})
		},
	})
	if !hasGroups {
		groups = map[string]*rawGroup{"developers": {Group: Group{Key: "developers"}}, "testers": {Group: Group{Key: "testers"}}}
	}
	for _, k := range slices.Sorted(maps.Keys(groups)) {
		g := groups[k]
		if !g.hasActions {
			switch k {
			case "developers":
				g.Actions = []string{"s3:GetObject", "s3:PutObject"}
			case "testers":
				g.Actions = []string{"s3:GetObject", "s3:ListBucket"}
			default:
				d.errs = append(d.errs, &Error{File: d.file, Line: g.line, Key: "groups." + k + ".actions",
					Msg: "required: list the S3 actions the group's role may perform"})
			}
		}
		c.Groups = append(c.Groups, g.Group)
	}
}

func (d *decoder) account(a *Account, name string) func(*yaml.Node, string) {
	return func(v *yaml.Node, key string) {
		a.Name, a.Line = name, v.Line
		d.mapping(v, key, map[string]func(*yaml.Node, string){
			"id": func(v *yaml.Node, key string) {
				if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!int" {
					d.errorf(v, key, "write the account ID in quotes (\"%s\"): unquoted, YAML reads it as a number and drops leading zeros", v.Value)
					return
				}
				d.str(&a.ID)(v, key)
			},
			"role_arn":     d.str(&a.RoleARN),
			"profile":      d.str(&a.Profile),
			"external_id":  d.str(&a.ExternalID),
			"endpoint_url": d.str(&a.EndpointURL),
		})
	}
}

// allowedPrincipalRE is an IAM principal ARN a verify.allow entry may
// name: wildcards stand only inside the account, path and name.
var allowedPrincipalRE = regexp.MustCompile(`^arn:aws:(iam::[0-9*?]{1,12}:(root|user/[\w+=,.@/*?-]+|role/[\w+=,.@/*?-]+)|sts::[0-9*?]{1,12}:assumed-role/[\w+=,.@/*?-]+)$`)

var groupKeyRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)

func (d *decoder) groups(v *yaml.Node, key string) map[string]*rawGroup {
	out := map[string]*rawGroup{}
	if v.Kind != yaml.MappingNode {
		d.errorf(v, key, "must be a mapping of group keys to groups, not %s", kindName(v))
		return out
	}
	if len(v.Content) == 0 {
		d.errorf(v, key, "no groups: leave the key out for the default Developers and Testers")
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, gv := v.Content[i], v.Content[i+1]
		gkey := join(key, k.Value)
		if !groupKeyRE.MatchString(k.Value) {
			d.errorf(k, gkey, "a group key is lowercase letters, digits and dashes, starting with a letter (at most 32)")
			continue
		}
		if out[k.Value] != nil {
			d.errorf(k, gkey, "appears twice")
			continue
		}
		g := &rawGroup{Group: Group{Key: k.Value}, line: k.Line}
		out[k.Value] = g
		if gv.Kind == yaml.ScalarNode && gv.ShortTag() == "!!null" {
			continue // "testers:" with the defaults
		}
		d.mapping(gv, gkey, map[string]func(*yaml.Node, string){
			"group_name": d.str(&g.GroupName),
			"role_name":  d.str(&g.RoleName),
			"actions": func(v *yaml.Node, key string) {
				g.hasActions = true
				d.strings(&g.Actions)(v, key)
			},
			"require_mfa": d.boolean(&g.RequireMFA),
			"members":     d.strings(&g.Members),
		})
	}
	return out
}

func (d *decoder) defaults(c *Config) {
	for i := range c.Groups {
		g := &c.Groups[i]
		if g.GroupName == "" {
			g.GroupName = titleCase(g.Key)
		}
		if g.RoleName == "" {
			g.RoleName = c.Stack + "-" + g.Key
		}
	}
	p := &c.Production.Processor
	if p.FunctionName == "" {
		p.FunctionName = c.Stack + "-metadata-processor"
	}
	if p.Package == "" {
		p.Package = "dist/metadata-processor.zip"
	}
	if p.Architecture == "" {
		p.Architecture = "arm64"
	}
	if p.MemoryMB == 0 {
		p.MemoryMB = 128
	}
	if p.TimeoutS == 0 {
		p.TimeoutS = 30
	}
	if p.Events == nil {
		p.Events = []string{"s3:ObjectCreated:*", "s3:ObjectRemoved:*"}
	}
	if p.LogRetentionDays == 0 {
		p.LogRetentionDays = 14
	}
	if p.FailureBucket == "" {
		p.FailureBucket = c.Stack + "-processor-failures"
	}
	if p.FailureRetentionDays == 0 {
		p.FailureRetentionDays = 14
	}
	if c.Production.BatchRoleName == "" {
		c.Production.BatchRoleName = c.Stack + "-metadata-backfill"
	}
	if c.Reporting.BatchReportsPrefix == "" {
		c.Reporting.BatchReportsPrefix = "batch-reports/"
	}
	l := &c.Reporting.Logs
	if _, given := d.lines["reporting.logs.enabled"]; !given {
		l.Enabled = true
	}
	if l.Bucket == "" {
		// Bucket names are global: the Reporting account's ID makes the
		// default one no other AWS customer holds.
		l.Bucket = c.Stack + "-logs-" + c.Accounts.Reporting.ID
	}
	if l.RetentionDays == 0 {
		l.RetentionDays = 365
	}
	if l.DataEvents == "" {
		l.DataEvents = DataEventsReadWrite
	}
	if l.TrailName == "" {
		l.TrailName = c.Stack + "-trail"
	}
	if c.Reporting.Prefix == "" {
		if _, given := d.lines["reporting.prefix"]; !given {
			c.Reporting.Prefix = "metadata/"
		}
	}
	if c.Reporting.WriterRoleName == "" {
		c.Reporting.WriterRoleName = c.Stack + "-metadata-writer"
	}
	if c.State.Backend == "" {
		c.State.Backend = "local"
	}
	if c.State.Path == "" {
		c.State.Path = ".xacct/" + c.Stack + ".state.json"
	}
}

// titleCase makes a group key a group name: "developers" -> "Developers",
// "data-analysts" -> "DataAnalysts".
func titleCase(key string) string {
	var b strings.Builder
	for _, part := range strings.Split(key, "-") {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

var (
	stackRE      = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)
	regionRE     = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]{1,2}$`)
	accountIDRE  = regexp.MustCompile(`^[0-9]{12}$`)
	iamNameRE    = regexp.MustCompile(`^[\w+=,.@-]+$`)
	roleARNRE    = regexp.MustCompile(`^arn:aws[a-z-]*:iam::([0-9]{12}):role/(?:[\x21-\x7e]*/)?([\w+=,.@-]{1,64})$`)
	functionRE   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	s3EventRE    = regexp.MustCompile(`^s3:(ObjectCreated:(\*|Put|Post|Copy|CompleteMultipartUpload)|ObjectRemoved:(\*|Delete|DeleteMarkerCreated))$`)
	retentionSet = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
)

// validate checks values against AWS's rules and each other.
func (d *decoder) validate(c *Config) {
	required := func(key, val, what string) bool {
		if val == "" {
			d.errorf(nil, key, "required: %s", what)
			return false
		}
		return true
	}
	if required("stack", c.Stack, "a short name that prefixes every resource, e.g. acme-data") && !stackRE.MatchString(c.Stack) {
		d.errorf(nil, "stack", "%q: lowercase letters, digits and dashes, starting with a letter, at most 32", c.Stack)
	}
	if required("region", c.Region, "the AWS region, e.g. us-east-1") && !regionRE.MatchString(c.Region) {
		d.errorf(nil, "region", "%q is not an AWS region name", c.Region)
	}
	ids := map[string]string{}
	for _, a := range c.Accounts.All() {
		key := "accounts." + a.Name
		if a.Name == "" {
			d.errorf(nil, "accounts", "missing account %s", []string{"development", "production", "reporting"}[slices.Index(c.Accounts.All(), a)])
			continue
		}
		if !required(key+".id", a.ID, "the 12-digit account ID") {
			continue
		}
		if !accountIDRE.MatchString(a.ID) {
			d.errorf(nil, key+".id", "%q is not a 12-digit account ID", a.ID)
		} else if other, dup := ids[a.ID]; dup {
			d.errorf(nil, key+".id", "%s is also the %s account: the three accounts must differ", a.ID, other)
		}
		ids[a.ID] = a.Name
		if a.RoleARN != "" {
			m := roleARNRE.FindStringSubmatch(a.RoleARN)
			switch {
			case m == nil:
				d.errorf(nil, key+".role_arn", "%q is not an IAM role ARN (arn:aws:iam::ID:role/NAME)", a.RoleARN)
			case m[1] != a.ID:
				d.errorf(nil, key+".role_arn", "role %s is in account %s, not in the %s account %s", a.RoleARN, m[1], a.Name, a.ID)
			}
		}
		if a.EndpointURL != "" && !strings.HasPrefix(a.EndpointURL, "https://") && !strings.HasPrefix(a.EndpointURL, "http://") {
			d.errorf(nil, key+".endpoint_url", "%q is not an http(s) URL", a.EndpointURL)
		}
	}
	names := map[string]string{}
	roles := map[string]string{}
	for _, g := range c.Groups {
		key := "groups." + g.Key
		if len(g.GroupName) > 128 || !iamNameRE.MatchString(g.GroupName) {
			d.errorf(nil, key+".group_name", "%q is not a valid IAM group name (letters, digits and +=,.@_-, at most 128)", g.GroupName)
		}
		if len(g.RoleName) > 64 || !iamNameRE.MatchString(g.RoleName) {
			d.errorf(nil, key+".role_name", "%q is not a valid IAM role name (letters, digits and +=,.@_-, at most 64)", g.RoleName)
		}
		if other, dup := names[strings.ToLower(g.GroupName)]; dup {
			d.errorf(nil, key+".group_name", "%q is also the group name of %s (IAM names are case-insensitive)", g.GroupName, other)
		}
		names[strings.ToLower(g.GroupName)] = key
		if other, dup := roles[strings.ToLower(g.RoleName)]; dup {
			d.errorf(nil, key+".role_name", "%q is also the role name of %s", g.RoleName, other)
		}
		roles[strings.ToLower(g.RoleName)] = key
		if len(g.Actions) == 0 {
			d.errorf(nil, key+".actions", "empty: a group's role must be allowed at least one S3 action")
		}
		seen := map[string]bool{}
		for i, act := range g.Actions {
			akey := fmt.Sprintf("%s.actions[%d]", key, i)
			canon, err := canonicalAction(act)
			if err != nil {
				d.errorf(nil, akey, "%v", err)
				continue
			}
			if seen[canon] {
				d.errorf(nil, akey, "%s is listed twice", canon)
			}
			seen[canon] = true
			g.Actions[i] = canon
		}
		sort.Strings(g.Actions)
		members := map[string]bool{}
		for i, m := range g.Members {
			mkey := fmt.Sprintf("%s.members[%d]", key, i)
			if len(m) > 64 || !iamNameRE.MatchString(m) {
				d.errorf(nil, mkey, "%q is not a valid IAM user name", m)
			}
			if members[strings.ToLower(m)] {
				d.errorf(nil, mkey, "%q is listed twice (IAM names are case-insensitive)", m)
			}
			members[strings.ToLower(m)] = true
		}
	}
	for _, w := range []struct{ key, name string }{{"reporting.writer_role_name", c.Reporting.WriterRoleName}} {
		if len(w.name) > 64 || !iamNameRE.MatchString(w.name) {
			d.errorf(nil, w.key, "%q is not a valid IAM role name (letters, digits and +=,.@_-, at most 64)", w.name)
		}
		if other, dup := roles[strings.ToLower(w.name)]; dup {
			d.errorf(nil, w.key, "%q is also the role name of %s", w.name, other)
		}
	}
	if required("production.bucket", c.Production.Bucket, "the Production bucket's name") {
		d.bucketName("production.bucket", c.Production.Bucket)
	}
	if required("reporting.bucket", c.Reporting.Bucket, "the Reporting bucket's name") {
		d.bucketName("reporting.bucket", c.Reporting.Bucket)
		if c.Reporting.Bucket == c.Production.Bucket {
			d.errorf(nil, "reporting.bucket", "the Reporting bucket must differ from the Production bucket")
		}
	}
	if p := c.Reporting.Prefix; strings.HasPrefix(p, "/") || len(p) > 512 {
		d.errorf(nil, "reporting.prefix", "%q: a key prefix does not start with '/' and is at most 512 bytes", p)
	} else if strings.ContainsAny(p, "*?") || strings.Contains(p, "${") {
		// The prefix goes into the writer role's policy as
		// arn:aws:s3:::bucket/prefix*: a wildcard or a policy variable in
		// it would widen what the writer may write.
		d.errorf(nil, "reporting.prefix", "%q: a key prefix has no *, ? or ${…}: in the writer's policy they would match more than the prefix", p)
	}
	pr := c.Production.Processor
	if !functionRE.MatchString(pr.FunctionName) {
		d.errorf(nil, "production.processor.function_name", "%q is not a valid Lambda function name (letters, digits, - and _, at most 64)", pr.FunctionName)
	}
	// The processor's execution role is a Production role named after the
	// function, beside the groups' roles.
	if other, dup := roles[strings.ToLower(pr.FunctionName)]; dup {
		d.errorf(nil, "production.processor.function_name", "%q is also the role name of %s: the processor's execution role has the function's name", pr.FunctionName, other)
	}
	if pr.Architecture != "arm64" && pr.Architecture != "x86_64" {
		d.errorf(nil, "production.processor.architecture", "%q: must be arm64 or x86_64", pr.Architecture)
	}
	if pr.MemoryMB < 128 || pr.MemoryMB > 10240 {
		d.errorf(nil, "production.processor.memory_mb", "%d: must be between 128 and 10240", pr.MemoryMB)
	}
	if pr.TimeoutS < 1 || pr.TimeoutS > 900 {
		d.errorf(nil, "production.processor.timeout_s", "%d: must be between 1 and 900 seconds", pr.TimeoutS)
	}
	created := false
	for i, e := range pr.Events {
		if !s3EventRE.MatchString(e) {
			d.errorf(nil, fmt.Sprintf("production.processor.events[%d]", i), "%q: the processor handles s3:ObjectCreated:* (or :Put, :Post, :Copy, :CompleteMultipartUpload) and s3:ObjectRemoved:* (or :Delete, :DeleteMarkerCreated)", e)
		}
		created = created || strings.HasPrefix(e, "s3:ObjectCreated:")
	}
	if !created {
		d.errorf(nil, "production.processor.events", "the processor needs at least one s3:ObjectCreated event")
	}
	if pr.FailureRetentionDays < 1 || pr.FailureRetentionDays > 3650 {
		d.errorf(nil, "production.processor.failure_retention_days", "%d: must be between 1 and 3650 days", pr.FailureRetentionDays)
	}
	d.bucketName("production.processor.failure_bucket", pr.FailureBucket)
	if pr.FailureBucket == c.Production.Bucket || pr.FailureBucket == c.Reporting.Bucket {
		d.errorf(nil, "production.processor.failure_bucket", "%q is also a bucket of the stack: failed events need a bucket of their own", pr.FailureBucket)
	}
	if !iamNameRE.MatchString(c.Production.BatchRoleName) || len(c.Production.BatchRoleName) > 64 {
		d.errorf(nil, "production.batch_role_name", "%q is not a valid IAM role name (letters, digits and +=,.@_-, at most 64)", c.Production.BatchRoleName)
	}
	if other, dup := roles[strings.ToLower(c.Production.BatchRoleName)]; dup || strings.EqualFold(c.Production.BatchRoleName, pr.FunctionName) {
		if !dup {
			other = "the processor's execution role"
		}
		d.errorf(nil, "production.batch_role_name", "%q is also the role name of %s", c.Production.BatchRoleName, other)
	}
	if rp, p := c.Reporting.BatchReportsPrefix, c.Reporting.Prefix; strings.ContainsAny(rp, "*?") || strings.Contains(rp, "${") {
		d.errorf(nil, "reporting.batch_reports_prefix", "%q: a key prefix has no *, ? or ${…}", rp)
	} else if recs := p + c.Production.Bucket + "/"; p != "" && (strings.HasPrefix(rp, p) || strings.HasPrefix(p, rp)) || strings.HasPrefix(rp, recs) || strings.HasPrefix(recs, rp) {
		d.errorf(nil, "reporting.batch_reports_prefix", "%q overlaps reporting.prefix %q: job reports and metadata records need prefixes of their own", rp, p)
	}
	d.validateLogs(c)
	if !slices.Contains(retentionSet, pr.LogRetentionDays) {
		d.errorf(nil, "production.processor.log_retention_days", "%d is not a CloudWatch Logs retention (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)", pr.LogRetentionDays)
	}
	for _, k := range slices.Sorted(maps.Keys(c.Tags)) {
		key := "tags." + k
		switch {
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			d.errorf(nil, key, "tag keys starting with aws: are reserved by AWS")
		case k == "managed-by" || strings.HasPrefix(k, "xacct:"):
			d.errorf(nil, key, "xacct sets this tag itself")
		case len(k) > 128 || len(c.Tags[k]) > 256:
			d.errorf(nil, key, "tag keys are at most 128 characters and values at most 256")
		}
	}
	switch c.State.Backend {
	case "local", "s3":
	default:
		d.errorf(nil, "state.backend", "%q: must be local or s3", c.State.Backend)
	}
	// The s3 block is checked whenever it is given: state migrate moves
	// between the two backends.
	if s := c.State.S3; c.State.Backend == "s3" || s != (S3State{}) {
		if s.Account != "development" && s.Account != "production" && s.Account != "reporting" {
			d.errorf(nil, "state.s3.account", "%q: must be development, production or reporting", s.Account)
		}
		if required("state.s3.bucket", s.Bucket, "the state bucket's name") {
			d.bucketName("state.s3.bucket", s.Bucket)
			if s.Bucket == c.Production.Bucket || s.Bucket == c.Reporting.Bucket {
				d.errorf(nil, "state.s3.bucket", "%q is also a bucket of the stack: the state needs a bucket of its own", s.Bucket)
			}
		}
		required("state.s3.key", s.Key, "the state object's key")
	}
}

var bucketRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// bucketName applies S3's general purpose bucket naming rules.
// trailNameRE is CloudTrail's rule for a trail name: 3-128 letters,
// digits, periods, underscores and dashes, starting and ending with a
// letter or digit.
var (
	trailNameRE     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]$`)
	trailAdjacentRE = regexp.MustCompile(`[._-]{2}`)
)

func (d *decoder) validateLogs(c *Config) {
	l := c.Reporting.Logs
	d.bucketName("reporting.logs.bucket", l.Bucket)
	switch l.Bucket {
	case c.Production.Bucket, c.Reporting.Bucket, c.Production.Processor.FailureBucket:
		d.errorf(nil, "reporting.logs.bucket", "%q is also a bucket of the stack: the logs need a bucket of their own", l.Bucket)
	}
	if l.RetentionDays < 1 || l.RetentionDays > 3650 {
		d.errorf(nil, "reporting.logs.retention_days", "%d: must be between 1 and 3650 days", l.RetentionDays)
	}
	switch l.DataEvents {
	case DataEventsReadWrite, DataEventsWriteOnly, DataEventsNone:
	default:
		d.errorf(nil, "reporting.logs.data_events", "%q: must be read-write, write-only or none", l.DataEvents)
	}
	switch {
	case !trailNameRE.MatchString(l.TrailName):
		d.errorf(nil, "reporting.logs.trail_name", "%q is not a valid trail name: 3-128 letters, digits, periods, underscores and dashes, starting and ending with a letter or digit", l.TrailName)
	case trailAdjacentRE.MatchString(l.TrailName):
		d.errorf(nil, "reporting.logs.trail_name", "%q: a trail name has no adjacent periods, underscores or dashes", l.TrailName)
	case net.ParseIP(l.TrailName) != nil:
		d.errorf(nil, "reporting.logs.trail_name", "%q: a trail name is not an IP address", l.TrailName)
	}
}

func (d *decoder) bucketName(key, name string) {
	switch {
	case !bucketRE.MatchString(name):
		d.errorf(nil, key, "%q is not a valid bucket name: 3-63 lowercase letters, digits, dots and dashes, starting and ending with a letter or digit", name)
	case strings.Contains(name, ".."):
		d.errorf(nil, key, "%q: a bucket name has no two adjacent dots", name)
	case net.ParseIP(name) != nil:
		d.errorf(nil, key, "%q: a bucket name is not an IP address", name)
	case strings.HasPrefix(name, "xn--") || strings.HasPrefix(name, "sthree-") || strings.HasSuffix(name, "-s3alias") || strings.HasSuffix(name, "--ol-s3") || strings.HasSuffix(name, ".mrap") || strings.HasSuffix(name, "--x-s3"):
		d.errorf(nil, key, "%q uses a prefix or suffix S3 reserves", name)
	}
}

// canonicalAction checks an S3 action name and returns its canonical
// spelling (action names are case-insensitive on AWS).
func canonicalAction(a string) (string, error) {
	if !strings.Contains(a, ":") {
		return "", fmt.Errorf("%q is not an action (write s3:GetObject)", a)
	}
	svc, _, _ := strings.Cut(a, ":")
	if !strings.EqualFold(svc, "s3") {
		return "", fmt.Errorf("%q is not an S3 action: a group's role may only be granted S3 actions on the Production bucket", a)
	}
	if strings.ContainsAny(a, "*?") {
		return "", fmt.Errorf("%q: wildcards are not allowed; list each action the group needs", a)
	}
	act, ok := LookupAction(a)
	if !ok {
		return "", fmt.Errorf("%q is not an S3 action xacct knows (the Service Authorization Reference, %s %s)%s", a, ActionSource().Package, ActionSource().Version, didYouMean(a))
	}
	if lvl, _ := S3ActionLevel(act.Name); lvl == ActionNone {
		return "", fmt.Errorf("%q applies to no bucket or object (its resources: %s): a group's role may only be granted S3 actions on the Production bucket and its objects", a, resourceTypes(act))
	}
	return act.Name, nil
}

// resourceTypes names an action's resource types for an error message.
func resourceTypes(a Action) string {
	if len(a.Resources) == 0 {
		return "none, *"
	}
	ts := make([]string, len(a.Resources))
	for i, r := range a.Resources {
		ts[i] = r.Type
	}
	return strings.Join(ts, ", ")
}
