import { BOOT_HELP, UsageError, parseBootArgs } from './args';
import { EXIT_BAD_INPUT, boot } from './boot';
import { diskCommand } from './disk';

const HELP = `Usage: odtab <command> [options]

Commands:
  boot      boot the MIPS Malta machine (see odtab boot --help)
  disk      make, list and change FAT disk images (see odtab disk --help)

odtab runs OpenDingux-style MIPS Linux guests on an emulated Malta board.
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (!command || command === '-h' || command === '--help' || command === 'help') {
      process.stdout.write(HELP);
      return command ? 0 : EXIT_BAD_INPUT;
    }
    if (command === 'boot') {
      const opts = parseBootArgs(rest, !!process.stdin.isTTY);
      if (opts === 'help') {
        process.stdout.write(BOOT_HELP);
        return 0;
      }
      return await boot(opts);
    }
    if (command === 'disk') return await diskCommand(rest);
    throw new UsageError(`unknown command '${command}' (try odtab --help)`);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`odtab: ${e.message}\n`);
      return EXIT_BAD_INPUT;
    }
    throw e;
  }
}
