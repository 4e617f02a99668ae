(function(){var t=document.getElementById('fleet');if(!t)return;var tb=t.tBodies[0];
var rows=Array.prototype.slice.call(tb.rows);
document.getElementById('controls').hidden=false;
function key(r,i){var c=r.cells[i];var v=c.getAttribute('data-v');if(v===null)v=c.textContent;var n=parseFloat(v);return isNaN(n)||!/^-?[\d.]/.test(v)?v.toLowerCase():n;}
Array.prototype.forEach.call(t.tHead.rows[0].cells,function(th,i){if(!th.hasAttribute('data-k'))return;
th.addEventListener('click',function(){var asc=th.getAttribute('aria-sort')!=='ascending';
Array.prototype.forEach.call(t.tHead.rows[0].cells,function(h){h.removeAttribute('aria-sort');});
th.setAttribute('aria-sort',asc?'ascending':'descending');
rows.sort(function(a,b){var x=key(a,i),y=key(b,i);if(typeof x!==typeof y){x=String(x);y=String(y);}return (x<y?-1:x>y?1:0)*(asc?1:-1);});
var f=document.createDocumentFragment();rows.forEach(function(r){f.appendChild(r);});tb.appendChild(f);});});
var boxes=document.querySelectorAll('#controls input[data-s]');
function filt(){var on={};Array.prototype.forEach.call(boxes,function(b){on[b.getAttribute('data-s')]=b.checked;});
var shown=0;rows.forEach(function(r){var v=on[r.getAttribute('data-s')]!==false;r.hidden=!v;if(v)shown++;});
document.getElementById('shown').textContent=shown;}
Array.prototype.forEach.call(boxes,function(b){b.addEventListener('change',filt);});
var h={};location.hash.replace(/^#/,'').split('&').forEach(function(kv){var p=kv.split('=');if(p[0])h[p[0]]=decodeURIComponent(p[1]||'');});
if(h.sort){var th=t.tHead.rows[0].cells[parseInt(h.sort,10)];if(th){th.click();if(h.desc)th.click();}}
if(h.show){var want=h.show.split(',');Array.prototype.forEach.call(boxes,function(b){b.checked=want.indexOf(b.getAttribute('data-s'))>=0;});filt();}})();
