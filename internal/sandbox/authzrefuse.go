package sandbox

import (
	"errors"
	"fmt"
	"net/http"
)

// Requests the gateway cannot decide on their condition keys are refused
// with the error the service gives such a request, never as an internal
// error: a tag body that does not parse (errMalformedTags), a request's
// two tag keys that differ only in case (errAmbiguousRequestTags) — each
// a 400 in the service's shape, as AWS answers a malformed or
// duplicate-keyed tag set —, and a policy that asks for the tags of a
// resource the sandbox cannot read them of (its kind's tags are not kept,
// two of its keys differ only in case, an old object version), refused as
// an access denial: the sandbox fails closed where AWS would decide.

// errMalformedTags: the request's tags do not parse.
var errMalformedTags = errors.New("the request's tags do not parse")

// errAmbiguousRequestTags: the request carries two tag keys that differ
// only in case.
var errAmbiguousRequestTags = fmt.Errorf("the request's tags: %w", errAmbiguousTags)

// refuseContext is the refusal an error of authorize's context stands
// for; nil for an internal error.
func refuseContext(c *call, err error) *refusal {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errMalformedTags):
		return &refusal{err: malformedTags(c.service, err)}
	case errors.Is(err, errAmbiguousRequestTags):
		return &refusal{err: duplicateTagKeys(c.service)}
	case errors.Is(err, errAmbiguousTags), errors.Is(err, errUnknownResourceTags), errors.Is(err, errUnknownTags):
		code := "AccessDenied"
		if jsonService(c.service) {
			code = "AccessDeniedException"
		}
		return &refusal{err: &apiError{http.StatusForbidden, code, "Access denied: a policy's condition names the tags of the resource, which the xacct sandbox cannot read (" + err.Error() + ")"}}
	}
	return nil
}

// malformedTags is each service's answer to a tag set that does not parse.
func malformedTags(service string, err error) *apiError {
	switch service {
	case "lambda":
		return &apiError{http.StatusBadRequest, "InvalidRequestContentException", "Could not parse request body into json: " + err.Error()}
	case "logs", "cloudtrail":
		return &apiError{http.StatusBadRequest, "SerializationException", "Could not parse the request's tags: " + err.Error()}
	case "s3", "s3control":
		return &apiError{http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema"}
	case "sts":
		return &apiError{http.StatusBadRequest, "InvalidParameterValue", "The request's tags could not be read: " + err.Error()}
	}
	return &apiError{http.StatusBadRequest, "InvalidInput", "The request's tags could not be read: " + err.Error()}
}

// duplicateTagKeys is each service's answer to two tag keys that differ
// only in case.
func duplicateTagKeys(service string) *apiError {
	const msg = "Duplicate tag keys found. Tag keys are case insensitive."
	switch service {
	case "lambda":
		return &apiError{http.StatusBadRequest, "InvalidParameterValueException", msg}
	case "logs":
		return &apiError{http.StatusBadRequest, "InvalidParameterException", msg}
	case "cloudtrail":
		return &apiError{http.StatusBadRequest, "InvalidTagParameterException", msg}
	case "s3":
		return &apiError{http.StatusBadRequest, "InvalidTag", "Cannot provide multiple Tags with the same key"}
	case "s3control":
		return &apiError{http.StatusBadRequest, "InvalidRequest", msg}
	case "sts":
		return &apiError{http.StatusBadRequest, "InvalidParameterValue", msg}
	}
	return &apiError{http.StatusBadRequest, "InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive."}
}
