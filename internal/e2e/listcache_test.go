package e2e

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestListCacheSeesWrites: the gateway serves the listings of a large
// bucket from a cache (internal/sandbox/s3listcache.go); after each write,
// copy and delete through the SDK, paged listings (small MaxKeys) of both
// ListObjectVersions and ListObjectsV2 give exactly what a fresh listing
// straight from kumo gives.
func TestListCacheSeesWrites(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	prod := orgAdmin(t, prodID)
	bucket := fmt.Sprintf("list-cache-%d", time.Now().UnixNano())
	b := aws.String(bucket)
	must(prod.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}))(t)
	must(prod.s3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: b,
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}))(t)

	kumoURL, kumoHTTP := shared.KumoClient(prodID)
	direct := newClient(t, shared, kumoURL, "kumo", "kumo", "")
	direct.cfg.HTTPClient = kumoHTTP
	kumoS3 := s3.NewFromConfig(direct.cfg, func(o *s3.Options) { o.UsePathStyle = true })

	// More keys than the cache's threshold (1,000), so that it keeps them.
	const n = 1100
	var wg sync.WaitGroup
	errs := make(chan error, n)
	keys := make(chan int)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range keys {
				_, err := prod.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String(fmt.Sprintf("d%d/k%04d", i%7, i)), Body: strings.NewReader(strconv.Itoa(i))})
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	for i := range n {
		keys <- i
	}
	close(keys)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	objects := func(prefix string) string {
		t.Helper()
		var out []string
		p := s3.NewListObjectsV2Paginator(prod.s3, &s3.ListObjectsV2Input{Bucket: b, Prefix: aws.String(prefix), MaxKeys: aws.Int32(37)})
		for p.HasMorePages() {
			page := must(p.NextPage(ctx))(t)
			for _, o := range page.Contents {
				out = append(out, fmt.Sprintf("%s %s %d", aws.ToString(o.Key), aws.ToString(o.ETag), aws.ToInt64(o.Size)))
			}
		}
		return strings.Join(out, "\n")
	}
	freshObjects := func(prefix string) string {
		t.Helper()
		page := must(kumoS3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b, Prefix: aws.String(prefix), MaxKeys: aws.Int32(1 << 30)}))(t)
		var out []string
		for _, o := range page.Contents {
			if aws.ToString(o.ETag) == "" {
				continue // a delete marker, as kumo lists them
			}
			out = append(out, fmt.Sprintf("%s %s %d", aws.ToString(o.Key), aws.ToString(o.ETag), aws.ToInt64(o.Size)))
		}
		return strings.Join(out, "\n")
	}
	versions := func(prefix string) string {
		t.Helper()
		var out []string
		p := s3.NewListObjectVersionsPaginator(prod.s3, &s3.ListObjectVersionsInput{Bucket: b, Prefix: aws.String(prefix), MaxKeys: aws.Int32(37)})
		for p.HasMorePages() {
			page := must(p.NextPage(ctx))(t)
			var rows []string
			for _, v := range page.Versions {
				rows = append(rows, fmt.Sprintf("%s latest=%v %s", aws.ToString(v.Key), aws.ToBool(v.IsLatest), aws.ToString(v.ETag)))
			}
			for _, m := range page.DeleteMarkers {
				rows = append(rows, fmt.Sprintf("%s latest=%v marker", aws.ToString(m.Key), aws.ToBool(m.IsLatest)))
			}
			sort.Strings(rows) // a page's versions and markers come apart
			out = append(out, rows...)
		}
		sort.Strings(out)
		return strings.Join(out, "\n")
	}
	freshVersions := func(prefix string) string {
		t.Helper()
		page := must(kumoS3.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: b, Prefix: aws.String(prefix), MaxKeys: aws.Int32(1 << 30)}))(t)
		var out []string
		for _, v := range page.Versions {
			out = append(out, fmt.Sprintf("%s latest=%v %s", aws.ToString(v.Key), aws.ToBool(v.IsLatest), aws.ToString(v.ETag)))
		}
		for _, m := range page.DeleteMarkers {
			out = append(out, fmt.Sprintf("%s latest=%v marker", aws.ToString(m.Key), aws.ToBool(m.IsLatest)))
		}
		sort.Strings(out)
		return strings.Join(out, "\n")
	}
	check := func(step string, want ...string) {
		t.Helper()
		for _, prefix := range []string{"", "d3/"} {
			o, v := objects(prefix), versions(prefix)
			if f := freshObjects(prefix); o != f {
				t.Fatalf("after %s, ListObjectsV2 %q differs from a fresh listing:\n%s", step, prefix, lineDiff(o, f))
			}
			if f := freshVersions(prefix); v != f {
				t.Fatalf("after %s, ListObjectVersions %q differs from a fresh listing:\n%s", step, prefix, lineDiff(v, f))
			}
			if prefix != "" {
				continue
			}
			for _, w := range want {
				if !strings.Contains(o+"\n"+v, w) {
					t.Fatalf("after %s, the listings lack %q", step, w)
				}
			}
		}
	}
	check("seeding")
	must(prod.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("d3/new"), Body: strings.NewReader("new")}))(t)
	must(prod.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("d3/k0003"), Body: strings.NewReader("again")}))(t)
	check("a put and an overwrite", "d3/new ", "d3/k0003 latest=false")
	must(prod.s3.CopyObject(ctx, &s3.CopyObjectInput{Bucket: b, Key: aws.String("d3/copy"), CopySource: aws.String(bucket + "/d3/new")}))(t)
	check("a copy", "d3/copy ")
	must(prod.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: aws.String("d3/new")}))(t)
	check("a delete", "d3/new latest=true marker")
	must(prod.s3.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: b, Delete: &s3types.Delete{Objects: []s3types.ObjectIdentifier{
		{Key: aws.String("d3/k0010")}, {Key: aws.String("d0/k0007")}, {Key: aws.String("d3/copy")}}}}))(t)
	check("a batch delete", "d3/copy latest=true marker")
	vs := must(prod.s3.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: b, Prefix: aws.String("d3/new")}))(t)
	for _, m := range vs.DeleteMarkers {
		must(prod.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: m.Key, VersionId: m.VersionId}))(t)
	}
	check("removing a delete marker", "d3/new latest=true \"")
}

// lineDiff shows the lines only one of two listings has.
func lineDiff(got, want string) string {
	g, w := map[string]bool{}, map[string]bool{}
	for _, l := range strings.Split(got, "\n") {
		g[l] = true
	}
	for _, l := range strings.Split(want, "\n") {
		w[l] = true
	}
	var out []string
	for l := range g {
		if !w[l] {
			out = append(out, "+ "+l)
		}
	}
	for l := range w {
		if !g[l] {
			out = append(out, "- "+l)
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}
