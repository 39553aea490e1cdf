/** HTML escaping and the shared page layout of the dashboard (no framework, no CDN). */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function pretty(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

const css = `
body{font:14px/1.4 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;color:#1b1f24;background:#f6f8fa}
header{background:#24292f;color:#fff;padding:10px 20px;display:flex;gap:20px;align-items:baseline}
header a{color:#fff;text-decoration:none;font-weight:600}
main{padding:16px 20px;max-width:1400px}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border-bottom:1px solid #d0d7de;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#eaeef2;position:sticky;top:0}
td.mono,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
pre{margin:0;white-space:pre-wrap;word-break:break-all;max-height:240px;overflow:auto}
form.filters{display:flex;flex-wrap:wrap;gap:10px;align-items:end;margin-bottom:12px}
form.filters label{display:flex;flex-direction:column;font-size:12px;color:#57606a}
.s-Running,.s-Pending{color:#0969da}.s-Completed{color:#1a7f37}.s-Failed{color:#cf222e}.s-Terminated,.s-Canceled{color:#6e7781}.s-Suspended{color:#9a6700}
.card{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:12px;margin-bottom:14px}
.grid{display:grid;grid-template-columns:160px 1fr;gap:4px 12px}
.actions{display:flex;flex-wrap:wrap;gap:16px}
.actions form{display:flex;gap:6px;align-items:center}
button{cursor:pointer}
#msg{color:#cf222e;margin:8px 0}
`;

export function layout(title: string, hubName: string, body: string, script = ''): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)} · Durable dashboard</title><style>${css}</style></head><body>
<header><a href="/dashboard">Durable dashboard</a><span>task hub ${esc(hubName)}</span></header>
<main>${body}</main>${script ? `<script>${script}</script>` : ''}</body></html>`;
}
