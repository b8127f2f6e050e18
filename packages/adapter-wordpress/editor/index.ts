/**
 * The block editor script of `guildpulse/stats` (and of the legacy block, so old posts stay editable):
 * inspector controls generated from the legacy attribute schema, and a live preview through the server-side
 * render (`ServerSideRender` → `/wp/v2/block-renderer`). Bundled by scripts/build-plugin.ts as an IIFE over
 * the `wp.*` globals (no React or WordPress package is bundled).
 */
import type { LegacyAttributeSpec, LegacyPanel } from "@guildpulse/widget"

declare const __GUILDPULSE_ATTRIBUTES__: Readonly<Record<string, LegacyAttributeSpec>>

type Element = unknown
type Create = (type: unknown, props?: Record<string, unknown> | null, ...children: Array<unknown>) => Element

interface Wp {
  readonly element: { readonly createElement: Create; readonly Fragment: unknown }
  readonly blocks: { readonly registerBlockType: (name: string, settings: Record<string, unknown>) => unknown; readonly getBlockType: (name: string) => unknown }
  readonly blockEditor: { readonly InspectorControls: unknown; readonly useBlockProps: (props?: Record<string, unknown>) => Record<string, unknown> }
  readonly components: Record<string, unknown>
  readonly serverSideRender: unknown
}

interface EditorData {
  readonly profiles?: ReadonlyArray<{ readonly value: string; readonly label: string }>
  readonly defaultProfile?: string
}

const PANELS: ReadonlyArray<readonly [LegacyPanel, string]> = [
  ["data", "Profile"],
  ["counts", "Counts"],
  ["layout", "Layout"],
  ["colors", "Colours"],
  ["title", "Title and refresh"],
  ["labels", "Icons and labels"],
  ["branding", "Server branding"],
  ["invite", "Invite and button"]
]

const register = (wp: Wp, data: EditorData) => {
  const el = wp.element.createElement
  const { PanelBody, ToggleControl, SelectControl, TextControl } = wp.components
  const attributes = __GUILDPULSE_ATTRIBUTES__

  const control = (name: string, spec: LegacyAttributeSpec, value: unknown, set: (v: unknown) => void): Element => {
    const help = spec.default !== undefined ? `Default: ${String(spec.default)}` : undefined
    if (name === "profile" && (data.profiles?.length ?? 0) > 0) {
      return el(SelectControl, {
        key: name,
        label: spec.label,
        value: typeof value === "string" ? value : "",
        options: [{ value: "", label: `Default${data.defaultProfile ? ` (${data.defaultProfile})` : ""}` }, ...(data.profiles ?? [])],
        onChange: (v: string) => set(v === "" ? undefined : v)
      })
    }
    if (spec.type === "boolean") {
      const checked = typeof value === "boolean" ? value : spec.default === true
      return el(ToggleControl, { key: name, label: spec.label, checked, help, onChange: (v: boolean) => set(v) })
    }
    if (spec.enum !== undefined) {
      return el(SelectControl, {
        key: name,
        label: spec.label,
        value: typeof value === "string" ? value : "",
        options: [{ value: "", label: "Profile default" }, ...spec.enum.map((v) => ({ value: v, label: v }))],
        onChange: (v: string) => set(v === "" ? undefined : v)
      })
    }
    return el(TextControl, {
      key: name,
      label: spec.label,
      type: spec.type === "number" ? "number" : "text",
      value: value === undefined || value === null ? "" : String(value),
      help,
      onChange: (v: string) => set(v === "" ? undefined : spec.type === "number" ? Number(v) : v)
    })
  }

  const edit = (blockName: string) =>
    function Edit(props: { attributes: Record<string, unknown>; setAttributes: (a: Record<string, unknown>) => void }) {
      const blockProps = wp.blockEditor.useBlockProps()
      const panels = PANELS.map(([panel, title], index) =>
        el(
          PanelBody,
          { key: panel, title, initialOpen: index === 0 },
          ...Object.entries(attributes)
            .filter(([, spec]) => spec.panel === panel && spec.unsupported !== true)
            .map(([name, spec]) => control(name, spec, props.attributes[name], (v) => props.setAttributes({ [name]: v })))
        )
      )
      return el(
        "div",
        blockProps,
        el(wp.blockEditor.InspectorControls, null, ...panels),
        el(wp.serverSideRender, { block: blockName, attributes: props.attributes, httpMethod: "GET" })
      )
    }

  for (const name of ["guildpulse/stats", "discord-bot-jlg/discord-stats"]) {
    wp.blocks.registerBlockType(name, { edit: edit(name), save: () => null })
  }
}

const globals = globalThis as unknown as { wp?: Wp; guildpulseEditor?: EditorData }
if (globals.wp !== undefined) register(globals.wp, globals.guildpulseEditor ?? {})
