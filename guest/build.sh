#!/usr/bin/env bash
# Builds odtab's default guest from Debian bookworm mipsel packages:
#   public/guest/vmlinux.gz      stripped, uncompressed 4kc-malta kernel ELF, gzip'd for transport
#   public/guest/System.map.gz   symbols of that exact kernel (from the -dbg package)
#   public/guest/initrd.gz       busybox-static initramfs with /init and /bin/floattest
#   public/guest/manifest.json   packages, hashes, sizes, entry point, default command line
# Run as root on Debian bookworm. Idempotent; the same packages give byte-identical outputs.
# Environment overrides: KABI (e.g. 6.1.0-50), GUEST_CACHE, GUEST_OUT, GUEST_APT_UPDATE=1.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
CACHE=${GUEST_CACHE:-$HERE/.cache}
OUT=${GUEST_OUT:-$ROOT/public/guest}
PREFERRED_KABI=6.1.0-50
FLAVOUR=4kc-malta
# The kernel's delay loop (__delay) is 2 instructions per loop; odtab retires one instruction per
# cycle at 200 MHz and Linux runs HZ=250, so 200e6 / 2 / 250 loops per jiffy makes udelay()
# match virtual time. See README.md for the whole command line.
CMDLINE="console=ttyS0 nokaslr lpj=400000 cryptomgr.notests"

export LC_ALL=C TZ=UTC SOURCE_DATE_EPOCH=0
umask 022

log() { printf '[guest] %s\n' "$*" >&2; }
die() { printf '[guest] error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (apt-get installs and mknod for /dev/console)"

# ---------------------------------------------------------------- host tools
apt_updated=0
apt_update() {
	if [ "$apt_updated" = 0 ]; then
		log "apt-get update"
		apt-get update -qq
		apt_updated=1
	fi
}

if ! dpkg --print-foreign-architectures | grep -qx mipsel; then
	log "adding dpkg architecture mipsel"
	dpkg --add-architecture mipsel
	apt_update
fi
[ "${GUEST_APT_UPDATE:-0}" = 1 ] && apt_update

HOST_PKGS=(gcc-mipsel-linux-gnu libc6-dev-mipsel-cross binutils-mipsel-linux-gnu qemu-user-static
	cpio gzip coreutils findutils tar)
missing=()
for p in "${HOST_PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	apt_update
	log "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# ----------------------------------------------------------- package choice
candidate() { # candidate version of PKG:mipsel, empty if unknown to apt
	apt-cache policy "$1:mipsel" 2>/dev/null | awk '/Candidate:/ { if ($2 != "(none)") print $2; exit }'
}
pick_kabi() {
	if [ -n "${KABI:-}" ]; then echo "$KABI"; return; fi
	if [ -n "$(candidate "linux-image-$PREFERRED_KABI-$FLAVOUR-dbg")" ]; then
		echo "$PREFERRED_KABI"
		return
	fi
	# The preferred ABI left the archive: take the newest 6.1.0-N that has a -dbg package.
	apt-cache search --names-only "^linux-image-6\.1\.0-[0-9]+-$FLAVOUR-dbg\$" |
		sed -n "s/^linux-image-\(6\.1\.0-[0-9]*\)-$FLAVOUR-dbg .*/\1/p" | sort -V | tail -n 1
}

[ -n "$(candidate busybox-static)" ] || apt_update
KABI=$(pick_kabi)
[ -n "$KABI" ] || { apt_update; KABI=$(pick_kabi); }
[ -n "$KABI" ] || die "no linux-image-6.1.0-*-$FLAVOUR-dbg:mipsel known to apt"
KREL="$KABI-$FLAVOUR"
PKG_KDBG="linux-image-$KREL-dbg"
PKG_KIMG="linux-image-$KREL"
PKG_BB="busybox-static"
VER_KDBG=$(candidate "$PKG_KDBG")
VER_KIMG=$(candidate "$PKG_KIMG")
VER_BB=$(candidate "$PKG_BB")
[ -n "$VER_KDBG" ] && [ -n "$VER_BB" ] || die "package versions not found (apt-get update?)"
[ "$VER_KDBG" = "$VER_KIMG" ] || die "$PKG_KDBG $VER_KDBG and $PKG_KIMG $VER_KIMG differ"
log "kernel $KREL $VER_KDBG, busybox-static $VER_BB"

mkdir -p "$CACHE/debs"
deb_path() { # PKG VERSION -> cache path, named as apt-get download names it
	printf '%s/debs/%s_%s_mipsel.deb' "$CACHE" "$1" "${2//:/%3a}"
}
fetch_deb() { # PKG VERSION
	local f
	f=$(deb_path "$1" "$2")
	if [ ! -s "$f" ]; then
		log "downloading $1:mipsel=$2"
		# Sandbox user root: the cache dir is not readable by _apt.
		(cd "$CACHE/debs" && apt-get download -q -o APT::Sandbox::User=root "$1:mipsel=$2")
	fi
	[ -s "$f" ] || die "download of $1 $2 did not produce $f"
	# apt checked the hash while downloading; check again against apt's index so a stale or
	# truncated cache file is caught.
	local want
	want=$(apt-cache show "$1:mipsel=$2" 2>/dev/null | awk '/^SHA256:/ { print $2; exit }')
	if [ -n "$want" ] && [ "$(sha256sum <"$f" | cut -d' ' -f1)" != "$want" ]; then
		rm -f "$f"
		die "$f does not match apt's SHA256; removed it, run again"
	fi
}
fetch_deb "$PKG_KDBG" "$VER_KDBG"
fetch_deb "$PKG_KIMG" "$VER_KIMG"
fetch_deb "$PKG_BB" "$VER_BB"
DEB_KDBG=$(deb_path "$PKG_KDBG" "$VER_KDBG")
DEB_KIMG=$(deb_path "$PKG_KIMG" "$VER_KIMG")
DEB_BB=$(deb_path "$PKG_BB" "$VER_BB")

# ------------------------------------------------------------------- kernel
# The -dbg package holds the unstripped vmlinux (DWARF, ~278 MB) and the real System.map; the
# image package's System.map is a placeholder. Only those two files are extracted (the package
# unpacks to ~3 GB), once per package version.
KDIR="$CACHE/kernel/$KREL-$VER_KDBG"
if [ ! -s "$KDIR/vmlinux" ] || [ ! -s "$KDIR/System.map" ] || [ ! -s "$KDIR/config" ]; then
	log "extracting vmlinux and System.map from $PKG_KDBG (takes ~30 s)"
	rm -rf "$KDIR" "$KDIR.tmp"
	mkdir -p "$KDIR.tmp"
	dpkg-deb --fsys-tarfile "$DEB_KDBG" |
		tar -x -C "$KDIR.tmp" "./usr/lib/debug/boot/vmlinux-$KREL" "./usr/lib/debug/boot/System.map-$KREL"
	dpkg-deb --fsys-tarfile "$DEB_KIMG" | tar -x -C "$KDIR.tmp" "./boot/config-$KREL"
	mv "$KDIR.tmp/usr/lib/debug/boot/vmlinux-$KREL" "$KDIR.tmp/vmlinux.dbg"
	mv "$KDIR.tmp/usr/lib/debug/boot/System.map-$KREL" "$KDIR.tmp/System.map"
	mv "$KDIR.tmp/boot/config-$KREL" "$KDIR.tmp/config"
	rm -rf "$KDIR.tmp/usr" "$KDIR.tmp/boot"
	# Strip everything but the loadable segment: symbols ship separately as System.map.
	mipsel-linux-gnu-strip --strip-all -o "$KDIR.tmp/vmlinux" "$KDIR.tmp/vmlinux.dbg"
	mv "$KDIR.tmp" "$KDIR"
fi
VMLINUX="$KDIR/vmlinux"

# The emulator's ELF loader and the doc assume this shape; fail loudly if a new ABI changes it.
read_hdr() { mipsel-linux-gnu-readelf -h -l -W "$VMLINUX"; }
ENTRY=$(read_hdr | awk '/Entry point address:/ { print $4 }')
LOAD_VADDR=$(read_hdr | awk '$1 == "LOAD" { print $3; exit }')
NLOAD=$(read_hdr | awk '$1 == "LOAD"' | wc -l)
read_hdr | grep -q 'Class:.*ELF32' || die "vmlinux is not ELF32"
read_hdr | grep -q 'little endian' || die "vmlinux is not little-endian"
[ "$NLOAD" = 1 ] || die "vmlinux has $NLOAD PT_LOAD segments, expected 1"
[ "$LOAD_VADDR" = 0x80100000 ] || die "PT_LOAD at $LOAD_VADDR, expected 0x80100000"
SYM_ENTRY=$(awk '$3 == "kernel_entry" { print $1; exit }' "$KDIR/System.map")
SYM_START=$(awk '$3 == "start_kernel" { print $1; exit }' "$KDIR/System.map")
[ -n "$SYM_ENTRY" ] || die "kernel_entry not in System.map"
# System.map prints sign-extended 64-bit addresses (ffffffff80b174bc); compare the low 32 bits.
[ "$((0x${SYM_ENTRY: -8}))" = "$((ENTRY))" ] || die "ELF entry $ENTRY is not kernel_entry 0x$SYM_ENTRY"
ENTRY=$(printf '0x%08x' "$((ENTRY))")
START_KERNEL=$(printf '0x%08x' "$((0x${SYM_START: -8}))")
HZ=$(sed -n 's/^CONFIG_HZ=//p' "$KDIR/config")
[ "$HZ" = 250 ] || log "warning: CONFIG_HZ=$HZ, the lpj= in the command line assumes 250"
log "vmlinux entry $ENTRY (kernel_entry), start_kernel $START_KERNEL, PT_LOAD $LOAD_VADDR"

# ---------------------------------------------------------------- initramfs
WORK="$CACHE/work"
rm -rf "$WORK"
mkdir -p "$WORK/bb" "$WORK/root"
dpkg-deb -x "$DEB_BB" "$WORK/bb"

log "compiling floattest"
mipsel-linux-gnu-gcc -O2 -static -Wall -Wextra -o "$WORK/floattest" "$HERE/floattest.c" -lm
mipsel-linux-gnu-strip --strip-all "$WORK/floattest"
# Run it once under qemu-user: a wrong expected bit pattern in the source is caught here.
qemu-mipsel-static "$WORK/floattest" >"$WORK/floattest.out" || {
	cat "$WORK/floattest.out" >&2
	die "floattest fails under qemu-mipsel-static"
}

R="$WORK/root"
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,root,etc}
chmod 1777 "$R/tmp"
chmod 700 "$R/root"
install -m 755 "$WORK/bb/bin/busybox" "$R/bin/busybox"
install -m 755 "$WORK/floattest" "$R/bin/floattest"
install -m 755 "$HERE/initramfs/init" "$R/init"
install -m 644 "$HERE/initramfs/etc/passwd" "$R/etc/passwd"
install -m 644 "$HERE/initramfs/etc/group" "$R/etc/group"
# The kernel opens /dev/console for init's stdio before /init can mount devtmpfs.
mknod -m 600 "$R/dev/console" c 5 1
mknod -m 666 "$R/dev/null" c 1 3

# One symlink per applet, where this busybox build says it belongs (bin/sh, sbin/poweroff, ...).
qemu-mipsel-static "$R/bin/busybox" --list-full | sort >"$WORK/applets"
[ "$(wc -l <"$WORK/applets")" -gt 100 ] || die "busybox --list-full gave too few applets"
while IFS= read -r app; do
	case "$app" in
	linuxrc | bin/busybox) continue ;;
	esac
	[ -e "$R/$app" ] && continue
	dir=${app%/*}
	case "$dir" in
	bin) target=busybox ;;
	sbin) target=../bin/busybox ;;
	usr/bin | usr/sbin) target=../../bin/busybox ;;
	*) die "unexpected applet dir: $app" ;;
	esac
	ln -s "$target" "$R/$app"
done <"$WORK/applets"

# Reproducible archive: fixed mtimes, root ownership, sorted names, renumbered inodes, no gzip
# name/time.
find "$R" -exec touch -h -d @0 {} +
mkdir -p "$OUT"
(cd "$R" && find . -mindepth 1 -printf '%P\n' | sort |
	cpio --create --format=newc --reproducible --owner=0:0 --quiet) >"$WORK/initrd.cpio"
gzip -9 -n -c "$WORK/initrd.cpio" >"$OUT/initrd.gz.tmp"
mv "$OUT/initrd.gz.tmp" "$OUT/initrd.gz"

gzip -9 -n -c "$VMLINUX" >"$OUT/vmlinux.gz.tmp"
mv "$OUT/vmlinux.gz.tmp" "$OUT/vmlinux.gz"
gzip -9 -n -c "$KDIR/System.map" >"$OUT/System.map.gz.tmp"
mv "$OUT/System.map.gz.tmp" "$OUT/System.map.gz"

# ------------------------------------------------------------------ manifest
sha() { sha256sum <"$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }
json_pkg() { # NAME VERSION DEB
	printf '    { "name": "%s", "arch": "mipsel", "version": "%s", "deb": "%s", "sha256": "%s" }' \
		"$1" "$2" "$(basename "$3")" "$(sha "$3")"
}
json_file() { # NAME PATH [UNCOMPRESSED]
	printf '    "%s": { "size": %s, "sha256": "%s"' "$1" "$(size "$2")" "$(sha "$2")"
	if [ $# -ge 3 ]; then
		printf ', "uncompressedSize": %s, "uncompressedSha256": "%s"' "$(size "$3")" "$(sha "$3")"
	fi
	printf ' }'
}
{
	printf '{\n'
	printf '  "kernelRelease": "%s",\n' "$KREL"
	printf '  "kernelEntry": "%s",\n' "$ENTRY"
	printf '  "startKernel": "%s",\n' "$START_KERNEL"
	printf '  "loadAddress": "%s",\n' "$LOAD_VADDR"
	printf '  "cmdline": "%s",\n' "$CMDLINE"
	printf '  "packages": [\n'
	json_pkg "$PKG_KDBG" "$VER_KDBG" "$DEB_KDBG"
	printf ',\n'
	json_pkg "$PKG_KIMG" "$VER_KIMG" "$DEB_KIMG"
	printf ',\n'
	json_pkg "$PKG_BB" "$VER_BB" "$DEB_BB"
	printf '\n  ],\n'
	printf '  "files": {\n'
	json_file vmlinux.gz "$OUT/vmlinux.gz" "$VMLINUX"
	printf ',\n'
	json_file initrd.gz "$OUT/initrd.gz" "$WORK/initrd.cpio"
	printf ',\n'
	json_file System.map.gz "$OUT/System.map.gz" "$KDIR/System.map"
	printf '\n  }\n}\n'
} >"$OUT/manifest.json"

log "done:"
ls -l "$OUT" >&2
log "uncompressed kernel for QEMU: $VMLINUX (with DWARF: $KDIR/vmlinux.dbg)"
