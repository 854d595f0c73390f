package verify

import (
	"github.com/xacct/xacct/internal/iampolicy"
)

// passRoleEdge: iam:PassRole to something a service runs with the role,
// when the role trusts that service and the principal may make the
// service run it ("pass-role").
func passRoleEdge(e *edgeFrom, r *roleRef) []*node {
	w, a := e.w, e.a
	if r.account != a.account || !a.may("iam:PassRole") {
		return nil
	}
	trust := w.policy(r.Trust, iampolicy.Trust)
	if trust == nil {
		return nil
	}
	for _, svc := range passServices {
		if !w.serviceTrusted(trust, r, svc.principal) {
			continue
		}
		pass := w.decide(a, "iam:PassRole", r.ARN, r.account, nil, map[string][]string{"iam:PassedToService": {svc.principal}})
		if pass.Decision != iampolicy.Allowed {
			continue
		}
		if w.decide(a, svc.action, "*", r.account, nil, nil).Decision == iampolicy.Allowed {
			n := w.session(a, r, "verify")
			n.escalated = true
			return []*node{e.hop(n, "pass-role", r.ARN, "iam:PassRole + "+svc.action, pass)}
		}
	}
	return nil
}

// passServices are the services that run something with a role they are
// passed, and the action that makes them do it.
var passServices = []struct{ principal, action string }{
	{"lambda.amazonaws.com", "lambda:CreateFunction"},
	{"ec2.amazonaws.com", "ec2:RunInstances"},
	{"ecs-tasks.amazonaws.com", "ecs:RunTask"},
	{"glue.amazonaws.com", "glue:CreateJob"},
	{"codebuild.amazonaws.com", "codebuild:CreateProject"},
	{"cloudformation.amazonaws.com", "cloudformation:CreateStack"},
	{"states.amazonaws.com", "states:CreateStateMachine"},
	{"sagemaker.amazonaws.com", "sagemaker:CreateTrainingJob"},
}

// serviceTrusted reports whether the service may assume the role (on
// behalf of a caller of the role's account, conditions it cannot know
// taken as met).
func (w *reachWorld) serviceTrusted(trust *iampolicy.Policy, r *roleRef, service string) bool {
	k := r.ARN + "|" + service
	if v, ok := w.trusted[k]; ok {
		return v
	}
	res, err := iampolicy.Evaluate(&iampolicy.Request{Principal: service, Action: "sts:AssumeRole", Resource: r.ARN, ResourceAccount: r.account,
		Context: map[string][]string{"aws:SourceAccount": {r.account}}, ResourcePolicy: &iampolicy.NamedPolicy{Name: "trust", Policy: trust}, Possible: true})
	w.trusted[k] = err == nil && res.Decision == iampolicy.Allowed
	return w.trusted[k]
}
