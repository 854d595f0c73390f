package sandbox

// CloudTrail, which kumo has only in part (no event selectors, no delivery,
// no digests, and its ARNs name one account): the gateway serves the whole
// API itself (JSON 1.1, X-Amz-Target CloudTrail_20131101.<Op>), keeps the
// trails of every account, records each request it serves
// (cloudtrail_record.go), and delivers log files and signed digest files
// to each trail's bucket as cloudtrail.amazonaws.com, through its own S3
// authorization (cloudtrail_deliver.go). The gateway calls in at two
// places: serveCall dispatches the API here, and serve hands every
// finished request to record.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xacct/xacct/internal/iampolicy"
)

// cloudTrailPrincipal is the service principal that delivers log files.
const cloudTrailPrincipal = "cloudtrail.amazonaws.com"

// The intervals of the sandbox's deliveries unless Options say otherwise.
// AWS delivers log files about every five minutes and digests every hour;
// the sandbox delivers within seconds so that a test or a demo sees an
// event in the bucket well within ten seconds, and writes a digest every
// ten seconds so that validate-logs finds a chain of several digests
// within a minute, without a digest per log file filling the bucket.
const (
	DefaultTrailDelivery = 2 * time.Second
	DefaultTrailDigest   = 10 * time.Second
)

// trail is one trail as the sandbox keeps it (cloudtrail.json).
type trail struct {
	Account           string               `json:"account"`
	Name              string               `json:"name"`
	HomeRegion        string               `json:"home_region"`
	Bucket            string               `json:"bucket"`
	Prefix            string               `json:"prefix,omitempty"`
	SnsTopicName      string               `json:"sns_topic_name,omitempty"`
	IncludeGlobal     bool                 `json:"include_global"`
	MultiRegion       bool                 `json:"multi_region"`
	LogFileValidation bool                 `json:"log_file_validation"`
	LogGroupArn       string               `json:"log_group_arn,omitempty"`
	LogRoleArn        string               `json:"log_role_arn,omitempty"`
	KmsKeyID          string               `json:"kms_key_id,omitempty"`
	Selectors         []eventSelector      `json:"selectors,omitempty"`
	Advanced          []advancedSelector   `json:"advanced,omitempty"`
	CustomSelectors   bool                 `json:"custom_selectors,omitempty"`
	Tags              []trailTag           `json:"tags,omitempty"`
	Logging           bool                 `json:"logging"`
	StartLogging      time.Time            `json:"start_logging,omitzero"`
	StopLogging       time.Time            `json:"stop_logging,omitzero"`
	LatestDelivery    time.Time            `json:"latest_delivery,omitzero"`
	LatestDeliveryErr string               `json:"latest_delivery_error,omitempty"`
	LatestDigest      time.Time            `json:"latest_digest,omitzero"`
	LatestDigestErr   string               `json:"latest_digest_error,omitempty"`
	LatestDeliveryTry time.Time            `json:"latest_delivery_attempt,omitzero"`
	LatestDeliveryOK  time.Time            `json:"latest_delivery_success,omitzero"`
	Chains            map[string]*digChain `json:"chains,omitempty"` // region -> digest chain
	DroppedRecords    int64                `json:"dropped_records,omitempty"`
	// pendingLogs are the log files delivered since the region's last
	// digest; kept in memory only, so the sandbox digests them when it
	// stops (run).
	pendingLogs map[string][]logFileRef
}

// trailTag is one of a trail's tags, kept in the order given.
type trailTag struct {
	Key   string `json:"Key"`
	Value string `json:"Value,omitempty"`
}

func (t *trail) arn() string {
	return "arn:aws:cloudtrail:" + t.HomeRegion + ":" + t.Account + ":trail/" + t.Name
}

// cloudTrail is the gateway's CloudTrail: the trails of every account,
// what each logging trail has recorded and not yet delivered, and the
// signing key of its digests.
type cloudTrail struct {
	g    *gateway
	path string // "" without a data dir
	mu   sync.Mutex
	// trails by account + "/" + name.
	trails map[string]*trail
	// sinks are the logging trails the request path writes to, rebuilt on
	// every change so that recording takes no lock but its sink's.
	sinks atomic.Pointer[[]*trailSink]
	keys  *signingKeys
	// delivery and digest are the intervals of log files and digests.
	delivery, digest time.Duration
	kick             chan struct{} // a buffer is full: deliver now
	// retired are the sinks of trails that stopped logging, delivered once
	// more and dropped.
	retired []*trailSink
	// pending are served requests waiting to become records.
	pending        chan *served
	droppedPending atomic.Int64
	stop, done     chan struct{}
	now            func() time.Time
}

func newCloudTrail(g *gateway, dataDir string, delivery, digest time.Duration) (*cloudTrail, error) {
	if delivery <= 0 {
		delivery = DefaultTrailDelivery
	}
	if digest <= 0 {
		digest = DefaultTrailDigest
	}
	// A digest's key names its end time to the second: two in one second
	// would be one object.
	digest = max(digest, time.Second)
	ct := &cloudTrail{g: g, trails: map[string]*trail{}, delivery: delivery, digest: digest,
		kick: make(chan struct{}, 1), pending: make(chan *served, maxPending), stop: make(chan struct{}), done: make(chan struct{}), now: time.Now}
	keys, err := loadSigningKeys(dataDir)
	if err != nil {
		return nil, err
	}
	ct.keys = keys
	if dataDir != "" {
		ct.path = filepath.Join(dataDir, "cloudtrail.json")
		b, err := os.ReadFile(ct.path)
		switch {
		case err == nil:
			var saved struct {
				Trails []*trail `json:"trails"`
			}
			if err := json.Unmarshal(b, &saved); err != nil {
				return nil, fmt.Errorf("sandbox cloudtrail state %s: %w", ct.path, err)
			}
			for _, t := range saved.Trails {
				ct.trails[t.Account+"/"+t.Name] = t
			}
		case !os.IsNotExist(err):
			return nil, err
		}
	}
	ct.mu.Lock()
	ct.rebuildLocked()
	ct.mu.Unlock()
	go ct.recordLoop()
	go ct.run()
	return ct, nil
}

// close delivers what is buffered and stops the deliveries.
func (ct *cloudTrail) close() {
	select {
	case <-ct.stop:
		return
	default:
	}
	close(ct.stop)
	<-ct.done
}

// saveLocked writes the trails; the caller holds mu.
func (ct *cloudTrail) saveLocked() {
	if ct.path == "" {
		return
	}
	list := make([]*trail, 0, len(ct.trails))
	for _, k := range slices.Sorted(maps.Keys(ct.trails)) {
		list = append(list, ct.trails[k])
	}
	b, err := json.MarshalIndent(map[string]any{"trails": list}, "", "  ")
	if err != nil {
		return
	}
	tmp := ct.path + ".tmp"
	if os.WriteFile(tmp, b, 0o600) == nil {
		_ = os.Rename(tmp, ct.path)
	}
}

// ctError is a CloudTrail refusal.
func ctError(code, msg string) *apiError {
	return &apiError{http.StatusBadRequest, code, msg}
}

// serveCloudTrail serves one CloudTrail API call: the operation is the
// X-Amz-Target's (the Go SDK sends CloudTrail_20131101.<Op>, botocore the
// same prefixed with com.amazonaws.cloudtrail.v20131101.).
func (g *gateway) serveCloudTrail(c *call) {
	target := c.r.Header.Get("X-Amz-Target")
	i := strings.LastIndex(target, "CloudTrail_20131101.")
	if c.r.URL.Path != "/" || i < 0 {
		g.fail(c, http.StatusBadRequest, "UnknownOperationException", "CloudTrail takes POST / with an X-Amz-Target header")
		return
	}
	op := target[i+len("CloudTrail_20131101."):]
	var in ctInput
	if len(bytes.TrimSpace(c.body)) > 0 {
		if err := json.Unmarshal(c.body, &in); err != nil {
			g.fail(c, http.StatusBadRequest, "SerializationException", "the request body is not JSON: "+err.Error())
			return
		}
	}
	ct := g.trail
	p := c.principal()
	targets, e := ct.authzTargets(p.Account, op, in)
	if e != nil {
		g.failWith(c, e)
		return
	}
	for _, t := range targets {
		if !g.allow(c, "cloudtrail:"+op, t.arn, t.account, nil) {
			return
		}
	}
	var out any
	switch op {
	case "CreateTrail":
		out, e = ct.createTrail(c, p, in)
	case "UpdateTrail":
		out, e = ct.updateTrail(c, p, in)
	case "GetTrail":
		out, e = ct.withTrail(p, op, in.Name, func(t *trail) (any, *apiError) { return map[string]any{"Trail": t.view()}, nil })
	case "DescribeTrails":
		out, e = ct.describeTrails(p, in)
	case "ListTrails":
		out, e = ct.listTrails(p)
	case "DeleteTrail":
		out, e = ct.deleteTrail(p, in)
	case "StartLogging", "StopLogging":
		out, e = ct.withTrail(p, op, in.Name, func(t *trail) (any, *apiError) {
			now := ct.now().UTC()
			on := op == "StartLogging"
			if on && !t.Logging {
				t.StartLogging = now
				// A trail that starts again starts a new digest chain (the
				// validator reports the gap).
				t.Chains = nil
			}
			if !on && t.Logging {
				t.StopLogging = now
			}
			t.Logging = on
			return struct{}{}, nil
		})
	case "GetTrailStatus":
		out, e = ct.withTrail(p, op, in.Name, func(t *trail) (any, *apiError) { return t.status(), nil })
	case "PutEventSelectors":
		out, e = ct.withTrail(p, op, in.TrailName, func(t *trail) (any, *apiError) { return ct.putSelectors(t, in) })
	case "GetEventSelectors":
		out, e = ct.withTrail(p, op, in.TrailName, func(t *trail) (any, *apiError) {
			r := map[string]any{"TrailARN": t.arn()}
			if t.Advanced != nil {
				r["AdvancedEventSelectors"] = t.Advanced
			} else {
				r["EventSelectors"] = t.basicSelectors()
			}
			return r, nil
		})
	case "AddTags", "RemoveTags":
		out, e = ct.withTrail(p, op, in.ResourceID, func(t *trail) (any, *apiError) { return ct.tag(t, op, in.TagsList) })
	case "ListTags":
		out, e = ct.listTags(p, in)
	case "ListPublicKeys":
		out, e = ct.listPublicKeys(in)
	default:
		e = unknownCTOperation(op)
	}
	if e != nil {
		g.failWith(c, e)
		return
	}
	b, _ := json.Marshal(out)
	c.w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	c.w.Header().Set("X-Amzn-RequestId", c.reqID)
	c.w.Header().Set("Content-Length", fmt.Sprint(len(b)))
	c.w.WriteHeader(http.StatusOK)
	_, _ = c.w.Write(b)
}

// ctInput is every request field the operations read.
type ctInput struct {
	Name                       string
	TrailName                  string
	S3BucketName               *string
	S3KeyPrefix                *string
	SnsTopicName               *string
	IncludeGlobalServiceEvents *bool
	IsMultiRegionTrail         *bool
	EnableLogFileValidation    *bool
	CloudWatchLogsLogGroupArn  *string
	CloudWatchLogsRoleArn      *string
	KmsKeyId                   *string
	IsOrganizationTrail        *bool
	TagsList                   []trailTag
	ResourceID                 string   `json:"ResourceId"`
	ResourceIDList             []string `json:"ResourceIdList"`
	TrailNameList              []string `json:"trailNameList"`
	IncludeShadowTrails        *bool    `json:"includeShadowTrails"`
	EventSelectors             []eventSelector
	AdvancedEventSelectors     []advancedSelector
	StartTime, EndTime         *float64
}

// trailNameRE is CloudTrail's rule for a trail name: 3 to 128 letters,
// digits, '.', '_' and '-', starting and ending with a letter or digit,
// with no two of '.', '_', '-' side by side.
var (
	trailNameRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]$`)
	trailAdjRE   = regexp.MustCompile(`[._-]{2}`)
	trailARNRE   = regexp.MustCompile(`^arn:aws:cloudtrail:([a-z0-9-]+):([0-9]{12}):trail/(.+)$`)
	errNameShape = "Trail name or ARN can only contain uppercase letters, lowercase letters, numbers, periods (.), hyphens (-), and underscores (_)."
)

func validTrailName(n string) bool {
	return trailNameRE.MatchString(n) && !trailAdjRE.MatchString(n) && net.ParseIP(n) == nil
}

// resolve finds the caller's trail named by name or ARN; the caller holds
// mu. A trail of another account is not found: no trail is shared here.
func (ct *cloudTrail) resolveLocked(account, ref string) (*trail, *apiError) {
	name := ref
	if m := trailARNRE.FindStringSubmatch(ref); m != nil {
		if m[2] != account || m[1] != ct.g.sb.Region {
			return nil, ctError("TrailNotFoundException", "Unknown trail: "+ref+" for the user: "+account)
		}
		name = m[3]
	} else if strings.HasPrefix(ref, "arn:") {
		return nil, ctError("InvalidTrailNameException", errNameShape)
	}
	if ref == "" {
		return nil, ctError("InvalidTrailNameException", "Trail name cannot be empty.")
	}
	if !validTrailName(name) {
		return nil, ctError("InvalidTrailNameException", errNameShape)
	}
	t := ct.trails[account+"/"+name]
	if t == nil {
		return nil, ctError("TrailNotFoundException", "Unknown trail: "+ct.trailARN(account, name)+" for the user: "+account)
	}
	return t, nil
}

func (ct *cloudTrail) trailARN(account, name string) string {
	return "arn:aws:cloudtrail:" + ct.g.sb.Region + ":" + account + ":trail/" + name
}

// ctTarget is a resource a CloudTrail request is authorized on, and the
// account that holds it.
type ctTarget struct{ arn, account string }

// authzTargets are the resources a CloudTrail request is authorized on,
// named by its own parameters: the trail its Name, TrailName or ResourceId
// names (ListTags: each of ResourceIdList), by name (the caller's, in the
// sandbox's region) or by ARN, as given (another region's: a shadow trail
// is named by its ARN); "*" for the actions without a resource type.
// Another account's trail ARN (trailTarget), and a name of the wrong
// shape, as CloudTrail validates it, are refused before any
// authorization.
func (ct *cloudTrail) authzTargets(account, op string, in ctInput) ([]ctTarget, *apiError) {
	var refs []string
	switch op {
	case "DescribeTrails", "ListTrails", "ListPublicKeys":
		return []ctTarget{{"*", account}}, nil
	case "CreateTrail":
		if in.Name == "" || !validTrailName(in.Name) {
			return nil, ctError("InvalidTrailNameException", errNameShape)
		}
		return []ctTarget{{ct.trailARN(account, in.Name), account}}, nil
	case "UpdateTrail", "GetTrail", "DeleteTrail", "StartLogging", "StopLogging", "GetTrailStatus":
		refs = []string{in.Name}
	case "PutEventSelectors", "GetEventSelectors":
		refs = []string{in.TrailName}
	case "AddTags", "RemoveTags":
		refs = []string{in.ResourceID}
	case "ListTags":
		refs = in.ResourceIDList
	default:
		return nil, unknownCTOperation(op)
	}
	targets := make([]ctTarget, 0, len(refs))
	for _, ref := range refs {
		t, e := ct.trailTarget(account, ref)
		if e != nil && op == "ListTags" && e.code == "TrailNotFoundException" {
			e = ctError("ResourceNotFoundException", "Resource "+ref+" not found.")
		}
		if e != nil {
			return nil, e
		}
		targets = append(targets, t)
	}
	return targets, nil
}

// trailTarget is the trail ref names, by name or ARN, as authzTargets
// describes; a ref of the wrong shape is refused as resolveLocked refuses
// it. So is another account's trail ARN: CloudTrail answers one that is
// not the caller's as not found (TrailNotFoundException "Unknown trail:
// ... for the user: ...", or CloudTrailARNInvalidException "AccountID in
// ARN is wrong" for some operations) rather than with an IAM decision on
// it, and the sandbox shares no trail (no organization trails); it is not
// decided on the caller's own trail of that name either.
func (ct *cloudTrail) trailTarget(account, ref string) (ctTarget, *apiError) {
	if m := trailARNRE.FindStringSubmatch(ref); m != nil {
		if m[2] != account {
			return ctTarget{}, ctError("TrailNotFoundException", "Unknown trail: "+ref+" for the user: "+account)
		}
		if !validTrailName(m[3]) {
			return ctTarget{}, ctError("InvalidTrailNameException", errNameShape)
		}
		return ctTarget{ref, m[2]}, nil
	}
	switch {
	case strings.HasPrefix(ref, "arn:"):
		return ctTarget{}, ctError("InvalidTrailNameException", errNameShape)
	case ref == "":
		return ctTarget{}, ctError("InvalidTrailNameException", "Trail name cannot be empty.")
	case !validTrailName(ref):
		return ctTarget{}, ctError("InvalidTrailNameException", errNameShape)
	}
	return ctTarget{ct.trailARN(account, ref), account}, nil
}

func unknownCTOperation(op string) *apiError {
	return &apiError{http.StatusBadRequest, "UnknownOperationException", "the xacct sandbox's CloudTrail does not implement " + strconvQuote(op)}
}

// withTrail runs fn under the lock on the caller's trail ref names (the
// request is authorized: serveCloudTrail); a trail fn changes is saved and
// the sinks rebuilt.
func (ct *cloudTrail) withTrail(p *principal, op, ref string, fn func(*trail) (any, *apiError)) (any, *apiError) {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	t, e := ct.resolveLocked(p.Account, ref)
	if e != nil {
		return nil, e
	}
	out, e := fn(t)
	if e == nil && op != "GetTrail" && op != "GetTrailStatus" && op != "GetEventSelectors" {
		ct.rebuildLocked()
		ct.saveLocked()
	}
	return out, e
}

// checkBucket holds a trail's bucket to what CloudTrail checks when a trail
// is created or changed: the bucket exists, and its policy lets
// cloudtrail.amazonaws.com, for this trail (aws:SourceArn,
// aws:SourceAccount), read its ACL and write the trail's objects with
// bucket-owner-full-control. The bucket may be another account's.
func (ct *cloudTrail) checkBucket(ctx context.Context, t *trail) *apiError {
	g := ct.g
	var owner string
	g.st.view(func() {
		if m := g.st.Buckets[t.Bucket]; m != nil {
			owner = m.Owner
		}
	})
	if owner == "" {
		return ctError("S3BucketDoesNotExistException", "S3 bucket "+t.Bucket+" does not exist.")
	}
	bp, err := g.bucketPolicy(ctx, t.Bucket, g.sb.accounts[owner])
	if err != nil {
		return &apiError{http.StatusInternalServerError, "InternalFailure", err.Error()}
	}
	insufficient := ctError("InsufficientS3BucketPolicyException", "Incorrect S3 bucket policy is detected for bucket: "+t.Bucket)
	if bp == nil {
		return insufficient
	}
	checks := []struct{ action, resource string }{
		{"s3:GetBucketAcl", "arn:aws:s3:::" + t.Bucket},
		{"s3:PutObject", "arn:aws:s3:::" + t.Bucket + "/" + t.keyPrefix() + "CloudTrail/" + g.sb.Region + "/"},
	}
	if t.LogFileValidation {
		checks = append(checks, struct{ action, resource string }{"s3:PutObject", "arn:aws:s3:::" + t.Bucket + "/" + t.keyPrefix() + "CloudTrail-Digest/" + g.sb.Region + "/"})
	}
	for _, chk := range checks {
		cx := deliveryContext(t, owner)
		if chk.action == "s3:PutObject" {
			cx["s3:x-amz-acl"] = []string{"bucket-owner-full-control"}
		}
		res, err := iampolicy.Evaluate(&iampolicy.Request{Principal: cloudTrailPrincipal, Action: chk.action, Resource: chk.resource,
			ResourceAccount: owner, Context: cx, ResourcePolicy: bp})
		if err != nil || res.Decision != iampolicy.Allowed {
			return insufficient
		}
	}
	return nil
}

// deliveryContext is the context of a request CloudTrail makes for trail t
// to a bucket owned by owner.
func deliveryContext(t *trail, owner string) map[string][]string {
	return map[string][]string{
		"aws:SourceArn":       {t.arn()},
		"aws:SourceAccount":   {t.Account},
		"aws:SecureTransport": {"true"},
		"aws:ResourceAccount": {owner},
		"s3:ResourceAccount":  {owner},
	}
}

// keyPrefix is where the trail's objects start: [prefix/]AWSLogs/<account>/.
func (t *trail) keyPrefix() string {
	p := "AWSLogs/" + t.Account + "/"
	if t.Prefix != "" {
		p = t.Prefix + "/" + p
	}
	return p
}

// createTrail makes the trail in.Name names (its shape checked by
// authzTargets).
func (ct *cloudTrail) createTrail(c *call, p *principal, in ctInput) (any, *apiError) {
	if in.S3BucketName == nil || *in.S3BucketName == "" {
		return nil, ctError("InvalidS3BucketNameException", "S3 bucket name cannot be empty.")
	}
	if isTrue(in.IsOrganizationTrail) {
		return nil, ctError("NotOrganizationMasterAccountException", "The xacct sandbox has no organization trails.")
	}
	t := &trail{Account: p.Account, Name: in.Name, HomeRegion: ct.g.sb.Region, IncludeGlobal: true}
	if e := applyTrailFields(t, in); e != nil {
		return nil, e
	}
	for _, tg := range in.TagsList {
		if tg.Key == "" {
			return nil, ctError("InvalidTagParameterException", "Tag key cannot be empty.")
		}
	}
	t.Tags = in.TagsList
	ct.mu.Lock()
	exists := ct.trails[t.Account+"/"+t.Name] != nil
	ct.mu.Unlock()
	if exists {
		return nil, ctError("TrailAlreadyExistsException", "Trail "+t.Name+" already exists for customer: "+t.Account)
	}
	if e := ct.checkBucket(c.r.Context(), t); e != nil {
		return nil, e
	}
	ct.mu.Lock()
	defer ct.mu.Unlock()
	if ct.trails[t.Account+"/"+t.Name] != nil {
		return nil, ctError("TrailAlreadyExistsException", "Trail "+t.Name+" already exists for customer: "+t.Account)
	}
	ct.trails[t.Account+"/"+t.Name] = t
	ct.rebuildLocked()
	ct.saveLocked()
	return t.createView(), nil
}

func isTrue(b *bool) bool { return b != nil && *b }

// applyTrailFields sets the fields of a CreateTrail or UpdateTrail that
// are given.
func applyTrailFields(t *trail, in ctInput) *apiError {
	if in.S3BucketName != nil {
		if !validBucketName(*in.S3BucketName) {
			return ctError("InvalidS3BucketNameException", "Bucket name is not valid: "+*in.S3BucketName)
		}
		t.Bucket = *in.S3BucketName
	}
	if in.S3KeyPrefix != nil {
		if len(*in.S3KeyPrefix) > 200 || strings.HasSuffix(*in.S3KeyPrefix, "/") || strings.HasPrefix(*in.S3KeyPrefix, "/") {
			return ctError("InvalidS3PrefixException", "S3 prefix is not valid: "+*in.S3KeyPrefix)
		}
		t.Prefix = *in.S3KeyPrefix
	}
	if in.SnsTopicName != nil {
		t.SnsTopicName = *in.SnsTopicName
	}
	if in.IncludeGlobalServiceEvents != nil {
		t.IncludeGlobal = *in.IncludeGlobalServiceEvents
	}
	if in.IsMultiRegionTrail != nil {
		t.MultiRegion = *in.IsMultiRegionTrail
	}
	if t.MultiRegion && !t.IncludeGlobal {
		return ctError("InvalidParameterCombinationException", "Multi-Region trail must include global service events.")
	}
	if in.EnableLogFileValidation != nil {
		t.LogFileValidation = *in.EnableLogFileValidation
	}
	if in.CloudWatchLogsLogGroupArn != nil {
		t.LogGroupArn = *in.CloudWatchLogsLogGroupArn
	}
	if in.CloudWatchLogsRoleArn != nil {
		t.LogRoleArn = *in.CloudWatchLogsRoleArn
	}
	if in.KmsKeyId != nil {
		t.KmsKeyID = *in.KmsKeyId
	}
	return nil
}

func (ct *cloudTrail) updateTrail(c *call, p *principal, in ctInput) (any, *apiError) {
	ct.mu.Lock()
	t, e := ct.resolveLocked(p.Account, in.Name)
	var cp trail
	if t != nil {
		cp = *t
	}
	ct.mu.Unlock()
	if e != nil {
		return nil, e
	}
	if isTrue(in.IsOrganizationTrail) {
		return nil, ctError("NotOrganizationMasterAccountException", "The xacct sandbox has no organization trails.")
	}
	if e := applyTrailFields(&cp, in); e != nil {
		return nil, e
	}
	if e := ct.checkBucket(c.r.Context(), &cp); e != nil {
		return nil, e
	}
	ct.mu.Lock()
	defer ct.mu.Unlock()
	t = ct.trails[cp.Account+"/"+cp.Name]
	if t == nil {
		return nil, ctError("TrailNotFoundException", "Unknown trail: "+cp.arn()+" for the user: "+p.Account)
	}
	if t.Bucket != cp.Bucket || t.Prefix != cp.Prefix || !cp.LogFileValidation {
		// The chain goes on in the new place only from a new start.
		cp.Chains = nil
	}
	t.Bucket, t.Prefix, t.SnsTopicName, t.IncludeGlobal, t.MultiRegion = cp.Bucket, cp.Prefix, cp.SnsTopicName, cp.IncludeGlobal, cp.MultiRegion
	t.LogFileValidation, t.LogGroupArn, t.LogRoleArn, t.KmsKeyID, t.Chains = cp.LogFileValidation, cp.LogGroupArn, cp.LogRoleArn, cp.KmsKeyID, cp.Chains
	ct.rebuildLocked()
	ct.saveLocked()
	return t.createView(), nil
}

func (ct *cloudTrail) deleteTrail(p *principal, in ctInput) (any, *apiError) {
	return ct.withTrail(p, "DeleteTrail", in.Name, func(t *trail) (any, *apiError) {
		delete(ct.trails, t.Account+"/"+t.Name)
		return struct{}{}, nil
	})
}

func (ct *cloudTrail) describeTrails(p *principal, in ctInput) (any, *apiError) {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	list := []map[string]any{}
	if len(in.TrailNameList) == 0 {
		for _, k := range slices.Sorted(maps.Keys(ct.trails)) {
			if t := ct.trails[k]; t.Account == p.Account {
				list = append(list, t.view())
			}
		}
		return map[string]any{"trailList": list}, nil
	}
	// Names that match nothing are left out, as CloudTrail does.
	seen := map[string]bool{}
	for _, ref := range in.TrailNameList {
		t, e := ct.resolveLocked(p.Account, ref)
		if e != nil || seen[t.Name] {
			continue
		}
		seen[t.Name] = true
		list = append(list, t.view())
	}
	return map[string]any{"trailList": list}, nil
}

func (ct *cloudTrail) listTrails(p *principal) (any, *apiError) {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	list := []map[string]any{}
	for _, k := range slices.Sorted(maps.Keys(ct.trails)) {
		if t := ct.trails[k]; t.Account == p.Account {
			list = append(list, map[string]any{"TrailARN": t.arn(), "Name": t.Name, "HomeRegion": t.HomeRegion})
		}
	}
	return map[string]any{"Trails": list}, nil
}

// view is a trail as DescribeTrails and GetTrail show it.
func (t *trail) view() map[string]any {
	v := map[string]any{
		"Name": t.Name, "S3BucketName": t.Bucket, "IncludeGlobalServiceEvents": t.IncludeGlobal, "IsMultiRegionTrail": t.MultiRegion,
		"HomeRegion": t.HomeRegion, "TrailARN": t.arn(), "LogFileValidationEnabled": t.LogFileValidation,
		"HasCustomEventSelectors": t.CustomSelectors, "HasInsightSelectors": false, "IsOrganizationTrail": false,
	}
	if t.Prefix != "" {
		v["S3KeyPrefix"] = t.Prefix
	}
	if t.SnsTopicName != "" {
		v["SnsTopicName"] = t.SnsTopicName
		v["SnsTopicARN"] = "arn:aws:sns:" + t.HomeRegion + ":" + t.Account + ":" + t.SnsTopicName
	}
	if t.LogGroupArn != "" {
		v["CloudWatchLogsLogGroupArn"] = t.LogGroupArn
		v["CloudWatchLogsRoleArn"] = t.LogRoleArn
	}
	if t.KmsKeyID != "" {
		v["KmsKeyId"] = t.KmsKeyID
	}
	return v
}

// createView is a trail as CreateTrail and UpdateTrail answer.
func (t *trail) createView() map[string]any {
	v := t.view()
	delete(v, "HomeRegion")
	delete(v, "HasCustomEventSelectors")
	delete(v, "HasInsightSelectors")
	return v
}

// status is GetTrailStatus's answer. Timestamps are epoch seconds, as JSON
// 1.1 writes them, but for the four fields CloudTrail models as strings;
// a time that never happened is left out.
func (t *trail) status() map[string]any {
	v := map[string]any{"IsLogging": t.Logging}
	ts := func(k string, at time.Time) {
		if !at.IsZero() {
			v[k] = float64(at.UnixMilli()) / 1000
		}
	}
	ts("StartLoggingTime", t.StartLogging)
	ts("StopLoggingTime", t.StopLogging)
	ts("LatestDeliveryTime", t.LatestDelivery)
	ts("LatestDigestDeliveryTime", t.LatestDigest)
	if !t.LatestDeliveryTry.IsZero() {
		v["LatestDeliveryAttemptTime"] = t.LatestDeliveryTry.UTC().Format(time.RFC3339)
	}
	if !t.LatestDeliveryOK.IsZero() {
		v["LatestDeliveryAttemptSucceeded"] = t.LatestDeliveryOK.UTC().Format(time.RFC3339)
	}
	if !t.StartLogging.IsZero() {
		v["TimeLoggingStarted"] = t.StartLogging.UTC().Format(time.RFC3339)
	}
	if !t.StopLogging.IsZero() {
		v["TimeLoggingStopped"] = t.StopLogging.UTC().Format(time.RFC3339)
	}
	if t.LatestDeliveryErr != "" {
		v["LatestDeliveryError"] = t.LatestDeliveryErr
	}
	if t.LatestDigestErr != "" {
		v["LatestDigestDeliveryError"] = t.LatestDigestErr
	}
	return v
}

func (ct *cloudTrail) tag(t *trail, op string, tags []trailTag) (any, *apiError) {
	for _, tg := range tags {
		if tg.Key == "" {
			return nil, ctError("InvalidTagParameterException", "Tag key cannot be empty.")
		}
		t.Tags = slices.DeleteFunc(t.Tags, func(x trailTag) bool { return x.Key == tg.Key })
		if op == "AddTags" {
			t.Tags = append(t.Tags, tg)
		}
	}
	if len(t.Tags) > 50 {
		return nil, ctError("TagsLimitExceededException", "The number of tags per trail has exceeded the permitted amount. Currently, the limit is 50.")
	}
	return struct{}{}, nil
}

func (ct *cloudTrail) listTags(p *principal, in ctInput) (any, *apiError) {
	out := []map[string]any{}
	for _, ref := range in.ResourceIDList {
		ct.mu.Lock()
		t, e := ct.resolveLocked(p.Account, ref)
		var arn string
		var tags []trailTag
		if t != nil {
			arn, tags = t.arn(), slices.Clone(t.Tags)
		}
		ct.mu.Unlock()
		if e != nil {
			if e.code == "TrailNotFoundException" {
				e = ctError("ResourceNotFoundException", "Resource "+ref+" not found.")
			}
			return nil, e
		}
		if tags == nil {
			tags = []trailTag{}
		}
		out = append(out, map[string]any{"ResourceId": arn, "TagsList": tags})
	}
	return map[string]any{"ResourceTagList": out}, nil
}

// listPublicKeys answers the keys whose validity overlaps the range asked
// (by default, the current one).
func (ct *cloudTrail) listPublicKeys(in ctInput) (any, *apiError) {
	now := ct.now()
	from, to := now, now
	if in.StartTime != nil {
		from = time.UnixMilli(int64(*in.StartTime * 1000))
	}
	if in.EndTime != nil {
		to = time.UnixMilli(int64(*in.EndTime * 1000))
	}
	if to.Before(from) {
		return nil, ctError("InvalidTimeRangeException", "Start time must be before end time.")
	}
	list := []map[string]any{}
	for _, k := range ct.keys.all() {
		if k.notAfter.Before(from) || k.notBefore.After(to) {
			continue
		}
		list = append(list, map[string]any{
			"Value": k.der, "Fingerprint": k.fingerprint,
			"ValidityStartTime": float64(k.notBefore.Unix()), "ValidityEndTime": float64(k.notAfter.Unix()),
		})
	}
	sort.Slice(list, func(i, j int) bool {
		return list[i]["ValidityStartTime"].(float64) < list[j]["ValidityStartTime"].(float64)
	})
	return map[string]any{"PublicKeyList": list}, nil
}
