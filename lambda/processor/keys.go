package processor

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// maxKeyBytes is S3's limit on an object key.
const maxKeyBytes = 1024

// Suffixes of the two record kinds. A version's record (its creation, or
// the delete marker it is) ends in RecordSuffix; the record of its
// permanent deletion ends in DeletionSuffix, at a key of its own, so that no
// record is ever overwritten.
const (
	RecordSuffix   = ".json"
	DeletionSuffix = ".deleted.json"
	// HashedDir holds the records whose readable key would not fit S3's
	// 1,024 bytes: <prefix><bucket>/_hashed/<sha256>.json.
	HashedDir = "_hashed/"
)

// RecordKey is where the record of one object version goes: readable
// (<prefix><bucket>/<key>/<version>.json; "null" for an unversioned object)
// when that fits in S3's 1,024 bytes, else
// <prefix><bucket>/_hashed/<sha256 of bucket, key, version>.json.
func RecordKey(prefix, bucket, key, version string) string {
	return recordKey(prefix, bucket, key, version, RecordSuffix)
}

// DeletionRecordKey is where the record of a version's permanent deletion
// goes: the version's record key with .deleted.json for .json (hashed the
// same way, so both records of a long key share their hash).
func DeletionRecordKey(prefix, bucket, key, version string) string {
	return recordKey(prefix, bucket, key, version, DeletionSuffix)
}

func recordKey(prefix, bucket, key, version, suffix string) string {
	if version == "" {
		version = "null"
	}
	readable := prefix + bucket + "/" + key + "/" + version + suffix
	if len(readable) <= maxKeyBytes {
		return readable
	}
	sum := sha256.Sum256([]byte(bucket + "\x00" + key + "\x00" + version))
	return prefix + bucket + "/" + HashedDir + hex.EncodeToString(sum[:]) + suffix
}

// IsHashed reports whether rest (a record key less <prefix><bucket>/) is a
// hashed record's: _hashed/<64 hex digits>.json or .deleted.json. A
// Production key that merely starts with _hashed/ has a record key with one
// more segment and is not one.
func IsHashed(rest string) bool {
	name, ok := strings.CutPrefix(rest, HashedDir)
	if !ok {
		return false
	}
	hash, ok := strings.CutSuffix(name, DeletionSuffix)
	if !ok {
		hash, ok = strings.CutSuffix(name, RecordSuffix)
	}
	if !ok || len(hash) != 64 {
		return false
	}
	for _, c := range hash {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
