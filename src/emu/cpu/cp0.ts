/** CP0 constants and the per-model identification values (malta-hw.md 3.1). */

export type CpuModel = '24Kf' | '4KEc';

export const ST_IE = 1 << 0;
export const ST_EXL = 1 << 1;
export const ST_ERL = 1 << 2;
export const ST_UM = 1 << 4;
export const ST_BEV = 1 << 22;
export const ST_FR = 1 << 26;
export const ST_CU0 = 1 << 28;
export const ST_CU1 = 1 << 29;

/** Writable bits of EntryLo0/1 (PFN, C, D, V, G; no RI/XI) and of EPC (all). */
export const ENTRYLO_MASK = 0x3fffffff;

/**
 * CP0 registers (number << 3 | select) that are plain fields of the Cpu, read and, where
 * marked, written without side effects: the translator turns MFC0/MTC0 of these into field
 * accesses instead of calls to readCp0/writeCp0.
 */
export const CP0_FIELDS: Record<number, { field: string; writeMask?: number }> = {
  [2 << 3]: { field: 'entryLo0', writeMask: ENTRYLO_MASK },
  [3 << 3]: { field: 'entryLo1', writeMask: ENTRYLO_MASK },
  [4 << 3]: { field: 'context' },
  [5 << 3]: { field: 'pageMask' },
  [8 << 3]: { field: 'badVAddr' },
  [10 << 3]: { field: 'entryHi' },
  [12 << 3]: { field: 'status' },
  [13 << 3]: { field: 'cause' },
  [14 << 3]: { field: 'epc', writeMask: -1 },
};

export const CAUSE_BD = 1 << 31;
export const CAUSE_TI = 1 << 30;
export const CAUSE_IV = 1 << 23;

export const EXC_INT = 0;
export const EXC_MOD = 1;
export const EXC_TLBL = 2;
export const EXC_TLBS = 3;
export const EXC_ADEL = 4;
export const EXC_ADES = 5;
export const EXC_SYS = 8;
export const EXC_BP = 9;
export const EXC_RI = 10;
export const EXC_CPU = 11;
export const EXC_OV = 12;
export const EXC_TR = 13;
export const EXC_FPE = 15;

export interface ModelInfo {
  prid: number;
  config0: number;
  config1: number;
  config2: number;
  config3: number;
  statusMask: number;
  hasFpu: boolean;
  name: string;
}

export const MODELS: Record<CpuModel, ModelInfo> = {
  '24Kf': {
    prid: 0x00019300,
    config0: 0x80000482,
    config1: 0x9e190c8f,
    config2: 0x80000000,
    config3: 0,
    statusMask: 0x3678ff1f,
    hasFpu: true,
    name: 'MIPS 24Kf',
  },
  '4KEc': {
    prid: 0x00019000,
    config0: 0x80000482,
    config1: 0x9e190c8a,
    config2: 0x80000000,
    config3: 0,
    statusMask: 0x1278ff17,
    hasFpu: false,
    name: 'MIPS 4KEc',
  },
};

export const EXC_NAMES = [
  'Int', 'Mod', 'TLBL', 'TLBS', 'AdEL', 'AdES', 'IBE', 'DBE', 'Sys', 'Bp', 'RI', 'CpU', 'Ov', 'Tr', 'res14', 'FPE',
  'res16', 'res17', 'C2E', 'res19', 'res20', 'res21', 'MDMX', 'WATCH', 'MCheck', 'Thread', 'DSPDis', 'res27',
  'res28', 'res29', 'CacheErr', 'res31',
];
