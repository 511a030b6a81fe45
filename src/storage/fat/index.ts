export { type FatGeometry, parseBootSector } from './boot-sector';
export { type BootCheckReport, type FatCheckReport, ROOTFS_NAMES, checkBootImage, checkFat, describeSquashfs } from './check';
export { FatError, type FatErrorCode } from './errors';
export { type FormatLayout, type FormatOptions, formatFat, planFormat } from './format';
export { type FatEntryInfo, type FileSource, FatVolume, type OpenOptions, type WriteOptions, splitPath } from './volume';
export { validateLongName } from './names';
