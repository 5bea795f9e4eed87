import { coreStylesheetsInOrder, mantineClassesOfSource, mantineStylesheetReport } from './mantine-stylesheets';

// The dashboard imports Mantine's stylesheets one component at a time (src/app/mantine-styles.ts),
// not the whole @mantine/core/styles.css: less CSS before the first render, and fewer rules for
// every style recalculation to match. A component whose stylesheet is not imported renders
// unstyled, and no type check sees it: this test does, from Mantine's own files
// (mantine-stylesheets.ts), for every component imported from a @mantine package anywhere in src/.
describe("Mantine's stylesheets", () => {
  const report = mantineStylesheetReport();

  it('the walk finds the components src/ imports and the classes they render', () => {
    // A walk that found nothing would pass everything below.
    const { classes, imported } = mantineClassesOfSource();
    expect(imported).toEqual(expect.arrayContaining(['@mantine/core Button', '@mantine/core MantineProvider']));
    expect(classes.size).toBeGreaterThan(100);
    expect(report.needed).toEqual(expect.arrayContaining(['global.css', 'UnstyledButton.css', 'Button.css']));
  });

  it('every class a component of src/ can render is styled by an imported stylesheet', () => {
    const missing = [...report.missing].map(([file, why]) => `import '@mantine/core/styles/${file}' (${why})`);
    expect(missing).toEqual([]);
    expect(report.unplaced).toEqual([]);
  });

  it("core's stylesheets are imported in Mantine's own order (a component's after those it builds on)", () => {
    const order = coreStylesheetsInOrder();
    for (const { file, stylesheets } of report.coreImports) {
      const positions = stylesheets.map((sheet) => order.indexOf(sheet));
      expect({ file, stylesheets: [...stylesheets].sort((a, b) => order.indexOf(a) - order.indexOf(b)) }).toEqual({
        file,
        stylesheets,
      });
      expect(positions).not.toContain(-1);
    }
  });

  it('no stylesheet is imported that no component needs', () => {
    const imported = report.coreImports.flatMap(({ stylesheets }) => stylesheets);
    expect(imported.filter((sheet) => !report.needed.includes(sheet))).toEqual([]);
  });
});
