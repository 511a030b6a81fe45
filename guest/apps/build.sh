# Sourced by guest/build.sh (needs its variables and helpers) before rootfs/build.sh: builds the
# demo apps with the cross compiler, static and stripped:
#   $WORK/apps/launcher            the tty1 menu (rootfs/build.sh installs it as /usr/sbin/launcher)
#   $OUT/local/apps/fbtest.dge     framebuffer + buttons test, on the built-in disk's local/apps
#   $OUT/apps/fbtest.opk           the same program as an OpenDingux package (squashfs)
# Sets APPS_JSON for the manifest.

APPS="$WORK/apps"
mkdir -p "$APPS"
APP_CFLAGS=(-Os -static -Wall -Wextra -Werror -ffunction-sections -fdata-sections -Wl,--gc-sections)
for app in fbtest launcher; do
	log "compiling $app"
	mipsel-linux-gnu-gcc "${APP_CFLAGS[@]}" -o "$APPS/$app" "$HERE/apps/$app.c"
	mipsel-linux-gnu-strip --strip-all "$APPS/$app"
done

# The .dge: the bare executable, as on an OpenDingux card's local/apps.
mkdir -p "$OUT/local/apps"
install -m 755 "$APPS/fbtest" "$OUT/local/apps/fbtest.dge"

# The .opk: squashfs with the program, its desktop file and a 32x32 PNG icon drawn by
# make-icon.c (compiled for and run on the build host), made the way OpenDingux makes packages
# (mksquashfs -all-root -noappend -no-exports -no-xattrs) with fixed times.
gcc -O2 -Wall -Wextra -Werror -o "$APPS/make-icon" "$HERE/apps/make-icon.c"
OPK="$APPS/fbtest.opkdir"
rm -rf "$OPK"
mkdir -p "$OPK"
install -m 755 "$APPS/fbtest" "$OPK/fbtest"
"$APPS/make-icon" >"$OPK/fbtest.png"
[ "$(head -c 8 "$OPK/fbtest.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || die "make-icon wrote no PNG"
install -m 644 "$HERE/apps/fbtest.desktop" "$OPK/default.gcw0.desktop"
chmod 755 "$OPK"
find "$OPK" -exec touch -h -d @0 {} +
mkdir -p "$OUT/apps"
rm -f "$OUT/apps/fbtest.opk"
env -u SOURCE_DATE_EPOCH mksquashfs "$OPK" "$OUT/apps/fbtest.opk" -comp gzip -all-root -noappend -no-exports \
	-no-xattrs -mkfs-time 0 -all-time 0 -quiet -no-progress >/dev/null
[ "$(head -c 4 "$OUT/apps/fbtest.opk")" = hsqs ] || die "fbtest.opk is not a squashfs image"
log "fbtest: $(stat -c %s "$APPS/fbtest") bytes, fbtest.opk $(stat -c %s "$OUT/apps/fbtest.opk"), launcher $(stat -c %s "$APPS/launcher")"

APPS_JSON=$(printf '"opk": ["apps/fbtest.opk"], "dge": ["local/apps/fbtest.dge"], "launcher": { "path": "/usr/sbin/launcher", "size": %s, "sha256": "%s" }' \
	"$(stat -c %s "$APPS/launcher")" "$(sha256sum <"$APPS/launcher" | cut -d' ' -f1)")
