/**
 * A small XML well-formedness check for the SVG tests: every tag closes in
 * order, attributes are quoted and unique, every `&` starts a known entity,
 * no raw `<` in text, one root element. Returns the problems found (none when
 * the document is well formed).
 */
export function xmlProblems(doc: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  let roots = 0;
  const entity = /^&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/;
  let i = 0;
  const checkText = (s: string, at: number): void => {
    for (let k = s.indexOf('&'); k !== -1; k = s.indexOf('&', k + 1)) {
      if (!entity.test(s.slice(k))) problems.push(`bad entity at ${at + k}`);
    }
    if (s.includes('>') && stack.length === 0 && s.trim() !== '') problems.push(`text outside the root at ${at}`);
  };
  while (i < doc.length) {
    const lt = doc.indexOf('<', i);
    const textEnd = lt === -1 ? doc.length : lt;
    const txt = doc.slice(i, textEnd);
    checkText(txt, i);
    if (stack.length === 0 && txt.trim() !== '') problems.push(`text outside the root at ${i}`);
    if (lt === -1) break;
    const gt = doc.indexOf('>', lt);
    if (gt === -1) { problems.push(`unterminated tag at ${lt}`); break; }
    const tag = doc.slice(lt + 1, gt);
    i = gt + 1;
    if (tag.startsWith('?') || tag.startsWith('!--')) continue;
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> closes <${open ?? 'nothing'}> at ${lt}`);
      continue;
    }
    const selfClosing = tag.endsWith('/');
    const m = /^([A-Za-z_][\w:.-]*)((?:\s+[A-Za-z_][\w:.-]*="[^"<]*")*)\s*\/?$/.exec(tag);
    if (m === null) { problems.push(`malformed tag <${tag.slice(0, 40)}> at ${lt}`); continue; }
    const names = [...m[2]!.matchAll(/([A-Za-z_][\w:.-]*)="([^"]*)"/g)];
    const seen = new Set<string>();
    for (const [, n, v] of names) {
      if (seen.has(n!)) problems.push(`duplicate attribute ${n} at ${lt}`);
      seen.add(n!);
      checkText(v!, lt);
    }
    if (stack.length === 0) roots++;
    if (!selfClosing) stack.push(m[1]!);
  }
  if (stack.length > 0) problems.push(`unclosed: ${stack.join(' > ')}`);
  if (roots !== 1) problems.push(`${roots} root elements`);
  return problems;
}
