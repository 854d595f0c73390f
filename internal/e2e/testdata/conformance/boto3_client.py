"""boto3 against the xacct sandbox: one subcommand per check, JSON on stdout.

The environment says where and who: AWS_ENDPOINT_URL (this boto3 predates
reading it, so it is passed explicitly), AWS_CA_BUNDLE, AWS_REGION and the
credentials. AWS errors are printed as {"error": code}, exit status 0.
"""
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


def client(name, **kw):
    kw.setdefault("region_name", os.environ["AWS_REGION"])
    return boto3.client(name, endpoint_url=os.environ["AWS_ENDPOINT_URL"], **kw)


def whoami(args):
    ident = client("sts").get_caller_identity()
    return {k: ident[k] for k in ("Account", "Arn", "UserId")}


def assume(args):
    role_arn, session = args
    creds = client("sts").assume_role(RoleArn=role_arn, RoleSessionName=session)["Credentials"]
    sts = boto3.client("sts", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name=os.environ["AWS_REGION"],
                       aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                       aws_session_token=creds["SessionToken"])
    ident = sts.get_caller_identity()
    return {"AccessKeyId": creds["AccessKeyId"], "Arn": ident["Arn"], "Account": ident["Account"]}


def list_users(args):
    prefix, page_size = args[0], int(args[1])
    iam = client("iam")
    first = iam.list_users(PathPrefix=prefix, MaxItems=page_size)
    pages = []
    for page in iam.get_paginator("list_users").paginate(PathPrefix=prefix, PaginationConfig={"PageSize": page_size}):
        pages.append([u["UserName"] for u in page["Users"]])
    return {"first": {"IsTruncated": first["IsTruncated"], "Marker": first.get("Marker", ""),
                      "Users": [u["UserName"] for u in first["Users"]]},
            "pages": pages}


def put_keys(args):
    bucket, prefix, n = args[0], args[1], int(args[2])
    s3 = client("s3", config=Config(max_pool_connections=32))

    def put(i):
        s3.put_object(Bucket=bucket, Key="%s%05d" % (prefix, i), Body=b"%d" % i)

    with ThreadPoolExecutor(max_workers=32) as pool:
        list(pool.map(put, range(n)))
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(o["Key"] for o in page.get("Contents", []))
    return {"count": len(keys), "distinct": len(set(keys))}


def presign(args):
    bucket, key = args
    s3 = client("s3", config=Config(signature_version="s3v4"))
    return {"url": s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300)}


def presign_default(args):
    """boto3's default presigned URL: the SigV2 query form."""
    bucket, key = args
    return {"url": client("s3").generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300)}


def shift_clock(minutes):
    """Moves the signer's clock by minutes, until shifted back. botocore
    1.26 reads datetime.datetime.utcnow(), 1.43 datetime.datetime.now(utc)
    (through botocore.compat): both are the datetime module's class."""
    import datetime
    import botocore.auth

    real = getattr(botocore.auth.datetime.datetime, "real", botocore.auth.datetime.datetime)

    class Shifted(real):
        @classmethod
        def utcnow(cls):
            return real.utcnow() + datetime.timedelta(minutes=minutes)

        @classmethod
        def now(cls, tz=None):
            return real.now(tz) + datetime.timedelta(minutes=minutes)

    Shifted.real = real
    botocore.auth.datetime.datetime = Shifted if minutes else real


def skewed(args):
    """Calls signed with a clock 20 minutes slow, one attempt each."""
    shift_clock(-20)
    once = Config(retries={"total_max_attempts": 1})
    out = {}
    for name, call in (("s3", lambda: client("s3", config=once).get_object(Bucket=args[0], Key=args[1])),
                       ("sts", lambda: client("sts", config=once).get_caller_identity())):
        try:
            call()
            out[name] = "ok"
        except ClientError as e:
            out[name] = e.response["Error"]["Code"]
    return out


def checksums(args):
    """A CRC32 upload (boto3 sends it as a streaming trailer over HTTPS),
    then the checksum as HeadObject, GetObject (which boto3 validates) and
    GetObjectAttributes return it, and the user metadata as it comes back."""
    bucket, key = args
    s3 = client("s3")
    put = s3.put_object(Bucket=bucket, Key=key, Body=b"checksummed body", ChecksumAlgorithm="CRC32",
                        Metadata={"Foo": "bar", "mixed-Case": "Value"})
    head = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    got = s3.get_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    body = got["Body"].read().decode()
    attrs = s3.get_object_attributes(Bucket=bucket, Key=key,
                                     ObjectAttributes=["ETag", "Checksum", "ObjectSize", "StorageClass", "ObjectParts"])
    return {"put": put.get("ChecksumCRC32", ""), "head": head.get("ChecksumCRC32", ""),
            "get": got.get("ChecksumCRC32", ""), "body": body, "metadata": head["Metadata"],
            "attributes": {k: attrs.get(k) for k in ("ETag", "Checksum", "ObjectSize", "StorageClass", "ObjectParts")}}


def trail_log(args):
    """The first CloudTrail log file under a prefix, as a reader of the log
    bucket would take it: gunzip, JSON, Records."""
    import gzip
    bucket, prefix = args
    s3 = client("s3")
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(o["Key"] for o in page.get("Contents", []) if o["Key"].endswith(".json.gz"))
    if not keys:
        return {"error": "no log file under " + prefix}
    body = s3.get_object(Bucket=bucket, Key=keys[0])["Body"].read()
    records = json.loads(gzip.decompress(body))["Records"]
    return {"key": keys[0], "files": len(keys), "records": records}


def put_bucket_policy(args):
    bucket, doc = args
    client("s3").put_bucket_policy(Bucket=bucket, Policy=doc)
    return {}


def account_bpa(args):
    """S3 Control's account-level Block Public Access: put ACCOUNT
    SETTING=true|false..., get ACCOUNT, delete ACCOUNT. botocore puts the
    account ID in the endpoint's host (ACCOUNT.127.0.0.1), which resolves
    nowhere here: the request goes to the endpoint's own host, signed so."""
    op, account, settings = args[0], args[1], args[2:]
    s3c = client("s3control")
    prefix = "://" + account + "."

    def own_host(request, **kw):
        request.url = request.url.replace(prefix, "://", 1)

    s3c.meta.events.register("before-sign.s3-control.*", own_host)
    if op == "put":
        conf = dict((k, v == "true") for k, v in (s.split("=") for s in settings))
        s3c.put_public_access_block(AccountId=account, PublicAccessBlockConfiguration=conf)
        return {}
    if op == "get":
        return s3c.get_public_access_block(AccountId=account)["PublicAccessBlockConfiguration"]
    s3c.delete_public_access_block(AccountId=account)
    return {}


def lambda_policy(args):
    """add-permission for S3 (with its sources) and for an organization,
    then the function's policy as GetPolicy returns it."""
    fn, bucket, account, org = args
    lam = client("lambda")
    lam.add_permission(FunctionName=fn, StatementId="s3", Action="lambda:InvokeFunction",
                       Principal="s3.amazonaws.com", SourceArn="arn:aws:s3:::" + bucket, SourceAccount=account)
    lam.add_permission(FunctionName=fn, StatementId="org", Action="lambda:InvokeFunction",
                       Principal="*", PrincipalOrgID=org)
    return {"Policy": json.loads(lam.get_policy(FunctionName=fn)["Policy"])}


# Issue 22's attack classes, sent as boto3 sends them. Each returns, by
# name, what every call got: {"code": "ok"} or AWS's error code and message.


def outcome(call):
    try:
        call()
        return {"code": "ok"}
    except ClientError as e:
        err = e.response["Error"]
        return {"code": err.get("Code", ""), "message": err.get("Message", "")}


def outcomes(calls):
    return {name: outcome(call) for name, call in calls}


def s3_error(body):
    """The Code and Message of an S3 error document, "" when absent."""
    def element(name):
        start, end = "<%s>" % name, "</%s>" % name
        return body.split(start, 1)[1].split(end, 1)[0] if start in body else ""
    return element("Code"), element("Message")


def session_client(name, creds, **kw):
    return client(name, aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                  aws_session_token=creds["SessionToken"], **kw)


def attack_pass_role(args):
    """Class 1: UpdateFunctionConfiguration to a role the caller may not
    pass, then to one it may."""
    fn, denied, allowed = args
    lam = client("lambda")
    return outcomes([
        ("attack", lambda: lam.update_function_configuration(FunctionName=fn, Role=denied)),
        ("control", lambda: lam.update_function_configuration(FunctionName=fn, Role=allowed)),
    ])


def attack_log_groups(args):
    """Class 2: a secret group named by logGroupIdentifier (name or ARN) and
    by the tagging operations' ARN, another account's ARN, and the same
    calls on a group the caller may read. Debian's botocore (1.29) still
    requires logGroupName in FilterLogEvents and GetLogEvents, though it
    knows logGroupIdentifier: its parameter validation is off, as any
    caller may turn it off."""
    secret, public, account, other = args
    logs = client("logs", config=Config(parameter_validation=False))

    def arn(name):
        return "arn:aws:logs:%s:%s:log-group:%s" % (os.environ["AWS_REGION"], account, name)

    return outcomes([
        ("filter by name", lambda: logs.filter_log_events(logGroupIdentifier=secret)),
        ("filter by ARN", lambda: logs.filter_log_events(logGroupIdentifier=arn(secret))),
        ("describe streams", lambda: logs.describe_log_streams(logGroupIdentifier=arn(secret))),
        ("get events", lambda: logs.get_log_events(logGroupIdentifier=secret, logStreamName="s")),
        ("tag", lambda: logs.tag_resource(resourceArn=arn(secret), tags={"owned": "yes"})),
        ("list tags", lambda: logs.list_tags_for_resource(resourceArn=arn(secret))),
        ("filter by another account's ARN", lambda: logs.filter_log_events(
            logGroupIdentifier=arn(public).replace(":" + account + ":", ":" + other + ":"))),
        ("control filter by name", lambda: logs.filter_log_events(logGroupIdentifier=public)),
        ("control filter by ARN", lambda: logs.filter_log_events(logGroupIdentifier=arn(public))),
        ("control describe streams", lambda: logs.describe_log_streams(logGroupIdentifier=arn(public))),
        ("control get events", lambda: logs.get_log_events(logGroupIdentifier=public, logStreamName="s")),
        ("control tag", lambda: logs.tag_resource(resourceArn=arn(public), tags={"team": "boto3"})),
        ("control list tags", lambda: logs.list_tags_for_resource(resourceArn=arn(public))),
    ])


def attack_object_tag(args):
    """Class 3: GetObject and HeadObject of an object whose tag a Deny names,
    and of an untagged one."""
    bucket, secret, plain = args
    s3 = client("s3")

    def read(key):
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    return outcomes([
        ("get", lambda: read(secret)),
        ("head", lambda: s3.head_object(Bucket=bucket, Key=secret)),
        ("control get", lambda: read(plain)),
        ("control head", lambda: s3.head_object(Bucket=bucket, Key=plain)),
    ])


def attack_session_policy(args):
    """Class 4: sessions of a role narrowed by managed session policies
    (PolicyArns), one each, then a session without: the nth puts
    PREFIXn.txt (which the role allows) and gets KEY."""
    role, bucket, key, prefix, *policies = args
    sts = client("sts")
    calls = []
    for i, arn in enumerate(policies + [None]):
        kw = {"PolicyArns": [{"arn": arn}]} if arn else {}
        creds = sts.assume_role(RoleArn=role, RoleSessionName="boto3-%d" % i, **kw)["Credentials"]
        s3 = session_client("s3", creds)
        name = arn.rsplit("/", 1)[1] if arn else "no session policy"
        calls.append((name + " put", lambda s3=s3, i=i: s3.put_object(Bucket=bucket, Key="%s%d.txt" % (prefix, i), Body=b"x")))
        calls.append((name + " get", lambda s3=s3: s3.get_object(Bucket=bucket, Key=key)["Body"].read()))
    return outcomes(calls)


def attack_bucket_race(args):
    """Class 5: two accounts (their administrator roles) create the same
    bucket name at once, ten names at a time; each round's two outcomes."""
    import threading
    role_a, role_b, prefix, rounds = args[0], args[1], args[2], int(args[3])
    sts = client("sts")
    pool_size = Config(max_pool_connections=16)
    clients = [session_client("s3", sts.assume_role(RoleArn=r, RoleSessionName="race")["Credentials"], config=pool_size)
               for r in (role_a, role_b)]

    def round_(i):
        name = "%s-%d" % (prefix, i)
        start, codes = threading.Barrier(2), [None, None]

        def create(j):
            start.wait()
            codes[j] = outcome(lambda: clients[j].create_bucket(Bucket=name))["code"]

        threads = [threading.Thread(target=create, args=(j,)) for j in (0, 1)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        return {"name": name, "codes": codes}

    with ThreadPoolExecutor(max_workers=10) as pool:
        return {"rounds": list(pool.map(round_, range(rounds)))}


def attack_signatures(args):
    """Class 6: presigned URLs dated ahead of the clock, signatures scoped to
    another region, a presigned URL sent with an Authorization header too;
    and the same requests signed honestly."""
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.httpsession import URLLib3Session

    bucket, key, other = args
    region = os.environ["AWS_REGION"]
    http = URLLib3Session(verify=os.environ["AWS_CA_BUNDLE"])
    creds = boto3.Session().get_credentials().get_frozen_credentials()
    v4 = Config(signature_version="s3v4")

    def presign(minutes=0, region=region):
        shift_clock(minutes)
        try:
            s3 = client("s3", config=v4, region_name=region)
            return s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=3600)
        finally:
            shift_clock(0)

    def send(url, header_signed=False):
        req = AWSRequest(method="GET", url=url)
        if header_signed:
            S3SigV4Auth(creds, "s3", region).add_auth(req)
        resp = http.send(req.prepare())
        if resp.status_code != 200:
            code, msg = s3_error(resp.content.decode(errors="replace"))
            raise ClientError({"Error": {"Code": code or str(resp.status_code), "Message": msg}}, "GET")

    # boto3 follows S3's AuthorizationHeaderMalformed to the region it
    # names: each attempt is recorded with the region it was signed for.
    attempts = []

    def record(context=None, response_dict=None, **kw):
        status, code = 0, ""
        if response_dict:
            status = response_dict["status_code"]
            if status != 200:
                code = s3_error(response_dict["body"].decode(errors="replace"))[0]
        attempts.append({"region": context["signing"]["region"], "status": status, "code": code})

    s3_other = client("s3", region_name=other)
    s3_other.meta.events.register("response-received.s3.GetObject", record)
    now = presign()
    results = outcomes([
        ("presigned 20 minutes ahead", lambda: send(presign(20))),
        ("presigned for another region", lambda: send(presign(region=other))),
        ("presigned with an Authorization header", lambda: send(now, header_signed=True)),
        ("STS for another region", lambda: client("sts", region_name=other).get_caller_identity()),
        ("IAM for another region", lambda: client("iam", region_name=other).get_user()),
        ("control presigned 10 minutes ahead", lambda: send(presign(10))),
        ("control presigned", lambda: send(now)),
        ("control header-signed", lambda: send("%s/%s/%s" % (os.environ["AWS_ENDPOINT_URL"], bucket, key), header_signed=True)),
        ("control STS", lambda: client("sts").get_caller_identity()),
        ("control IAM", lambda: client("iam").get_user()),
        ("S3 for another region", lambda: s3_other.get_object(Bucket=bucket, Key=key)["Body"].read()),
    ])
    results["S3 for another region"]["attempts"] = attempts
    return results


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    fn = {"whoami": whoami, "assume": assume, "list-users": list_users, "put-keys": put_keys, "presign": presign,
          "presign-default": presign_default, "skewed": skewed, "checksums": checksums, "trail-log": trail_log,
          "put-bucket-policy": put_bucket_policy, "account-bpa": account_bpa, "lambda-policy": lambda_policy,
          "attack-pass-role": attack_pass_role, "attack-log-groups": attack_log_groups,
          "attack-object-tag": attack_object_tag, "attack-session-policy": attack_session_policy,
          "attack-bucket-race": attack_bucket_race, "attack-signatures": attack_signatures}[cmd]
    try:
        out = fn(args)
    except ClientError as e:
        out = {"error": e.response["Error"]["Code"]}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
