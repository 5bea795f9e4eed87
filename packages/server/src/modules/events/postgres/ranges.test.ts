import { HOUR_MS, ROLLUP_BLOCK_HOURS, rollupBlocks, splitAroundHours } from './ranges';

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

describe('splitAroundHours', () => {
  const hour = Date.UTC(2026, 0, 10, 9);
  const at = (hours: number, minutes: number) => new Date(hour + hours * HOUR_MS + minutes * 60_000);
  const later = hour + 90 * 24 * HOUR_MS;

  it('reads each ragged end as it is, or as its whole hour less the rest, whichever is shorter', () => {
    expect(splitAroundHours({ from: at(0, 50), to: at(5, 10) }, later)).toEqual({
      rolled: { from: at(1, 0), to: at(5, 0) },
      raw: [
        { from: at(0, 50), to: at(1, 0) },
        { from: at(5, 0), to: at(5, 10) },
      ],
      less: [],
    });
    expect(splitAroundHours({ from: at(0, 10), to: at(5, 50) }, later)).toEqual({
      rolled: { from: at(0, 0), to: at(6, 0) },
      raw: [],
      less: [
        { from: at(0, 0), to: at(0, 10) },
        { from: at(5, 50), to: at(6, 0) },
      ],
    });
  });

  it('at the newest end, the rest of the hour after now holds no events yet: the hour less it', () => {
    // Forty minutes into the hour, now a second later: 40 minutes read raw, or one second.
    expect(splitAroundHours({ from: at(0, 0), to: at(5, 40) }, at(5, 40).getTime() + 1000)).toEqual({
      rolled: { from: at(0, 0), to: at(6, 0) },
      raw: [],
      less: [{ from: at(5, 40), to: at(6, 0) }],
    });
  });

  it('leaves aligned ranges and ranges inside one hour as splitByHours cuts them', () => {
    expect(splitAroundHours({ from: at(0, 0), to: at(3, 0) }, later)).toEqual({
      rolled: { from: at(0, 0), to: at(3, 0) },
      raw: [],
      less: [],
    });
    expect(splitAroundHours({ from: at(2, 5), to: at(2, 55) }, later)).toEqual({
      rolled: null,
      raw: [{ from: at(2, 5), to: at(2, 55) }],
      less: [],
    });
  });
});
