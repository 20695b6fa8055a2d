/**
 * The report page's script: reads the two blocks of data (../blocks.ts lays
 * them out), renders the flow table's visible rows, sorts, filters, and shows
 * a chosen flow's diagram and account. Nothing from the data reaches the page
 * as markup: text goes in with textContent, and the diagrams (synfin's own
 * SVG, every text escaped) are parsed as XML.
 *
 * It runs in the browser: tsconfig.json here checks it with the DOM's types
 * (`npm run typecheck`), and ../assets.mjs compiles it, with what it imports
 * from ../blocks.ts, into the one inline script the page's policy allows.
 */

import { hostPort } from '../../../decode/address.ts';
import { COLUMN_ARRAYS, SEVERITIES, columnStart, type ColumnName, type DiagramsBlock, type TableHead } from '../blocks.ts';

declare global {
  interface Window {
    /** Shows a flow as a click on its row does. */
    synfinShow: (id: number) => void;
  }
}

/** A length the styles define once (style.css's :root), in pixels. */
function cssPixels(name: string): number {
  return parseFloat(getComputedStyle(document.documentElement).getPropertyValue(name));
}
/** A row's height (#head, .row: --row in the styles). */
const ROW_HEIGHT = cssPixels('--row');
/** The table's box is at most this high (#viewport: --viewport in the styles). */
const VIEWPORT_HEIGHT = cssPixels('--viewport');
/** Cells in a row: one under each heading. */
const CELLS = 9;

function byId<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (e === null) throw new Error(`the page has no #${id}`);
  return e as T;
}

/** The bytes of a data block (base64 in a script element of its own). */
function bytesOf(id: string): Uint8Array<ArrayBuffer> {
  const text = (byId(id).textContent ?? '').trim();
  const U8 = Uint8Array as typeof Uint8Array & { fromBase64?: (s: string) => Uint8Array<ArrayBuffer> };
  if (typeof U8.fromBase64 === 'function') return U8.fromBase64(text);
  const bin = atob(text);
  const b = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) b[i] = bin.charCodeAt(i);
  return b;
}

/** Gunzipped. Read chunk by chunk: Response.arrayBuffer() over the stream took several times as long. */
function inflate(bytes: Uint8Array<ArrayBuffer>): Promise<ArrayBuffer> {
  const ds = new DecompressionStream('gzip');
  const w = ds.writable.getWriter();
  const r = ds.readable.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  w.write(bytes).catch(() => {});
  w.close().catch(() => {});
  const next = (x: ReadableStreamReadResult<Uint8Array>): ArrayBuffer | Promise<ArrayBuffer> => {
    if (!x.done) {
      parts.push(x.value);
      size += x.value.length;
      return r.read().then(next);
    }
    const out = new Uint8Array(size);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out.buffer;
  };
  return r.read().then(next);
}

const data = bytesOf('data');
performance.mark('synfin-decoded');
inflate(data).then(start);

function start(buf: ArrayBuffer): void {
  performance.mark('synfin-inflated');
  const headLength = new DataView(buf).getUint32(0, true);
  const D = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 4, headLength))) as TableHead;
  const n = D.n;
  const C = new Map<ColumnName, ArrayLike<number>>();
  let at = columnStart(4 + headLength);
  for (const [name, type] of D.cols) {
    const T = COLUMN_ARRAYS[type];
    C.set(name, new T(buf, at, n));
    at = columnStart(at + n * T.BYTES_PER_ELEMENT);
  }
  const col = (name: ColumnName): ArrayLike<number> => {
    const c = C.get(name);
    if (c === undefined) throw new Error(`the table has no ${name} column`);
    return c;
  };
  const [ca, cp, sa, sp, hs, cl, cst, sst, an, sev] = [col('ca'), col('cp'), col('sa'), col('sp'), col('hs'), col('cl'), col('cst'), col('sst'), col('an'), col('sev')];
  const dur = D.durScale === 0 ? col('dur') : Float64Array.from(col('dur'), (v) => v / D.durScale);
  // Ids travel as the difference from the row before.
  const ids = new Float64Array(n);
  const idDeltas = col('id');
  for (let k = 0, id = 0; k < n; k++) {
    id += idDeltas[k]!;
    ids[k] = id;
  }
  const S = D.words;
  const HS = D.hosts;
  const setText = D.sets.map((s) => s.map((i) => S[i]!));
  const setShown = setText.map((s) => s.join(', '));
  const setKey = setText.map((s) => s.join(','));
  performance.mark('synfin-parsed');

  let shown = new Int32Array(0);
  /** The sorted column (a heading's index) and the direction (1 ascending, -1 descending). */
  let sortCol = 0;
  let sortDir = 1;
  let selected: number | null = null;
  let F: DiagramsBlock | null = null;
  let loading: Promise<void> | null = null;
  // The headings; the sorted one carries aria-sort (and an arrow).
  const heads = Array.from(document.querySelectorAll<HTMLElement>('#head span'));
  const vp = byId<HTMLDivElement>('viewport');
  const spacer = byId<HTMLDivElement>('spacer');
  const count = byId<HTMLSpanElement>('count');
  const f = {
    state: byId<HTMLSelectElement>('f-state'),
    kind: byId<HTMLSelectElement>('f-kind'),
    anomaly: byId<HTMLSelectElement>('f-anomaly'),
    host: byId<HTMLInputElement>('f-host'),
    port: byId<HTMLInputElement>('f-port'),
  };
  const opts = (sel: HTMLSelectElement, values: readonly string[]): void => {
    for (const v of values) {
      const o = document.createElement('option');
      o.value = v;
      o.textContent = v;
      sel.appendChild(o);
    }
  };
  // The choices of each filter come listed with the data (a pass over 100 k rows each, saved).
  opts(f.state, D.choices.state);
  opts(f.kind, D.choices.kind);
  opts(f.anomaly, D.choices.anomaly);
  performance.mark('synfin-filters');

  const ep = hostPort;
  // A filter's value as an index into its strings (-2: no filter; -1: no row can match).
  const idx = (v: string, list: readonly string[] = S): number => (v === '' ? -2 : list.indexOf(v));

  function apply(): void {
    const si = idx(f.state.value);
    const ki = idx(f.kind.value);
    const ai = idx(f.anomaly.value);
    const hi = idx(f.host.value.trim(), HS);
    const p = f.port.value.trim();
    const pn = p === '' ? -2 : (/^[0-9]+$/.test(p) && String(Number(p)) === p && Number(p) < 65536 ? Number(p) : -1);
    const has = ai === -2 ? null : D.sets.map((s) => s.includes(ai));
    const out = new Int32Array(n);
    let m = 0;
    for (let i = 0; i < n; i++) {
      if (si !== -2 && cst[i] !== si && sst[i] !== si) continue;
      if (ki !== -2 && hs[i] !== ki && cl[i] !== ki) continue;
      if (has !== null && !has[an[i]!]) continue;
      if (hi !== -2 && ca[i] !== hi && sa[i] !== hi) continue;
      if (pn !== -2 && cp[i] !== pn && sp[i] !== pn) continue;
      out[m++] = i;
    }
    shown = out.subarray(0, m);
    sort();
  }

  // A column's sort key for row i (the endpoints' text is made for the rows shown only).
  function keyOf(c: number): (i: number) => number | string {
    switch (c) {
      case 0: return (i) => ids[i]!;
      case 1: return (i) => ep(HS[ca[i]!]!, cp[i]!);
      case 2: return (i) => ep(HS[sa[i]!]!, sp[i]!);
      case 3: return (i) => S[hs[i]!]!;
      case 4: return (i) => S[cl[i]!]!;
      case 5: return (i) => S[cst[i]!]!;
      case 6: return (i) => S[sst[i]!]!;
      case 7: return (i) => setKey[an[i]!]!;
      default: return (i) => dur[i]!;
    }
  }

  function sort(): void {
    const c = sortCol;
    const d = sortDir;
    const m = shown.length;
    // Rows come in id order and filtering keeps it: the default order needs no sort.
    if (!(c === 0 && d === 1)) {
      const key = keyOf(c);
      const K = new Array<number | string>(m);
      const P = new Uint32Array(m);
      const from = shown;
      for (let i = 0; i < m; i++) {
        K[i] = key(from[i]!);
        P[i] = i;
      }
      P.sort((x, y) => {
        const a = K[x]!;
        const b = K[y]!;
        if (a < b) return -d;
        if (a > b) return d;
        return ids[from[x]!]! - ids[from[y]!]!;
      });
      const out = new Int32Array(m);
      for (let i = 0; i < m; i++) out[i] = from[P[i]!]!;
      shown = out;
    }
    count.textContent = `${m} of ${n}${n === 1 ? ' flow' : ' flows'}`;
    heads.forEach((el, i) => el.setAttribute('aria-sort', i !== c ? 'none' : d === 1 ? 'ascending' : 'descending'));
    count.setAttribute('data-shown', String(m));
    spacer.style.height = `${m * ROW_HEIGHT}px`;
    // A few flows take the rows they need (the header, and room for a sideways scrollbar), not an empty box.
    vp.style.height = `${Math.min(VIEWPORT_HEIGHT, (m + 1) * ROW_HEIGHT + 18)}px`;
    vp.scrollTop = 0;
    draw();
  }

  /** The rows drawn, reused as the table scrolls: each a div and its cells. */
  const pool: { el: HTMLDivElement; cells: HTMLSpanElement[] }[] = [];
  function draw(): void {
    const first = Math.floor(vp.scrollTop / ROW_HEIGHT);
    const rows = Math.ceil(vp.clientHeight / ROW_HEIGHT) + 2;
    while (pool.length < rows) {
      const el = document.createElement('div');
      el.className = 'row';
      const cells: HTMLSpanElement[] = [];
      for (let j = 0; j < CELLS; j++) cells.push(el.appendChild(document.createElement('span')));
      el.addEventListener('click', pick);
      spacer.appendChild(el);
      pool.push({ el, cells });
    }
    pool.forEach(({ el, cells }, i) => {
      if (i >= rows || first + i >= shown.length) {
        el.style.display = 'none';
        return;
      }
      const r = shown[first + i]!;
      el.style.display = '';
      el.style.top = `${(first + i) * ROW_HEIGHT}px`;
      el.setAttribute('data-id', String(ids[r]));
      el.classList.toggle('sel', ids[r] === selected);
      const text = [ids[r], ep(HS[ca[r]!]!, cp[r]!), ep(HS[sa[r]!]!, sp[r]!), S[hs[r]!], S[cl[r]!], S[cst[r]!], S[sst[r]!], setShown[an[r]!], dur[r]];
      for (let j = 0; j < CELLS; j++) {
        cells[j]!.textContent = String(text[j]);
        // The cells most often cut short say all in their title.
        if (j === 1 || j === 2 || j === 7) cells[j]!.title = String(text[j]);
      }
      cells[7]!.className = sev[r] === 0 ? '' : `sev-${SEVERITIES[sev[r]!]}`;
    });
  }

  function pick(ev: MouseEvent): void {
    show(Number((ev.currentTarget as HTMLElement).getAttribute('data-id')));
  }

  // The diagrams are inflated when a flow is first chosen: never in the way of opening, filtering or sorting.
  function load(): Promise<void> {
    loading ??= inflate(bytesOf('diagrams')).then((b) => {
      F = JSON.parse(new TextDecoder().decode(b)) as DiagramsBlock;
    });
    return loading;
  }

  function show(id: number): void {
    selected = id;
    draw();
    const box = byId<HTMLDivElement>('diagram');
    const account = byId<HTMLDivElement>('account');
    box.replaceChildren();
    account.replaceChildren();
    box.removeAttribute('data-flow');
    byId('chosen').textContent = `Flow ${id}`;
    if (F === null) {
      load().then(() => {
        if (selected === id) show(id);
      });
      return;
    }
    const svg = F.diagrams[String(id)];
    if (svg === undefined) {
      const p = document.createElement('p');
      p.className = 'dim';
      p.textContent = `This flow's diagram is not embedded (the report embeds ${D.embedded} flows, anomalous ones first). Draw it with: synfin explain --flow ${id} --svg CAPTURE > flow-${id}.svg`;
      box.appendChild(p);
    } else {
      const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
      box.appendChild(document.importNode(doc.documentElement, true));
      for (const t of F.accounts[String(id)] ?? []) {
        const p = document.createElement('p');
        p.textContent = t;
        account.appendChild(p);
      }
    }
    box.setAttribute('data-flow', String(id));
  }

  window.synfinShow = show;
  for (const k of ['state', 'kind', 'anomaly'] as const) f[k].addEventListener('change', apply);
  f.host.addEventListener('input', apply);
  f.port.addEventListener('input', apply);
  heads.forEach((el, i) => el.addEventListener('click', () => {
    if (sortCol === i) sortDir = -sortDir;
    else {
      sortCol = i;
      sortDir = 1;
    }
    sort();
  }));
  vp.addEventListener('scroll', draw);
  apply();
  performance.mark('synfin-ready');
}
