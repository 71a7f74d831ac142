# A TCP server and client like the socket lessons': 127.0.0.1:PORT, GBK text, "thank you !".
# The server waits in CLOSE_WAIT for a moment before it closes, so the wave has four segments.
import socket
import sys
import threading
import time

port = int(sys.argv[1]) if len(sys.argv) > 1 else 7788
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(5)


def serve():
    conn, _ = srv.accept()
    data = conn.recv(1024)
    print("server got:", data.decode("gbk"), flush=True)
    conn.send("thank you !".encode("gbk"))
    while conn.recv(1024):
        pass
    time.sleep(0.2)
    conn.close()


t = threading.Thread(target=serve)
t.start()
client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.connect(("127.0.0.1", port))
client.send("你好，服务器".encode("gbk"))
print("client got:", client.recv(1024).decode("gbk"), flush=True)
client.close()
t.join()
srv.close()
