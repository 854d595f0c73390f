package config

// The resources an S3 action applies to, from the action table's resource
// types: object actions go on arn:aws:s3:::bucket/*, bucket actions on the
// bucket ARN. An action of neither (s3:ListAllMyBuckets, s3:CreateJob, the
// access point, Access Grants and Storage Lens actions) applies to no
// bucket or object of the stack: a group may not be granted it, and verify
// does not evaluate it on the buckets.
const (
	ActionObject = "object"
	ActionBucket = "bucket"
	ActionNone   = "none"
)

// S3ActionLevel says whether an S3 action applies to objects (its resource
// types include object), to the bucket (bucket but not object) or to
// neither (ActionNone); ok is false for an action that is not an S3 action
// of the table. Names match case-insensitively.
func S3ActionLevel(action string) (level string, ok bool) {
	a, ok := loadActions().actions[lower(action)]
	if !ok || a.Service != "s3" {
		return "", false
	}
	return s3Level(a), true
}

func s3Level(a *Action) string {
	level := ActionNone
	for _, r := range a.Resources {
		switch r.Type {
		case "object":
			return ActionObject
		case "bucket":
			level = ActionBucket
		}
	}
	return level
}

// S3Actions lists every S3 action of the action table, sorted.
func S3Actions() []string { return ServiceActions("s3") }

// S3BucketOrObjectActions lists the S3 actions that apply to a bucket or
// its objects, sorted: the actions a group may be granted, and those verify
// evaluates on each bucket.
func S3BucketOrObjectActions() []string {
	var out []string
	t := loadActions()
	for _, n := range t.services["s3"] {
		if s3Level(t.actions[lower(n)]) != ActionNone {
			out = append(out, n)
		}
	}
	return out
}
