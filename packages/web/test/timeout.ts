// Every browser test drives a real Chromium through many steps, each waiting for the page: on a
// busy 2-core machine one such test can pass 30 s (the suite's default) without anything being
// wrong. A bound, not a timing assertion; files that need longer set their own.
jest.setTimeout(90_000);
