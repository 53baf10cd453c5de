#!/usr/bin/env python3
"""ftpconform's Python ftplib client: one FTP operation, chosen by flags.

Exit status 0 on success, 1 on an FTP or network error (printed to stderr).
`--extended=1` makes an IPv4 session use EPSV/EPRT (ftplib uses them by
itself over IPv6).
"""
import argparse
import ftplib
import socket
import sys


class Client(ftplib.FTP):
    """ftplib.FTP that can use EPSV/EPRT over IPv4 too."""

    extended = False

    def makepasv(self):
        if self.extended and self.af == socket.AF_INET:
            host, port = ftplib.parse229(self.sendcmd("EPSV"), self.sock.getpeername())
            return host, port
        return super().makepasv()

    def makeport(self):
        if not (self.extended and self.af == socket.AF_INET):
            return super().makeport()
        sock = socket.create_server((self.sock.getsockname()[0], 0), family=self.af, backlog=1)
        port = sock.getsockname()[1]
        self.sendeprt(self.sock.getsockname()[0], port)
        if self.timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:
            sock.settimeout(self.timeout)
        return sock


def run(a):
    ftp = Client(timeout=a.timeout)
    ftp.extended = a.extended == 1
    ftp.connect(a.host, a.port)
    ftp.login(a.user, a.password)
    ftp.set_pasv(a.mode == "passive")
    if a.op == "get":
        with open(a.local, "wb") as f:
            ftp.retrbinary("RETR " + a.path, f.write)
    elif a.op == "put":
        with open(a.local, "rb") as f:
            ftp.storbinary("STOR " + a.path, f)
    elif a.op == "list":
        lines = []
        ftp.retrlines("LIST " + a.path if a.path else "LIST", lines.append)
        with open(a.local, "w") as f:
            f.write("\n".join(lines) + "\n")
    elif a.op == "mkdir":
        ftp.mkd(a.path)
    elif a.op == "delete":
        ftp.delete(a.path)
    ftp.quit()


def main():
    p = argparse.ArgumentParser()
    for name in ("host", "user", "password", "op", "path", "local", "mode"):
        p.add_argument("--" + name, default="")
    p.add_argument("--port", type=int, default=21)
    p.add_argument("--extended", type=int, default=0)
    p.add_argument("--timeout", type=float, default=10)
    a = p.parse_args()
    try:
        run(a)
    except ftplib.all_errors as e:  # OSError is among them
        print(f"ftplib_client: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
