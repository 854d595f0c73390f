package sandbox

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/xacct/xacct/internal/iampolicy"
)

const stsNS = "https://sts.amazonaws.com/doc/2011-06-15/"

var sessionNameRE = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

func (g *gateway) serveSTS(c *call) {
	form, err := url.ParseQuery(string(c.body))
	if err != nil {
		g.fail(c, http.StatusBadRequest, "MalformedQueryString", err.Error())
		return
	}
	switch form.Get("Action") {
	case "GetCallerIdentity":
		p := c.principal()
		userID := p.UserID
		if p.Kind == "session" {
			userID = p.RoleID + ":" + p.SessionName
		}
		writeQuery(c, stsNS, "GetCallerIdentity", fmt.Sprintf("<Arn>%s</Arn><UserId>%s</UserId><Account>%s</Account>",
			xmlEscape(p.ARN), xmlEscape(userID), p.Account))
	case "AssumeRole":
		g.assumeRole(c, form)
	case "GetSessionToken":
		g.getSessionToken(c, form)
	default:
		g.fail(c, http.StatusBadRequest, "InvalidAction", fmt.Sprintf("the xacct sandbox's STS does not implement %q", form.Get("Action")))
	}
}

// writeQuery writes a Query-protocol (IAM, STS) success response.
func writeQuery(c *call, ns, action, result string) {
	c.w.Header().Set("Content-Type", "text/xml")
	c.w.Header().Set("X-Amzn-RequestId", c.reqID)
	resultElem := ""
	if result != "" {
		resultElem = fmt.Sprintf("<%sResult>%s</%sResult>", action, result, action)
	}
	fmt.Fprintf(c.w, `<%sResponse xmlns="%s">%s<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>`,
		action, ns, resultElem, c.reqID, action)
}

func (g *gateway) assumeRole(c *call, form url.Values) {
	ctx := c.r.Context()
	roleARN := form.Get("RoleArn")
	session := form.Get("RoleSessionName")
	if !sessionNameRE.MatchString(session) {
		g.fail(c, http.StatusBadRequest, "ValidationError", "1 validation error detected: Value at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*, length 2-64")
		return
	}
	duration := 3600
	if d := form.Get("DurationSeconds"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 900 || n > 43200 {
			g.fail(c, http.StatusBadRequest, "ValidationError", "DurationSeconds must be between 900 and 43200")
			return
		}
		duration = n
	}
	var sessionPolicy string
	if sp := form.Get("Policy"); sp != "" {
		if _, err := iampolicy.Parse([]byte(sp), iampolicy.Session); err != nil {
			g.fail(c, http.StatusBadRequest, "MalformedPolicyDocument", err.Error())
			return
		}
		sessionPolicy = sp
	}
	p := c.principal()
	denied := func() {
		g.deny(c, "sts:AssumeRole", roleARN, iampolicy.Result{Decision: iampolicy.ImplicitDeny, Detail: "trust policy"})
	}
	account, roleName, ok := parseRoleARN(roleARN)
	b := g.sb.accounts[account]
	if !ok || b == nil {
		denied()
		return
	}
	role, err := b.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(roleName)})
	if err != nil {
		// AWS answers AccessDenied for a role that does not exist.
		denied()
		return
	}
	realARN := strings.ReplaceAll(aws.ToString(role.Role.Arn), kumoIAMAccount, account)
	if realARN != roleARN {
		denied()
		return
	}
	trust, err := iampolicy.ParseEncoded(aws.ToString(role.Role.AssumeRolePolicyDocument), iampolicy.Trust)
	if err != nil {
		g.fail(c, http.StatusInternalServerError, "InternalError", "trust policy of "+roleARN+" does not parse: "+err.Error())
		return
	}
	// A device and code must be the caller's device and its current code
	// (mfa.go).
	present, valid := g.mfaChecked(p.Account, p.UserName, form)
	if present && !valid {
		g.fail(c, http.StatusForbidden, "AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code.")
		return
	}
	mfa := p.MFA || valid
	extra := map[string][]string{}
	if mfa {
		extra["aws:MultiFactorAuthPresent"] = []string{"true"}
		extra["aws:MultiFactorAuthAge"] = []string{"0"}
	} else if p.Kind == "user" {
		// Long-term keys carry no MFA context key at all.
		extra["aws:MultiFactorAuthPresent"] = nil
	}
	srcID := form.Get("SourceIdentity")
	if srcID == "" {
		srcID = p.SourceIdentity
	}
	tags := sessionTags(form)
	if msg := validateSessionTags(tags, form); msg != "" {
		g.fail(c, http.StatusBadRequest, "ValidationError", msg)
		return
	}
	trustPolicy := &iampolicy.NamedPolicy{Name: "trust policy", Policy: trust}
	for _, ar := range assumeRoleAuthz(form, roleARN, account, extra) {
		ar.resourcePolicy = trustPolicy
		res, err := g.authorize(ctx, c, ar)
		if err != nil {
			g.fail(c, http.StatusInternalServerError, "InternalError", err.Error())
			return
		}
		if res.Decision != iampolicy.Allowed {
			g.deny(c, ar.action, roleARN, res)
			return
		}
	}
	if _, fresh := g.prop.fresh(g.iamDelay(), account, "trust/"+roleName); fresh {
		// A role just made (or its trust just changed) is not assumable
		// until IAM has propagated it.
		denied()
		return
	}
	policyArns, ok := g.sessionPolicyArns(c, form, account)
	if !ok {
		return
	}
	if p.Kind == "session" && duration > 3600 {
		g.fail(c, http.StatusBadRequest, "ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
		return
	}
	if max := int(aws.ToInt32(role.Role.MaxSessionDuration)); duration > max && (max > 0 || duration > 3600) {
		g.fail(c, http.StatusBadRequest, "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
		return
	}
	roleTags := map[string]string{}
	for _, t := range role.Role.Tags {
		roleTags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	principalTags, transitive, err := chainSessionTags(roleTags, tags, transitiveTagKeys(form), p.TransitiveTags)
	if err != nil {
		g.fail(c, http.StatusBadRequest, "InvalidParameterValue", err.Error())
		return
	}
	cred := &credential{
		AccessKey: newAccessKeyID("ASIA"),
		Secret:    newSecret(),
		Token:     newSessionToken(),
		Issued:    time.Now().UTC().Truncate(time.Second),
		Expires:   time.Now().Add(time.Duration(duration) * time.Second).UTC().Truncate(time.Second),
		Principal: principal{
			Account:           account,
			ARN:               fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", account, roleName, session),
			Kind:              "session",
			RoleName:          roleName,
			RoleARN:           realARN,
			RoleID:            awsID(aws.ToString(role.Role.RoleId)),
			SessionName:       session,
			SessionPolicy:     sessionPolicy,
			SessionPolicyArns: policyArns,
			MFA:               mfa,
			SourceIdentity:    srcID,
			Tags:              principalTags,
			TransitiveTags:    transitive,
		},
	}
	if err := g.st.update(func() error { g.st.Creds[cred.AccessKey] = cred; return nil }); err != nil {
		g.fail(c, http.StatusInternalServerError, "InternalError", err.Error())
		return
	}
	src := ""
	if srcID != "" {
		src = "<SourceIdentity>" + xmlEscape(srcID) + "</SourceIdentity>"
	}
	writeQuery(c, stsNS, "AssumeRole", fmt.Sprintf(
		"<Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>%s</SecretAccessKey><SessionToken>%s</SessionToken><Expiration>%s</Expiration></Credentials>"+
			"<AssumedRoleUser><AssumedRoleId>%s:%s</AssumedRoleId><Arn>%s</Arn></AssumedRoleUser>%s",
		cred.AccessKey, cred.Secret, cred.Token, cred.Expires.Format(time.RFC3339),
		xmlEscape(cred.Principal.RoleID), xmlEscape(session), xmlEscape(cred.Principal.ARN), src))
}

// assumeRoleAuthz is what an AssumeRole is authorized as, on the role it
// names (held by account): sts:AssumeRole, then sts:SetSourceIdentity when
// it sets a source identity and sts:TagSession when it passes session tags
// (IAM User Guide, "Permissions required to ... pass session tags" and
// "... set source identity"). All three share ctx, to which it adds the
// condition keys the request carries; the caller has put in the MFA keys
// and validated the tags.
func assumeRoleAuthz(form url.Values, roleARN, account string, ctx map[string][]string) []authzRequest {
	ctx["sts:RoleSessionName"] = []string{form.Get("RoleSessionName")}
	if e := form.Get("ExternalId"); e != "" {
		ctx["sts:ExternalId"] = []string{e}
	}
	actions := []string{"sts:AssumeRole"}
	if si := form.Get("SourceIdentity"); si != "" {
		ctx["sts:SourceIdentity"] = []string{si}
		actions = append(actions, "sts:SetSourceIdentity")
	}
	if tags := sessionTags(form); len(tags) > 0 {
		actions = append(actions, "sts:TagSession")
		keys := make([]string, 0, len(tags))
		for k, v := range tags {
			ctx["aws:RequestTag/"+k] = []string{v}
			keys = append(keys, k)
		}
		sort.Strings(keys)
		ctx["aws:TagKeys"] = keys
		// The keys it makes transitive: the reference gives
		// sts:TransitiveTagKeys to AssumeRole and TagSession.
		if tk := transitiveTagKeys(form); len(tk) > 0 {
			ctx["sts:TransitiveTagKeys"] = tk
		}
	}
	ars := make([]authzRequest, 0, len(actions))
	for _, action := range actions {
		ars = append(ars, authzRequest{action: action, resource: roleARN, resourceAccount: account, context: ctx})
	}
	return ars
}

// sessionTags are the Tags.member.N.Key/Value pairs of an AssumeRole.
func sessionTags(form url.Values) map[string]string {
	tags := map[string]string{}
	for i := 1; ; i++ {
		k := form.Get(fmt.Sprintf("Tags.member.%d.Key", i))
		if k == "" {
			return tags
		}
		tags[k] = form.Get(fmt.Sprintf("Tags.member.%d.Value", i))
	}
}

// transitiveTagKeys are the TransitiveTagKeys.member.N of an AssumeRole.
func transitiveTagKeys(form url.Values) []string {
	var keys []string
	for i := 1; ; i++ {
		k := form.Get(fmt.Sprintf("TransitiveTagKeys.member.%d", i))
		if k == "" {
			return keys
		}
		keys = append(keys, k)
	}
}

// validateSessionTags checks an AssumeRole's tags as STS validates them: at
// most 50 tags, keys of 1-128 and values of at most 256 characters, no two
// keys that differ only in case, and TransitiveTagKeys naming tags passed
// in the same request. It returns "" when they are valid.
func validateSessionTags(tags map[string]string, form url.Values) string {
	if len(tags) > 50 {
		return "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"
	}
	lower := map[string]bool{}
	for k, v := range tags {
		if len(k) > 128 || len(v) > 256 {
			return "1 validation error detected: Value at 'tags' failed to satisfy constraint: a tag key must be at most 128 and a value at most 256 characters long"
		}
		if lower[strings.ToLower(k)] {
			return "Duplicate tag keys found. Please note that Tag keys are case insensitive."
		}
		lower[strings.ToLower(k)] = true
	}
	keys := transitiveTagKeys(form)
	if len(keys) > 50 {
		return "1 validation error detected: Value at 'transitiveTagKeys' failed to satisfy constraint: Member must have length less than or equal to 50"
	}
	for _, k := range keys {
		if !lower[strings.ToLower(k)] {
			return "The specified transitive tag key " + k + " must be included in the requested tags."
		}
	}
	return ""
}

// chainSessionTags computes a new role session's principal tags and the
// transitive tags it passes on, as the IAM User Guide's "Passing session
// tags in AWS STS" describes: the role's own tags, overridden by the
// incoming transitive tags of the caller's session and by the tags passed
// now (tag keys compare without case). A tag passed now may not override
// an incoming transitive tag. The transitive tags of the new session are
// the incoming ones plus those named in TransitiveTagKeys, so they persist
// along the whole role chain.
func chainSessionTags(roleTags, requested map[string]string, transitiveKeys []string, incoming map[string]string) (tags, transitive map[string]string, err error) {
	for k := range requested {
		for in := range incoming {
			if strings.EqualFold(k, in) {
				return nil, nil, fmt.Errorf("the session tag %s cannot override the transitive session tag %s of the role chain", k, in)
			}
		}
	}
	tags = map[string]string{}
	set := func(m map[string]string) {
		for k, v := range m {
			for old := range tags {
				if strings.EqualFold(old, k) {
					delete(tags, old)
				}
			}
			tags[k] = v
		}
	}
	set(roleTags)
	set(incoming)
	set(requested)
	if len(incoming)+len(transitiveKeys) > 0 {
		transitive = map[string]string{}
		for k, v := range incoming {
			transitive[k] = v
		}
		for _, tk := range transitiveKeys {
			for k, v := range requested {
				if strings.EqualFold(k, tk) {
					transitive[k] = v
				}
			}
		}
	}
	if len(tags) == 0 {
		tags = nil
	}
	return tags, transitive, nil
}

// getSessionToken gives an IAM user temporary credentials with the user's
// own permissions, with MFA when a serial number and code come with it:
// the user's enabled device and its current code, checked as AssumeRole
// checks them (mfa.go).
func (g *gateway) getSessionToken(c *call, form url.Values) {
	p := c.principal()
	if p.Kind != "user" || c.cred.Token != "" {
		g.fail(c, http.StatusForbidden, "AccessDenied", "Cannot call GetSessionToken with session credentials")
		return
	}
	duration := 43200
	if d := form.Get("DurationSeconds"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 900 || n > 129600 {
			g.fail(c, http.StatusBadRequest, "ValidationError", "1 validation error detected: Value '"+d+"' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 129600")
			return
		}
		duration = n
	}
	present, valid := g.mfaChecked(p.Account, p.UserName, form)
	if present && !valid {
		g.fail(c, http.StatusForbidden, "AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code.")
		return
	}
	pr := *p
	pr.MFA = valid
	cred := &credential{AccessKey: newAccessKeyID("ASIA"), Secret: newSecret(), Token: newSessionToken(),
		Expires: time.Now().Add(time.Duration(duration) * time.Second).UTC().Truncate(time.Second), Principal: pr,
		Issued: time.Now().UTC().Truncate(time.Second)}
	if err := g.st.update(func() error { g.st.Creds[cred.AccessKey] = cred; return nil }); err != nil {
		g.fail(c, http.StatusInternalServerError, "InternalError", err.Error())
		return
	}
	writeQuery(c, stsNS, "GetSessionToken", fmt.Sprintf(
		"<Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>%s</SecretAccessKey><SessionToken>%s</SessionToken><Expiration>%s</Expiration></Credentials>",
		cred.AccessKey, cred.Secret, cred.Token, cred.Expires.Format(time.RFC3339)))
}

// parseRoleARN splits arn:aws:iam::ID:role/path/name.
func parseRoleARN(arn string) (account, name string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || !accountIDRE.MatchString(parts[4]) || !strings.HasPrefix(parts[5], "role/") {
		return "", "", false
	}
	res := parts[5]
	return parts[4], res[strings.LastIndexByte(res, '/')+1:], true
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func newAccessKeyID(prefix string) string { return prefix + b32.EncodeToString(randomBytes(10)) }

func newSecret() string { return base64.RawStdEncoding.EncodeToString(randomBytes(30)) }

func newSessionToken() string { return "IQoJ" + base64.RawStdEncoding.EncodeToString(randomBytes(150)) }
