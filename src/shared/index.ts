// The protocol and privacy rules, for collectors and custom pipelines (`quietcount/protocol`).

export { gate, gateAttribute, type Refusal } from './gate.js'
export { type BeaconError, type BeaconStatus, type ParsedBeacon, parseBeacon } from './parse-beacon.js'
export { normalised, type PersonalDataRule, personalData, personalProp, refuseEventName } from './personal-data.js'
export * from './protocol.js'
export { DEFAULT_PARAMS, linkUrl, referrerHost, type ScrubbedUrl, scrubHost, scrubPath, scrubUrl, scrubValue } from './scrub-url.js'
