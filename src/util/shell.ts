/** Quotes `s` as one word for a POSIX shell: the shell gives back exactly `s`, whatever it holds. */
export function shellQuote(s: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
