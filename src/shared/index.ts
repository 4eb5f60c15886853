// The protocol and privacy rules, for collectors and custom pipelines (`quietcount/protocol`).
export * from './protocol.js'
export { parseBeacon, type BeaconError, type ParsedBeacon } from './parse-beacon.js'
export { personalData, personalProp, type PersonalDataRule } from './personal-data.js'
export { DEFAULT_PARAMS, referrerHost, scrubPath, scrubUrl, scrubValue, type ScrubbedUrl } from './scrub-url.js'
