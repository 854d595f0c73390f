package sandbox

import (
	"strconv"
	"strings"
	"sync"
	"testing"
)

func TestClaimBucketHasOneWinner(t *testing.T) {
	st, _ := loadState("")
	for i := range 200 {
		name := "b-" + strconv.Itoa(i)
		var wg sync.WaitGroup
		claims := make([]*bucketMeta, 2)
		owners := make([]string, 2)
		for j, acct := range []string{"111111111111", "222222222222"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				claims[j], owners[j] = st.claimBucket(name, acct)
			}()
		}
		wg.Wait()
		if (claims[0] == nil) == (claims[1] == nil) {
			t.Fatalf("%s: claims %v %v, want exactly one", name, claims[0], claims[1])
		}
		w := 0
		if claims[1] != nil {
			w = 1
		}
		if owners[1-w] != claims[w].Owner {
			t.Fatalf("%s: the loser was told owner %q, want %q", name, owners[1-w], claims[w].Owner)
		}
	}
	claim, _ := st.claimBucket("released", "111111111111")
	st.releaseBucket("released", claim)
	if again, _ := st.claimBucket("released", "222222222222"); again == nil {
		t.Fatal("a released name cannot be claimed again")
	}
	st.releaseBucket("released", claim) // a stale release leaves the new claim
	if _, owner := st.claimBucket("released", "111111111111"); owner != "222222222222" {
		t.Fatalf("after a stale release the owner is %q", owner)
	}
}

func TestOwnedBucketsHidesOthersNames(t *testing.T) {
	st, _ := loadState("")
	st.Buckets["mine"] = &bucketMeta{Owner: "111111111111"}
	st.Buckets["theirs"] = &bucketMeta{Owner: "222222222222"}
	g := &gateway{st: st}
	body := `<ListAllMyBucketsResult><Buckets><Bucket><Name>mine</Name><CreationDate>x</CreationDate></Bucket>` +
		`<Bucket><Name>theirs</Name><CreationDate>x</CreationDate></Bucket><Bucket><Name>nobody</Name></Bucket></Buckets></ListAllMyBucketsResult>`
	got := string(g.ownedBuckets([]byte(body), "111111111111"))
	if !strings.Contains(got, "<Name>mine</Name>") || strings.Contains(got, "theirs") || strings.Contains(got, "nobody") {
		t.Fatalf("ownedBuckets = %s", got)
	}
}
