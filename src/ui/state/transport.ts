/**
 * How the framebuffer reaches the page: shared memory when the page is cross-origin isolated
 * (COOP/COEP headers), else a transferred frame per change. `?screen=copy` forces the fallback
 * (the tests use it to check the path static hosting without those headers takes).
 */
export function screenTransport(search: string, isolated: boolean): 'shared' | 'transfer' {
  const forced = new URLSearchParams(search).get('screen');
  if (forced === 'copy') return 'transfer';
  return isolated ? 'shared' : 'transfer';
}
