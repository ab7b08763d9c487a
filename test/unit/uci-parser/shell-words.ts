/** Split one line of POSIX shell syntax into words (quotes and backslashes; no expansions), for the vector scripts. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === ' ' || c === '\t') {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated ' in ${line}`);
      cur += line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\' && '"\\$`'.includes(line[i + 1] ?? '')) i++;
        cur += line[i];
        i++;
      }
      if (i >= line.length) throw new Error(`unterminated " in ${line}`);
    } else if (c === '\\') {
      i++;
      cur += line[i] ?? '';
    } else cur += c;
  }
  if (inWord) words.push(cur);
  return words;
}
