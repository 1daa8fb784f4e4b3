import { storageCases } from "./support/storage.js"
import { storageConformance } from "./support/storageConformance.js"

for (const c of storageCases) storageConformance(c)
