"""Where blob bytes live: a local folder (default, `instance/files`) or an S3-compatible bucket.

Keys are SHA-256 hex digests only (checked), so no client-supplied text ever reaches a path or
an object key. The same bytes uploaded twice are stored once.

    backend(app) -> Local | S3     put(key, data), get(key) -> bytes | None, exists(key),
                                   delete(key), keys() -> iterator of every stored key
"""

import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

from flask import Flask

_KEY = re.compile(r"[0-9a-f]{64}")


def _checked(key: str) -> str:
    if not _KEY.fullmatch(key):
        raise ValueError("a blob key is a SHA-256 hex digest")
    return key


class Local:
    def __init__(self, root: str):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        key = _checked(key)
        return self.root / key[:2] / key[2:4] / key

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)  # atomic: a reader never sees half a file

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def keys(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for path in self.root.glob("??/??/*"):
            if _KEY.fullmatch(path.name):
                yield path.name


class S3:
    def __init__(self, bucket: str, prefix: str = "", **client_options):
        import boto3  # third-party, loaded only when the S3 backend is configured

        self.bucket, self.prefix = bucket, prefix
        self.client = boto3.client("s3", **{k: v for k, v in client_options.items() if v})

    def _key(self, key: str) -> str:
        return f"{self.prefix}{_checked(key)}"

    def put(self, key: str, data: bytes) -> None:
        if self.exists(key):
            return
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data,
                               ContentType="application/octet-stream")

    def get(self, key: str) -> bytes | None:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except self.client.exceptions.NoSuchKey:
            return None

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except self.client.exceptions.ClientError as err:
            if err.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def keys(self) -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", []):
                name = item["Key"][len(self.prefix):]
                if _KEY.fullmatch(name):
                    yield name


def backend(app: Flask) -> Local | S3:
    """The app's storage, built once per app."""
    store = app.extensions.get("marketplace.files")
    if store is None:
        config = app.config
        if config["FILES_STORAGE"] == "s3":
            store = S3(config["FILES_S3_BUCKET"], config["FILES_S3_PREFIX"] or "",
                       endpoint_url=config["FILES_S3_ENDPOINT_URL"],
                       region_name=config["FILES_S3_REGION"],
                       aws_access_key_id=config["FILES_S3_ACCESS_KEY_ID"],
                       aws_secret_access_key=config["FILES_S3_SECRET_ACCESS_KEY"])
        elif config["FILES_STORAGE"] == "local":
            store = Local(config["FILES_DIR"] or os.path.join(app.instance_path, "files"))
        else:
            raise RuntimeError(f"FILES_STORAGE must be 'local' or 's3', not {config['FILES_STORAGE']!r}")
        app.extensions["marketplace.files"] = store
    return store
