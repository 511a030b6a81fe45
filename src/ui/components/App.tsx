import { useEffect } from 'react';
import type { Emulator } from '../services/emulator';
import { watchGamepads } from '../services/gamepads';
import { DownloadBar } from './DownloadBar';
import { AppLibrary } from './AppLibrary';
import { PresetPanel } from './PresetPanel';
import { DiskPanel } from './DiskPanel';
import { DropPanel } from './DropPanel';
import { MessageLine } from './MessageLine';
import { Pad } from './Pad';
import { ScreenView } from './ScreenView';
import { SerialTerminal } from './SerialTerminal';
import { StatusBar } from './StatusBar';

export function App({ emulator, guestUrl }: { emulator: Emulator; guestUrl: string }) {
  useEffect(() => watchGamepads((b, down) => emulator.button(b, down)), [emulator]);
  return (
    <div className="app">
      <header>
        <h1>odtab</h1>
        <StatusBar emulator={emulator} />
      </header>
      <DownloadBar />
      <MessageLine />
      <DropPanel emulator={emulator} />
      <DiskPanel emulator={emulator} />
      <PresetPanel guestUrl={guestUrl} />
      <main>
        <section className="device">
          <ScreenView emulator={emulator} />
          <Pad emulator={emulator} />
        </section>
        <section className="console">
          <SerialTerminal emulator={emulator} />
          <AppLibrary emulator={emulator} />
        </section>
      </main>
    </div>
  );
}
