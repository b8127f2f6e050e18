export * as Demo from "./Demo.js"
export * as DemoClock from "./DemoClock.js"
export * as Pages from "./Pages.js"
export { sampleProfileInputs, sampleProfiles, sampleTokens } from "./SampleProfiles.js"
