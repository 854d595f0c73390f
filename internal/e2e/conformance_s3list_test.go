package e2e

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestConformanceS3ListDeletedFolder: in a versioned bucket, a "folder"
// whose keys all have a delete marker as their current version is no common
// prefix of ListObjectsV2, ListObjects or `aws s3 ls`, as in S3, which
// rolls up the keys a listing without a delimiter shows; a folder with a
// live key left is one, listed once across pages of one entry. With
// versioning suspended it stays so. ListObjectVersions lists the deleted
// folder, since it lists delete markers.
func TestConformanceS3ListDeletedFolder(t *testing.T) {
	needRealClients(t)
	t.Parallel()
	ctx := context.Background()
	prod := orgAdmin(t, prodID)
	id := identityOf(t, prod)
	bucket := uniq(t, "deleted-folder")
	b := aws.String(bucket)
	must(prod.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}))(t)
	versioning := func(status s3types.BucketVersioningStatus) {
		t.Helper()
		must(prod.s3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: b,
			VersioningConfiguration: &s3types.VersioningConfiguration{Status: status}}))(t)
	}
	versioning(s3types.BucketVersioningStatusEnabled)
	for _, k := range []string{"a/1", "b/1", "b/2", "c/1", "c/2"} {
		must(prod.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String(k), Body: strings.NewReader(k)}))(t)
	}
	for _, k := range []string{"b/1", "b/2", "c/1"} {
		must(prod.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: aws.String(k)}))(t)
	}

	prefixesOf := func(cps []s3types.CommonPrefix) []string {
		var out []string
		for _, p := range cps {
			out = append(out, aws.ToString(p.Prefix))
		}
		return out
	}
	check := func(when string) {
		t.Helper()
		want := []string{"a/", "c/"}
		v2 := must(prod.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b, Delimiter: aws.String("/")}))(t)
		if got := prefixesOf(v2.CommonPrefixes); !slices.Equal(got, want) || len(v2.Contents) != 0 || aws.ToInt32(v2.KeyCount) != 2 {
			t.Errorf("%s: ListObjectsV2 / lists prefixes %q, %d objects, KeyCount %d; want %q, no objects, KeyCount 2", when, got, len(v2.Contents), aws.ToInt32(v2.KeyCount), want)
		}
		v2 = must(prod.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b, Delimiter: aws.String("/"), Prefix: aws.String("b/")}))(t)
		if len(v2.CommonPrefixes)+len(v2.Contents) != 0 || aws.ToInt32(v2.KeyCount) != 0 {
			t.Errorf("%s: ListObjectsV2 of b/ lists %+v %+v", when, v2.Contents, v2.CommonPrefixes)
		}
		v2 = must(prod.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b, Delimiter: aws.String("/"), Prefix: aws.String("c/")}))(t)
		if len(v2.Contents) != 1 || aws.ToString(v2.Contents[0].Key) != "c/2" {
			t.Errorf("%s: ListObjectsV2 of c/ lists %+v, want c/2", when, v2.Contents)
		}

		// One entry a page: each prefix once, a token between them.
		var in []s3types.CommonPrefix
		var token *string
		for page := 0; ; page++ {
			out := must(prod.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b, Delimiter: aws.String("/"), MaxKeys: aws.Int32(1), ContinuationToken: token}))(t)
			if aws.ToInt32(out.KeyCount) != 1 || len(out.CommonPrefixes) != 1 {
				t.Fatalf("%s: page %d of one: KeyCount %d, prefixes %q", when, page, aws.ToInt32(out.KeyCount), prefixesOf(out.CommonPrefixes))
			}
			in = append(in, out.CommonPrefixes...)
			if !aws.ToBool(out.IsTruncated) {
				break
			}
			if aws.ToString(out.NextContinuationToken) == "" || page > 3 {
				t.Fatalf("%s: page %d truncated with token %q", when, page, aws.ToString(out.NextContinuationToken))
			}
			token = out.NextContinuationToken
		}
		if got := prefixesOf(in); !slices.Equal(got, want) {
			t.Errorf("%s: paged one at a time, ListObjectsV2 lists %q, want %q", when, got, want)
		}

		// ListObjects (V1), paged by NextMarker.
		in = in[:0]
		var marker *string
		for page := 0; ; page++ {
			out := must(prod.s3.ListObjects(ctx, &s3.ListObjectsInput{Bucket: b, Delimiter: aws.String("/"), MaxKeys: aws.Int32(1), Marker: marker}))(t)
			in = append(in, out.CommonPrefixes...)
			if !aws.ToBool(out.IsTruncated) {
				break
			}
			if aws.ToString(out.NextMarker) == "" || page > 3 {
				t.Fatalf("%s: ListObjects page %d truncated with NextMarker %q", when, page, aws.ToString(out.NextMarker))
			}
			marker = out.NextMarker
		}
		if got := prefixesOf(in); !slices.Equal(got, want) {
			t.Errorf("%s: paged one at a time, ListObjects lists %q, want %q", when, got, want)
		}

		// Versions and delete markers are listed: so is b/.
		vs := must(prod.s3.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: b, Delimiter: aws.String("/")}))(t)
		if got := prefixesOf(vs.CommonPrefixes); !slices.Equal(got, []string{"a/", "b/", "c/"}) {
			t.Errorf("%s: ListObjectVersions / lists prefixes %q, want a/ b/ c/", when, got)
		}

		ls := awsOK(t, id, "s3", "ls", "s3://"+bucket+"/")
		if !strings.Contains(ls, "PRE a/") || !strings.Contains(ls, "PRE c/") || strings.Contains(ls, "PRE b/") {
			t.Errorf("%s: aws s3 ls lists\n%s\nwant PRE a/ and PRE c/ only", when, ls)
		}
	}
	check("versioning enabled")
	versioning(s3types.BucketVersioningStatusSuspended)
	check("versioning suspended")
}
