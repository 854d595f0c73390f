package audit

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Filter says which entries a read returns. The zero value returns all.
type Filter struct {
	// Who is a Development user's name, a role's name or any ARN (see
	// Who.matches).
	Who string
	// Action is a glob on "<service>:<event name>" (s3:Put*, iam:*Role*),
	// case-insensitive as IAM's action names are.
	Action string
	// Bucket and KeyPrefix keep the requests on objects of Bucket under
	// KeyPrefix (KeyPrefix "" keeps nothing out).
	Bucket    string
	KeyPrefix string
	// Denied keeps the requests that failed (errorCode set).
	Denied bool
	// Changes keeps the management events that changed (readOnly false,
	// no error) one of Owned.
	Changes bool
	Owned   []Target
}

// Target is something the stack owns, in the terms of xacct's resource
// addresses: account name, kind (iam_role, iam_role_policy, s3_bucket…) and
// name (a role policy is ROLE/POLICY).
type Target struct {
	Account string `json:"account"`
	Kind    string `json:"kind"`
	Name    string `json:"name"`
}

func (t Target) String() string { return t.Account + "/" + t.Kind + "/" + t.Name }

// ParseTime reads --since and --until: a duration back from now (30m, 1h,
// 7d) or an RFC 3339 time.
func ParseTime(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(d); err == nil && n >= 0 {
			return now.Add(-time.Duration(n) * 24 * time.Hour).UTC(), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%q is neither a duration (30m, 1h, 7d) nor an RFC 3339 time (2026-12-06T10:00:00Z)", s)
}

// Glob reports whether name matches pattern, where * is any run of
// characters and ? any one, ignoring case.
func Glob(pattern, name string) bool {
	p, n := strings.ToLower(pattern), strings.ToLower(name)
	// Iterative matching with one backtrack point: linear for the short
	// patterns of action names.
	pi, ni, star, mark := 0, 0, -1, 0
	for ni < len(n) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == n[ni]):
			pi++
			ni++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, ni
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			ni = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// ValidateGlob checks an --action pattern: SERVICE:NAME with a glob.
func ValidateGlob(p string) error {
	if p == "" {
		return nil
	}
	svc, name, ok := strings.Cut(p, ":")
	if !ok || svc == "" || name == "" {
		return fmt.Errorf("--action %q: must be SERVICE:ACTION, with * and ? as wildcards (s3:Put*, iam:*Role*)", p)
	}
	return nil
}

// Targets are the things of the stack's kinds a record's request acted
// on, read from its request parameters; account is the account's name.
func Targets(r *Record, account string) []Target {
	p := &r.Params
	t := func(kind, name string) Target { return Target{Account: account, Kind: kind, Name: name} }
	var out []Target
	switch ServicePrefix(r.EventSource) {
	case "iam":
		switch {
		case p.RoleName != "" && p.PolicyName != "":
			out = append(out, t("iam_role_policy", p.RoleName+"/"+p.PolicyName))
		case p.RoleName != "" && p.PolicyARN != "":
			out = append(out, t("iam_role_policy_attachment", p.RoleName+"/"+p.PolicyARN))
		case p.RoleName != "":
			out = append(out, t("iam_role", p.RoleName))
		case p.GroupName != "" && p.PolicyName != "":
			out = append(out, t("iam_group_policy", p.GroupName+"/"+p.PolicyName))
		case p.GroupName != "" && p.PolicyARN != "":
			out = append(out, t("iam_group_policy_attachment", p.GroupName+"/"+p.PolicyARN))
		case p.GroupName != "" && p.UserName != "":
			out = append(out, t("iam_group_membership", p.GroupName+"/"+p.UserName))
		case p.GroupName != "":
			out = append(out, t("iam_group", p.GroupName))
		}
	case "s3":
		if p.BucketName == "" || p.Key != "" {
			break
		}
		switch {
		case strings.Contains(r.EventName, "BucketPolicy"):
			out = append(out, t("s3_bucket_policy", p.BucketName))
		case strings.Contains(r.EventName, "BucketNotification"):
			out = append(out, t("s3_bucket_notification", p.BucketName))
		default:
			out = append(out, t("s3_bucket", p.BucketName))
		}
	case "lambda":
		fn := roleName(strings.TrimSuffix(p.FunctionName, ":$LATEST"))
		if i := strings.LastIndexByte(p.FunctionName, ':'); strings.HasPrefix(p.FunctionName, "arn:") && i >= 0 {
			fn = p.FunctionName[i+1:]
		}
		switch {
		case fn == "":
		case p.StatementID != "" || strings.HasPrefix(r.EventName, "AddPermission") || strings.HasPrefix(r.EventName, "RemovePermission"):
			out = append(out, t("lambda_permission", fn+"/"+p.StatementID))
		case strings.Contains(r.EventName, "EventInvokeConfig"):
			out = append(out, t("lambda_invoke_config", fn))
		default:
			out = append(out, t("lambda_function", fn))
		}
	case "logs":
		if p.LogGroupName != "" {
			out = append(out, t("logs_log_group", p.LogGroupName))
		}
	case "cloudtrail":
		if p.Name != "" {
			out = append(out, t("cloudtrail_trail", roleName(p.Name)))
		}
	}
	return out
}

// Describe names what a request acted on in a few words: s3://bucket/key,
// role/R/policy/P, the role an AssumeRole asked for…
func Describe(r *Record) string {
	p := &r.Params
	switch {
	case p.BucketName != "" && p.Key != "":
		return "s3://" + p.BucketName + "/" + p.Key
	case p.BucketName != "":
		return "s3://" + p.BucketName
	case p.RoleARN != "":
		if p.RoleSessionName != "" {
			return p.RoleARN + " as " + p.RoleSessionName
		}
		return p.RoleARN
	case p.RoleName != "":
		return join("role/"+p.RoleName, "policy/", p.PolicyName, p.PolicyARN)
	case p.GroupName != "":
		return join("group/"+p.GroupName, "", p.PolicyName, p.PolicyARN, p.UserName)
	case p.UserName != "":
		return join("user/"+p.UserName, "", p.PolicyName, p.PolicyARN)
	case p.FunctionName != "":
		return join("function/"+p.FunctionName, "statement/", p.StatementID)
	case p.LogGroupName != "":
		return "log-group/" + p.LogGroupName
	case p.Name != "":
		return "trail/" + roleName(p.Name)
	case len(r.Resources) > 0:
		return r.Resources[0]
	}
	return ""
}

// join appends the first non-empty part, prefixed, to base.
func join(base, prefix string, parts ...string) string {
	for _, s := range parts {
		if s != "" {
			if strings.HasPrefix(s, "arn:") {
				return base + " " + s
			}
			return base + "/" + prefix + s
		}
	}
	return base
}

// Entry is one request, as `xacct audit` shows it.
type Entry struct {
	Time time.Time `json:"time"`
	// Account is the account that recorded it (its name in the stack).
	Account  string `json:"account"`
	Region   string `json:"region"`
	Who      Who    `json:"who"`
	Action   string `json:"action"`
	Resource string `json:"resource,omitempty"`
	// Result is "ok", or the request's error code.
	Result       string `json:"result"`
	ErrorMessage string `json:"error_message,omitempty"`
	ReadOnly     bool   `json:"read_only"`
	Management   bool   `json:"management"`
	EventID      string `json:"event_id"`
	// Changed are the things of the stack the request changed (only with
	// Filter.Changes).
	Changed []Target `json:"changed,omitempty"`
	// File is the log file it was read from.
	File string `json:"file"`
	// Raw is the record as CloudTrail wrote it (Options.Raw).
	Raw json.RawMessage `json:"record,omitempty"`
}

// matcher applies a Filter to records.
type matcher struct {
	f     Filter
	p     *Principals
	owned map[Target]bool
}

func newMatcher(f Filter, p *Principals) *matcher {
	m := &matcher{f: f, p: p}
	if f.Changes {
		m.owned = map[Target]bool{}
		for _, t := range f.Owned {
			m.owned[t] = true
		}
	}
	return m
}

// match returns the entry of r when the filter keeps it.
func (m *matcher) match(r *Record, since, until time.Time) (Entry, bool) {
	f := &m.f
	if r.EventTime.Before(since) || (!until.IsZero() && r.EventTime.After(until)) {
		return Entry{}, false
	}
	if f.Denied && r.ErrorCode == "" {
		return Entry{}, false
	}
	if f.Action != "" && !Glob(f.Action, r.Action()) {
		return Entry{}, false
	}
	if f.Bucket != "" && (r.Params.BucketName != f.Bucket || r.Params.Key == "" || !strings.HasPrefix(r.Params.Key, f.KeyPrefix)) {
		return Entry{}, false
	}
	account := m.p.account(r.RecipientAccountID)
	var changed []Target
	if f.Changes {
		if !r.ManagementEvent && r.EventCategory != "Management" || r.ReadOnly || r.ErrorCode != "" {
			return Entry{}, false
		}
		for _, t := range Targets(r, account) {
			if m.owned[t] {
				changed = append(changed, t)
			}
		}
		if len(changed) == 0 {
			return Entry{}, false
		}
	}
	who := m.p.Resolve(&r.Identity)
	if !who.matches(f.Who) {
		return Entry{}, false
	}
	e := Entry{
		Time: r.EventTime, Account: account, Region: r.AWSRegion, Who: who, Action: r.Action(), Resource: Describe(r),
		Result: "ok", ErrorMessage: r.ErrorMessage, ReadOnly: r.ReadOnly, Management: r.ManagementEvent || r.EventCategory == "Management",
		EventID: r.EventID, Changed: changed,
	}
	if r.ErrorCode != "" {
		e.Result = r.ErrorCode
	}
	return e, true
}
