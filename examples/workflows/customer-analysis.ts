/**
 * The 15-task customer analysis of cloaca's tutorial 03 ("Complex Workflows"), ported task by
 * task: a diamond (premium/standard analysis joined by a report), a fan-out of 4 batches and
 * their fan-in, and a 5-level chain of analyses.
 *
 * One fix: the tutorial's diagram draws prepare_dataset -> distribute_workload, which its code
 * forgets (distribute_workload reads the dataset). Here the dependency is declared.
 */
import { Task, Workflow } from "sluice"
import type { TaskContext } from "sluice"

export interface Customer {
  readonly id: number
  readonly name: string
  readonly segment: "premium" | "standard" | "basic"
  readonly value: number
}
interface ProcessedCustomer extends Customer {
  readonly processed: true
  readonly score: number
  readonly batch: number
}
interface Dataset {
  readonly customers: ReadonlyArray<Customer>
  readonly prepared_at: string
  readonly total_records: number
}

export interface Options {
  /** Where progress lines go (the tutorial prints them). */
  readonly log?: (line: string) => void
  /** A source of random numbers in [0, 1): pass a seeded one for repeatable data. */
  readonly random?: () => number
  /** The number of customers (100 in the tutorial). */
  readonly customers?: number
}

/** A small seeded generator (mulberry32), for repeatable datasets in tests and benchmarks. */
export const seededRandom = (seed: number): () => number => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const sum = (xs: ReadonlyArray<number>): number => xs.reduce((a, b) => a + b, 0)
export const money = (x: number): string =>
  x.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })

export const makeCustomerAnalysis = (options: Options = {}) => {
  const log = options.log ?? ((line: string) => console.log(line))
  const random = options.random ?? Math.random
  const customerCount = options.customers ?? 100
  const randint = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1))
  const choice = <A>(xs: ReadonlyArray<A>): A => xs[Math.floor(random() * xs.length)]

  // -- Diamond pattern: fork-join processing ---------------------------------------------------

  const prepareDataset = Task.make({
    id: "prepare_dataset",
    description: "Prepare initial dataset for parallel processing.",
    run: (ctx) => {
      log("Preparing dataset...")
      const dataset: Dataset = {
        customers: Array.from({ length: customerCount }, (_, i) => ({
          id: i + 1,
          name: `Customer_${i + 1}`,
          segment: choice(["premium", "standard", "basic"] as const),
          value: randint(100, 10000)
        })),
        prepared_at: new Date().toISOString(),
        total_records: customerCount
      }
      ctx.set("dataset", dataset)
      ctx.set("preparation_complete", true)
      log(`Dataset prepared with ${dataset.customers.length} customers`)
    }
  })

  const analyzePremium = Task.make({
    id: "analyze_premium_customers",
    description: "Analyze premium customer segment (parallel branch 1).",
    dependencies: [prepareDataset],
    run: (ctx) => {
      log("Analyzing premium customers...")
      const { customers } = ctx.get("dataset") as Dataset
      const premium = customers.filter((c) => c.segment === "premium")
      const total = sum(premium.map((c) => c.value))
      const analysis = {
        segment: "premium",
        count: premium.length,
        total_value: total,
        average_value: premium.length > 0 ? total / premium.length : 0,
        top_customers: [...premium].sort((a, b) => b.value - a.value).slice(0, 5)
      }
      ctx.set("premium_analysis", analysis)
      log(`Premium analysis complete: ${analysis.count} customers, avg value: $${analysis.average_value.toFixed(2)}`)
    }
  })

  const analyzeStandard = Task.make({
    id: "analyze_standard_customers",
    description: "Analyze standard customer segment (parallel branch 2).",
    dependencies: [prepareDataset],
    run: (ctx) => {
      log("Analyzing standard customers...")
      const { customers } = ctx.get("dataset") as Dataset
      const standard = customers.filter((c) => c.segment === "standard")
      const total = sum(standard.map((c) => c.value))
      const distribution = { low: 0, medium: 0, high: 0 }
      for (const c of standard) {
        if (c.value < 1000) distribution.low++
        else if (c.value < 5000) distribution.medium++
        else distribution.high++
      }
      ctx.set("standard_analysis", {
        segment: "standard",
        count: standard.length,
        total_value: total,
        average_value: standard.length > 0 ? total / standard.length : 0,
        distribution
      })
      log(`Standard analysis complete: ${standard.length} customers`)
    }
  })

  const generateCustomerReport = Task.make({
    id: "generate_customer_report",
    description: "Generate comprehensive customer report (join point).",
    dependencies: [analyzePremium, analyzeStandard],
    run: (ctx) => {
      log("Generating customer report...")
      const premium = ctx.get("premium_analysis") as { count: number; total_value: number }
      const standard = ctx.get("standard_analysis") as { count: number; total_value: number }
      const dataset = ctx.get("dataset") as Dataset
      ctx.set("customer_report", {
        report_type: "customer_segmentation",
        generated_at: new Date().toISOString(),
        dataset_info: { total_customers: dataset.total_records, prepared_at: dataset.prepared_at },
        segment_analysis: { premium, standard },
        summary: {
          total_premium_value: premium.total_value,
          total_standard_value: standard.total_value,
          premium_percentage: (premium.count / dataset.total_records) * 100,
          standard_percentage: (standard.count / dataset.total_records) * 100
        }
      })
      log(`Customer report generated - Premium: ${premium.count}, Standard: ${standard.count}`)
    }
  })

  // -- Fan-out pattern: parallel batch processing -----------------------------------------------

  const distributeWorkload = Task.make({
    id: "distribute_workload",
    description: "Distribute workload for parallel processing.",
    dependencies: [prepareDataset],
    run: (ctx) => {
      log("Distributing workload...")
      const { customers } = ctx.get("dataset") as Dataset
      const size = Math.floor(customers.length / 4)
      const batches = {
        batch_1: customers.slice(0, size),
        batch_2: customers.slice(size, size * 2),
        batch_3: customers.slice(size * 2, size * 3),
        batch_4: customers.slice(size * 3)
      }
      ctx.set("processing_batches", batches)
      ctx.set("workload_distributed", true)
      log(`Workload distributed into 4 batches: [${Object.values(batches).map((b) => b.length).join(", ")}]`)
    }
  })

  // The tutorial writes four copies of this task that differ only in the batch and its factor.
  const processBatch = (batchId: number, factor: number) =>
    Task.make({
      id: `process_batch_${batchId}`,
      description: `Process batch ${batchId} in parallel.`,
      dependencies: [distributeWorkload],
      run: (ctx: TaskContext) => {
        log(`Processing batch ${batchId}...`)
        const batches = ctx.get("processing_batches") as Record<string, ReadonlyArray<Customer>>
        const processed: Array<ProcessedCustomer> = batches[`batch_${batchId}`].map((c) => ({
          ...c,
          processed: true,
          score: c.value * factor + randint(1, 10),
          batch: batchId
        }))
        ctx.set(`batch_${batchId}_result`, {
          batch_id: batchId,
          processed_count: processed.length,
          customers: processed,
          batch_total_value: sum(processed.map((c) => c.value)),
          processing_time: new Date().toISOString()
        })
        log(`Batch ${batchId} complete: ${processed.length} customers processed`)
      }
    })
  const batchTasks = [processBatch(1, 0.1), processBatch(2, 0.12), processBatch(3, 0.08), processBatch(4, 0.09)]

  // -- Fan-in pattern: result aggregation -------------------------------------------------------

  interface BatchResult {
    batch_id: number
    processed_count: number
    customers: ReadonlyArray<ProcessedCustomer>
    batch_total_value: number
  }
  const aggregateBatchResults = Task.make({
    id: "aggregate_batch_results",
    description: "Aggregate results from all parallel batch processing (fan-in).",
    dependencies: batchTasks,
    run: (ctx) => {
      log("Aggregating batch results...")
      const results = [1, 2, 3, 4].map((i) => ctx.get(`batch_${i}_result`) as BatchResult)
      const all: Array<ProcessedCustomer> = []
      let totalCount = 0
      let totalValue = 0
      const statistics = []
      for (const r of results) {
        all.push(...r.customers)
        totalCount += r.processed_count
        totalValue += r.batch_total_value
        statistics.push({
          batch_id: r.batch_id,
          count: r.processed_count,
          value: r.batch_total_value,
          avg_value: r.processed_count > 0 ? r.batch_total_value / r.processed_count : 0
        })
      }
      ctx.set("aggregated_results", {
        aggregation_type: "batch_processing",
        total_customers_processed: totalCount,
        total_value_processed: totalValue,
        average_customer_value: totalCount > 0 ? totalValue / totalCount : 0,
        batch_statistics: statistics,
        processed_customers: all,
        aggregated_at: new Date().toISOString()
      })
      log(`Aggregation complete: ${totalCount} customers, total value: $${money(totalValue)}`)
    }
  })

  // -- Multi-level chain: sequential analysis ---------------------------------------------------

  type Aggregated = { processed_customers: ReadonlyArray<ProcessedCustomer> }
  interface Level1 {
    customer_count: number
    value_stats: { min: number; max: number; avg: number; total: number }
  }
  interface SegmentStats {
    count: number
    total_value: number
    avg_value: number
    avg_score: number
    top_customer: ProcessedCustomer
  }
  interface Level2 {
    segments: Record<string, SegmentStats>
    segment_count: number
  }
  interface Level3 {
    percentiles: Record<string, number>
    segment_comparison: Record<string, { value_efficiency: number; relative_performance: number }>
    outlier_analysis: { high_value_customers: ReadonlyArray<ProcessedCustomer> }
  }
  interface Level4 {
    key_insights: Array<string>
    recommendations: Array<string>
    risk_factors: Array<string>
    opportunities: Array<string>
  }

  const level1 = Task.make({
    id: "level_1_basic_analysis",
    description: "Level 1: Basic statistical analysis.",
    dependencies: [aggregateBatchResults],
    run: (ctx) => {
      log("Level 1: Basic analysis...")
      const customers = (ctx.get("aggregated_results") as Aggregated).processed_customers
      const values = customers.map((c) => c.value)
      const scores = customers.map((c) => c.score)
      const stats = {
        level: 1,
        customer_count: customers.length,
        value_stats: {
          min: Math.min(...values),
          max: Math.max(...values),
          avg: sum(values) / values.length,
          total: sum(values)
        },
        score_stats: { min: Math.min(...scores), max: Math.max(...scores), avg: sum(scores) / scores.length }
      }
      ctx.set("level_1_analysis", stats)
      log(`Level 1 complete: ${stats.customer_count} customers analyzed`)
    }
  })

  const level2 = Task.make({
    id: "level_2_segment_analysis",
    description: "Level 2: Segment-based analysis.",
    dependencies: [level1],
    run: (ctx) => {
      log("Level 2: Segment analysis...")
      const customers = (ctx.get("aggregated_results") as Aggregated).processed_customers
      const segments: Record<string, Array<ProcessedCustomer>> = {}
      for (const c of customers) (segments[c.segment] ??= []).push(c)
      const analysis: Record<string, SegmentStats> = {}
      for (const [name, members] of Object.entries(segments)) {
        const values = members.map((c) => c.value)
        analysis[name] = {
          count: members.length,
          total_value: sum(values),
          avg_value: sum(values) / values.length,
          avg_score: sum(members.map((c) => c.score)) / members.length,
          top_customer: members.reduce((best, c) => (c.value > best.value ? c : best))
        }
      }
      ctx.set("level_2_analysis", { level: 2, segments: analysis, segment_count: Object.keys(segments).length })
      log(`Level 2 complete: ${Object.keys(segments).length} segments analyzed`)
    }
  })

  const level3 = Task.make({
    id: "level_3_advanced_metrics",
    description: "Level 3: Advanced metrics and correlations.",
    dependencies: [level2],
    run: (ctx) => {
      log("Level 3: Advanced metrics...")
      const customers = (ctx.get("aggregated_results") as Aggregated).processed_customers
      const level2Result = ctx.get("level_2_analysis") as Level2
      const values = customers.map((c) => c.value)
      const sorted = [...values].sort((a, b) => a - b)
      const n = sorted.length
      const at = (k: number) => sorted[Math.floor(k)]
      const comparison: Level3["segment_comparison"] = {}
      for (const [name, s] of Object.entries(level2Result.segments)) {
        comparison[name] = {
          value_efficiency: s.avg_value > 0 ? s.avg_score / s.avg_value : 0,
          relative_performance: s.avg_value / (sum(values) / values.length)
        }
      }
      ctx.set("level_3_analysis", {
        level: 3,
        percentiles: {
          p25: at(n / 4),
          p50: at(n / 2),
          p75: at((3 * n) / 4),
          p90: at((9 * n) / 10),
          p95: at((19 * n) / 20)
        },
        segment_comparison: comparison,
        outlier_analysis: {
          high_value_customers: customers.filter((c) => c.value > at((19 * n) / 20)),
          low_value_customers: customers.filter((c) => c.value < at(n / 20))
        }
      })
      log("Level 3 complete: Advanced metrics calculated")
    }
  })

  const level4 = Task.make({
    id: "level_4_predictive_insights",
    description: "Level 4: Predictive insights and recommendations.",
    dependencies: [level3],
    run: (ctx) => {
      log("Level 4: Predictive insights...")
      const l1 = ctx.get("level_1_analysis") as Level1
      const l2 = ctx.get("level_2_analysis") as Level2
      const l3 = ctx.get("level_3_analysis") as Level3
      const insights: Level4 & { level: number } = {
        level: 4,
        key_insights: [],
        recommendations: [],
        risk_factors: [],
        opportunities: []
      }
      const avg = l1.value_stats.avg
      for (const [name, s] of Object.entries(l2.segments)) {
        if (s.avg_value > avg * 1.5) {
          insights.key_insights.push(
            `${name} segment shows high value potential ($${s.avg_value.toFixed(2)} vs $${avg.toFixed(2)} average)`
          )
          insights.recommendations.push(`Focus retention efforts on ${name} customers`)
        }
        if (s.count < 10) insights.risk_factors.push(`${name} segment has low customer count (${s.count})`)
        const efficiency = l3.segment_comparison[name].value_efficiency
        if (efficiency > 0.02) {
          insights.opportunities.push(`${name} shows high score-to-value efficiency (${efficiency.toFixed(4)})`)
        }
      }
      insights.recommendations.push(
        `Target customers with values above $${l3.percentiles.p95} for premium services`,
        `Investigate ${l3.outlier_analysis.high_value_customers.length} high-value customers for expansion opportunities`
      )
      ctx.set("level_4_analysis", insights)
      log(`Level 4 complete: ${insights.key_insights.length} insights generated`)
    }
  })

  const finalReport = Task.make({
    id: "final_comprehensive_report",
    description: "Level 5: Final comprehensive report combining all analyses.",
    dependencies: [level4],
    run: (ctx) => {
      log("Generating final comprehensive report...")
      const l1 = ctx.get("level_1_analysis") as Level1
      const l2 = ctx.get("level_2_analysis") as Level2
      const l4 = ctx.get("level_4_analysis") as Level4
      const report = {
        report_title: "Comprehensive Customer Analysis Report",
        generated_at: new Date().toISOString(),
        workflow_summary: {
          total_tasks_executed: 15,
          patterns_demonstrated: ["diamond", "fan-out", "fan-in", "multi-level-chain"],
          parallel_processing_batches: 4
        },
        executive_summary: {
          total_customers_analyzed: l1.customer_count,
          total_customer_value: `$${money(l1.value_stats.total)}`,
          average_customer_value: `$${money(l1.value_stats.avg)}`,
          segments_identified: l2.segment_count,
          key_insights_count: l4.key_insights.length,
          recommendations_count: l4.recommendations.length
        },
        detailed_analysis: {
          // The diamond's report is not upstream of this task (as in the tutorial): it is null
          // here, and reaches the final context from its own leaf, generate_customer_report.
          diamond_pattern_results: ctx.get("customer_report") ?? null,
          fanout_processing_results: ctx.get("aggregated_results") ?? null,
          sequential_analysis: {
            level_1_basic: l1,
            level_2_segments: l2,
            level_3_advanced: ctx.get("level_3_analysis") ?? null,
            level_4_insights: l4
          }
        },
        actionable_recommendations: l4.recommendations,
        risk_assessment: l4.risk_factors,
        growth_opportunities: l4.opportunities
      }
      ctx.set("comprehensive_report", report)
      log("Final comprehensive report generated!")
      log(`Analysis complete: ${report.executive_summary.total_customers_analyzed} customers`)
      log(`Total value: ${report.executive_summary.total_customer_value}`)
      log(`Insights generated: ${report.executive_summary.key_insights_count}`)
    }
  })

  return Workflow.make({
    name: "complex_customer_analysis",
    description: "Diamond, fan-out, fan-in and a multi-level chain over a customer dataset",
    tags: ["tutorial", "03"],
    tasks: [
      prepareDataset,
      analyzePremium,
      analyzeStandard,
      generateCustomerReport,
      distributeWorkload,
      ...batchTasks,
      aggregateBatchResults,
      level1,
      level2,
      level3,
      level4,
      finalReport
    ]
  })
}
