/** Column schemas shared by the SQL storage's reads. */
import { Schema } from "effect"

/** An integer column: PostgreSQL's driver gives BIGINTs (and counts) as strings. */
export const Int = Schema.Union(Schema.Number, Schema.NumberFromString)
