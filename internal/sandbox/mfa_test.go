package sandbox

import (
	"encoding/base32"
	"testing"
	"time"
)

// TestTOTP: RFC 6238's SHA-1 test vectors (the last six of their eight
// digits), and a code accepted one step either side of now, no further.
func TestTOTP(t *testing.T) {
	t.Parallel()
	seed := []byte("12345678901234567890")
	for _, tt := range []struct {
		unix int64
		want string
	}{{59, "287082"}, {1111111109, "081804"}, {1234567890, "005924"}, {2000000000, "279037"}} {
		if got := totp(seed, tt.unix/30); got != tt.want {
			t.Errorf("T=%d: %s, want %s", tt.unix, got, tt.want)
		}
		now := time.Unix(tt.unix, 0)
		if got, err := TOTP(base32.StdEncoding.EncodeToString(seed), now); err != nil || got != tt.want {
			t.Errorf("TOTP at %d: %s %v", tt.unix, got, err)
		}
	}
	now := time.Unix(1234567890, 0)
	for _, tt := range []struct {
		offset time.Duration
		ok     bool
	}{{-30 * time.Second, true}, {0, true}, {30 * time.Second, true}, {-60 * time.Second, false}, {60 * time.Second, false}} {
		code := totp(seed, now.Add(tt.offset).Unix()/30)
		if _, ok := mfaStepOf(seed, code, now); ok != tt.ok {
			t.Errorf("code of now%+v accepted: %v, want %v", tt.offset, ok, tt.ok)
		}
	}
}
