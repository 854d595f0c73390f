package operation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/xacct/xacct/internal/awsacct"
	"github.com/xacct/xacct/internal/config"
)

// signIn signs in to every account of cfg. A failure is said once, in one
// line of what happened with a hint of what to do; the SDK's own chain is
// kept as the error's detail (cli prints it with --debug).
func signIn(ctx context.Context, env Env, cfg *config.Config) (map[string]aws.Config, error) {
	return signInTo(ctx, env, cfg, accountsOf(cfg))
}

// signInTo signs in to some of cfg's accounts, as signIn does.
func signInTo(ctx context.Context, env Env, cfg *config.Config, accounts []awsacct.Account) (map[string]aws.Config, error) {
	cfgs, err := awsacct.Connect(ctx, cfg.Region, accounts, env.AWS, "xacct-"+cfg.Stack)
	if err == nil {
		return cfgs, nil
	}
	var me *awsacct.MismatchError
	if errors.As(err, &me) {
		return nil, withHint(err, "check accounts."+me.Account+".id and the credentials or role_arn used for it")
	}
	return nil, explainSignIn(cfg, err)
}

// explainSignIn turns the failures of several accounts that share one
// problem into one error; anything else is returned as it is.
func explainSignIn(cfg *config.Config, err error) error {
	var failed []*awsacct.SignInError
	var walk func(error)
	walk = func(e error) {
		var se *awsacct.SignInError
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
		} else if errors.As(e, &se) {
			failed = append(failed, se)
		}
	}
	walk(err)
	if len(failed) == 0 {
		return err
	}
	problem := failed[0].Problem
	var names []string
	for _, f := range failed {
		if f.Problem != problem || problem == awsacct.ProblemOther {
			return err
		}
		names = append(names, f.Account+" "+f.ID)
	}
	what, hint := describe(cfg, problem, failed)
	return &HintError{Err: fmt.Errorf("cannot sign in to the %s: %s", accountWords(names), what), Hint: hint, Detail: err.Error()}
}

// describe says what a sign-in problem is and what to do about it.
func describe(cfg *config.Config, p awsacct.Problem, failed []*awsacct.SignInError) (what, hint string) {
	sandbox := "for the local sandbox, source the environment file xacct sandbox wrote (--env-file, e.g. . .xacct/sandbox.env)"
	switch p {
	case awsacct.ProblemNoCredentials:
		return "no AWS credentials were found (environment, shared config and credentials files, SSO, instance role)",
			"set AWS_PROFILE or accounts.<name>.profile, run aws configure or aws sso login; " + sandbox
	case awsacct.ProblemSSOExpired:
		var logins []string
		for _, a := range cfg.Accounts.All() {
			login := "aws sso login"
			if a.Profile != "" {
				login += " --profile " + a.Profile
			}
			if !slices.Contains(logins, login) {
				logins = append(logins, login)
			}
		}
		return "the AWS SSO session has expired", "renew it: " + strings.Join(logins, "; ")
	case awsacct.ProblemExpired:
		return "the credentials have expired", "get new ones (aws sso login, or a new session token); " + sandbox
	case awsacct.ProblemInvalid:
		return "AWS does not recognise the access key (or the secret is wrong)",
			"check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or the profile; a sandbox's keys work only with the sandbox that printed them: " + sandbox
	case awsacct.ProblemUnreachable:
		var ends []string
		for _, a := range cfg.Accounts.All() {
			e := a.EndpointURL
			if e == "" {
				e = "AWS in " + cfg.Region
			}
			if !slices.Contains(ends, e) {
				ends = append(ends, e)
			}
		}
		return "the endpoint does not answer (" + strings.Join(ends, ", ") + ")",
			"check accounts.<name>.endpoint_url and the network; is the sandbox running (xacct sandbox)?"
	case awsacct.ProblemAssumeDenied:
		var roles []string
		for _, f := range failed {
			roles = append(roles, strings.TrimPrefix(f.How, "role "))
		}
		var keys []string
		for _, f := range failed {
			key := "accounts." + f.Account
			keys = append(keys, fmt.Sprintf("%s.id %s (%s) and %s.role_arn", key, f.ID, cfg.Where(key+".id"), key))
		}
		return "the base credentials may not assume " + strings.Join(roles, ", "),
			"is " + strings.Join(keys, ", ") + " right? A mistyped ID in both gives this error; else check external_id and the role's trust policy"
	case awsacct.ProblemOther:
	}
	return "sign-in failed", ""
}

// accountWords is "development account 111111111111" or "development
// (111111111111), production (…) and reporting (…) accounts"; names are
// "NAME ID".
func accountWords(names []string) string {
	if len(names) == 1 {
		name, id, _ := strings.Cut(names[0], " ")
		return name + " account " + id
	}
	for i, n := range names {
		name, id, _ := strings.Cut(n, " ")
		names[i] = name + " (" + id + ")"
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1] + " accounts"
}
