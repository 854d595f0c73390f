// Package audit reads the stack's CloudTrail logs in the Reporting
// account's log bucket and answers "who did what": it finds the log files
// of a time range (by account, region and day prefix, never the whole
// bucket), parses them as a stream, says who is behind each session, filters
// the entries, and validates the digest chain that makes the logs
// tamper-evident. It prints nothing: it returns plain data and calls back.
package audit

import (
	"fmt"
	"strings"
	"time"
)

// The key layout CloudTrail delivers to (no S3 key prefix: the stack's
// trails have none):
//
//	AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<unique>.json.gz
//	AWSLogs/<account>/CloudTrail-Digest/<region>/YYYY/MM/DD/<account>_CloudTrail-Digest_<region>_<trail>_<home region>_<YYYYMMDDTHHmmssZ>.json.gz
const (
	logFileTime    = "20060102T1504Z"
	digestFileTime = "20060102T150405Z"
	dayLayout      = "2006/01/02"
)

// LogsPrefix is where an account's log files are, by region.
func LogsPrefix(account string) string { return "AWSLogs/" + account + "/CloudTrail/" }

// DigestsPrefix is where an account's digest files are, by region.
func DigestsPrefix(account string) string { return "AWSLogs/" + account + "/CloudTrail-Digest/" }

// DayPrefix is the prefix of one day's log files of an account in a region.
func DayPrefix(account, region string, day time.Time) string {
	return LogsPrefix(account) + region + "/" + day.UTC().Format(dayLayout) + "/"
}

// digestDayPrefix is the prefix of one day's digest files.
func digestDayPrefix(account, region string, day time.Time) string {
	return DigestsPrefix(account) + region + "/" + day.UTC().Format(dayLayout) + "/"
}

// LogFile is one log file: where it is and what its name says.
type LogFile struct {
	Key     string
	Account string
	Region  string
	// Time is the time in the file's name (to the minute): CloudTrail
	// names a file when it delivers it, after the events it holds.
	Time time.Time
	Size int64
}

// ParseLogKey reads a log file's key; ok is false for anything else (a
// digest, a folder marker, a file of another layout).
func ParseLogKey(key string) (LogFile, bool) {
	// AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<name>
	parts := strings.Split(key, "/")
	if len(parts) != 8 || parts[0] != "AWSLogs" || parts[2] != "CloudTrail" {
		return LogFile{}, false
	}
	account, region, name := parts[1], parts[3], parts[7]
	rest, ok := strings.CutPrefix(name, account+"_CloudTrail_"+region+"_")
	if !ok || !strings.HasSuffix(rest, ".json.gz") || len(rest) < len(logFileTime)+1 {
		return LogFile{}, false
	}
	t, err := time.Parse(logFileTime, rest[:len(logFileTime)])
	if err != nil || rest[len(logFileTime)] != '_' {
		return LogFile{}, false
	}
	return LogFile{Key: key, Account: account, Region: region, Time: t}, true
}

// logKeyAt is the name a log file delivered at t would start with: listing
// with it as StartAfter skips every earlier file of that day and region.
func logKeyAt(account, region string, t time.Time) string {
	return DayPrefix(account, region, t) + account + "_CloudTrail_" + region + "_" + t.UTC().Format(logFileTime)
}

// DigestFile is one digest file of a trail.
type DigestFile struct {
	Key     string
	Account string
	Region  string
	Trail   string
	// End is the time in the file's name: the end of the hour it covers.
	End      time.Time
	Backfill bool
}

// ParseDigestKey reads a digest file's key.
func ParseDigestKey(key string) (DigestFile, bool) {
	parts := strings.Split(key, "/")
	if len(parts) != 8 || parts[0] != "AWSLogs" || parts[2] != "CloudTrail-Digest" {
		return DigestFile{}, false
	}
	account, region, name := parts[1], parts[3], parts[7]
	rest, ok := strings.CutPrefix(name, account+"_CloudTrail-Digest_"+region+"_")
	if !ok {
		return DigestFile{}, false
	}
	backfill := false
	if r, ok := strings.CutSuffix(rest, "_backfill.json.gz"); ok {
		rest, backfill = r, true
	} else if r, ok := strings.CutSuffix(rest, ".json.gz"); ok {
		rest = r
	} else {
		return DigestFile{}, false
	}
	// <trail>_<home region>_<time>: the trail's name may hold '_', the
	// region and the time do not.
	if len(rest) < len(digestFileTime)+2 || rest[len(rest)-len(digestFileTime)-1] != '_' {
		return DigestFile{}, false
	}
	t, err := time.Parse(digestFileTime, rest[len(rest)-len(digestFileTime):])
	if err != nil {
		return DigestFile{}, false
	}
	head := rest[:len(rest)-len(digestFileTime)-1]
	i := strings.LastIndexByte(head, '_')
	if i <= 0 {
		return DigestFile{}, false
	}
	return DigestFile{Key: key, Account: account, Region: region, Trail: head[:i], End: t, Backfill: backfill}, true
}

// Days lists the UTC days from since to until, both included.
func Days(since, until time.Time) []time.Time {
	var out []time.Time
	d := time.Date(since.UTC().Year(), since.UTC().Month(), since.UTC().Day(), 0, 0, 0, 0, time.UTC)
	for !d.After(until.UTC()) {
		out = append(out, d)
		d = d.AddDate(0, 0, 1)
	}
	return out
}

// TrailARN is the ARN of the stack's trail in an account.
func TrailARN(region, account, name string) string {
	return fmt.Sprintf("arn:aws:cloudtrail:%s:%s:trail/%s", region, account, name)
}
