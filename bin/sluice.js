#!/usr/bin/env node
// The `sluice` command: the built entry point (npm run build makes dist/).
import "../dist/cli/main.js"
