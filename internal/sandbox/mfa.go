package sandbox

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// mfaDevice is a virtual MFA device: its TOTP seed, and the user it is
// enabled for ("" until EnableMFADevice).
type mfaDevice struct {
	Serial  string    `json:"serial"`
	Seed    []byte    `json:"seed"`
	User    string    `json:"user,omitempty"`
	Enabled time.Time `json:"enabled,omitzero"`
}

// mfaStep is RFC 6238's time step.
const mfaStep = 30 * time.Second

// totp is the six-digit RFC 6238 code (HMAC-SHA1, 30 s steps) of a seed
// at a time step.
func totp(seed []byte, step int64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(step))
	h := hmac.New(sha1.New, seed)
	h.Write(msg[:])
	sum := h.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	n := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", n%1_000_000)
}

// TOTP is a virtual device's current code for its Base32 seed, as an
// authenticator app computes it (tests sign in with it).
func TOTP(base32Seed string, now time.Time) (string, error) {
	seed, err := base32.StdEncoding.DecodeString(strings.ToUpper(base32Seed))
	if err != nil {
		return "", fmt.Errorf("decode the MFA seed: %w", err)
	}
	return totp(seed, now.Unix()/int64(mfaStep/time.Second)), nil
}

// mfaStepOf finds the step, within one of now's, whose code is code.
func mfaStepOf(seed []byte, code string, now time.Time) (int64, bool) {
	cur := now.Unix() / int64(mfaStep/time.Second)
	for s := cur - 1; s <= cur+1; s++ {
		if hmac.Equal([]byte(totp(seed, s)), []byte(code)) {
			return s, true
		}
	}
	return 0, false
}

// mfaSerial is a virtual device's serial number: its ARN.
func mfaSerial(account, path, name string) string {
	if path == "" {
		path = "/"
	}
	return "arn:aws:iam::" + account + ":mfa" + path + name
}

// serveMFA serves the virtual MFA device calls, which kumo lacks:
// CreateVirtualMFADevice (a random seed, returned once as
// Base32StringSeed), EnableMFADevice (two consecutive codes of the seed),
// DeactivateMFADevice, DeleteVirtualMFADevice, ListMFADevices,
// ListVirtualMFADevices (every device, without its assignment). It reports
// whether the action was one of them.
func (g *gateway) serveMFA(c *call, account, action string, form url.Values) bool {
	switch action {
	case "CreateVirtualMFADevice", "EnableMFADevice", "DeactivateMFADevice", "DeleteVirtualMFADevice", "ListMFADevices", "ListVirtualMFADevices":
	default:
		return false
	}
	ok := func(result string) { writeQuery(c, iamNS, action, result) }
	noSuch := func(serial string) {
		g.fail(c, http.StatusNotFound, "NoSuchEntity", "VirtualMFADevice with serial number "+serial+" doesn't exist.")
	}
	serial, user := form.Get("SerialNumber"), form.Get("UserName")
	var msg, code string
	var result string
	err := g.st.update(func() error {
		a := g.st.account(account)
		if a.MFADevices == nil {
			a.MFADevices = map[string]*mfaDevice{}
		}
		d := a.MFADevices[serial]
		switch action {
		case "CreateVirtualMFADevice":
			serial = mfaSerial(account, form.Get("Path"), form.Get("VirtualMFADeviceName"))
			if _, taken := a.MFADevices[serial]; taken {
				code, msg = "EntityAlreadyExists", "MFADevice entity at the same path and name already exists."
				return nil
			}
			seed := make([]byte, 20)
			_, _ = rand.Read(seed)
			a.MFADevices[serial] = &mfaDevice{Serial: serial, Seed: seed}
			b32 := base32.StdEncoding.EncodeToString(seed)
			result = "<VirtualMFADevice>" + xmlElem("SerialNumber", serial) +
				xmlElem("Base32StringSeed", base64.StdEncoding.EncodeToString([]byte(b32))) + "</VirtualMFADevice>"
		case "EnableMFADevice":
			switch {
			case d == nil:
				code = "NoSuchEntity"
			case d.User != "":
				code, msg = "EntityAlreadyExists", "MFA Device is already in use."
			default:
				s1, ok1 := mfaStepOf(d.Seed, form.Get("AuthenticationCode1"), time.Now())
				s2, ok2 := mfaStepOf(d.Seed, form.Get("AuthenticationCode2"), time.Now())
				if !ok1 || !ok2 || s2 != s1+1 {
					code, msg = "InvalidAuthenticationCode", "Authentication code for device is not valid."
					return nil
				}
				d.User, d.Enabled = user, time.Now().UTC().Truncate(time.Second)
			}
		case "DeactivateMFADevice":
			if d == nil || d.User != user {
				code = "NoSuchEntity"
				return nil
			}
			d.User, d.Enabled = "", time.Time{}
		case "DeleteVirtualMFADevice":
			switch {
			case d == nil:
				code = "NoSuchEntity"
			case d.User != "":
				code, msg = "DeleteConflict", "MFA VirtualDevice in use. Must deactivate first."
			default:
				delete(a.MFADevices, serial)
			}
		case "ListMFADevices":
			var b strings.Builder
			for _, d := range a.MFADevices {
				if d.User != "" && d.User == user {
					b.WriteString("<member>" + xmlElem("UserName", d.User) + xmlElem("SerialNumber", d.Serial) +
						xmlElem("EnableDate", d.Enabled.Format(time.RFC3339)) + "</member>")
				}
			}
			result = "<MFADevices>" + b.String() + "</MFADevices><IsTruncated>false</IsTruncated>"
		case "ListVirtualMFADevices":
			var b strings.Builder
			for _, serial := range slices.Sorted(maps.Keys(a.MFADevices)) {
				b.WriteString("<member>" + xmlElem("SerialNumber", serial) + "</member>")
			}
			result = "<VirtualMFADevices>" + b.String() + "</VirtualMFADevices><IsTruncated>false</IsTruncated>"
		}
		return nil
	})
	switch {
	case err != nil:
		g.fail(c, http.StatusInternalServerError, "ServiceFailure", err.Error())
	case code == "NoSuchEntity":
		noSuch(serial)
	case code == "EntityAlreadyExists" || code == "DeleteConflict":
		g.fail(c, http.StatusConflict, code, msg)
	case code != "":
		g.fail(c, http.StatusForbidden, code, msg)
	default:
		ok(result)
	}
	return true
}

// mfaChecked reports whether an AssumeRole's SerialNumber and TokenCode
// are a device enabled for the calling user and its current code (a step
// either side accepted, as AWS allows for clock drift). present is false
// when the call names no device.
func (g *gateway) mfaChecked(account, user string, form url.Values) (present, valid bool) {
	serial := form.Get("SerialNumber")
	if serial == "" {
		return false, false
	}
	g.st.view(func() {
		d := g.st.account(account).MFADevices[serial]
		if d == nil || d.User == "" || d.User != user {
			return
		}
		_, valid = mfaStepOf(d.Seed, form.Get("TokenCode"), time.Now())
	})
	return true, valid
}
