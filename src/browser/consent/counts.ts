import { PROTOCOL_VERSION } from '../../shared/protocol.js'
import { type Collector, send } from '../transport.js'
import type { Choice } from './state.js'

/**
 * Counts one decision, cookieless: its kind and each optional category's yes or no, with no page,
 * time zone, language or screen, so the collector can only add it to the site's consent rates.
 */
export function countDecision(choice: Choice, site: string, collector: Collector): void {
  const granted = Object.values(choice)
  const decision = granted.every(Boolean) ? 'accept-all' : granted.some(Boolean) ? 'custom' : 'reject-all'
  send({ v: PROTOCOL_VERSION, site, consents: [{ decision, categories: choice, count: 1 }] }, collector)
}
