package apply

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestRetryOnlyPropagationErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		errs      []error // returned by successive calls; then nil
		wantCalls int
		wantErr   bool
	}{
		{"success", nil, 1, false},
		{"lambda cannot assume the role yet", []error{errors.New("InvalidParameterValueException: The role defined for the function cannot be assumed by Lambda.")}, 2, false},
		{"principal not yet visible", []error{errors.New("MalformedPolicyDocument: Invalid principal in policy"), errors.New("Invalid principal in policy")}, 3, false},
		{"notification destination", []error{errors.New("InvalidArgument: Unable to validate the following destination configurations")}, 2, false},
		{"access denied is never retried", []error{errors.New("AccessDenied: not authorized")}, 1, true},
		{"other errors are not retried", []error{errors.New("EntityAlreadyExists")}, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			calls := 0
			err := retry(context.Background(), Options{RetryFor: time.Second, RetryBase: time.Millisecond, Now: time.Now}, func() error {
				calls++
				if calls <= len(tt.errs) {
					return tt.errs[calls-1]
				}
				return nil
			})
			if calls != tt.wantCalls || (err != nil) != tt.wantErr {
				t.Errorf("calls %d err %v, want %d calls, error %v", calls, err, tt.wantCalls, tt.wantErr)
			}
		})
	}
}

func TestRetryIsBounded(t *testing.T) {
	t.Parallel()
	calls := 0
	start := time.Now()
	err := retry(context.Background(), Options{RetryFor: 50 * time.Millisecond, RetryBase: 5 * time.Millisecond, Now: time.Now}, func() error {
		calls++
		return errors.New("Invalid principal in policy")
	})
	if err == nil || calls < 2 {
		t.Fatalf("err %v after %d calls", err, calls)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("retried for %v past its bound", time.Since(start))
	}
}
