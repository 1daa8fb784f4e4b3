/**
 * The page's HTML document: its style and its script inline under `nonce` (the script is put
 * together from the parts in this folder; none of it holds data: data comes from the API).
 */
import { core } from "./core.js"
import { dag } from "./dag.js"
import { execution } from "./execution.js"
import { list } from "./list.js"
import { shell } from "./shell.js"
import { styles } from "./styles.js"
import { timeline } from "./timeline.js"

const script = [
  "(() => {",
  "\"use strict\"",
  core,
  shell,
  list,
  dag,
  timeline,
  execution,
  "window.addEventListener(\"hashchange\", () => route().catch(showError))",
  "route().catch(showError)",
  "})()"
].join("\n")

export const document = (nonce: string): string =>
  `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sluice</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style nonce="${nonce}">${styles}</style>
</head><body><div id="app"></div>
<script nonce="${nonce}">${script}</script>
</body></html>`
