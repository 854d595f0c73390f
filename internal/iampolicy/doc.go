// Package iampolicy owns IAM policy documents: it parses them the way IAM and
// S3 accept them, writes them in one canonical form so that two documents AWS
// treats as the same compare equal, diffs them statement by statement, and
// evaluates one request against a set of policies following AWS's documented
// policy evaluation logic (single-account and cross-account).
//
// It performs no I/O and imports nothing else from xacct, so the planner, the
// verifier and the local sandbox can all stand on it.
//
// # Choices where AWS's documentation is silent or loose
//
//   - A condition operator without ForAllValues/ForAnyValue on a key with
//     several values in the request: a positive operator holds when any value
//     matches; a negated one when none does (AWS says to use a set operator).
//   - A policy variable with no value (key missing, or multivalued) and no
//     default makes that one value or resource entry match nothing.
//   - {"AWS": "*"} is the same as "*": every principal, anonymous callers and
//     service principals included.
//   - NotPrincipal leaves a caller out only when each identity AWS checks for
//     it is listed: a user and its account; a role session, its role and its
//     account (the IAM User Guide's NotPrincipal examples).
//   - Same-account grants in a resource-based policy: naming the user, the
//     session or "*" decides alone; naming the role of the caller's session is
//     limited by a permissions boundary and a session policy; naming the
//     account only delegates to the identity policies. A role's trust policy
//     must allow in every case.
//   - A role named in a Principal matches its sessions by account and role
//     name: session ARNs carry no role path.
//   - The resource's account is the request's resource_account, else the
//     account field of the resource ARN, else (S3 ARNs have none) the
//     caller's account.
//   - The account root user is allowed by its own account's identity side;
//     explicit denies still apply, and cross-account it needs a resource
//     policy like anyone else.
//   - ArnEquals and ArnLike behave alike (AWS documents both as matching each
//     of the six ARN segments with wildcards).
//   - Canonical form (used to compare) keeps the spelling of actions; Equal
//     additionally folds the case of action names, condition key names and
//     service principals, which AWS compares without regard to case.
package iampolicy
