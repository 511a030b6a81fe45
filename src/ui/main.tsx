import { createRoot } from 'react-dom/client';
import { App } from './components/App';
import { Emulator } from './services/emulator';
import { screenTransport } from './state/transport';
import './styles.css';

// Boots with no click: the worker starts downloading as soon as the page runs.
const emulator = new Emulator();
emulator.start({
  shared: screenTransport(location.search, globalThis.crossOriginIsolated === true) === 'shared',
  guestUrl: new URL(`${import.meta.env.BASE_URL}guest/`, location.href).href,
});
createRoot(document.getElementById('root')!).render(<App emulator={emulator} />);
