package e2e

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/xacct/xacct/internal/cli"
)

// killPoints are after how many finished changes apply and destroy are
// killed: a few in every run, all ten with XACCT_KILL_POINTS=all (make
// chaos).
func killPoints() []int {
	if os.Getenv("XACCT_KILL_POINTS") == "all" {
		return []int{1, 3, 5, 7, 9, 11, 13, 15, 17, 19}
	}
	return []int{2, 11, 19}
}

// inventory lists what exists with the stack's names in the three
// accounts: IAM roles and groups, buckets, functions.
func inventory(t *testing.T, e *env) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	// Every list is paged: the shared sandbox holds the stacks of every
	// test (more than ListRoles' 100 or ListFunctions' 50 of a page).
	for _, acct := range []string{devID, prodID, repID} {
		c := orgAdmin(t, acct)
		add := func(kind, name string) {
			if strings.HasPrefix(name, e.stack) {
				out = append(out, acct+" "+kind+" "+name)
			}
		}
		for roles := iam.NewListRolesPaginator(c.iam, &iam.ListRolesInput{}); roles.HasMorePages(); {
			for _, r := range must(roles.NextPage(ctx))(t).Roles {
				add("role", aws.ToString(r.RoleName))
			}
		}
		for groups := iam.NewListGroupsPaginator(c.iam, &iam.ListGroupsInput{}); groups.HasMorePages(); {
			for _, g := range must(groups.NextPage(ctx))(t).Groups {
				add("group", aws.ToString(g.GroupName))
			}
		}
		for buckets := s3.NewListBucketsPaginator(c.s3, &s3.ListBucketsInput{}); buckets.HasMorePages(); {
			for _, b := range must(buckets.NextPage(ctx))(t).Buckets {
				add("bucket", aws.ToString(b.Name))
			}
		}
		for fns := lambda.NewListFunctionsPaginator(lambda.NewFromConfig(c.cfg), &lambda.ListFunctionsInput{}); fns.HasMorePages(); {
			for _, f := range must(fns.NextPage(ctx))(t).Functions {
				add("function", aws.ToString(f.FunctionName))
			}
		}
	}
	slices.Sort(out)
	return out
}

// killAfter runs xacct as a process and SIGKILLs it once n changes have
// finished; it reports whether it got to kill it.
func killAfter(t *testing.T, n int, args ...string) bool {
	t.Helper()
	cmd, sc := startXacct(t, shared, false, args...)
	done := 0
	for done < n && sc.Scan() {
		if strings.Contains(sc.Text(), " complete after ") {
			done++
		}
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	return done == n
}

// unlock clears the lock a killed run left, as its message says to.
func unlock(t *testing.T, e *env, args ...string) {
	t.Helper()
	code, _, errOut := e.run(args...)
	if code != cli.ExitError || !strings.Contains(errOut, "xacct force-unlock ") {
		t.Fatalf("a run after the kill: exit %d, %s", code, errOut)
	}
	id := strings.TrimSpace(errOut[strings.Index(errOut, "force-unlock ")+len("force-unlock "):])
	e.mustRun("force-unlock", id)
}

// TestKilledApplyAndDestroyConverge: apply and destroy killed with SIGKILL
// after n changes converge when run again, with nothing leaked or made
// twice, compared with an inventory of the accounts.
func TestKilledApplyAndDestroyConverge(t *testing.T) {
	// Its inventory counts only its stacks' names: it runs beside the
	// other parallel tests on the shared sandbox (none injects faults).
	t.Parallel()
	var want []string
	for _, n := range killPoints() {
		t.Run(fmt.Sprintf("after %d changes", n), func(t *testing.T) {
			e := newEnv(t, "")
			if !killAfter(t, n, "apply", "--auto-approve", "--parallelism", "1", "-c", e.cfg) {
				t.Fatalf("apply finished before %d changes", n)
			}
			unlock(t, e, "apply", "--auto-approve")
			e.mustRun("apply", "--auto-approve")
			if code, out, _ := e.run("plan", "--detailed-exitcode"); code != cli.ExitOK {
				t.Fatalf("not converged after the killed apply:\n%s", out)
			}
			if out := e.mustRun("state", "list"); strings.Contains(out, "not confirmed") {
				t.Errorf("pending entries after the second apply:\n%s", out)
			}
			got := inventory(t, e)
			// Every stack has the same shape: its names differ by the prefix.
			shape := make([]string, len(got))
			for i, g := range got {
				shape[i] = strings.ReplaceAll(g, e.stack, "STACK")
			}
			if want == nil {
				want = shape
			} else if !slices.Equal(shape, want) {
				t.Errorf("inventory after the killed apply:\n%s\nwant:\n%s", strings.Join(shape, "\n"), strings.Join(want, "\n"))
			}

			if !killAfter(t, n, "destroy", "--auto-approve", "--force-delete-data", "--parallelism", "1", "-c", e.cfg) {
				t.Fatalf("destroy finished before %d changes", n)
			}
			unlock(t, e, "destroy", "--auto-approve", "--force-delete-data")
			e.mustRun("destroy", "--auto-approve", "--force-delete-data")
			if left := inventory(t, e); len(left) != 0 {
				t.Errorf("left after the killed destroy and a second one:\n%s", strings.Join(left, "\n"))
			}
			if out := e.mustRun("state", "list"); !strings.HasPrefix(out, "The state holds no resources") {
				t.Errorf("state after destroy:\n%s", out)
			}
		})
	}
}
