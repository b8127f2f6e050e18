/** A strict little parser of the Prometheus text format, for tests. */
export interface Series {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

export interface Exposition {
  readonly types: ReadonlyMap<string, string>
  readonly help: ReadonlyMap<string, string>
  readonly series: ReadonlyArray<Series>
}

const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?(?:\d+(?:\.\d+)?(?:e[+-]?\d+)?|\+Inf|-Inf|NaN))$/
const labelPair = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"$/

export const parse = (text: string): Exposition => {
  const types = new Map<string, string>()
  const help = new Map<string, string>()
  const series: Array<Series> = []
  const seen = new Set<string>()
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue
    if (line.startsWith("# TYPE ")) {
      const [, , name, type] = line.split(" ")
      if (types.has(name!)) throw new Error(`family declared twice: ${name}`)
      types.set(name!, type!)
      continue
    }
    if (line.startsWith("# HELP ")) {
      const [, , name, ...rest] = line.split(" ")
      help.set(name!, rest.join(" "))
      continue
    }
    if (line.startsWith("#")) throw new Error(`unexpected comment line: ${line}`)
    const match = sampleLine.exec(line)
    if (match === null) throw new Error(`not a sample line: ${line}`)
    const labels: Record<string, string> = {}
    if (match[2] !== undefined && match[2] !== "") {
      for (const pair of match[2].match(/[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"/g) ?? []) {
        const m = labelPair.exec(pair)
        if (m === null) throw new Error(`bad label: ${pair}`)
        labels[m[1]!] = m[2]!
      }
    }
    const key = `${match[1]}{${Object.entries(labels).sort().map(([k, v]) => `${k}=${v}`).join(",")}}`
    if (seen.has(key)) throw new Error(`duplicate series: ${key}`)
    seen.add(key)
    const raw = match[3]!
    series.push({ name: match[1]!, labels, value: raw === "+Inf" ? Infinity : raw === "-Inf" ? -Infinity : Number(raw) })
  }
  // Every sample belongs to a declared family.
  for (const s of series) {
    const family = types.has(s.name) ? s.name : s.name.replace(/_(bucket|sum|count)$/, "")
    if (!types.has(family)) throw new Error(`sample without # TYPE: ${s.name}`)
  }
  return { types, help, series }
}

export const value = (exposition: Exposition, name: string, labels: Record<string, string> = {}): number | undefined =>
  exposition.series.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v) && Object.keys(s.labels).length === Object.keys(labels).length)?.value
