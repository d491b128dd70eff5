import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { Ansi } from '../../renderer/src/components/Ansi';

describe('ANSI colours in the log view', () => {
  it('renders colour codes as styled spans and never shows the escape bytes', () => {
    const html = renderToStaticMarkup(<Ansi text={'\x1b[31mERROR\x1b[0m disk \x1b[1;33mfull\x1b[0m'} />);
    expect(html).toContain('<span style="color:rgb(187, 0, 0)">ERROR</span>');
    expect(html).toMatch(/<span style="color:rgb\(255, 255, 85\);font-weight:bold">full<\/span>|<span style="color:rgb\(187, 187, 0\);font-weight:bold">full<\/span>/);
    expect(html).not.toContain('\x1b');
    expect(html).not.toContain('[31m');
  });

  it('plain text passes through, escaped as HTML', () => {
    expect(renderToStaticMarkup(<Ansi text="<script>alert(1)</script>" />)).toBe('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('256-colour and truecolour codes work too', () => {
    const html = renderToStaticMarkup(<Ansi text={'\x1b[38;5;208morange\x1b[0m \x1b[38;2;10;20;30mrgb\x1b[0m'} />);
    expect(html).toContain('orange</span>');
    expect(html).toContain('color:rgb(10, 20, 30)');
  });
});
