package operation

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/xacct/xacct/internal/config"
	"github.com/xacct/xacct/internal/plan"
	"github.com/xacct/xacct/internal/resource"
)

// explainPlanError turns a plan's error into one that says what to do,
// where xacct can tell: members that do not exist (each at its line of
// the config), and account IDs that look swapped (a bucket of the config
// found in another of its accounts).
func (s *Session) explainPlanError(ctx context.Context, err error) error {
	var mu *plan.MissingUsersError
	if errors.As(err, &mu) {
		return missingMembers(s.Config, mu)
	}
	var fb *resource.ForeignBucketError
	if errors.As(err, &fb) {
		if swapped := s.swappedAccounts(ctx, err); swapped != nil {
			return swapped
		}
	}
	return err
}

// missingMembers says which members do not exist, where the config lists
// them, and that nothing was changed.
func missingMembers(cfg *config.Config, e *plan.MissingUsersError) error {
	var lines []string
	for _, m := range e.Missing {
		for _, g := range cfg.Groups {
			for i, name := range g.Members {
				if name != m.Name {
					continue
				}
				key := fmt.Sprintf("groups.%s.members[%d]", g.Key, i)
				line := fmt.Sprintf("  %s: %s: user %s does not exist", cfg.Where(key), key, name)
				if m.Similar != "" {
					line += fmt.Sprintf(" (did you mean %s? IAM user names are written as they were made)", m.Similar)
				}
				lines = append(lines, line)
			}
		}
	}
	what := "a member does not exist"
	if len(lines) > 1 {
		what = fmt.Sprintf("%d members do not exist", len(lines))
	}
	return withHint(fmt.Errorf("%s in the %s account %s; nothing was changed:\n%s", what, e.Account, e.AccountID, strings.Join(lines, "\n")),
		"xacct adds existing users to groups and never creates them: create them first (on the local sandbox: xacct sandbox user create NAME --group GROUP), or take them out of members")
}

// swappedAccounts looks for each bucket that another account owns in the
// config's other accounts; when one is there, the IDs of the two accounts
// look swapped, and the error says so and where they are written. It
// returns nil when no bucket is found elsewhere (it is someone else's).
func (s *Session) swappedAccounts(ctx context.Context, err error) error {
	var foreign []*resource.ForeignBucketError
	walkErrors(err, func(e error) {
		var fb *resource.ForeignBucketError
		if errors.As(e, &fb) {
			foreign = append(foreign, fb)
		}
	})
	var found []string
	pairs := map[string]bool{}
	for _, fb := range foreign {
		var meant *config.Account
		for _, a := range s.Config.Accounts.All() {
			if a.ID == fb.AccountID {
				meant = a
			}
		}
		for _, a := range s.Config.Accounts.All() {
			if meant == nil || a == meant {
				continue
			}
			ok, herr := resource.BucketExists(ctx, s.clients[a.Name], fb.Bucket)
			if herr != nil || !ok {
				continue
			}
			found = append(found, fmt.Sprintf("bucket %s, meant for the %s account %s, is in the %s account %s", fb.Bucket, meant.Name, meant.ID, a.Name, a.ID))
			names := []string{meant.Name, a.Name}
			slices.Sort(names)
			pairs[names[0]+" "+names[1]] = true
		}
	}
	if len(found) == 0 {
		return nil
	}
	var keys []string
	for _, p := range slices.Sorted(maps.Keys(pairs)) {
		a, b, _ := strings.Cut(p, " ")
		keys = append(keys, fmt.Sprintf("accounts.%s.id (%s) and accounts.%s.id (%s)", a, s.Config.Where("accounts."+a+".id"), b, s.Config.Where("accounts."+b+".id")))
	}
	return &HintError{Err: fmt.Errorf("the account IDs look swapped: %s; nothing was changed", strings.Join(found, "; ")),
		Hint: "swap " + strings.Join(keys, ", ") + " back (with their role_arn), then plan again", Detail: err.Error()}
}

// walkErrors calls fn on every error of a tree of joined errors.
func walkErrors(err error, fn func(error)) {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			walkErrors(e, fn)
		}
		return
	}
	fn(err)
}
