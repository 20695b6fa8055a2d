/**
 * `synfin report`: one self-contained HTML file (no network access, no
 * external assets) for a capture: the summary, a flow table that sorts and
 * filters and renders only its visible rows (so 100 k flows stay fast), a
 * chosen flow's ladder diagram and plain-language account, and the sockets per
 * state over time as a chart synfin draws itself in SVG.
 *
 * Nothing from the capture reaches the page as markup: the data travels as
 * JSON inside a non-executed script element with `<`, `>` and `&` written as
 * \u escapes, the page's own script puts it into the DOM with textContent,
 * and the diagrams are synfin's own SVG (every text escaped) parsed as XML.
 * A Content-Security-Policy allows only the page's own inline script by hash.
 * The same bytes on every run: no dates, no random ids.
 */

import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { AnalysisResult } from '../analyze.ts';
import type { FlowRecord } from '../tcp/record.ts';
import { LISTED_STATES, NETSTAT_STATE, captureSpan, countStates, socketsAt } from './netstat.ts';
import { explainAccount } from './explain.ts';
import { ladderSvg, xmlEscape } from './ladder-svg.ts';
import { endpointText, grouped, nsBetween, severityOf } from './text.ts';
import type { TcpState } from '../tcp/transitions.ts';

/** Flows whose diagram and account are embedded (anomalous flows first, then by id). */
export const EMBEDDED_DIAGRAMS = 300;
/** Moments sampled for the sockets-per-state chart. */
const CHART_MOMENTS = 60;

/** JSON that is safe inside a script element and in any HTML context. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** One table row: [id, client, server, handshake, close, client state, server state, anomaly codes, worst severity, duration s, frames]. */
type Row = [number, string, string, string, string, string, string, string[], string, number, number];

const SEVERITY_RANK: Record<string, number> = { error: 3, warning: 2, info: 1 };

function rowOf(f: FlowRecord): Row {
  const sev = severityOf(f.anomalies);
  const codes = [...new Set([...f.anomalies.map((a) => a.code), ...Object.keys(f.anomalies_not_listed ?? {})])].sort();
  let worst = '';
  for (const s of sev.values()) if ((SEVERITY_RANK[s] ?? 0) > (SEVERITY_RANK[worst] ?? 0)) worst = s;
  return [
    f.id, endpointText(f.client.addr, f.client.port), endpointText(f.server.addr, f.server.port), f.handshake.kind, f.close.kind,
    f.client.final_state, f.server.final_state, codes, worst, f.duration_s, f.client.frames + f.server.frames,
  ];
}

/** Strings numbered in order of first use, so rows can carry indices. */
class StringTable {
  readonly strings: string[] = [];
  private readonly index = new Map<string, number>();

  at(s: string): number {
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(s);
      this.index.set(s, i);
    }
    return i;
  }
}

/** The distinct non-empty values of some columns of the rows, sorted: a filter's choices. */
function choicesOf(rows: readonly Row[], columns: readonly number[]): string[] {
  const seen = new Set<string>();
  for (const r of rows) {
    for (const c of columns) {
      const v = r[c];
      for (const x of Array.isArray(v) ? v : [v]) if (x !== '') seen.add(String(x));
    }
  }
  return [...seen].sort();
}

/** The sockets-per-state chart, drawn as SVG (escaped like the ladder). */
export function socketsChartSvg(flows: readonly FlowRecord[]): string {
  const span = captureSpan(flows);
  if (span === undefined) return '';
  const moments = [span.start, ...sample(span)];
  const counts = moments.map((at) => countStates(socketsAt(flows, { kind: 'time', at }).sockets));
  const states = LISTED_STATES.filter((s) => counts.some((c) => (c[s] ?? 0) > 0));
  const max = Math.max(1, ...counts.map((c) => Math.max(0, ...states.map((s) => c[s] ?? 0))));
  const W = 760; const H = 240; const L = 56; const R = 150; const T = 16; const B = 36;
  const total = Math.max(1, nsBetween(span.start, span.end));
  const x = (i: number): number => L + ((W - L - R) * nsBetween(span.start, moments[i]!)) / total;
  const y = (n: number): number => T + (H - T - B) * (1 - n / max);
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="sockets per state over time">`];
  out.push(`<line x1="${L}" y1="${y(0)}" x2="${W - R}" y2="${y(0)}" class="axis"/><line x1="${L}" y1="${T}" x2="${L}" y2="${y(0)}" class="axis"/>`);
  for (const n of [0, max / 2, max]) out.push(`<text x="${L - 6}" y="${(y(n) + 4).toFixed(1)}" text-anchor="end">${grouped(Math.round(n))}</text>`);
  const seconds = total / 1e9;
  for (let k = 0; k <= 4; k++) {
    const xx = L + ((W - L - R) * k) / 4;
    out.push(`<text x="${xx.toFixed(1)}" y="${H - B + 16}" text-anchor="middle">${(seconds * k / 4).toFixed(seconds < 1 ? 3 : 1)} s</text>`);
  }
  out.push(`<text x="${((L + W - R) / 2).toFixed(1)}" y="${H - 4}" text-anchor="middle" class="dim">seconds from the first frame</text>`);
  states.forEach((s, k) => {
    const pts = counts.map((c, i) => `${x(i).toFixed(1)},${y(c[s] ?? 0).toFixed(1)}`).join(' ');
    out.push(`<polyline points="${pts}" class="series s${k % 8}"/>`);
    out.push(`<text x="${W - R + 10}" y="${T + 14 * k + 8}" class="label s${k % 8}">${xmlEscape(NETSTAT_STATE[s as TcpState])}</text>`);
  });
  out.push('</svg>');
  return out.join('');
}

function sample(span: { start: { sec: number; nsec: number }; end: { sec: number; nsec: number } }): { sec: number; nsec: number }[] {
  const ns = nsBetween(span.start, span.end);
  const out = [];
  for (let k = 1; k <= CHART_MOMENTS; k++) {
    const t = Math.round((ns * k) / CHART_MOMENTS);
    const sec = span.start.sec + Math.floor((span.start.nsec + t) / 1e9);
    out.push({ sec, nsec: (span.start.nsec + t) % 1e9 });
  }
  return out;
}

function esc(s: string): string {
  return xmlEscape(s);
}

function summaryHtml(flows: readonly FlowRecord[]): string {
  const tally = (key: (f: FlowRecord) => string): [string, number][] => {
    const m = new Map<string, number>();
    for (const f of flows) m.set(key(f), (m.get(key(f)) ?? 0) + 1);
    return [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  };
  const anomalies = new Map<string, { sev: string; n: number }>();
  for (const f of flows) {
    for (const [code, sev] of severityOf(f.anomalies)) {
      const a = anomalies.get(code) ?? { sev, n: 0 };
      anomalies.set(code, { sev: (SEVERITY_RANK[sev] ?? 0) > (SEVERITY_RANK[a.sev] ?? 0) ? sev : a.sev, n: a.n + 1 });
    }
  }
  const list = (items: [string, number][]): string => `<ul>${items.map(([k, n]) => `<li><code>${esc(k)}</code> ${grouped(n)}</li>`).join('')}</ul>`;
  const bySeverity = ['error', 'warning', 'info'].map((sev) => {
    const items = [...anomalies].filter(([, a]) => a.sev === sev).sort((a, b) => b[1].n - a[1].n || (a[0] < b[0] ? -1 : 1));
    return `<div><h3 class="sev-${sev}">${sev} (${items.length})</h3>${list(items.map(([c, a]) => [c, a.n]))}</div>`;
  }).join('');
  return `<section id="summary"><h2>Summary: <span id="flow-total">${grouped(flows.length)}</span> flows</h2><div class="cols">`
    + `<div><h3>Handshakes</h3>${list(tally((f) => f.handshake.kind))}</div>`
    + `<div><h3>Closes</h3>${list(tally((f) => f.close.kind))}</div>`
    + `<div><h3>Anomalies (flows)</h3><div class="cols">${bySeverity}</div></div></div></section>`;
}

const CSS = `
:root{color-scheme:light dark;--fg:#1a1a1a;--bg:#fff;--dim:#5f6368;--line:#dadce0;--sel:#e8f0fe;--err:#c5221f;--warn:#b06000;--info:#1f5fbf}
@media (prefers-color-scheme:dark){:root{--fg:#e8eaed;--bg:#1e1e1e;--dim:#aab0b6;--line:#3c4043;--sel:#264a7a;--err:#f28b82;--warn:#fdd663;--info:#8ab4f8}}
body{font:14px system-ui,sans-serif;color:var(--fg);background:var(--bg);margin:16px}
h1{font-size:20px}h2{font-size:17px}h3{font-size:14px;margin:6px 0}
code,.mono,#table{font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:12px}
.cols{display:flex;gap:24px;flex-wrap:wrap}ul{margin:0;padding-left:18px}
.sev-error{color:var(--err)}.sev-warning{color:var(--warn)}.sev-info{color:var(--info)}
#filters{display:flex;gap:8px;flex-wrap:wrap;margin:8px 0}
#head,.row{display:grid;grid-template-columns:60px 190px 190px 120px 110px 110px 110px 1fr 70px;gap:6px;white-space:nowrap}
#head{font-weight:bold;border-bottom:1px solid var(--line);cursor:pointer}
#viewport{height:360px;overflow-y:auto;border:1px solid var(--line);position:relative}
#spacer{position:relative}.row{position:absolute;left:0;right:0;height:22px;line-height:22px;cursor:pointer}
.row:hover,.row.sel{background:var(--sel)}.row span{overflow:hidden;text-overflow:ellipsis}
#diagram svg{max-width:100%;height:auto}#account p{max-width:80ch}
.dim{color:var(--dim);fill:var(--dim)}
#chart text{font:11px ui-monospace,monospace;fill:var(--fg)}#chart .axis{stroke:var(--dim)}
#chart .series{fill:none;stroke-width:2}
.s0{stroke:#1f77b4;fill:#1f77b4}.s1{stroke:#ff7f0e;fill:#ff7f0e}.s2{stroke:#2ca02c;fill:#2ca02c}.s3{stroke:#d62728;fill:#d62728}
.s4{stroke:#9467bd;fill:#9467bd}.s5{stroke:#8c564b;fill:#8c564b}.s6{stroke:#e377c2;fill:#e377c2}.s7{stroke:#7f7f7f;fill:#7f7f7f}
#chart text.label{font-weight:bold;stroke:none}
#chart text.s0{fill:#1f77b4}#chart text.s1{fill:#ff7f0e}#chart text.s2{fill:#2ca02c}#chart text.s3{fill:#d62728}
#chart text.s4{fill:#9467bd}#chart text.s5{fill:#8c564b}#chart text.s6{fill:#e377c2}#chart text.s7{fill:#7f7f7f}
`;

/** The page's script: reads the JSON, renders the visible rows, sorts, filters, shows a flow. Never touches innerHTML with data. */
const SCRIPT = `
"use strict";
(function(){
// The data is gzipped JSON in base64: the HTML parser crawls through a 13 MB
// inline block for a second, through its 2 MB compressed form in a tenth.
var el=document.getElementById("data"),bin=atob(el.textContent.trim()),bytes=new Uint8Array(bin.length);
for(var b=0;b<bin.length;b++)bytes[b]=bin.charCodeAt(b);
performance.mark("synfin-decoded");
new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).text().then(start);
function start(text){
performance.mark("synfin-inflated");
var D=JSON.parse(text);
performance.mark("synfin-parsed");
// Rows come with their strings as indices into one table (a tenth of the bytes to inflate and parse).
var S=D.strings;
D.rows=D.rows.map(function(r){return [r[0],S[r[1]],S[r[2]],S[r[3]],S[r[4]],S[r[5]],S[r[6]],r[7].map(function(i){return S[i];}),S[r[8]],r[9],r[10]];});
var rows=D.rows,shown=rows.slice(),sortCol=0,sortDir=1,H=22,selected=null;
var vp=document.getElementById("viewport"),sp=document.getElementById("spacer"),count=document.getElementById("count");
var f={state:document.getElementById("f-state"),kind:document.getElementById("f-kind"),anomaly:document.getElementById("f-anomaly"),host:document.getElementById("f-host"),port:document.getElementById("f-port")};
function opts(sel,values){values.forEach(function(v){var o=document.createElement("option");o.value=v;o.textContent=v;sel.appendChild(o);});}
// The choices of each filter come listed with the data (a pass over 100 k rows each, saved).
opts(f.state,D.choices.state);opts(f.kind,D.choices.kind);opts(f.anomaly,D.choices.anomaly);
performance.mark("synfin-filters");
function hostOf(ep){var i=ep.lastIndexOf(":");var h=ep.slice(0,i);return h.charAt(0)==="["?h.slice(1,-1):h;}
function portOf(ep){return ep.slice(ep.lastIndexOf(":")+1);}
function apply(){
  var st=f.state.value,k=f.kind.value,a=f.anomaly.value,h=f.host.value.trim(),p=f.port.value.trim();
  shown=rows.filter(function(r){
    if(st!==""&&r[5]!==st&&r[6]!==st)return false;
    if(k!==""&&r[3]!==k&&r[4]!==k)return false;
    if(a!==""&&r[7].indexOf(a)<0)return false;
    if(h!==""&&hostOf(r[1])!==h&&hostOf(r[2])!==h)return false;
    if(p!==""&&portOf(r[1])!==p&&portOf(r[2])!==p)return false;
    return true;});
  sort();
}
function sort(){
  var c=sortCol,d=sortDir;
  // rows come in id order and filtering keeps it: the default order needs no sort.
  if(!(c===0&&d===1))shown.sort(function(x,y){var a=String(x[c]),b=String(y[c]);if(c===0||c===9){a=x[c];b=y[c];}if(a<b)return -d;if(a>b)return d;return x[0]-y[0];});
  count.textContent=shown.length+" of "+rows.length+" flows";
  count.setAttribute("data-shown",String(shown.length));
  sp.style.height=(shown.length*H)+"px";vp.scrollTop=0;draw();
}
var pool=[];
function draw(){
  var first=Math.floor(vp.scrollTop/H),n=Math.ceil(vp.clientHeight/H)+2;
  while(pool.length<n){var el=document.createElement("div");el.className="row";for(var j=0;j<9;j++)el.appendChild(document.createElement("span"));el.addEventListener("click",pick);sp.appendChild(el);pool.push(el);}
  for(var i=0;i<pool.length;i++){
    var el=pool[i],r=shown[first+i];
    if(i>=n||r===undefined){el.style.display="none";continue;}
    el.style.display="";el.style.top=((first+i)*H)+"px";el.setAttribute("data-id",String(r[0]));
    el.classList.toggle("sel",r[0]===selected);
    var cells=[r[0],r[1],r[2],r[3],r[4],r[5],r[6],r[7].join(", "),r[9]];
    for(var j=0;j<9;j++)el.children[j].textContent=String(cells[j]);
    el.children[7].className=r[8]===""?"":"sev-"+r[8];
  }
}
function pick(ev){show(Number(ev.currentTarget.getAttribute("data-id")));}
function show(id){
  selected=id;draw();
  var box=document.getElementById("diagram"),acc=document.getElementById("account");
  box.replaceChildren();acc.replaceChildren();
  document.getElementById("chosen").textContent="Flow "+id;
  var svg=D.diagrams[String(id)];
  if(svg===undefined){var p=document.createElement("p");p.className="dim";p.textContent="This flow's diagram is not embedded (the report embeds "+D.embedded+" flows, anomalous ones first). Draw it with: synfin explain --flow "+id+" --svg CAPTURE > flow-"+id+".svg";box.appendChild(p);return;}
  var doc=new DOMParser().parseFromString(svg,"image/svg+xml");
  box.appendChild(document.importNode(doc.documentElement,true));
  (D.accounts[String(id)]||[]).forEach(function(t){var p=document.createElement("p");p.textContent=t;acc.appendChild(p);});
}
window.synfinShow=show;
["state","kind","anomaly"].forEach(function(k){f[k].addEventListener("change",apply);});
f.host.addEventListener("input",apply);f.port.addEventListener("input",apply);
Array.prototype.forEach.call(document.querySelectorAll("#head span"),function(el,i){el.addEventListener("click",function(){var c=[0,1,2,3,4,5,6,7,9][i];if(sortCol===c)sortDir=-sortDir;else{sortCol=c;sortDir=1;}sort();});});
vp.addEventListener("scroll",draw);
apply();
performance.mark("synfin-ready");
}
})();
`;

/** Renders the report for an analysis (made with `events: true`). */
export function reportHtml(result: AnalysisResult, title: string): string {
  const flows = result.flows;
  const embed = [...flows].sort((a, b) => (b.anomalies.length > 0 ? 1 : 0) - (a.anomalies.length > 0 ? 1 : 0) || a.id - b.id).slice(0, EMBEDDED_DIAGRAMS);
  const captureEnd = flows.reduce((end, f) => (f.end > end ? f.end : end), flows[0]?.end ?? '');
  const diagrams: Record<string, string> = {};
  const accounts: Record<string, string[]> = {};
  for (const f of [...embed].sort((a, b) => a.id - b.id)) {
    diagrams[String(f.id)] = ladderSvg(f);
    const a = explainAccount(f, { captureEnd });
    accounts[String(f.id)] = [...a.opening, ...a.data, ...a.closing, ...a.applications, ...a.next];
  }
  // Gzipped and in base64 (the page inflates it with DecompressionStream): base64 holds no markup,
  // and the parser reads a fifth of the bytes. mtime 0 in the gzip header: the same bytes every run.
  const rows = flows.map(rowOf);
  const choices = { state: choicesOf(rows, [5, 6]), kind: choicesOf(rows, [3, 4]), anomaly: choicesOf(rows, [7]) };
  const table = new StringTable();
  const packed = rows.map((r) => [
    r[0], table.at(r[1]), table.at(r[2]), table.at(r[3]), table.at(r[4]), table.at(r[5]), table.at(r[6]), r[7].map((c) => table.at(c)),
    table.at(r[8]), r[9], r[10],
  ]);
  const json = scriptJson({ strings: table.strings, rows: packed, choices, diagrams, accounts, embedded: EMBEDDED_DIAGRAMS });
  const data = gzipSync(Buffer.from(json), { level: 6 }).toString('base64');
  const hash = createHash('sha256').update(SCRIPT).digest('base64');
  const csp = `default-src 'none'; script-src 'sha256-${hash}'; style-src 'unsafe-inline'; img-src data:`;
  const header = ['ID', 'CLIENT', 'SERVER', 'HANDSHAKE', 'CLOSE', 'CLIENT END', 'SERVER END', 'ANOMALIES', 'SECONDS'];
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">`,
    `<title>synfin report: ${esc(title)}</title>`,
    `<style>${CSS}</style></head><body>`,
    `<h1>synfin report: ${esc(title)}</h1>`,
    summaryHtml(flows),
    '<section><h2>Flows</h2><div id="filters">',
    '<label>state <select id="f-state"><option value="">any</option></select></label>',
    '<label>kind <select id="f-kind"><option value="">any</option></select></label>',
    '<label>anomaly <select id="f-anomaly"><option value="">any</option></select></label>',
    '<label>host <input id="f-host" size="18" placeholder="10.0.0.1"></label>',
    '<label>port <input id="f-port" size="6" placeholder="443"></label>',
    '<span id="count"></span></div>',
    `<div id="head">${header.map((h) => `<span>${h}</span>`).join('')}</div>`,
    '<div id="viewport"><div id="spacer"></div></div>',
    '<p class="dim">Click a column to sort, a row to see its diagram.</p></section>',
    '<section><h2 id="chosen">Choose a flow</h2><div id="diagram"></div><div id="account"></div></section>',
    `<section><h2>Sockets per state over time</h2><div id="chart">${socketsChartSvg(flows)}</div></section>`,
    `<script type="application/octet-stream" id="data">${data}</script>`,
    `<script>${SCRIPT}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}
