#!/usr/bin/env bash
# Composes an OpenDingux-style boot disk with dosfstools and mtools: a whole-disk FAT image (no
# partition table, as mkdosfs makes; FAT16 or FAT32 by size) holding rootfs.bin and local/.
# odtab composes the same disk with its own FAT code; this is the reference and a tool for QEMU.
#
#   guest/make-disk.sh disk.img [--size 64M] [--rootfs FILE] [--local DIR] [--no-rootfs]
#
# Defaults: public/guest/rootfs.bin and public/guest/local. local/ always gets apps, home and
# etc/init.d, which git cannot keep empty in public/guest/local.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
die() { printf 'make-disk: %s\n' "$*" >&2; exit 1; }

img= size=64M rootfs=$ROOT/public/guest/rootfs.bin local=$ROOT/public/guest/local
while [ $# -gt 0 ]; do
	case "$1" in
	--size) size=$2; shift 2 ;;
	--rootfs) rootfs=$2; shift 2 ;;
	--no-rootfs) rootfs=; shift ;;
	--local) local=$2; shift 2 ;;
	-*) die "unknown option $1" ;;
	*) [ -z "$img" ] || die "one image at a time"; img=$1; shift ;;
	esac
done
[ -n "$img" ] || die "usage: make-disk.sh disk.img [--size 64M] [--rootfs FILE] [--local DIR] [--no-rootfs]"
command -v mkfs.vfat >/dev/null && command -v mcopy >/dev/null || die "needs dosfstools and mtools"
[ -z "$rootfs" ] || [ -f "$rootfs" ] || die "no rootfs file $rootfs"
[ -d "$local" ] || die "no local/ folder $local"

bytes=$(numfmt --from=iec "$size") || die "bad size $size"
[ "$bytes" -ge $((8 << 20)) ] || die "size $size: at least 8M"
rm -f "$img"
# -C creates the file; size in KiB. A fixed volume id keeps images comparable.
mkfs.vfat -C -i 0d7ab000 -n ODTAB "$img" $((bytes / 1024)) >/dev/null
export MTOOLS_SKIP_CHECK=1
mmd -i "$img" ::local ::local/apps ::local/home ::local/etc ::local/etc/init.d
(cd "$local" && find . -mindepth 1 -type d -printf '%P\n' | sort) | while IFS= read -r d; do
	mmd -i "$img" "::local/$d" 2>/dev/null || true
done
(cd "$local" && find . -type f -printf '%P\n' | sort) | while IFS= read -r f; do
	mcopy -i "$img" -o "$local/$f" "::local/$f"
done
[ -z "$rootfs" ] || mcopy -i "$img" "$rootfs" ::rootfs.bin
fsck.fat -n "$img" >/dev/null || die "fsck.fat -n finds problems in $img"
echo "$img: $(du -h --apparent-size "$img" | cut -f1) FAT, rootfs ${rootfs:-none}, local from $local"
