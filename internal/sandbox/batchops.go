package sandbox

// S3 Batch Operations, which kumo's s3control lacks: the jobs API (CreateJob,
// DescribeJob, ListJobs, UpdateJobStatus, UpdateJobPriority) in S3 Control's
// REST-XML shapes, and the jobs themselves (batchops_run.go), operation
// LambdaInvoke only. The gateway routes S3 Control requests here
// (serveS3Control); everything a job does, it does as a session of the job's
// role through the gateway, authorized like any other caller.

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/xacct/xacct/internal/iampolicy"
)

// s3ControlPrefix is the path of every S3 Control operation.
const s3ControlPrefix = "/v20180820/"

// s3Control tells an S3 Control request from an S3 one: both are signed for
// service s3, but S3 Control's paths start with its API version and name
// the account in x-amz-account-id (a path-style request to a bucket named
// v20180820 has no such header).
func s3Control(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, s3ControlPrefix) && r.Header.Get("X-Amz-Account-Id") != ""
}

// The job statuses of S3 Batch Operations.
const (
	jobNew        = "New"
	jobPreparing  = "Preparing"
	jobSuspended  = "Suspended"
	jobReady      = "Ready"
	jobActive     = "Active"
	jobCancelling = "Cancelling"
	jobCancelled  = "Cancelled"
	jobComplete   = "Complete"
	jobFailed     = "Failed"
)

func terminalJobStatus(s string) bool {
	return s == jobComplete || s == jobFailed || s == jobCancelled
}

// batchOps is the gateway's Batch Operations: which jobs have a runner in
// this process.
type batchOps struct {
	g       *gateway
	mu      sync.Mutex
	running map[string]bool
	client  *http.Client // trusts the gateway's CA (httpClient)
}

// newBatchOps takes over the jobs of a saved state: a job that was running
// when the sandbox stopped cannot be resumed task by task, so it fails (as
// a job whose tasks cannot run does); one that had not started yet keeps
// waiting for confirmation or fails likewise.
func newBatchOps(g *gateway) *batchOps {
	_ = g.st.update(func() error {
		for _, j := range g.st.Jobs {
			if !terminalJobStatus(j.Status) && j.Status != jobSuspended {
				j.Status = jobFailed
				j.Failures = append(j.Failures, jobFailureXML{Code: "InternalError", Reason: "The sandbox stopped before the job finished."})
				j.Terminated = time.Now().UTC()
			}
		}
		return nil
	})
	return &batchOps{g: g, running: map[string]bool{}}
}

// start runs the job in the background unless it already runs.
func (b *batchOps) start(id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.running[id] {
		return
	}
	b.running[id] = true
	go func() {
		defer func() {
			b.mu.Lock()
			delete(b.running, id)
			b.mu.Unlock()
		}()
		b.g.runJob(id)
	}()
}

// The request and response shapes of S3 Control (namespace
// http://awss3control.amazonaws.com/doc/2018-08-20/). They are kept in the
// state as they were given, so that DescribeJob returns them.
type (
	createJobXML struct {
		XMLName              xml.Name     `xml:"CreateJobRequest"`
		ConfirmationRequired bool         `xml:"ConfirmationRequired"`
		Operation            operationXML `xml:"Operation"`
		Report               reportXML    `xml:"Report"`
		ClientRequestToken   string       `xml:"ClientRequestToken"`
		Manifest             manifestXML  `xml:"Manifest"`
		Description          string       `xml:"Description"`
		Priority             *int64       `xml:"Priority"`
		RoleArn              string       `xml:"RoleArn"`
		ManifestGenerator    *struct{}    `xml:"ManifestGenerator"`
	}
	operationXML struct {
		LambdaInvoke *lambdaInvokeXML `xml:"LambdaInvoke,omitempty"`
		// Other are the operations the sandbox does not run.
		Other []struct {
			XMLName xml.Name
		} `xml:",any" json:"-"`
	}
	lambdaInvokeXML struct {
		FunctionArn             string     `xml:"FunctionArn"`
		InvocationSchemaVersion string     `xml:"InvocationSchemaVersion,omitempty"`
		UserArguments           []entryXML `xml:"UserArguments>entry,omitempty"`
	}
	entryXML struct {
		Key   string `xml:"key"`
		Value string `xml:"value"`
	}
	reportXML struct {
		Bucket      string `xml:"Bucket,omitempty"`
		Format      string `xml:"Format,omitempty"`
		Enabled     bool   `xml:"Enabled"`
		Prefix      string `xml:"Prefix,omitempty"`
		ReportScope string `xml:"ReportScope,omitempty"`
	}
	manifestXML struct {
		Spec struct {
			Format string   `xml:"Format"`
			Fields []string `xml:"Fields>member"`
		} `xml:"Spec"`
		Location struct {
			ObjectArn       string `xml:"ObjectArn"`
			ObjectVersionId string `xml:"ObjectVersionId,omitempty"`
			ETag            string `xml:"ETag"`
		} `xml:"Location"`
	}
	jobFailureXML struct {
		Code   string `xml:"FailureCode"`
		Reason string `xml:"FailureReason"`
	}
	progressXML struct {
		TotalNumberOfTasks     int64 `xml:"TotalNumberOfTasks"`
		NumberOfTasksSucceeded int64 `xml:"NumberOfTasksSucceeded"`
		NumberOfTasksFailed    int64 `xml:"NumberOfTasksFailed"`
		Timers                 struct {
			ElapsedTimeInActiveSeconds int64 `xml:"ElapsedTimeInActiveSeconds"`
		} `xml:"Timers"`
	}
)

// batchJob is one job, as the state keeps it.
type batchJob struct {
	ID                   string
	Account              string
	Status               string
	Priority             int64
	RoleArn              string
	Description          string `json:",omitempty"`
	ClientRequestToken   string
	RequestHash          string // of the CreateJob body, for idempotency
	ConfirmationRequired bool
	Operation            operationXML
	Manifest             manifestXML
	Report               reportXML
	Created              time.Time
	Activated            time.Time `json:",omitzero"`
	Terminated           time.Time `json:",omitzero"`
	Suspended            time.Time `json:",omitzero"`
	SuspendedCause       string    `json:",omitempty"`
	StatusUpdateReason   string    `json:",omitempty"`
	Total                int64
	Succeeded            int64
	Failed               int64
	Failures             []jobFailureXML `json:",omitempty"`
}

func (g *gateway) jobARN(account, id string) string {
	return fmt.Sprintf("arn:aws:s3:%s:%s:job/%s", g.sb.Region, account, id)
}

const s3ControlTime = "2006-01-02T15:04:05.000Z"

// descriptor is the job's JobDescriptor.
func (g *gateway) descriptor(j *batchJob) any {
	type descXML struct {
		JobId                string          `xml:"JobId"`
		ConfirmationRequired bool            `xml:"ConfirmationRequired"`
		Description          string          `xml:"Description,omitempty"`
		JobArn               string          `xml:"JobArn"`
		Status               string          `xml:"Status"`
		Manifest             manifestXML     `xml:"Manifest"`
		Operation            operationXML    `xml:"Operation"`
		Priority             int64           `xml:"Priority"`
		ProgressSummary      progressXML     `xml:"ProgressSummary"`
		StatusUpdateReason   string          `xml:"StatusUpdateReason,omitempty"`
		FailureReasons       []jobFailureXML `xml:"FailureReasons>member,omitempty"`
		Report               reportXML       `xml:"Report"`
		CreationTime         string          `xml:"CreationTime"`
		TerminationDate      string          `xml:"TerminationDate,omitempty"`
		RoleArn              string          `xml:"RoleArn"`
		SuspendedDate        string          `xml:"SuspendedDate,omitempty"`
		SuspendedCause       string          `xml:"SuspendedCause,omitempty"`
	}
	d := descXML{JobId: j.ID, ConfirmationRequired: j.ConfirmationRequired, Description: j.Description, JobArn: g.jobARN(j.Account, j.ID),
		Status: j.Status, Manifest: j.Manifest, Operation: j.Operation, Priority: j.Priority, ProgressSummary: j.progress(),
		StatusUpdateReason: j.StatusUpdateReason, FailureReasons: j.Failures, Report: j.Report, CreationTime: j.Created.Format(s3ControlTime),
		RoleArn: j.RoleArn, SuspendedCause: j.SuspendedCause}
	if !j.Terminated.IsZero() {
		d.TerminationDate = j.Terminated.Format(s3ControlTime)
	}
	if !j.Suspended.IsZero() {
		d.SuspendedDate = j.Suspended.Format(s3ControlTime)
	}
	return d
}

func (j *batchJob) progress() progressXML {
	p := progressXML{TotalNumberOfTasks: j.Total, NumberOfTasksSucceeded: j.Succeeded, NumberOfTasksFailed: j.Failed}
	if !j.Activated.IsZero() {
		end := j.Terminated
		if end.IsZero() {
			end = time.Now()
		}
		p.Timers.ElapsedTimeInActiveSeconds = int64(end.Sub(j.Activated).Seconds())
	}
	return p
}

// writeS3Control answers with one S3 Control result document: inner's
// fields in an element named name.
func (g *gateway) writeS3Control(c *call, name string, inner any) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	start := xml.StartElement{Name: xml.Name{Local: name}, Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: "http://awss3control.amazonaws.com/doc/2018-08-20/"}}}
	if err := xml.NewEncoder(&buf).EncodeElement(inner, start); err != nil {
		g.fail(c, http.StatusInternalServerError, "InternalServiceException", err.Error())
		return
	}
	c.w.Header().Set("Content-Type", "application/xml")
	c.w.Header().Set("X-Amz-Request-Id", c.reqID)
	c.w.WriteHeader(http.StatusOK)
	_, _ = c.w.Write(buf.Bytes())
}

// serveS3Control serves the Batch Operations jobs API and the account's
// Block Public Access (s3bpa.go); any other S3 Control
// operation is NotImplemented. The account in x-amz-account-id must be the
// caller's, as AWS requires.
func (g *gateway) serveS3Control(c *call) {
	c.service = "s3control"
	p := c.principal()
	if p == nil {
		g.fail(c, http.StatusForbidden, "AccessDenied", "Access Denied")
		return
	}
	if acct := c.r.Header.Get("X-Amz-Account-Id"); acct != p.Account {
		g.fail(c, http.StatusForbidden, "AccessDenied", fmt.Sprintf("Access Denied: the account ID %s in x-amz-account-id is not the caller's account", acct))
		return
	}
	c.out = outbound{method: c.r.Method, path: c.r.URL.Path, header: http.Header{}}
	if e := g.readS3Body(c, maxSmallBody); e != nil {
		g.failWith(c, e)
		return
	}
	q, err := url.ParseQuery(c.r.URL.RawQuery)
	if err != nil {
		g.fail(c, http.StatusBadRequest, "InvalidRequest", "The query string does not parse: "+err.Error())
		return
	}
	rq, e := parseS3Control(c.r.Method, c.r.URL.Path)
	if e != nil {
		g.failWith(c, e)
		return
	}
	ar, e := g.s3ControlAuthz(c, &rq, q)
	if e != nil {
		g.failWith(c, e)
		return
	}
	if !g.allow(c, ar.action, ar.resource, ar.resourceAccount, ar.context) {
		return
	}
	switch rq.action {
	case "s3:GetAccountPublicAccessBlock", "s3:PutAccountPublicAccessBlock":
		g.serveAccountPublicAccessBlock(c) // s3bpa.go
	case "s3:CreateJob":
		g.createJob(c, rq.job)
	case "s3:ListJobs":
		g.listJobs(c, q)
	case "s3:DescribeJob":
		g.describeJob(c, rq.jobID)
	case "s3:UpdateJobPriority":
		g.updateJobPriority(c, rq.jobID, q)
	case "s3:UpdateJobStatus":
		g.updateJobStatus(c, rq.jobID, q)
	}
}

// s3ControlRequest is an S3 Control operation the sandbox serves: the
// action that authorizes it, the job it names, and a CreateJob's body
// (decoded by s3ControlAuthz, once).
type s3ControlRequest struct {
	action, jobID string
	job           *createJobXML
}

// parseS3Control is the operation a request's method and path name; any
// other is NotImplemented. AWS authorizes DeletePublicAccessBlock with the
// Put action.
func parseS3Control(method, path string) (s3ControlRequest, *apiError) {
	seg := strings.Split(strings.TrimPrefix(path, s3ControlPrefix), "/")
	switch {
	case len(seg) == 2 && seg[0] == "configuration" && seg[1] == "publicAccessBlock":
		switch method {
		case http.MethodGet:
			return s3ControlRequest{action: "s3:GetAccountPublicAccessBlock"}, nil
		case http.MethodPut, http.MethodDelete:
			return s3ControlRequest{action: "s3:PutAccountPublicAccessBlock"}, nil
		}
		return s3ControlRequest{}, &apiError{http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource."}
	case len(seg) == 1 && seg[0] == "jobs" && method == http.MethodPost:
		return s3ControlRequest{action: "s3:CreateJob"}, nil
	case len(seg) == 1 && seg[0] == "jobs" && method == http.MethodGet:
		return s3ControlRequest{action: "s3:ListJobs"}, nil
	case len(seg) == 2 && seg[0] == "jobs" && method == http.MethodGet:
		return s3ControlRequest{action: "s3:DescribeJob", jobID: seg[1]}, nil
	case len(seg) == 3 && seg[0] == "jobs" && seg[2] == "priority" && method == http.MethodPost:
		return s3ControlRequest{action: "s3:UpdateJobPriority", jobID: seg[1]}, nil
	case len(seg) == 3 && seg[0] == "jobs" && seg[2] == "status" && method == http.MethodPost:
		return s3ControlRequest{action: "s3:UpdateJobStatus", jobID: seg[1]}, nil
	}
	return s3ControlRequest{}, &apiError{http.StatusNotImplemented, "NotImplemented", fmt.Sprintf("the xacct sandbox does not serve S3 Control %s %s", method, path)}
}

// s3ControlAuthz is what an S3 Control request is authorized as, in the
// caller's account (serveS3Control holds x-amz-account-id to it), which is
// its s3:ResourceAccount: the account whose jobs and settings they are (as
// for ListAllMyBuckets, s3.go); a job's ARN for the requests on a job,
// with the job's priority and operation and those the request asks for;
// "*" for the others, which have no resource type.
func (g *gateway) s3ControlAuthz(c *call, rq *s3ControlRequest, q url.Values) (authzRequest, *apiError) {
	account := c.principal().Account
	ar := authzRequest{action: rq.action, resource: "*", resourceAccount: account, context: resourceAccountKeys(account)}
	switch rq.action {
	case "s3:CreateJob":
		var in createJobXML
		if err := xml.Unmarshal(c.body, &in); err != nil {
			return authzRequest{}, &apiError{http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema"}
		}
		priority := int64(0)
		if in.Priority != nil {
			priority = *in.Priority
		}
		ar.context["s3:RequestJobPriority"] = []string{strconv.FormatInt(priority, 10)}
		ar.context["s3:RequestJobOperation"] = []string{jobOperation(in.Operation)}
		rq.job = &in
	case "s3:DescribeJob", "s3:UpdateJobStatus", "s3:UpdateJobPriority":
		ar.resource = g.jobARN(account, rq.jobID)
		maps.Copy(ar.context, existingJobContext(g.job(account, rq.jobID)))
	}
	if rq.action == "s3:UpdateJobPriority" {
		n, e := jobPriority(q)
		if e != nil {
			return authzRequest{}, e
		}
		ar.context["s3:RequestJobPriority"] = []string{strconv.FormatInt(n, 10)}
	}
	return ar, nil
}

// jobOperation is the name of a job's operation (the first, when it names
// more than the one it may).
func jobOperation(op operationXML) string {
	if op.LambdaInvoke == nil && len(op.Other) > 0 {
		return op.Other[0].XMLName.Local
	}
	return "LambdaInvoke"
}

// jobPriority is UpdateJobPriority's priority.
func jobPriority(q url.Values) (int64, *apiError) {
	n, err := strconv.ParseInt(q.Get("priority"), 10, 64)
	if err != nil || n < 0 || n > 2147483647 {
		return 0, &apiError{http.StatusBadRequest, "InvalidRequest", "priority must be between 0 and 2147483647"}
	}
	return n, nil
}

// allow authorizes the caller for action on resource; false once refused.
func (g *gateway) allow(c *call, action, resource, resourceAccount string, context map[string][]string) bool {
	res, err := g.authorize(c.r.Context(), c, authzRequest{action: action, resource: resource, resourceAccount: resourceAccount, context: context})
	if err != nil {
		g.fail(c, http.StatusInternalServerError, "InternalServiceException", err.Error())
		return false
	}
	if res.Decision != iampolicy.Allowed {
		g.deny(c, action, resource, res)
		return false
	}
	return true
}

func badJobRequest(g *gateway, c *call, msg string) {
	g.fail(c, http.StatusBadRequest, "InvalidRequest", msg)
}

// createJob validates a CreateJob (decoded and authorized by serveS3Control:
// s3:CreateJob, then iam:PassRole on the job's role for
// batchoperations.s3.amazonaws.com) and starts the job; a
// ClientRequestToken seen before returns that job.
func (g *gateway) createJob(c *call, job *createJobXML) {
	p := c.principal()
	in := *job
	priority := int64(0)
	if in.Priority != nil {
		priority = *in.Priority
	}
	opName := jobOperation(in.Operation)
	switch {
	case in.ClientRequestToken == "" || len(in.ClientRequestToken) > 64:
		badJobRequest(g, c, "ClientRequestToken is required and at most 64 characters long")
		return
	case in.RoleArn == "":
		badJobRequest(g, c, "RoleArn is required")
		return
	case in.Priority == nil || priority < 0 || priority > 2147483647:
		badJobRequest(g, c, "Priority is required and must be between 0 and 2147483647")
		return
	case len(in.Description) > 256:
		badJobRequest(g, c, "Description must be at most 256 characters long")
		return
	case in.ManifestGenerator != nil:
		g.fail(c, http.StatusNotImplemented, "NotImplemented", "the xacct sandbox does not generate manifests: give a Manifest")
		return
	}
	if in.Operation.LambdaInvoke == nil {
		if len(in.Operation.Other) == 0 {
			badJobRequest(g, c, "The job must have exactly one operation")
			return
		}
		g.fail(c, http.StatusNotImplemented, "NotImplemented", "the xacct sandbox runs Batch Operations jobs of operation LambdaInvoke only, not "+opName)
		return
	}
	li := in.Operation.LambdaInvoke
	if li.InvocationSchemaVersion == "" {
		li.InvocationSchemaVersion = "1.0"
	}
	switch {
	case li.InvocationSchemaVersion != "1.0" && li.InvocationSchemaVersion != "2.0":
		badJobRequest(g, c, "InvocationSchemaVersion must be 1.0 or 2.0")
		return
	case len(li.UserArguments) > 0 && li.InvocationSchemaVersion != "2.0":
		badJobRequest(g, c, "UserArguments require InvocationSchemaVersion 2.0")
		return
	case len(li.UserArguments) > 10:
		badJobRequest(g, c, "UserArguments may hold at most 10 entries")
		return
	}
	fnAccount, _, ok := parseFunctionARN(strings.TrimSuffix(li.FunctionArn, ":$LATEST"))
	if !ok {
		badJobRequest(g, c, "FunctionArn must be the ARN of a Lambda function")
		return
	}
	if fnAccount != p.Account {
		// The gateway serves Lambda calls in the caller's account.
		g.fail(c, http.StatusNotImplemented, "NotImplemented", "the xacct sandbox runs jobs that invoke a function of the job's own account only")
		return
	}
	m := in.Manifest
	fields := strings.Join(m.Spec.Fields, ",")
	switch {
	case m.Spec.Format != "S3BatchOperations_CSV_20180820":
		badJobRequest(g, c, "the xacct sandbox reads manifests of format S3BatchOperations_CSV_20180820 only")
		return
	case fields != "Bucket,Key" && fields != "Bucket,Key,VersionId":
		badJobRequest(g, c, "Manifest fields must be [Bucket, Key] or [Bucket, Key, VersionId]")
		return
	case !strings.HasPrefix(m.Location.ObjectArn, "arn:aws:s3:::") || !strings.Contains(strings.TrimPrefix(m.Location.ObjectArn, "arn:aws:s3:::"), "/"):
		badJobRequest(g, c, "Manifest ObjectArn must be the ARN of an S3 object")
		return
	case m.Location.ETag == "":
		badJobRequest(g, c, "Manifest ETag is required")
		return
	}
	r := in.Report
	if r.Enabled {
		switch {
		case r.Format != "Report_CSV_20180820":
			badJobRequest(g, c, "Report Format must be Report_CSV_20180820")
			return
		case !strings.HasPrefix(r.Bucket, "arn:aws:s3:::") || strings.Contains(strings.TrimPrefix(r.Bucket, "arn:aws:s3:::"), "/"):
			badJobRequest(g, c, "Report Bucket must be the ARN of a bucket")
			return
		case r.ReportScope != "AllTasks" && r.ReportScope != "FailedTasksOnly":
			badJobRequest(g, c, "Report ReportScope must be AllTasks or FailedTasksOnly")
			return
		}
	}
	sum := sha256.Sum256(c.body)
	hash := hex.EncodeToString(sum[:])
	var id string
	var conflict bool
	err := g.st.update(func() error {
		for _, j := range g.st.Jobs {
			if j.Account == p.Account && j.ClientRequestToken == in.ClientRequestToken {
				id, conflict = j.ID, j.RequestHash != hash
				return nil
			}
		}
		id = newJobID()
		g.st.Jobs[id] = &batchJob{ID: id, Account: p.Account, Status: jobNew, Priority: priority, RoleArn: in.RoleArn,
			Description: in.Description, ClientRequestToken: in.ClientRequestToken, RequestHash: hash,
			ConfirmationRequired: in.ConfirmationRequired, Operation: operationXML{LambdaInvoke: li}, Manifest: m, Report: r,
			Created: time.Now().UTC()}
		return nil
	})
	if err != nil {
		g.fail(c, http.StatusInternalServerError, "InternalServiceException", err.Error())
		return
	}
	if conflict {
		g.fail(c, http.StatusConflict, "IdempotencyException", "A job with this ClientRequestToken was created with other parameters")
		return
	}
	g.batch.start(id)
	g.writeS3Control(c, "CreateJobResult", struct {
		JobId string `xml:"JobId"`
	}{id})
}

// roleAccountOf is the account of a role ARN, else def.
func roleAccountOf(roleARN, def string) string {
	if a, _, ok := parseRoleARN(roleARN); ok {
		return a
	}
	return def
}

// newJobID is a job ID as AWS makes them: a UUID.
func newJobID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// job is a copy of the caller's account's job; nil when there is none.
func (g *gateway) job(account, id string) *batchJob {
	var out *batchJob
	g.st.view(func() {
		if j := g.st.Jobs[id]; j != nil && j.Account == account {
			cp := *j
			cp.Failures = slices.Clone(j.Failures)
			out = &cp
		}
	})
	return out
}

func (g *gateway) noSuchJob(c *call, id string) {
	g.fail(c, http.StatusNotFound, "NotFoundException", "The specified job does not exist: "+id)
}

// existingJobContext are the condition keys of a request on an existing job.
func existingJobContext(j *batchJob) map[string][]string {
	if j == nil {
		return nil
	}
	ctx := map[string][]string{"s3:ExistingJobPriority": {strconv.FormatInt(j.Priority, 10)}, "s3:ExistingJobOperation": {"LambdaInvoke"}}
	if j.SuspendedCause != "" {
		ctx["s3:JobSuspendedCause"] = []string{j.SuspendedCause}
	}
	return ctx
}

func (g *gateway) describeJob(c *call, id string) {
	p := c.principal()
	j := g.job(p.Account, id)
	if j == nil {
		g.noSuchJob(c, id)
		return
	}
	g.writeS3Control(c, "DescribeJobResult", struct {
		Job any `xml:"Job"`
	}{g.descriptor(j)})
}

// maxListJobs is ListJobs' page size when the caller gives none.
const maxListJobs = 1000

func (g *gateway) listJobs(c *call, q url.Values) {
	p := c.principal()
	want := map[string]bool{}
	for _, s := range q["jobStatuses"] {
		want[s] = true
	}
	limit := maxListJobs
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > maxListJobs {
			badJobRequest(g, c, "maxResults must be between 0 and 1000")
			return
		}
		if n > 0 {
			limit = n
		}
	}
	after := ""
	if t := q.Get("nextToken"); t != "" {
		b, err := base64.RawURLEncoding.DecodeString(t)
		if err != nil {
			badJobRequest(g, c, "The nextToken is not valid")
			return
		}
		after = string(b)
	}
	var jobs []*batchJob
	g.st.view(func() {
		for _, j := range g.st.Jobs {
			if j.Account == p.Account && (len(want) == 0 || want[j.Status]) {
				cp := *j
				jobs = append(jobs, &cp)
			}
		}
	})
	// Newest first; the ID breaks ties, and the token is the sort key of
	// the last job returned.
	key := func(j *batchJob) string { return fmt.Sprintf("%020d/%s", -j.Created.UnixNano()+(1<<62), j.ID) }
	slices.SortFunc(jobs, func(a, b *batchJob) int { return strings.Compare(key(a), key(b)) })
	type listXML struct {
		JobId           string      `xml:"JobId"`
		Description     string      `xml:"Description,omitempty"`
		Operation       string      `xml:"Operation"`
		Priority        int64       `xml:"Priority"`
		Status          string      `xml:"Status"`
		CreationTime    string      `xml:"CreationTime"`
		TerminationDate string      `xml:"TerminationDate,omitempty"`
		ProgressSummary progressXML `xml:"ProgressSummary"`
	}
	var out struct {
		NextToken string    `xml:"NextToken,omitempty"`
		Jobs      []listXML `xml:"Jobs>member"`
	}
	last := ""
	for _, j := range jobs {
		k := key(j)
		if after != "" && k <= after {
			continue
		}
		if len(out.Jobs) == limit {
			out.NextToken = base64.RawURLEncoding.EncodeToString([]byte(last))
			break
		}
		lx := listXML{JobId: j.ID, Description: j.Description, Operation: "LambdaInvoke", Priority: j.Priority, Status: j.Status,
			CreationTime: j.Created.Format(s3ControlTime), ProgressSummary: j.progress()}
		if !j.Terminated.IsZero() {
			lx.TerminationDate = j.Terminated.Format(s3ControlTime)
		}
		out.Jobs = append(out.Jobs, lx)
		last = k
	}
	g.writeS3Control(c, "ListJobsResult", out)
}

func (g *gateway) updateJobPriority(c *call, id string, q url.Values) {
	p := c.principal()
	j := g.job(p.Account, id)
	n, e := jobPriority(q) // valid: s3ControlAuthz read it
	if e != nil {
		g.failWith(c, e)
		return
	}
	if j == nil {
		g.noSuchJob(c, id)
		return
	}
	_ = g.st.update(func() error { g.st.Jobs[id].Priority = n; return nil })
	g.writeS3Control(c, "UpdateJobPriorityResult", struct {
		JobId    string `xml:"JobId"`
		Priority int64  `xml:"Priority"`
	}{id, n})
}

// updateJobStatus confirms a job that waits for it (Suspended → Ready) or
// cancels one that has not finished.
func (g *gateway) updateJobStatus(c *call, id string, q url.Values) {
	p := c.principal()
	j := g.job(p.Account, id)
	if j == nil {
		g.noSuchJob(c, id)
		return
	}
	want, reason := q.Get("requestedJobStatus"), q.Get("statusUpdateReason")
	if want != jobReady && want != jobCancelled {
		badJobRequest(g, c, "requestedJobStatus must be Ready or Cancelled")
		return
	}
	var status string
	var bad, resume bool
	_ = g.st.update(func() error {
		cur := g.st.Jobs[id]
		switch {
		case want == jobReady && cur.Status != jobSuspended,
			want == jobCancelled && (terminalJobStatus(cur.Status) || cur.Status == jobCancelling):
			bad = true
			status = cur.Status
			return nil
		case want == jobReady:
			cur.Status, cur.SuspendedCause = jobReady, ""
			resume = true
		case cur.Status == jobActive:
			cur.Status = jobCancelling // the runner stops and says Cancelled
		default:
			cur.Status, cur.Terminated = jobCancelled, time.Now().UTC()
		}
		cur.StatusUpdateReason = reason
		status = cur.Status
		return nil
	})
	if bad {
		g.fail(c, http.StatusBadRequest, "JobStatusException", fmt.Sprintf("The job's status %s cannot be changed to %s", status, want))
		return
	}
	if resume {
		g.batch.start(id) // a no-op unless the sandbox restarted while it waited
	}
	g.writeS3Control(c, "UpdateJobStatusResult", struct {
		JobId              string `xml:"JobId"`
		Status             string `xml:"Status"`
		StatusUpdateReason string `xml:"StatusUpdateReason,omitempty"`
	}{id, status, reason})
}
