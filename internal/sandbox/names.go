package sandbox

import (
	"fmt"
	"regexp"
)

// Lambda's FunctionName, as its API reference states it: a name, a partial
// ARN or an ARN, with a version or alias qualifier where the operation takes
// one. The name part is at most 64 characters of [a-zA-Z0-9_-] (so never a
// path: no '/', no '.'); the whole reference at most 140 characters where a
// function is created and 170 elsewhere.
var functionRefRE = regexp.MustCompile(`^(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9_-]+)(:(\$LATEST|[a-zA-Z0-9_-]+))?$`)

// functionNameRE is a bare function name: one safe path segment.
var functionNameRE = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

const functionRefPattern = `(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?`

// validationError is a request parameter that fails the constraints AWS
// states for it; Lambda answers it 400 ValidationException.
type validationError struct{ msg string }

func (e *validationError) Error() string { return e.msg }

// parseFunctionRef checks a FunctionName parameter as Lambda does and returns
// the function's name. create: CreateFunction's form (no qualifier, at most
// 140 characters).
func parseFunctionRef(ref string, create bool) (string, error) {
	max := 170
	if create {
		max = 140
	}
	fail := func(constraint string) (string, error) {
		return "", &validationError{fmt.Sprintf("1 validation error detected: Value '%s' at 'functionName' failed to satisfy constraint: %s", ref, constraint)}
	}
	if len(ref) < 1 || len(ref) > max {
		return fail(fmt.Sprintf("Member must have length less than or equal to %d", max))
	}
	m := functionRefRE.FindStringSubmatch(ref)
	if m == nil || (create && m[8] != "") {
		return fail("Member must satisfy regular expression pattern: " + functionRefPattern)
	}
	if len(m[7]) > 64 {
		return fail("Member must have length less than or equal to 64")
	}
	return m[7], nil
}

// validFunctionName reports whether name is a bare function name, which is
// also a single path segment that cannot leave a directory.
func validFunctionName(name string) bool {
	return functionNameRE.MatchString(name)
}
