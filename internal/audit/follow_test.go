package audit_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xacct/xacct/internal/audit"
	"github.com/xacct/xacct/internal/audit/audittest"
	"github.com/xacct/xacct/internal/golden"
)

// TestFollowPrintsNewFilesOnce: the range first, then each file delivered
// later exactly once, from listings of the newest day prefix only.
func TestFollowPrintsNewFilesOnce(t *testing.T) {
	t.Parallel()
	b := world(t)
	var mu sync.Mutex
	now := t0.Add(20 * time.Minute)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	var got []string
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	seen := make(chan struct{}, 100)
	done := make(chan error, 1)
	go func() {
		done <- audit.Follow(ctx, b, audit.Options{Bucket: logBucket, Accounts: []string{dev, prod, rep}, Since: t0, Principals: principals,
			Now: clock, Poll: 10 * time.Millisecond}, func(e audit.Entry) error {
			mu.Lock()
			got = append(got, e.EventID)
			mu.Unlock()
			seen <- struct{}{}
			return nil
		})
	}()
	for i := 0; i < 12; i++ { // the world's morning
		<-seen
	}
	// A file delivered now, then polls that must not print it again.
	mu.Lock()
	now = t0.Add(22 * time.Minute)
	mu.Unlock()
	key, body := audittest.LogFile(prod, "eu-west-1", t0.Add(21*time.Minute), "new", []map[string]any{audittest.Event{Time: t0.Add(20 * time.Minute), Account: prod,
		Region: "eu-west-1", Source: "s3.amazonaws.com", Name: "GetObject", Identity: audittest.IAMUser(prod, "ops"), ID: "new-event"}.Record()})
	b.Put(key, body, nil)
	<-seen
	time.Sleep(100 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Follow returned %v after the interrupt, want nil", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 13 || got[12] != "new-event" {
		t.Fatalf("followed %d entries %v, want the 12 of the range then new-event once", len(got), got)
	}
	for _, p := range b.Listed() {
		if strings.Contains(p, "/2026/12/05/") {
			t.Errorf("follow listed %s, before the range", p)
		}
	}
}

func TestAthena(t *testing.T) {
	t.Parallel()
	for name, f := range map[string]audit.Filter{
		"all":     {},
		"filters": {Who: "alice", Action: "s3:Put*", Bucket: "acme-data-prod", KeyPrefix: "reports/50%_off", Denied: true},
		"changes": {Changes: true, Owned: owned},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sql := audit.Athena(audit.AthenaOptions{Bucket: logBucket, Table: "acme_data_cloudtrail", Accounts: []string{dev, prod, rep},
				Regions: []string{"us-east-1", "eu-west-1"}, Since: t0.AddDate(0, 0, -7), Until: t0, Filter: f, Principals: principals})
			golden.Check(t, "testdata/athena/"+name+".sql", []byte(sql))
		})
	}
}
