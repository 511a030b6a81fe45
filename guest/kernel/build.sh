# Sourced by guest/build.sh (needs its variables and helpers): builds odtab's own Malta kernel
# from Debian's linux-source-6.1 with the cross compiler. `make allnoconfig` plus odtab.config, so
# the configuration is exactly what that file names; the busybox initramfs and the OpenDingux
# command line are built in. Sets OK_* for the manifest.
# Cache: guest/.cache/odtab-kernel/<source version>/{src,build}; a rebuild with nothing changed
# only relinks nothing (make finds everything up to date).

KSRC_DIR="$CACHE/odtab-kernel/$VER_KSRC"
KSRC="$KSRC_DIR/src"
KBUILD="$KSRC_DIR/build"
if [ ! -f "$KSRC/Makefile" ]; then
	log "extracting $PKG_KSRC $VER_KSRC (takes ~1 min)"
	rm -rf "$KSRC" "$KSRC.tmp"
	mkdir -p "$KSRC.tmp"
	dpkg-deb --fsys-tarfile "$DEB_KSRC" | tar -xO ./usr/src/linux-source-6.1.tar.xz |
		tar -xJ -C "$KSRC.tmp" --strip-components=1
	mv "$KSRC.tmp" "$KSRC"
fi
mkdir -p "$KBUILD"

# Reproducible: the build stamp is the source package's own date (its files' mtime, set by
# Debian from the changelog), user and host are fixed, the initramfs files are dated 0.
KTIME=$(stat -c %Y "$KSRC/Makefile")
export KBUILD_BUILD_TIMESTAMP
KBUILD_BUILD_TIMESTAMP=$(date -u -d "@$KTIME" '+%a %b %e %H:%M:%S UTC %Y')
export KBUILD_BUILD_USER=odtab KBUILD_BUILD_HOST=odtab KBUILD_BUILD_VERSION=1
KMAKE=(nice -n 10 make -C "$KSRC" O="$KBUILD" ARCH=mips CROSS_COMPILE=mipsel-linux-gnu- -j2)

# ------------------------------------------------------------ built-in initramfs
# gen_init_cpio list: busybox, /init and mount points from the shared tree, and the two device
# nodes the kernel needs before /init mounts devtmpfs (no mknod, no root needed for those).
IR="$WORK/kernel-initramfs"
initramfs_tree "$IR"
find "$IR" -exec touch -h -d @0 {} +
KLIST="$KSRC_DIR/initramfs.list"
{
	(cd "$IR" && find . -mindepth 1 -printf '%P\n' | sort) | while IFS= read -r p; do
		f="$IR/$p"
		mode=$(stat -c %a "$f")
		if [ -L "$f" ]; then
			echo "slink /$p $(readlink "$f") 777 0 0"
		elif [ -d "$f" ]; then
			echo "dir /$p $mode 0 0"
		else
			echo "file /$p $f $mode 0 0"
		fi
	done
	# After /dev itself: the kernel unpacks the entries in this order.
	echo "nod /dev/console 600 0 0 c 5 1"
	echo "nod /dev/null 666 0 0 c 1 3"
} >"$KLIST.new"
# The files are dated 0, so make cannot see a changed /init: compare contents instead and let
# kbuild regenerate the archive when they differ.
ksum=$(cat "$KLIST.new" $(awk '$1 == "file" { print $3 }' "$KLIST.new") | sha256sum | cut -d' ' -f1)
if [ "$(cat "$KSRC_DIR/initramfs.sha256" 2>/dev/null)" != "$ksum" ]; then
	rm -f "$KBUILD/usr/initramfs_data.cpio"
fi
mv "$KLIST.new" "$KLIST"

# ---------------------------------------------------------------------- config
{
	cat "$HERE/kernel/odtab.config"
	echo "CONFIG_INITRAMFS_SOURCE=\"$KLIST\""
} >"$KSRC_DIR/allconfig"
KCONFIG_ALLCONFIG="$KSRC_DIR/allconfig" "${KMAKE[@]}" -s allnoconfig
# Kconfig silently drops what it cannot satisfy: every line of odtab.config must have landed.
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*)
		grep -qxF -- "$line" "$KBUILD/.config" || die "kernel config: $line did not survive ($(grep "^${line%%=*}=" "$KBUILD/.config" || echo unset))"
		;;
	"# CONFIG_"*" is not set")
		sym=${line#\# }
		sym=${sym%% *}
		! grep -q "^$sym=" "$KBUILD/.config" || die "kernel config: $sym should be off"
		;;
	esac
done <"$HERE/kernel/odtab.config"
if grep -q '^CONFIG_CRYPTO_MANAGER=y' "$KBUILD/.config" &&
	! grep -q '^CONFIG_CRYPTO_MANAGER_DISABLE_TESTS=y' "$KBUILD/.config"; then
	die "kernel config: crypto self-tests are on"
fi
grep -q '^CONFIG_INITRAMFS_COMPRESSION_NONE=y' "$KBUILD/.config" ||
	die "kernel config: the built-in initramfs should be stored uncompressed (vmlinux is gzip'd whole)"

# ----------------------------------------------------------------------- build
log "building the odtab kernel (nice -n 10 make -j2; ~15-25 min from scratch, seconds when cached)"
"${KMAKE[@]}" -s vmlinux
echo "$ksum" >"$KSRC_DIR/initramfs.sha256"

OK_RELEASE=$(cat "$KBUILD/include/config/kernel.release")
OK_VMLINUX="$KSRC_DIR/vmlinux"
OK_SYSTEM_MAP="$KBUILD/System.map"
mipsel-linux-gnu-strip --strip-all -o "$OK_VMLINUX.tmp" "$KBUILD/vmlinux"
mv "$OK_VMLINUX.tmp" "$OK_VMLINUX"

ok_hdr() { mipsel-linux-gnu-readelf -h -l -W "$OK_VMLINUX"; }
ok_hdr | grep -q 'Class:.*ELF32' || die "odtab vmlinux is not ELF32"
ok_hdr | grep -q 'little endian' || die "odtab vmlinux is not little-endian"
[ "$(ok_hdr | awk '$1 == "LOAD"' | wc -l)" = 1 ] || die "odtab vmlinux should have one PT_LOAD"
OK_LOAD_VADDR=$(ok_hdr | awk '$1 == "LOAD" { print $3; exit }')
[ "$OK_LOAD_VADDR" = 0x80100000 ] || die "odtab vmlinux PT_LOAD at $OK_LOAD_VADDR, expected 0x80100000"
OK_ENTRY=$(printf '0x%08x' "$(($(ok_hdr | awk '/Entry point address:/ { print $4 }')))")
sym_addr() { awk -v s="$1" '$3 == s { print $1; exit }' "$OK_SYSTEM_MAP"; }
k=$(sym_addr kernel_entry)
[ -n "$k" ] && [ "$((0x${k: -8}))" = "$((OK_ENTRY))" ] || die "odtab vmlinux entry $OK_ENTRY is not kernel_entry"
k=$(sym_addr start_kernel)
OK_START_KERNEL=$(printf '0x%08x' "$((0x${k: -8}))")
# The GNU build-ids (the kernel's .notes and the vDSO image's) hash the unstripped ELFs, absolute
# build paths included, so a cache in another folder would give other bytes there and only there.
# Nothing at run time reads them: zero both, so vmlinux depends on the packages alone. The
# programs in the initramfs keep theirs (only notes before __initramfs_start are touched).
k=$(sym_addr __initramfs_start)
load_off=$(ok_hdr | awk '$1 == "LOAD" { print $2; exit }')
LIMIT=$((0x${k: -8} - OK_LOAD_VADDR + load_off)) perl -0777 -pi -e '
	my $n = 0;
	s{(\x04\0\0\0\x14\0\0\0\x03\0\0\0GNU\0)(.{20})}{
		if ($-[0] < $ENV{LIMIT}) { $n++; $1 . ("\0" x 20) } else { $1 . $2 }
	}gse;
	die "expected 2 build-id notes before the initramfs, found $n\n" unless $n == 2;
' "$OK_VMLINUX"
OK_BUILTIN_CMDLINE=$(sed -n 's/^CONFIG_CMDLINE="\(.*\)"$/\1/p' "$KBUILD/.config")
# What odtab should pass with it (-append): lpj= for HZ=100 at 200 MHz (README "odtab kernel").
OK_CMDLINE="lpj=1000000"

gzip -9 -n -c "$OK_VMLINUX" >"$OUT/vmlinux-odtab.gz.tmp"
mv "$OUT/vmlinux-odtab.gz.tmp" "$OUT/vmlinux-odtab.gz"
gzip -9 -n -c "$OK_SYSTEM_MAP" >"$OUT/System.map-odtab.gz.tmp"
mv "$OUT/System.map-odtab.gz.tmp" "$OUT/System.map-odtab.gz"
# The committed config names the initramfs list by its file name, not this machine's path.
sed "s|^CONFIG_INITRAMFS_SOURCE=.*|CONFIG_INITRAMFS_SOURCE=\"initramfs.list\"|" "$KBUILD/.config" >"$OUT/config-odtab"
log "odtab kernel $OK_RELEASE: entry $OK_ENTRY, $(stat -c %s "$OK_VMLINUX") bytes stripped"
