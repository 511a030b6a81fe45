import { createRoot } from 'react-dom/client';
import { App } from './components/App';
import { Emulator } from './services/emulator';
import { isolateViaServiceWorker } from './services/isolation';
import { screenTransport } from './state/transport';
import './styles.css';

// Boots with no click: the worker starts downloading as soon as the page runs (after at most
// one reload to become cross-origin isolated on a static host).
async function main(): Promise<void> {
  const base = import.meta.env.BASE_URL;
  if (await isolateViaServiceWorker(base)) return;
  const emulator = new Emulator();
  emulator.start({
    shared: screenTransport(location.search, globalThis.crossOriginIsolated === true) === 'shared',
    guestUrl: new URL(`${base}guest/`, location.href).href,
  });
  // The worker also stores the guest's writes a second after they happen; this catches the rest.
  addEventListener('pagehide', () => emulator.flush());
  createRoot(document.getElementById('root')!).render(<App emulator={emulator} />);
}

void main();
