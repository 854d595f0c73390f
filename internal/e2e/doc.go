// Package e2e holds the end-to-end tests: the sandbox's own tests (account
// boundaries, policy enforcement, Lambda, data dir, process clean-up) and
// xacct's commands run against it (plan, apply, destroy, verify, state,
// saved plans, the metadata processor). The test binary builds the
// processor once and starts one three-account sandbox that every test
// shares; the tests that verify who reaches a deployed stack share a second
// one, kept free of the principals other tests leave behind
// (newVerifyEnv); the few tests that must restart or kill a sandbox start
// their own. It has no code besides its tests: run it with `make e2e`.
package e2e
