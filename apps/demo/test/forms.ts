/** What the demo page's forms carry: the CSRF cookie the page sets and the token in its hidden fields. */
import type * as Demo from "../src/Demo.js"
import { CSRF_COOKIE } from "../src/Pages.js"

export const formToken = async (demo: Demo.RunningDemo): Promise<{ readonly cookie: string; readonly token: string }> => {
  const page = await fetch(`${demo.url}/`)
  const html = await page.text()
  const setCookie = page.headers.getSetCookie().find((c) => c.startsWith(`${CSRF_COOKIE}=`))
  const token = /name="csrf" value="([^"]+)"/.exec(html)?.[1]
  if (setCookie === undefined || token === undefined) throw new Error("the demo page did not hand out a CSRF token")
  return { cookie: setCookie.split(";")[0]!, token }
}
