import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { Machine, type MachineConfig } from '../../src/emu/machine';

export const GUEST_DIR = new URL('../../public/guest/', import.meta.url).pathname;

export function builtinGuest(): { kernel: Uint8Array; initrd: Uint8Array; cmdline: string } {
  const manifest = JSON.parse(readFileSync(GUEST_DIR + 'manifest.json', 'utf8'));
  return {
    kernel: gunzipSync(readFileSync(GUEST_DIR + 'vmlinux.gz')),
    initrd: readFileSync(GUEST_DIR + 'initrd.gz'),
    cmdline: manifest.cmdline,
  };
}

/** A machine with its serial output collected as text, and expect-style helpers. */
export class GuestSession {
  readonly machine: Machine;
  output = '';
  private mark = 0;

  constructor(config: Partial<MachineConfig> = {}) {
    const g = builtinGuest();
    this.machine = new Machine({
      kernel: g.kernel,
      initrd: g.initrd,
      commandLine: g.cmdline,
      rtcEpochSeconds: 1_700_000_000,
      ...config,
      onSerial: (b) => {
        this.output += String.fromCharCode(b);
      },
    });
  }

  /**
   * Run until `text` appears in the output after the last mark (then move the mark past it).
   * Fails after `guestSeconds` of guest time, so a hang is a failure, not a stuck test.
   */
  waitFor(text: string, guestSeconds = 120): string {
    const m = this.machine;
    const limit = m.seconds + guestSeconds;
    for (;;) {
      const at = this.output.indexOf(text, this.mark);
      if (at >= 0) {
        const seen = this.output.slice(this.mark, at + text.length);
        this.mark = at + text.length;
        return seen;
      }
      if (m.power === 'off') throw new Error(`guest powered off before printing ${JSON.stringify(text)}`);
      if (m.seconds > limit) {
        throw new Error(`no ${JSON.stringify(text)} within ${guestSeconds} s of guest time; last output:\n${this.output.slice(-2000)}`);
      }
      m.run(2_000_000);
    }
  }

  type(text: string): void {
    this.machine.sendSerial(new TextEncoder().encode(text));
  }

  /** Type a command line and return what it printed up to the next prompt. */
  command(line: string, prompt = 'odtab# '): string {
    this.type(line + '\n');
    return this.waitFor(prompt).replace(/\r/g, '');
  }

  runUntilOff(guestSeconds = 30): void {
    const limit = this.machine.seconds + guestSeconds;
    while (this.machine.power !== 'off' && this.machine.seconds < limit) this.machine.run(2_000_000);
  }
}
