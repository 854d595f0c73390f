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


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    fn = {"whoami": whoami, "assume": assume, "list-users": list_users, "put-keys": put_keys, "presign": presign,
          "presign-default": presign_default, "skewed": skewed, "checksums": checksums, "trail-log": trail_log,
          "put-bucket-policy": put_bucket_policy, "account-bpa": account_bpa, "lambda-policy": lambda_policy}[cmd]
    try:
        out = fn(args)
    except ClientError as e:
        out = {"error": e.response["Error"]["Code"]}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
