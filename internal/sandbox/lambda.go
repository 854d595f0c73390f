package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/xacct/xacct/internal/iampolicy"
)

// lambdaOp classifies a Lambda REST request by its method and escaped path:
// its IAM action and the function's name. Each operation has an exact number
// of segments; a segment that is empty, "." or ".." (raw or percent-encoded),
// or a function reference Lambda would refuse, is a *validationError, so
// that nothing a later hop might clean or decode differently reaches kumo.
// An unknown operation is "" with no error.
func lambdaOp(method, escapedPath string) (action, function string, err error) {
	raw := strings.Split(strings.TrimSuffix(strings.TrimPrefix(escapedPath, "/"), "/"), "/")
	seg := make([]string, len(raw))
	for i, r := range raw {
		s, err := url.PathUnescape(r)
		if err != nil || s == "" || s == "." || s == ".." {
			return "", "", &validationError{fmt.Sprintf("1 validation error detected: the request path %q has an empty, malformed or dot segment", escapedPath)}
		}
		seg[i] = s
	}
	// The first segment is the API version, a date; nothing else may stand
	// there for kumo to decode and clean into another route.
	if len(seg) < 2 || !apiVersionRE.MatchString(seg[0]) {
		return "", "", nil
	}
	fnAt := func(i int) (string, error) { return parseFunctionRef(seg[i], false) }
	if seg[1] == "tags" {
		if len(seg) != 3 {
			return "", "", nil
		}
		fn, err := fnAt(2)
		if err != nil {
			return "", "", err
		}
		switch method {
		case http.MethodPost:
			return "lambda:TagResource", fn, nil
		case http.MethodGet:
			return "lambda:ListTags", fn, nil
		case http.MethodDelete:
			return "lambda:UntagResource", fn, nil
		}
		return "", "", nil
	}
	if seg[1] == "event-source-mappings" {
		switch {
		case len(seg) == 2 && method == http.MethodPost:
			return "lambda:CreateEventSourceMapping", "", nil
		case len(seg) == 2 && method == http.MethodGet:
			return "lambda:ListEventSourceMappings", "", nil
		case len(seg) == 3 && !uuidRE.MatchString(seg[2]):
			return "", "", &validationError{fmt.Sprintf("1 validation error detected: Value '%s' at 'UUID' failed to satisfy constraint: Member must be a UUID", seg[2])}
		case len(seg) == 3 && method == http.MethodGet:
			return "lambda:GetEventSourceMapping", "", nil
		case len(seg) == 3 && method == http.MethodPut:
			return "lambda:UpdateEventSourceMapping", "", nil
		case len(seg) == 3 && method == http.MethodDelete:
			return "lambda:DeleteEventSourceMapping", "", nil
		}
		return "", "", nil
	}
	if seg[1] != "functions" {
		return "", "", nil
	}
	if len(seg) == 2 {
		switch method {
		case http.MethodPost:
			return "lambda:CreateFunction", "", nil
		case http.MethodGet:
			return "lambda:ListFunctions", "", nil
		}
		return "", "", nil
	}
	fn, err := fnAt(2)
	if err != nil {
		return "", "", err
	}
	if len(seg) == 5 && seg[3] == "policy" && method == http.MethodDelete {
		if !statementIDRE.MatchString(seg[4]) {
			return "", "", &validationError{fmt.Sprintf("1 validation error detected: Value '%s' at 'statementId' failed to satisfy constraint: Member must satisfy regular expression pattern: ([a-zA-Z0-9-_.]+)", seg[4])}
		}
		return "lambda:RemovePermission", fn, nil
	}
	if len(seg) > 4 {
		return "", "", nil
	}
	sub := ""
	if len(seg) == 4 {
		sub = seg[3]
	}
	switch {
	case sub == "" && method == http.MethodGet:
		return "lambda:GetFunction", fn, nil
	case sub == "" && method == http.MethodDelete:
		return "lambda:DeleteFunction", fn, nil
	case sub == "configuration" && method == http.MethodGet:
		return "lambda:GetFunctionConfiguration", fn, nil
	case sub == "configuration" && method == http.MethodPut:
		return "lambda:UpdateFunctionConfiguration", fn, nil
	case sub == "code" && method == http.MethodPut:
		return "lambda:UpdateFunctionCode", fn, nil
	case sub == "invocations" && method == http.MethodPost:
		return "lambda:InvokeFunction", fn, nil
	case sub == "policy" && method == http.MethodPost:
		return "lambda:AddPermission", fn, nil
	case sub == "policy" && method == http.MethodGet:
		return "lambda:GetPolicy", fn, nil
	case sub == "event-invoke-config" && method == http.MethodPut:
		return "lambda:PutFunctionEventInvokeConfig", fn, nil
	case sub == "event-invoke-config" && method == http.MethodPost:
		return "lambda:UpdateFunctionEventInvokeConfig", fn, nil
	case sub == "event-invoke-config" && method == http.MethodGet:
		return "lambda:GetFunctionEventInvokeConfig", fn, nil
	case sub == "event-invoke-config" && method == http.MethodDelete:
		return "lambda:DeleteFunctionEventInvokeConfig", fn, nil
	case sub == "versions" && method == http.MethodGet:
		return "lambda:ListVersionsByFunction", fn, nil
	}
	return "", "", nil
}

// CloudWatch Logs' name constraints: at most 512 characters; a group of
// [.-_/#A-Za-z0-9], a stream of anything but ':' and '*'.
var (
	logGroupNameRE  = regexp.MustCompile(`^[.\-_/#A-Za-z0-9]{1,512}$`)
	logStreamNameRE = regexp.MustCompile(`^[^:*]{1,512}$`)
)

var apiVersionRE = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)

// uuidRE is an event source mapping's UUID.
var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

var statementIDRE = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,100}$`)

// functionName takes a function name, partial ARN or ARN (with or without
// qualifier) and returns the name; "" when Lambda would refuse it.
func functionName(s string) string {
	name, err := parseFunctionRef(s, false)
	if err != nil {
		return ""
	}
	return name
}

func (g *gateway) functionARN(account, name string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", g.sb.Region, account, name)
}

func (g *gateway) serveLambda(c *call) {
	ctx := c.r.Context()
	p := c.principal()
	action, fn, err := lambdaOp(c.r.Method, c.r.URL.EscapedPath())
	if err != nil {
		g.fail(c, http.StatusBadRequest, "ValidationException", err.Error())
		return
	}
	if action == "" {
		g.fail(c, http.StatusNotImplemented, "NotImplemented", fmt.Sprintf("the xacct sandbox does not serve Lambda %s %s", c.r.Method, c.r.URL.Path))
		return
	}
	// The function may be another account's, named by its ARN; its
	// policy decides what that account lets the caller do.
	account := p.Account
	if fn != "" && action != "lambda:CreateFunction" {
		account = functionAccount(c.r.URL.EscapedPath(), p.Account)
	}
	b := g.sb.accounts[account]
	var create struct{ FunctionName string }
	if action == "lambda:CreateFunction" {
		if err := json.Unmarshal(c.body, &create); err != nil {
			g.fail(c, http.StatusBadRequest, "InvalidRequestContentException", "could not parse request body into json: "+err.Error())
			return
		}
		if fn, err = parseFunctionRef(create.FunctionName, true); err != nil {
			g.fail(c, http.StatusBadRequest, "ValidationException", err.Error())
			return
		}
	}
	resource := "*"
	if fn != "" {
		resource = g.functionARN(account, fn)
	}
	if strings.HasSuffix(action, "EventSourceMapping") && action != "lambda:CreateEventSourceMapping" {
		resource = fmt.Sprintf("arn:aws:lambda:%s:%s:event-source-mapping:%s", g.sb.Region, p.Account, path.Base(c.r.URL.Path))
	}
	if b == nil || (account != p.Account && !crossAccountFunctionActions[action]) {
		// Another account's function, beyond what Lambda lets a policy
		// grant across accounts (or no account of the sandbox).
		g.deny(c, action, resource, iampolicy.Result{Detail: "resource policy"})
		return
	}
	var rp *iampolicy.NamedPolicy
	if fn != "" && action != "lambda:CreateFunction" {
		rp = g.functionResourcePolicy(account, fn)
	}
	res, err := g.authorize(ctx, c, authzRequest{action: action, resource: resource, resourceAccount: account, resourcePolicy: rp,
		context: g.lambdaPrincipalContext(c, action, account, fn)})
	if err != nil {
		g.fail(c, http.StatusInternalServerError, "ServiceException", err.Error())
		return
	}
	if res.Decision != iampolicy.Allowed {
		g.deny(c, action, resource, res)
		return
	}
	if (action == "lambda:CreateFunction" || action == "lambda:UpdateFunctionCode") && !g.authorizeCodeSource(c, action == "lambda:CreateFunction") {
		return
	}
	if action == "lambda:CreateFunction" || action == "lambda:UpdateFunctionConfiguration" {
		// Lambda checks that it can assume the execution role when it is
		// set, and says so while IAM has not propagated a new role.
		role, _ := jsonRole(c) // the role PassRole was authorized for
		if role != "" {
			_, _, _, err := g.lambdaRole(ctx, account, fn, role)
			if err == nil {
				if account, name, ok := parseRoleARN(role); ok {
					if _, fresh := g.prop.fresh(g.iamDelay(), account, "trust/"+name); fresh {
						err = errors.New("not propagated yet")
					}
				}
			}
			if err != nil {
				g.fail(c, http.StatusBadRequest, "InvalidParameterValueException", "The role defined for the function cannot be assumed by Lambda.")
				return
			}
		}
	}
	switch {
	case action == "lambda:InvokeFunction":
		g.invoke(c, b, account, fn)
		return
	case strings.HasSuffix(action, "EventInvokeConfig"):
		g.eventInvokeConfig(c, account, fn, action)
		return
	case action == "lambda:AddPermission" || action == "lambda:RemovePermission" || action == "lambda:GetPolicy":
		g.servePermission(c, account, fn, action)
		if action != "lambda:GetPolicy" {
			g.prop.touch(account, "function/"+fn)
		}
		return
	}
	status, _, ok := g.forward(c, b, rewriteRegion)
	if !ok || status/100 != 2 {
		return
	}
	switch action {
	case "lambda:CreateFunction", "lambda:UpdateFunctionCode":
		if action == "lambda:CreateFunction" {
			g.forgetFunctionPolicy(account, fn) // a policy outlives no function
		}
		if err := g.runtimes.saveCode(ctx, account, fn, c.body, action == "lambda:CreateFunction"); err != nil {
			g.sb.logf("sandbox: keep the code of %s: %v", fn, err)
		}
		g.runtimes.stop(account, fn)
	case "lambda:DeleteFunction":
		g.forgetFunctionPolicy(account, fn)
		g.runtimes.stop(account, fn)
	case "lambda:UpdateFunctionConfiguration":
		g.runtimes.stop(account, fn)
	}
}

// authorizeCodeSource holds a function's code taken from S3 (S3Bucket,
// S3Key) to what the caller may read, as Lambda does: it fetches the object
// with the caller's permissions, and answers a refusal with
// InvalidParameterValueException naming S3's error.
func (g *gateway) authorizeCodeSource(c *call, create bool) bool {
	var in struct {
		S3Bucket, S3Key, S3ObjectVersion string
		Code                             *struct{ S3Bucket, S3Key, S3ObjectVersion string }
	}
	if err := json.Unmarshal(c.body, &in); err != nil {
		g.fail(c, http.StatusBadRequest, "InvalidRequestContentException", "could not parse request body into json: "+err.Error())
		return false
	}
	if create && in.Code != nil {
		in.S3Bucket, in.S3Key, in.S3ObjectVersion = in.Code.S3Bucket, in.Code.S3Key, in.Code.S3ObjectVersion
	}
	if in.S3Bucket == "" {
		return true
	}
	s3Error := func(code, msg string) bool {
		g.fail(c, http.StatusBadRequest, "InvalidParameterValueException",
			fmt.Sprintf("Error occurred while GetObject. S3 Error Code: %s. S3 Error Message: %s", code, msg))
		return false
	}
	var owner string
	g.st.view(func() {
		if m := g.st.Buckets[in.S3Bucket]; m != nil {
			owner = m.Owner
		}
	})
	ob := g.sb.accounts[owner]
	if ob == nil {
		return s3Error("NoSuchBucket", "The specified bucket does not exist")
	}
	bp, err := g.bucketPolicy(c.r.Context(), in.S3Bucket, ob)
	if err != nil {
		g.fail(c, http.StatusInternalServerError, "ServiceException", err.Error())
		return false
	}
	action := "s3:GetObject"
	if in.S3ObjectVersion != "" {
		action = "s3:GetObjectVersion"
	}
	res, err := g.authorize(c.r.Context(), c, authzRequest{action: action, resource: "arn:aws:s3:::" + in.S3Bucket + "/" + in.S3Key, resourceAccount: owner, resourcePolicy: bp})
	if err != nil || res.Decision != iampolicy.Allowed {
		return s3Error("AccessDenied", "Access Denied")
	}
	return true
}

// invoke serves Invoke at any time, as Lambda does: a synchronous call
// starts the function's process if it is not running and waits for the
// result; an asynchronous one (Event) is accepted (202) and delivered like an
// S3 event, with the function's retry configuration.
func (g *gateway) invoke(c *call, b *backend, account, fn string) {
	ctx := c.r.Context()
	typ := c.r.Header.Get("X-Amz-Invocation-Type")
	switch typ {
	case "", "RequestResponse", "Event":
	case "DryRun":
		g.forward(c, b, rewriteRegion)
		return
	default:
		g.fail(c, http.StatusBadRequest, "InvalidParameterValueException", "Unsupported invocation type "+typ)
		return
	}
	if _, err := b.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)}); err != nil {
		g.forward(c, b, rewriteRegion) // kumo's own ResourceNotFoundException
		return
	}
	if limit := map[bool]int{true: 256 << 10, false: 6 << 20}[typ == "Event"]; len(c.body) > limit {
		g.fail(c, http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException",
			fmt.Sprintf("%d byte payload is too large for the %s invocation type (limit %d bytes)", len(c.body), map[bool]string{true: "Event", false: "RequestResponse"}[typ == "Event"], limit))
		return
	}
	if typ == "Event" {
		payload := c.body
		go func() {
			ctx, cancel := g.runtimes.background(g.sb.eventBudget)
			defer cancel()
			if err := g.runtimes.invokeAsync(ctx, account, fn, payload); err != nil {
				g.sb.logf("sandbox: asynchronous invocation of %s: %v", fn, err)
			}
		}()
		c.w.Header().Set("X-Amzn-RequestId", c.reqID)
		c.w.WriteHeader(http.StatusAccepted)
		return
	}
	if _, err := g.runtimes.ensure(ctx, account, fn); err != nil {
		// The function could not start: Lambda reports that as the
		// function's error.
		c.w.Header().Set("X-Amzn-RequestId", c.reqID)
		c.w.Header().Set("X-Amz-Function-Error", "Unhandled")
		c.w.Header().Set("Content-Type", "application/json")
		c.w.WriteHeader(http.StatusOK)
		_ = json.NewEncoder(c.w).Encode(map[string]string{"errorType": "Runtime.ExitError", "errorMessage": err.Error()})
		return
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		status, body, h, err := g.proxy(c, b, rewriteRegion)
		if err != nil {
			g.fail(c, http.StatusInternalServerError, "ServiceException", "sandbox: "+b.name+" account: "+err.Error())
			return
		}
		// The first poll has reached the gateway but not yet kumo.
		if status == http.StatusBadGateway && bytes.Contains(body, []byte("has no runtime handler")) && time.Now().Before(deadline) {
			select {
			case <-time.After(10 * time.Millisecond):
				continue
			case <-ctx.Done():
				return
			}
		}
		g.relay(c, status, body, h)
		return
	}
}

// invokeConfig is a function's asynchronous invocation configuration, which
// kumo lacks.
type invokeConfig struct {
	FunctionArn              string
	MaximumRetryAttempts     *int32             `json:",omitempty"`
	MaximumEventAgeInSeconds *int32             `json:",omitempty"`
	DestinationConfig        *destinationConfig `json:",omitempty"`
	LastModified             float64
}

// eventInvokeConfig serves Put/Update/Get/DeleteFunctionEventInvokeConfig.
func (g *gateway) eventInvokeConfig(c *call, account, fn, action string) {
	b := g.sb.accounts[account]
	if _, err := b.lambda.GetFunction(c.r.Context(), &lambda.GetFunctionInput{FunctionName: aws.String(fn)}); err != nil {
		g.fail(c, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+g.functionARN(account, fn))
		return
	}
	var cur *invokeConfig
	g.st.view(func() {
		if raw, ok := g.st.account(account).InvokeConfig[fn]; ok {
			cur = &invokeConfig{}
			_ = json.Unmarshal(raw, cur)
		}
	})
	write := func(ic *invokeConfig) {
		if ic.DestinationConfig == nil {
			ic.DestinationConfig = &destinationConfig{} // Lambda shows {"OnSuccess":{},"OnFailure":{}}
		}
		c.w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(c.w).Encode(ic)
	}
	switch action {
	case "lambda:GetFunctionEventInvokeConfig":
		if cur == nil {
			g.fail(c, http.StatusNotFound, "ResourceNotFoundException", "The function "+fn+" doesn't have an EventInvokeConfig")
			return
		}
		write(cur)
	case "lambda:DeleteFunctionEventInvokeConfig":
		if cur == nil {
			g.fail(c, http.StatusNotFound, "ResourceNotFoundException", "The function "+fn+" doesn't have an EventInvokeConfig")
			return
		}
		_ = g.st.update(func() error { delete(g.st.account(account).InvokeConfig, fn); return nil })
		c.w.WriteHeader(http.StatusNoContent)
	default: // Put replaces, Update merges
		var in invokeConfig
		if err := json.Unmarshal(c.body, &in); err != nil {
			g.fail(c, http.StatusBadRequest, "InvalidRequestContentException", err.Error())
			return
		}
		if r := in.MaximumRetryAttempts; r != nil && (*r < 0 || *r > 2) {
			g.fail(c, http.StatusBadRequest, "InvalidParameterValueException", "MaximumRetryAttempts must be between 0 and 2")
			return
		}
		if a := in.MaximumEventAgeInSeconds; a != nil && (*a < 60 || *a > 21600) {
			g.fail(c, http.StatusBadRequest, "InvalidParameterValueException", "MaximumEventAgeInSeconds must be between 60 and 21600")
			return
		}
		next := in
		if action == "lambda:UpdateFunctionEventInvokeConfig" && cur != nil {
			next = *cur
			if in.MaximumRetryAttempts != nil {
				next.MaximumRetryAttempts = in.MaximumRetryAttempts
			}
			if in.MaximumEventAgeInSeconds != nil {
				next.MaximumEventAgeInSeconds = in.MaximumEventAgeInSeconds
			}
			if in.DestinationConfig != nil {
				next.DestinationConfig = in.DestinationConfig
			}
		}
		if dc := next.DestinationConfig; dc != nil {
			if e := checkDestinationShape(*dc); e != nil {
				g.failWith(c, e)
				return
			}
			if d := dc.OnFailure.Destination; d != nil {
				if bucket, ok := s3DestinationBucket(*d); ok {
					if e := g.checkS3Destination(c.r.Context(), account, fn, bucket); e != nil {
						g.failWith(c, e)
						return
					}
				}
			}
		}
		next.FunctionArn = g.functionARN(account, fn)
		next.LastModified = float64(time.Now().Unix())
		raw, _ := json.Marshal(next)
		_ = g.st.update(func() error { g.st.account(account).InvokeConfig[fn] = raw; return nil })
		write(&next)
	}
}

// lambdaRole reads the execution role of a function of account and checks
// that Lambda may assume it: its trust policy allows lambda.amazonaws.com
// for this function.
func (g *gateway) lambdaRole(ctx context.Context, account, fn, roleARN string) (*iam.GetRoleOutput, string, string, error) {
	return g.serviceRole(ctx, "lambda.amazonaws.com", "Lambda", roleARN,
		map[string][]string{"aws:SourceAccount": {account}, "aws:SourceArn": {g.functionARN(account, fn)}})
}

// serviceRole reads a role that an AWS service (service, a principal such as
// lambda.amazonaws.com; who, its name in messages) is to assume on a
// resource's behalf, and checks that the role's trust policy allows the
// service in that context (aws:SourceAccount, aws:SourceArn).
func (g *gateway) serviceRole(ctx context.Context, service, who, roleARN string, context map[string][]string) (*iam.GetRoleOutput, string, string, error) {
	roleAccount, roleName, ok := parseRoleARN(roleARN)
	rb := g.sb.accounts[roleAccount]
	if !ok || rb == nil {
		return nil, "", "", fmt.Errorf("role %q is not a role of a sandbox account", roleARN)
	}
	role, err := rb.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(roleName)})
	if err != nil {
		return nil, "", "", fmt.Errorf("role %s: %w", roleARN, err)
	}
	trust, err := iampolicy.ParseEncoded(aws.ToString(role.Role.AssumeRolePolicyDocument), iampolicy.Trust)
	if err != nil {
		return nil, "", "", fmt.Errorf("trust policy of %s: %w", roleARN, err)
	}
	res, err := iampolicy.Evaluate(&iampolicy.Request{
		Principal: service, Action: "sts:AssumeRole", Resource: roleARN, ResourceAccount: roleAccount,
		Context:        context,
		ResourcePolicy: &iampolicy.NamedPolicy{Name: "trust policy", Policy: trust},
	})
	if err != nil || res.Decision != iampolicy.Allowed {
		return nil, "", "", fmt.Errorf("the role %s cannot be assumed by %s (its trust policy does not allow %s)", roleARN, who, service)
	}
	return role, roleAccount, roleName, nil
}
