package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/xacct/xacct/internal/iampolicy"
)

// A function's resource-based policy, kept by the gateway: kumo stores
// every AddPermission principal as a service, so a grant to an account
// would read back as {"Service":"111111111111"}. The gateway serves
// AddPermission, RemovePermission and GetPolicy itself, renders each
// statement as Lambda does, and authorizes every request on the function
// (and S3's deliveries to it) with the policy it keeps.

// functionPolicy is a function's statements, in the order they were added.
type functionPolicy struct {
	RevisionID string          `json:"revision_id"`
	Statements []functionGrant `json:"statements"`
}

// functionGrant is one AddPermission: the statement as GetPolicy renders
// it, and the Principal parameter as given (the lambda:Principal
// condition key of RemovePermission). The statement is kept as a string:
// the state file is indented, and a raw JSON value would be re-indented
// with it.
type functionGrant struct {
	Sid       string `json:"sid"`
	Principal string `json:"principal"`
	Statement string `json:"statement"`
}

// addPermissionInput is AddPermission's body.
type addPermissionInput struct {
	StatementId, Action, Principal, SourceArn, SourceAccount string
	PrincipalOrgID, RevisionId                               string
	EventSourceToken, FunctionUrlAuthType                    string
	InvokedViaFunctionUrl                                    *bool
}

// policyStatement is a statement in Lambda's key order.
type policyStatement struct {
	Sid       string          `json:"Sid"`
	Effect    string          `json:"Effect"`
	Principal json.RawMessage `json:"Principal"`
	Action    string          `json:"Action"`
	Resource  string          `json:"Resource"`
	Condition json.RawMessage `json:"Condition,omitempty"`
}

// maxFunctionPolicy is Lambda's limit on a function policy's size.
const maxFunctionPolicy = 20480

var (
	lambdaActionRE     = regexp.MustCompile(`^(lambda:[*]|lambda:[a-zA-Z]+|[*])$`)
	accountIDOnlyRE    = regexp.MustCompile(`^[0-9]{12}$`)
	iamPrincipalARNRE  = regexp.MustCompile(`^arn:aws:iam::[0-9]{12}:(root|user/.+|role/.+)$`)
	servicePrincipalRE = regexp.MustCompile(`^[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com$`)
	orgIDRE            = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
)

// renderPrincipal is AddPermission's Principal as the policy shows it: an
// account ID becomes its root ARN, an IAM ARN stays, a service is a
// Service; ok is false for anything else.
func renderPrincipal(p string) (json.RawMessage, bool) {
	q := func(k, v string) json.RawMessage {
		b, _ := json.Marshal(map[string]string{k: v})
		return b
	}
	switch {
	case p == "*":
		return json.RawMessage(`"*"`), true
	case accountIDOnlyRE.MatchString(p):
		return q("AWS", "arn:aws:iam::"+p+":root"), true
	case iamPrincipalARNRE.MatchString(p):
		return q("AWS", p), true
	case servicePrincipalRE.MatchString(p):
		return q("Service", p), true
	}
	return nil, false
}

// renderCondition is the statement's Condition as Lambda writes it:
// StringEquals (AWS:SourceAccount, aws:PrincipalOrgID) before ArnLike
// (AWS:SourceArn); nil when there is none.
func renderCondition(in addPermissionInput) json.RawMessage {
	var eq [][2]string
	if in.SourceAccount != "" {
		eq = append(eq, [2]string{"AWS:SourceAccount", in.SourceAccount})
	}
	if in.PrincipalOrgID != "" {
		eq = append(eq, [2]string{"aws:PrincipalOrgID", in.PrincipalOrgID})
	}
	var b bytes.Buffer
	str := func(s string) { v, _ := json.Marshal(s); b.Write(v) }
	b.WriteByte('{')
	if len(eq) > 0 {
		b.WriteString(`"StringEquals":{`)
		for i, kv := range eq {
			if i > 0 {
				b.WriteByte(',')
			}
			str(kv[0])
			b.WriteByte(':')
			str(kv[1])
		}
		b.WriteByte('}')
	}
	if in.SourceArn != "" {
		if len(eq) > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"ArnLike":{"AWS:SourceArn":`)
		str(in.SourceArn)
		b.WriteByte('}')
	}
	b.WriteByte('}')
	if b.Len() == 2 {
		return nil
	}
	return b.Bytes()
}

// functionPolicyDoc is the policy document of the grants ("" when none).
func functionPolicyDoc(grants []functionGrant) string {
	if len(grants) == 0 {
		return ""
	}
	var b bytes.Buffer
	b.WriteString(`{"Version":"2012-10-17","Id":"default","Statement":[`)
	for i, gr := range grants {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(gr.Statement)
	}
	b.WriteString(`]}`)
	return b.String()
}

// functionGrants are the statements the gateway keeps for a function.
func (g *gateway) functionGrants(account, fn string) (grants []functionGrant, revision string) {
	g.st.view(func() {
		if fp := g.st.account(account).FunctionPolicies[fn]; fp != nil {
			grants, revision = append([]functionGrant(nil), fp.Statements...), fp.RevisionID
		}
	})
	return grants, revision
}

// functionResourcePolicy is a function's resource-based policy, parsed for
// authorization; nil when it has none.
func (g *gateway) functionResourcePolicy(account, fn string) *iampolicy.NamedPolicy {
	grants, _ := g.functionGrants(account, fn)
	doc := functionPolicyDoc(grants)
	if doc == "" {
		return nil
	}
	pol, err := iampolicy.Parse([]byte(doc), iampolicy.Resource)
	if err != nil {
		g.sb.logf("sandbox: the policy of function %s does not parse: %v", fn, err)
		return nil
	}
	return &iampolicy.NamedPolicy{Name: "function policy", Policy: pol}
}

// forgetFunctionPolicy drops a function's statements (the function was
// deleted, or created anew under the name).
func (g *gateway) forgetFunctionPolicy(account, fn string) {
	_ = g.st.update(func() error { delete(g.st.account(account).FunctionPolicies, fn); return nil })
}

// lambdaPrincipalContext is the lambda:Principal condition key of an
// AddPermission (its Principal parameter) or a RemovePermission (the
// Principal of the statement it removes); nil for other actions.
func (g *gateway) lambdaPrincipalContext(c *call, action, account, fn string) map[string][]string {
	var principal string
	switch action {
	case "lambda:AddPermission":
		var in addPermissionInput
		if json.Unmarshal(c.body, &in) != nil {
			return nil
		}
		principal = in.Principal
	case "lambda:RemovePermission":
		sid := statementIDOf(c.r.URL.EscapedPath())
		grants, _ := g.functionGrants(account, fn)
		for _, gr := range grants {
			if gr.Sid == sid {
				principal = gr.Principal
			}
		}
	}
	if principal == "" {
		return nil
	}
	return map[string][]string{"lambda:Principal": {principal}}
}

// statementIDOf is the statement ID at the end of a RemovePermission path.
func statementIDOf(escapedPath string) string {
	seg := escapedPath[strings.LastIndexByte(escapedPath, '/')+1:]
	s, err := url.PathUnescape(seg)
	if err != nil {
		return ""
	}
	return s
}

// servePermission serves AddPermission, RemovePermission and GetPolicy on
// a function of account, once authorized.
func (g *gateway) servePermission(c *call, account, fn, action string) {
	b := g.sb.accounts[account]
	fnARN := g.functionARN(account, fn)
	if _, err := b.lambda.GetFunction(c.r.Context(), &lambda.GetFunctionInput{FunctionName: aws.String(fn)}); err != nil {
		g.fail(c, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+fnARN)
		return
	}
	if q := c.r.URL.Query().Get("Qualifier"); q != "" && q != "$LATEST" {
		g.fail(c, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+fnARN+":"+q+" (the xacct sandbox serves no versions or aliases)")
		return
	}
	switch action {
	case "lambda:GetPolicy":
		grants, rev := g.functionGrants(account, fn)
		if len(grants) == 0 {
			g.fail(c, http.StatusNotFound, "ResourceNotFoundException", "The resource you requested does not exist.")
			return
		}
		g.writeJSON(c, http.StatusOK, map[string]string{"Policy": functionPolicyDoc(grants), "RevisionId": rev})
	case "lambda:RemovePermission":
		sid := statementIDOf(c.r.URL.EscapedPath())
		rev := c.r.URL.Query().Get("RevisionId")
		var e *apiError
		_ = g.st.update(func() error {
			fp := g.st.account(account).FunctionPolicies[fn]
			switch {
			case fp == nil || len(fp.Statements) == 0:
				e = &apiError{http.StatusNotFound, "ResourceNotFoundException", "No policy is associated with the given resource."}
			case rev != "" && rev != fp.RevisionID:
				e = &apiError{http.StatusPreconditionFailed, "PreconditionFailedException", "The Revision Id provided does not match the latest Revision Id. Call the GetPolicy API to retrieve the latest Revision Id"}
			default:
				i := grantIndex(fp.Statements, sid)
				if i < 0 {
					e = &apiError{http.StatusNotFound, "ResourceNotFoundException", "Statement " + sid + " is not found in resource policy."}
					return nil
				}
				fp.Statements = append(fp.Statements[:i], fp.Statements[i+1:]...)
				fp.RevisionID = newUUID()
			}
			return nil
		})
		if e != nil {
			g.failWith(c, e)
			return
		}
		c.w.Header().Set("X-Amzn-RequestId", c.reqID)
		c.w.WriteHeader(http.StatusNoContent)
	case "lambda:AddPermission":
		gr, e := g.newGrant(c, fnARN)
		if e != nil {
			g.failWith(c, e)
			return
		}
		var in addPermissionInput
		_ = json.Unmarshal(c.body, &in)
		_ = g.st.update(func() error {
			as := g.st.account(account)
			fp := as.FunctionPolicies[fn]
			if fp == nil {
				fp = &functionPolicy{RevisionID: newUUID()}
			}
			switch {
			case in.RevisionId != "" && in.RevisionId != fp.RevisionID:
				e = &apiError{http.StatusPreconditionFailed, "PreconditionFailedException", "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id"}
			case grantIndex(fp.Statements, gr.Sid) >= 0:
				e = &apiError{http.StatusConflict, "ResourceConflictException", "The statement id (" + gr.Sid + ") provided already exists. Please provide a new statement id, or remove the existing statement."}
			default:
				next := append(append([]functionGrant(nil), fp.Statements...), gr)
				if n := len(functionPolicyDoc(next)); n > maxFunctionPolicy {
					e = &apiError{http.StatusBadRequest, "PolicyLengthExceededException", fmt.Sprintf("The final policy size (%d) is bigger than the limit (%d).", n, maxFunctionPolicy)}
					return nil
				}
				fp.Statements, fp.RevisionID = next, newUUID()
				as.FunctionPolicies[fn] = fp
			}
			return nil
		})
		if e != nil {
			g.failWith(c, e)
			return
		}
		g.writeJSON(c, http.StatusCreated, map[string]string{"Statement": gr.Statement})
	}
}

// newGrant checks an AddPermission body as Lambda does and renders its
// statement.
func (g *gateway) newGrant(c *call, fnARN string) (functionGrant, *apiError) {
	invalid := func(msg string) (functionGrant, *apiError) {
		return functionGrant{}, &apiError{http.StatusBadRequest, "ValidationException", msg}
	}
	var in addPermissionInput
	if err := json.Unmarshal(c.body, &in); err != nil {
		return functionGrant{}, &apiError{http.StatusBadRequest, "InvalidRequestContentException", "could not parse request body into json: " + err.Error()}
	}
	switch {
	case !statementIDRE.MatchString(in.StatementId):
		return invalid(fmt.Sprintf("1 validation error detected: Value '%s' at 'statementId' failed to satisfy constraint: Member must satisfy regular expression pattern: ([a-zA-Z0-9-_.]+)", in.StatementId))
	case !lambdaActionRE.MatchString(in.Action):
		return invalid(fmt.Sprintf("1 validation error detected: Value '%s' at 'action' failed to satisfy constraint: Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])", in.Action))
	case in.Principal == "" || strings.ContainsAny(in.Principal, " \t\r\n"):
		return invalid(fmt.Sprintf("1 validation error detected: Value '%s' at 'principal' failed to satisfy constraint: Member must satisfy regular expression pattern: [^\\s]+", in.Principal))
	case in.SourceAccount != "" && !accountIDOnlyRE.MatchString(in.SourceAccount):
		return invalid(fmt.Sprintf("1 validation error detected: Value '%s' at 'sourceAccount' failed to satisfy constraint: Member must satisfy regular expression pattern: \\d{12}", in.SourceAccount))
	case in.PrincipalOrgID != "" && !orgIDRE.MatchString(in.PrincipalOrgID):
		return invalid(fmt.Sprintf("1 validation error detected: Value '%s' at 'principalOrgID' failed to satisfy constraint: Member must satisfy regular expression pattern: ^o-[a-z0-9]{10,32}$", in.PrincipalOrgID))
	case in.EventSourceToken != "" || in.FunctionUrlAuthType != "" || in.InvokedViaFunctionUrl != nil:
		return functionGrant{}, &apiError{http.StatusBadRequest, "InvalidParameterValueException", "the xacct sandbox serves no Alexa event sources or function URLs"}
	}
	principal, ok := renderPrincipal(in.Principal)
	if !ok {
		return functionGrant{}, &apiError{http.StatusBadRequest, "InvalidParameterValueException", "The provided principal was invalid. Please check the principal and try again."}
	}
	st, _ := json.Marshal(policyStatement{Sid: in.StatementId, Effect: "Allow", Principal: principal, Action: in.Action, Resource: fnARN, Condition: renderCondition(in)})
	return functionGrant{Sid: in.StatementId, Principal: in.Principal, Statement: string(st)}, nil
}

func grantIndex(grants []functionGrant, sid string) int {
	for i, gr := range grants {
		if gr.Sid == sid {
			return i
		}
	}
	return -1
}

// writeJSON writes a Lambda JSON response.
func (g *gateway) writeJSON(c *call, status int, v any) {
	c.w.Header().Set("Content-Type", "application/json")
	c.w.Header().Set("X-Amzn-RequestId", c.reqID)
	c.w.WriteHeader(status)
	_ = json.NewEncoder(c.w).Encode(v)
}

// crossAccountFunctionActions are the operations on a function another
// account may be granted by its policy. Lambda refuses the others across
// accounts whatever the policy says (AddPermission, RemovePermission,
// UpdateFunctionConfiguration, tags and invoke configuration among them).
var crossAccountFunctionActions = map[string]bool{
	"lambda:InvokeFunction": true, "lambda:GetFunction": true, "lambda:GetFunctionConfiguration": true,
	"lambda:UpdateFunctionCode": true, "lambda:DeleteFunction": true, "lambda:GetPolicy": true,
	"lambda:ListVersionsByFunction": true,
}

// functionAccount is the account a Lambda request's function belongs to:
// the one its ARN (or partial ARN) names, else the caller's.
func functionAccount(escapedPath, caller string) string {
	// /2015-03-31/functions/REF/... and /2017-03-31/tags/REF alike.
	raw := strings.Split(strings.TrimPrefix(escapedPath, "/"), "/")
	if len(raw) < 3 {
		return caller
	}
	ref, err := url.PathUnescape(raw[2])
	if err != nil {
		return caller
	}
	m := functionRefRE.FindStringSubmatch(ref)
	if m == nil || m[5] == "" {
		return caller
	}
	return strings.TrimSuffix(m[5], ":")
}
