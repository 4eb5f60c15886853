// The protocol and privacy rules, for collectors and custom pipelines (`quietcount/protocol`).

export { type BeaconError, type ParsedBeacon, parseBeacon } from './parse-beacon.js'
export { type PersonalDataRule, personalData, personalProp } from './personal-data.js'
export * from './protocol.js'
export { DEFAULT_PARAMS, referrerHost, type ScrubbedUrl, scrubPath, scrubUrl, scrubValue } from './scrub-url.js'
