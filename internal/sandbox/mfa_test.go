package sandbox

import (
	"encoding/base32"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
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

// TestGetSessionTokenChecksTheCode: GetSessionToken with a serial number
// takes only the caller's own enabled device and its current code, as
// AssumeRole does; the credentials it gives carry MFA only then.
func TestGetSessionTokenChecksTheCode(t *testing.T) {
	t.Parallel()
	const account, serial = "111111111111", "arn:aws:iam::111111111111:mfa/alice"
	seed := []byte("12345678901234567890")
	now := time.Now()
	code := totp(seed, now.Unix()/30)
	// Codes no step around now has (the test runs well within a step).
	notNow := func(candidates ...string) string {
		for _, c := range candidates {
			if _, ok := mfaStepOf(seed, c, now); !ok {
				return c
			}
		}
		panic("every candidate is a current code")
	}
	stale := notNow(totp(seed, now.Add(-5*time.Minute).Unix()/30), totp(seed, now.Add(-10*time.Minute).Unix()/30))
	cases := []struct {
		name, user, serial, code string
		status                   int // 0: credentials given
		mfa                      bool
	}{
		{"no device", "alice", "", "", 0, false},
		{"the current code", "alice", serial, code, 0, true},
		{"a stale code", "alice", serial, stale, http.StatusForbidden, false},
		{"any six digits", "alice", serial, notNow("123456", "654321"), http.StatusForbidden, false},
		{"another user's device", "bob", serial, code, http.StatusForbidden, false},
		{"a device that does not exist", "alice", "arn:aws:iam::111111111111:mfa/none", code, http.StatusForbidden, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st, err := loadState("")
			if err != nil {
				t.Fatal(err)
			}
			st.account(account).MFADevices = map[string]*mfaDevice{serial: {Serial: serial, Seed: seed, User: "alice", Enabled: now}}
			g := &gateway{st: st, sb: &Sandbox{}}
			w := httptest.NewRecorder()
			c := &call{w: w, r: httptest.NewRequest(http.MethodPost, "/", nil), service: "sts",
				cred: &credential{Principal: principal{Kind: "user", Account: account, UserName: tc.user}}}
			form := url.Values{}
			if tc.serial != "" {
				form.Set("SerialNumber", tc.serial)
				form.Set("TokenCode", tc.code)
			}
			g.getSessionToken(c, form)
			if tc.status != 0 {
				if w.Code != tc.status || !strings.Contains(w.Body.String(), "invalid MFA one time pass code") {
					t.Fatalf("status %d, want %d refusing the code:\n%s", w.Code, tc.status, w.Body)
				}
				return
			}
			if w.Code != http.StatusOK {
				t.Fatalf("status %d:\n%s", w.Code, w.Body)
			}
			var issued *credential
			st.view(func() {
				for _, cr := range st.Creds {
					issued = cr
				}
			})
			if issued == nil || issued.Principal.MFA != tc.mfa {
				t.Errorf("credentials %+v, want MFA %v", issued, tc.mfa)
			}
		})
	}
}
