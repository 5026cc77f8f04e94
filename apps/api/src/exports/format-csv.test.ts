import { describe, expect, it } from 'vitest';
import { formatCsv } from './format-csv.js';

describe('formatCsv', () => {
  it('writes a header and one CRLF-terminated record per row', () => {
    expect(
      formatCsv(
        ['epoch', 'loss'],
        [
          [1, 2.5],
          [2, 1.25],
        ],
      ),
    ).toBe('epoch,loss\r\n1,2.5\r\n2,1.25\r\n');
    expect(formatCsv(['epoch', 'loss'], [])).toBe('epoch,loss\r\n');
  });

  it('quotes fields with a comma, a double quote, a CR or a LF, doubling the quotes, and no others', () => {
    expect(
      formatCsv(
        ['name'],
        [['a,b'], ['say "hi"'], ['two\nlines'], ['cr\rlf'], ['"'], [' spaced '], ["it's; fine"], ['ünï']],
      ),
    ).toBe('name\r\n"a,b"\r\n"say ""hi"""\r\n"two\nlines"\r\n"cr\rlf"\r\n""""\r\n spaced \r\nit\'s; fine\r\nünï\r\n');
    expect(formatCsv(['a,b', 'c'], [[1, 2]])).toBe('"a,b",c\r\n1,2\r\n');
  });

  it('writes numbers at full precision, null as an empty field and booleans as words', () => {
    expect(
      formatCsv(['a', 'b', 'c', 'd', 'e', 'f', 'g'], [[0.1 + 0.2, 1 / 3, 1e-7, 123456789.123, -0, null, true]]),
    ).toBe('a,b,c,d,e,f,g\r\n0.30000000000000004,0.3333333333333333,1e-7,123456789.123,0,,true\r\n');
    // Every double reads back as itself.
    for (const value of [Math.PI, 0.7071067811865476, 5e-324, 1.7976931348623157e308, 2 ** 53 + 2]) {
      expect(Number(formatCsv(['x'], [[value]]).split('\r\n')[1])).toBe(value);
    }
  });

  it.each([
    ['=', '=1+2', "'=1+2"],
    ['+', '+1', "'+1"],
    ['-', '-1', "'-1"],
    ['@', '@SUM(A1)', "'@SUM(A1)"],
    ['a tab', '\tcmd', "'\tcmd"],
    // A CR needs quotes too: the guard goes inside them.
    ['a CR', '\r=cmd', '"\'\r=cmd"'],
  ])('puts a single quote in front of text that begins with %s', (_, text, field) => {
    expect(formatCsv(['name'], [[text]])).toBe(`name\r\n${field}\r\n`);
  });

  it('guards before quoting, doubling the quotes of a guarded field with a comma or quotes', () => {
    expect(formatCsv(['name'], [['=HYPERLINK("http://x")'], ['-a,b'], ['@"x"\nnext']])).toBe(
      'name\r\n"\'=HYPERLINK(""http://x"")"\r\n"\'-a,b"\r\n"\'@""x""\nnext"\r\n',
    );
  });

  it('leaves text that does not begin like a formula, numbers, booleans and null as they were', () => {
    expect(
      formatCsv(
        ['name', 'tag', 'quoted', 'loss', 'tiny', 'zero', 'flag', 'none'],
        [
          ['run 1', 'lr=0.1', "'=already", -1.5, -1e-7, -0, false, null],
          ['a-b', 'x+y@z', ' =spaced', -2.302585092994046, -123456789, 0, true, null],
          ['', 'é=', 'a\t=', -5e-324, -1.7976931348623157e308, 1, false, null],
        ],
      ),
    ).toBe(
      'name,tag,quoted,loss,tiny,zero,flag,none\r\n' +
        "run 1,lr=0.1,'=already,-1.5,-1e-7,0,false,\r\n" +
        'a-b,x+y@z, =spaced,-2.302585092994046,-123456789,0,true,\r\n' +
        ',é=,a\t=,-5e-324,-1.7976931348623157e+308,1,false,\r\n',
    );
    for (const value of [-Math.PI, -0.1 - 0.2, -5e-324, -(2 ** 53) - 2]) {
      expect(Number(formatCsv(['x'], [[value]]).split('\r\n')[1])).toBe(value);
    }
  });

  it('refuses a row with more or fewer fields than the header', () => {
    expect(() => formatCsv(['a', 'b'], [[1, 2], [3]])).toThrow(
      'Expected 2 CSV fields in row 2 (the header is row 0) but got 1.',
    );
    expect(() => formatCsv(['a'], [[1, 2]])).toThrow('Expected 1 CSV fields in row 1 (the header is row 0) but got 2.');
  });
});
