/**
 * The tutorial's 15-task customer analysis as a module the `sluice` command loads:
 *
 *   npx sluice bench examples/workflows/tutorial.ts complex_customer_analysis --runs 200
 *   npx sluice graph examples/workflows/tutorial.ts
 */
import { makeCustomerAnalysis, seededRandom } from "./customer-analysis.js"

export const customerAnalysis = makeCustomerAnalysis({ log: () => {}, random: seededRandom(42) })
