/**
 * The report's page around its data: the markup, the styles, the script and
 * a Content-Security-Policy that allows only that script, by its hash. The
 * flow table's columns are laid out here too, for the styles and the markup.
 */

import { createHash } from 'node:crypto';
import { xmlEscape } from '../ladder-svg.ts';

/**
 * The flow table's columns, one row each: heading, least width (px) and share
 * of the width left over. The heading and every row are grids of these same
 * tracks inside one scrolling box, so a cell always sits under its heading;
 * where the least widths do not fit (below about 1,150 px) the box scrolls
 * sideways, the heading with it, and no column is squeezed to nothing.
 */
export const TABLE_COLUMNS = [
  { head: 'ID', min: 56, grow: 0 },
  { head: 'CLIENT', min: 170, grow: 2 },
  { head: 'SERVER', min: 170, grow: 2 },
  { head: 'HANDSHAKE', min: 120, grow: 1 },
  { head: 'CLOSE', min: 104, grow: 1 },
  { head: 'CLIENT END', min: 104, grow: 0 },
  { head: 'SERVER END', min: 104, grow: 0 },
  { head: 'ANOMALIES', min: 200, grow: 3 },
  { head: 'SECONDS', min: 72, grow: 0 },
] as const;
const COLUMN_GAP = 6;
const GRID_TEMPLATE = TABLE_COLUMNS.map((c) => (c.grow === 0 ? `${c.min}px` : `minmax(${c.min}px,${c.grow}fr)`)).join(' ');
/** The table's least width: every column at its least, and the gaps. */
export const TABLE_MIN_WIDTH = TABLE_COLUMNS.reduce((n, c) => n + c.min, 0) + COLUMN_GAP * (TABLE_COLUMNS.length - 1);

const CSS = `
:root{color-scheme:light dark;--fg:#1a1a1a;--bg:#fff;--dim:#5f6368;--line:#dadce0;--sel:#e8f0fe;--err:#c5221f;--warn:#b06000;--info:#1f5fbf}
@media (prefers-color-scheme:dark){:root{--fg:#e8eaed;--bg:#1e1e1e;--dim:#aab0b6;--line:#3c4043;--sel:#264a7a;--err:#f28b82;--warn:#fdd663;--info:#8ab4f8}}
body{font:14px system-ui,sans-serif;color:var(--fg);background:var(--bg);margin:16px}
@media (max-width:600px){body{margin:8px}}
h1,h2{overflow-wrap:anywhere}h1{font-size:20px}h2{font-size:17px}h3{font-size:14px;margin:6px 0}
code,.mono,#viewport{font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:12px}
.cols{display:flex;gap:24px;flex-wrap:wrap}ul{margin:0;padding-left:18px}
.sev-error{color:var(--err)}.sev-warning{color:var(--warn)}.sev-info{color:var(--info)}
#filters{display:flex;gap:8px;flex-wrap:wrap;margin:8px 0}
#viewport{height:384px;overflow:auto;border:1px solid var(--line);position:relative}
#grid{min-width:${TABLE_MIN_WIDTH}px}
#head,.row{display:grid;grid-template-columns:${GRID_TEMPLATE};column-gap:${COLUMN_GAP}px;white-space:nowrap}
#head{position:sticky;top:0;z-index:1;background:var(--bg);font-weight:bold;border-bottom:1px solid var(--line);height:22px;line-height:22px}
#head span{cursor:pointer;user-select:none}#head span[aria-sort=ascending]::after{content:" \\25B2"}#head span[aria-sort=descending]::after{content:" \\25BC"}
#spacer{position:relative}.row{position:absolute;left:0;right:0;height:22px;line-height:22px;cursor:pointer}
.row:hover,.row.sel{background:var(--sel)}#head span,.row span{min-width:0;overflow:hidden;text-overflow:ellipsis}
#head span:last-child,.row span:last-child{text-align:right;padding-right:4px}
#diagram svg,#chart svg{max-width:100%;height:auto}#account p{max-width:80ch}
.dim{color:var(--dim);fill:var(--dim)}
#chart text{font:11px ui-monospace,monospace;fill:var(--fg)}#chart .axis{stroke:var(--dim)}
#chart .series{fill:none;stroke-width:2}
.s0{stroke:#1f77b4;fill:#1f77b4}.s1{stroke:#ff7f0e;fill:#ff7f0e}.s2{stroke:#2ca02c;fill:#2ca02c}.s3{stroke:#d62728;fill:#d62728}
.s4{stroke:#9467bd;fill:#9467bd}.s5{stroke:#8c564b;fill:#8c564b}.s6{stroke:#e377c2;fill:#e377c2}.s7{stroke:#7f7f7f;fill:#7f7f7f}
#chart text.label{font-weight:bold;stroke:none}
#chart text.s0{fill:#1f77b4}#chart text.s1{fill:#ff7f0e}#chart text.s2{fill:#2ca02c}#chart text.s3{fill:#d62728}
#chart text.s4{fill:#9467bd}#chart text.s5{fill:#8c564b}#chart text.s6{fill:#e377c2}#chart text.s7{fill:#7f7f7f}
`;

/**
 * The page's script: reads the data, renders the visible rows, sorts, filters, shows a flow. Never touches innerHTML with data.
 * The blocks it reads are laid out as table-data.ts says.
 */
const SCRIPT = `
"use strict";
(function(){
function bytesOf(id){
  var t=document.getElementById(id).textContent.trim();
  if(typeof Uint8Array.fromBase64==="function")return Uint8Array.fromBase64(t);
  var bin=atob(t),b=new Uint8Array(bin.length);for(var i=0;i<bin.length;i++)b[i]=bin.charCodeAt(i);return b;
}
// Read chunk by chunk: Response.arrayBuffer() over the stream took several times as long.
function inflate(bytes){
  var ds=new DecompressionStream("gzip"),w=ds.writable.getWriter(),r=ds.readable.getReader(),parts=[],size=0;
  w.write(bytes).catch(function(){});w.close().catch(function(){});
  function next(x){
    if(!x.done){parts.push(x.value);size+=x.value.length;return r.read().then(next);}
    var out=new Uint8Array(size),at=0;
    for(var i=0;i<parts.length;i++){out.set(parts[i],at);at+=parts[i].length;}
    return out.buffer;
  }
  return r.read().then(next);
}
var data=bytesOf("data");
performance.mark("synfin-decoded");
inflate(data).then(start);
function start(buf){
performance.mark("synfin-inflated");
var hl=new DataView(buf).getUint32(0,true);
var D=JSON.parse(new TextDecoder().decode(new Uint8Array(buf,4,hl)));
var n=D.n,at=(4+hl+7)&~7,C={},T={f64:Float64Array,u32:Uint32Array,u16:Uint16Array,u8:Uint8Array};
D.cols.forEach(function(c){var t=T[c[1]];C[c[0]]=new t(buf,at,n);at=(at+n*t.BYTES_PER_ELEMENT+7)&~7;});
var dur=D.durScale===0?C.dur:new Float64Array(n),ca=C.ca,cp=C.cp,sa=C.sa,sp=C.sp,hs=C.hs,cl=C.cl,cst=C.cst,sst=C.sst,an=C.an,sev=C.sev,ids=new Float64Array(n);
for(var k=0,id=0;k<n;k++){id+=C.id[k];ids[k]=id;if(D.durScale!==0)dur[k]=C.dur[k]/D.durScale;}
var S=D.words,HS=D.hosts,SEV=["","info","warning","error"];
var setText=D.sets.map(function(s){return s.map(function(i){return S[i];});});
var setShown=setText.map(function(s){return s.join(", ");}),setKey=setText.map(function(s){return String(s);});
performance.mark("synfin-parsed");
var shown=new Int32Array(0),sortCol=0,sortDir=1,H=22,selected=null,F=null,loading=null;
// The headings and the sort column each stands for; the sorted one carries aria-sort (and an arrow).
var heads=Array.prototype.slice.call(document.querySelectorAll("#head span")),HC=[0,1,2,3,4,5,6,7,9];
var vp=document.getElementById("viewport"),sp_=document.getElementById("spacer"),count=document.getElementById("count");
var f={state:document.getElementById("f-state"),kind:document.getElementById("f-kind"),anomaly:document.getElementById("f-anomaly"),host:document.getElementById("f-host"),port:document.getElementById("f-port")};
function opts(sel,values){values.forEach(function(v){var o=document.createElement("option");o.value=v;o.textContent=v;sel.appendChild(o);});}
// The choices of each filter come listed with the data (a pass over 100 k rows each, saved).
opts(f.state,D.choices.state);opts(f.kind,D.choices.kind);opts(f.anomaly,D.choices.anomaly);
performance.mark("synfin-filters");
function ep(a,p){return a.indexOf(":")>=0?"["+a+"]:"+p:a+":"+p;}
// A filter's value as an index into its strings (-2: no filter; -1: no row can match).
function idx(v,list){return v===""?-2:(list||S).indexOf(v);}
function apply(){
  var si=idx(f.state.value),ki=idx(f.kind.value),ai=idx(f.anomaly.value),hi=idx(f.host.value.trim(),HS),p=f.port.value.trim();
  var pn=p===""?-2:(/^[0-9]+$/.test(p)&&String(Number(p))===p&&Number(p)<65536?Number(p):-1);
  var has=ai===-2?null:D.sets.map(function(s){return s.indexOf(ai)>=0;});
  var out=new Int32Array(n),m=0;
  for(var i=0;i<n;i++){
    if(si!==-2&&cst[i]!==si&&sst[i]!==si)continue;
    if(ki!==-2&&hs[i]!==ki&&cl[i]!==ki)continue;
    if(has!==null&&!has[an[i]])continue;
    if(hi!==-2&&ca[i]!==hi&&sa[i]!==hi)continue;
    if(pn!==-2&&cp[i]!==pn&&sp[i]!==pn)continue;
    out[m++]=i;
  }
  shown=out.subarray(0,m);
  sort();
}
// A column's sort key for row i (the endpoints' text is made for the rows shown only).
function keyOf(c){
  if(c===0)return function(i){return ids[i];};
  if(c===1)return function(i){return ep(HS[ca[i]],cp[i]);};
  if(c===2)return function(i){return ep(HS[sa[i]],sp[i]);};
  if(c===7)return function(i){return setKey[an[i]];};
  if(c===9)return function(i){return dur[i];};
  var v=[null,null,null,hs,cl,cst,sst][c];return function(i){return S[v[i]];};
}
function sort(){
  var c=sortCol,d=sortDir,m=shown.length;
  // rows come in id order and filtering keeps it: the default order needs no sort.
  if(!(c===0&&d===1)){
    var key=keyOf(c),K=new Array(m),P=new Uint32Array(m),out=new Int32Array(m),i;
    for(i=0;i<m;i++){K[i]=key(shown[i]);P[i]=i;}
    P.sort(function(x,y){var a=K[x],b=K[y];if(a<b)return -d;if(a>b)return d;return ids[shown[x]]-ids[shown[y]];});
    for(i=0;i<m;i++)out[i]=shown[P[i]];
    shown=out;
  }
  count.textContent=m+" of "+n+(n===1?" flow":" flows");
  heads.forEach(function(el,i){el.setAttribute("aria-sort",HC[i]!==c?"none":d===1?"ascending":"descending");});
  count.setAttribute("data-shown",String(m));
  sp_.style.height=(m*H)+"px";
  // A few flows take the rows they need (the header, and room for a sideways scrollbar), not an empty box.
  vp.style.height=Math.min(384,(m+1)*H+18)+"px";vp.scrollTop=0;draw();
}
var pool=[];
function draw(){
  var first=Math.floor(vp.scrollTop/H),rows=Math.ceil(vp.clientHeight/H)+2;
  while(pool.length<rows){var el=document.createElement("div");el.className="row";for(var j=0;j<9;j++)el.appendChild(document.createElement("span"));el.addEventListener("click",pick);sp_.appendChild(el);pool.push(el);}
  for(var i=0;i<pool.length;i++){
    var el=pool[i];
    if(i>=rows||first+i>=shown.length){el.style.display="none";continue;}
    var r=shown[first+i];
    el.style.display="";el.style.top=((first+i)*H)+"px";el.setAttribute("data-id",String(ids[r]));
    el.classList.toggle("sel",ids[r]===selected);
    var cells=[ids[r],ep(HS[ca[r]],cp[r]),ep(HS[sa[r]],sp[r]),S[hs[r]],S[cl[r]],S[cst[r]],S[sst[r]],setShown[an[r]],dur[r]];
    for(var j=0;j<9;j++){el.children[j].textContent=String(cells[j]);if(j===1||j===2||j===7)el.children[j].title=String(cells[j]);}
    el.children[7].className=sev[r]===0?"":"sev-"+SEV[sev[r]];
  }
}
function pick(ev){show(Number(ev.currentTarget.getAttribute("data-id")));}
// The diagrams are inflated when a flow is first chosen: never in the way of opening, filtering or sorting.
function load(){
  if(loading===null)loading=inflate(bytesOf("diagrams")).then(function(b){F=JSON.parse(new TextDecoder().decode(b));});
  return loading;
}
function show(id){
  selected=id;draw();
  var box=document.getElementById("diagram"),acc=document.getElementById("account");
  box.replaceChildren();acc.replaceChildren();box.removeAttribute("data-flow");
  document.getElementById("chosen").textContent="Flow "+id;
  if(F===null){load().then(function(){if(selected===id)show(id);});return;}
  var svg=F.diagrams[String(id)];
  if(svg===undefined){var p=document.createElement("p");p.className="dim";p.textContent="This flow's diagram is not embedded (the report embeds "+D.embedded+" flows, anomalous ones first). Draw it with: synfin explain --flow "+id+" --svg CAPTURE > flow-"+id+".svg";box.appendChild(p);}
  else{
    var doc=new DOMParser().parseFromString(svg,"image/svg+xml");
    box.appendChild(document.importNode(doc.documentElement,true));
    (F.accounts[String(id)]||[]).forEach(function(t){var p=document.createElement("p");p.textContent=t;acc.appendChild(p);});
  }
  box.setAttribute("data-flow",String(id));
}
window.synfinShow=show;
["state","kind","anomaly"].forEach(function(k){f[k].addEventListener("change",apply);});
f.host.addEventListener("input",apply);f.port.addEventListener("input",apply);
heads.forEach(function(el,i){el.addEventListener("click",function(){var c=HC[i];if(sortCol===c)sortDir=-sortDir;else{sortCol=c;sortDir=1;}sort();});});
vp.addEventListener("scroll",draw);
apply();
performance.mark("synfin-ready");
}
})();
`;

/** The page: the summary's and the chart's markup, and the two blocks of data (table-data.ts). */
export function page(title: string, summary: string, chart: string, data: string, diagrams: string): string {
  const hash = createHash('sha256').update(SCRIPT).digest('base64');
  const csp = `default-src 'none'; script-src 'sha256-${hash}'; style-src 'unsafe-inline'; img-src data:`;
  const header = TABLE_COLUMNS.map((c) => c.head);
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${xmlEscape(csp)}">`,
    `<title>synfin report: ${xmlEscape(title)}</title>`,
    `<style>${CSS}</style></head><body>`,
    `<h1>synfin report: ${xmlEscape(title)}</h1>`,
    summary,
    '<section><h2>Flows</h2><div id="filters">',
    '<label>state <select id="f-state"><option value="">any</option></select></label>',
    '<label>kind <select id="f-kind"><option value="">any</option></select></label>',
    '<label>anomaly <select id="f-anomaly"><option value="">any</option></select></label>',
    '<label>host <input id="f-host" size="18" placeholder="10.0.0.1"></label>',
    '<label>port <input id="f-port" size="6" placeholder="443"></label>',
    '<span id="count"></span></div>',
    '<div id="viewport"><div id="grid">',
    `<div id="head" role="row">${header.map((h, i) => `<span role="columnheader" aria-sort="${i === 0 ? 'ascending' : 'none'}">${h}</span>`).join('')}</div>`,
    '<div id="spacer"></div></div></div>',
    '<p class="dim">Click a column to sort (again to reverse; the arrow marks the sorted column), a row to see its diagram. A narrow window scrolls the table sideways.</p></section>',
    '<section><h2 id="chosen">Choose a flow</h2><div id="diagram"></div><div id="account"></div></section>',
    `<section><h2>Sockets per state over time</h2><div id="chart">${chart}</div></section>`,
    `<script type="application/octet-stream" id="data">${data}</script>`,
    `<script type="application/octet-stream" id="diagrams">${diagrams}</script>`,
    `<script>${SCRIPT}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}
