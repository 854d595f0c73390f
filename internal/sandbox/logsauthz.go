package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/xacct/xacct/internal/iampolicy"
)

// logGroupIdentifierRE is CloudWatch Logs' constraint on a
// logGroupIdentifier (a name or an ARN without the trailing ":*").
var logGroupIdentifierRE = regexp.MustCompile(`^[\w#+=/:,.@-]+$`)

// validLogGroupIdentifier applies CloudWatch Logs' constraints on a
// logGroupIdentifier: 1 to 2048 characters of logGroupIdentifierRE.
func validLogGroupIdentifier(s string) bool {
	return len(s) <= 2048 && logGroupIdentifierRE.MatchString(s)
}

// logsRequest is what a CloudWatch Logs request names: the log groups (by
// name or identifier) and stream it acts on, and a resource ARN for the
// tagging operations.
type logsRequest struct {
	LogGroupName        string   `json:"logGroupName"`
	LogStreamName       string   `json:"logStreamName"`
	LogGroupIdentifier  string   `json:"logGroupIdentifier"`
	LogGroupIdentifiers []string `json:"logGroupIdentifiers"`
	LogGroupNames       []string `json:"logGroupNames"`
	ResourceArn         string   `json:"resourceArn"`
}

// logsTarget is one resource a Logs request is authorized on: its ARN, the
// account that owns it, and whether it lies in the endpoint's region.
type logsTarget struct {
	arn      string
	account  string
	inRegion bool
}

func (g *gateway) serveLogs(c *call) {
	p := c.principal()
	target := c.r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, "Logs_20140328.")
	if !ok {
		g.fail(c, http.StatusBadRequest, "UnknownOperationException", "unknown target "+target)
		return
	}
	var in logsRequest
	if len(c.body) > 0 {
		if err := json.Unmarshal(c.body, &in); err != nil {
			g.fail(c, http.StatusBadRequest, "SerializationException", "the request body is not JSON: "+err.Error())
			return
		}
	}
	action := "logs:" + op
	targets, name, e := g.logsAuthzTargets(p.Account, action, in)
	if e != nil {
		g.failWith(c, e)
		return
	}
	for _, t := range targets {
		res, err := g.authorize(c.r.Context(), c, authzRequest{action: action, resource: t.arn, resourceAccount: t.account})
		if err != nil {
			g.fail(c, http.StatusInternalServerError, "ServiceUnavailableException", err.Error())
			return
		}
		if res.Decision != iampolicy.Allowed {
			g.deny(c, action, t.arn, res)
			return
		}
		// Another account's log group is reachable only through
		// cross-account observability, which the sandbox does not have:
		// without it IAM refuses the request as above, and nothing may
		// reach this account's log group of the same name.
		if t.account != p.Account {
			g.deny(c, action, t.arn, iampolicy.Result{Decision: iampolicy.ImplicitDeny})
			return
		}
		if !t.inRegion {
			g.fail(c, http.StatusBadRequest, "ResourceNotFoundException", "The specified log group does not exist.")
			return
		}
	}
	if name != "" && (in.LogGroupIdentifier != "" || in.ResourceArn != "") {
		// kumo reads names only: it gets the one authorized.
		body, err := logsRewrite(c.body, name, in.ResourceArn != "")
		if err != nil {
			g.fail(c, http.StatusBadRequest, "SerializationException", "the request body is not JSON: "+err.Error())
			return
		}
		c.body = body
	}
	g.forward(c, g.sb.accounts[p.Account], rewriteRegion)
}

// logsAuthzTargets are the resources a Logs request is authorized on: those
// it names (logsTargets), or "*" for an action the reference gives no
// resource type (DescribeLogGroups with logGroupIdentifiers was authorized
// on the groups, which the table refuses: a 500). A group of another
// account or region named there still stands, so that serveLogs refuses
// it as it would the group.
func (g *gateway) logsAuthzTargets(account, action string, in logsRequest) ([]logsTarget, string, *apiError) {
	targets, name, e := g.logsTargets(account, in)
	if e != nil {
		return nil, "", e
	}
	if ra := authzReference()[action]; ra != nil && len(ra.resources) == 0 {
		all := logsTarget{arn: "*", account: account, inRegion: true}
		for _, t := range targets {
			if t.account != account || !t.inRegion {
				all.account, all.inRegion = t.account, t.inRegion
				break
			}
		}
		targets = []logsTarget{all}
	}
	return targets, name, nil
}

// logsTargets works out the resources a Logs request is authorized on,
// with the resource ARNs of the Service Authorization Reference: a log
// group (arn:aws:logs:R:A:log-group:NAME:*) named by logGroupName or
// logGroupIdentifier (a name or an ARN), or by each of logGroupNames and
// logGroupIdentifiers; a stream when logStreamName goes with a group; the
// resourceArn of TagResource, UntagResource and ListTagsForResource; "*"
// when the request names none. name is the single log group the request
// addresses by identifier or resourceArn, for kumo.
func (g *gateway) logsTargets(account string, in logsRequest) (targets []logsTarget, name string, e *apiError) {
	invalid := func(field, value, pattern string) *apiError {
		return &apiError{http.StatusBadRequest, "InvalidParameterException",
			fmt.Sprintf("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", value, field, pattern)}
	}
	// Names become the ARN that is authorized: a ':' or '*' in them would
	// make it another resource's.
	if in.LogGroupName != "" && !logGroupNameRE.MatchString(in.LogGroupName) {
		return nil, "", invalid("logGroupName", in.LogGroupName, `[\.\-_/#A-Za-z0-9]+`)
	}
	if in.LogStreamName != "" && !logStreamNameRE.MatchString(in.LogStreamName) {
		return nil, "", invalid("logStreamName", in.LogStreamName, `[^:*]*`)
	}
	if in.LogGroupName != "" && in.LogGroupIdentifier != "" {
		return nil, "", &apiError{http.StatusBadRequest, "InvalidParameterException", "LogGroup name and LogGroup ARN are mutually exclusive parameters."}
	}
	// group resolves a name or an ARN to a log group.
	group := func(field, id string) (logsTarget, string, *apiError) {
		if !strings.HasPrefix(id, "arn:") {
			if !logGroupNameRE.MatchString(id) {
				return logsTarget{}, "", invalid(field, id, `[\.\-_/#A-Za-z0-9]+`)
			}
			return logsTarget{arn: g.logGroupARN(g.sb.Region, account, id), account: account, inRegion: true}, id, nil
		}
		parts := strings.SplitN(id, ":", 7)
		if len(parts) != 7 || parts[1] != "aws" || parts[2] != "logs" || !accountIDRE.MatchString(parts[4]) ||
			parts[5] != "log-group" || !logGroupNameRE.MatchString(parts[6]) {
			return logsTarget{}, "", &apiError{http.StatusBadRequest, "InvalidParameterException", fmt.Sprintf("Invalid %s: %s is not the ARN of a log group.", field, id)}
		}
		return logsTarget{arn: g.logGroupARN(parts[3], parts[4], parts[6]), account: parts[4], inRegion: parts[3] == g.sb.Region}, parts[6], nil
	}
	switch {
	case in.LogGroupIdentifier != "":
		if !validLogGroupIdentifier(in.LogGroupIdentifier) {
			return nil, "", invalid("logGroupIdentifier", in.LogGroupIdentifier, `[\w#+=/:,.@-]*`)
		}
		t, n, e := group("logGroupIdentifier", in.LogGroupIdentifier)
		if e != nil {
			return nil, "", e
		}
		if in.LogStreamName != "" {
			t.arn = strings.TrimSuffix(t.arn, ":*") + ":log-stream:" + in.LogStreamName
		}
		return []logsTarget{t}, n, nil
	case in.ResourceArn != "":
		// DescribeLogGroups shows a group's arn with ":*"; the tagging
		// operations take it with or without.
		t, n, e := group("resourceArn", strings.TrimSuffix(in.ResourceArn, ":*"))
		if e != nil {
			return nil, "", e
		}
		return []logsTarget{t}, n, nil
	case in.LogGroupName != "" && in.LogStreamName != "":
		return []logsTarget{{arn: strings.TrimSuffix(g.logGroupARN(g.sb.Region, account, in.LogGroupName), ":*") + ":log-stream:" + in.LogStreamName, account: account, inRegion: true}}, "", nil
	case in.LogGroupName != "":
		return []logsTarget{{arn: g.logGroupARN(g.sb.Region, account, in.LogGroupName), account: account, inRegion: true}}, "", nil
	}
	for _, id := range in.LogGroupIdentifiers {
		if !validLogGroupIdentifier(id) {
			return nil, "", invalid("logGroupIdentifiers", id, `[\w#+=/:,.@-]*`)
		}
		t, _, e := group("logGroupIdentifiers", id)
		if e != nil {
			return nil, "", e
		}
		targets = append(targets, t)
	}
	for _, n := range in.LogGroupNames {
		if strings.HasPrefix(n, "arn:") {
			return nil, "", invalid("logGroupNames", n, `[\.\-_/#A-Za-z0-9]+`)
		}
		t, _, e := group("logGroupNames", n)
		if e != nil {
			return nil, "", e
		}
		targets = append(targets, t)
	}
	if len(targets) == 0 {
		targets = []logsTarget{{arn: "*", account: account, inRegion: true}}
	}
	return targets, "", nil
}

// logGroupARN is the ARN a log group is authorized on.
func (g *gateway) logGroupARN(region, account, name string) string {
	return fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s:*", region, account, name)
}

// logsRewrite names the log group a request addressed by identifier (or
// resourceArn, when tagging) by its name, the only form kumo reads.
func logsRewrite(body []byte, name string, tagging bool) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	raw, _ := json.Marshal(name)
	if tagging {
		m["resourceArn"] = raw
	} else {
		delete(m, "logGroupIdentifier")
		m["logGroupName"] = raw
	}
	return json.Marshal(m)
}
