package sandbox

import (
	"crypto/sha256"
	"regexp"
)

// kumo makes unique IDs from a UUID: "AIDA" + "057D6006-9B13-431"; AWS's are
// the prefix and 17 upper-case letters and digits. The gateway shows each
// kumo ID as an AWS-shaped one derived from it, the same every time.
var kumoIDRE = regexp.MustCompile(`\b(AIDA|AROA|ANPA|AGPA|AIPA|APKA)([0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{3})\b`)

// awsID maps a kumo unique ID to its AWS-shaped form; any other string is
// returned as it is.
func awsID(id string) string {
	m := kumoIDRE.FindStringSubmatch(id)
	if m == nil || m[0] != id {
		return id
	}
	return m[1] + idSuffix(id)
}

// rewriteIDs replaces every kumo unique ID in a response body.
func rewriteIDs(body []byte) []byte {
	if !kumoIDRE.Match(body) {
		return body
	}
	return kumoIDRE.ReplaceAllFunc(body, func(b []byte) []byte { return []byte(awsID(string(b))) })
}

// idSuffix is 17 upper-case letters and digits derived from seed.
func idSuffix(seed string) string {
	sum := sha256.Sum256([]byte(seed))
	return b32.EncodeToString(sum[:])[:17]
}
