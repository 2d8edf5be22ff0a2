"""The /bytes/N stream of the daemon's HTTP service (src/ctl/http.h; README.md here),
computed with numpy so a test can check what it received, or produce what it sends,
without a reference file. Byte k is byte k mod 8 of the little-endian SplitMix64
output number k // 8, from state 0.

Also imported by the small peer programs the tests run inside a namespace (they put
this folder on sys.path)."""
import functools
import hashlib

import numpy as np

CHUNK = 1 << 22  # generation unit of stream_chunks and stream_sha256


def stream_at(off, n):
    """Bytes [off, off + n) of the stream."""
    first, last = off // 8, (off + n + 7) // 8
    i = np.arange(first + 1, last + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        x = i * np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    skip = off - first * 8
    return x.astype("<u8").tobytes()[skip:skip + n]


def stream(n):
    """Bytes [0, n) of the stream."""
    return stream_at(0, n)


def stream_chunks(n, chunk=CHUNK):
    """Bytes [0, n) in pieces of @chunk bytes (for transfers too big to hold)."""
    for off in range(0, n, chunk):
        yield stream_at(off, min(chunk, n - off))


@functools.lru_cache(maxsize=None)
def stream_sha256(n):
    """SHA-256 of bytes [0, n), computed in chunks and remembered per size."""
    h = hashlib.sha256()
    for c in stream_chunks(n):
        h.update(c)
    return h.hexdigest()
