package sandbox

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// credential is a key pair the sandbox accepts, and who it belongs to.
type credential struct {
	AccessKey string    `json:"access_key"`
	Secret    string    `json:"secret"`
	Token     string    `json:"token,omitempty"`
	Expires   time.Time `json:"expires,omitzero"` // zero for long-term keys
	// Issued is when temporary credentials were made (CloudTrail's
	// sessionContext.attributes.creationDate); zero for long-term keys
	// and for sessions saved before it was kept.
	Issued    time.Time `json:"issued,omitzero"`
	Principal principal `json:"principal"`
}

// principal is who makes a request.
type principal struct {
	Account       string `json:"account"`
	ARN           string `json:"arn"`  // user ARN or assumed-role session ARN
	Kind          string `json:"kind"` // "user", "session", or "service" (never saved: the sandbox's own deliveries)
	UserName      string `json:"user_name,omitempty"`
	UserID        string `json:"user_id,omitempty"`
	RoleName      string `json:"role_name,omitempty"`
	RoleARN       string `json:"role_arn,omitempty"`
	RoleID        string `json:"role_id,omitempty"`
	SessionName   string `json:"session_name,omitempty"`
	SessionPolicy string `json:"session_policy,omitempty"`
	// SessionPolicyArns are the managed session policies (PolicyArns) of
	// a role session.
	SessionPolicyArns []string `json:"session_policy_arns,omitempty"`
	MFA               bool     `json:"mfa,omitempty"`
	SourceIdentity    string   `json:"source_identity,omitempty"`
	// Tags are a role session's principal tags (aws:PrincipalTag/…): the
	// role's tags when the session was made, overridden by its session
	// tags; TransitiveTags are those it passes on along a role chain.
	Tags           map[string]string `json:"tags,omitempty"`
	TransitiveTags map[string]string `json:"transitive_tags,omitempty"`
	// ServiceContext is the context a service principal's request carries
	// (aws:SourceArn, aws:SourceAccount).
	ServiceContext map[string][]string `json:"-"`
}

// group is an IAM group, which kumo lacks.
type group struct {
	Name     string            `json:"name"`
	Path     string            `json:"path"`
	ID       string            `json:"id"`
	Created  time.Time         `json:"created"`
	Policies map[string]string `json:"policies"`           // name -> JSON document
	Members  []string          `json:"members"`            // user names
	Attached []string          `json:"attached,omitempty"` // managed policy ARNs
}

// bucketMeta is what the gateway keeps about a bucket besides kumo.
type bucketMeta struct {
	Owner        string          `json:"owner"` // account ID
	Ownership    string          `json:"ownership,omitempty"`
	Notification json.RawMessage `json:"notification,omitempty"` // parsed notification configuration
	// Versioning is the status last set through the gateway ("", Enabled,
	// Suspended); VersionKey (hex) keys the bucket's version IDs
	// (s3versions.go), "" for buckets created before it existed.
	Versioning string `json:"versioning,omitempty"`
	VersionKey string `json:"version_key,omitempty"`
}

// accountState is the gateway's own IAM data for one account.
type accountState struct {
	Groups       map[string]*group            `json:"groups"`
	UserPolicies map[string]map[string]string `json:"user_policies"` // user -> name -> document
	Managed      map[string]string            `json:"managed"`       // policy ARN -> document
	UserAttached map[string][]string          `json:"user_attached"` // user -> managed policy ARNs
	RoleAttached map[string][]string          `json:"role_attached"` // role -> AWS-managed policy ARNs (kumo keeps the customer ones)
	// PolicyVersions are the versions of customer managed policies, kept
	// from the first version call on; Managed holds each default document.
	PolicyVersions map[string]*policyVersions `json:"policy_versions,omitempty"`
	InvokeConfig   map[string]json.RawMessage `json:"invoke_config"` // function -> event invoke config
	Boundaries     map[string]string          `json:"boundaries"`    // "role/NAME" or "user/NAME" -> policy ARN
	// PublicAccessBlock is the account-level S3 Block Public Access
	// setting (s3bpa.go); nil when none was put.
	PublicAccessBlock *publicAccessBlock `json:"public_access_block,omitempty"`
	// MFADevices are the virtual MFA devices (mfa.go), by serial number.
	MFADevices map[string]*mfaDevice `json:"mfa_devices,omitempty"`
	// FunctionPolicies are the functions' resource-based policies
	// (lambdapolicy.go), by function name.
	FunctionPolicies map[string]*functionPolicy `json:"function_policies,omitempty"`
}

// state is everything the gateway keeps; with a data dir it is saved to
// gateway.json after every change.
type state struct {
	mu       sync.Mutex
	path     string
	Creds    map[string]*credential   `json:"credentials"`
	Buckets  map[string]*bucketMeta   `json:"buckets"`
	Accounts map[string]*accountState `json:"accounts"`
	// Jobs are the S3 Batch Operations jobs (batchops.go), by job ID.
	Jobs map[string]*batchJob `json:"batch_jobs,omitempty"`
}

func loadState(dir string) (*state, error) {
	st := &state{Creds: map[string]*credential{}, Buckets: map[string]*bucketMeta{}, Accounts: map[string]*accountState{}, Jobs: map[string]*batchJob{}}
	if dir == "" {
		return st, nil
	}
	st.path = filepath.Join(dir, "gateway.json")
	b, err := os.ReadFile(st.path)
	if os.IsNotExist(err) {
		return st, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("sandbox state %s: %w", st.path, err)
	}
	if st.Jobs == nil {
		st.Jobs = map[string]*batchJob{}
	}
	for _, c := range st.Creds {
		// Saved before the gateway showed AWS-shaped IDs.
		c.Principal.UserID, c.Principal.RoleID = awsID(c.Principal.UserID), awsID(c.Principal.RoleID)
	}
	return st, nil
}

// saveLocked writes the state; the caller holds mu.
func (st *state) saveLocked() error {
	if st.path == "" {
		return nil
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp := st.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, st.path)
}

// update runs fn under the lock and saves.
func (st *state) update(fn func() error) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := fn(); err != nil {
		return err
	}
	return st.saveLocked()
}

func (st *state) view(fn func()) {
	st.mu.Lock()
	defer st.mu.Unlock()
	fn()
}

// account returns the account's state, creating it; the caller holds mu.
func (st *state) account(id string) *accountState {
	a := st.Accounts[id]
	if a == nil {
		a = &accountState{}
		st.Accounts[id] = a
	}
	if a.Groups == nil {
		a.Groups = map[string]*group{}
	}
	if a.UserPolicies == nil {
		a.UserPolicies = map[string]map[string]string{}
	}
	if a.Managed == nil {
		a.Managed = map[string]string{}
	}
	if a.UserAttached == nil {
		a.UserAttached = map[string][]string{}
	}
	if a.RoleAttached == nil {
		a.RoleAttached = map[string][]string{}
	}
	if a.InvokeConfig == nil {
		a.InvokeConfig = map[string]json.RawMessage{}
	}
	if a.Boundaries == nil {
		a.Boundaries = map[string]string{}
	}
	if a.FunctionPolicies == nil {
		a.FunctionPolicies = map[string]*functionPolicy{}
	}
	return a
}

func (st *state) credential(akid string) *credential {
	st.mu.Lock()
	defer st.mu.Unlock()
	c := st.Creds[akid]
	if c == nil {
		return nil
	}
	cp := *c
	return &cp
}

// groupsOf lists the groups a user belongs to, sorted; the caller holds mu.
func (a *accountState) groupsOf(user string) []*group {
	var out []*group
	for _, g := range a.Groups {
		for _, m := range g.Members {
			if m == user {
				out = append(out, g)
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// managedDoc is the document of a managed policy the account can attach:
// one created through the sandbox, or one of the AWS-managed policies the
// sandbox knows (managed.go).
func (a *accountState) managedDoc(arn string) (string, bool) {
	if m, ok := awsManagedByARN(arn); ok {
		return m.Doc, true
	}
	d, ok := a.Managed[arn]
	return d, ok
}
