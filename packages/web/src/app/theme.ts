import {
  type AnchorProps,
  type CSSVariablesResolver,
  DEFAULT_THEME,
  type ModalProps,
  type NotificationProps,
  type PasswordInputProps,
  createTheme,
} from '@mantine/core';
import { AA_NORMAL_TEXT, firstReadable } from './contrast';

/** A little above 4.5:1, so that rounding and anti-aliasing never drop a text below AA. */
const TEXT_CONTRAST = AA_NORMAL_TEXT + 0.1;
const WHITE = '#ffffff';
/** The page background behind cards (gray.0) and the lightest tinted backgrounds. */
const PAGE = DEFAULT_THEME.colors.gray[0];

export const theme = createTheme({
  primaryColor: 'indigo',
  defaultRadius: 'md',
  fontFamily:
    'Inter, ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif',
  headings: { fontWeight: '650' },
  cursorType: 'pointer',
  // Dialogs, menus and notifications appear without sliding for people who ask for less motion.
  respectReducedMotion: true,
  // Default props as plain objects (typed by each component's props) rather than `X.extend(…)`:
  // importing a component here would put it, and all it uses, in the first load of every page.
  components: {
    // A link inside a sentence is told apart by more than its colour (axe `link-in-text-block`).
    Anchor: { defaultProps: { underline: 'always' } satisfies Partial<AnchorProps> },
    // Every dialog's × has a name (axe `button-name`), whichever way the dialog is built.
    Modal: { defaultProps: { closeButtonProps: { 'aria-label': 'Close' } } satisfies Partial<ModalProps> },
    Notification: {
      defaultProps: { closeButtonProps: { 'aria-label': 'Close notification' } } satisfies Partial<NotificationProps>,
    },
    // The show/hide button is a real stop in the Tab order, with a name that says what it does.
    PasswordInput: { defaultProps: { visibilityToggleFocusable: true } satisfies Partial<PasswordInputProps> },
  },
});

/**
 * Mantine's light scheme draws several texts below WCAG AA: dimmed text (gray.6, 3.3:1),
 * error text (red.6, 3.3:1), white on filled buttons (indigo.6 4.3:1, red.6 3.3:1), and the
 * text of light badges and alerts (green.9 on green.1 3.8:1, yellow.9 on yellow.1 2.7:1).
 * This one resolver moves each of them to the first shade (or a darker mix of shade 9) that
 * reaches 4.5:1 on the backgrounds it is drawn on; every component reads these variables.
 */
export const cssVariablesResolver: CSSVariablesResolver = (resolved) => {
  const light: Record<string, string> = {};
  for (const [name, shades] of Object.entries(resolved.colors)) {
    if (name === 'dark' || name === 'gray') continue;
    // Filled buttons and badges: white text on the colour. Outline and plain text: the colour on white.
    const filled = firstReadable([shades[6], shades[7], shades[8], shades[9]], [WHITE, PAGE], TEXT_CONTRAST);
    // Light variants: the colour's text on its own tint (shade 1, shade 2 on hover).
    const lightText = firstReadable([shades[9]], [shades[1], shades[2]], TEXT_CONTRAST);
    light[`--mantine-color-${name}-filled`] = filled;
    light[`--mantine-color-${name}-filled-hover`] = firstReadable([filled], [WHITE], TEXT_CONTRAST + 1);
    light[`--mantine-color-${name}-outline`] = filled;
    light[`--mantine-color-${name}-text`] = filled;
    light[`--mantine-color-${name}-light-color`] = lightText;
  }
  const gray = resolved.colors.gray;
  const primary = resolved.colors[resolved.primaryColor] ?? resolved.colors.indigo;
  light['--mantine-color-dimmed'] = firstReadable(
    ['#5f666d', gray[7]],
    [WHITE, PAGE, gray[1], primary[1]],
    TEXT_CONTRAST,
  );
  light['--mantine-color-error'] = light['--mantine-color-red-filled'] ?? resolved.colors.red[9];
  light['--mantine-color-anchor'] = light[`--mantine-color-${resolved.primaryColor}-filled`] ?? primary[9];
  return { variables: {}, light, dark: {} };
};
