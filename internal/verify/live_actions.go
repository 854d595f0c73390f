package verify

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/xacct/xacct/internal/config"
)

// probedByLive are the actions every group's session is probed with in
// Live itself, intended or not.
var probedByLive = []string{"s3:PutObject", "s3:GetObject", "s3:ListBucket", "s3:DeleteObject", "s3:PutBucketPolicy"}

// actionProbe exercises one action with a group's session on an object of
// the probe's own (key, seeded by xacct with version vid) or on the
// bucket, harmlessly.
type actionProbe struct {
	object bool // on the probe's object (else the bucket)
	call   func(ctx context.Context, s *s3.Client, bucket, key string, vid *string, id string) error
}

// actionProbes are the group actions Live can prove beyond probedByLive.
var actionProbes = map[string]actionProbe{
	"s3:GetObjectVersion": {true, func(ctx context.Context, s *s3.Client, bucket, key string, vid *string, _ string) error {
		out, err := s.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: vid})
		if err == nil {
			out.Body.Close()
		}
		return err
	}},
	"s3:ListBucketVersions": {false, func(ctx context.Context, s *s3.Client, bucket, key string, _ *string, _ string) error {
		_, err := s.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: aws.String(key)})
		return err
	}},
	"s3:GetObjectTagging": {true, func(ctx context.Context, s *s3.Client, bucket, key string, _ *string, _ string) error {
		_, err := s.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		return err
	}},
	"s3:PutObjectTagging": {true, func(ctx context.Context, s *s3.Client, bucket, key string, _ *string, id string) error {
		_, err := s.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String(key),
			Tagging: &s3types.Tagging{TagSet: []s3types.Tag{{Key: aws.String("xacct-probe"), Value: aws.String(id)}}}})
		return err
	}},
	"s3:ListBucketMultipartUploads": {false, func(ctx context.Context, s *s3.Client, bucket, key string, _ *string, _ string) error {
		_, err := s.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket), Prefix: aws.String(key)})
		return err
	}},
	// Last: it deletes the probe object's version.
	"s3:DeleteObjectVersion": {true, func(ctx context.Context, s *s3.Client, bucket, key string, vid *string, _ string) error {
		_, err := s.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: vid})
		return err
	}},
}

// probeActions probes each action of the group's config beyond
// probedByLive with the group's session s, on an object it seeds under
// prefix; an action with no harmless probe is unproven.
func probeActions(ctx context.Context, in LiveInput, s *s3.Client, g config.Group, prefix, id, who string,
	record func(Probe, error) error, unproven func(string, ...any)) error {
	bucket := in.Cfg.Production.Bucket
	var todo []string
	for _, a := range g.Actions {
		if slices.Contains(probedByLive, a) {
			continue
		}
		if _, ok := actionProbes[a]; !ok {
			unproven("%s member via %s: %s (no probe can exercise it harmlessly)", g.GroupName, g.RoleName, a)
			continue
		}
		todo = append(todo, a)
	}
	if len(todo) == 0 {
		return nil
	}
	slices.SortStableFunc(todo, func(a, b string) int { return boolCmp(a == "s3:DeleteObjectVersion", b == "s3:DeleteObjectVersion") })
	key := prefix + g.Key + "-actions.txt"
	seeded, err := in.Production.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader("action probe")})
	if err != nil {
		return fmt.Errorf("seed probe object: %w", err)
	}
	for _, a := range todo {
		p := actionProbes[a]
		res := "arn:aws:s3:::" + bucket
		target := prefix
		if p.object {
			res += "/" + key
			target = key
		}
		if err := record(Probe{Principal: who, Action: a, Resource: res, Intended: true}, p.call(ctx, s, bucket, target, seeded.VersionId, id)); err != nil {
			return err
		}
	}
	return nil
}
