import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_SCOPES, API_KEY_ROLE_SCOPES, MEMBER_ROLE_SCOPES, can, canAll, scopesFor } from './scopes';
import { API_KEY_ROLES, MEMBER_ROLES } from './roles';

// DESIGN.md's table, copied verbatim. The test below also compares this copy with
// ../shared/DESIGN.md when that file is beside the checkout, so the copy cannot drift.
const DESIGN_TABLE = `
| scope | OWNER | ADMIN | EDITOR | VIEWER | key ADMIN | key EDITOR | key VIEWER |
|---|---|---|---|---|---|---|---|
| events.track | | | | | ✓ | ✓ | |
| analytics.view | ✓ | ✓ | ✓ | ✓ | ✓ | ✓ | ✓ |
| analytics.export | ✓ | ✓ | ✓ | | ✓ | ✓ | |
| workspace.read | ✓ | ✓ | ✓ | ✓ | ✓ | | ✓ |
| filters.manage | ✓ | ✓ | ✓ | | ✓ | ✓ | |
| annotations.manage | ✓ | ✓ | ✓ | | ✓ | ✓ | |
| members.read | ✓ | ✓ | ✓ | ✓ | | | |
| members.manage | ✓ | ✓ | | | | | |
| keys.read | ✓ | ✓ | ✓ | ✓ | | | |
| keys.manage | ✓ | ✓ | | | | | |
| workspace.manage | ✓ | ✓ | | | | | |
| workspace.delete | ✓ | | | | | | |
| audit.read | ✓ | ✓ | | | | | |
`.trim();

function parseTable(markdown: string): { header: string[]; rows: string[][] } {
  const lines = markdown.split('\n').map((line) => line.trim());
  const cells = (line: string) =>
    line
      .replace(/^\|/, '')
      .replace(/\|$/, '')
      .split('|')
      .map((cell) => cell.trim());
  const [headerLine, , ...rowLines] = lines;
  return { header: cells(headerLine ?? ''), rows: rowLines.map(cells) };
}

const table = parseTable(DESIGN_TABLE);

function held(column: string): readonly string[] {
  if (column.startsWith('key ')) {
    const role = column.slice(4) as keyof typeof API_KEY_ROLE_SCOPES;
    return API_KEY_ROLE_SCOPES[role];
  }
  return MEMBER_ROLE_SCOPES[column as keyof typeof MEMBER_ROLE_SCOPES];
}

describe('role → scope tables', () => {
  it('match the table in ../shared/DESIGN.md when it is there', () => {
    const designPath = join(__dirname, '../../../../shared/DESIGN.md');
    if (!existsSync(designPath)) return;
    const design = readFileSync(designPath, 'utf8');
    const start = design.indexOf('| scope |');
    const block = design
      .slice(start)
      .split('\n')
      .filter((line, index, all) => all.slice(0, index + 1).every((l) => l.trim().startsWith('|')))
      .join('\n');
    expect(block.trim()).toBe(DESIGN_TABLE);
  });

  it('lists every scope exactly once, in table order', () => {
    expect(table.rows.map((row) => row[0])).toEqual([...ALL_SCOPES]);
  });

  it('covers every role and key role as a column', () => {
    expect(table.header.slice(1)).toEqual([...MEMBER_ROLES, ...API_KEY_ROLES.map((r) => `key ${r}`)]);
  });

  const cells = table.rows.flatMap((row) =>
    table.header.slice(1).map((column, i) => ({ scope: row[0] ?? '', column, granted: row[i + 1] === '✓' })),
  );

  it.each(cells)('$column holds $scope: $granted', ({ scope, column, granted }) => {
    expect(held(column).includes(scope)).toBe(granted);
  });

  it('never gives an API key a member or key management scope', () => {
    for (const role of API_KEY_ROLES) {
      const scopes = scopesFor({ kind: 'apiKey', role });
      expect(scopes).not.toContain('members.manage');
      expect(scopes).not.toContain('members.read');
      expect(scopes).not.toContain('keys.manage');
      expect(scopes).not.toContain('keys.read');
    }
  });

  it('distinguishes a key ADMIN from a member ADMIN', () => {
    expect(scopesFor({ kind: 'member', role: 'ADMIN' })).toContain('keys.manage');
    expect(scopesFor({ kind: 'apiKey', role: 'ADMIN' })).not.toContain('keys.manage');
  });

  it('can / canAll check held scopes from sets and lists', () => {
    expect(can(new Set(['keys.read']), 'keys.read')).toBe(true);
    expect(can(['keys.read'], 'keys.manage')).toBe(false);
    expect(can(null, 'keys.read')).toBe(false);
    expect(canAll(['keys.read', 'keys.manage'], ['keys.read', 'keys.manage'])).toBe(true);
    expect(canAll(['keys.read'], ['keys.read', 'keys.manage'])).toBe(false);
  });
});
