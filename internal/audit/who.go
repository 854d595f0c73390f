package audit

import (
	"strings"
)

// Principals is what xacct knows of the stack's principals, to say who is
// behind a record: plain data the caller builds from the config.
type Principals struct {
	// Accounts names the stack's accounts by ID: development, production,
	// reporting.
	Accounts map[string]string
	// GroupRoles are the groups' roles in Production, by role ARN: a
	// session of one is a Development user (the trust makes the session
	// name ${aws:username}). The value is the group's name.
	GroupRoles map[string]string
	// ServiceRoles are the roles the stack's services run as, by role
	// ARN: what runs as it ("metadata processor (Lambda)").
	ServiceRoles map[string]string
}

// Who is the caller of a request, as a person would name it.
type Who struct {
	// Type is CloudTrail's userIdentity.type.
	Type string `json:"type"`
	// User is the Development user behind the request ("" when there is
	// none): an IAM user's name, or the session name of a group role.
	User string `json:"user,omitempty"`
	// Name is the caller in a few words: alice, root of production,
	// s3.amazonaws.com, acme-data-metadata-processor.
	Name string `json:"name"`
	// Account is the caller's account: the stack's name for it, else its ID.
	Account string `json:"account,omitempty"`
	// ARN is the caller's ARN (a session's role ARN is in Role).
	ARN string `json:"arn,omitempty"`
	// Role is the role behind a session.
	Role string `json:"role,omitempty"`
	// Via is what the role is for: a group, or a stack's service.
	Via string `json:"via,omitempty"`
	// Note flags what does not add up (a source identity that is not the
	// session's name).
	Note string `json:"note,omitempty"`
}

// Path is who in one line: "alice → acme-data-developers", "alice
// (development)", "root of production".
func (w Who) Path() string {
	switch {
	case w.User != "" && w.Role != "":
		return w.User + " → " + roleName(w.Role)
	case w.User != "" && w.Account != "":
		return w.User + " (" + w.Account + ")"
	case w.Role != "" && w.Via != "":
		return w.Name + " (" + w.Via + ")"
	}
	return w.Name
}

// roleName is the name in a role's ARN.
func roleName(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

func (p *Principals) account(id string) string {
	if n, ok := p.Accounts[id]; ok {
		return n
	}
	return id
}

// Resolve says who made a request.
func (p *Principals) Resolve(id *Identity) Who {
	w := Who{Type: id.Type, ARN: id.ARN, Account: p.account(id.AccountID)}
	switch id.Type {
	case "IAMUser":
		w.Name = id.UserName
		if w.Name == "" {
			w.Name = roleName(id.ARN)
		}
		w.User = w.Name
	case "AssumedRole":
		session := roleName(id.ARN) // arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION
		w.Role = id.IssuerARN
		if w.Role == "" {
			// arn:aws:sts::A:assumed-role/R/S → arn:aws:iam::A:role/R
			if rest, ok := strings.CutPrefix(id.ARN, "arn:aws:sts::"); ok {
				acct, path, _ := strings.Cut(rest, ":assumed-role/")
				r, _, _ := strings.Cut(path, "/")
				w.Role = "arn:aws:iam::" + acct + ":role/" + r
			}
		}
		if id.IssuerAccountID != "" {
			w.Account = p.account(id.IssuerAccountID)
		}
		if group, ok := p.GroupRoles[w.Role]; ok {
			// The trust makes the session name the Development user's
			// name; a source identity, set by that user, must agree.
			w.User, w.Name, w.Via = session, session, group
			w.Account = "development"
			if id.SourceIdentity != "" && id.SourceIdentity != session {
				w.Note = "source identity " + id.SourceIdentity + " is not the session's name " + session
			}
			break
		}
		if svc, ok := p.ServiceRoles[w.Role]; ok {
			w.Name, w.Via = roleName(w.Role), svc
			break
		}
		w.Name = roleName(w.Role) + "/" + session
		if id.SourceIdentity != "" {
			w.Name += " (source identity " + id.SourceIdentity + ")"
		}
	case "AWSService":
		w.Name = id.InvokedBy
		w.Account = ""
	case "Root":
		w.Name = "root of " + w.Account
	case "AWSAccount":
		// A caller of another account, as the resource's account sees it
		// (a cross-account AssumeRole): the account and the caller's ID.
		w.Name = "account " + w.Account
		if id.PrincipalID != "" {
			w.Name += " (" + id.PrincipalID + ")"
		}
	default:
		w.Name = id.ARN
		if w.Name == "" {
			w.Name = id.Type
		}
		if id.InvokedBy != "" {
			w.Name = id.InvokedBy
		}
	}
	if w.Name == "" {
		w.Name = "unknown"
	}
	return w
}

// matches says whether a --who value names the caller: a Development
// user's name (IAM names are case-insensitive), the caller's or its role's
// ARN, the role's name, or a service's name.
func (w *Who) matches(v string) bool {
	if v == "" {
		return true
	}
	for _, s := range []string{w.User, w.Role, w.ARN, roleNameIf(w.Role)} {
		if s != "" && strings.EqualFold(s, v) {
			return true
		}
	}
	return w.Type == "AWSService" && w.Name == v || w.Type == "Root" && (v == "root" || v == w.Name)
}

func roleNameIf(arn string) string {
	if arn == "" {
		return ""
	}
	return roleName(arn)
}
