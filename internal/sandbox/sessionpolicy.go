package sandbox

import (
	"fmt"
	"net/http"
	"regexp"

	"github.com/xacct/xacct/internal/iampolicy"
)

// maxSessionPolicyArns is how many managed session policies AssumeRole
// takes.
const maxSessionPolicyArns = 10

// policyARNRE is a managed policy's ARN: AWS's own (account "aws") or a
// customer's.
var policyARNRE = regexp.MustCompile(`^arn:aws:iam::(aws|[0-9]{12}):policy/[\x21-\x7e]+$`)

// sessionPolicyArns reads an AssumeRole's PolicyArns.member.N.arn and checks
// them as STS does: at most ten, each the ARN of a managed policy that
// exists in the role's account (or an AWS-managed one). It answers a
// refusal and returns ok false then.
func (g *gateway) sessionPolicyArns(c *call, form map[string][]string, roleAccount string) (arns []string, ok bool) {
	get := func(k string) string {
		if v := form[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	for i := 1; ; i++ {
		arn := get(fmt.Sprintf("PolicyArns.member.%d.arn", i))
		if arn == "" {
			break
		}
		arns = append(arns, arn)
	}
	if len(arns) > maxSessionPolicyArns {
		g.fail(c, http.StatusBadRequest, "ValidationError", fmt.Sprintf("1 validation error detected: Value '%v' at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to %d", arns, maxSessionPolicyArns))
		return nil, false
	}
	for i, arn := range arns {
		if len(arn) < 20 || len(arn) > 2048 || !policyARNRE.MatchString(arn) {
			g.fail(c, http.StatusBadRequest, "ValidationError", fmt.Sprintf("1 validation error detected: Value '%s' at 'policyArns.%d.member.arn' failed to satisfy constraint: Member must be the ARN of a managed policy", arn, i+1))
			return nil, false
		}
		var exists bool
		g.st.view(func() { _, exists = g.st.account(roleAccount).managedDoc(arn) })
		if !isAWSManagedARN(arn) && policyAccount(arn) != roleAccount {
			exists = false // "The policies must exist in the same account as the role."
		}
		if !exists {
			g.fail(c, http.StatusBadRequest, "InvalidParameterValue", fmt.Sprintf("The policy %s does not exist or is not attachable.", arn))
			return nil, false
		}
	}
	return arns, true
}

// policyAccount is the account in a managed policy's ARN ("aws" for AWS's).
func policyAccount(arn string) string {
	m := policyARNRE.FindStringSubmatch(arn)
	if m == nil {
		return ""
	}
	return m[1]
}

// sessionPolicy is the session policies of a role session as one policy:
// the inline Policy and the default versions of the managed PolicyArns it
// was given, read now from the role's account. AWS evaluates them together
// ("Session policies", IAM User Guide): an action is within the session
// when one of them allows it and none denies it. nil when the session has
// none. A managed policy deleted since the session began adds nothing, so
// what it allowed is refused.
func (g *gateway) sessionPolicy(p *principal) *iampolicy.NamedPolicy {
	if p.SessionPolicy == "" && len(p.SessionPolicyArns) == 0 {
		return nil
	}
	merged := &iampolicy.Policy{Version: "2012-10-17", Kind: iampolicy.Session}
	if p.SessionPolicy != "" {
		if sp, err := iampolicy.Parse([]byte(p.SessionPolicy), iampolicy.Session); err == nil {
			merged.Statements = append(merged.Statements, sp.Statements...)
		}
	}
	for _, arn := range p.SessionPolicyArns {
		var doc string
		var ok bool
		g.st.view(func() { doc, ok = g.st.account(p.Account).managedDoc(arn) })
		if !ok {
			continue
		}
		sp, err := iampolicy.ParseEncoded(doc, iampolicy.Session)
		if err != nil {
			g.sb.logf("sandbox: session policy %s of %s does not parse: %v", arn, p.ARN, err)
			continue
		}
		merged.Statements = append(merged.Statements, sp.Statements...)
	}
	return &iampolicy.NamedPolicy{Name: "session policy", Policy: merged}
}
