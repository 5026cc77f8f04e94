// CSV text as RFC 4180 defines it: a header record, CRLF after every record, and a field in double quotes when it
// holds a comma, a double quote, a CR or a LF, with each double quote inside doubled. Numbers are written at full
// precision (the shortest text that reads back as the same double, as JSON writes them); null is an empty field.
// Text that a spreadsheet would run as a formula gets a leading ' first, as OWASP's "CSV Injection" page advises.

export type CsvValue = string | number | boolean | null;

const NEEDS_QUOTES = /[",\r\n]/;
/** First characters that make Excel and LibreOffice Calc read a cell as a formula (OWASP's list). */
const FORMULA_START = /^[=+\-@\t\r]/;

/** The CSV text of `rows` under `header`; every row must have one value per header field. */
export function formatCsv(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  const records = [header, ...rows].map((record, index) => {
    if (record.length !== header.length) {
      throw new Error(
        `Expected ${header.length} CSV fields in row ${index} (the header is row 0) but got ${record.length}.`,
      );
    }
    return record.map(formatField).join(',');
  });
  return records.map((record) => `${record}\r\n`).join('');
}

function formatField(value: CsvValue): string {
  if (value === null) return '';
  // Only text is guarded: a negative number keeps its bare '-', so that it reads back as the same number.
  const text = typeof value === 'string' ? guardFormula(value) : String(value);
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** `text` with a ' in front when it begins like a formula, so a spreadsheet shows it as text instead of running it. */
function guardFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}
