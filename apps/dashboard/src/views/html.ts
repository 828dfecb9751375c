// HTML helpers and the page frame: plain server-rendered HTML, one inline stylesheet and one small
// inline script (no frontend build). The script swaps in the HTML fragments that the server-sent
// event stream pushes (`snapshot` events: { parts: { elementId: html } }).

export function esc(v: unknown): string {
  return String(v ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

export function ago(seconds: number): string {
  if (!Number.isFinite(seconds)) return "—";
  if (seconds < 90) return `${Math.max(0, Math.round(seconds))} s ago`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min ago`;
  return `${(seconds / 3600).toFixed(1)} h ago`;
}

const STYLE = `
body{font:14px/1.4 "DejaVu Sans",system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#1f2937;color:#fff;padding:10px 20px;display:flex;gap:20px;align-items:center}
header a{color:#cbd5e1;text-decoration:none}header a:hover{color:#fff}header .live{margin-left:auto;font-size:12px;color:#94a3b8}
main{padding:16px 20px;max-width:1400px}
h1{font-size:20px;margin:4px 0 12px}h2{font-size:16px;margin:22px 0 8px}
table{border-collapse:collapse;background:#fff}th,td{border:1px solid #e5e7eb;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f4f6;font-weight:600}
.chip{display:inline-block;min-width:38px;margin:1px;padding:1px 4px;border-radius:3px;font-size:12px;text-align:center;color:#111}
.s-queued{background:#e5e7eb}.s-running{background:#bfdbfe}.s-completed{background:#bbf7d0}.s-failed{background:#fecaca}.s-cancelled{background:#fde68a}
.bar{display:inline-block;width:160px;height:10px;background:#e5e7eb;border-radius:5px;overflow:hidden;vertical-align:middle}
.bar>span{display:block;height:100%;background:#22c55e}
.curves{display:flex;flex-wrap:wrap;gap:12px}.curve{background:#fff;border:1px solid #e5e7eb;padding:6px}
.curve .label{font-size:12px;color:#444;max-width:340px}
.figures{display:flex;flex-wrap:wrap;gap:12px}.figures figure{margin:0;flex:0 1 620px}.figures img{width:100%;background:#fff;border:1px solid #e5e7eb}
.status-active{color:#1d4ed8}.status-finished{color:#15803d}.status-cancelled{color:#92400e}
.stale{color:#9ca3af}.muted{color:#6b7280}.missing li{color:#92400e}
button{font:inherit;padding:3px 10px;cursor:pointer}
.legend .chip{min-width:70px}
`;

const SCRIPT = `
(function(){
  var live=document.getElementById('live');
  var src=document.body.getAttribute('data-events');
  if(src&&window.EventSource){
    var es=new EventSource(src);
    es.addEventListener('snapshot',function(e){
      var d=JSON.parse(e.data);
      Object.keys(d.parts).forEach(function(id){var el=document.getElementById(id);if(el&&el.innerHTML!==d.parts[id])el.innerHTML=d.parts[id];});
      if(live)live.textContent='live · updated '+new Date().toLocaleTimeString();
    });
    es.addEventListener('failure',function(e){if(live)live.textContent='database error: '+JSON.parse(e.data).error;});
    es.onerror=function(){if(live)live.textContent='reconnecting…';};
  }
  window.ptuneAction=function(url,what){
    var token=localStorage.getItem('ptuneToken')||prompt('Token for '+what+' (PTUNE_DASHBOARD_TOKEN)');
    if(!token)return;
    fetch(url,{method:'POST',headers:{Authorization:'Bearer '+token}}).then(function(r){
      if(r.status===401)localStorage.removeItem('ptuneToken');else localStorage.setItem('ptuneToken',token);
      return r.json();
    }).then(function(j){alert(j.message||j.error);});
  };
})();
`;

export function page(opts: { title: string; body: string; events?: string }): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(opts.title)} · ptune</title><style>${STYLE}</style></head>
<body${opts.events ? ` data-events="${esc(opts.events)}"` : ""}>
<header><strong>ptune</strong><a href="/">sweeps</a><a href="/queues">queues</a><span class="live" id="live">${opts.events ? "connecting…" : ""}</span></header>
<main>${opts.body}</main>
<script>${SCRIPT}</script>
</body></html>`;
}
