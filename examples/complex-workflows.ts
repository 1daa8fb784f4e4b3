/**
 * Tutorial 03, "Complex Workflows", on sluice: the 15-task customer analysis run on in-memory
 * SQLite through the Promise API, printing what cloaca's tutorial prints.
 *
 *   npm start
 */
import { DefaultRunner } from "sluice"
import { makeCustomerAnalysis } from "./workflows/customer-analysis.js"

interface ComprehensiveReport {
  executive_summary: {
    total_customers_analyzed: number
    total_customer_value: string
    average_customer_value: string
    segments_identified: number
    key_insights_count: number
    recommendations_count: number
  }
  actionable_recommendations: ReadonlyArray<string>
}

console.log("=== Complex Workflows Tutorial ===")

const customerAnalysis = makeCustomerAnalysis()
const runner = await DefaultRunner.make("sqlite://:memory:", { workflows: [customerAnalysis] })

const input = {
  tutorial: "03",
  analysis_type: "comprehensive_customer_analysis",
  request_id: `req_${Math.floor(Date.now() / 1000)}`
}

console.log("\nExecuting complex workflow...")
console.log("This will demonstrate:")
console.log("- Diamond pattern (fork-join)")
console.log("- Fan-out pattern (parallel batch processing)")
console.log("- Fan-in pattern (result aggregation)")
console.log("- Multi-level chain (sequential analysis)")
console.log()

const start = performance.now()
const result = await runner.execute("complex_customer_analysis", input)
const elapsedMs = performance.now() - start

console.log(`\nWorkflow Status: ${result.status}`)
console.log(`Execution Time: ${(elapsedMs / 1000).toFixed(2)} seconds (${elapsedMs.toFixed(1)} ms)`)

if (result.status === "Completed") {
  console.log("Success! Complex workflow completed.")
  const report = result.finalContext.comprehensive_report as ComprehensiveReport | undefined
  if (report !== undefined) {
    const summary = report.executive_summary
    console.log("\n=== Workflow Results ===")
    console.log(`Customers Analyzed: ${summary.total_customers_analyzed}`)
    console.log(`Total Customer Value: ${summary.total_customer_value}`)
    console.log(`Average Customer Value: ${summary.average_customer_value}`)
    console.log(`Segments Identified: ${summary.segments_identified}`)
    console.log("\n=== Insights Generated ===")
    console.log(`Key Insights: ${summary.key_insights_count}`)
    console.log(`Recommendations: ${summary.recommendations_count}`)
    if (report.actionable_recommendations.length > 0) {
      console.log("\nTop Recommendations:")
      report.actionable_recommendations.slice(0, 3).forEach((rec, i) => console.log(`  ${i + 1}. ${rec}`))
    }
  }
} else {
  console.log(`Workflow failed with status: ${result.status} (${result.errorMessage})`)
  process.exitCode = 1
}

console.log("\nTask timeline:")
for (const task of result.tasks) {
  console.log(
    `  ${task.taskId.padEnd(28)} ${task.status.padEnd(9)} ${(task.durationMs ?? 0).toString().padStart(4)} ms`
  )
}

console.log("\nCleaning up...")
await runner.shutdown()
console.log("Tutorial completed!")
