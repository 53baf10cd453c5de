#!/usr/bin/env bash
# Installs the real FTP peers the harness tests against (see docs/peers.md).
#
# - vsftpd and the FTP clients / capture tools: apt-get install; so are
#   xmllint and headless Chromium for the report tests.
# - proftpd and pure-ftpd: they conflict with vsftpd as packages
#   (`Conflicts: ftp-server`), so they are unpacked with `dpkg-deb -x` into
#   .peers/root under the repo root; their shared libraries are apt-installed
#   (plain libraries, no conflict).
# - pyftpdlib and Twisted: pip, into the venv .peers/venv.
#
# Idempotent, non-interactive, bounded: every network step runs under
# `timeout`; a second run with everything present takes about a second.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PEERS="$REPO/.peers"
UNPACK="$PEERS/root"
DEBS="$PEERS/debs"
VENV="$PEERS/venv"
export DEBIAN_FRONTEND=noninteractive

# iproute2 and nftables build the NAT and firewall topologies (docs/nat.md).
APT_PKGS=(vsftpd lftp ncftp tnftp inetutils-ftp busybox tshark tcpdump openssl iproute2 nftables)
# Report tests: xmllint validates the JUnit report against its schema,
# headless Chromium renders the HTML report (a font for its text).
REPORT_PKGS=(libxml2-utils chromium fonts-dejavu-core)
# Shared libraries needed by the unpacked proftpd and pure-ftpd binaries.
LIB_PKGS=(libhiredis0.14 libmemcached11 libmemcachedutil2 libpcre2-posix3 libsodium23)
# proftpd-mod-crypto: mod_tls (FTPS) for the unpacked proftpd.
UNPACKED_PKGS=(proftpd-core proftpd-mod-crypto pure-ftpd pure-ftpd-common)
PIP_PKGS=(pyftpdlib twisted pyopenssl)

log() { echo "install-peers: $*" >&2; }

need_root() {
    if [ "$(id -u)" != 0 ]; then
        log "must run as root (apt-get install)"
        exit 1
    fi
}

APT_UPDATED=no
apt_update_once() {
    if [ "$APT_UPDATED" = no ]; then
        log "apt-get update"
        timeout 300 apt-get update -qq
        APT_UPDATED=yes
    fi
}

missing_apt_pkgs() {
    local p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
    done
}

apt_install() {
    local missing
    missing="$(missing_apt_pkgs "$@")"
    [ -z "$missing" ] && return 0
    # shellcheck disable=SC2086
    if ! apt-cache show $missing >/dev/null 2>&1; then apt_update_once; fi
    log "apt-get install $(echo $missing)"
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
    # shellcheck disable=SC2086
    timeout 600 apt-get install -y -qq --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold $missing >/dev/null ||
        { apt_update_once && timeout 600 apt-get install -y -qq --no-install-recommends $missing >/dev/null; }
}

# Downloads a .deb into $DEBS (once) and unpacks it into $UNPACK (once).
unpack_deb() {
    local pkg="$1" stamp="$UNPACK/.unpacked-$1"
    [ -f "$stamp" ] && return 0
    mkdir -p "$DEBS" "$UNPACK"
    if ! ls "$DEBS/${pkg}"_*.deb >/dev/null 2>&1; then
        log "apt-get download $pkg"
        (cd "$DEBS" && timeout 120 apt-get download -qq -o APT::Sandbox::User=root "$pkg") ||
            { apt_update_once && (cd "$DEBS" && timeout 120 apt-get download -qq -o APT::Sandbox::User=root "$pkg"); }
    fi
    local deb
    deb="$(ls "$DEBS/${pkg}"_*.deb | head -n 1)"
    dpkg-deb -x "$deb" "$UNPACK"
    dpkg-deb -f "$deb" Version >"$stamp"
}

check_libs() {
    local bin missing=0
    for bin in "$UNPACK/usr/sbin/proftpd" "$UNPACK/usr/sbin/pure-ftpd" "$UNPACK/usr/bin/pure-pw" /usr/sbin/vsftpd; do
        if [ ! -x "$bin" ]; then
            log "missing binary $bin"
            missing=1
        elif ldd "$bin" | grep -q 'not found'; then
            log "unresolved libraries for $bin:"
            ldd "$bin" | grep 'not found' >&2
            missing=1
        fi
    done
    return "$missing"
}

setup_venv() {
    if [ ! -x "$VENV/bin/python" ]; then
        log "creating venv $VENV"
        # The system python: stable across pyenv changes.
        /usr/bin/python3 -m venv "$VENV"
    fi
    # pyOpenSSL: pyftpdlib's FTPS (TLS_FTPHandler) is built on it.
    if ! "$VENV/bin/python" -c 'import pyftpdlib, twisted, OpenSSL' 2>/dev/null; then
        log "pip install ${PIP_PKGS[*]}"
        timeout 300 "$VENV/bin/pip" install -q --disable-pip-version-check "${PIP_PKGS[@]}"
    fi
}

ensure_gitignore() {
    local gi="$REPO/.gitignore"
    if [ -f "$gi" ] && ! grep -qx '/.peers' "$gi"; then
        echo '/.peers' >>"$gi"
    fi
}

summary() {
    local vs pro pure pyftp tw
    vs="$(dpkg-query -W -f='${Version}' vsftpd)"
    pro="$("$UNPACK/usr/sbin/proftpd" -v 2>&1 | awk '{print $NF}')"
    pure="$(cat "$UNPACK/.unpacked-pure-ftpd")"
    pyftp="$("$VENV/bin/python" -c 'import pyftpdlib; print(pyftpdlib.__ver__)')"
    tw="$("$VENV/bin/python" -c 'import twisted; print(twisted.__version__)')"
    echo "peers: vsftpd $vs, proftpd $pro, pure-ftpd $pure, pyftpdlib $pyftp, twisted $tw," \
        "lftp $(dpkg-query -W -f='${Version}' lftp), tshark $(dpkg-query -W -f='${Version}' tshark)"
}

main() {
    need_root
    apt_install "${APT_PKGS[@]}" "${REPORT_PKGS[@]}" "${LIB_PKGS[@]}"
    local p
    for p in "${UNPACKED_PKGS[@]}"; do unpack_deb "$p"; done
    check_libs
    setup_venv
    ensure_gitignore
    summary
}

main "$@"
