"""Runs Twisted's FTP server on loopback with a passive port range.

`twistd ftp` binds 0.0.0.0 and listens for passive data connections on any
port of every interface. This script keeps everything on the address it is
given: the control listener, and each passive (PASV/EPSV) listener, taken
from --pasv-range. One user (--user/--password) gets a writable shell rooted
at --root; anonymous logins get a read-only one. --nat-address makes PASV
announce another IPv4 address (a NAT misconfiguration), as vsftpd's
pasv_address or pyftpdlib's -n do.

Run with the venv's python: .peers/venv/bin/python scripts/twisted_ftpd.py
"""

import argparse
import sys

from twisted.cred import credentials, error
from twisted.cred.checkers import ANONYMOUS, AllowAnonymousAccess, ICredentialsChecker
from twisted.cred.portal import IRealm, Portal
from twisted.internet import defer, reactor
from twisted.protocols import ftp
from twisted.python import filepath, log
from zope.interface import implementer


def _text(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


@implementer(ICredentialsChecker)
class OneUserChecker:
    """Accepts one user name and password, whether Twisted hands them over as bytes or str."""

    credentialInterfaces = (credentials.IUsernamePassword,)

    def __init__(self, user, password):
        self.user, self.password = user, password

    def requestAvatarId(self, creds):
        if _text(creds.username) == self.user and _text(creds.password) == self.password:
            return defer.succeed(self.user)
        return defer.fail(error.UnauthorizedLogin())


@implementer(IRealm)
class OneRootRealm:
    """Every avatar gets the same root: writable for users, read-only for anonymous."""

    def __init__(self, root):
        self.root = filepath.FilePath(root)

    def requestAvatar(self, avatar_id, mind, *interfaces):
        for iface in interfaces:
            if iface is ftp.IFTPShell:
                if avatar_id == ANONYMOUS:
                    shell = ftp.FTPAnonymousShell(self.root)
                else:
                    shell = ftp.FTPShell(self.root)
                return ftp.IFTPShell, shell, getattr(shell, "logout", lambda: None)
        raise NotImplementedError("only IFTPShell is supported")


class LoopbackFTP(ftp.FTP):
    """FTP protocol whose passive listeners bind the control connection's address."""

    nat_address = None

    def getDTPPort(self, factory, interface=""):
        # Twisted binds "" (PASV) or "::" (EPSV): all interfaces. Keep the
        # data listener on the address the client reached us on.
        return ftp.FTP.getDTPPort(self, factory, interface=self.transport.getHost().host)

    def ftp_PASV(self):
        if self.nat_address is None:
            return ftp.FTP.ftp_PASV(self)
        if self._epsvAll:
            return defer.fail(ftp.BadCmdSequenceError("may not send PASV after EPSV ALL"))
        if self.dtpFactory is not None:
            self.cleanupDTP()
        self.dtpFactory = ftp.DTPFactory(pi=self)
        self.dtpFactory.setTimeout(self.dtpTimeout)
        self.dtpPort = self.getDTPPort(self.dtpFactory)
        port = self.dtpPort.getHost().port
        self.reply(ftp.ENTERING_PASV_MODE, ftp.encodeHostPort(self.nat_address, port))
        return self.dtpFactory.deferred.addCallback(lambda ign: None)


class LoopbackFTPFactory(ftp.FTPFactory):
    protocol = LoopbackFTP


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--address", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--root", required=True)
    p.add_argument("--user", default="test")
    p.add_argument("--password", default="test")
    p.add_argument("--pasv-range", required=True, help="LO-HI, inclusive")
    p.add_argument("--nat-address", default=None)
    return p.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    lo, hi = (int(x) for x in args.pasv_range.split("-"))
    log.startLogging(sys.stdout)
    users = OneUserChecker(args.user, args.password)
    portal = Portal(OneRootRealm(args.root), [AllowAnonymousAccess(), users])
    factory = LoopbackFTPFactory(portal)
    factory.passivePortRange = range(lo, hi + 1)
    LoopbackFTP.nat_address = args.nat_address
    reactor.listenTCP(args.port, factory, interface=args.address)
    reactor.run()


if __name__ == "__main__":
    main(sys.argv[1:])
