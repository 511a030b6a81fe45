/**
 * Makes the page cross-origin isolated on hosts that do not send COOP/COEP (plain static hosting)
 * by registering public/coi-sw.js, which adds the headers, and reloading once under it. Not done
 * when the page is isolated already, when `?screen=copy` asks for the copied-frame path, where
 * service workers are unavailable, or when a reload under the worker did not isolate the page
 * (then the app goes on with copied frames rather than reloading forever).
 * Resolves true when the page is about to reload.
 */
const TRIED = 'odtab-coi-reloaded';

export async function isolateViaServiceWorker(baseUrl: string): Promise<boolean> {
  if (globalThis.crossOriginIsolated) {
    sessionStorage.removeItem(TRIED);
    return false;
  }
  if (new URLSearchParams(location.search).get('screen') === 'copy') return false;
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return false;
  if (sessionStorage.getItem(TRIED)) return false;
  try {
    await navigator.serviceWorker.register(`${baseUrl}coi-sw.js`, { scope: baseUrl });
    await navigator.serviceWorker.ready;
  } catch {
    return false;
  }
  sessionStorage.setItem(TRIED, '1');
  location.reload();
  return true;
}
