/** The README's "Payload codecs" block, compiled (see scripts/check-readme.ts). */
import { Layer } from "effect"
import { Runner, Storage, StorageCodec, Task, Workflow } from "sluice"

const charge = Workflow.make({
  name: "charge",
  tasks: [Task.make({ id: "charge", run: (ctx) => ctx.set("receipt", `paid ${String(ctx.get("card"))}`) })]
})

// README: codec
const codec = StorageCodec.compose(
  StorageCodec.gzip,
  StorageCodec.encrypt({
    keyId: "2026-12",
    key: process.env.SLUICE_KEY ?? "", // 32 bytes as 64 hex or 44 base64 characters
    previousKeys: { "2026-06": process.env.SLUICE_OLD_KEY ?? "" } // still decrypts older values
  })
)

const storage = Storage.layerSqlite({ filename: "payments.db", codec })
// or: Storage.layerFromUrl(url, { codec }), DefaultRunner.make(url, { workflows, codec })
// README: end

export const runner = Runner.layer({ workflows: [charge] }).pipe(Layer.provide(storage))
