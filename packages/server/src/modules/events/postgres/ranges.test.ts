import { HOUR_MS, ROLLUP_BLOCK_HOURS, rollupBlocks } from './ranges';

describe('rollupBlocks', () => {
  it('covers a range of whole hours exactly, with aligned blocks, at most 15 for 30 days (8 for whole days)', () => {
    const first = Date.UTC(2026, 0, 1) / HOUR_MS;
    for (let offset = 0; offset < 40 * 24; offset += 11) {
      for (const length of [1, 2, 5, 23, 24, 25, 7 * 24, 30 * 24, 31 * 24, 30 * 24 + 11, 90 * 24]) {
        const from = new Date((first + offset) * HOUR_MS);
        const to = new Date((first + offset + length) * HOUR_MS);
        const blocks = rollupBlocks({ from, to });
        let at = from.getTime();
        for (const block of blocks) {
          expect(block.start.getTime()).toBe(at);
          expect([1, 24, ...ROLLUP_BLOCK_HOURS]).toContain(block.hours);
          expect((block.start.getTime() / HOUR_MS) % block.hours).toBe(0);
          at += block.hours * HOUR_MS;
        }
        expect(at).toBe(to.getTime());
        if (length <= 31 * 24) expect(blocks.length).toBeLessThanOrEqual(15);
        if (length <= 31 * 24 && offset % 24 === 0 && length % 24 === 0) expect(blocks.length).toBeLessThanOrEqual(8);
      }
    }
  });

  it('cuts the hours before a midnight into at most 6 blocks', () => {
    const midnight = Date.UTC(2026, 0, 2) / HOUR_MS;
    for (let hours = 1; hours < 24; hours += 1) {
      const blocks = rollupBlocks({ from: new Date((midnight - hours) * HOUR_MS), to: new Date(midnight * HOUR_MS) });
      expect(blocks.length).toBeLessThanOrEqual(6);
    }
  });
});
