"""Malformed frames sent to every daemon: an ERROR reply or a drop, never a crash.

Each case is sent on the daemon's own socket (the ROUTERs of auth, discovery, the stream-proxy's
control and pool; a fake pool ROUTER for the worker). After all of them the daemon must still
answer PING, and at teardown exit 0 on SIGTERM with no sanitizer report."""
import time

import msgpack
import pytest

from conftest import (COMMON, ERROR, HEALTH, HEALTH_OK, PING, PONG, FakePool, dealer, header,
                      next_rid, ping, recv, wait_until)

CM_ERR_MALFORMED, CM_ERR_UNKNOWN_MSG, CM_ERR_VERSION = 2, 3, 4


def cases():
    """(name, frames, expected ERROR status or None for 'no answer required')."""
    good_body = msgpack.packb({})
    h = lambda msg=PING, proto=COMMON, version=1: header(proto, msg, next_rid(), deadline_ms=0,
                                                         version=version)
    return [
        ("one garbage frame", [b"\xc1\xc1\xc1"], CM_ERR_MALFORMED),
        ("array32 bomb as header", [b"\xdd\xff\xff\xff\xff", good_body], CM_ERR_MALFORMED),
        ("map32 bomb as header", [b"\xdf\xff\xff\xff\xff", good_body], CM_ERR_MALFORMED),
        ("header with 4 fields", [msgpack.packb([0, 1, 1, 5]), good_body], CM_ERR_MALFORMED),
        ("header of strings", [msgpack.packb(["a", "b", "c", "d", "e"]), good_body],
         CM_ERR_MALFORMED),
        ("header only", [h()], CM_ERR_MALFORMED),
        ("body array32 bomb", [h(), b"\xdd\x10\x00\x00\x00"], CM_ERR_MALFORMED),
        ("body bin32 4 GiB", [h(), b"\xc6\xff\xff\xff\xff"], CM_ERR_MALFORMED),
        ("body str32 4 GiB", [h(), b"\xdb\xff\xff\xff\xff"], CM_ERR_MALFORMED),
        ("body not a map", [h(), msgpack.packb([1, 2, 3])], CM_ERR_MALFORMED),
        ("body truncated", [h(), b"\x82\x01"], CM_ERR_MALFORMED),
        ("body with trailing bytes", [h(), good_body + b"\x00"], CM_ERR_MALFORMED),
        ("body nested 1000 deep", [h(), b"\x81\x01" + b"\x91" * 1000 + b"\x00"],
         CM_ERR_MALFORMED),
        ("ext type in body", [h(), b"\x81\x01\xd4\x01\x02"], CM_ERR_MALFORMED),
        ("unknown protocol", [h(proto=77), good_body], CM_ERR_UNKNOWN_MSG),
        ("unknown message", [h(msg=999), good_body], CM_ERR_UNKNOWN_MSG),
        ("wrong version", [h(version=9), good_body], CM_ERR_VERSION),
        ("payload on PING", [h(), good_body, b"raw bytes"], CM_ERR_MALFORMED),
        ("five frames", [h(), good_body, b"x", b"y"], None),
        ("HEALTH_OK with a bad body", [h(msg=HEALTH_OK), msgpack.packb({1: [1, 2]})], None),
        ("PING with unknown fields", [h(), msgpack.packb({99: {"nested": [1, 2, 3]}})], "PONG"),
        ("empty frames", [b"", b""], CM_ERR_MALFORMED),
    ]


def expect(sock, want, name):
    """Read answers until one of interest; assert it matches `want`."""
    got = recv(sock, 0.3 if want is None else 3.0)
    if want is None:
        return  # an answer or a drop are both fine
    assert got is not None, "%s: no answer" % name
    hdr, body, _ = got
    if want == "PONG":
        assert hdr[0] == COMMON and hdr[2] == PONG, "%s: %r" % (name, hdr)
    else:
        assert hdr[0] == COMMON and hdr[2] == ERROR, "%s: %r" % (name, hdr)
        assert body[1] == want and isinstance(body[2], str), "%s: %r" % (name, body)


def drain(sock):
    while sock.poll(100):
        sock.recv_multipart()


@pytest.mark.parametrize("target", ["auth/rpc", "source-discovery/rpc", "stream-proxy/rpc",
                                    "stream-proxy/pool"])
def test_malformed_frames_to_router(stack, target):
    stack.start_core(workers=0)
    name, key = target.split("/")
    d = stack.daemons[name]
    ep = d.ready[key]
    s = dealer(ep)
    try:
        for case, frames, want in cases():
            drain(s)
            s.send_multipart(frames)
            expect(s, want, case)
            assert d.alive(), "%s died on: %s" % (name, case)
        assert ping(ep), "%s stopped answering PING" % name
    finally:
        s.close()


def test_oversized_frame_disconnects_only_that_peer(stack):
    """ZMQ_MAXMSGSIZE: a 2 MiB frame on a control socket drops that connection; others go on."""
    stack.start_core(workers=0)
    ep = stack.daemons["auth"].ready["rpc"]
    bad = dealer(ep)
    try:
        bad.send_multipart([header(COMMON, PING, next_rid()), b"\x80" + b"x" * (2 << 20)])
        assert recv(bad, 1.0) is None
        assert ping(ep)
        assert stack.daemons["auth"].alive()
    finally:
        bad.close()


def test_malformed_frames_to_worker(bare):
    pool = FakePool()
    try:
        w = bare.spawn("worker", "torrent-worker", {"STREAM_POOL_ENDPOINT": pool.endpoint})
        ident = pool.wait_for(lambda h: True, 10, "a message from the worker")[0]
        for case, frames, want in cases():
            pool.sock.send_multipart([ident, *frames])
            assert w.alive(), "the worker died on: %s" % case
        time.sleep(0.3)
        assert w.alive()
        pool.ping(ident)
    finally:
        pool.close()


def test_health_over_the_wire(stack):
    """HEALTH_OK decoded by an independent msgpack: the fields API.md's /api/health needs."""
    stack.start_core(workers=1)
    s = dealer(stack.daemons["stream-proxy"].ready["rpc"])
    try:
        def workers_up():
            s.send_multipart([header(COMMON, HEALTH, next_rid()), msgpack.packb({})])
            got = recv(s, 2)
            return got and got[0][2] == HEALTH_OK and got[1].get(7) == 1 and got[1]

        body = wait_until(workers_up, 10, what="one live worker in HEALTH_OK")
        assert body[1] == "stream" and body[2] == "0.1.0" and body[3] == \
            stack.daemons["stream-proxy"].pid
    finally:
        s.close()
