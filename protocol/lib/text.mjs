// Small text helpers shared by the renderers.

// Words wrapped into lines of at most `width` characters, each with `prefix`
// (e.g. "// "). A word longer than the width gets a line of its own.
export function wrap(text, width, prefix = '') {
  const lines = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && prefix.length + line.length + 1 + word.length > width) {
      lines.push(prefix + line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(prefix + line);
  return lines;
}

// A Markdown table: header cells, then rows of cells.
export function table(head, rows) {
  const cell = (c) => String(c).replaceAll('|', '\\|');
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ];
}

// A JavaScript single-quoted string literal.
export const jsString = (s) => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;

// "host, extension" → "host and extension"; three: "a, b and c".
export function andList(items) {
  if (items.length < 2) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}
