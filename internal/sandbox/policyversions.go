package sandbox

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/xacct/xacct/internal/iampolicy"
)

// maxPolicyVersions is how many versions IAM keeps of a managed policy.
const maxPolicyVersions = 5

// policyVersions are the versions of a customer managed policy, which kumo
// does not keep (it knows only v1).
type policyVersions struct {
	Default string               `json:"default"`
	Docs    map[string]string    `json:"docs"` // version ID -> JSON document
	Created map[string]time.Time `json:"created"`
	Next    int                  `json:"next"`
}

// versionNumber is 3 for "v3", 0 for anything else.
func versionNumber(id string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(id, "v"))
	if err != nil || !strings.HasPrefix(id, "v") {
		return 0
	}
	return n
}

// versionsOf returns the versions of a customer managed policy the gateway
// knows, creating the record of its first version; nil if there is no such
// policy. The caller holds mu.
func (a *accountState) versionsOf(arn string, created time.Time) *policyVersions {
	doc, ok := a.Managed[arn]
	if !ok {
		return nil
	}
	if a.PolicyVersions == nil {
		a.PolicyVersions = map[string]*policyVersions{}
	}
	pv := a.PolicyVersions[arn]
	if pv == nil {
		pv = &policyVersions{Default: "v1", Docs: map[string]string{"v1": doc}, Created: map[string]time.Time{"v1": created}, Next: 2}
		a.PolicyVersions[arn] = pv
	}
	return pv
}

// kumoPolicyCreated is when kumo says the policy was created (now if it
// cannot say).
func (g *gateway) kumoPolicyCreated(c *call, account, arn string) time.Time {
	b := g.sb.accounts[account]
	p, err := b.iam.GetPolicy(c.r.Context(), &iam.GetPolicyInput{PolicyArn: aws.String(strings.Replace(arn, ":"+account+":", ":"+kumoIAMAccount+":", 1))})
	if err != nil {
		return time.Now().UTC().Truncate(time.Second)
	}
	return aws.ToTime(p.Policy.CreateDate)
}

func policyVersionXML(id string, isDefault bool, created time.Time, doc string) string {
	s := "<PolicyVersion>"
	if doc != "" {
		s += xmlElem("Document", encodeDocument(doc))
	}
	return s + xmlElem("VersionId", id) + xmlElem("IsDefaultVersion", strconv.FormatBool(isDefault)) +
		xmlElem("CreateDate", created.UTC().Format(time.RFC3339)) + "</PolicyVersion>"
}

// servePolicyVersions answers the policy version actions for customer
// managed policies (and, for reading, AWS-managed ones). It reports whether
// it handled the action.
func (g *gateway) servePolicyVersions(c *call, account, action string, form url.Values) bool {
	switch action {
	case "GetPolicyVersion", "ListPolicyVersions", "CreatePolicyVersion", "DeletePolicyVersion", "SetDefaultPolicyVersion":
	default:
		return false
	}
	arn := form.Get("PolicyArn")
	ok := func(result string) { writeQuery(c, iamNS, action, result) }
	if m, found := awsManagedByARN(arn); found {
		switch action {
		case "GetPolicyVersion":
			if form.Get("VersionId") != m.Version {
				g.fail(c, http.StatusNotFound, "NoSuchEntity", fmt.Sprintf("Policy %s version %s does not exist or is not attachable.", arn, form.Get("VersionId")))
				return true
			}
			ok(policyVersionXML(m.Version, true, awsManagedCreated, m.Doc))
		case "ListPolicyVersions":
			ok("<Versions><member>" + strings.TrimSuffix(strings.TrimPrefix(policyVersionXML(m.Version, true, awsManagedCreated, ""), "<PolicyVersion>"), "</PolicyVersion>") +
				"</member></Versions>" + listResult(""))
		default:
			// AWS-managed policies belong to AWS, not to the account.
			g.fail(c, http.StatusForbidden, "AccessDenied", fmt.Sprintf("User: %s is not authorized to perform: iam:%s on resource: policy %s", c.principal().ARN, action, arn))
		}
		return true
	}
	var created time.Time
	var exists bool
	g.st.view(func() { _, exists = g.st.account(account).Managed[arn] })
	if exists {
		created = g.kumoPolicyCreated(c, account, arn)
	}
	noPolicy := func() { g.fail(c, http.StatusNotFound, "NoSuchEntity", fmt.Sprintf("Policy %s was not found.", arn)) }
	noVersion := func() {
		g.fail(c, http.StatusNotFound, "NoSuchEntity", fmt.Sprintf("Policy %s version %s does not exist or is not attachable.", arn, form.Get("VersionId")))
	}
	if action == "CreatePolicyVersion" {
		if _, err := iampolicy.ParseEncoded(form.Get("PolicyDocument"), iampolicy.Identity); err != nil {
			g.fail(c, http.StatusBadRequest, "MalformedPolicyDocument", err.Error())
			return true
		}
	}
	var result string
	var status int
	var code, msg string
	fail := func(s int, cd, m string) { status, code, msg = s, cd, m }
	_ = g.st.update(func() error {
		as := g.st.account(account)
		pv := as.versionsOf(arn, created)
		if pv == nil {
			fail(http.StatusNotFound, "", "")
			return nil
		}
		id := form.Get("VersionId")
		switch action {
		case "GetPolicyVersion":
			doc, has := pv.Docs[id]
			if !has {
				fail(http.StatusNotFound, "version", "")
				return nil
			}
			result = policyVersionXML(id, id == pv.Default, pv.Created[id], doc)
		case "ListPolicyVersions":
			ids := make([]string, 0, len(pv.Docs))
			for v := range pv.Docs {
				ids = append(ids, v)
			}
			// Newest first, as IAM lists them.
			slices.SortFunc(ids, func(a, b string) int { return versionNumber(b) - versionNumber(a) })
			var members strings.Builder
			for _, v := range ids {
				x := policyVersionXML(v, v == pv.Default, pv.Created[v], "")
				members.WriteString("<member>" + strings.TrimSuffix(strings.TrimPrefix(x, "<PolicyVersion>"), "</PolicyVersion>") + "</member>")
			}
			result = "<Versions>" + members.String() + "</Versions>" + listResult("")
		case "CreatePolicyVersion":
			if len(pv.Docs) >= maxPolicyVersions {
				fail(http.StatusConflict, "LimitExceeded", "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.")
				return nil
			}
			doc, _ := iampolicy.DecodeDocument(form.Get("PolicyDocument"))
			v := "v" + strconv.Itoa(pv.Next)
			pv.Next++
			pv.Docs[v] = doc
			pv.Created[v] = time.Now().UTC().Truncate(time.Second)
			if form.Get("SetAsDefault") == "true" {
				pv.Default = v
				as.Managed[arn] = doc
			}
			result = policyVersionXML(v, v == pv.Default, pv.Created[v], "")
		case "DeletePolicyVersion":
			switch _, has := pv.Docs[id]; {
			case !has:
				fail(http.StatusNotFound, "version", "")
			case id == pv.Default:
				fail(http.StatusConflict, "DeleteConflict", "Cannot delete the default version of a policy.")
			default:
				delete(pv.Docs, id)
				delete(pv.Created, id)
			}
		case "SetDefaultPolicyVersion":
			doc, has := pv.Docs[id]
			if !has {
				fail(http.StatusNotFound, "version", "")
				return nil
			}
			pv.Default = id
			as.Managed[arn] = doc
		}
		return nil
	})
	switch {
	case status == http.StatusNotFound && code == "":
		noPolicy()
	case status == http.StatusNotFound:
		noVersion()
	case status != 0:
		g.fail(c, status, code, msg)
	default:
		ok(result)
	}
	return true
}

// defaultVersionOf is the default version ID of a customer managed policy
// ("v1" until it has others).
func (g *gateway) defaultVersionOf(account, arn string) string {
	v := "v1"
	g.st.view(func() {
		if pv := g.st.account(account).PolicyVersions[arn]; pv != nil {
			v = pv.Default
		}
	})
	return v
}

// policyVersionCount is how many versions the policy has (1 until it has
// others).
func (g *gateway) policyVersionCount(account, arn string) int {
	n := 1
	g.st.view(func() {
		if pv := g.st.account(account).PolicyVersions[arn]; pv != nil {
			n = len(pv.Docs)
		}
	})
	return n
}
