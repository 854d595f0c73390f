package awserr

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/smithy-go"
)

func TestCodeAndIs(t *testing.T) {
	t.Parallel()
	api := &smithy.GenericAPIError{Code: "NoSuchEntity", Message: "role r not found"}
	wrapped := fmt.Errorf("read IAM role r: %w", &smithy.OperationError{ServiceID: "IAM", OperationName: "GetRole", Err: api})
	tests := []struct {
		name     string
		err      error
		codes    []string
		wantCode string
		wantIs   bool
	}{
		{"nil", nil, []string{"NoSuchEntity"}, "", false},
		{"plain error", errors.New("NoSuchEntity"), []string{"NoSuchEntity"}, "", false},
		{"API error", api, []string{"NoSuchEntity"}, "NoSuchEntity", true},
		{"wrapped in an operation error", wrapped, []string{"NoSuchBucket", "NoSuchEntity"}, "NoSuchEntity", true},
		{"another code", wrapped, []string{"AccessDenied"}, "NoSuchEntity", false},
		{"no codes", wrapped, nil, "NoSuchEntity", false},
		{"an empty code matches nothing", &smithy.GenericAPIError{}, []string{""}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Code(tt.err); got != tt.wantCode {
				t.Errorf("Code = %q, want %q", got, tt.wantCode)
			}
			if got := Is(tt.err, tt.codes...); got != tt.wantIs {
				t.Errorf("Is(%v) = %v, want %v", tt.codes, got, tt.wantIs)
			}
		})
	}
}
