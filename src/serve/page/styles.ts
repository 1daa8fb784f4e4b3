/** The page's CSS (inline, under the page's nonce). Statuses are colours, the same everywhere. */
export const styles = `
:root {
  --bg: #f6f7f9; --panel: #fff; --ink: #1d2330; --muted: #697386; --line: #dfe3ea; --accent: #3b5bdb;
  --Completed: #2f9e44; --Running: #1c7ed6; --Failed: #e03131; --Pending: #adb5bd; --Waiting: #f08c00;
  --Retrying: #e8590c; --Skipped: #ced4da; --Cancelled: #495057; --Paused: #ae3ec9; --Interrupted: #868e96;
}
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
header.top { display: flex; align-items: center; gap: 20px; padding: 10px 20px; background: #1d2330; color: #fff; }
header.top .brand { font-weight: 700; font-size: 17px; letter-spacing: .5px; color: #fff; text-decoration: none; }
header.top nav a { color: #c5cee0; text-decoration: none; margin-right: 14px; }
header.top nav a.active, header.top nav a:hover { color: #fff; }
header.top .spacer { flex: 1; }
header.top .footprint { color: #c5cee0; font-size: 13px; }
.live { font-size: 12px; color: #c5cee0; display: inline-flex; align-items: center; gap: 6px; }
.live::before { content: ""; width: 8px; height: 8px; border-radius: 50%; background: #868e96; }
.live.on::before { background: #40c057; box-shadow: 0 0 6px #40c057; }
main { padding: 18px 20px; }
.error { background: #fff5f5; border: 1px solid #ffc9c9; color: #c92a2a; padding: 8px 12px; border-radius: 6px; margin-bottom: 12px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; margin-bottom: 16px; }
.card h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .6px; color: var(--muted); margin: 0 0 10px; }
h1 { font-size: 20px; margin: 0 0 4px; }
.muted { color: var(--muted); }
.mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; }
tr:hover td { background: #f8f9fb; }
a { color: var(--accent); }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; color: #fff; background: var(--Pending); }
.badge.Completed { background: var(--Completed); } .badge.Running { background: var(--Running); }
.badge.Failed { background: var(--Failed); } .badge.Waiting { background: var(--Waiting); }
.badge.Retrying { background: var(--Retrying); } .badge.Skipped { background: var(--Skipped); color: #495057; }
.badge.Cancelled { background: var(--Cancelled); } .badge.Paused { background: var(--Paused); }
.badge.Interrupted { background: var(--Interrupted); }
.filters { display: flex; gap: 10px; align-items: center; margin-bottom: 12px; flex-wrap: wrap; }
select, input, button, textarea { font: inherit; }
select, input, textarea { padding: 5px 8px; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
button { padding: 5px 12px; border: 1px solid var(--line); border-radius: 6px; background: #fff; cursor: pointer; }
button:hover:not(:disabled) { border-color: var(--accent); color: var(--accent); }
button:disabled { opacity: .45; cursor: default; }
button.danger:hover:not(:disabled) { border-color: var(--Failed); color: var(--Failed); }
.pager { display: flex; gap: 10px; align-items: center; margin-top: 10px; }
.counts { display: flex; gap: 18px; flex-wrap: wrap; align-items: baseline; }
.counts .n { font-size: 20px; font-weight: 700; margin-right: 4px; }
.exec-head { display: flex; gap: 16px; align-items: flex-start; justify-content: space-between; flex-wrap: wrap; }
.exec-head .controls { display: flex; gap: 8px; }
.progress { height: 8px; background: var(--line); border-radius: 4px; overflow: hidden; width: 260px; margin-top: 8px; }
.progress > div { height: 100%; background: var(--Completed); }
.layout { display: grid; grid-template-columns: minmax(0, 1fr) 360px; gap: 16px; align-items: start; }
.scroll { overflow: auto; }
svg text { font: 12px system-ui, sans-serif; }
svg .edge { fill: none; stroke: #b8c0cc; stroke-width: 1.4; }
svg .node { cursor: pointer; }
svg .node rect { stroke-width: 1.5; rx: 7; }
svg .node text { fill: #fff; font-weight: 600; }
svg .node[data-status="Pending"] rect { fill: #f1f3f5; stroke: var(--Pending); }
svg .node[data-status="Pending"] text, svg .node[data-status="Skipped"] text { fill: #495057; }
svg .node[data-status="Waiting"] rect { fill: var(--Waiting); stroke: #d9480f; }
svg .node[data-status="Running"] rect { fill: var(--Running); stroke: #1864ab; }
svg .node[data-status="Retrying"] rect { fill: var(--Retrying); stroke: #c2410c; }
svg .node[data-status="Completed"] rect { fill: var(--Completed); stroke: #2b8a3e; }
svg .node[data-status="Failed"] rect { fill: var(--Failed); stroke: #a61e1e; }
svg .node[data-status="Skipped"] rect { fill: #f8f9fa; stroke: var(--Skipped); stroke-dasharray: 4 3; }
svg .node[data-status="Cancelled"] rect { fill: var(--Cancelled); stroke: #212529; }
svg .node.selected rect { stroke: #1d2330; stroke-width: 3; }
svg .node[data-status="Running"] rect { animation: pulse 1.4s ease-in-out infinite; }
@keyframes pulse { 50% { opacity: .7; } }
svg .lane-label { fill: var(--muted); font-size: 11px; }
svg .axis { stroke: var(--line); }
svg .tick { fill: var(--muted); font-size: 10.5px; }
svg .bar { rx: 3; }
svg .bar.Completed { fill: var(--Completed); } svg .bar.Running { fill: var(--Running); }
svg .bar.Failed { fill: var(--Failed); } svg .bar.Interrupted { fill: var(--Interrupted); }
svg .bar-label { fill: #fff; font-size: 10.5px; pointer-events: none; }
.legend { display: flex; gap: 12px; flex-wrap: wrap; font-size: 12px; color: var(--muted); margin-top: 8px; }
.legend span::before { content: ""; display: inline-block; width: 10px; height: 10px; border-radius: 3px; margin-right: 4px; vertical-align: -1px; background: var(--c); }
.legend .Completed { --c: var(--Completed); } .legend .Running { --c: var(--Running); } .legend .Failed { --c: var(--Failed); }
.legend .Pending { --c: var(--Pending); } .legend .Waiting { --c: var(--Waiting); } .legend .Retrying { --c: var(--Retrying); }
.legend .Skipped { --c: var(--Skipped); } .legend .Cancelled { --c: var(--Cancelled); }
pre.json { background: #f8f9fb; border: 1px solid var(--line); border-radius: 6px; padding: 8px; margin: 4px 0 10px; white-space: pre-wrap; word-break: break-word; max-height: 260px; overflow: auto; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 3px 12px; margin: 0 0 10px; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; word-break: break-word; }
.task-panel h3 { margin: 0 0 8px; font-size: 16px; word-break: break-all; }
.task-panel .attempt-error { color: #c92a2a; }
details.signal { margin-top: 10px; }
details.signal summary { cursor: pointer; }
form.signal { display: flex; gap: 6px; margin-top: 6px; }
form.signal input[name=payload] { flex: 1; }
#dag { max-width: 100%; height: auto; }
form.token { max-width: 380px; margin: 60px auto; display: grid; gap: 10px; }
@media (max-width: 1000px) { .layout { grid-template-columns: 1fr; } }
`
