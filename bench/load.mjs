// The load generator, run as its own process so that it does not share an event loop with the
// server it measures: node bench/load.mjs URL SECONDS CONNECTIONS. Prints autocannon's figures as JSON.
import autocannon from 'autocannon'

const [url, seconds, connections] = process.argv.slice(2)
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'
// Realistic beacons: one page view each, on 20 paths, some from a referrer or a campaign.
const bodies = Array.from({ length: 20 }, (_, i) =>
  JSON.stringify({
    v: 1,
    site: 'bench.test',
    tz: ['Europe/Madrid', 'America/New_York', 'Asia/Tokyo'][i % 3],
    lang: i % 2 ? 'es' : 'en',
    screen: i % 3 ? 'desktop' : 'mobile',
    pages: [
      {
        path: `/section-${i % 5}/page-${i}`,
        ...(i % 4 === 0 && { ref: 'news.example' }),
        ...(i % 7 === 0 && { source: 'newsletter', medium: 'email', campaign: 'spring' }),
        flags: i % 2 ? 7 : 0,
        views: 1,
        seconds: i,
        scroll: 50,
      },
    ],
  }),
)
const result = await autocannon({
  url,
  duration: Number(seconds),
  connections: Number(connections),
  requests: bodies.map((body) => ({ method: 'POST', path: '/api/collect', body, headers: { 'content-type': 'text/plain', 'user-agent': UA } })),
})
console.log(
  JSON.stringify({
    rps: result.requests.average,
    sent: result.requests.sent,
    ok: result['2xx'],
    notOk: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    p50: result.latency.p50,
    p97_5: result.latency.p97_5,
    p99: result.latency.p99,
    viewsPerBeacon: 1,
  }),
)
