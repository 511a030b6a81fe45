import type { AccessSize, IoDevice } from '../bus/types';

/**
 * The PIIX4's two i8237 DMA controllers and page registers. Nothing on the Malta does ISA DMA,
 * but Linux programs them at setup (enable_dma(4) writes port 0xD4), so the registers must
 * exist: they store what is written and read it back; status reads as idle.
 */
export class DmaControllers {
  private readonly regs = new Uint8Array(0x100);

  /** Ports 0x00-0x1F (DMA1), 0x80-0x8F (page registers), 0xC0-0xDF (DMA2): map each range here. */
  readonly dma1: IoDevice = this.window(0x00);
  readonly page: IoDevice = this.window(0x80);
  readonly dma2: IoDevice = this.window(0xc0);

  private window(base: number): IoDevice {
    return {
      read: (offset: number, _size: AccessSize) => {
        const port = base + offset;
        // Status registers (0x08, 0xD0): no channel has reached terminal count or requests service.
        if (port === 0x08 || port === 0xd0) return 0;
        return this.regs[port];
      },
      write: (offset: number, _size: AccessSize, value: number) => {
        this.regs[base + offset] = value & 0xff;
      },
    };
  }
}
