/** The preset format shared by the web app and the CLI: see preset.ts and link.ts. */
export * from './preset';
export * from './link';
export * from './builtin';
