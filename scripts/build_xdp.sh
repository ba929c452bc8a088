#!/usr/bin/env bash
# build_xdp.sh OUT - builds xdp/swap.bpf.c, the XDP paper's forwarding
# program (make compare's xdp row), into the BPF object OUT, with the clang
# the build already needs and libbpf-dev's headers.
set -euo pipefail
(( $# == 1 )) || { echo "usage: ${0##*/} OUT.o" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
command -v clang >/dev/null || { echo "${0##*/}: error: clang not found (apt-get install clang)" >&2; exit 1; }
[[ -e /usr/include/bpf/bpf_helpers.h ]] \
    || { echo "${0##*/}: error: no bpf/bpf_helpers.h (apt-get install libbpf-dev)" >&2; exit 1; }
mkdir -p "$(dirname "$1")"
# <asm/types.h> lives under the host's multiarch include directory.
clang -O2 -g -Wall -Werror -target bpf -I"/usr/include/$(gcc -dumpmachine)" \
    -c "$HERE/../xdp/swap.bpf.c" -o "$1"
