// Stand-in for the site's consent tool: remembers the visitor's choice for this demo and passes
// it to the tracker through its one consent call. (QuietCount's own consent manager is separate.)
const choice = localStorage.getItem('demo-consent')
if (choice) window.quietcount?.consent(choice === 'yes')
const on = (id, fn) => document.getElementById(id)?.addEventListener('click', fn)
on('allow', () => {
  localStorage.setItem('demo-consent', 'yes')
  quietcount.consent(true)
})
on('refuse', () => {
  localStorage.setItem('demo-consent', 'no')
  quietcount.consent(false)
})
on('event', () => quietcount.track('Demo Button', { color: 'green' }))
on('bad-event', () => quietcount.track('Demo Button', { email: 'jane@example.org' }))
// The test sink lists the beacons it received; the collector (npm start) keeps only counts.
const list = document.getElementById('beacons')
if (list) {
  const show = async () => {
    const response = await fetch('/api/beacons')
    if (!response.ok) {
      list.textContent = 'Counted by the collector. In a terminal:\n  npm run quietcount -- report --site example.test --period today --breakdown page'
      return clearInterval(timer)
    }
    list.textContent = JSON.stringify(await response.json(), null, 1)
  }
  const timer = setInterval(show, 1500)
  show()
}
