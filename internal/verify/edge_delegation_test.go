package verify

import (
	"strings"
	"testing"
)

// TestEdgeDelegation: a trust, bucket or function policy that grants a
// whole account of the three beyond the config's is a start "a principal
// created later" in that account, named after the statement, with the
// path to what it reaches.
func TestEdgeDelegation(t *testing.T) {
	t.Parallel()
	writerTrust := func(extra string) func(inv *Inventory, a map[string]*Account) {
		return func(inv *Inventory, a map[string]*Account) {
			for i, r := range a["reporting"].Roles {
				if r.Name == "acme-data-metadata-writer" {
					a["reporting"].Roles[i].Trust = `{"Version":"2012-10-17","Statement":[{"Sid":"MetadataProcessor","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + prodID + `:root"},"Action":"sts:AssumeRole","Condition":{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::` + prodID + `:role/acme-data-metadata-processor"}}},` + extra + `]}`
				}
			}
		}
	}
	runEdgeCases(t, []edgeCase{
		{
			name:  "trust: the writer role also trusts the Production account",
			edit:  writerTrust(`{"Sid":"AlsoProduction","Effect":"Allow","Principal":{"AWS":"` + prodID + `"},"Action":"sts:AssumeRole"}`),
			start: "a principal created later in account " + prodID + " (production), as trust policy of acme-data-metadata-writer statement AlsoProduction allows",
			kind:  "delegation",
			want:  "a principal created later in account " + prodID + " (production), as trust policy of acme-data-metadata-writer statement AlsoProduction allows -[sts:AssumeRole]-> role acme-data-metadata-writer (reporting) -[s3:PutObject]-> arn:aws:s3:::acme-data-reporting/metadata/xacct-witness.json",
		},
		{
			name:  "trust: a role name no principal holds yet is a principal the account may create",
			edit:  writerTrust(`{"Sid":"NotYet","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + prodID + `:root"},"Action":"sts:AssumeRole","Condition":{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::` + prodID + `:role/made-later"}}}`),
			start: "a principal created later in account " + prodID + " (production), as trust policy of acme-data-metadata-writer statement NotYet allows",
			kind:  "delegation",
			want:  "a principal created later in account " + prodID + " (production), as trust policy of acme-data-metadata-writer statement NotYet allows -[sts:AssumeRole]-> role acme-data-metadata-writer (reporting) -[s3:PutObject]-> arn:aws:s3:::acme-data-reporting/metadata/xacct-witness.json",
		},
		{
			name: "trust: the developers' role also trusts the whole Development account",
			edit: func(inv *Inventory, a map[string]*Account) {
				for i, r := range a["production"].Roles {
					if r.Name == "acme-data-developers" {
						a["production"].Roles[i].Trust = strings.Replace(r.Trust, `"Statement":[`, `"Statement":[{"Sid":"AnyDev","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+devID+`:root"},"Action":"sts:AssumeRole"},`, 1)
					}
				}
			},
			start: "a principal created later in account " + devID + " (development), as trust policy of acme-data-developers statement AnyDev allows",
			kind:  "delegation",
			want:  "a principal created later in account " + devID + " (development), as trust policy of acme-data-developers statement AnyDev allows -[sts:AssumeRole]-> role acme-data-developers (production) -[s3:PutObject]-> arn:aws:s3:::acme-data-prod/xacct-witness",
		},
		{
			name: "function policy: the Development account may replace the processor's code",
			edit: func(inv *Inventory, a map[string]*Account) {
				for i, f := range a["production"].Functions {
					a["production"].Functions[i].Policy = `{"Version":"2012-10-17","Statement":[{"Sid":"DevDeploys","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + devID + `:root"},"Action":"lambda:UpdateFunctionCode","Resource":"` + f.ARN + `"}]}`
				}
			},
			start: "a principal created later in account " + devID + " (development), as policy of function acme-data-metadata-processor statement DevDeploys allows",
			kind:  "delegation",
			want:  "a principal created later in account " + devID + " (development), as policy of function acme-data-metadata-processor statement DevDeploys allows -[lambda:UpdateFunctionCode]-> role acme-data-metadata-processor (production) -[s3:GetObject]-> arn:aws:s3:::acme-data-prod/xacct-witness",
		},
	})
	// A bucket's delegation has no hop: the start reaches it itself.
	t.Run("bucket policy: any principal of the Development account by aws:PrincipalAccount", func(t *testing.T) {
		t.Parallel()
		_, r := plant(t, "", func(inv *Inventory, a map[string]*Account) {
			inv.BucketPolicies["acme-data-prod"] = `{"Version":"2012-10-17","Statement":[{"Sid":"DevRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-data-prod/*","Condition":{"StringEquals":{"aws:PrincipalAccount":"` + devID + `"}}}]}`
		})
		start := "a principal created later in account " + devID + " (development), as bucket policy of acme-data-prod statement DevRead allows"
		wantRoute(t, r, start, start+" -[s3:GetObject]-> arn:aws:s3:::acme-data-prod/xacct-witness")
	})
	t.Run("the config's own delegations are no finding", func(t *testing.T) {
		t.Parallel()
		_, r := plant(t, "", func(*Inventory, map[string]*Account) {})
		for _, f := range append(r.Findings, r.Administrators...) {
			if strings.HasPrefix(f.Principal, "a principal created later") {
				t.Errorf("the default deployment delegates: %s", f.Route())
			}
		}
	})
}
