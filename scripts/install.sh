#!/usr/bin/env bash
# install.sh - installs l2_echo, l2_multi_echo, l2_load and l2_ping, the two setup
# scripts as commands (l2echo-setup-hugepages, l2echo-bind-nic), the man pages
# and the bash completions under PREFIX (inside DESTDIR when given), and lists
# what it wrote in PREFIX/share/l2echo/installed-files; --uninstall removes
# exactly the files listed there. `make install` / `make uninstall` run it, and
# scripts/make_deb.sh fills its package with it (--no-manifest: dpkg keeps the
# list).
#
#   install.sh [--prefix DIR] [--destdir DIR] [--bin-dir DIR] [--docs-dir DIR] [--no-manifest]
#   install.sh --uninstall [--prefix DIR] [--destdir DIR]
#
# --bin-dir holds the four binaries (default: target/release), --docs-dir
# what packaging/'s l2echo-gen-docs wrote (default: target/docs).
set -euo pipefail

PROG=${0##*/}
HERE=$(cd "$(dirname "$0")" && pwd)
CHECKOUT=$(cd "$HERE/.." && pwd)
PREFIX=/usr/local DESTDIR="" BIN_DIR=$CHECKOUT/target/release DOCS_DIR=$CHECKOUT/target/docs
MANIFEST=1 UNINSTALL=0
BINARIES=(l2_echo l2_multi_echo l2_load l2_ping)
# script in scripts/ -> the command it is installed as
SCRIPTS=(setup_env.sh:l2echo-setup-hugepages bind_nic.sh:l2echo-bind-nic)

die() { echo "$PROG: error: $*" >&2; exit 1; }

while [[ $# -gt 0 ]]; do
    case $1 in
        --prefix) PREFIX=${2:?--prefix needs a directory}; shift 2 ;;
        --destdir) DESTDIR=${2?--destdir needs a directory}; shift 2 ;;
        --bin-dir) BIN_DIR=${2:?--bin-dir needs a directory}; shift 2 ;;
        --docs-dir) DOCS_DIR=${2:?--docs-dir needs a directory}; shift 2 ;;
        --no-manifest) MANIFEST=0; shift ;;
        --uninstall) UNINSTALL=1; shift ;;
        *) die "unknown argument '$1'; see the top of $0" ;;
    esac
done
[[ $PREFIX == /* ]] || die "--prefix must be an absolute path, not '$PREFIX'"
ROOT=$DESTDIR$PREFIX
LIST=$PREFIX/share/l2echo/installed-files

# The nearest existing directory at or above $1 must be writable.
check_writable() {
    local d=$1
    while [[ ! -e $d ]]; do d=$(dirname "$d"); done
    [[ -w $d ]] || die "cannot write to $d: run as root (sudo make ${2:-install}), or choose PREFIX=... / DESTDIR=..."
}

if (( UNINSTALL )); then
    [[ -f $DESTDIR$LIST ]] || die "nothing to uninstall: no $DESTDIR$LIST (installed with another PREFIX or DESTDIR?)"
    check_writable "$ROOT" uninstall
    removed=0
    while IFS= read -r f; do
        [[ $f == "$PREFIX"/* ]] || die "$DESTDIR$LIST lists $f, outside $PREFIX: not touching it"
        if [[ -e $DESTDIR$f || -L $DESTDIR$f ]]; then rm -f -- "$DESTDIR$f"; removed=$((removed + 1)); fi
    done < "$DESTDIR$LIST"
    rmdir --ignore-fail-on-non-empty "$DESTDIR$PREFIX/share/l2echo"
    echo "$PROG: removed $removed files from $ROOT"
    exit 0
fi

for b in "${BINARIES[@]}"; do
    [[ -x $BIN_DIR/$b ]] || die "$BIN_DIR/$b not found: build first with make"
    [[ -f $DOCS_DIR/man/$b.1 && -f $DOCS_DIR/completions/$b ]] \
        || die "no man page or completion for $b in $DOCS_DIR: generate them first with make docs"
done
check_writable "$ROOT"

installed=()
# put MODE SOURCE DEST: DEST is the path under PREFIX (without DESTDIR).
put() {
    install -D -m "$1" "$2" "$DESTDIR$3"
    installed+=("$3")
}
for b in "${BINARIES[@]}"; do
    put 755 "$BIN_DIR/$b" "$PREFIX/bin/$b"
    put 644 "$DOCS_DIR/completions/$b" "$PREFIX/share/bash-completion/completions/$b"
    # Compressed, without a timestamp, as Debian ships man pages.
    mkdir -p "$ROOT/share/man/man1"
    gzip -9nc "$DOCS_DIR/man/$b.1" > "$ROOT/share/man/man1/$b.1.gz"
    chmod 644 "$ROOT/share/man/man1/$b.1.gz"
    installed+=("$PREFIX/share/man/man1/$b.1.gz")
done
for s in "${SCRIPTS[@]}"; do
    put 755 "$HERE/${s%%:*}" "$PREFIX/bin/${s#*:}"
done
if (( MANIFEST )); then
    installed+=("$LIST")
    mkdir -p "$(dirname "$DESTDIR$LIST")"
    printf '%s\n' "${installed[@]}" > "$DESTDIR$LIST"
fi
echo "$PROG: installed ${#installed[@]} files under $ROOT"
