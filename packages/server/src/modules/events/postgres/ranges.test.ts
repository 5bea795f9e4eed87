import { DAY_MS, HISTOGRAM_BLOCK_DAYS, dayBlocks } from './ranges';

describe('dayBlocks', () => {
  it('covers a range of whole days exactly, with aligned blocks, at most 8 for 30 days', () => {
    const first = Date.UTC(2026, 0, 1) / DAY_MS;
    for (let offset = 0; offset < 70; offset += 1) {
      for (const length of [1, 2, 7, 30, 31, 90]) {
        const from = new Date((first + offset) * DAY_MS);
        const to = new Date((first + offset + length) * DAY_MS);
        const blocks = dayBlocks({ from, to });
        let at = from.getTime();
        for (const block of blocks) {
          expect(block.start.getTime()).toBe(at);
          expect([1, ...HISTOGRAM_BLOCK_DAYS]).toContain(block.days);
          expect((block.start.getTime() / DAY_MS) % block.days).toBe(0);
          at += block.days * DAY_MS;
        }
        expect(at).toBe(to.getTime());
        if (length <= 31) expect(blocks.length).toBeLessThanOrEqual(8);
      }
    }
  });
});
