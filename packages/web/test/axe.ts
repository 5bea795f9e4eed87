import axe from 'axe-core';
import type { Page } from 'playwright-core';

declare global {
  interface Window {
    axe?: typeof axe;
  }
}

/** A violation as the check reports it: rule, impact, and where. */
export interface Violation {
  rule: string;
  impact: string;
  help: string;
  nodes: string[];
}

/** The impacts that fail the check (issue 9: "any serious or critical violation"). */
const FAILING = new Set(['serious', 'critical']);

/**
 * Runs axe-core (injected from the npm package, no network) on the page as it is now, WCAG 2.x
 * A and AA rules plus axe's best practices, and returns the serious and critical violations.
 */
export async function seriousViolations(page: Page): Promise<Violation[]> {
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) {
    // Evaluated through the DevTools protocol: an inline <script> tag would be refused by the
    // dashboard's Content-Security-Policy (script-src 'self').
    await page.evaluate(axe.source);
  }
  const violations = await page.evaluate(async () => {
    const engine = window.axe;
    if (!engine) throw new Error('axe-core did not load');
    const results = await engine.run(document, { resultTypes: ['violations'] });
    return results.violations.map((v) => ({
      rule: v.id,
      impact: v.impact ?? 'unknown',
      help: v.help,
      nodes: v.nodes.map((n) => `${n.target.join(' ')} — ${n.failureSummary ?? ''}`.replace(/\s+/g, ' ')),
    }));
  });
  return violations.filter((v) => FAILING.has(v.impact));
}

/** Fails with every serious or critical violation on the page, named after `where`. */
export async function expectAccessible(page: Page, where: string): Promise<void> {
  const found = await seriousViolations(page);
  if (found.length > 0) {
    const report = found
      .map((v) => `  [${v.impact}] ${v.rule}: ${v.help}\n${v.nodes.map((n) => `    ${n}`).join('\n')}`)
      .join('\n');
    throw new Error(`axe-core found ${found.length} serious or critical violation(s) on ${where}:\n${report}`);
  }
}
