package e2e

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/xacct/xacct/internal/cli"
)

// byKey counts requests by the access key that signed them: each account's
// session signs with its own.
type byKey struct {
	mu   sync.Mutex
	n    map[string]int
	next http.RoundTripper
}

var credentialKeyRE = regexp.MustCompile(`Credential=([A-Z0-9]+)/`)

func (c *byKey) RoundTrip(r *http.Request) (*http.Response, error) {
	key := "unsigned"
	if m := credentialKeyRE.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		key = m[1]
	}
	c.mu.Lock()
	c.n[key]++
	c.mu.Unlock()
	return c.next.RoundTrip(r)
}

// TestVerifyScale: with 200 more users, 50 roles and 20 groups in each
// account (none with access), verify walks every principal and still
// answers clean, in a handful of calls per account (GetAccountAuthorizationDetails
// pages, not a call per principal). Time and calls are reported, not
// asserted as timings (README: performance is measured, not tested).
func TestVerifyScale(t *testing.T) {
	// On a sandbox of its own: its principals are walked by no one else,
	// and it runs beside the other tests.
	t.Parallel()
	ctx := context.Background()
	e := newEnvOn(t, ownSandbox(t), "")
	e.mustRun("apply", "--auto-approve")
	const users, roles, groups = 200, 50, 20
	// Nothing is deleted afterwards: the sandbox is its own, closed at
	// the end.
	for _, id := range []string{devID, prodID, repID} {
		c := e.orgAdmin(id)
		sem := make(chan struct{}, 16)
		var wg sync.WaitGroup
		do := func(create func() error) {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				if err := create(); err != nil {
					t.Error(err)
				}
			}()
		}
		for i := range groups {
			name := fmt.Sprintf("%s-sg%02d", e.stack, i)
			do(func() error {
				_, err := c.iam.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(name)})
				return err
			})
		}
		for i := range roles {
			name := fmt.Sprintf("%s-sr%02d", e.stack, i)
			do(func() error {
				_, err := c.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(
					`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + id + `:root"},"Action":"sts:AssumeRole"}]}`)})
				return err
			})
		}
		wg.Wait()
		for i := range users {
			name, group := fmt.Sprintf("%s-su%03d", e.stack, i), fmt.Sprintf("%s-sg%02d", e.stack, i%groups)
			do(func() error {
				if _, err := c.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
					return err
				}
				_, err := c.iam.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String(name), GroupName: aws.String(group)})
				return err
			})
		}
		wg.Wait()
	}

	counter := &byKey{n: map[string]int{}, next: e.calls.next}
	e.calls.next = counter
	start := time.Now()
	code, out, errOut := e.run("verify")
	took := time.Since(start)
	if code != cli.ExitOK {
		t.Fatalf("verify with %d users, %d roles and %d groups more per account: exit %d\n%s%s", users, roles, groups, code, out, errOut)
	}
	walked := regexp.MustCompile(`(\d+) principals walked`).FindStringSubmatch(out)
	if walked == nil {
		t.Fatalf("verify does not say how many principals it walked:\n%s", out)
	}
	var perKey []int
	for _, n := range counter.n {
		perKey = append(perKey, n)
	}
	slices.Sort(perKey)
	most := perKey[len(perKey)-1]
	// Most calls of one account: its state reads, one page of
	// GetAccountAuthorizationDetails per 1000 entities, ListFunctions and
	// the functions' policies.
	if most >= 20 {
		t.Errorf("verify made %d calls with one account's session (calls by key: %v), want fewer than 20", most, perKey)
	}
	t.Logf("verify of %s principals (%d users, %d roles, %d groups more per account): %v, calls by signing key %v", walked[1], users, roles, groups, took.Round(time.Millisecond), perKey)
}
