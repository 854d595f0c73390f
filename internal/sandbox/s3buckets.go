package sandbox

import (
	"bytes"
	"encoding/xml"
	"regexp"
)

// Bucket names are global: the gateway's state is the one register of who
// owns each name, and a name is claimed there (atomically, under the state's
// lock) before any kumo process is asked to create the bucket. Two accounts
// racing for a name thus reach one kumo only: the loser is answered
// BucketAlreadyExists and its kumo never holds the name.

// claimBucket claims name for account. It returns the new claim, or nil and
// the current owner when the name is taken.
func (st *state) claimBucket(name, account string) (claim *bucketMeta, owner string) {
	_ = st.update(func() error {
		if m := st.Buckets[name]; m != nil {
			owner = m.Owner
			return nil
		}
		claim = &bucketMeta{Owner: account, VersionKey: newVersionKey()}
		st.Buckets[name] = claim
		return nil
	})
	return claim, owner
}

// releaseBucket gives a name back after kumo did not create the bucket;
// only the claim made by this request is removed.
func (st *state) releaseBucket(name string, claim *bucketMeta) {
	_ = st.update(func() error {
		if st.Buckets[name] == claim {
			delete(st.Buckets, name)
		}
		return nil
	})
}

var listedBucket = regexp.MustCompile(`(?s)<Bucket>.*?</Bucket>`)

// ownedBuckets keeps, of a ListBuckets answer from account's kumo, the
// buckets the state says the account owns: a bucket a kumo process holds
// under a name another account owns (left by a gateway from before names
// were claimed first) is neither listed nor reachable.
func (g *gateway) ownedBuckets(body []byte, account string) []byte {
	if !bytes.Contains(body, []byte("<Bucket>")) {
		return body
	}
	return listedBucket.ReplaceAllFunc(body, func(entry []byte) []byte {
		var b struct {
			Name string `xml:"Name"`
		}
		if err := xml.Unmarshal(entry, &b); err != nil {
			return nil
		}
		var owner string
		g.st.view(func() {
			if m := g.st.Buckets[b.Name]; m != nil {
				owner = m.Owner
			}
		})
		if owner != account {
			return nil
		}
		return entry
	})
}
