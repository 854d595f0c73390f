// Package awserr tells AWS's errors apart by their error codes, the one
// way the SDK documents for it (smithy.APIError.ErrorCode). It imports
// nothing of xacct's, so that any package may use it.
package awserr

import (
	"errors"
	"slices"

	"github.com/aws/smithy-go"
)

// Code returns the AWS error code in err's chain, or "" when there is none.
func Code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// Is reports whether err carries one of the AWS error codes.
func Is(err error, codes ...string) bool {
	c := Code(err)
	return c != "" && slices.Contains(codes, c)
}
