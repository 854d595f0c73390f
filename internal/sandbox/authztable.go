package sandbox

import (
	"crypto/tls"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The sandbox's authorization table: which actions it serves, and where
// the value of each condition key the Service Authorization Reference lists
// for them comes from. Every authorization goes through checkAuthzContext
// (gateway.authorize): an action missing here, or a resource that is not an
// ARN of one of the action's resource types in the reference ("*" only when
// it has none), is refused as an internal error rather than decided on the
// wrong resource. TestAuthzTable holds this file to the reference and to
// the handlers.

// servedActions lists, per service, every action the sandbox authorizes:
// those its handlers name (s3.go, batchops.go, iam.go, sts.go, lambda.go,
// logs*.go, cloudtrail.go), those kumo serves behind a forwarding handler
// (IAM, Logs), and the additional authorizations of authzextra.go and sts.go.
var servedActions = map[string]string{
	"s3": `ListAllMyBuckets CreateBucket DeleteBucket ListBucket ListBucketVersions ListBucketMultipartUploads
		GetBucketPolicy PutBucketPolicy DeleteBucketPolicy GetBucketPublicAccessBlock PutBucketPublicAccessBlock GetEncryptionConfiguration
		PutEncryptionConfiguration GetBucketVersioning PutBucketVersioning GetBucketTagging PutBucketTagging GetBucketOwnershipControls
		PutBucketOwnershipControls GetBucketNotification PutBucketNotification GetBucketAcl PutBucketAcl GetBucketCORS
		PutBucketCORS GetLifecycleConfiguration PutLifecycleConfiguration GetBucketWebsite PutBucketWebsite GetBucketLogging
		PutBucketLogging GetBucketObjectLockConfiguration PutBucketObjectLockConfiguration GetBucketLocation GetBucketPolicyStatus GetObject
		GetObjectVersion GetObjectAttributes GetObjectVersionAttributes GetObjectTagging GetObjectVersionTagging GetObjectAcl
		GetObjectVersionAcl PutObject PutObjectTagging PutObjectVersionTagging PutObjectAcl PutObjectVersionAcl
		DeleteObject DeleteObjectVersion DeleteObjectTagging DeleteObjectVersionTagging AbortMultipartUpload ListMultipartUploadParts
		CreateJob DescribeJob ListJobs UpdateJobPriority UpdateJobStatus GetAccountPublicAccessBlock PutAccountPublicAccessBlock
		TagResource`,
	"iam": `CreateUser DeleteUser GetUser ListUsers CreateRole DeleteRole
		GetRole ListRoles UpdateRole UpdateAssumeRolePolicy TagRole CreatePolicy
		DeletePolicy GetPolicy ListPolicies AttachUserPolicy DetachUserPolicy AttachRolePolicy
		DetachRolePolicy CreateAccessKey DeleteAccessKey ListAccessKeys PutRolePolicy GetRolePolicy
		DeleteRolePolicy ListRolePolicies ListAttachedRolePolicies ListInstanceProfilesForRole CreateOpenIDConnectProvider GetOpenIDConnectProvider
		DeleteOpenIDConnectProvider ListOpenIDConnectProviders UpdateOpenIDConnectProviderThumbprint CreateInstanceProfile DeleteInstanceProfile GetInstanceProfile
		ListInstanceProfiles AddRoleToInstanceProfile RemoveRoleFromInstanceProfile CreateGroup GetGroup ListGroupsForUser
		DeleteGroup PutGroupPolicy PutUserPolicy GetGroupPolicy GetUserPolicy DeleteGroupPolicy
		DeleteUserPolicy ListGroupPolicies ListUserPolicies AttachGroupPolicy DetachGroupPolicy ListAttachedGroupPolicies
		ListAttachedUserPolicies PutRolePermissionsBoundary DeleteRolePermissionsBoundary PutUserPermissionsBoundary DeleteUserPermissionsBoundary AddUserToGroup
		RemoveUserFromGroup ListGroups ListEntitiesForPolicy GetPolicyVersion ListPolicyVersions CreatePolicyVersion
		DeletePolicyVersion SetDefaultPolicyVersion GetAccountAuthorizationDetails PassRole
		TagUser TagPolicy TagInstanceProfile TagOpenIDConnectProvider TagMFADevice
		CreateVirtualMFADevice EnableMFADevice DeactivateMFADevice DeleteVirtualMFADevice ListMFADevices ListVirtualMFADevices`,
	"sts": `AssumeRole SetSourceIdentity TagSession`,
	"lambda": `TagResource ListTags UntagResource CreateEventSourceMapping ListEventSourceMappings GetEventSourceMapping
		UpdateEventSourceMapping DeleteEventSourceMapping CreateFunction ListFunctions RemovePermission GetFunction
		DeleteFunction GetFunctionConfiguration UpdateFunctionConfiguration UpdateFunctionCode InvokeFunction AddPermission
		GetPolicy PutFunctionEventInvokeConfig UpdateFunctionEventInvokeConfig GetFunctionEventInvokeConfig DeleteFunctionEventInvokeConfig ListVersionsByFunction`,
	"logs": `CreateLogGroup CreateLogStream DeleteLogGroup DeleteLogStream DeleteRetentionPolicy DescribeLogGroups
		DescribeLogStreams FilterLogEvents GetLogEvents PutLogEvents PutRetentionPolicy TagResource
		UntagResource ListTagsForResource TagLogGroup`,
	"cloudtrail": `CreateTrail UpdateTrail GetTrail DescribeTrails ListTrails DeleteTrail
		StartLogging StopLogging GetTrailStatus PutEventSelectors GetEventSelectors AddTags
		RemoveTags ListTags ListPublicKeys`,
}

// wildcardResources are the actions without a resource type that a handler
// authorizes on a service-wide ARN rather than "*": a policy granting
// s3:ListAllMyBuckets on arn:aws:s3:::* works in AWS, and does here.
var wildcardResources = map[string]string{"s3:ListAllMyBuckets": "arn:aws:s3:::*"}

// keySource says where the value of a condition key comes from. Exactly one
// field is set.
type keySource struct {
	// seam reads the value from the request itself, for any action whose
	// reference entry lists the key; "" when the request carries none.
	seam func(c *call) string
	// handler names the file whose handler supplies the key (it needs the
	// request's body or the resource's state).
	handler string
	// none says why no request to the sandbox ever has a value for the key
	// (the feature it belongs to is not served), or what is known to be
	// missing (gap: …): a Deny on such a key does not apply here.
	none string
}

func header(name string) keySource {
	return keySource{seam: func(c *call) string { return c.r.Header.Get(name) }}
}

func queryParam(name string) keySource {
	return keySource{seam: func(c *call) string {
		if c.r.URL == nil {
			return ""
		}
		return c.r.URL.Query().Get(name)
	}}
}

const (
	noAccessPoints = "the sandbox serves no access points, Access Grants or bucket namespaces"
	noFederation   = "the sandbox's STS serves AssumeRole with IAM credentials only: no web identity or SAML"
	noObjectLock   = "the sandbox serves no Object Lock (kumo has none)"
	noVPC          = "the sandbox's Lambda has no VPC, layers, code signing or function URLs"
	requestTags    = "authztags.go (the request's tags, per action: requestTagSources)"
	resourceTags   = "authztags.go (the tags of the resource authorized on, read when a policy asks: resourceTagContext)"
)

// conditionKeys is every condition key the reference lists for a served
// action, spelled as the reference spells it.
var conditionKeys = map[string]keySource{
	// Tags.
	"aws:RequestTag/${TagKey}":  {handler: requestTags},
	"aws:TagKeys":               {handler: requestTags},
	"aws:ResourceTag/${TagKey}": {handler: resourceTags},
	"iam:ResourceTag/${TagKey}": {handler: resourceTags},
	"s3:BucketTag/${TagKey}":    {handler: resourceTags},

	// S3, from the request.
	"s3:TlsVersion":                                      {seam: tlsVersion},
	"s3:authType":                                        {seam: s3AuthType},
	"s3:signatureAge":                                    {seam: signatureAge},
	"s3:signatureversion":                                {seam: func(c *call) string { return ifSigned(c, "AWS4-HMAC-SHA256") }},
	"s3:x-amz-content-sha256":                            header("X-Amz-Content-Sha256"),
	"s3:x-amz-acl":                                       header("X-Amz-Acl"),
	"s3:x-amz-copy-source":                               header("X-Amz-Copy-Source"),
	"s3:x-amz-grant-full-control":                        header("X-Amz-Grant-Full-Control"),
	"s3:x-amz-grant-read":                                header("X-Amz-Grant-Read"),
	"s3:x-amz-grant-read-acp":                            header("X-Amz-Grant-Read-Acp"),
	"s3:x-amz-grant-write":                               header("X-Amz-Grant-Write"),
	"s3:x-amz-grant-write-acp":                           header("X-Amz-Grant-Write-Acp"),
	"s3:x-amz-metadata-directive":                        header("X-Amz-Metadata-Directive"),
	"s3:x-amz-server-side-encryption":                    header("X-Amz-Server-Side-Encryption"),
	"s3:x-amz-storage-class":                             header("X-Amz-Storage-Class"),
	"s3:x-amz-object-ownership":                          header("X-Amz-Object-Ownership"),
	"s3:x-amz-website-redirect-location":                 header("X-Amz-Website-Redirect-Location"),
	"s3:x-amz-server-side-encryption-aws-kms-key-id":     header("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id"),
	"s3:x-amz-server-side-encryption-customer-algorithm": header("X-Amz-Server-Side-Encryption-Customer-Algorithm"),
	"s3:if-match":                                        header("If-Match"),
	"s3:if-none-match":                                   header("If-None-Match"),
	"s3:prefix":                                          queryParam("prefix"),
	"s3:delimiter":                                       queryParam("delimiter"),
	"s3:max-keys":                                        queryParam("max-keys"),
	"s3:versionid":                                       queryParam("versionId"),
	"s3:ResourceAccount":                                 {handler: "s3.go, batchops.go (the bucket's owner; the caller's account for ListAllMyBuckets, CreateBucket and S3 Control)"},
	"s3:ExistingObjectTag/<key>":                         {handler: "s3tags.go (read from the object when a policy asks)"},
	"s3:RequestObjectTag/<key>":                          {handler: "s3tags.go (x-amz-tagging; the Tagging body)"},
	"s3:RequestObjectTagKeys":                            {handler: "s3tags.go (x-amz-tagging; the Tagging body)"},
	"s3:RequestJobOperation":                             {handler: "batchops.go"},
	"s3:RequestJobPriority":                              {handler: "batchops.go"},
	"s3:ExistingJobOperation":                            {handler: "batchops.go"},
	"s3:ExistingJobPriority":                             {handler: "batchops.go"},
	"s3:JobSuspendedCause":                               {handler: "batchops.go"},
	"s3:locationconstraint":                              {seam: locationConstraint},
	"s3:ObjectCreationOperation":                         {seam: objectCreationOperation},
	"s3:x-amz-object-annotation-directive":               {none: "the sandbox serves no object annotations"},
	"s3:object-lock-event-hold":                          {none: noObjectLock},
	"s3:object-lock-event-hold-duration-days":            {none: noObjectLock},
	"s3:object-lock-legal-hold":                          {none: noObjectLock},
	"s3:object-lock-mode":                                {none: noObjectLock},
	"s3:object-lock-remaining-retention-days":            {none: noObjectLock},
	"s3:object-lock-retain-until-date":                   {none: noObjectLock},
	"s3:AccessGrantsInstanceArn":                         {none: noAccessPoints},
	"s3:AccessPointNetworkOrigin":                        {none: noAccessPoints},
	"s3:AccessPointTag/${TagKey}":                        {none: noAccessPoints},
	"s3:DataAccessPointAccount":                          {none: noAccessPoints},
	"s3:DataAccessPointArn":                              {none: noAccessPoints},
	"s3:x-amz-bucket-namespace":                          {none: noAccessPoints},

	// IAM.
	"iam:PolicyARN":                     {handler: "iam.go"},
	"iam:PermissionsBoundary":           {handler: "iam.go"},
	"iam:PassedToService":               {handler: "authzextra.go"},
	"iam:RegisterSecurityKey":           {none: "the sandbox's MFA devices are virtual (TOTP) only: no security key is registered"},
	"iam:FIDO-certification":            {none: "the sandbox's MFA devices are virtual (TOTP) only: no FIDO security key is registered"},
	"iam:FIDO-FIPS-140-3-certification": {none: "the sandbox's MFA devices are virtual (TOTP) only: no FIDO security key is registered"},
	"iam:FIDO-FIPS-140-2-certification": {none: "the sandbox's MFA devices are virtual (TOTP) only: no FIDO security key is registered"},
	"iam:AssociatedResourceArn":         {handler: "authzextra.go"},
	"iam:RoleTemplateARN":               {none: "the sandbox serves no role templates"},

	// STS.
	"sts:ExternalId":                     {handler: "sts.go"},
	"sts:RoleSessionName":                {handler: "sts.go"},
	"sts:SourceIdentity":                 {handler: "sts.go"},
	"sts:TransitiveTagKeys":              {handler: "sts.go"},
	"accounts.google.com:aud":            {none: noFederation},
	"accounts.google.com:sub":            {none: noFederation},
	"cognito-identity.amazonaws.com:amr": {none: noFederation},
	"cognito-identity.amazonaws.com:aud": {none: noFederation},
	"cognito-identity.amazonaws.com:sub": {none: noFederation},
	"graph.facebook.com:app_id":          {none: noFederation},
	"graph.facebook.com:id":              {none: noFederation},
	"www.amazon.com:app_id":              {none: noFederation},
	"www.amazon.com:user_id":             {none: noFederation},
	"saml:aud":                           {none: noFederation},
	"saml:namequalifier":                 {none: noFederation},
	"saml:sub":                           {none: noFederation},
	"saml:sub_type":                      {none: noFederation},

	// Lambda.
	"lambda:FunctionArn":           {handler: "authztags.go (FunctionName of Create/Update, else the mapping's function, read when a policy asks)"},
	"lambda:Principal":             {handler: "lambdapolicy.go (AddPermission's Principal; the removed statement's)"},
	"lambda:EventSourceToken":      {none: "the sandbox serves no Alexa event sources"},
	"lambda:CodeSigningConfigArn":  {none: noVPC},
	"lambda:FunctionUrlAuthType":   {none: noVPC},
	"lambda:InvokedViaFunctionUrl": {none: noVPC},
	"lambda:Layer":                 {none: noVPC},
	"lambda:SecurityGroupIds":      {none: noVPC},
	"lambda:SubnetIds":             {none: noVPC},
	"lambda:VpcIds":                {none: noVPC},
}

// ifSigned is v for a signed request, "" for an anonymous one.
func ifSigned(c *call, v string) string {
	if c.cred == nil {
		return ""
	}
	return v
}

// s3AuthType is how the request was authenticated: the Authorization
// header or the query string (a presigned URL).
func s3AuthType(c *call) string {
	switch {
	case c.cred == nil:
		return ""
	case c.r.URL != nil && c.r.URL.Query().Get("X-Amz-Signature") != "":
		return "REST-QUERY-STRING"
	}
	return "REST-HEADER"
}

// signatureAge is the age of the request's signature in milliseconds.
func signatureAge(c *call) string {
	if c.cred == nil {
		return ""
	}
	d := c.r.Header.Get("X-Amz-Date")
	if d == "" && c.r.URL != nil {
		d = c.r.URL.Query().Get("X-Amz-Date")
	}
	t, err := time.Parse("20060102T150405Z", d)
	if err != nil {
		return ""
	}
	return strconv.FormatInt(max(0, time.Since(t).Milliseconds()), 10)
}

func tlsVersion(c *call) string {
	if c.r.TLS == nil {
		return ""
	}
	switch c.r.TLS.Version {
	case tls.VersionTLS12:
		return "1.2"
	case tls.VersionTLS13:
		return "1.3"
	}
	return ""
}

// authzAction is a served action's reference entry and the keys the seam
// supplies for it, worked out once.
type authzAction struct {
	ref  *refAction
	seam []seamKey
	// tagFamilies are the resource tag keys (resourceTagFamilies) the
	// reference lists for the action; nil when none.
	tagFamilies *tagFamilies
}

type seamKey struct {
	key  string
	from func(c *call) string
}

// authzTable is the served actions' entries, built on first use.
var authzTable = sync.OnceValue(func() map[string]*authzAction {
	ref := authzReference()
	out := map[string]*authzAction{}
	for svc, names := range servedActions {
		for _, n := range strings.Fields(names) {
			name := svc + ":" + n
			ra := ref[name]
			if ra == nil {
				continue // TestAuthzTable names it; a request for it is refused
			}
			a := &authzAction{ref: ra}
			var families []string
			for _, f := range resourceTagFamilies {
				if slices.Contains(ra.keys, f) {
					families = append(families, f)
				}
			}
			if len(families) > 0 {
				a.tagFamilies = newTagFamilies(families)
			}
			for _, k := range ra.keys {
				if src := conditionKeys[k]; src.seam != nil {
					a.seam = append(a.seam, seamKey{k, src.seam})
				}
			}
			out[name] = a
		}
	}
	return out
})

// checkAuthzContext holds an authorization to the table: the action is
// served and the resource is one the reference authorizes it on. It adds
// the condition keys the request itself carries that the reference lists
// for the action (a handler's own value stands).
func checkAuthzContext(c *call, ar authzRequest, ctx map[string][]string) error {
	a := authzTable()[ar.action]
	if a == nil {
		return fmt.Errorf("sandbox: %s is not in the authorization table (authztable.go)", ar.action)
	}
	if !a.ref.resourceOK(ar.resource) && wildcardResources[ar.action] != ar.resource {
		return fmt.Errorf("sandbox: %s would be authorized on %s, which is not a resource the Service Authorization Reference gives it", ar.action, ar.resource)
	}
	if c == nil || c.r == nil {
		return nil
	}
	for _, k := range a.seam {
		if _, ok := ctx[k.key]; ok {
			continue
		}
		if v := k.from(c); v != "" {
			ctx[k.key] = []string{v}
		}
	}
	if _, ok := ctx["aws:TagKeys"]; !ok {
		return addRequestTags(c, ar.action, ctx)
	}
	return nil
}

// resourceTags is the lazy context of the tags of the resource ar is
// authorized on (authztags.go), for the tag keys its action takes.
func (g *gateway) resourceTags(ar authzRequest) *lazyContext {
	a := authzTable()[ar.action]
	if a == nil || a.tagFamilies == nil {
		return nil
	}
	return resourceTagContext(a.tagFamilies, ar.resource, ar.resourceAccount, g.readTags)
}
