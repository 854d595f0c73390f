package sandbox

// S3 Block Public Access, enforced as AWS documents it: the bucket's
// settings (kept by kumo, read through a cache) OR its owner account's
// (s3control's PutPublicAccessBlock, kept by the gateway: kumo has one
// account per process and the gateway serves S3 Control itself). What
// "public" means is iampolicy.Statement.IsPublic, the definition verify
// uses too.

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/xacct/xacct/internal/awserr"
	"github.com/xacct/xacct/internal/iampolicy"
)

// publicAccessBlock is one level's four settings.
type publicAccessBlock struct {
	BlockPublicAcls       bool `json:"block_public_acls" xml:"BlockPublicAcls"`
	IgnorePublicAcls      bool `json:"ignore_public_acls" xml:"IgnorePublicAcls"`
	BlockPublicPolicy     bool `json:"block_public_policy" xml:"BlockPublicPolicy"`
	RestrictPublicBuckets bool `json:"restrict_public_buckets" xml:"RestrictPublicBuckets"`
}

// or is the most restrictive combination of two levels, which S3 applies.
func (a publicAccessBlock) or(b publicAccessBlock) publicAccessBlock {
	return publicAccessBlock{
		BlockPublicAcls:       a.BlockPublicAcls || b.BlockPublicAcls,
		IgnorePublicAcls:      a.IgnorePublicAcls || b.IgnorePublicAcls,
		BlockPublicPolicy:     a.BlockPublicPolicy || b.BlockPublicPolicy,
		RestrictPublicBuckets: a.RestrictPublicBuckets || b.RestrictPublicBuckets,
	}
}

// accountPublicAccessBlock is the account-level setting; zero when none.
func (g *gateway) accountPublicAccessBlock(account string) publicAccessBlock {
	var out publicAccessBlock
	g.st.view(func() {
		if as := g.st.Accounts[account]; as != nil && as.PublicAccessBlock != nil {
			out = *as.PublicAccessBlock
		}
	})
	return out
}

// effectivePublicAccessBlock is what applies to bucket (owned by owner):
// the bucket's settings OR the account's.
func (g *gateway) effectivePublicAccessBlock(ctx context.Context, bucket, owner string) (publicAccessBlock, error) {
	acct := g.accountPublicAccessBlock(owner)
	g.cache.mu.Lock()
	bk, ok := g.cache.bpa[bucket]
	gen := g.cache.bgen[bucket]
	g.cache.mu.Unlock()
	if !ok {
		b := g.sb.accounts[owner]
		if b == nil {
			return acct, nil
		}
		out, err := b.s3.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String(bucket)})
		switch {
		case err == nil && out.PublicAccessBlockConfiguration != nil:
			c := out.PublicAccessBlockConfiguration
			bk = publicAccessBlock{aws.ToBool(c.BlockPublicAcls), aws.ToBool(c.IgnorePublicAcls), aws.ToBool(c.BlockPublicPolicy), aws.ToBool(c.RestrictPublicBuckets)}
		case err == nil, awserr.Is(err, "NoSuchPublicAccessBlockConfiguration"), awserr.Is(err, "NoSuchBucket"):
		default:
			return publicAccessBlock{}, fmt.Errorf("read public access block of %s: %w", bucket, err)
		}
		g.cache.storeBucket(bucket, gen, func() { g.cache.bpa[bucket] = bk })
	}
	return bk.or(acct), nil
}

// blockedPublicPolicy reports (and answers) a PutBucketPolicy that
// BlockPublicPolicy refuses: the policy doc is public.
func (g *gateway) blockedPublicPolicy(c *call, op s3Op, owner string, doc *iampolicy.Policy) bool {
	if !doc.IsPublic() {
		return false
	}
	bpa, err := g.effectivePublicAccessBlock(c.r.Context(), op.bucket, owner)
	if err != nil {
		g.fail(c, http.StatusInternalServerError, "InternalError", err.Error())
		return true
	}
	if !bpa.BlockPublicPolicy {
		return false
	}
	who := "anonymous"
	if p := c.principal(); p != nil {
		who = p.ARN
	}
	g.fail(c, http.StatusForbidden, "AccessDenied", fmt.Sprintf("User: %s is not authorized to perform: s3:PutBucketPolicy on resource: %q because public policies are blocked by the BlockPublicPolicy block public access setting.", who, op.arn()))
	return true
}

// publicCannedACLs are the canned ACLs that grant to AllUsers or
// AuthenticatedUsers.
var publicCannedACLs = map[string]bool{"public-read": true, "public-read-write": true, "authenticated-read": true}

// publicGroups are the grantees that make an ACL public.
var publicGroups = [][]byte{[]byte("acs.amazonaws.com/groups/global/AllUsers"), []byte("acs.amazonaws.com/groups/global/AuthenticatedUsers")}

// setsPublicACL reports whether the request sets a public ACL: a public
// canned ACL, an x-amz-grant-* header naming a public group, or (PutBucketAcl,
// PutObjectAcl) an AccessControlPolicy body that grants to one.
func setsPublicACL(h http.Header, body []byte, aclRequest bool) bool {
	if publicCannedACLs[h.Get("X-Amz-Acl")] {
		return true
	}
	for k, vs := range h {
		if !strings.HasPrefix(k, "X-Amz-Grant-") {
			continue
		}
		for _, v := range vs {
			for _, grp := range publicGroups {
				if strings.Contains(v, string(grp)) {
					return true
				}
			}
		}
	}
	if aclRequest {
		for _, grp := range publicGroups {
			if bytes.Contains(body, grp) {
				return true
			}
		}
	}
	return false
}

// blockedPublicACL reports (and answers) a request that BlockPublicAcls
// refuses: one that sets a public ACL on the bucket or an object.
func (g *gateway) blockedPublicACL(c *call, op s3Op, owner string) bool {
	switch op.action {
	case "s3:PutObject", "s3:PutObjectAcl", "s3:PutBucketAcl":
	default:
		return false
	}
	if !setsPublicACL(c.r.Header, c.body, op.action != "s3:PutObject") {
		return false
	}
	bpa, err := g.effectivePublicAccessBlock(c.r.Context(), op.bucket, owner)
	if err != nil {
		g.fail(c, http.StatusInternalServerError, "InternalError", err.Error())
		return true
	}
	if !bpa.BlockPublicAcls {
		return false
	}
	g.fail(c, http.StatusForbidden, "AccessDenied", "Access Denied")
	return true
}

// restrictPublicBucket applies RestrictPublicBuckets to a request governed
// by a bucket policy: while the policy is public, it grants nothing to
// anonymous callers and principals of other accounts, even those it names
// (AWS: "public and cross-account access within any public bucket policy,
// including non-public delegation to specific accounts, is blocked"); its
// denies still apply. The owner account's principals and AWS service
// principals keep what it grants.
func (g *gateway) restrictPublicBucket(ctx context.Context, c *call, ar *authzRequest) error {
	bp := ar.resourcePolicy
	if bp == nil || bp.Name != "bucket policy" {
		return nil
	}
	p := c.principal()
	if p != nil && (p.Kind == "service" || p.Account == ar.resourceAccount) {
		return nil
	}
	if !bp.Policy.IsPublic() {
		return nil
	}
	bucket, _, _ := strings.Cut(strings.TrimPrefix(ar.resource, "arn:aws:s3:::"), "/")
	bpa, err := g.effectivePublicAccessBlock(ctx, bucket, ar.resourceAccount)
	if err != nil || !bpa.RestrictPublicBuckets {
		return err
	}
	restricted := *bp.Policy
	restricted.Statements = nil
	for _, s := range bp.Policy.Statements {
		if s.Effect == iampolicy.Deny {
			restricted.Statements = append(restricted.Statements, s)
		}
	}
	ar.resourcePolicy = &iampolicy.NamedPolicy{Name: bp.Name + " (its grants restricted by RestrictPublicBuckets)", Policy: &restricted}
	return nil
}

// accountPublicAccessBlockXML is S3 Control's PublicAccessBlockConfiguration.
type accountPublicAccessBlockXML struct {
	XMLName xml.Name `xml:"PublicAccessBlockConfiguration"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	publicAccessBlock
}

// serveAccountPublicAccessBlock serves S3 Control's Get, Put and
// DeletePublicAccessBlock (GET, PUT, DELETE
// /v20180820/configuration/publicAccessBlock) for the caller's account,
// once serveS3Control has authorized it.
func (g *gateway) serveAccountPublicAccessBlock(c *call) {
	p := c.principal()
	switch c.r.Method {
	case http.MethodGet:
		var cur *publicAccessBlock
		g.st.view(func() {
			if as := g.st.Accounts[p.Account]; as != nil {
				cur = as.PublicAccessBlock
			}
		})
		if cur == nil {
			g.fail(c, http.StatusNotFound, "NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found")
			return
		}
		out, _ := xml.Marshal(accountPublicAccessBlockXML{Xmlns: "http://awss3control.amazonaws.com/doc/2018-08-20/", publicAccessBlock: *cur})
		c.w.Header().Set("Content-Type", "application/xml")
		c.w.Header().Set("X-Amz-Request-Id", c.reqID)
		c.w.WriteHeader(http.StatusOK)
		_, _ = c.w.Write(append([]byte(xml.Header), out...))
	case http.MethodPut, http.MethodDelete:
		var next *publicAccessBlock
		if c.r.Method == http.MethodPut {
			var in accountPublicAccessBlockXML
			if err := xml.Unmarshal(c.body, &in); err != nil {
				g.fail(c, http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
				return
			}
			next = &in.publicAccessBlock
		}
		if err := g.st.update(func() error { g.st.account(p.Account).PublicAccessBlock = next; return nil }); err != nil {
			g.fail(c, http.StatusInternalServerError, "InternalError", err.Error())
			return
		}
		c.w.Header().Set("X-Amz-Request-Id", c.reqID)
		if next == nil {
			c.w.WriteHeader(http.StatusNoContent)
			return
		}
		c.w.WriteHeader(http.StatusOK)
	default:
		g.fail(c, http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.")
	}
}
