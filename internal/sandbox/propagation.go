package sandbox

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/xacct/xacct/internal/iampolicy"
)

// propagation is IAM's eventual consistency, simulated (xacct sandbox
// --faults iam-delay=D): a role, user, group, managed policy or function
// permission that changed less than D ago is not yet honoured where AWS is
// known to lag — STS will not assume a new role, Lambda will not take a new
// execution role, S3 will not validate a notification to a function whose
// permission was just added, and a request allowed only thanks to the
// change is denied. A change that takes access away is honoured at once (the
// safe side; AWS may honour the old grant for a while).
type propagation struct {
	mu      sync.Mutex
	changed map[string]time.Time // account + "|" + entity key -> last change
	now     func() time.Time
}

func newPropagation() *propagation {
	return &propagation{changed: map[string]time.Time{}, now: time.Now}
}

// Entity keys: "role/NAME" (a role and its permissions), "trust/NAME" (a
// role's existence and trust policy), "user/NAME", "group/NAME",
// "policy/ARN" (a managed policy's versions), "function/NAME" (a function's
// resource policy).

// touch records that the entities changed now.
func (pg *propagation) touch(account string, keys ...string) {
	pg.mu.Lock()
	defer pg.mu.Unlock()
	t := pg.now()
	for _, k := range keys {
		pg.changed[account+"|"+k] = t
	}
}

// fresh returns the first of the keys whose change is younger than delay.
func (pg *propagation) fresh(delay time.Duration, account string, keys ...string) (string, bool) {
	if delay <= 0 {
		return "", false
	}
	pg.mu.Lock()
	defer pg.mu.Unlock()
	now := pg.now()
	for _, k := range keys {
		if t, ok := pg.changed[account+"|"+k]; ok && now.Sub(t) < delay {
			return k, true
		}
	}
	return "", false
}

// iamDelay is the propagation delay in force (zero: none).
func (g *gateway) iamDelay() time.Duration {
	if in := g.sb.faults.Load(); in != nil {
		return in.f.IAMDelay
	}
	return 0
}

// changedEntities are the entities an IAM write names: the role, user or
// group it changes (a membership changes both user and group) and a managed
// policy whose versions it changes.
func changedEntities(action string, form url.Values) []string {
	var keys []string
	for _, p := range []struct{ param, kind string }{{"RoleName", "role/"}, {"UserName", "user/"}, {"GroupName", "group/"}} {
		if v := form.Get(p.param); v != "" {
			keys = append(keys, p.kind+v)
		}
	}
	if action == "CreateRole" || action == "UpdateAssumeRolePolicy" {
		keys = append(keys, "trust/"+form.Get("RoleName"))
	}
	if arn := form.Get("PolicyArn"); arn != "" && strings.Contains(action, "PolicyVersion") {
		keys = append(keys, "policy/"+arn)
	}
	return keys
}

// principalEntities are the entities whose state decides what the
// principal's identity policies allow.
func (g *gateway) principalEntities(p *principal, ids []iampolicy.NamedPolicy) []string {
	var keys []string
	switch p.Kind {
	case "user":
		keys = append(keys, "user/"+p.UserName)
		g.st.view(func() {
			for _, gr := range g.st.account(p.Account).groupsOf(p.UserName) {
				keys = append(keys, "group/"+gr.Name)
			}
		})
	case "session":
		keys = append(keys, "role/"+p.RoleName)
	}
	for _, np := range ids {
		if _, arn, ok := strings.Cut(np.Name, "managed policy "); ok {
			keys = append(keys, "policy/"+arn)
		}
	}
	return keys
}

// notYetPropagated turns an Allow that depends on a change younger than the
// delay into an implicit deny.
func (g *gateway) notYetPropagated(p *principal, ids []iampolicy.NamedPolicy, res iampolicy.Result) iampolicy.Result {
	if res.Decision != iampolicy.Allowed || p == nil {
		return res
	}
	if k, ok := g.prop.fresh(g.iamDelay(), p.Account, g.principalEntities(p, ids)...); ok {
		return iampolicy.Result{Decision: iampolicy.ImplicitDeny, Detail: "identity policy (" + k + " changed moments ago; IAM has not propagated it yet)"}
	}
	return res
}

// statusWriter remembers the status of the response written through it.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// afterSuccess records the call's response status and runs fn once the
// handler has answered with a 2xx. Use: defer g.afterSuccess(c, fn)().
func afterSuccess(c *call, fn func()) func() {
	sw := &statusWriter{ResponseWriter: c.w}
	c.w = sw
	return func() {
		if sw.status == 0 || sw.status/100 == 2 {
			fn()
		}
	}
}

// permissionFresh reports whether the function's resource policy changed
// less than the delay ago, so S3 cannot validate it as a destination yet.
func (g *gateway) permissionFresh(fnARN string) (string, bool) {
	account, name, ok := parseFunctionARN(fnARN)
	if !ok {
		return "", false
	}
	return g.prop.fresh(g.iamDelay(), account, "function/"+name)
}
