package audit

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// AthenaOptions are the inputs of Athena.
type AthenaOptions struct {
	Bucket string
	Table  string
	// Accounts and Regions are the partition projection's values.
	Accounts, Regions []string
	Since, Until      time.Time
	Filter            Filter
	Principals        *Principals
}

// Athena returns a CREATE EXTERNAL TABLE over the log bucket whose
// partitions (account, region, day) are projected from the key layout, so
// no partition is ever loaded, and the SELECT of the same filters as
// `xacct audit`, reading only the days of the range.
func Athena(o AthenaOptions) string {
	var b strings.Builder
	q := sqlString
	from := "2020/01/01"
	if !o.Since.IsZero() {
		from = o.Since.UTC().Format(dayLayout)
	}
	fmt.Fprintf(&b, `-- The stack's CloudTrail logs in s3://%[1]s, for Amazon Athena.
-- Partitions are projected from the key layout
-- (AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/): a query that
-- bounds account, region and day reads only those prefixes.
CREATE EXTERNAL TABLE IF NOT EXISTS %[2]s (
    eventversion STRING,
    useridentity STRUCT<
        type: STRING, principalid: STRING, arn: STRING, accountid: STRING, invokedby: STRING,
        accesskeyid: STRING, username: STRING,
        sessioncontext: STRUCT<
            attributes: STRUCT<mfaauthenticated: STRING, creationdate: STRING>,
            sessionissuer: STRUCT<type: STRING, principalid: STRING, arn: STRING, accountid: STRING, username: STRING>,
            sourceidentity: STRING>>,
    eventtime STRING,
    eventsource STRING,
    eventname STRING,
    awsregion STRING,
    sourceipaddress STRING,
    useragent STRING,
    errorcode STRING,
    errormessage STRING,
    requestparameters STRING,
    responseelements STRING,
    additionaleventdata STRING,
    requestid STRING,
    eventid STRING,
    readonly STRING,
    resources ARRAY<STRUCT<arn: STRING, accountid: STRING, type: STRING>>,
    eventtype STRING,
    apiversion STRING,
    recipientaccountid STRING,
    sharedeventid STRING,
    vpcendpointid STRING,
    eventcategory STRING,
    managementevent STRING
)
PARTITIONED BY (account STRING, region STRING, day STRING)
ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'
STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://%[1]s/AWSLogs/'
TBLPROPERTIES (
    'projection.enabled' = 'true',
    'projection.account.type' = 'enum',
    'projection.account.values' = '%[3]s',
    'projection.region.type' = 'enum',
    'projection.region.values' = '%[4]s',
    'projection.day.type' = 'date',
    'projection.day.format' = 'yyyy/MM/dd',
    'projection.day.range' = '%[5]s,NOW',
    'projection.day.interval' = '1',
    'projection.day.interval.unit' = 'DAYS',
    'storage.location.template' = 's3://%[1]s/AWSLogs/${account}/CloudTrail/${region}/${day}'
);

`, o.Bucket, o.Table, strings.Join(o.Accounts, ","), strings.Join(o.Regions, ","), from)

	var where []string
	if !o.Since.IsZero() {
		where = append(where, "day >= "+q(o.Since.UTC().Format(dayLayout)), "eventtime >= "+q(o.Since.UTC().Format(time.RFC3339)))
	}
	if !o.Until.IsZero() {
		// Records are delivered up to DefaultMaxDelay after they happen.
		where = append(where, "day <= "+q(o.Until.Add(DefaultMaxDelay).UTC().Format(dayLayout)), "eventtime <= "+q(o.Until.UTC().Format(time.RFC3339)))
	}
	f := o.Filter
	if f.Who != "" {
		v := q(strings.ToLower(f.Who))
		where = append(where, fmt.Sprintf("(lower(useridentity.username) = %[1]s OR lower(useridentity.arn) = %[1]s"+
			" OR lower(useridentity.sessioncontext.sessionissuer.arn) = %[1]s OR lower(useridentity.sessioncontext.sessionissuer.username) = %[1]s"+
			" OR (useridentity.type = 'AssumedRole' AND lower(element_at(split(useridentity.arn, '/'), -1)) = %[1]s)"+
			" OR useridentity.invokedby = %[1]s)", v))
	}
	if f.Action != "" {
		where = append(where, "lower(concat(split_part(eventsource, '.', 1), ':', eventname)) LIKE "+q(likePattern(strings.ToLower(f.Action)))+" ESCAPE '\\'")
	}
	if f.Bucket != "" {
		where = append(where, "json_extract_scalar(requestparameters, '$.bucketName') = "+q(f.Bucket),
			"json_extract_scalar(requestparameters, '$.key') LIKE "+q(likeEscape(f.KeyPrefix)+"%")+" ESCAPE '\\'")
	}
	if f.Denied {
		where = append(where, "errorcode IS NOT NULL")
	}
	if f.Changes {
		where = append(where, "managementevent = 'true'", "readonly = 'false'", "errorcode IS NULL")
		if c := ownedSQL(f.Owned); c != "" {
			where = append(where, c)
		}
	}
	b.WriteString("-- The same question as xacct audit with these filters.\n")
	b.WriteString("SELECT eventtime, account, awsregion,\n" +
		"       coalesce(useridentity.username, element_at(split(useridentity.arn, '/'), -1), useridentity.invokedby) AS who,\n" +
		"       useridentity.sessioncontext.sessionissuer.arn AS via_role,\n" +
		"       concat(split_part(eventsource, '.', 1), ':', eventname) AS action,\n" +
		"       coalesce(json_extract_scalar(requestparameters, '$.bucketName') || '/' || json_extract_scalar(requestparameters, '$.key'),\n" +
		"                json_extract_scalar(requestparameters, '$.roleName'), json_extract_scalar(requestparameters, '$.groupName'),\n" +
		"                json_extract_scalar(requestparameters, '$.bucketName')) AS resource,\n" +
		"       coalesce(errorcode, 'ok') AS result\n")
	fmt.Fprintf(&b, "FROM %s\n", o.Table)
	if len(where) > 0 {
		b.WriteString("WHERE " + strings.Join(where, "\n  AND ") + "\n")
	}
	b.WriteString("ORDER BY eventtime;\n")
	return b.String()
}

// ownedSQL is the condition that a request names one of owned, by the
// request parameter that names each kind.
func ownedSQL(owned []Target) string {
	byParam := map[string][]string{}
	for _, t := range owned {
		name, _, _ := strings.Cut(t.Name, "/")
		var param string
		switch {
		case strings.HasPrefix(t.Kind, "iam_role"):
			param = "roleName"
		case strings.HasPrefix(t.Kind, "iam_group"):
			param = "groupName"
		case strings.HasPrefix(t.Kind, "s3_bucket"):
			param, name = "bucketName", t.Name
		case strings.HasPrefix(t.Kind, "lambda_"):
			param = "functionName"
		case t.Kind == "logs_log_group":
			param, name = "logGroupName", t.Name
		case t.Kind == "cloudtrail_trail":
			param = "name"
		default:
			continue
		}
		if !slices.Contains(byParam[param], name) {
			byParam[param] = append(byParam[param], name)
		}
	}
	var ors []string
	for _, p := range slices.Sorted(maps.Keys(byParam)) {
		var vs []string
		for _, n := range byParam[p] {
			vs = append(vs, sqlString(n))
		}
		ors = append(ors, fmt.Sprintf("json_extract_scalar(requestparameters, '$.%s') IN (%s)", p, strings.Join(vs, ", ")))
	}
	if len(ors) == 0 {
		return ""
	}
	return "(" + strings.Join(ors, "\n       OR ") + ")"
}

// sqlString quotes s for SQL.
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// likeEscape escapes LIKE's wildcards (with \ as the ESCAPE character).
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s)
}

// likePattern turns a glob into a LIKE pattern.
func likePattern(glob string) string {
	return strings.NewReplacer("*", "%", "?", "_").Replace(likeEscape(glob))
}
