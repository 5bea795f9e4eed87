/**
 * WCAG 2 contrast arithmetic for the theme: every text colour the dashboard uses must reach
 * 4.5:1 against the background it is drawn on (WCAG AA for normal text).
 */

export const AA_NORMAL_TEXT = 4.5;

function channels(hex: string): [number, number, number] {
  const match = /^#([0-9a-f]{6})$/i.exec(hex);
  if (!match?.[1]) throw new Error(`Expected a #rrggbb colour, got ${hex}`);
  const value = parseInt(match[1], 16);
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
}

function toHex([r, g, b]: [number, number, number]): string {
  return `#${[r, g, b].map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`;
}

/** Relative luminance (WCAG 2.x). */
export function relativeLuminance(hex: string): number {
  const [r, g, b] = channels(hex).map((c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function contrastRatio(a: string, b: string): number {
  const [light, dark] = [relativeLuminance(a), relativeLuminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

/** `hex` mixed with black: 0 leaves it, 1 is black. */
export function darken(hex: string, amount: number): string {
  const [r, g, b] = channels(hex);
  const keep = 1 - amount;
  return toHex([r * keep, g * keep, b * keep]);
}

/**
 * The first candidate that reaches `minimum` against every background; past the last one,
 * the last candidate darkened step by step until it does.
 */
export function firstReadable(candidates: readonly string[], backgrounds: readonly string[], minimum: number): string {
  const readable = (color: string) => backgrounds.every((bg) => contrastRatio(color, bg) >= minimum);
  const found = candidates.find(readable);
  if (found) return found;
  const last = candidates[candidates.length - 1];
  if (last === undefined) throw new Error('No candidate colours');
  for (let amount = 0.04; amount < 1; amount += 0.04) {
    const darker = darken(last, amount);
    if (readable(darker)) return darker;
  }
  return '#000000';
}
