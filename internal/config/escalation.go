package config

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"
)

// The kinds of target an escalation action acts on.
const (
	TargetUser     = "user"
	TargetGroup    = "group"
	TargetRole     = "role"
	TargetPolicy   = "policy"
	TargetFunction = "function"
	TargetBucket   = "bucket"
	TargetObject   = "object"
	TargetTrail    = "trail"
)

// targetTypes maps the table's resource types to target kinds, by service.
var targetTypes = map[string]map[string]string{
	"iam":    {"user": TargetUser, "group": TargetGroup, "role": TargetRole, "policy": TargetPolicy},
	"lambda": {"function": TargetFunction},
	"s3":     {"bucket": TargetBucket, "object": TargetObject},
	// A trail records who reached the data.
	"cloudtrail": {"trail": TargetTrail},
}

// escalationPatterns are the actions outside a principal's S3 grants that
// can change who reaches the data (issue 13): whoever may perform one on a
// target can become the target's principal, widen its policies, hand out
// its credentials, run code as its role, or open the bucket. A * matches
// within an action name, as in a policy.
var escalationPatterns = []string{
	// Change what a user, group or role may do.
	"iam:Put*Policy",              // PutUserPolicy, PutGroupPolicy, PutRolePolicy
	"iam:Attach*Policy",           // AttachUserPolicy, AttachGroupPolicy, AttachRolePolicy
	"iam:CreatePolicyVersion",     // rewrite a managed policy attached on the path
	"iam:SetDefaultPolicyVersion", // or switch it to an older, wider version
	"iam:Put*PermissionsBoundary", // replace a boundary with a wider one
	"iam:Delete*PermissionsBoundary",
	// Become a principal: its membership, its trust, its credentials.
	"iam:AddUserToGroup",
	"iam:UpdateAssumeRolePolicy",
	"iam:CreateAccessKey",
	"iam:CreateLoginProfile",
	"iam:UpdateLoginProfile",
	"iam:PassRole", // give a role to a function (or a service) one controls
	// Run code as a function's execution role, or let others invoke it.
	"lambda:CreateFunction",
	"lambda:UpdateFunctionCode",
	"lambda:UpdateFunctionConfiguration",
	"lambda:AddPermission",
	// Open the bucket: its policy, its ACLs, where its events go.
	"s3:PutBucketPolicy",
	"s3:DeleteBucketPolicy", // drops the TLS-only deny
	"s3:PutBucketAcl",
	"s3:PutObjectAcl",
	"s3:PutObjectVersionAcl",
	"s3:PutBucketOwnershipControls", // re-enables ACLs
	"s3:PutBucketPublicAccessBlock",
	"s3:PutBucketNotification",
	"s3:PutReplicationConfiguration", // copies every new object elsewhere
	// Blind the audit: stop a trail, delete it, narrow what it records or
	// send its logs elsewhere (issue 19). Whoever may do so can reach the
	// data unseen.
	"cloudtrail:StopLogging",
	"cloudtrail:DeleteTrail",
	"cloudtrail:PutEventSelectors",
	"cloudtrail:UpdateTrail",
}

// EscalationAction is an action that can change who reaches the data.
type EscalationAction struct {
	Action      string // "iam:PutRolePolicy", as the action table spells it
	Target      string // what it acts on: one of the Target constants
	AccessLevel string // from the action table
}

// EscalationActions lists the actions that can change who reaches the
// data, sorted by name, each with the kind of target it acts on (derived
// from the action table's resource types).
func EscalationActions() []EscalationAction { return slices.Clone(escalationList()) }

// escalationList is worked out once: verify asks for it for every
// principal it walks.
var escalationList = sync.OnceValue(func() []EscalationAction {
	esc, err := escalationActions(loadActions())
	if err != nil {
		panic("config: " + err.Error()) // the patterns are tested against the table
	}
	return esc
})

func escalationActions(t *actionTable) ([]EscalationAction, error) {
	var out []EscalationAction
	for _, p := range escalationPatterns {
		svc, pat, _ := strings.Cut(p, ":")
		n := 0
		for _, name := range t.services[svc] {
			_, op, _ := strings.Cut(name, ":")
			if ok, _ := path.Match(pat, op); !ok {
				continue
			}
			a := t.actions[lower(name)]
			target := escalationTarget(a)
			if target == "" {
				return nil, fmt.Errorf("escalation action %s (from %s) has no user, group, role, policy, function, bucket, object or trail resource", name, p)
			}
			out = append(out, EscalationAction{Action: a.Name, Target: target, AccessLevel: a.AccessLevel})
			n++
		}
		if n == 0 {
			return nil, fmt.Errorf("escalation pattern %s matches no action of the table", p)
		}
	}
	slices.SortFunc(out, func(a, b EscalationAction) int { return strings.Compare(a.Action, b.Action) })
	return slices.CompactFunc(out, func(a, b EscalationAction) bool { return a.Action == b.Action }), nil
}

// escalationTarget is the kind of an action's first resource type that
// names a principal, policy, function, bucket or object, required types
// first.
func escalationTarget(a *Action) string {
	kinds := targetTypes[a.Service]
	for _, required := range []bool{true, false} {
		for _, r := range a.Resources {
			if r.Required == required && kinds[r.Type] != "" {
				return kinds[r.Type]
			}
		}
	}
	return ""
}
