#!/usr/bin/env python3
"""ftpconform's driver for Python's ftplib: one FTP operation, chosen by flags.

It uses ftplib.FTP as an application would, with no subclass and no raw
commands, so what the fake server sees is ftplib's own behaviour: over IPv4
ftplib sends PASV and PORT, over IPv6 EPSV and EPRT (it has no switch for
EPSV or EPRT over IPv4), and in passive mode it connects to the control
connection's host whatever address a 227 names
(`trust_server_pasv_ipv4_address` stays False).

With --tls-ca=FILE it uses ftplib.FTP_TLS as its documentation shows:
a context from ssl.create_default_context(cafile=FILE) (certificate and
host name checked), login() (which sends AUTH TLS first), then prot_p()
(PBSZ 0, PROT P) before any transfer.

Exit status 0 on success, 1 on an FTP or network error (printed to stderr).
"""
import argparse
import ftplib
import ssl
import sys


def run(a):
    if a.tls_ca:
        context = ssl.create_default_context(cafile=a.tls_ca)
        ftp = ftplib.FTP_TLS(context=context, timeout=a.timeout)
    else:
        ftp = ftplib.FTP(timeout=a.timeout)
    ftp.connect(a.host, a.port)
    ftp.login(a.user, a.password)
    if a.tls_ca:
        ftp.prot_p()
    ftp.set_pasv(a.mode == "passive")
    if a.op == "get":
        with open(a.local, "wb") as f:
            ftp.retrbinary("RETR " + a.path, f.write)
    elif a.op == "resume":
        # As an application resumes: REST at the local file's size.
        with open(a.local, "ab") as f:
            ftp.retrbinary("RETR " + a.path, f.write, rest=f.tell())
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
    for name in ("host", "user", "password", "op", "path", "local", "mode", "tls-ca"):
        p.add_argument("--" + name, default="")
    p.add_argument("--port", type=int, default=21)
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
