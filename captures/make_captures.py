#!/usr/bin/env python3
"""Regenerate the sample loopback captures used by tcpscope.

Run as root (tcpdump needs CAP_NET_RAW) from the repository root:

    sudo python3 captures/make_captures.py            # every scenario
    sudo python3 captures/make_captures.py echo abort # only some of them

For every scenario the script

  1. starts ``tcpdump -i lo -U -s 0 --immediate-mode -Z root
     -w captures/<name>.pcap 'tcp port <P>'`` and waits for its
     "listening on" line on stderr,
  2. runs a real Python socket server and client on 127.0.0.1 (or ::1) in
     threads of this process, written in the style of the usual Chinese
     socket lessons (tcp_server_socket / client_socket / recv_data,
     the server answers "thank you !", port 7788),
  3. waits for the exchange to finish, sleeps a little so the final ACKs are
     captured, then stops tcpdump with SIGINT and waits for it.

Only the Python standard library is used.  Each scenario uses its own fixed
port in 7788..7799 so that the capture filter only sees that scenario.
"""

import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
HOST = "127.0.0.1"
HOST6 = "::1"
TIMEOUT = 5.0          # socket timeout, so a broken scenario cannot hang
SETTLE = 0.5           # sleep after the exchange so final ACKs are captured
THANKS = "thank you !"


# --------------------------------------------------------------------------
# tcpdump handling
# --------------------------------------------------------------------------

class Capture:
    """Context manager running tcpdump on lo for the duration of a block."""

    def __init__(self, name, port):
        self.path = HERE / (name + ".pcap")
        self.port = port
        self.proc = None
        self.stderr_lines = []
        self.listening = threading.Event()
        self.reader = None

    def _read_stderr(self):
        for line in self.proc.stderr:
            self.stderr_lines.append(line.rstrip("\n"))
            if "listening on" in line:
                self.listening.set()

    def __enter__(self):
        if self.path.exists():
            self.path.unlink()
        cmd = [
            "tcpdump", "-i", "lo", "-U", "-s", "0",
            # --immediate-mode: without it libpcap's TPACKET_V3 ring hands
            # packets to tcpdump only when a block times out (~1 s), and
            # whatever is still in the ring at SIGINT is silently lost.
            "--immediate-mode",
            # -Z root: otherwise Debian's tcpdump drops to user "tcpdump"
            # before opening the output file.
            "-Z", "root",
            "-w", str(self.path),
            "tcp port %d" % self.port,
        ]
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        self.reader = threading.Thread(target=self._read_stderr, daemon=True)
        self.reader.start()
        if not self.listening.wait(10):
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError(
                "tcpdump did not start: %s" % "\n".join(self.stderr_lines)
            )
        time.sleep(0.1)  # belt and braces: the filter is attached already
        return self

    def __exit__(self, exc_type, exc, tb):
        time.sleep(SETTLE)
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.reader.join(timeout=5)
        captured = [l for l in self.stderr_lines if "captured" in l]
        print("  %s: %s" % (self.path.name, captured[0] if captured else "?"))
        return False


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def run_threads(*targets):
    """Run each callable in its own thread, join them, re-raise errors."""
    errors = []

    def wrap(fn):
        def inner():
            try:
                fn()
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)
        return inner

    threads = [threading.Thread(target=wrap(t)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT * 4)
    if errors:
        raise errors[0]


def make_server_socket(port, family=socket.AF_INET, host=HOST):
    # 创建 tcp 套接字 / 绑定端口 / 变为监听套接字
    tcp_server_socket = socket.socket(family, socket.SOCK_STREAM)
    tcp_server_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp_server_socket.bind((host, port))
    tcp_server_socket.listen(128)
    tcp_server_socket.settimeout(TIMEOUT)
    return tcp_server_socket


def make_client_socket(family=socket.AF_INET):
    tcp_client_socket = socket.socket(family, socket.SOCK_STREAM)
    tcp_client_socket.settimeout(TIMEOUT)
    return tcp_client_socket


def recv_until_eof(sock):
    data = b""
    while True:
        chunk = sock.recv(1024)
        if not chunk:
            return data
        data += chunk


# --------------------------------------------------------------------------
# scenarios
# --------------------------------------------------------------------------

def echo_exchange(port, close_delay, family=socket.AF_INET, host=HOST):
    """Client sends "hello tcpscope", server answers "thank you !",
    client closes first; the server closes ``close_delay`` seconds after
    recv() returned b'' (i.e. after sitting in CLOSE_WAIT)."""
    tcp_server_socket = make_server_socket(port, family, host)

    def server():
        client_socket, client_addr = tcp_server_socket.accept()
        client_socket.settimeout(TIMEOUT)
        recv_data = client_socket.recv(1024)
        print("    server got %r from %s" % (recv_data.decode("utf-8"), client_addr[:2]))
        client_socket.send(THANKS.encode("utf-8"))
        while client_socket.recv(1024):   # b'' -> peer sent FIN, CLOSE_WAIT
            pass
        if close_delay:
            time.sleep(close_delay)
        client_socket.close()
        tcp_server_socket.close()

    def client():
        tcp_client_socket = make_client_socket(family)
        tcp_client_socket.connect((host, port))
        tcp_client_socket.send("hello tcpscope".encode("utf-8"))
        recv_data = tcp_client_socket.recv(1024)
        print("    client got %r" % recv_data.decode("utf-8"))
        tcp_client_socket.close()

    run_threads(server, client)


def scenario_echo(port):
    echo_exchange(port, close_delay=0.2)


def scenario_quick_close(port):
    echo_exchange(port, close_delay=0)


def scenario_ipv6(port):
    echo_exchange(port, close_delay=0.2, family=socket.AF_INET6, host=HOST6)


def scenario_gbk_chat(port):
    """Long connection, three GBK messages, server answers each; "quit"
    ends the chat and both sides close."""
    tcp_server_socket = make_server_socket(port)

    def server():
        client_socket, client_addr = tcp_server_socket.accept()
        client_socket.settimeout(TIMEOUT)
        while True:
            recv_data = client_socket.recv(1024)
            if not recv_data:
                break
            msg = recv_data.decode("gbk")
            print("    server got %r (%d bytes GBK)" % (msg, len(recv_data)))
            client_socket.send(THANKS.encode("gbk"))
            if msg == "quit":
                break
        client_socket.close()
        tcp_server_socket.close()

    def client():
        tcp_client_socket = make_client_socket()
        tcp_client_socket.connect((HOST, port))
        for msg in ("你好", "今天天气不错", "quit"):
            tcp_client_socket.send(msg.encode("gbk"))
            recv_data = tcp_client_socket.recv(1024)
            print("    client got %r" % recv_data.decode("gbk"))
            time.sleep(0.05)
        tcp_client_socket.close()

    run_threads(server, client)


def scenario_sticky(port):
    """Three quick send(b"hello") with Nagle on; the server sleeps and then
    reads them with a single recv(1024) ("粘包")."""
    tcp_server_socket = make_server_socket(port)

    def server():
        client_socket, client_addr = tcp_server_socket.accept()
        client_socket.settimeout(TIMEOUT)
        time.sleep(0.1)
        recv_data = client_socket.recv(1024)
        print("    server got %r with one recv()" % recv_data)
        # Drain anything that was not there yet: closing with unread data
        # would make the kernel send RST instead of FIN.
        while len(recv_data) < 15:
            more = client_socket.recv(1024)
            if not more:
                break
            recv_data += more
        client_socket.send(THANKS.encode("utf-8"))
        client_socket.close()
        tcp_server_socket.close()

    def client():
        tcp_client_socket = make_client_socket()
        tcp_client_socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 0)
        tcp_client_socket.connect((HOST, port))
        tcp_client_socket.send(b"hello")
        tcp_client_socket.send(b"hello")
        tcp_client_socket.send(b"hello")
        recv_data = recv_until_eof(tcp_client_socket)
        print("    client got %r" % recv_data)
        tcp_client_socket.close()

    run_threads(server, client)


def scenario_refused(port):
    """Connect to a port where nothing listens: SYN answered by RST,ACK."""
    tcp_client_socket = make_client_socket()
    try:
        tcp_client_socket.connect((HOST, port))
    except ConnectionRefusedError as e:
        print("    client: %s (as expected)" % e)
    else:
        raise RuntimeError("something is listening on port %d" % port)
    finally:
        tcp_client_socket.close()


def scenario_half_close(port):
    """Client sends a request then shutdown(SHUT_WR); the server keeps
    sending three chunks after the EOF, then closes."""
    tcp_server_socket = make_server_socket(port)

    def server():
        client_socket, client_addr = tcp_server_socket.accept()
        client_socket.settimeout(TIMEOUT)
        request = recv_until_eof(client_socket)     # request + FIN
        print("    server got %r then EOF" % request)
        for i in range(1, 4):
            client_socket.send(("chunk %d of 3\n" % i).encode("utf-8"))
            time.sleep(0.03)
        client_socket.close()
        tcp_server_socket.close()

    def client():
        tcp_client_socket = make_client_socket()
        tcp_client_socket.connect((HOST, port))
        tcp_client_socket.send(b"GET /report\n")
        tcp_client_socket.shutdown(socket.SHUT_WR)
        recv_data = recv_until_eof(tcp_client_socket)
        print("    client got %r" % recv_data)
        tcp_client_socket.close()

    run_threads(server, client)


def scenario_server_close(port):
    """Server sends a greeting and closes first (server ends in TIME_WAIT)."""
    tcp_server_socket = make_server_socket(port)

    def server():
        client_socket, client_addr = tcp_server_socket.accept()
        client_socket.send("welcome, bye !\n".encode("utf-8"))
        client_socket.close()
        tcp_server_socket.close()

    def client():
        tcp_client_socket = make_client_socket()
        tcp_client_socket.connect((HOST, port))
        recv_data = recv_until_eof(tcp_client_socket)
        print("    client got %r then EOF" % recv_data)
        tcp_client_socket.close()

    run_threads(server, client)


def scenario_abort(port):
    """After the exchange the client sets SO_LINGER {1, 0} and closes:
    the kernel sends RST instead of FIN."""
    tcp_server_socket = make_server_socket(port)

    def server():
        client_socket, client_addr = tcp_server_socket.accept()
        client_socket.settimeout(TIMEOUT)
        recv_data = client_socket.recv(1024)
        client_socket.send(THANKS.encode("utf-8"))
        try:
            more = client_socket.recv(1024)
            print("    server: recv() returned %r" % more)
        except ConnectionResetError as e:
            print("    server: %s (as expected)" % e)
        client_socket.close()
        tcp_server_socket.close()

    def client():
        tcp_client_socket = make_client_socket()
        tcp_client_socket.connect((HOST, port))
        tcp_client_socket.send("hello tcpscope".encode("utf-8"))
        recv_data = tcp_client_socket.recv(1024)
        print("    client got %r" % recv_data.decode("utf-8"))
        tcp_client_socket.setsockopt(
            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
        )
        tcp_client_socket.close()

    run_threads(server, client)


PORT_REUSE_CLIENT_PORT = 40001


def scenario_port_reuse(port):
    """Two successive connections on the same 4-tuple
    127.0.0.1:40001 -> 127.0.0.1:<port>.

    The server closes first in both connections, so TIME_WAIT is on the
    server side and the client's port 40001 is free again right after the
    first connection.  The second SYN then hits the server's TIME_WAIT
    socket; Linux accepts a SYN in TIME_WAIT when its timestamp (and here
    also its ISN) is newer, so a fresh connection with a new ISN is made on
    the very same 4-tuple."""
    tcp_server_socket = make_server_socket(port)

    def server():
        for _ in range(2):
            client_socket, client_addr = tcp_server_socket.accept()
            client_socket.settimeout(TIMEOUT)
            recv_data = client_socket.recv(1024)
            print("    server got %r from %s" % (recv_data.decode("utf-8"), client_addr))
            client_socket.send(THANKS.encode("utf-8"))
            client_socket.close()
        tcp_server_socket.close()

    def one_connection(n):
        for attempt in range(5):
            tcp_client_socket = make_client_socket()
            tcp_client_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                tcp_client_socket.bind((HOST, PORT_REUSE_CLIENT_PORT))
                tcp_client_socket.connect((HOST, port))
                break
            except OSError as e:  # EADDRINUSE / EADDRNOTAVAIL: wait and retry
                print("    client: %s, retrying" % e)
                tcp_client_socket.close()
                time.sleep(1.1)
        else:
            raise RuntimeError("could not reuse client port")
        tcp_client_socket.send(("hello tcpscope #%d" % n).encode("utf-8"))
        recv_data = recv_until_eof(tcp_client_socket)
        print("    client got %r then EOF" % recv_data.decode("utf-8"))
        tcp_client_socket.close()

    def client():
        one_connection(1)
        time.sleep(0.2)  # first connection fully closed (server in TIME_WAIT)
        one_connection(2)

    run_threads(server, client)


def scenario_concurrent(port):
    """Three clients connect at about the same time to one server that
    handles each with its own thread."""
    tcp_server_socket = make_server_socket(port)
    n_clients = 3
    barrier = threading.Barrier(n_clients)

    def handle(client_socket, client_addr):
        client_socket.settimeout(TIMEOUT)
        recv_data = client_socket.recv(1024)
        print("    server got %r from %s" % (recv_data.decode("utf-8"), client_addr))
        client_socket.send(THANKS.encode("utf-8"))
        while client_socket.recv(1024):
            pass
        client_socket.close()

    def server():
        workers = []
        for _ in range(n_clients):
            client_socket, client_addr = tcp_server_socket.accept()
            t = threading.Thread(target=handle, args=(client_socket, client_addr))
            t.start()
            workers.append(t)
        for t in workers:
            t.join(TIMEOUT)
        tcp_server_socket.close()

    def make_client(i):
        def client():
            tcp_client_socket = make_client_socket()
            barrier.wait(TIMEOUT)
            tcp_client_socket.connect((HOST, port))
            tcp_client_socket.send(("hello from client %d" % i).encode("utf-8"))
            recv_data = tcp_client_socket.recv(1024)
            print("    client %d got %r" % (i, recv_data.decode("utf-8")))
            tcp_client_socket.close()
        return client

    run_threads(server, *[make_client(i) for i in range(1, n_clients + 1)])


# name -> (port, function); ports are fixed and distinct, 7788..7799
SCENARIOS = {
    "echo": (7788, scenario_echo),
    "quick-close": (7789, scenario_quick_close),
    "gbk-chat": (7790, scenario_gbk_chat),
    "sticky": (7791, scenario_sticky),
    "refused": (7792, scenario_refused),
    "half-close": (7793, scenario_half_close),
    "server-close": (7794, scenario_server_close),
    "abort": (7795, scenario_abort),
    "port-reuse": (7796, scenario_port_reuse),
    "ipv6": (7797, scenario_ipv6),
    "concurrent": (7798, scenario_concurrent),
}


def main(argv):
    if os.geteuid() != 0:
        sys.exit("run as root: sudo python3 captures/make_captures.py")
    names = argv[1:] or list(SCENARIOS)
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        sys.exit("unknown scenario(s): %s; known: %s"
                 % (", ".join(unknown), ", ".join(SCENARIOS)))
    failed = []
    for name in names:
        port, fn = SCENARIOS[name]
        print("%s (tcp port %d)" % (name, port))
        try:
            with Capture(name, port):
                fn(port)
        except Exception as e:  # noqa: BLE001 - keep going, report at the end
            print("  FAILED: %r" % e)
            failed.append(name)
    if failed:
        sys.exit("failed: %s" % ", ".join(failed))


if __name__ == "__main__":
    main(sys.argv)
