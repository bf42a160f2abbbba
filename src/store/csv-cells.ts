/**
 * Spreadsheet formula injection: a cell starting with `=`, `+`, `-` or `@` (or a tab or carriage
 * return) is run as a formula by Excel and friends. Export prefixes such cells with `'`, which
 * spreadsheets show as text; import removes exactly that prefix so an export re-imports unchanged.
 */

const FORMULA_START = /^[=+\-@\t\r]/;

/** The cell as written to an exported CSV. */
export function escapeCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** Undoes {@link escapeCell} on an imported cell; any other cell is returned as it is. */
export function unescapeCell(value: string): string {
  return value.startsWith("'") && FORMULA_START.test(value.slice(1)) ? value.slice(1) : value;
}
