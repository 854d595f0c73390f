package sandbox

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
)

// passRole says that a request sets a role a service will assume, so that
// AWS authorizes iam:PassRole on that role besides the request's own
// action ("Grant a user permissions to pass a role to an AWS service",
// IAM User Guide).
type passRole struct {
	// service is iam:PassedToService: the principal that will assume the role.
	service string
	// role reads the role's ARN from the request's body; "" when the
	// request sets no role.
	role func(body []byte) (string, error)
}

// passRoles is every request the sandbox serves that passes a role, by
// action. A handler of one of these actions calls authorizePassRole; a new
// action that sets a role belongs here, nowhere else.
var passRoles = map[string]passRole{
	"lambda:CreateFunction":              {service: "lambda.amazonaws.com", role: jsonRole},
	"lambda:UpdateFunctionConfiguration": {service: "lambda.amazonaws.com", role: jsonRole},
	"s3:CreateJob":                       {service: "batchoperations.s3.amazonaws.com", role: createJobRole},
}

// jsonRole is Lambda's Role parameter.
func jsonRole(body []byte) (string, error) {
	var in struct{ Role string }
	if len(body) == 0 {
		return "", nil
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return "", err
	}
	return in.Role, nil
}

// createJobRole is S3 Batch Operations' RoleArn.
func createJobRole(body []byte) (string, error) {
	var in struct{ RoleArn string }
	if err := xml.Unmarshal(body, &in); err != nil {
		return "", err
	}
	return in.RoleArn, nil
}

// authorizePassRole authorizes iam:PassRole on the role a request of action
// sets (if any), with iam:PassedToService from passRoles and
// iam:AssociatedResourceArn the resource the role is for ("" when the
// resource has no ARN yet). It answers a refusal as AWS does (an access
// denial naming iam:PassRole and the role) and returns false then.
func (g *gateway) authorizePassRole(c *call, action, associated string) bool {
	pr, ok := passRoles[action]
	if !ok {
		g.fail(c, http.StatusInternalServerError, "InternalFailure", fmt.Sprintf("sandbox: %s is not in the table of requests that pass a role", action))
		return false
	}
	role, err := pr.role(c.body)
	if err != nil || role == "" {
		return true // the handler answers a malformed body itself
	}
	keys := map[string][]string{"iam:PassedToService": {pr.service}}
	if associated != "" {
		keys["iam:AssociatedResourceArn"] = []string{associated}
	}
	return g.allow(c, "iam:PassRole", role, roleAccountOf(role, c.principal().Account), keys)
}
