import { createRoot } from 'react-dom/client';
import { App } from './components/App';
import { Emulator } from './services/emulator';
import { isolateViaServiceWorker } from './services/isolation';
import { screenTransport } from './state/transport';
import { presetOfPage } from './state/page-preset';
import { useMachine } from './state/machine-store';
import './styles.css';

// Boots with no click: the worker starts downloading as soon as the page runs (after at most
// one reload to become cross-origin isolated on a static host).
async function main(): Promise<void> {
  const base = import.meta.env.BASE_URL;
  if (await isolateViaServiceWorker(base)) return;
  const emulator = new Emulator();
  const { preset, error } = presetOfPage(location.href);
  const guestUrl = new URL(`${base}guest/`, location.href).href;
  emulator.start({
    shared: screenTransport(location.search, globalThis.crossOriginIsolated === true) === 'shared',
    guestUrl,
    preset,
  });
  if (error) useMachine.setState({ message: error });
  // Another preset chosen (a link pasted in the address bar, a built-in one picked): boot it.
  addEventListener('hashchange', () => location.reload());
  // The worker also stores the guest's writes a second after they happen; this catches the rest.
  addEventListener('pagehide', () => emulator.flush());
  createRoot(document.getElementById('root')!).render(<App emulator={emulator} guestUrl={guestUrl} />);
}

void main();
