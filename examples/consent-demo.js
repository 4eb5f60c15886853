// Runs before quietcount.js (both deferred, in this order): ?lang=es shows the Spanish banner,
// as a bilingual site would by serving <html lang="es">. The button reopens the preferences.
const lang = new URLSearchParams(location.search).get('lang')
if (lang) document.documentElement.lang = lang
document.getElementById('settings')?.addEventListener('click', () => window.quietcountConsent.showPreferences())
