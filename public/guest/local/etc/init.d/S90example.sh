# An example start script on the FAT disk: local/etc/init.d/S??* run at every boot, after the
# system's own (/etc/init.d). Files ending in .sh are sourced, others are run with `start`.
# Delete or edit it freely.
echo "local/etc/init.d/S90example.sh: hello from the FAT disk"
