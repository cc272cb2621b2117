// Plain-text output for terminals: aligned columns, key/value lists, and the few value formats
// (times, ages, milliseconds, rates) every command shares, so all tables read alike.

interface Column {
  header: string;
  /** Numbers read best right-aligned. @default 'left' */
  align?: 'left' | 'right';
}

/** Two spaces between columns; no trailing spaces, so the output diffs and greps cleanly. */
const GAP = '  ';

export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  return alignRows([columns.map((c) => c.header), ...rows], columns.map((c) => c.align ?? 'left'));
}

/** `label  value` lines with the values aligned, for one record (a job, the queue). */
export function renderFields(fields: readonly (readonly [string, string])[]): string {
  return alignRows(fields, ['left', 'left']);
}

function alignRows(rows: readonly (readonly string[])[], align: readonly ('left' | 'right')[]): string {
  const widths = align.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      align
        .map((a, i) => (a === 'right' ? (r[i] ?? '').padStart(widths[i]!) : (r[i] ?? '').padEnd(widths[i]!)))
        .join(GAP)
        .trimEnd(),
    )
    .join('\n');
}

export const NONE = '-';
/** Error messages in tables are cut here; --json and `jobs show` fields have them whole. */
export const ERROR_WIDTH = 60;

/** UTC to the second: `2026-01-02T10:00:00Z`. Exact, sortable, the same on every machine. */
export function formatTime(at: Date | null | undefined): string {
  return at ? `${at.toISOString().slice(0, 19)}Z` : NONE;
}

/** An age at the precision a person reads it: `45s`, `12m 5s`, `2h 0m`, `3d 4h`. */
export function formatAge(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return NONE;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

/** At most `decimals` decimals, none when whole: 55.5, 12, 0.3. */
export function formatNumber(n: number | null | undefined, decimals = 1): string {
  const scale = 10 ** decimals;
  return n === null || n === undefined ? NONE : String(Math.round(n * scale) / scale);
}

/** A 0..1 ratio as a percentage with one decimal: `66.7%`. */
export function formatRate(r: number | null | undefined): string {
  return r === null || r === undefined ? NONE : `${(r * 100).toFixed(1)}%`;
}

/** Cuts long text (error messages) to keep a table on one screen; --json has it whole. */
export function truncate(text: string | null | undefined, max: number): string {
  if (!text) return NONE;
  const line = text.replace(/\s+/g, ' ');
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}
