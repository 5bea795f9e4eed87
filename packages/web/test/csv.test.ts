import { csvCell, fileSafe, toCsv } from '../src/modules/analytics/csv';

describe('CSV of what a page shows', () => {
  it('quotes commas, quotes and line breaks, doubling quotes', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('line\nbreak')).toBe('"line\nbreak"');
    expect(csvCell('cr\r\nlf')).toBe('"cr\r\nlf"');
    expect(csvCell(' padded ')).toBe('" padded "');
  });

  it('neutralises a formula: = + - @ tab and CR get a leading quote', () => {
    expect(csvCell('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvCell('+cmd')).toBe("'+cmd");
    expect(csvCell('-1')).toBe("'-1");
    expect(csvCell('@user')).toBe("'@user");
    expect(csvCell('\tlead')).toBe("'\tlead");
    expect(csvCell('a=b')).toBe('a=b');
  });

  it('numbers stay numbers (a negative one too); null and undefined are empty', () => {
    expect(csvCell(-3)).toBe('-3');
    expect(csvCell(0.125)).toBe('0.125');
    expect(csvCell(Number.NaN)).toBe('');
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell('')).toBe('""');
    expect(csvCell(true)).toBe('true');
  });

  it('a header and rows, CRLF after each line', () => {
    expect(
      toCsv(
        ['value', 'count'],
        [
          ['pro', 3],
          [null, 1],
        ],
      ),
    ).toBe('value,count\r\npro,3\r\n,1\r\n');
  });

  it('file names keep only safe characters', () => {
    expect(fileSafe('search_doc/s v2')).toBe('search_doc-s-v2');
    expect(fileSafe('///')).toBe('data');
  });
});
