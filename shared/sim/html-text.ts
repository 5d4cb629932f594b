/**
 * Text for the report's HTML sections: escaping, local clock times and the box tables scroll in, one
 * definition for every section (report.ts and the VPA, quota, control-plane and comparison sections).
 */

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** @example escapeHtml('<b>') // '&lt;b&gt;' */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

/**
 * The local wall-clock time of `t` in the scenario's offset, `HH:MM` (or `HH:MM:SS`).
 *
 * @example localClock(Date.UTC(2025, 5, 2, 22, 0), 120) // '00:00'
 */
export function localClock(t: number, utcOffsetMinutes: number, seconds = false): string {
  return new Date(t + utcOffsetMinutes * 60_000).toISOString().slice(11, seconds ? 19 : 16);
}

/** The class of the box each table of the report scrolls in (report.ts's style sizes it). */
export const TABLE_BOX_CLASS = 'table-box';

/**
 * Puts every `<table>…</table>` of report HTML in a box of its own that scrolls, so a wide table (no
 * wrapping cells) stays as wide as the page and a long one keeps its header in sight. The report's tables
 * do not nest; the text in them is escaped, so `<table` only ever starts a table.
 *
 * @example boxTables('<table><tr><td>1</td></tr></table>')
 * // '<div class="table-box"><table><tr><td>1</td></tr></table></div>'
 */
export function boxTables(html: string): string {
  return html.replace(
    /<table[\s>][\s\S]*?<\/table>/g,
    (table) => `<div class="${TABLE_BOX_CLASS}">${table}</div>`,
  );
}
