import { DEFAULT_THEME, mergeMantineTheme } from '@mantine/core';
import { contrastRatio } from '../src/app/contrast';
import { cssVariablesResolver, theme } from '../src/app/theme';

// The theme's one change for WCAG AA (issue 9, item 13): every text colour it sets reaches
// 4.5:1 on the backgrounds it is drawn on. axe-core checks the pages; this checks every colour,
// including those no page happens to show today.
const resolved = mergeMantineTheme(DEFAULT_THEME, theme);
const light: Record<string, string> = cssVariablesResolver(resolved).light;
const WHITE = '#ffffff';
const PAGE = resolved.colors.gray[0];

function variable(name: string): string {
  const value = light[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
}

const COLORS = Object.keys(resolved.colors).filter((name) => name !== 'dark' && name !== 'gray');

describe('the theme meets WCAG AA', () => {
  it.each(COLORS)('%s: white on filled, filled on white, light text on its tint', (name) => {
    const shades = resolved.colors[name];
    if (!shades) throw new Error(`no colour ${name}`);
    const filled = variable(`--mantine-color-${name}-filled`);
    expect(contrastRatio(WHITE, filled)).toBeGreaterThanOrEqual(4.5);
    expect(contrastRatio(filled, PAGE)).toBeGreaterThanOrEqual(4.5);
    expect(variable(`--mantine-color-${name}-text`)).toBe(filled);
    expect(variable(`--mantine-color-${name}-outline`)).toBe(filled);
    const lightText = variable(`--mantine-color-${name}-light-color`);
    expect(contrastRatio(lightText, shades[1])).toBeGreaterThanOrEqual(4.5);
    expect(contrastRatio(lightText, shades[2])).toBeGreaterThanOrEqual(4.5);
  });

  it('dimmed, error and link text', () => {
    for (const background of [WHITE, PAGE, resolved.colors.gray[1], resolved.colors.indigo[1]]) {
      expect(contrastRatio(variable('--mantine-color-dimmed'), background)).toBeGreaterThanOrEqual(4.5);
    }
    expect(contrastRatio(variable('--mantine-color-error'), WHITE)).toBeGreaterThanOrEqual(4.5);
    expect(contrastRatio(variable('--mantine-color-anchor'), WHITE)).toBeGreaterThanOrEqual(4.5);
  });

  it('the issue’s measurements were real: Mantine’s defaults fall short', () => {
    expect(contrastRatio(WHITE, resolved.colors.indigo[6])).toBeLessThan(4.5);
    expect(contrastRatio(resolved.colors.gray[6], WHITE)).toBeLessThan(4.5);
    expect(contrastRatio(resolved.colors.yellow[9], resolved.colors.yellow[1])).toBeLessThan(4.5);
  });
});
