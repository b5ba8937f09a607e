"""Attackers and a probe for bench/fairness.sh (stdlib only, loopback only, bounded in time).

  fairness.py pipeline  HOST PORT SECONDS          HTTP/1.1 pipelined GETs, answers read
  fairness.py h2c-wu    HOST PORT SECONDS          HTTP/2 (prior knowledge) WINDOW_UPDATE flood
  fairness.py h2-tls-wu HOST PORT SECONDS          the same over TLS (ALPN h2)
  fairness.py probe     HOST PORT SECONDS PATH     a fresh connection per GET, one every 10 ms

An attacker writes as fast as the server reads, reads everything the server sends (one thread,
select: an SSL socket may not be shared by two), and connects again whenever the server closes,
until SECONDS have passed; it prints how many connections it made. The probe prints "PROBES n=… failed=… p50_ms=… p99_ms=… max_ms=…": a probe
fails when its answer is not a complete 200 within 2 s.
"""
import select
import socket
import ssl
import sys
import time


def frame(kind, flags, stream, payload=b""):
    n = len(payload)
    return bytes([n >> 16 & 0xFF, n >> 8 & 0xFF, n & 0xFF, kind, flags]) + stream.to_bytes(4, "big") + payload


PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0)
# WINDOW_UPDATE on the connection, increment 1: 13 bytes of cheap work each.
WINDOW_UPDATES = frame(8, 0, 0, (1).to_bytes(4, "big")) * 5000


def connect(host, port, tls):
    sock = socket.create_connection((host, port), timeout=5)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if not tls:
        return sock
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["h2"])
    return context.wrap_socket(sock)


def attack(host, port, seconds, tls, opening, chunk):
    deadline = time.monotonic() + seconds
    connections = 0
    while time.monotonic() < deadline:
        try:
            sock = connect(host, port, tls)
        except OSError:
            time.sleep(0.01)
            continue
        connections += 1
        sock.setblocking(False)
        out, offset, alive = memoryview(opening + chunk), 0, True
        while alive and time.monotonic() < deadline:
            readable, writable, _ = select.select([sock], [sock], [], 0.5)
            if readable:
                try:
                    while True:
                        if not sock.recv(1 << 16):
                            alive = False
                            break
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                    pass
                except OSError:
                    alive = False
            if writable and alive:
                try:
                    offset += sock.send(out[offset:])
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                    pass
                except OSError:
                    alive = False
                if offset == len(out):
                    out, offset = memoryview(chunk), 0
        sock.close()
    print(f"ATTACK connections={connections}")


def probe(host, port, seconds, path):
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
    latencies, failed = [], 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        start = time.monotonic()
        answer = b""
        try:
            with socket.create_connection((host, port), timeout=2) as sock:
                sock.settimeout(max(0.001, 2 - (time.monotonic() - start)))
                sock.sendall(request)
                while True:
                    part = sock.recv(1 << 16)
                    if not part:
                        break
                    answer += part
        except OSError:
            pass
        elapsed = time.monotonic() - start
        if answer.startswith(b"HTTP/1.1 200") and elapsed < 2:
            latencies.append(elapsed * 1000)
        else:
            failed += 1
        time.sleep(0.01)
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else float("nan")

    print(f"PROBES n={len(latencies) + failed} failed={failed} p50_ms={pct(0.50):.2f} p99_ms={pct(0.99):.2f} "
          f"max_ms={(latencies[-1] if latencies else float('nan')):.2f}")


def main():
    mode, host, port, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    if mode == "pipeline":
        get = f"GET /v2/health/ready HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
        chunk = get * (65536 // len(get))
        attack(host, port, seconds, False, b"", chunk)
    elif mode == "h2c-wu":
        attack(host, port, seconds, False, PREFACE, WINDOW_UPDATES)
    elif mode == "h2-tls-wu":
        attack(host, port, seconds, True, PREFACE, WINDOW_UPDATES)
    elif mode == "probe":
        probe(host, port, seconds, sys.argv[5])
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
