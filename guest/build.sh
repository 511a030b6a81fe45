#!/usr/bin/env bash
# Builds odtab's guests from Debian bookworm packages:
#   public/guest/vmlinux.gz        Debian's 4kc-malta kernel: stripped, uncompressed ELF, gzip'd
#   public/guest/System.map.gz     symbols of that exact kernel (from the -dbg package)
#   public/guest/initrd.gz         busybox-static initramfs: mininit-style /init, the modules it
#                                  needs from Debian's kernel, /bin/floattest
#   public/guest/vmlinux-odtab.gz  our own kernel from linux-source-6.1 (kernel/build.sh): every
#                                  driver built in, built-in command line and initramfs
#   public/guest/System.map-odtab.gz, config-odtab   its symbols and configuration
#   public/guest/rootfs.bin        OpenDingux-shaped squashfs root (rootfs/build.sh)
#   public/guest/local/            the FAT disk's local/ skeleton (apps, home, etc/init.d), with
#                                  apps/fbtest.dge (apps/build.sh)
#   public/guest/apps/fbtest.opk   the demo app as an OpenDingux package (apps/build.sh)
#   public/guest/manifest.json     packages, hashes, sizes, entry points, command lines
# Run as root on Debian bookworm. Idempotent; the same packages give byte-identical outputs.
# Environment overrides: KABI (e.g. 6.1.0-50), KSRC_VERSION (linux-source-6.1 version),
# GUEST_CACHE, GUEST_OUT, GUEST_APT_UPDATE=1.
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
# What the OpenDingux boot adds (our kernel has it built in; Debian's gets it with -append).
DISK_CMDLINE="boot=/dev/sda loop0=/boot/rootfs.bin root=/dev/loop0"

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
	cpio gzip coreutils findutils tar xz-utils kmod squashfs-tools make gcc libc6-dev flex bison bc)
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
candidate() { # candidate version of PKG:mipsel (PKG:all with ARCH=all), empty if unknown to apt
	apt-cache policy "$1:${2:-mipsel}" 2>/dev/null | awk '/Candidate:/ { if ($2 != "(none)") print $2; exit }'
}
known_version() { # PKG ARCH VERSION: is this exact version in apt's lists?
	apt-cache show "$1:$2=$3" >/dev/null 2>&1
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
# Our own kernel's source. Pinned so rebuilds give the same kernel; if the archive dropped that
# version, the current candidate (the manifest records which).
PKG_KSRC=linux-source-6.1
PREFERRED_KSRC=6.1.192-3
if [ -n "${KSRC_VERSION:-}" ]; then
	VER_KSRC=$KSRC_VERSION
elif known_version "$PKG_KSRC" all "$PREFERRED_KSRC"; then
	VER_KSRC=$PREFERRED_KSRC
else
	VER_KSRC=$(candidate "$PKG_KSRC" all)
	log "warning: $PKG_KSRC $PREFERRED_KSRC is gone from the archive, using $VER_KSRC"
fi
[ -n "$VER_KSRC" ] || die "$PKG_KSRC not known to apt"

mkdir -p "$CACHE/debs"
deb_path() { # PKG VERSION [ARCH] -> cache path, named as apt-get download names it
	printf '%s/debs/%s_%s_%s.deb' "$CACHE" "$1" "${2//:/%3a}" "${3:-mipsel}"
}
fetch_deb() { # PKG VERSION [ARCH]
	local f arch=${3:-mipsel}
	f=$(deb_path "$1" "$2" "$arch")
	if [ ! -s "$f" ]; then
		log "downloading $1:$arch=$2"
		# Sandbox user root: the cache dir is not readable by _apt.
		(cd "$CACHE/debs" && apt-get download -q -o APT::Sandbox::User=root "$1:$arch=$2")
	fi
	[ -s "$f" ] || die "download of $1 $2 did not produce $f"
	# apt checked the hash while downloading; check again against apt's index so a stale or
	# truncated cache file is caught.
	local want
	want=$(apt-cache show "$1:$arch=$2" 2>/dev/null | awk '/^SHA256:/ { print $2; exit }')
	if [ -n "$want" ] && [ "$(sha256sum <"$f" | cut -d' ' -f1)" != "$want" ]; then
		rm -f "$f"
		die "$f does not match apt's SHA256; removed it, run again"
	fi
}
fetch_deb "$PKG_KDBG" "$VER_KDBG"
fetch_deb "$PKG_KIMG" "$VER_KIMG"
fetch_deb "$PKG_BB" "$VER_BB"
fetch_deb "$PKG_KSRC" "$VER_KSRC" all
DEB_KDBG=$(deb_path "$PKG_KDBG" "$VER_KDBG")
DEB_KIMG=$(deb_path "$PKG_KIMG" "$VER_KIMG")
DEB_BB=$(deb_path "$PKG_BB" "$VER_BB")
DEB_KSRC=$(deb_path "$PKG_KSRC" "$VER_KSRC" all)

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


# ------------------------------------------------------------ shared pieces
WORK="$CACHE/work"
rm -rf "$WORK"
mkdir -p "$WORK/bb"
dpkg-deb -x "$DEB_BB" "$WORK/bb"
BUSYBOX="$WORK/bb/bin/busybox"

log "compiling floattest"
mipsel-linux-gnu-gcc -O2 -static -Wall -Wextra -o "$WORK/floattest" "$HERE/floattest.c" -lm
mipsel-linux-gnu-strip --strip-all "$WORK/floattest"
# Run it once under qemu-user: a wrong expected bit pattern in the source is caught here.
qemu-mipsel-static "$WORK/floattest" >"$WORK/floattest.out" || {
	cat "$WORK/floattest.out" >&2
	die "floattest fails under qemu-mipsel-static"
}

# Where this busybox build puts each applet (bin/sh, sbin/poweroff, ...), from the binary itself.
qemu-mipsel-static "$BUSYBOX" --list-full | sort >"$WORK/applets"
[ "$(wc -l <"$WORK/applets")" -gt 100 ] || die "busybox --list-full gave too few applets"

install_busybox() { # ROOT: /bin/busybox and one relative symlink per applet
	local R=$1 app dir target
	mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin}
	install -m 755 "$BUSYBOX" "$R/bin/busybox"
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
}

# The initramfs tree both kernels share: busybox, /init, mount points. Device nodes are added by
# each archive's own means (mknod here, gen_init_cpio entries for the built-in one).
initramfs_tree() { # ROOT
	local R=$1
	mkdir -p "$R"/{dev,proc,sys,tmp,root,boot,etc}
	chmod 1777 "$R/tmp"
	chmod 700 "$R/root"
	install_busybox "$R"
	install -m 755 "$HERE/initramfs/init" "$R/init"
	install -m 644 "$HERE/initramfs/etc/passwd" "$R/etc/passwd"
	install -m 644 "$HERE/initramfs/etc/group" "$R/etc/group"
}

# ------------------------------------------------- initrd for Debian's kernel
# Debian's kernel has ATA, SCSI and sd built in but ata_piix, loop, squashfs, vfat and the NLS
# tables as modules: /init loads them, in dependency order, from odtab.load.
R="$WORK/initrd"
initramfs_tree "$R"
install -m 755 "$WORK/floattest" "$R/bin/floattest"
# The kernel opens /dev/console for init's stdio before /init can mount devtmpfs.
mknod -m 600 "$R/dev/console" c 5 1
mknod -m 666 "$R/dev/null" c 1 3

# FAT's default iocharset in Debian's config is ascii and its codepage 437: both are needed to
# mount vfat at all; iso8859-1 and utf8 for the iocharset= options users pass.
INITRD_MODULES="ata_piix loop squashfs vfat nls_cp437 nls_ascii nls_iso8859-1 nls_utf8"
MODTMP="$WORK/modules"
mkdir -p "$MODTMP"
dpkg-deb --fsys-tarfile "$DEB_KIMG" | tar -x -C "$MODTMP" "./lib/modules/$KREL/kernel"
MODROOT="$MODTMP/lib/modules/$KREL"
find_ko() { # module name -> path under $MODROOT (names use - and _ interchangeably)
	(cd "$MODROOT" && find kernel -name "${1//[-_]/?}.ko" | sort | head -n 1)
}
declare -A MOD_DONE=()
: >"$WORK/odtab.load"
add_module() { # NAME: its dependencies first, then itself
	local ko dep
	ko=$(find_ko "$1")
	[ -n "$ko" ] || die "module $1 not in linux-image-$KREL"
	[ -n "${MOD_DONE[$ko]:-}" ] && return 0
	MOD_DONE[$ko]=1
	for dep in $(modinfo -F depends "$MODROOT/$ko" | tr ',' ' '); do
		add_module "$dep"
	done
	[ "$(modinfo -F vermagic "$MODROOT/$ko" | cut -d' ' -f1)" = "$KREL" ] || die "$ko is not built for $KREL"
	install -D -m 644 "$MODROOT/$ko" "$R/lib/modules/$KREL/$ko"
	echo "$ko" >>"$WORK/odtab.load"
}
for m in $INITRD_MODULES; do add_module "$m"; done
install -m 644 "$WORK/odtab.load" "$R/lib/modules/$KREL/odtab.load"
log "initrd modules: $(tr '\n' ' ' <"$WORK/odtab.load")"

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

# ------------------------------------------------ our kernel, rootfs, local/
# shellcheck source=kernel/build.sh
. "$HERE/kernel/build.sh"
# shellcheck source=apps/build.sh
. "$HERE/apps/build.sh"
# shellcheck source=rootfs/build.sh
. "$HERE/rootfs/build.sh"

# ------------------------------------------------------------------ manifest
sha() { sha256sum <"$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }
json_pkg() { # NAME VERSION DEB [ARCH]
	printf '    { "name": "%s", "arch": "%s", "version": "%s", "deb": "%s", "sha256": "%s" }' \
		"$1" "${4:-mipsel}" "$2" "$(basename "$3")" "$(sha "$3")"
}
json_tool() { # NAME ROLE: a host tool whose version shapes an output
	printf '    { "name": "%s", "arch": "%s", "version": "%s", "role": "%s" }' "$1" \
		"$(dpkg-query -W -f='${Architecture}' "$1")" "$(dpkg-query -W -f='${Version}' "$1")" "$2"
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
	printf '  "diskCmdline": "%s",\n' "$CMDLINE $DISK_CMDLINE"
	printf '  "odtabKernel": {\n'
	printf '    "file": "vmlinux-odtab.gz",\n'
	printf '    "systemMap": "System.map-odtab.gz",\n'
	printf '    "config": "config-odtab",\n'
	printf '    "release": "%s",\n' "$OK_RELEASE"
	printf '    "kernelEntry": "%s",\n' "$OK_ENTRY"
	printf '    "startKernel": "%s",\n' "$OK_START_KERNEL"
	printf '    "loadAddress": "%s",\n' "$OK_LOAD_VADDR"
	printf '    "builtinCmdline": "%s",\n' "$OK_BUILTIN_CMDLINE"
	printf '    "cmdline": "%s"\n' "$OK_CMDLINE"
	printf '  },\n'
	printf '  "rootfs": { "file": "rootfs.bin", "format": "squashfs 4.0, gzip", "bootPath": "rootfs.bin" },\n'
	printf '  "apps": { %s },\n' "$APPS_JSON"
	printf '  "local": { "dir": "local", "dirs": [%s], "files": [\n' "$LOCAL_DIRS_JSON"
	printf '%s\n' "$LOCAL_FILES_JSON"
	printf '  ] },\n'
	printf '  "packages": [\n'
	json_pkg "$PKG_KDBG" "$VER_KDBG" "$DEB_KDBG"
	printf ',\n'
	json_pkg "$PKG_KIMG" "$VER_KIMG" "$DEB_KIMG"
	printf ',\n'
	json_pkg "$PKG_BB" "$VER_BB" "$DEB_BB"
	printf ',\n'
	json_pkg "$PKG_KSRC" "$VER_KSRC" "$DEB_KSRC" all
	printf ',\n'
	json_tool gcc-mipsel-linux-gnu "cross compiler"
	printf ',\n'
	json_tool squashfs-tools "mksquashfs for rootfs.bin and the .opk"
	printf '\n  ],\n'
	printf '  "files": {\n'
	json_file vmlinux.gz "$OUT/vmlinux.gz" "$VMLINUX"
	printf ',\n'
	json_file initrd.gz "$OUT/initrd.gz" "$WORK/initrd.cpio"
	printf ',\n'
	json_file System.map.gz "$OUT/System.map.gz" "$KDIR/System.map"
	printf ',\n'
	json_file vmlinux-odtab.gz "$OUT/vmlinux-odtab.gz" "$OK_VMLINUX"
	printf ',\n'
	json_file System.map-odtab.gz "$OUT/System.map-odtab.gz" "$OK_SYSTEM_MAP"
	printf ',\n'
	json_file config-odtab "$OUT/config-odtab"
	printf ',\n'
	json_file rootfs.bin "$OUT/rootfs.bin"
	printf ',\n'
	json_file apps/fbtest.opk "$OUT/apps/fbtest.opk"
	printf '\n  }\n}\n'
} >"$OUT/manifest.json"

log "done:"
ls -l "$OUT" >&2
log "uncompressed kernels for QEMU: $VMLINUX (with DWARF: $KDIR/vmlinux.dbg), $OK_VMLINUX"
