import type { Migration } from '../../migrate.js'
import type { SqliteContext } from './context.js'

/** Version 1: one wide table per record kind, a row per (site, UTC hour, dimension tuple). Frozen. */
export const migration: Migration<SqliteContext> = {
  version: 1,
  name: 'counter tables',
  up({ db }) {
    db.exec(`CREATE TABLE IF NOT EXISTS pages (
  site TEXT NOT NULL,
  hour INTEGER NOT NULL,
  path TEXT NOT NULL DEFAULT '',
  referrer TEXT NOT NULL DEFAULT '',
  source TEXT NOT NULL DEFAULT '',
  medium TEXT NOT NULL DEFAULT '',
  campaign TEXT NOT NULL DEFAULT '',
  country TEXT NOT NULL DEFAULT '',
  language TEXT NOT NULL DEFAULT '',
  screen TEXT NOT NULL DEFAULT '',
  browser TEXT NOT NULL DEFAULT '',
  browser_version TEXT NOT NULL DEFAULT '',
  os TEXT NOT NULL DEFAULT '',
  device TEXT NOT NULL DEFAULT '',
  views INTEGER NOT NULL DEFAULT 0,
  visits INTEGER NOT NULL DEFAULT 0,
  visitors_day INTEGER NOT NULL DEFAULT 0,
  visitors_month INTEGER NOT NULL DEFAULT 0,
  seconds INTEGER NOT NULL DEFAULT 0,
  scroll INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (site, hour, path, referrer, source, medium, campaign, country, language, screen, browser, browser_version, os, device)
);
CREATE TABLE IF NOT EXISTS events (
  site TEXT NOT NULL,
  hour INTEGER NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  path TEXT NOT NULL DEFAULT '',
  props TEXT NOT NULL DEFAULT '',
  country TEXT NOT NULL DEFAULT '',
  language TEXT NOT NULL DEFAULT '',
  screen TEXT NOT NULL DEFAULT '',
  browser TEXT NOT NULL DEFAULT '',
  os TEXT NOT NULL DEFAULT '',
  device TEXT NOT NULL DEFAULT '',
  count INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (site, hour, name, path, props, country, language, screen, browser, os, device)
);
CREATE TABLE IF NOT EXISTS consents (
  site TEXT NOT NULL,
  hour INTEGER NOT NULL,
  decision TEXT NOT NULL DEFAULT '',
  categories TEXT NOT NULL DEFAULT '',
  count INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (site, hour, decision, categories)
);`)
  },
}
