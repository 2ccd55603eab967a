"""A real S3-compatible server on loopback (moto's server, one per test worker) and, per test, an
empty bucket with the environment a Covenant host on object storage is given."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

KEYS = {
    "AWS_ACCESS_KEY_ID": "covenant-test",
    "AWS_SECRET_ACCESS_KEY": "covenant-test-secret",
    "AWS_REGION": "us-east-1",
    "AWS_ALLOW_HTTP": "true",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    port = _free_port()
    server = Path(sys.executable).with_name("moto_server")
    proc = subprocess.Popen(
        [str(server), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):  # up to 20 s for the server to answer
            try:
                urllib.request.urlopen(url, timeout=1).close()  # noqa: S310 - loopback only
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError("moto_server exited at start") from None
                time.sleep(0.2)
        else:
            raise RuntimeError(f"moto_server did not answer on {url}")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def s3_store_url(s3_endpoint, monkeypatch) -> str:
    """A fresh bucket; COVENANT_STORE_URL and the AWS_* variables point this process (and the
    processes it starts) at it."""
    bucket = f"covenant-{uuid.uuid4().hex[:12]}"
    env = {**KEYS, "AWS_ENDPOINT_URL": s3_endpoint}
    boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=env["AWS_REGION"],
    ).create_bucket(Bucket=bucket)
    url = f"s3://{bucket}/covenant"
    for k, v in {**env, "COVENANT_STORE_URL": url}.items():
        monkeypatch.setenv(k, v)
    assert os.environ["COVENANT_STORE_URL"] == url
    return url
