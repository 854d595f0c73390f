-- The stack's CloudTrail logs in s3://acme-data-logs-333333333333, for Amazon Athena.
-- Partitions are projected from the key layout
-- (AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/): a query that
-- bounds account, region and day reads only those prefixes.
CREATE EXTERNAL TABLE IF NOT EXISTS acme_data_cloudtrail (
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
LOCATION 's3://acme-data-logs-333333333333/AWSLogs/'
TBLPROPERTIES (
    'projection.enabled' = 'true',
    'projection.account.type' = 'enum',
    'projection.account.values' = '111111111111,222222222222,333333333333',
    'projection.region.type' = 'enum',
    'projection.region.values' = 'us-east-1,eu-west-1',
    'projection.day.type' = 'date',
    'projection.day.format' = 'yyyy/MM/dd',
    'projection.day.range' = '2026/11/29,NOW',
    'projection.day.interval' = '1',
    'projection.day.interval.unit' = 'DAYS',
    'storage.location.template' = 's3://acme-data-logs-333333333333/AWSLogs/${account}/CloudTrail/${region}/${day}'
);

-- The same question as xacct audit with these filters.
SELECT eventtime, account, awsregion,
       coalesce(useridentity.username, element_at(split(useridentity.arn, '/'), -1), useridentity.invokedby) AS who,
       useridentity.sessioncontext.sessionissuer.arn AS via_role,
       concat(split_part(eventsource, '.', 1), ':', eventname) AS action,
       coalesce(json_extract_scalar(requestparameters, '$.bucketName') || '/' || json_extract_scalar(requestparameters, '$.key'),
                json_extract_scalar(requestparameters, '$.roleName'), json_extract_scalar(requestparameters, '$.groupName'),
                json_extract_scalar(requestparameters, '$.bucketName')) AS resource,
       coalesce(errorcode, 'ok') AS result
FROM acme_data_cloudtrail
WHERE day >= '2026/11/29'
  AND eventtime >= '2026-11-29T10:00:00Z'
  AND day <= '2026/12/06'
  AND eventtime <= '2026-12-06T10:00:00Z'
  AND managementevent = 'true'
  AND readonly = 'false'
  AND errorcode IS NULL
  AND (json_extract_scalar(requestparameters, '$.bucketName') IN ('acme-data-prod')
       OR json_extract_scalar(requestparameters, '$.groupName') IN ('Developers')
       OR json_extract_scalar(requestparameters, '$.roleName') IN ('acme-data-developers'))
ORDER BY eventtime;
