package awsacct

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const (
	testRegion  = "eu-west-1"
	testSession = "xacct-test"

	// baseEndpoint is where the base configs point; an account's
	// EndpointURL must win over it, or requests go nowhere.
	baseEndpoint = "http://base-endpoint.invalid"

	prodRole   = "arn:aws:iam::222222222222:role/xacct"
	repRole    = "arn:aws:iam::333333333333:role/xacct"
	wrongRole  = "arn:aws:iam::444444444444:role/xacct"
	deniedRole = "arn:aws:iam::222222222222:role/denied"
)

// principal is who a set of credentials belongs to in the fake STS.
type principal struct {
	secret  string
	token   string // empty for long-term keys; required on requests otherwise
	account string
	arn     string
}

// principals are every access key the fake STS knows, by access key ID.
var principals = map[string]principal{
	"AKIAMGMT":  {secret: "mgmt-secret", account: "100000000000", arn: "arn:aws:iam::100000000000:user/deployer"},
	"AKIADEV":   {secret: "dev-secret", account: "111111111111", arn: "arn:aws:iam::111111111111:user/dev-admin"},
	"AKIAPROBE": {secret: "probe-secret", account: "111111111111", arn: "arn:aws:iam::111111111111:user/probe"},
	"ASIAPROD":  {secret: "prod-secret", token: "prod-token", account: "222222222222", arn: "arn:aws:sts::222222222222:assumed-role/xacct/" + testSession},
	"ASIAREP":   {secret: "rep-secret", token: "rep-token", account: "333333333333", arn: "arn:aws:sts::333333333333:assumed-role/xacct/" + testSession},
	"ASIAWRONG": {secret: "wrong-secret", token: "wrong-token", account: "444444444444", arn: "arn:aws:sts::444444444444:assumed-role/xacct/" + testSession},
}

// roles maps a role ARN to the access key ID AssumeRole hands out for it;
// a role not listed is refused with AccessDenied.
var roles = map[string]string{
	prodRole:  "ASIAPROD",
	repRole:   "ASIAREP",
	wrongRole: "ASIAWRONG",
}

// profiles maps a shared-config profile to its base access key ID.
var profiles = map[string]string{
	"mgmt": "AKIAMGMT",
	"dev":  "AKIADEV",
}

// call is one request the fake STS received.
type call struct {
	Action string
	Key    string // access key ID that signed the request
	Token  string // X-Amz-Security-Token
	Region string // region of the signature's credential scope
	// AssumeRole's parameters; ExternalID is nil when the form has none.
	RoleARN     string
	SessionName string
	ExternalID  []string
}

// fakeSTS answers AssumeRole and GetCallerIdentity in the AWS query
// protocol, according to the credentials that signed each request.
type fakeSTS struct {
	mu    sync.Mutex
	calls []call
	// throttle answers this many calls with Throttling before serving.
	throttle int
	// noAssumedUser leaves AssumedRoleUser out of AssumeRole's answer.
	noAssumedUser bool
}

var credentialRE = regexp.MustCompile(`Credential=([^/]+)/\d{8}/([^/]+)/sts/aws4_request`)

func (f *fakeSTS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		stsError(w, http.StatusBadRequest, "InvalidAction", "STS takes POST, got "+r.Method)
		return
	}
	if err := r.ParseForm(); err != nil {
		stsError(w, http.StatusBadRequest, "MalformedQueryString", err.Error())
		return
	}
	m := credentialRE.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		stsError(w, http.StatusForbidden, "MissingAuthenticationToken", "request is not signed")
		return
	}
	c := call{
		Action: r.PostForm.Get("Action"),
		Key:    m[1],
		Token:  r.Header.Get("X-Amz-Security-Token"),
		Region: m[2],
	}
	if c.Action == "AssumeRole" {
		c.RoleARN = r.PostForm.Get("RoleArn")
		c.SessionName = r.PostForm.Get("RoleSessionName")
		c.ExternalID = r.PostForm["ExternalId"]
	}
	f.mu.Lock()
	f.calls = append(f.calls, c)
	throttled := f.throttle > 0
	if throttled {
		f.throttle--
	}
	f.mu.Unlock()
	if throttled {
		stsError(w, http.StatusBadRequest, "Throttling", "Rate exceeded")
		return
	}

	caller, ok := principals[c.Key]
	if !ok || caller.token != c.Token {
		stsError(w, http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid.")
		return
	}
	switch c.Action {
	case "GetCallerIdentity":
		writeXML(w, fmt.Sprintf(`<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">`+
			`<GetCallerIdentityResult><Arn>%s</Arn><UserId>AIDEXAMPLE</UserId><Account>%s</Account></GetCallerIdentityResult>`+
			`<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
			escape(caller.arn), escape(caller.account)))
	case "AssumeRole":
		key, ok := roles[c.RoleARN]
		if !ok {
			stsError(w, http.StatusForbidden, "AccessDenied",
				fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", caller.arn, c.RoleARN))
			return
		}
		p := principals[key]
		user := `<AssumedRoleUser><Arn>%s</Arn><AssumedRoleId>AROAEXAMPLE:%s</AssumedRoleId></AssumedRoleUser>`
		if f.noAssumedUser {
			user = `<!-- %s %s -->`
		}
		writeXML(w, fmt.Sprintf(`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>`+
			user+
			`<Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>%s</SecretAccessKey><SessionToken>%s</SessionToken>`+
			`<Expiration>2099-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleResult>`+
			`<ResponseMetadata><RequestId>req-2</RequestId></ResponseMetadata></AssumeRoleResponse>`,
			escape(p.arn), escape(c.SessionName), escape(key), escape(p.secret), escape(p.token)))
	default:
		stsError(w, http.StatusBadRequest, "InvalidAction", "unknown action "+c.Action)
	}
}

func escape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func writeXML(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "text/xml")
	_, _ = w.Write([]byte(body))
}

func stsError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">`+
		`<Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>req-err</RequestId></ErrorResponse>`,
		escape(code), escape(msg))
}

// received is a copy of the calls so far, in arrival order; compare
// with sortCalls, as accounts sign in concurrently.
func (f *fakeSTS) received() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := append([]call(nil), f.calls...)
	return out
}

var sortCalls = cmpopts.SortSlices(func(a, b call) bool {
	if a.Key != b.Key {
		return a.Key < b.Key
	}
	if a.Action != b.Action {
		return a.Action < b.Action
	}
	return a.RoleARN < b.RoleARN
})

var errNoProfile = errors.New("profile not found")

// env is one test's fake STS and the base configs BaseConfig hands out.
type env struct {
	srv  *httptest.Server
	sts  *fakeSTS
	base BaseConfig

	mu       sync.Mutex
	profiles []string // every profile BaseConfig was asked for
}

func newEnv(t *testing.T) *env {
	t.Helper()
	f := &fakeSTS{}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	e := &env{srv: srv, sts: f}
	e.base = func(ctx context.Context, profile string) (aws.Config, error) {
		e.mu.Lock()
		e.profiles = append(e.profiles, profile)
		e.mu.Unlock()
		key, ok := profiles[profile]
		if !ok {
			return aws.Config{}, fmt.Errorf("%w: %q", errNoProfile, profile)
		}
		return e.baseConfig(key), nil
	}
	return e
}

// baseConfig is what the CLI's default chain would load: static
// credentials, a region and endpoint of its own, and the test's client.
func (e *env) baseConfig(key string) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(baseEndpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(key, principals[key].secret, principals[key].token),
		HTTPClient:   e.srv.Client(),
	}
}

func (e *env) seenProfiles() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.profiles...)
}

func (e *env) at(accounts ...Account) []Account {
	out := make([]Account, len(accounts))
	for i, a := range accounts {
		a.EndpointURL = e.srv.URL
		out[i] = a
	}
	return out
}

var (
	dev  = Account{Name: "development", ID: "111111111111", Profile: "dev"}
	prod = Account{Name: "production", ID: "222222222222", RoleARN: prodRole, ExternalID: "ext-123", Profile: "mgmt"}
	rep  = Account{Name: "reporting", ID: "333333333333", RoleARN: repRole, Profile: "mgmt"}
)

// gci is a GetCallerIdentity call signed with key.
func gci(key string) call {
	return call{Action: "GetCallerIdentity", Key: key, Token: principals[key].token, Region: testRegion}
}

// assume is an AssumeRole call signed with key.
func assume(key, role string, externalID ...string) call {
	return call{Action: "AssumeRole", Key: key, Region: testRegion, RoleARN: role, SessionName: testSession, ExternalID: externalID}
}

func TestConnect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		accounts []Account
		// wantKeys is the access key ID each returned config signs with.
		wantKeys  map[string]string
		wantCalls []call
		// wantProfiles are the profiles BaseConfig was asked for: each once,
		// however many accounts share it.
		wantProfiles []string
		// wantErr are substrings of the error; none means success.
		wantErr      []string
		wantMismatch *MismatchError
		wantErrIs    error
		wantAPICode  string
	}{
		{
			name:         "base credentials without a role",
			accounts:     []Account{dev},
			wantKeys:     map[string]string{"development": "AKIADEV"},
			wantCalls:    []call{gci("AKIADEV")},
			wantProfiles: []string{"dev"},
		},
		{
			name:     "role with external ID",
			accounts: []Account{prod},
			wantKeys: map[string]string{"production": "ASIAPROD"},
			wantCalls: []call{
				assume("AKIAMGMT", prodRole, "ext-123"),
			},
			wantProfiles: []string{"mgmt"},
		},
		{
			name:     "role without external ID sends none",
			accounts: []Account{rep},
			wantKeys: map[string]string{"reporting": "ASIAREP"},
			wantCalls: []call{
				assume("AKIAMGMT", repRole),
			},
			wantProfiles: []string{"mgmt"},
		},
		{
			name:     "three accounts",
			accounts: []Account{dev, prod, rep},
			wantKeys: map[string]string{"development": "AKIADEV", "production": "ASIAPROD", "reporting": "ASIAREP"},
			wantCalls: []call{
				gci("AKIADEV"),
				assume("AKIAMGMT", prodRole, "ext-123"),
				assume("AKIAMGMT", repRole),
			},
			wantProfiles: []string{"dev", "mgmt"},
		},
		{
			name:         "base credentials of another account",
			accounts:     []Account{{Name: "development", ID: "111111111111", Profile: "mgmt"}},
			wantCalls:    []call{gci("AKIAMGMT")},
			wantProfiles: []string{"mgmt"},
			wantErr:      []string{"development account is 111111111111", "account 100000000000", "nothing was changed"},
			wantMismatch: &MismatchError{Account: "development", Want: "111111111111", Got: "100000000000", Identity: "arn:aws:iam::100000000000:user/deployer"},
		},
		{
			name:     "role in another account",
			accounts: []Account{{Name: "production", ID: "222222222222", RoleARN: wrongRole, Profile: "mgmt"}},
			wantCalls: []call{
				assume("AKIAMGMT", wrongRole),
			},
			wantProfiles: []string{"mgmt"},
			wantErr:      []string{"production account is 222222222222", "account 444444444444", "nothing was changed"},
			wantMismatch: &MismatchError{Account: "production", Want: "222222222222", Got: "444444444444", Identity: "a session of role " + wrongRole},
		},
		{
			name:         "role refused",
			accounts:     []Account{{Name: "production", ID: "222222222222", RoleARN: deniedRole, ExternalID: "ext-123", Profile: "mgmt"}},
			wantCalls:    []call{assume("AKIAMGMT", deniedRole, "ext-123")},
			wantProfiles: []string{"mgmt"},
			wantErr:      []string{"production account 222222222222", "role " + deniedRole, "not authorized"},
			wantAPICode:  "AccessDenied",
		},
		{
			name:         "base config fails",
			accounts:     []Account{{Name: "reporting", ID: "333333333333", RoleARN: repRole, Profile: "nope"}},
			wantProfiles: []string{"nope"},
			wantErr:      []string{"reporting account: load AWS credentials", `"nope"`},
			wantErrIs:    errNoProfile,
		},
		{
			name:     "one of three fails",
			accounts: []Account{dev, {Name: "production", ID: "222222222222", RoleARN: wrongRole, Profile: "mgmt"}, rep},
			wantCalls: []call{
				gci("AKIADEV"),
				assume("AKIAMGMT", wrongRole),
				assume("AKIAMGMT", repRole),
			},
			wantProfiles: []string{"dev", "mgmt"},
			wantErr:      []string{"production account is 222222222222"},
			wantMismatch: &MismatchError{Account: "production", Want: "222222222222", Got: "444444444444", Identity: "a session of role " + wrongRole},
		},
		{
			name: "every failure is reported",
			accounts: []Account{
				{Name: "development", ID: "111111111111", Profile: "nope"},
				{Name: "production", ID: "222222222222", RoleARN: wrongRole, Profile: "mgmt"},
				{Name: "reporting", ID: "333333333333", RoleARN: deniedRole, Profile: "mgmt"},
			},
			wantCalls: []call{
				assume("AKIAMGMT", wrongRole),
				assume("AKIAMGMT", deniedRole),
			},
			wantProfiles: []string{"mgmt", "nope"},
			wantErr: []string{
				"development account: load AWS credentials",
				"production account is 222222222222",
				"reporting account 333333333333: sign in with role " + deniedRole,
			},
			wantMismatch: &MismatchError{Account: "production", Want: "222222222222", Got: "444444444444", Identity: "a session of role " + wrongRole},
			wantErrIs:    errNoProfile,
			wantAPICode:  "AccessDenied",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			e := newEnv(t)

			got, err := Connect(ctx, testRegion, e.at(tt.accounts...), e.base, testSession)

			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Connect: %v", err)
				}
				keys := map[string]string{}
				for name, c := range got {
					keys[name] = checkConfig(t, ctx, name, c, e.srv)
				}
				if d := cmp.Diff(tt.wantKeys, keys); d != "" {
					t.Errorf("access keys of the returned configs (-want +got):\n%s", d)
				}
			} else {
				if err == nil {
					t.Fatalf("Connect: no error, want one containing %q", tt.wantErr)
				}
				if got != nil {
					t.Errorf("Connect returned configs %v with an error", got)
				}
				for _, s := range tt.wantErr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not contain %q", err, s)
					}
				}
			}
			checkErrChain(t, err, tt.wantMismatch, tt.wantErrIs, tt.wantAPICode)
			// After the configs' credentials were retrieved again: the
			// cache means one AssumeRole per account, not one per use.
			if d := cmp.Diff(tt.wantCalls, e.sts.received(), sortCalls, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("calls to STS (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.wantProfiles, e.seenProfiles(), cmpopts.SortSlices(func(a, b string) bool { return a < b })); d != "" {
				t.Errorf("profiles passed to BaseConfig (-want +got):\n%s", d)
			}
		})
	}
}

// checkConfig checks an account's returned config and returns the access
// key ID its credentials sign with.
func checkConfig(t *testing.T, ctx context.Context, name string, c aws.Config, srv *httptest.Server) string {
	t.Helper()
	if c.Region != testRegion {
		t.Errorf("%s: Region = %q, want %q", name, c.Region, testRegion)
	}
	if got := aws.ToString(c.BaseEndpoint); got != srv.URL {
		t.Errorf("%s: BaseEndpoint = %q, want %q", name, got, srv.URL)
	}
	if c.HTTPClient != srv.Client() {
		t.Errorf("%s: HTTPClient is not the base config's", name)
	}
	creds, err := c.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatalf("%s: retrieve credentials: %v", name, err)
	}
	return creds.AccessKeyID
}

func checkErrChain(t *testing.T, err error, wantMismatch *MismatchError, wantIs error, wantCode string) {
	t.Helper()
	var me *MismatchError
	if errors.As(err, &me) != (wantMismatch != nil) {
		t.Errorf("errors.As(%v, *MismatchError) = %t, want %t", err, me != nil, wantMismatch != nil)
	} else if wantMismatch != nil {
		if d := cmp.Diff(wantMismatch, me); d != "" {
			t.Errorf("MismatchError (-want +got):\n%s", d)
		}
	}
	if wantIs != nil && !errors.Is(err, wantIs) {
		t.Errorf("error %q does not wrap %q", err, wantIs)
	}
	var ae smithy.APIError
	if errors.As(err, &ae) != (wantCode != "") {
		t.Errorf("error %q: has an API error = %t, want code %q", err, ae != nil, wantCode)
	} else if wantCode != "" && ae.ErrorCode() != wantCode {
		t.Errorf("API error code = %q, want %q", ae.ErrorCode(), wantCode)
	}
}

func TestConnectLeavesBaseConfigAlone(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	e := newEnv(t)
	base := e.baseConfig("AKIAMGMT")
	given := func(context.Context, string) (aws.Config, error) { return base, nil }

	if _, err := Connect(ctx, testRegion, e.at(prod, rep), given, testSession); err != nil {
		t.Fatalf("Connect: %v", err)
	}

	if base.Region != "us-east-1" {
		t.Errorf("base Region = %q, want us-east-1", base.Region)
	}
	if got := aws.ToString(base.BaseEndpoint); got != baseEndpoint {
		t.Errorf("base BaseEndpoint = %q, want %q", got, baseEndpoint)
	}
	creds, err := base.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatalf("retrieve base credentials: %v", err)
	}
	if creds.AccessKeyID != "AKIAMGMT" {
		t.Errorf("base credentials are %s, want AKIAMGMT", creds.AccessKeyID)
	}
}

// TestAccountsOfOneProfileShareItsBase: the accounts signed in from one
// profile share its HTTP client (so their requests to an endpoint share
// connections), and what one account appends to its APIOptions is not in
// another's.
func TestAccountsOfOneProfileShareItsBase(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	e := newEnv(t)
	mgmt := func(ctx context.Context, profile string) (aws.Config, error) {
		c, err := e.base(ctx, profile)
		// Room to append in place: an append to a shallow copy would
		// write into the other accounts' APIOptions.
		c.APIOptions = make([]func(*middleware.Stack) error, 0, 8)
		return c, err
	}
	cfgs, err := Connect(ctx, testRegion, e.at(prod, rep), mgmt, testSession)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	if d := cmp.Diff([]string{"mgmt"}, e.seenProfiles()); d != "" {
		t.Errorf("profiles passed to BaseConfig (-want +got):\n%s", d)
	}
	p, r := cfgs["production"], cfgs["reporting"]
	if p.HTTPClient != r.HTTPClient {
		t.Errorf("production and reporting have HTTP clients %p and %p, want the profile's one", p.HTTPClient, r.HTTPClient)
	}
	mark := func(*middleware.Stack) error { return nil }
	n := len(r.APIOptions)
	p.APIOptions = append(p.APIOptions, mark)
	r.APIOptions = append(r.APIOptions, nil)
	if p.APIOptions[len(p.APIOptions)-1] == nil || len(r.APIOptions) != n+1 {
		t.Errorf("an append to reporting's APIOptions overwrote production's")
	}
}

// TestSharedClientKeepsEveryAccountsConnections: the SDK's HTTP client that
// the accounts of one profile share keeps idle connections for all of them
// (the SDK's default, 10 per host, is one account's --parallelism).
func TestSharedClientKeepsEveryAccountsConnections(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sdk := func(ctx context.Context, profile string) (aws.Config, error) {
		c, err := e.base(ctx, profile)
		c.HTTPClient = awshttp.NewBuildableClient()
		return c, err
	}
	cfgs, err := Connect(t.Context(), testRegion, e.at(prod, rep), sdk, testSession)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	bc, ok := cfgs["production"].HTTPClient.(*awshttp.BuildableClient)
	if !ok || cfgs["reporting"].HTTPClient != cfgs["production"].HTTPClient {
		t.Fatalf("production's client %T is not the SDK's, shared with reporting", cfgs["production"].HTTPClient)
	}
	if tr := bc.GetTransport(); tr.MaxIdleConnsPerHost < 2*10 || tr.MaxIdleConns < tr.MaxIdleConnsPerHost {
		t.Errorf("the shared client keeps %d idle connections per host (%d in all), want room for every account's", tr.MaxIdleConnsPerHost, tr.MaxIdleConns)
	}
}

func TestUserConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		account Account
		// atEndpoint gives the account the fake's URL as EndpointURL;
		// otherwise the base config's endpoint is the fake's.
		atEndpoint bool
		wantErrIs  error
		wantCalls  []call
	}{
		{
			name:       "probe credentials sign requests",
			account:    dev,
			atEndpoint: true,
			wantCalls:  []call{gci("AKIAPROBE")},
		},
		{
			name:       "the account's role is not assumed",
			account:    prod,
			atEndpoint: true,
			wantCalls:  []call{gci("AKIAPROBE")},
		},
		{
			name:      "no endpoint keeps the base config's",
			account:   dev,
			wantCalls: []call{gci("AKIAPROBE")},
		},
		{
			name:       "base config fails",
			account:    Account{Name: "development", ID: "111111111111", Profile: "nope"},
			atEndpoint: true,
			wantErrIs:  errNoProfile,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			e := newEnv(t)
			base := e.base
			a := tt.account
			if tt.atEndpoint {
				a = e.at(a)[0]
			} else {
				base = func(ctx context.Context, profile string) (aws.Config, error) {
					c, err := e.base(ctx, profile)
					c.BaseEndpoint = aws.String(e.srv.URL)
					return c, err
				}
			}
			probe := credentials.NewStaticCredentialsProvider("AKIAPROBE", principals["AKIAPROBE"].secret, "")

			c, err := UserConfig(ctx, testRegion, a, base, probe)

			if tt.wantErrIs != nil {
				if !errors.Is(err, tt.wantErrIs) {
					t.Fatalf("UserConfig error = %v, want %v", err, tt.wantErrIs)
				}
				return
			}
			if err != nil {
				t.Fatalf("UserConfig: %v", err)
			}
			if key := checkConfig(t, ctx, a.Name, c, e.srv); key != "AKIAPROBE" {
				t.Errorf("credentials are %s, want AKIAPROBE", key)
			}
			id, err := sts.NewFromConfig(c).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if err != nil {
				t.Fatalf("GetCallerIdentity: %v", err)
			}
			if got, want := aws.ToString(id.Arn), principals["AKIAPROBE"].arn; got != want {
				t.Errorf("identity = %s, want %s", got, want)
			}
			if d := cmp.Diff(tt.wantCalls, e.sts.received(), sortCalls); d != "" {
				t.Errorf("calls to STS (-want +got):\n%s", d)
			}
			if d := cmp.Diff([]string{a.Profile}, e.seenProfiles()); d != "" {
				t.Errorf("profiles passed to BaseConfig (-want +got):\n%s", d)
			}
		})
	}
}

// TestConnectWithoutAssumedRoleUser: an STS whose AssumeRole answer names
// no AssumedRoleUser (so no account) is asked GetCallerIdentity, as base
// credentials are, and a session in another account is still refused.
func TestConnectWithoutAssumedRoleUser(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	e := newEnv(t)
	e.sts.noAssumedUser = true
	if _, err := Connect(ctx, testRegion, e.at(prod), e.base, testSession); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	want := []call{assume("AKIAMGMT", prodRole, "ext-123"), gci("ASIAPROD")}
	if d := cmp.Diff(want, e.sts.received(), sortCalls); d != "" {
		t.Errorf("calls to STS (-want +got):\n%s", d)
	}

	e = newEnv(t)
	e.sts.noAssumedUser = true
	_, err := Connect(ctx, testRegion, e.at(Account{Name: "production", ID: "222222222222", RoleARN: wrongRole, Profile: "mgmt"}), e.base, testSession)
	var mm *MismatchError
	if !errors.As(err, &mm) || mm.Got != "444444444444" || mm.Identity != principals["ASIAWRONG"].arn {
		t.Errorf("a session in another account: %v, want a mismatch naming its identity", err)
	}
}
