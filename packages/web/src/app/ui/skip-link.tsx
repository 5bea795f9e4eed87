/** The id of the page's <main>, the skip link's target. */
export const MAIN_CONTENT_ID = 'main-content';

/**
 * "Skip to content": the first stop of the Tab order, shown only while focused (theme.css).
 * It moves focus into <main> without touching the address (a `#…` would be a navigation).
 */
export function SkipLink() {
  return (
    <a
      className="tally-skip-link"
      href={`#${MAIN_CONTENT_ID}`}
      onClick={(event) => {
        event.preventDefault();
        document.getElementById(MAIN_CONTENT_ID)?.focus();
      }}
    >
      Skip to content
    </a>
  );
}

/** Moves focus to the heading of the page in <main> (PageHeader marks it), if there is one. */
export function focusPageHeading(): void {
  const heading = document.querySelector<HTMLElement>(`#${MAIN_CONTENT_ID} [data-page-heading]`);
  heading?.focus({ preventScroll: false });
}
