# Sourced by guest/build.sh (needs its variables and helpers): builds rootfs.bin, the
# OpenDingux-shaped root filesystem (squashfs, gzip), from busybox-static, floattest, the launcher and the
# files under guest/rootfs/ (etc/, usr/); and lists the local/ skeleton in public/guest/local for
# the manifest. Sets LOCAL_DIRS_JSON and LOCAL_FILES_JSON.

RF="$WORK/rootfs"
install_busybox "$RF"
install -m 755 "$WORK/floattest" "$RF/bin/floattest"
# The menu on tty1 (apps/build.sh), started by /usr/sbin/frontend_start.
install -D -m 755 "$APPS/launcher" "$RF/usr/sbin/launcher"
# The skeleton, with modes normalised (git keeps only the executable bit).
(cd "$HERE/rootfs" && find etc usr -type d) | while IFS= read -r d; do mkdir -p "$RF/$d"; done
(cd "$HERE/rootfs" && find etc usr -type f) | while IFS= read -r f; do
	if [ -x "$HERE/rootfs/$f" ]; then mode=755; else mode=644; fi
	install -m "$mode" "$HERE/rootfs/$f" "$RF/$f"
done
# Mount points: /boot (the FAT disk, moved here by the initramfs), pseudo and tmpfs filesystems,
# /media/sdX for other disks, /mnt for opkrun.
mkdir -p "$RF"/{boot,dev,proc,sys,tmp,run,var,media,mnt,root}
chmod 1777 "$RF/tmp"
chmod 700 "$RF/root"
# The user's part lives on the FAT disk.
ln -s /boot/local "$RF/usr/local"
ln -s /boot/local/etc "$RF/etc/local"

find "$RF" -exec touch -h -d @0 {} +
rm -f "$OUT/rootfs.bin"
# SOURCE_DATE_EPOCH would clash with the explicit times. -all-root: every file root's; dev nodes as pseudo files (mininit's switch_root needs
# /dev/console before devtmpfs is mounted); fixed times; no xattrs or NFS export table.
env -u SOURCE_DATE_EPOCH mksquashfs "$RF" "$OUT/rootfs.bin" -comp gzip -b 131072 -all-root -noappend -no-xattrs \
	-no-exports -mkfs-time 0 -all-time 0 -quiet -no-progress \
	-p "dev/console c 600 0 0 5 1" -p "dev/null c 666 0 0 1 3" >/dev/null
[ "$(head -c 4 "$OUT/rootfs.bin")" = hsqs ] || die "rootfs.bin is not a squashfs image"
log "rootfs.bin: $(stat -c %s "$OUT/rootfs.bin") bytes"

# ------------------------------------------------------------------- local/
# public/guest/local is committed as files; git keeps no empty folders, so the manifest names
# every folder the disk's local/ should have (make-disk.sh and odtab create them).
LOCAL="$OUT/local"
[ -d "$LOCAL" ] || die "$LOCAL (the committed local/ skeleton) is missing"
LOCAL_DIRS="apps home etc etc/init.d"
LOCAL_DIRS_JSON=$(for d in $LOCAL_DIRS; do printf '"%s", ' "$d"; done | sed 's/, $//')
# The skeleton's own files first, then the apps apps/build.sh put in local/apps (each group sorted).
LOCAL_FILES_JSON=$( (cd "$LOCAL" && { find . -type f ! -path './apps/*' -printf '%P\n' | sort
	find . -type f -path './apps/*' -printf '%P\n' | sort; }) | while IFS= read -r f; do
	printf '    { "path": "%s", "size": %s, "sha256": "%s" },\n' "$f" "$(stat -c %s "$LOCAL/$f")" \
		"$(sha256sum <"$LOCAL/$f" | cut -d' ' -f1)"
done | sed '$ s/,$//')
