import { escapeHtml, html } from './html';

describe('html templates', () => {
  it('escapes the five characters that can break out of text or an attribute', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });

  it('escapes every interpolated value and keeps nested templates as markup', () => {
    const team = '<img src=x onerror=alert(1)>';
    const rows = ['Ada & Co', '"Bob"'].map((name) => html`<li>${name}</li>`);
    // prettier-ignore
    const out = html`<p title="${team}">Join ${team}</p><ul>${rows}</ul><p>${3}</p>`;
    expect(out.value).toBe(
      '<p title="&lt;img src=x onerror=alert(1)&gt;">Join &lt;img src=x onerror=alert(1)&gt;</p>' +
        '<ul><li>Ada &amp; Co</li><li>&quot;Bob&quot;</li></ul><p>3</p>',
    );
    expect(String(out)).toBe(out.value);
  });
});
