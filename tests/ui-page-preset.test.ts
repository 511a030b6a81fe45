import { describe, expect, it } from 'vitest';
import { DEFAULT_PRESET, decodePresetFragment } from '../src/preset';
import { currentPreset, loadList, presetOfPage, shareLink } from '../src/ui/state/page-preset';
import type { AppInfo } from '../src/ui/worker/protocol';

const app = (file: string, kind: 'opk' | 'dge' = 'opk'): AppInfo => ({ kind, file, guestPath: `/x/${file}`, name: file, comment: '', problems: [], pending: false });

describe("the page's preset", () => {
  it('comes from the link, or is the default with the reason when the link is bad', () => {
    expect(presetOfPage('https://h/odtab/')).toEqual({ preset: DEFAULT_PRESET });
    expect(presetOfPage('https://h/#v=1&g=debian&m=64').preset).toEqual({ version: 1, builtin: 'debian', mem: 64 });
    const bad = presetOfPage('https://h/#v=1&m=lots');
    expect(bad.preset).toEqual(DEFAULT_PRESET);
    expect(bad.error).toMatch(/^bad preset: mem must be .*: booting the default guest instead$/);
    expect(presetOfPage('https://h/#v=9').error).toContain('version 9 is not supported');
  });

  it('shares the booted preset with its URL apps; dropped .opk files are named as left behind', () => {
    const booted = decodePresetFragment('#v=1&g=odtab&a=https%3A%2F%2Fe.org%2Fa.opk&c=quiet');
    const now = currentPreset(booted, [app('a.opk'), app('mine.opk'), app('fbtest.dge', 'dge')]);
    expect(now.apps).toEqual(['https://e.org/a.opk', 'local:mine.opk']);
    const { url, left } = shareLink(now, 'https://h/odtab/#old');
    expect(url.startsWith('https://h/odtab/#v=1&')).toBe(true);
    expect(decodePresetFragment(url)).toEqual(booted);
    expect(left).toEqual(['mine.opk (apps)']);
  });

  it('lists what is loaded from where', () => {
    const list = loadList(decodePresetFragment('#v=1&g=odtab&r=rootfs2.bin&a=local%3Ax.opk&m=64'), 'https://h/guest/', 'https://h/app/');
    expect(list).toEqual([
      { what: "built-in guest 'odtab' (the rest of it)", from: 'https://h/guest/' },
      { what: 'rootfs rootfs2.bin', from: 'https://h/app/rootfs2.bin' },
      { what: 'app x.opk', from: "this browser's disks" },
      { what: '64 MiB RAM', from: 'the link' },
    ]);
  });
});
