/**
 * The largest whole-number scale at which a width x height picture fits the space (at least 1:
 * a space too small shows the picture at 1:1 and lets it overflow, never blurred).
 */
export function integerScale(spaceWidth: number, spaceHeight: number, width: number, height: number): number {
  if (width <= 0 || height <= 0) return 1;
  return Math.max(1, Math.floor(Math.min(spaceWidth / width, spaceHeight / height)));
}
