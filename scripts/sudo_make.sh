#!/usr/bin/env bash
# sudo_make.sh MAKE [ARGS...] - `sudo make ...` as the README promises it,
# run by GNUmakefile when make runs as root under sudo.
#
# The invoking user's Rust is usually rustup's, in their home, which sudo's
# PATH hides: it is put on PATH (with CARGO_HOME and RUSTUP_HOME pointing at
# theirs) and make runs as root, as the tests and the demo need. When it ends,
# also on failure or Ctrl+C, whatever root created in the checkout (if it is
# the user's) and in their Cargo and rustup homes is given back to them, so
# that make and cargo keep working for them without sudo.
set -euo pipefail

PROG=${0##*/}
CHECKOUT=$(cd "$(dirname "$0")/.." && pwd)

die() { echo "$PROG: error: $*" >&2; exit 1; }

[[ $EUID -eq 0 && ${SUDO_UID:-0} != 0 ]] || die "for make as root under sudo only"
uid=$SUDO_UID
gid=${SUDO_GID:-$(id -g "$uid")}
home=$(getent passwd "$uid" | cut -d: -f6)
[[ -n $home ]] || die "no home directory for uid $uid (getent passwd $uid)"

if [[ -x $home/.cargo/bin/cargo ]]; then
    export PATH="$home/.cargo/bin:$PATH"
    export CARGO_HOME=${CARGO_HOME:-$home/.cargo} RUSTUP_HOME=${RUSTUP_HOME:-$home/.rustup}
fi

# Only what belongs to the user: their homes, and the checkout if they own it.
give_back=()
[[ $(stat -c %u "$CHECKOUT") == "$uid" ]] && give_back+=("$CHECKOUT")
for d in "${CARGO_HOME:-}" "${RUSTUP_HOME:-}"; do
    [[ -n $d && -d $d && $(stat -c %u "$d") == "$uid" ]] && give_back+=("$d")
done

done_() {
    local status=$?
    trap - EXIT INT TERM
    if (( ${#give_back[@]} )); then
        # Files root owns, and only those, become the user's.
        chown -R -h --from=0 "$uid:$gid" "${give_back[@]}" \
            || echo "$PROG: warning: could not give ${give_back[*]} back to uid $uid" >&2
    fi
    exit "$status"
}
trap done_ EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# GNUmakefile reads Makefile alone when this is set.
export L2ECHO_SUDO_MAKE=1
"$@"
