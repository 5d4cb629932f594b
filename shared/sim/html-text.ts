/**
 * Text for the report's HTML sections: escaping and local clock times, one definition for every section
 * (report.ts and the VPA, quota and control-plane sections).
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
