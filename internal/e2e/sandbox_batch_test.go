package e2e

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	s3ctypes "github.com/aws/aws-sdk-go-v2/service/s3control/types"

	"github.com/xacct/xacct/internal/awsacct"
)

// batchEnv is a Production function that answers Batch Operations events,
// a manifest bucket in Production and a report bucket in Reporting whose
// policy lets the job's role write reports under reports/.
type batchEnv struct {
	prod, rep                        *client
	fnARN, manifests, reports, roleT string // roleT: role name prefix
	sc                               *s3control.Client
}

func newBatchEnv(t *testing.T) *batchEnv {
	t.Helper()
	ctx := context.Background()
	e := &batchEnv{prod: orgAdmin(t, prodID), rep: orgAdmin(t, repID), manifests: uniq(t, "manifests"), reports: uniq(t, "batch-reports"), roleT: uniq(t, "batchrole")}
	e.sc = awsacct.S3Control(e.prod.cfg)
	fn, exec := uniq(t, "batchfn"), uniq(t, "batchexec")
	e.fnARN = "arn:aws:lambda:us-east-1:" + prodID + ":function:" + fn
	must(e.prod.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(exec), AssumeRolePolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}))(t)
	must(lambda.NewFromConfig(e.prod.cfg).CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(fn), Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Role: aws.String("arn:aws:iam::" + prodID + ":role/" + exec), Code: &lambdatypes.FunctionCode{ZipFile: functionZip(t, runtime.GOARCH)},
		// Longer than a cold start under -race on a loaded machine (Lambda's
		// default is 3 s): a task must fail only when the test means it to.
		Timeout: aws.Int32(30),
	}))(t)
	must(e.prod.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(e.manifests)}))(t)
	must(e.rep.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(e.reports)}))(t)
	// Any role of Production named like this test's job roles may write
	// reports: the bucket policy is the cross-account half.
	must(e.rep.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(e.reports), Policy: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + prodID + `:root"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::` + e.reports + `/reports/*",` +
			`"Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::` + prodID + `:role/` + e.roleT + `*"}}}]}`)}))(t)
	return e
}

// role makes a job role: trusting trustee, with the given actions (each on
// its natural resource).
func (e *batchEnv) role(t *testing.T, suffix, trustee string, invoke bool) string {
	t.Helper()
	ctx := context.Background()
	name := e.roleT + "-" + suffix
	must(e.prod.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"` + trustee + `"},"Action":"sts:AssumeRole"}]}`)}))(t)
	stmts := []string{
		`{"Effect":"Allow","Action":["s3:GetObject","s3:GetObjectVersion"],"Resource":"arn:aws:s3:::` + e.manifests + `/*"}`,
		`{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::` + e.reports + `/reports/*"}`,
	}
	if invoke {
		stmts = append(stmts, `{"Effect":"Allow","Action":"lambda:InvokeFunction","Resource":"`+e.fnARN+`"}`)
	}
	must(e.prod.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("job"), PolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`)}))(t)
	return "arn:aws:iam::" + prodID + ":role/" + name
}

// manifest uploads a CSV manifest and returns its location.
func (e *batchEnv) manifest(t *testing.T, body string, fields ...s3ctypes.JobManifestFieldName) *s3ctypes.JobManifest {
	t.Helper()
	key := uniq(t, "manifest") + ".csv"
	out := must(e.prod.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(e.manifests), Key: aws.String(key), Body: strings.NewReader(body)}))(t)
	return &s3ctypes.JobManifest{
		Spec:     &s3ctypes.JobManifestSpec{Format: s3ctypes.JobManifestFormatS3BatchOperationsCsv20180820, Fields: fields},
		Location: &s3ctypes.JobManifestLocation{ObjectArn: aws.String("arn:aws:s3:::" + e.manifests + "/" + key), ETag: out.ETag},
	}
}

func (e *batchEnv) jobInput(roleARN string, m *s3ctypes.JobManifest, args map[string]string) *s3control.CreateJobInput {
	return &s3control.CreateJobInput{
		AccountId: aws.String(prodID), RoleArn: aws.String(roleARN), Priority: aws.Int32(10), Manifest: m,
		Operation: &s3ctypes.JobOperation{LambdaInvoke: &s3ctypes.LambdaInvokeOperation{FunctionArn: aws.String(e.fnARN), InvocationSchemaVersion: aws.String("2.0"), UserArguments: args}},
		Report: &s3ctypes.JobReport{Enabled: true, Bucket: aws.String("arn:aws:s3:::" + e.reports), Prefix: aws.String("reports"),
			Format: s3ctypes.JobReportFormatReportCsv20180820, ReportScope: s3ctypes.JobReportScopeAllTasks},
		ConfirmationRequired: aws.Bool(false),
	}
}

// wait polls DescribeJob until the job's status is one of want.
func (e *batchEnv) wait(t *testing.T, id string, want ...s3ctypes.JobStatus) *s3ctypes.JobDescriptor {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		out := must(e.sc.DescribeJob(context.Background(), &s3control.DescribeJobInput{AccountId: aws.String(prodID), JobId: aws.String(id)}))(t)
		if slices.Contains(want, out.Job.Status) {
			return out.Job
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s is %s after 90s, want %v (failures %+v)\n%s", id, out.Job.Status, want, out.Job.FailureReasons, sandboxLog.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type reportRow struct{ bucket, key, version, status, http, code, message string }

// report reads the job's completion report as the Reporting administrator:
// manifest.json at reports/job-<id>/ and the result files it names.
func (e *batchEnv) report(t *testing.T, id string) (map[string]any, []reportRow) {
	t.Helper()
	ctx := context.Background()
	get := func(key string) []byte {
		out := must(e.rep.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(e.reports), Key: aws.String(key)}))(t)
		defer out.Body.Close()
		return must(io.ReadAll(out.Body))(t)
	}
	var man struct {
		Format       string
		ReportSchema string
		Results      []struct{ TaskExecutionStatus, Bucket, MD5Checksum, Key string }
	}
	raw := get("reports/job-" + id + "/manifest.json")
	if err := json.Unmarshal(raw, &man); err != nil {
		t.Fatalf("manifest.json: %v: %s", err, raw)
	}
	var rows []reportRow
	for _, r := range man.Results {
		if r.Bucket != e.reports || !strings.HasPrefix(r.Key, "reports/job-"+id+"/results/") || !strings.HasSuffix(r.Key, ".csv") {
			t.Fatalf("result file %+v is not under reports/job-%s/results/ in %s", r, id, e.reports)
		}
		recs := must(csv.NewReader(bytes.NewReader(get(r.Key))).ReadAll())(t)
		for _, rec := range recs {
			if len(rec) != 7 {
				t.Fatalf("report row %q has %d columns, want 7", rec, len(rec))
			}
			if rec[3] != r.TaskExecutionStatus {
				t.Fatalf("row %q in the %s file", rec, r.TaskExecutionStatus)
			}
			rows = append(rows, reportRow{rec[0], rec[1], rec[2], rec[3], rec[4], rec[5], rec[6]})
		}
	}
	var generic map[string]any
	_ = json.Unmarshal(raw, &generic)
	return generic, rows
}

func TestBatchJobInvokesTheFunctionOncePerManifestEntry(t *testing.T) {
	t.Parallel()
	e := newBatchEnv(t)
	role := e.role(t, "ok", "batchoperations.s3.amazonaws.com", true)
	type entry struct{ key, version string }
	var entries []entry
	for i := range 20 {
		key := fmt.Sprintf("objects/plain-%02d.txt", i)
		switch i % 5 {
		case 1:
			key = fmt.Sprintf("objects/with space %02d.txt", i)
		case 2:
			key = fmt.Sprintf("objects/ünïcødé-日本-%02d.txt", i)
		case 3:
			key = fmt.Sprintf("tmp/retried+plus %02d", i) // TemporaryFailure once, then Succeeded
		}
		version := ""
		if i%2 == 0 {
			version = fmt.Sprintf("v%02d", i)
		}
		entries = append(entries, entry{key, version})
	}
	var csvBody strings.Builder
	for _, en := range entries {
		fmt.Fprintf(&csvBody, "%s,%s,%s\n", e.manifests, url.QueryEscape(en.key), en.version)
	}
	m := e.manifest(t, csvBody.String(), s3ctypes.JobManifestFieldNameBucket, s3ctypes.JobManifestFieldNameKey, s3ctypes.JobManifestFieldNameVersionId)
	out := must(e.sc.CreateJob(context.Background(), e.jobInput(role, m, map[string]string{"tempFailPrefix": "tmp/"})))(t)
	job := e.wait(t, aws.ToString(out.JobId), s3ctypes.JobStatusComplete, s3ctypes.JobStatusFailed)
	ps := job.ProgressSummary
	if job.Status != s3ctypes.JobStatusComplete || aws.ToInt64(ps.TotalNumberOfTasks) != 20 || aws.ToInt64(ps.NumberOfTasksSucceeded) != 20 || aws.ToInt64(ps.NumberOfTasksFailed) != 0 {
		t.Fatalf("job %s: total %d succeeded %d failed %d, failures %+v", job.Status, aws.ToInt64(ps.TotalNumberOfTasks),
			aws.ToInt64(ps.NumberOfTasksSucceeded), aws.ToInt64(ps.NumberOfTasksFailed), job.FailureReasons)
	}
	if job.TerminationDate == nil || job.CreationTime == nil || aws.ToString(job.JobArn) != "arn:aws:s3:us-east-1:"+prodID+":job/"+aws.ToString(out.JobId) {
		t.Fatalf("descriptor: arn %s created %v terminated %v", aws.ToString(job.JobArn), job.CreationTime, job.TerminationDate)
	}
	man, rows := e.report(t, aws.ToString(out.JobId))
	if man["Format"] != "Report_CSV_20180820" || man["ReportSchema"] != "Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage" {
		t.Fatalf("manifest.json: %v", man)
	}
	if len(rows) != 20 {
		t.Fatalf("report has %d rows, want 20: %+v", len(rows), rows)
	}
	byKey := map[string]reportRow{}
	for _, r := range rows {
		byKey[r.key] = r
	}
	for _, en := range entries {
		r, ok := byKey[url.QueryEscape(en.key)]
		if !ok {
			t.Fatalf("no report row for %q (rows %+v)", en.key, rows)
		}
		v := en.version
		if v == "" {
			v = "null"
		}
		// The function decoded the URL-encoded key and saw the version (or
		// JSON null): its result string says what it saw.
		want := reportRow{e.manifests, url.QueryEscape(en.key), en.version, "succeeded", "200", "", "key=" + en.key + " version=" + v}
		if r != want {
			t.Errorf("row\n got %+v\nwant %+v", r, want)
		}
	}
}

func TestBatchJobRoleWithoutInvokePermissionFailsEveryTask(t *testing.T) {
	t.Parallel()
	e := newBatchEnv(t)
	role := e.role(t, "noinvoke", "batchoperations.s3.amazonaws.com", false)
	m := e.manifest(t, e.manifests+",a.txt\n"+e.manifests+",b.txt\n", s3ctypes.JobManifestFieldNameBucket, s3ctypes.JobManifestFieldNameKey)
	out := must(e.sc.CreateJob(context.Background(), e.jobInput(role, m, nil)))(t)
	job := e.wait(t, aws.ToString(out.JobId), s3ctypes.JobStatusComplete, s3ctypes.JobStatusFailed)
	if aws.ToInt64(job.ProgressSummary.NumberOfTasksFailed) != 2 || aws.ToInt64(job.ProgressSummary.NumberOfTasksSucceeded) != 0 {
		t.Fatalf("job %s: progress %+v", job.Status, job.ProgressSummary)
	}
	_, rows := e.report(t, aws.ToString(out.JobId))
	if len(rows) != 2 {
		t.Fatalf("report rows %+v, want 2", rows)
	}
	for _, r := range rows {
		if r.status != "failed" || r.http != "403" || !strings.Contains(r.code, "AccessDenied") || !strings.Contains(r.message, "lambda:InvokeFunction") {
			t.Errorf("row %+v: want failed, 403, AccessDenied on lambda:InvokeFunction", r)
		}
	}
}

func TestBatchJobFailsWhenTheRoleDoesNotTrustBatchOperations(t *testing.T) {
	t.Parallel()
	e := newBatchEnv(t)
	m := e.manifest(t, e.manifests+",a.txt\n", s3ctypes.JobManifestFieldNameBucket, s3ctypes.JobManifestFieldNameKey)
	t.Run("untrusted role", func(t *testing.T) {
		role := e.role(t, "lambdaonly", "lambda.amazonaws.com", true)
		out := must(e.sc.CreateJob(context.Background(), e.jobInput(role, m, nil)))(t)
		job := e.wait(t, aws.ToString(out.JobId), s3ctypes.JobStatusComplete, s3ctypes.JobStatusFailed)
		if job.Status != s3ctypes.JobStatusFailed || len(job.FailureReasons) == 0 || !strings.Contains(aws.ToString(job.FailureReasons[0].FailureReason), "batchoperations.s3.amazonaws.com") {
			t.Fatalf("job %s, failures %+v: want Failed because the role does not trust batchoperations.s3.amazonaws.com", job.Status, job.FailureReasons)
		}
		if job.TerminationDate == nil || aws.ToInt64(job.ProgressSummary.NumberOfTasksSucceeded) != 0 {
			t.Fatalf("job: terminated %v, progress %+v", job.TerminationDate, job.ProgressSummary)
		}
	})
	t.Run("changed manifest", func(t *testing.T) {
		role := e.role(t, "etag", "batchoperations.s3.amazonaws.com", true)
		stale := *m.Location
		stale.ETag = aws.String(`"0123456789abcdef0123456789abcdef"`)
		in := e.jobInput(role, &s3ctypes.JobManifest{Spec: m.Spec, Location: &stale}, nil)
		out := must(e.sc.CreateJob(context.Background(), in))(t)
		job := e.wait(t, aws.ToString(out.JobId), s3ctypes.JobStatusComplete, s3ctypes.JobStatusFailed)
		if job.Status != s3ctypes.JobStatusFailed || len(job.FailureReasons) == 0 || !strings.Contains(aws.ToString(job.FailureReasons[0].FailureReason), "ETag") {
			t.Fatalf("job %s, failures %+v: want Failed on the manifest's ETag", job.Status, job.FailureReasons)
		}
	})
}

func TestCreateJobNeedsPassRole(t *testing.T) {
	t.Parallel()
	e := newBatchEnv(t)
	ctx := context.Background()
	role := e.role(t, "pass", "batchoperations.s3.amazonaws.com", true)
	m := e.manifest(t, e.manifests+",a.txt\n", s3ctypes.JobManifestFieldNameBucket, s3ctypes.JobManifestFieldNameKey)
	user := uniq(t, "jobcreator")
	must(e.prod.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user)}))(t)
	must(e.prod.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String("jobs"), PolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:CreateJob","s3:ListJobs"],"Resource":"*"}]}`)}))(t)
	sc := awsacct.S3Control(userKey(t, e.prod, user).cfg)
	_, err := sc.CreateJob(ctx, e.jobInput(role, m, nil))
	wantCode(t, err, "AccessDenied")
	if !strings.Contains(err.Error(), "iam:PassRole") {
		t.Fatalf("error %v does not name iam:PassRole", err)
	}
	// Allowed to pass the role to Batch Operations, the same user may.
	must(e.prod.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String("pass"), PolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"` + role + `","Condition":{"StringEquals":{"iam:PassedToService":"batchoperations.s3.amazonaws.com"}}}]}`)}))(t)
	must(sc.CreateJob(ctx, e.jobInput(role, m, nil)))(t)
}

func TestCreateJobIsIdempotentByClientRequestToken(t *testing.T) {
	t.Parallel()
	e := newBatchEnv(t)
	ctx := context.Background()
	role := e.role(t, "idem", "batchoperations.s3.amazonaws.com", true)
	m := e.manifest(t, e.manifests+",a.txt\n", s3ctypes.JobManifestFieldNameBucket, s3ctypes.JobManifestFieldNameKey)
	in := e.jobInput(role, m, nil)
	in.ClientRequestToken = aws.String(uniq(t, "token"))
	in.Description = aws.String(aws.ToString(in.ClientRequestToken))
	first := must(e.sc.CreateJob(ctx, in))(t)
	second := must(e.sc.CreateJob(ctx, in))(t)
	if aws.ToString(first.JobId) == "" || aws.ToString(first.JobId) != aws.ToString(second.JobId) {
		t.Fatalf("same token, jobs %s and %s", aws.ToString(first.JobId), aws.ToString(second.JobId))
	}
	n := 0
	for _, j := range listAllJobs(t, e.sc, nil) {
		if aws.ToString(j.Description) == aws.ToString(in.Description) {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d jobs with the token's description, want 1", n)
	}
}

func listAllJobs(t *testing.T, sc *s3control.Client, statuses []s3ctypes.JobStatus) []s3ctypes.JobListDescriptor {
	t.Helper()
	var all []s3ctypes.JobListDescriptor
	seen := map[string]bool{}
	p := s3control.NewListJobsPaginator(sc, &s3control.ListJobsInput{AccountId: aws.String(prodID), JobStatuses: statuses, MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		page := must(p.NextPage(context.Background()))(t)
		if len(page.Jobs) > 2 {
			t.Fatalf("a page of %d jobs, MaxResults 2", len(page.Jobs))
		}
		for _, j := range page.Jobs {
			if seen[aws.ToString(j.JobId)] {
				t.Fatalf("job %s listed twice", aws.ToString(j.JobId))
			}
			seen[aws.ToString(j.JobId)] = true
			all = append(all, j)
		}
	}
	return all
}

func TestConfirmationRequiredJobWaitsSuspendedUntilReady(t *testing.T) {
	t.Parallel()
	e := newBatchEnv(t)
	ctx := context.Background()
	role := e.role(t, "confirm", "batchoperations.s3.amazonaws.com", true)
	m := e.manifest(t, e.manifests+",a.txt\n"+e.manifests+",b.txt\n"+e.manifests+",c.txt\n", s3ctypes.JobManifestFieldNameBucket, s3ctypes.JobManifestFieldNameKey)
	in := e.jobInput(role, m, nil)
	in.ConfirmationRequired = aws.Bool(true)
	waiting := must(e.sc.CreateJob(ctx, in))(t)
	done := must(e.sc.CreateJob(ctx, e.jobInput(role, m, nil)))(t)
	id := aws.ToString(waiting.JobId)
	e.wait(t, id, s3ctypes.JobStatusSuspended, s3ctypes.JobStatusComplete, s3ctypes.JobStatusFailed)
	e.wait(t, aws.ToString(done.JobId), s3ctypes.JobStatusComplete)
	time.Sleep(300 * time.Millisecond)
	job := e.wait(t, id, s3ctypes.JobStatusSuspended, s3ctypes.JobStatusComplete, s3ctypes.JobStatusFailed)
	if job.Status != s3ctypes.JobStatusSuspended || aws.ToInt64(job.ProgressSummary.NumberOfTasksSucceeded) != 0 || aws.ToInt64(job.ProgressSummary.TotalNumberOfTasks) != 3 {
		t.Fatalf("job %s with progress %+v, want Suspended, 3 tasks, none run", job.Status, job.ProgressSummary)
	}

	// ListJobs filters by status (and pages, MaxResults 2).
	has := func(list []s3ctypes.JobListDescriptor, id string) bool {
		return slices.ContainsFunc(list, func(j s3ctypes.JobListDescriptor) bool { return aws.ToString(j.JobId) == id })
	}
	suspended := listAllJobs(t, e.sc, []s3ctypes.JobStatus{s3ctypes.JobStatusSuspended})
	complete := listAllJobs(t, e.sc, []s3ctypes.JobStatus{s3ctypes.JobStatusComplete})
	all := listAllJobs(t, e.sc, nil)
	if !has(suspended, id) || has(suspended, aws.ToString(done.JobId)) || !has(complete, aws.ToString(done.JobId)) || has(complete, id) || !has(all, id) || !has(all, aws.ToString(done.JobId)) {
		t.Fatalf("ListJobs: suspended %v complete %v", len(suspended), len(complete))
	}
	for _, j := range suspended {
		if j.Status != s3ctypes.JobStatusSuspended {
			t.Fatalf("ListJobs [Suspended] lists a %s job", j.Status)
		}
	}

	_, err := e.sc.UpdateJobStatus(ctx, &s3control.UpdateJobStatusInput{AccountId: aws.String(prodID), JobId: done.JobId, RequestedJobStatus: s3ctypes.RequestedJobStatusReady})
	wantCode(t, err, "JobStatusException")
	must(e.sc.UpdateJobPriority(ctx, &s3control.UpdateJobPriorityInput{AccountId: aws.String(prodID), JobId: aws.String(id), Priority: 42}))(t)
	must(e.sc.UpdateJobStatus(ctx, &s3control.UpdateJobStatusInput{AccountId: aws.String(prodID), JobId: aws.String(id), RequestedJobStatus: s3ctypes.RequestedJobStatusReady}))(t)
	job = e.wait(t, id, s3ctypes.JobStatusComplete, s3ctypes.JobStatusFailed)
	if job.Status != s3ctypes.JobStatusComplete || aws.ToInt64(job.ProgressSummary.NumberOfTasksSucceeded) != 3 || job.Priority != 42 {
		t.Fatalf("confirmed job %s, priority %d, progress %+v", job.Status, job.Priority, job.ProgressSummary)
	}
}

func TestS3ControlRefusesAnotherAccountAndAnonymousCallers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	prod := orgAdmin(t, prodID)
	sc := awsacct.S3Control(prod.cfg)
	_, err := sc.ListJobs(ctx, &s3control.ListJobsInput{AccountId: aws.String(devID)})
	wantCode(t, err, "AccessDenied")
	_, err = sc.DescribeJob(ctx, &s3control.DescribeJobInput{AccountId: aws.String(repID), JobId: aws.String("00000000-0000-4000-8000-000000000000")})
	wantCode(t, err, "AccessDenied")
	_, err = sc.DescribeJob(ctx, &s3control.DescribeJobInput{AccountId: aws.String(prodID), JobId: aws.String("00000000-0000-4000-8000-000000000000")})
	wantCode(t, err, "NotFoundException")

	req := must(http.NewRequest(http.MethodGet, prod.sb.URL+"/v20180820/jobs", nil))(t)
	req.Header.Set("x-amz-account-id", prodID)
	resp := must((&http.Client{Transport: transport(t, prod.sb)}).Do(req))(t)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !bytes.Contains(body, []byte("<Code>AccessDenied</Code>")) {
		t.Fatalf("anonymous ListJobs: %d %s", resp.StatusCode, body)
	}
}
