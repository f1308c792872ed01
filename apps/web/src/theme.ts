import { createTheme, type CSSVariablesResolver, type MantineColorSchemeManager, type MantineColorsTuple } from '@mantine/core';

/** One calm petrol-teal; shade 7 and darker pass WCAG AA for white text (5.8:1). */
const haven: MantineColorsTuple = [
  '#e8f6f7',
  '#d0ebee',
  '#a3d5db',
  '#72bec7',
  '#4aaab5',
  '#2f9ba8',
  '#1f8a97',
  '#12707c',
  '#0d5f69',
  '#084b53',
];

export const theme = createTheme({
  primaryColor: 'haven',
  primaryShade: 7,
  colors: { haven },
  defaultRadius: 'md',
  fontFamily:
    'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", Arial, sans-serif',
  headings: { fontWeight: '600' },
  focusRing: 'auto',
  cursorType: 'pointer',
  autoContrast: true,
  components: {
    // Fields are required unless their label says "(optional)" (the GOV.UK pattern), so labels
    // carry no asterisk and read the same to everyone.
    InputWrapper: { defaultProps: { withAsterisk: false } },
    Badge: { styles: { root: { textTransform: 'none', fontWeight: 600, overflow: 'visible' }, label: { overflow: 'visible' } } },
    Fieldset: {
      styles: {
        legend: { fontWeight: 600, fontSize: 'var(--mantine-font-size-lg)', marginBottom: 'var(--mantine-spacing-xs)' },
      },
    },
    Button: { defaultProps: { radius: 'md' } },
    Paper: { defaultProps: { radius: 'md' } },
    Card: { defaultProps: { radius: 'md' } },
  },
});

/**
 * Darker text colours than Mantine's defaults where those fall below WCAG AA (4.5:1) for small
 * text: secondary text, error messages and the text of light badges, alerts and buttons.
 */
export const cssVariablesResolver: CSSVariablesResolver = () => ({
  variables: {},
  light: {
    '--mantine-color-dimmed': '#5c636a',
    '--mantine-color-placeholder': '#6b7280',
    '--mantine-color-error': '#c92a2a',
    '--mantine-color-red-light-color': '#c92a2a',
    '--mantine-color-green-light-color': '#1e6b2e',
    '--mantine-color-orange-light-color': '#c2410c',
    '--mantine-color-haven-light-color': '#0d5f69',
  },
  dark: {},
});

/**
 * Light scheme only, and nothing written to localStorage: the app keeps only the chosen
 * language there (Mantine's default manager would store the colour scheme).
 */
export const memoryColorSchemeManager: MantineColorSchemeManager = {
  get: () => 'light',
  set: () => undefined,
  subscribe: () => undefined,
  unsubscribe: () => undefined,
  clear: () => undefined,
};
