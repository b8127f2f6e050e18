/**
 * A small, strict tokenizer for the markup this package emits (HTML fragments and SVG): it checks that tags
 * balance, that every attribute is `name="value"` (or a bare boolean attribute) with no raw `<`, `>` or `"`
 * inside, and returns the elements with their attributes — enough to assert on structure without a DOM.
 */
export interface Element {
  readonly name: string
  readonly attributes: ReadonlyMap<string, string>
  /** Text directly and indirectly inside the element, with tags removed and entities left as they are. */
  text: string
}

const VOID_HTML = new Set(["img", "br", "hr", "input", "meta", "link"])
const ATTRIBUTE = /^\s+([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:="([^"<>]*)")?/

export const parseMarkup = (markup: string, mode: "html" | "xml" = "html"): Array<Element> => {
  const elements: Array<Element> = []
  const open: Array<Element> = []
  let i = 0
  while (i < markup.length) {
    const lt = markup.indexOf("<", i)
    const text = markup.slice(i, lt === -1 ? markup.length : lt)
    if (text.includes(">")) throw new Error(`raw '>' in text near ${JSON.stringify(text.slice(0, 60))}`)
    for (const element of open) element.text += text
    if (lt === -1) break
    if (markup.startsWith("</", lt)) {
      const end = markup.indexOf(">", lt)
      const name = markup.slice(lt + 2, end)
      const top = open.pop()
      if (top === undefined || top.name !== name) throw new Error(`unbalanced </${name}> (open: ${top?.name ?? "nothing"})`)
      i = end + 1
      continue
    }
    const nameMatch = /^<([a-zA-Z][-a-zA-Z0-9]*)/.exec(markup.slice(lt))
    if (nameMatch === null) throw new Error(`stray '<' near ${JSON.stringify(markup.slice(lt, lt + 60))}`)
    const name = nameMatch[1] ?? ""
    let rest = markup.slice(lt + nameMatch[0].length)
    let consumed = lt + nameMatch[0].length
    const attributes = new Map<string, string>()
    for (;;) {
      const attribute = ATTRIBUTE.exec(rest)
      if (attribute === null) break
      const attrName = attribute[1] ?? ""
      if (attributes.has(attrName)) throw new Error(`duplicate attribute ${attrName} on <${name}>`)
      if (mode === "xml" && attribute[2] === undefined) throw new Error(`attribute without value ${attrName} in XML`)
      attributes.set(attrName, attribute[2] ?? "")
      rest = rest.slice(attribute[0].length)
      consumed += attribute[0].length
    }
    const element: Element = { name, attributes, text: "" }
    elements.push(element)
    if (rest.startsWith("/>")) {
      if (mode === "html" && !VOID_HTML.has(name)) throw new Error(`self-closing <${name}/> in HTML`)
      i = consumed + 2
    } else if (rest.startsWith(">")) {
      i = consumed + 1
      if (!(mode === "html" && VOID_HTML.has(name))) open.push(element)
    } else {
      throw new Error(`malformed tag <${name} near ${JSON.stringify(rest.slice(0, 60))}`)
    }
  }
  if (open.length > 0) throw new Error(`unclosed <${open.map((e) => e.name).join(">, <")}>`)
  return elements
}

/** Elements whose attribute `name` equals `value` (or exists, when value is omitted). */
export const withAttribute = (elements: ReadonlyArray<Element>, name: string, value?: string): Array<Element> =>
  elements.filter((e) => e.attributes.has(name) && (value === undefined || e.attributes.get(name) === value))

export const hasClass = (element: Element, className: string): boolean =>
  (element.attributes.get("class") ?? "").split(" ").includes(className)

/** Decodes the five entities the package emits. */
export const decode = (text: string): string =>
  text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&")
