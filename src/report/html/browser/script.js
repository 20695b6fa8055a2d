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
