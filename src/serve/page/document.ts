/** The page's HTML document, with its style and script inline under `nonce`. */
export const document = (nonce: string): string =>
  `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sluice</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
</head><body><main id="app"></main><script nonce="${nonce}"></script></body></html>`
