#!/usr/bin/env python3
"""Loopback TCP programs for tcpscope's fidelity captures (Python 3 standard library only).

Run by make-captures.sh inside a private network namespace, one scenario at a time:

    python3 scenarios.py SCENARIO PORT

Scenarios:
  bulk        the client sends 200 000 bytes, half-closes, the server answers "ok" and closes
              (used with nftables rules that drop or delay data segments)
  zerowindow  the server (SO_RCVBUF 4096) stops reading for 1.5 s while the client sends
              60 000 bytes, then reads in small bites
  keepalive   the client turns on SO_KEEPALIVE (TCP_KEEPIDLE 1 s, TCP_KEEPINTVL 1 s) and idles
              for 3.5 s between a request and the close
  reuse       the client connects three times from the same source port (SO_REUSEADDR),
              closing each connection with an RST (SO_LINGER 0) so no TIME_WAIT blocks the port
  messages    the client sends 12 messages of 100 bytes, 10 ms apart; two begin with "MISS"
              (the capture filter leaves those two out, as a tap that missed them)
"""

import socket
import struct
import sys
import threading
import time

HOST = "127.0.0.1"


def listener(port, rcvbuf=None):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if rcvbuf:
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    srv.bind((HOST, port))
    srv.listen(8)
    return srv


def read_all(conn, bite=65536, pause=0.0):
    total = 0
    while True:
        data = conn.recv(bite)
        if not data:
            return total
        total += len(data)
        if pause:
            time.sleep(pause)


def bulk(port):
    srv = listener(port)

    def serve():
        conn, _ = srv.accept()
        read_all(conn)
        conn.sendall(b"ok")
        conn.close()

    t = threading.Thread(target=serve)
    t.start()
    cli = socket.create_connection((HOST, port))
    payload = bytes(range(256)) * 782  # 200 192 bytes
    cli.sendall(payload[:200000])
    cli.shutdown(socket.SHUT_WR)
    read_all(cli)
    cli.close()
    t.join()


def zerowindow(port):
    srv = listener(port, rcvbuf=4096)

    def serve():
        conn, _ = srv.accept()
        time.sleep(1.5)
        read_all(conn, bite=2048, pause=0.002)
        conn.sendall(b"ok")
        conn.close()

    t = threading.Thread(target=serve)
    t.start()
    cli = socket.create_connection((HOST, port))
    cli.sendall(b"z" * 60000)
    cli.shutdown(socket.SHUT_WR)
    read_all(cli)
    cli.close()
    t.join()


def keepalive(port):
    srv = listener(port)

    def serve():
        conn, _ = srv.accept()
        conn.recv(100)
        conn.sendall(b"pong")
        read_all(conn)
        conn.close()

    t = threading.Thread(target=serve)
    t.start()
    cli = socket.socket()
    cli.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    cli.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
    cli.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
    cli.connect((HOST, port))
    cli.sendall(b"ping")
    cli.recv(100)
    time.sleep(3.5)
    cli.close()
    t.join()


def reuse(port):
    srv = listener(port)
    rounds = 3

    def serve():
        for _ in range(rounds):
            conn, _ = srv.accept()
            conn.recv(100)
            conn.sendall(b"pong")
            try:
                conn.recv(100)
            except ConnectionResetError:
                pass
            conn.close()

    t = threading.Thread(target=serve)
    t.start()
    for _ in range(rounds):
        cli = socket.socket()
        cli.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        cli.bind((HOST, port + 31000))
        cli.connect((HOST, port))
        cli.sendall(b"ping")
        cli.recv(100)
        cli.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        cli.close()
        time.sleep(0.05)
    t.join()


def messages(port):
    srv = listener(port)

    def serve():
        conn, _ = srv.accept()
        read_all(conn)
        conn.sendall(b"ok")
        conn.close()

    t = threading.Thread(target=serve)
    t.start()
    cli = socket.create_connection((HOST, port))
    cli.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for i in range(12):
        cli.sendall((b"MISS" if i in (4, 8) else b"MSG%d" % (i % 10)) + b"." * 96)
        time.sleep(0.01)
    cli.shutdown(socket.SHUT_WR)
    read_all(cli)
    cli.close()
    t.join()


def main():
    scenario, port = sys.argv[1], int(sys.argv[2])
    {"bulk": bulk, "zerowindow": zerowindow, "keepalive": keepalive, "reuse": reuse,
     "messages": messages}[scenario](
        port
    )


if __name__ == "__main__":
    main()
