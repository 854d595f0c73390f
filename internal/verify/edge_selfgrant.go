package verify

import (
	"slices"
	"strings"

	"github.com/xacct/xacct/internal/iampolicy"
)

// selfGrantEdges: a principal that may write its own permissions (a
// policy on itself, its groups or its role, or a new version of a managed
// policy attached to it) becomes an administrator of its account in one
// hop ("self-grant").
func selfGrantEdges(e *edgeFrom) []*node {
	a := e.a
	own := e.w.accounts[a.account]
	if own == nil {
		return nil
	}
	act, target, res, ok := e.w.selfGrant(a, *own)
	if !ok {
		return nil
	}
	n := *a
	n.identity = []iampolicy.NamedPolicy{{Name: "any policy it writes itself", Policy: adminPolicy}}
	n.escalated = true
	n.label = a.label + " after writing its own permissions"
	e.selfAdmin = true
	return []*node{e.hop(&n, "self-grant", target, act, res)}
}

// selfGrant finds an IAM action that lets the actor write its own
// permissions: a policy on itself, its groups or its role, or a new
// version of a managed policy attached to it.
func (w *reachWorld) selfGrant(a *node, acct Account) (string, string, iampolicy.Result, bool) {
	type target struct {
		actions []string
		arn     string
	}
	var targets []target
	switch {
	case a.role != "":
		targets = append(targets, target{[]string{"iam:PutRolePolicy", "iam:AttachRolePolicy"}, a.roleARN})
	case a.function == "" && a.arn != "*":
		if strings.Contains(a.arn, ":user/") && !strings.Contains(a.arn, ":user/xacct-verify-member-of-") {
			targets = append(targets, target{[]string{"iam:PutUserPolicy", "iam:AttachUserPolicy"}, a.arn})
		}
		for _, g := range acct.Groups {
			if slices.Contains(a.groups, g.Name) {
				targets = append(targets, target{[]string{"iam:PutGroupPolicy", "iam:AttachGroupPolicy"}, g.ARN})
			}
		}
	}
	for _, p := range a.identity {
		// A customer managed policy attached to it (inventory names them
		// "managed policy ARN"): a new default version rewrites it.
		if arn, ok := strings.CutPrefix(p.Name, "managed policy "); ok && strings.HasPrefix(arn, "arn:aws:iam::"+a.account+":policy/") {
			targets = append(targets, target{[]string{"iam:CreatePolicyVersion"}, arn})
		}
	}
	for _, t := range targets {
		for _, act := range t.actions {
			if !a.may(act) {
				continue
			}
			if res := w.decide(a, act, t.arn, a.account, nil, nil); res.Decision == iampolicy.Allowed {
				return act, t.arn, res, true
			}
		}
	}
	return "", "", iampolicy.Result{}, false
}
